package sqlstore

import (
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
)

// explainRows is the size of the table behind TestExplain: large enough
// that PostgreSQL's planner prefers an index over reading the table, as it
// would on a production table.
const explainRows = 20000

// TestExplainPostgres asks PostgreSQL how it runs the list queries on a
// CRM-like table of 20,000 analysed contacts: for a sales rep's owned
// records (update scope Own), for the claimable pool (unassigned, not
// synced) and for what the rep may view (own or unassigned: a union of a
// scan of the rep's entries and one of the unassigned index, merged by
// id), no table may be read whole.
func TestExplainPostgres(t *testing.T) {
	s := openPostgres(t, postgresDSN(t))
	bulkLoad(t, s, crmRecords(explainRows))
	rep := ownership.Subject{ID: crmUser(7), Roles: []string{"sales_rep"}}
	for _, c := range []struct {
		name   string
		action ownership.Action
		page   Page
		index  string // an index the plan must use
	}{
		{"owned", ownership.Update, Page{}, "ownership_entries_user"},
		{"owned, later page", ownership.Update, Page{After: "c00010000"}, "ownership_entries_user"},
		{"claimable", ownership.Claim, Page{}, "ownership_records_unassigned"},
		{"viewable (own or unassigned)", ownership.View, Page{}, "ownership_records_unassigned"},
		{"viewable (own or unassigned): the subject's entries too", ownership.View, Page{}, "ownership_entries_user"},
		{"viewable, later page", ownership.View, Page{After: "c00010000"}, "ownership_records_unassigned"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pred := crmPolicy.Filter(rep, c.action, "contact")
			query, args, _, err := s.listQuery(pred, c.page)
			if err != nil {
				t.Fatal(err)
			}
			plan := explain(t, s, query, args)
			t.Logf("%v\n%s", pred, plan)
			if strings.Contains(plan, "Seq Scan") {
				t.Errorf("the plan reads a table whole (Seq Scan):\n%s", plan)
			}
			if !strings.Contains(plan, "Index") || !strings.Contains(plan, c.index) {
				t.Errorf("the plan does not use an index on %s:\n%s", c.index, plan)
			}
			// And the page is right.
			recs, _, err := s.List(ctx, crmPolicy, rep, c.action, "contact", c.page)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				t.Fatalf("got no records")
			}
			for _, r := range recs {
				if !crmPolicy.Decide(rep, c.action, r).Allowed {
					t.Errorf("listed %s (%v), which the policy denies", r.Ref, r.Ownership)
				}
			}
		})
	}
}

// explain returns PostgreSQL's plan of query, as text.
func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.db.QueryContext(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestExplainTenantPostgres: with 100,000 contacts split between two
// tenants (at 20,000 the planner rightly finds reading one small table
// whole cheaper), a sales rep's listings read their own tenant's rows
// through indexes, never a table whole, and list only that tenant's
// records.
func TestExplainTenantPostgres(t *testing.T) {
	s := openPostgres(t, postgresDSN(t))
	tenanted := func(yield func(ownership.Record) bool) {
		i := 0
		for r := range crmRecords(5 * explainRows) {
			r.Tenant = "acme"
			if i%2 == 1 {
				r.Tenant = "globex"
			}
			i++
			if !yield(r) {
				return
			}
		}
	}
	bulkLoad(t, s, tenanted)
	if _, err := s.db.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	rep := ownership.Subject{ID: crmUser(7), Roles: []string{"sales_rep"}, Tenant: "acme"}
	for _, c := range []struct {
		name   string
		action ownership.Action
		index  string
	}{
		{"owned", ownership.Update, "ownership_entries_user"},
		{"claimable", ownership.Claim, "ownership_records_unassigned"},
		{"viewable (own or unassigned)", ownership.View, "ownership_records_unassigned"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pred := crmPolicy.Filter(rep, c.action, "contact")
			if tenant, ok := pred.Tenant(); !ok || tenant != "acme" {
				t.Fatalf("the predicate is not confined to acme: %v", pred)
			}
			query, args, _, err := s.listQuery(pred, Page{})
			if err != nil {
				t.Fatal(err)
			}
			plan := explain(t, s, query, args)
			t.Logf("%v\n%s", pred, plan)
			if strings.Contains(plan, "Seq Scan") {
				t.Errorf("the plan reads a table whole (Seq Scan):\n%s", plan)
			}
			if !strings.Contains(plan, c.index) {
				t.Errorf("the plan does not use %s:\n%s", c.index, plan)
			}
			if !strings.Contains(plan, "tenant = ") {
				t.Errorf("the plan does not test the tenant:\n%s", plan)
			}
			recs, _, err := s.List(ctx, crmPolicy, rep, c.action, "contact", Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				t.Fatal("got no records")
			}
			for _, r := range recs {
				if r.Tenant != "acme" || !crmPolicy.Decide(rep, c.action, r).Allowed {
					t.Errorf("listed %s of tenant %q (%v), which the policy denies", r.Ref, r.Tenant, r.Ownership)
				}
			}
		})
	}
}
