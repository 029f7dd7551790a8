package ownership_test

import (
	"fmt"

	"github.com/ownershipkit/ownership"
)

// The contract system, with each contract owned by the account manager
// its account_manager_email field names, however the address is spelled.
// Account executives edit the amount on every contract, account managers
// only on their own, support reps may only view it on others'. Changing
// the field hands the contract, and the right to edit its amount, over.
func ExampleMatcher_Apply() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"account_executive": {Types: map[string]ownership.Permissions{"contract": {View: ownership.All, Update: ownership.All,
			Fields: map[string]ownership.FieldRule{"amount": {View: ownership.All, Update: ownership.All}}}}},
		"account_manager": {Types: map[string]ownership.Permissions{"contract": {View: ownership.All, Update: ownership.All,
			Fields: map[string]ownership.FieldRule{"amount": {View: ownership.All, Update: ownership.Own}}}}},
		"support_rep": {Types: map[string]ownership.Permissions{"contract": {View: ownership.All, Update: ownership.Own,
			Fields: map[string]ownership.FieldRule{"amount": {View: ownership.Others}}}}},
	})
	users := []ownership.User{
		{ID: "eve", Email: "Eve Exec <eve@acme.io>", Roles: []string{"account_executive"}},
		{ID: "amy", Email: "amy@acme.io", Roles: []string{"account_manager"}},
		{ID: "max", Email: "Max <MAX@acme.io>", Roles: []string{"account_manager"}},
		{ID: "sue", Email: "sue@acme.io", Roles: []string{"support_rep"}},
	}
	m, err := ownership.NewMatcher(ownership.OwnerField{
		Record: "account_manager_email", User: "email", Normalize: ownership.NormalizeEmail,
	}, users)
	if err != nil {
		fmt.Println(err)
		return
	}
	k1 := ownership.Record{
		Ref:    ownership.MustRef("contract/k1"),
		Fields: map[string]string{"account_manager_email": `"Adams, Amy" <AMY@ACME.IO>`, "amount": "1000"},
	}
	show := func() {
		r, err := m.Apply(k1)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s owned by %s:\n", r.Ref, r.Ownership.FirstOwner())
		for _, u := range users {
			s := u.Subject()
			fmt.Printf("  %s: view amount %v, edit amount %v\n", u.ID, p.CanViewField(s, r, "amount"), p.CanEditField(s, r, "amount"))
		}
	}
	show()
	k1.Fields["account_manager_email"] = "max@acme.io (handover)"
	show()
	// Output:
	// contract/k1 owned by amy:
	//   eve: view amount true, edit amount true
	//   amy: view amount true, edit amount true
	//   max: view amount true, edit amount false
	//   sue: view amount true, edit amount false
	// contract/k1 owned by max:
	//   eve: view amount true, edit amount true
	//   amy: view amount true, edit amount false
	//   max: view amount true, edit amount true
	//   sue: view amount true, edit amount false
}

// The spellings a mail client writes reduce to one address; what is not
// one address says why.
func ExampleCanonicalEmail() {
	for _, s := range []string{
		"John G. Smith <JOHN@X.io>",
		`"Smith, John" <john@x.io>`,
		"john@x.io (work)",
		`"john.smith"@x.io`,
		`"john smith"@x.io`,
		"Smith, John <john@x.io>",
	} {
		addr, err := ownership.CanonicalEmail(s, false)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(addr)
	}
	// Output:
	// john@x.io
	// john@x.io
	// john@x.io
	// john.smith@x.io
	// "john smith"@x.io
	// ownership: invalid: email address "Smith, John <john@x.io>": unquoted ',' in display name (quote the name, as in "Smith, John" <...>) (at ", John <john@x.io>")
}

// A directory in which two users share an address cannot say who owns a
// record with that address: Problems reports it before any record does,
// and such a record matches nobody.
func ExampleMatcher_Problems() {
	m := ownership.MustMatcher(ownership.OwnerField{Record: "requester", User: "email", Normalize: ownership.NormalizeEmail}, []ownership.User{
		{ID: "u1", Email: "help@acme.io"},
		{ID: "u2", Email: "Help Desk <HELP@acme.io>"},
		{ID: "u3", Email: "acme.io"},
	})
	for _, err := range m.Problems() {
		fmt.Println(err)
	}
	_, err := m.OwnerOf("help@acme.io")
	fmt.Println(err)
	// Output:
	// ownership: ambiguous: 2 users share email "help@acme.io": u1 (users[0]), u2 (users[1]); records with this value have no owner until it is unique
	// ownership: invalid: users[2].email (u3): email address "acme.io": missing '@'
	// ownership: ambiguous: "help@acme.io" matches 2 users by email "help@acme.io": u1, u2; the user field must be unique
}
