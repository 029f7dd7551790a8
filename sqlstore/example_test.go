package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// A CRM keeps its contacts in SQLite. A sales rep's contact list shows
// what the policy lets the rep view (own or unassigned contacts), one page
// at a time, filtered by the database.
func ExampleStore_List() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sqlstore-example")
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "crm.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	st := sqlstore.New(db, sqlstore.SQLite)
	if err := st.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	owner := func(u ownership.UserID) ownership.List {
		return ownership.MustList(ownership.Entry{UserID: u, Role: ownership.Owner})
	}
	for _, r := range []ownership.Record{
		{Ref: ownership.MustRef("contact/c1"), Ownership: owner("rep1")},
		{Ref: ownership.MustRef("contact/c2"), Ownership: owner("rep2")},
		{Ref: ownership.MustRef("contact/c3")}, // unassigned
		{Ref: ownership.MustRef("contact/c4"), Ownership: owner("rep1")},
	} {
		if _, err := st.CompareAndSwap(ctx, r); err != nil {
			fmt.Println(err)
			return
		}
	}
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own},
		}},
	})
	rep1 := ownership.Subject{ID: "rep1", Roles: []string{"sales_rep"}}
	for page := (sqlstore.Page{Limit: 2}); ; {
		recs, next, err := st.List(ctx, policy, rep1, ownership.View, "contact", page)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range recs {
			fmt.Println(r.Ref, r.Ownership)
		}
		if next == (sqlstore.Page{}) {
			break
		}
		fmt.Println("-- next page after", next.After)
		page = next
	}
	// Output:
	// contact/c1 [rep1:owner]
	// contact/c3 []
	// -- next page after c3
	// contact/c4 [rep1:owner]
}

// Where turns the predicate that a policy compiles for one subject into a
// WHERE fragment for a query of the host's own, on ownership_records
// aliased r; values are parameters, numbered after the host's.
func ExampleWhere() {
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {Update: ownership.Own}}},
	})
	pred := policy.Filter(ownership.Subject{ID: "rep1", Roles: []string{"sales_rep"}, Tenant: "acme"}, ownership.Update, "contact")
	where, args, err := sqlstore.Where(pred, sqlstore.Postgres, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("SELECT r.id FROM ownership_records r WHERE r.parent_id = $1 AND " + where)
	fmt.Println(args)
	// Output:
	// SELECT r.id FROM ownership_records r WHERE r.parent_id = $1 AND (r.tenant = $2 AND r.type = $3 AND EXISTS (SELECT 1 FROM ownership_entries e WHERE e.record_type = r.type AND e.record_id = r.id AND e.user_id = $4 AND e.role = 2))
	// [acme contact rep1]
}
