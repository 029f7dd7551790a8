package hostsquirrel_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/Masterminds/squirrel"
	_ "modernc.org/sqlite"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
	"github.com/ownershipkit/ownership/sqlstore/hostsql"
	"github.com/ownershipkit/ownership/sqlstore/hostsquirrel"
)

// TestWhere: beside the host's own conditions, in a statement squirrel
// numbers for PostgreSQL, the policy's condition keeps its arguments in
// order, one per placeholder.
func TestWhere(t *testing.T) {
	contacts := hostsql.MustTable(hostsql.Mapping{Type: "contact", Table: "contacts", Key: "id",
		KeyKind: hostsql.KeyInteger, OwnerColumn: "owner_id"}, sqlstore.Postgres)
	// Owned by ann, or by someone else than ann: "ann" twice in the
	// condition, once as a parameter in hostsql's own numbering.
	pred := ownership.NewPredicate("contact", ownership.Or(ownership.OwnedBy("ann"),
		ownership.And(ownership.Not(ownership.IsUnassigned()), ownership.Not(ownership.OwnedBy("ann")))))
	q, args, err := squirrel.Select("c.id").From("contacts c").
		Where(squirrel.Eq{"c.city": "Lyon"}).
		Where(hostsquirrel.Where(contacts, pred, "c")).
		Where("c.id > ?", 10).
		PlaceholderFormat(squirrel.Dollar).ToSql()
	want := `SELECT c.id FROM contacts c WHERE c.city = $1 AND (((c."owner_id" IS NOT NULL AND c."owner_id" = $2) OR (NOT COALESCE(((c."owner_id" IS NULL OR c."owner_id" = '')), FALSE) AND NOT COALESCE(((c."owner_id" IS NOT NULL AND c."owner_id" = $3)), FALSE)))) AND c.id > $4`
	if err != nil || q != want || !slices.Equal(args, []any{"Lyon", "ann", "ann", 10}) {
		t.Errorf("got  %s %q %v\nwant %s", q, args, err, want)
	}
	_, _, err = squirrel.Select("c.id").From("contacts c").
		Where(hostsquirrel.Where(contacts, ownership.NewPredicate("contact", ownership.Cond{Op: 99}), "c")).ToSql()
	if !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("an untranslatable predicate: got %v, want ErrInvalid", err)
	}
}

// TestSQLite: run against SQLite, the rows a squirrel query selects are
// the contacts of the city that Decide lets each rep view.
func TestSQLite(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "crm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE contacts (id INTEGER PRIMARY KEY, city TEXT, owner_id TEXT)`); err != nil {
		t.Fatal(err)
	}
	owners := []any{nil, "", "rep1", "rep2", "it's"}
	var records []ownership.Record
	city := map[string]string{}
	for i := range 60 {
		o, c := owners[i%len(owners)], []string{"Lyon", "Oslo"}[i%3%2]
		if _, err := db.Exec(`INSERT INTO contacts (id, city, owner_id) VALUES (?, ?, ?)`, i, c, o); err != nil {
			t.Fatal(err)
		}
		r := ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprint(i)}}
		if s, ok := o.(string); ok && s != "" {
			r.Ownership = ownership.MustList(ownership.Entry{UserID: ownership.UserID(s), Role: ownership.Owner})
		}
		records = append(records, r)
		city[r.Ref.ID] = c
	}
	contacts := hostsql.MustTable(hostsql.Mapping{Type: "contact", Table: "contacts", Key: "id",
		KeyKind: hostsql.KeyInteger, OwnerColumn: "owner_id"}, sqlstore.SQLite)
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"rep":     {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own}}},
		"auditor": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Others}}},
	})
	for _, s := range []ownership.Subject{{ID: "rep1", Roles: []string{"rep"}}, {ID: "it's", Roles: []string{"auditor"}}, {ID: "rep2", Roles: []string{"rep", "auditor"}}} {
		for _, a := range []ownership.Action{ownership.View, ownership.Update} {
			q, args, err := squirrel.Select("c.id").From("contacts c").
				Where(hostsquirrel.Where(contacts, p.Filter(s, a, "contact"), "c")).
				Where(squirrel.Eq{"c.city": "Lyon"}).OrderBy("c.id").ToSql()
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.QueryContext(ctx, q, args...)
			if err != nil {
				t.Fatalf("%s %q: %v", q, args, err)
			}
			var got, want []string
			for rows.Next() {
				var id string
				rows.Scan(&id)
				got = append(got, id)
			}
			rows.Close()
			for _, r := range records {
				if city[r.Ref.ID] == "Lyon" && p.Decide(s, a, r).Allowed {
					want = append(want, r.Ref.ID)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s %v %v:\n got %q\nwant %q", s.ID, s.Roles, a, got, want)
			}
		}
	}
}

// TestWhereTenants: a predicate confined to a tenant the mapping cannot
// tell apart is ToSql's error, never a statement over every tenant's
// rows; a set of owners is one IN list with squirrel's placeholders.
func TestWhereTenants(t *testing.T) {
	contacts := hostsql.MustTable(hostsql.Mapping{Type: "contact", Table: "contacts", Key: "id",
		KeyKind: hostsql.KeyInteger, OwnerColumn: "owner_id"}, sqlstore.Postgres)
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{
		"rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Reports}}},
	})
	manager := ownership.Subject{ID: "ann", Roles: []string{"rep"}, Reach: ownership.NewReach(nil, []ownership.UserID{"bob"}, nil)}
	q, args, err := squirrel.Select("c.id").From("contacts c").
		Where(hostsquirrel.Where(contacts, policy.Filter(manager, ownership.View, "contact"), "c")).
		PlaceholderFormat(squirrel.Dollar).ToSql()
	want := `SELECT c.id FROM contacts c WHERE (((c."owner_id" IS NOT NULL AND c."owner_id" = $1) OR ((c."owner_id" IS NOT NULL AND c."owner_id" IN ($2)) AND NOT COALESCE(((c."owner_id" IS NOT NULL AND c."owner_id" = $3)), FALSE))))`
	if err != nil || q != want || !slices.Equal(args, []any{"ann", "bob", "ann"}) {
		t.Errorf("got  %s %q %v\nwant %s", q, args, err, want)
	}
	manager.Tenant = "acme"
	_, _, err = squirrel.Select("c.id").From("contacts c").
		Where(hostsquirrel.Where(contacts, policy.Filter(manager, ownership.View, "contact"), "c")).ToSql()
	if !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("a predicate confined to tenant acme: %v, want ErrInvalid", err)
	}
}
