package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// openExample opens a migrated SQLite store in a temporary directory; the
// returned function removes it.
func openExample() (*sqlstore.Store, func(), error) {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "crm.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	st := sqlstore.New(db, sqlstore.SQLite)
	done := func() { db.Close(); os.RemoveAll(dir) }
	if err := st.Migrate(context.Background()); err != nil {
		done()
		return nil, nil, err
	}
	return st, done, nil
}

// A CRM creates a contact row and the contact's ownership in one
// transaction: when the transaction rolls back, neither is kept, and no
// notification goes out for a contact that does not exist.
func ExampleStore_InTx() {
	ctx := context.Background()
	st, done, err := openExample()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE contacts (id TEXT PRIMARY KEY, name TEXT)`); err != nil {
		fmt.Println(err)
		return
	}
	m, err := ownership.NewManager(ownership.MustPolicy(map[string]ownership.RoleDef{}), st, ownership.ManagerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	create := func(id string, commit bool) {
		tx, err := st.DB().BeginTx(ctx, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, name) VALUES (?1, ?2)`, id, "Ann"); err != nil {
			fmt.Println(err)
			return
		}
		rec := ownership.Record{Ref: ownership.Ref{Type: "contact", ID: id}}
		if _, err := m.WithStore(st.InTx(tx)).Create(ctx, rec, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep1"}}); err != nil {
			fmt.Println(err)
			return
		}
		if commit {
			if err := tx.Commit(); err != nil {
				fmt.Println(err)
			}
		}
	}
	create("c1", true)
	create("c2", false) // rolled back
	for _, id := range []string{"c1", "c2"} {
		r, err := st.Get(ctx, ownership.Ref{Type: "contact", ID: id})
		fmt.Println(id, r.Ownership, err != nil)
	}
	pending, _ := st.OutboxEvents(ctx, sqlstore.Pending, 10)
	fmt.Println(len(pending), "event:", pending[0].Event.ID())
	// Output:
	// c1 [rep1:owner] false
	// c2 [] true
	// 1 event: contact/c1@1
}

// A relay delivers the outbox to a notifier, at least once and in order
// per record; the notifier remembers the ids it has handled, so a
// delivery repeated after a crash sends nothing twice.
func ExampleRelay() {
	ctx := context.Background()
	st, done, err := openExample()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Claim: true}}},
	})
	m, err := ownership.NewManager(policy, st, ownership.ManagerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c1 := ownership.MustRef("contact/c1")
	if _, err := m.Create(ctx, ownership.Record{Ref: c1}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := m.Claim(ctx, ownership.Subject{ID: "rep1", Roles: []string{"sales_rep"}}, c1); err != nil {
		fmt.Println(err)
		return
	}
	handled := map[string]bool{}
	relay := sqlstore.NewRelay(st, func(_ context.Context, d sqlstore.Delivery) error {
		if handled[d.ID] {
			return nil // seen before: already notified
		}
		handled[d.ID] = true
		if len(d.Event.Assigned) > 0 {
			fmt.Printf("tell %v: %s is yours (%s)\n", d.Event.Assigned, d.Event.Record, d.ID)
		}
		return nil
	}, sqlstore.RelayOptions{Now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) }})
	n, err := relay.DeliverOnce(ctx) // a round; Run loops until its context ends
	fmt.Println(n, err)
	n, err = relay.DeliverOnce(ctx)
	fmt.Println(n, err)
	// Output:
	// 1 <nil>
	// tell [rep1]: contact/c1 is yours (contact/c1@2)
	// 1 <nil>
}

// A CRM adopting the library loads its existing contacts at bulk speed,
// without notifying anyone; the import says what it refused and why.
func ExampleStore_Import() {
	ctx := context.Background()
	st, done, err := openExample()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()
	owner := func(u ownership.UserID) ownership.List {
		return ownership.MustList(ownership.Entry{UserID: u, Role: ownership.Owner})
	}
	existing := []ownership.Record{
		{Ref: ownership.MustRef("contact/c1"), Ownership: owner("rep1")},
		{Ref: ownership.MustRef("contact/c2")},
		{Ref: ownership.MustRef("contact/c1"), Ownership: owner("rep2")}, // twice
		{Ref: ownership.MustRef("document/d1"), Parent: ownership.MustRef("contact/c1"), Mode: ownership.SyncWithParent},
	}
	rep, err := st.Import(ctx, slices.Values(existing), sqlstore.ImportOptions{NoEvents: true})
	fmt.Println(rep.Imported, "imported,", rep.Synced, "synced with a parent,", err)
	for _, r := range rep.Refused {
		fmt.Println("refused", r.Ref, r.Err)
	}
	d1, _ := st.Get(ctx, ownership.MustRef("document/d1"))
	fmt.Println("document/d1", d1.Ownership)
	// Output:
	// 3 imported, 1 synced with a parent, <nil>
	// refused contact/c1 ownership: invalid: record contact/c1 is given twice
	// document/d1 [rep1:owner]
}
