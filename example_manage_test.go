package ownership_test

import (
	"context"
	"fmt"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// A form submission arrives unassigned; a rep claims it, and a colleague
// who tries a moment later is told it is already assigned. The subscriber
// hears of every committed change.
func ExampleManager_Claim() {
	ctx := context.Background()
	store := memstore.New()
	for _, u := range []ownership.User{
		{ID: "rep1", Email: "rep1@example.com", Roles: []string{"sales_rep"}},
		{ID: "rep2", Email: "rep2@example.com", Roles: []string{"sales_rep"}},
	} {
		_ = store.PutUser(ctx, u)
	}
	m := &ownership.Manager{
		Policy: ownership.MustPolicy(map[string]ownership.RoleDef{
			"sales_rep": {Types: map[string]ownership.Permissions{
				"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
			}},
		}),
		Store: store,
		Users: store,
		Subscribers: []ownership.Subscriber{ownership.SubscriberFunc(func(_ context.Context, e ownership.Event) {
			fmt.Printf("event: %s %s v%d %s -> %s\n", e.Kind, e.Record, e.Version, e.Before, e.After)
		})},
	}
	lead := ownership.MustRef("contact/lead-1")
	if _, err := m.Create(ctx, ownership.Record{Ref: lead}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		fmt.Println(err)
	}
	r, err := m.Claim(ctx, ownership.Subject{ID: "rep1", Roles: []string{"sales_rep"}}, lead)
	fmt.Println(r.Ownership.Entries()[0].Email, err)
	_, err = m.Claim(ctx, ownership.Subject{ID: "rep2", Roles: []string{"sales_rep"}}, lead)
	fmt.Println(err)
	// Output:
	// event: created contact/lead-1 v1 [] -> []
	// event: claimed contact/lead-1 v2 [] -> [rep1:owner]
	// rep1@example.com <nil>
	// ownership: rep2 cannot claim contact/lead-1: it is already assigned to rep1; only unassigned records can be claimed, so ask rep1 or a manager to reassign it
}

// The creator of a record from a template gets the template's defaults
// plus themselves as owner; owner wins over a default follower entry.
func ExampleInitialOwnership() {
	tmpl := &ownership.Template{ID: "key-account", Type: "contact", DefaultOwnership: ownership.MustList(
		ownership.Entry{UserID: "lead", Role: ownership.Owner},
		ownership.Entry{UserID: "ann", Role: ownership.Follower},
	)}
	for _, c := range []ownership.Creation{
		{Source: ownership.SourceManual, Creator: ownership.User{ID: "ann"}, Template: tmpl},
		{Source: ownership.SourceForm, Template: tmpl},
		{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "bob", Role: ownership.Owner}}},
	} {
		l, err := ownership.InitialOwnership(c)
		fmt.Println(c.Source, l, err)
	}
	// Output:
	// manual [lead:owner ann:owner] <nil>
	// form [ann:follower] <nil>
	// api [bob:owner] <nil>
}
