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

// A document synced with its contact carries a read-only copy of the
// contact's ownership: a change to the contact reaches the document, and a
// direct change to the document is refused with a pointer to the contact.
func ExampleManager_Propagate() {
	ctx := context.Background()
	store := memstore.New()
	for _, id := range []ownership.UserID{"olga", "fred"} {
		_ = store.PutUser(ctx, ownership.User{ID: id, Roles: []string{"journey_manager"}})
	}
	m := &ownership.Manager{
		Policy: ownership.MustPolicy(map[string]ownership.RoleDef{
			"journey_manager": {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.Own, Update: ownership.Own, Delete: ownership.Own}}},
		}),
		Store: store,
		Users: store,
	}
	olga := ownership.Subject{ID: "olga", Roles: []string{"journey_manager"}}
	contact, doc := ownership.MustRef("contact/c1"), ownership.MustRef("document/d1")
	_, _ = m.Create(ctx, ownership.Record{Ref: contact}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "olga"}})
	synced := &ownership.Template{ID: "contract", Type: "document", Mode: ownership.SyncWithParent}
	_, _ = m.Create(ctx, ownership.Record{Ref: doc, Parent: contact}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "olga"}, Template: synced})

	_, _ = m.AddFollower(ctx, olga, contact, "fred") // propagates at once
	d, _ := store.Get(ctx, doc)
	fmt.Println(d.Mode, d.Ownership)

	_, err := m.AddOwner(ctx, olga, doc, "fred")
	fmt.Println(err)
	// Output:
	// sync_with_parent [olga:owner fred:follower]
	// ownership: olga cannot manage the ownership of document/d1: its ownership is synced from its parent contact/c1; change the ownership of contact/c1 instead, or switch it to independent ownership
}

// Offboarding: a dry run lists what would move from a leaving rep to a
// colleague, and what would stay and why; the transfer then moves it.
func ExampleManager_Transfer() {
	ctx := context.Background()
	store := memstore.New()
	for _, u := range []ownership.User{
		{ID: "admin", Roles: []string{"admin"}},
		{ID: "leaver", Roles: []string{"sales_rep"}},
		{ID: "heir", Roles: []string{"sales_rep"}},
	} {
		_ = store.PutUser(ctx, u)
	}
	m := &ownership.Manager{
		Policy: ownership.MustPolicy(map[string]ownership.RoleDef{
			"admin":     {Bypass: true},
			"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own}}},
		}),
		Store: store, Users: store,
	}
	for _, ref := range []string{"contact/c1", "contact/c2", "invoice/i1"} {
		_, _ = m.Create(ctx, ownership.Record{Ref: ownership.MustRef(ref)}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "leaver"}})
	}
	admin := ownership.Subject{ID: "admin", Roles: []string{"admin"}}
	plan, _ := m.Transfer(ctx, admin, "leaver", "heir", ownership.TransferOptions{DryRun: true})
	fmt.Println("would move:", plan.Moved)
	for _, s := range plan.Skipped {
		d, _ := ownership.DenialOf(s.Err)
		fmt.Println("would keep:", s.Ref, d.Reason)
	}
	done, _ := m.Transfer(ctx, admin, "leaver", "heir", ownership.TransferOptions{})
	c1, _ := store.Get(ctx, ownership.MustRef("contact/c1"))
	fmt.Println("moved:", done.Moved, "contact/c1 now", c1.Ownership)
	// Output:
	// would move: [contact/c1 contact/c2]
	// would keep: invoice/i1 target_cannot_view
	// moved: [contact/c1 contact/c2] contact/c1 now [heir:owner]
}

// A user's new email reaches every ownership entry of theirs.
func ExampleManager_SyncUserDetails() {
	ctx := context.Background()
	store := memstore.New()
	_ = store.PutUser(ctx, ownership.User{ID: "raj", Email: "raj@old.example", Roles: []string{"rep"}})
	m := &ownership.Manager{
		Policy: ownership.MustPolicy(map[string]ownership.RoleDef{"rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own}}}}),
		Store:  store, Users: store,
	}
	_, _ = m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/c1")}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "raj"}})

	moved := ownership.User{ID: "raj", Email: "raj@new.example", Roles: []string{"rep"}}
	_ = store.PutUser(ctx, moved)
	rep, err := m.SyncUserDetails(ctx, moved)
	c1, _ := store.Get(ctx, ownership.MustRef("contact/c1"))
	fmt.Println(rep.Changed, err, c1.Ownership.At(0).Email)
	// Output:
	// [contact/c1] <nil> raj@new.example
}
