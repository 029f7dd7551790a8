package ownership_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ownershipkit/ownership"
)

// A sales rep sees owned and unassigned contacts and edits only owned ones;
// a contact owned by a colleague is out of reach, and the decision says
// what would change that.
func ExamplePolicy_Decide() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
		}},
	})
	rep1 := ownership.Subject{ID: "rep1", Roles: []string{"sales_rep"}}
	c3 := ownership.Record{
		Ref:       ownership.MustRef("contact/c3"),
		Ownership: ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner}),
	}
	d := p.Decide(rep1, ownership.Update, c3)
	fmt.Println(d.Allowed, d.Reason)
	fmt.Println(d.Explain())
	// Output:
	// false update_scope
	// rep1 cannot update contact/c3: it is owned by rep2 and your update scope is Owned; ask a manager to reassign it to you, or to widen your update scope to All
}

// Filter compiles what a subject may reach once; Match then runs per
// record, and Cond is what a database adapter translates.
func ExamplePolicy_Filter() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own},
		}},
	})
	rep1 := ownership.Subject{ID: "rep1", Roles: []string{"sales_rep"}}
	owner := func(u ownership.UserID) ownership.List {
		return ownership.MustList(ownership.Entry{UserID: u, Role: ownership.Owner})
	}
	contacts := []ownership.Record{
		{Ref: ownership.MustRef("contact/c1"), Ownership: owner("rep1")},
		{Ref: ownership.MustRef("contact/c2")},
		{Ref: ownership.MustRef("contact/c3"), Ownership: owner("rep2")},
	}
	visible := p.Filter(rep1, ownership.View, "contact")
	fmt.Println(visible)
	for _, c := range contacts {
		if visible.Match(c) {
			fmt.Println("sees", c.Ref)
		}
	}
	// Output:
	// contact: or(owned_by("rep1"), followed_by("rep1"), unassigned)
	// sees contact/c1
	// sees contact/c2
}

// Bind resolves a subject's roles once, so that the checks of a request
// skip the role lookups.
func ExamplePolicy_Bind() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"manager": {Types: map[string]ownership.Permissions{
			ownership.AnyType: {View: ownership.All, Update: ownership.All},
		}},
	})
	boss := p.Bind(ownership.Subject{ID: "boss", Roles: []string{"manager"}})
	fmt.Println(p.CanEdit(boss, ownership.Record{Ref: ownership.MustRef("order/o7")}))
	// Output: true
}

// The CRM set-up: the owner field with view and update scopes. Managers
// oversee everything, reps see owned and unassigned contacts and claim from
// the pool, support cannot claim, and an admin bypasses ownership.
func Example_crmScopes() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"admin":     {Bypass: true},
		"manager":   {Types: map[string]ownership.Permissions{"contact": {View: ownership.All, Update: ownership.All, Claim: true, Reassign: true}}},
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
		"support":   {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own}}},
	})
	pool := ownership.Record{Ref: ownership.MustRef("contact/c2")} // unassigned
	for _, s := range []ownership.Subject{
		{ID: "boss", Roles: []string{"manager"}},
		{ID: "rep1", Roles: []string{"sales_rep"}},
		{ID: "sam", Roles: []string{"support"}},
		{ID: "root", Roles: []string{"admin"}},
	} {
		d := p.Decide(s, ownership.Claim, pool)
		fmt.Printf("%-4s claim: %v (%v)\n", s.ID, d.Allowed, d.Reason)
	}
	// Output:
	// boss claim: true (claimable)
	// rep1 claim: true (claimable)
	// sam  claim: false (no_claim_permission)
	// root claim: true (bypass)
}

// The journey platform: owners view, edit and delete; followers only view;
// only owners (or a bypass role) change the ownership list.
func Example_ownersAndFollowers() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"master":          {Bypass: true},
		"journey_manager": {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.Own, Update: ownership.Own, Delete: ownership.Own}}},
	})
	order := ownership.Record{
		Ref: ownership.MustRef("order/o1"),
		Ownership: ownership.MustList(
			ownership.Entry{UserID: "olga", Role: ownership.Owner},
			ownership.Entry{UserID: "fred", Role: ownership.Follower},
		),
	}
	olga := ownership.Subject{ID: "olga", Roles: []string{"journey_manager"}}
	fred := ownership.Subject{ID: "fred", Roles: []string{"journey_manager"}}
	for _, a := range []ownership.Action{ownership.View, ownership.Update, ownership.ManageOwnership} {
		fmt.Printf("%-16s olga=%v fred=%v\n", a, p.Can(olga, a, order), p.Can(fred, a, order))
	}
	fmt.Println(p.Decide(fred, ownership.Update, order).Reason)
	// Output:
	// view             olga=true fred=true
	// update           olga=true fred=false
	// manage_ownership olga=true fred=false
	// follower_read_only
}

// The contract system: own/other permissions down to one field. Account
// executives edit the amount on every contract, account managers only on
// their own, support reps may only view it on others'.
func Example_fieldPermissions() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"account_executive": {Types: map[string]ownership.Permissions{"contract": {View: ownership.All, Update: ownership.All,
			Fields: map[string]ownership.FieldRule{"amount": {View: ownership.All, Update: ownership.All}}}}},
		"account_manager": {Types: map[string]ownership.Permissions{"contract": {View: ownership.All, Update: ownership.All,
			Fields: map[string]ownership.FieldRule{"amount": {View: ownership.All, Update: ownership.Own}}}}},
		"support_rep": {Types: map[string]ownership.Permissions{"contract": {View: ownership.All, Update: ownership.Own,
			Fields: map[string]ownership.FieldRule{"amount": {View: ownership.Others}}}}},
	})
	k1 := ownership.Record{
		Ref:       ownership.MustRef("contract/k1"),
		Ownership: ownership.MustList(ownership.Entry{UserID: "amy", Role: ownership.Owner}),
	}
	for _, s := range []ownership.Subject{
		{ID: "eve", Roles: []string{"account_executive"}},
		{ID: "amy", Roles: []string{"account_manager"}},
		{ID: "max", Roles: []string{"account_manager"}},
		{ID: "sue", Roles: []string{"support_rep"}},
	} {
		fmt.Printf("%s: view amount %v, edit amount %v\n", s.ID, p.CanViewField(s, k1, "amount"), p.CanEditField(s, k1, "amount"))
	}
	// Output:
	// eve: view amount true, edit amount true
	// amy: view amount true, edit amount true
	// max: view amount true, edit amount false
	// sue: view amount true, edit amount false
}

// A contract system restricts the amount field to the contract's owner.
// Declaring the type's fields makes every other field name a denial, so a
// request that spells the field "Amount" cannot slip past the rule.
func ExampleCompile() {
	p, err := ownership.Compile(ownership.PolicyDef{
		Roles: map[string]ownership.RoleDef{
			"account_manager": {Types: map[string]ownership.Permissions{"contract": {
				View: ownership.All, Update: ownership.All,
				Fields: map[string]ownership.FieldRule{"amount": {View: ownership.All, Update: ownership.Own}},
			}}},
		},
		Types: map[string]ownership.RecordType{"contract": {Fields: []string{"amount", "notes"}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	amy := p.Bind(ownership.Subject{ID: "amy", Roles: []string{"account_manager"}})
	k1 := ownership.Record{Ref: ownership.MustRef("contract/k1"),
		Ownership: ownership.MustList(ownership.Entry{UserID: "max", Role: ownership.Owner})}
	for _, field := range []string{"notes", "amount", "Amount"} {
		fmt.Println(p.DecideField(amy, ownership.Update, k1, field))
	}
	// Output:
	// allow in_scope: amy may update field notes of contract/k1: it is owned by max, and role account_manager's update scope covers it, for the record and for field notes
	// deny field_scope: amy cannot update field amount of contract/k1: it is owned by max and your update scope for field amount is Owned; ask a manager to reassign it to you, or to widen your update scope for field amount to All
	// deny undeclared_field: amy cannot update field Amount of contract/k1: contract records have no field "Amount"; use a field the record type declares
}

// A sales rep opens a contact owned by a colleague. The administrator's
// log gets the full sentence, naming the owner; the rep is told what to
// ask for, without learning who owns it.
func ExampleDecision_ForSubject() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.All, Update: ownership.Own}}},
	})
	rep1 := ownership.Subject{ID: "rep1", Roles: []string{"sales_rep"}}
	c4 := ownership.Record{Ref: ownership.MustRef("contact/c4"),
		Ownership: ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner})}
	d := p.Decide(rep1, ownership.Update, c4)
	fmt.Println(d.Explain())
	fmt.Println(d.ForSubject())
	// Output:
	// rep1 cannot update contact/c4: it is owned by rep2 and your update scope is Owned; ask a manager to reassign it to you, or to widen your update scope to All
	// You may not update this contact; ask a manager to make you the owner of it, or for wider update access.
}

// An administrator asks who may see a contact, and why.
func ExamplePolicy_Who() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"admin":     {Bypass: true},
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned}}},
	})
	users := []ownership.User{
		{ID: "root", Roles: []string{"admin"}},
		{ID: "rep1", Roles: []string{"sales_rep"}},
		{ID: "rep2", Roles: []string{"sales_rep"}},
	}
	c4 := ownership.Record{Ref: ownership.MustRef("contact/c4"),
		Ownership: ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner})}
	acc, err := p.Who(context.Background(), func(yield func(ownership.User, error) bool) {
		for _, u := range users {
			if !yield(u, nil) {
				return
			}
		}
	}, ownership.View, c4)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range acc.Allowed {
		fmt.Println(d.Subject, "may:", d.Basis())
	}
	for _, d := range acc.Denied {
		fmt.Println(d.Subject, "may not:", d.Reason)
	}
	// Output:
	// root may: bypass
	// rep2 may: owner
	// rep1 may not: view_scope
}
