package hostsql

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// TestWhere pins the translation of each operator over an owner column:
// every test of the nullable column is NULL-safe, and negations are
// written so that NULL would count as false.
func TestWhere(t *testing.T) {
	tab := MustTable(Mapping{Type: "contact", Table: "crm.contacts", Key: "id", KeyKind: KeyInteger, OwnerColumn: "owner_id"}, sqlstore.Postgres)
	ann := ownership.UserID("ann")
	const owned = `(c."owner_id" IS NOT NULL AND c."owner_id" = $3)`
	const unassigned = `(c."owner_id" IS NULL OR c."owner_id" = '')`
	for _, tc := range []struct {
		name string
		cond ownership.Cond
		want string
		args []any
	}{
		{"all", ownership.AllRecords(), "(TRUE)", nil},
		{"owned", ownership.OwnedBy(ann), "(" + owned + ")", []any{"ann"}},
		{"followed: an owner column has no followers", ownership.FollowedBy(ann), "(FALSE)", nil},
		{"unassigned", ownership.IsUnassigned(), "(" + unassigned + ")", nil},
		{"synced: the mapping has no mode", ownership.IsSynced(), "(FALSE)", nil},
		{"owned by someone else", ownership.And(ownership.Not(ownership.IsUnassigned()), ownership.Not(ownership.OwnedBy(ann))),
			"((NOT COALESCE((" + unassigned + "), FALSE) AND NOT COALESCE((" + owned + "), FALSE)))", []any{"ann"}},
		{"view own or unassigned", ownership.Or(ownership.OwnedBy(ann), ownership.FollowedBy(ann), ownership.IsUnassigned()),
			"((" + owned + " OR " + unassigned + "))", []any{"ann"}},
		{"a user id twice is one parameter", ownership.Or(ownership.OwnedBy(ann), ownership.Not(ownership.OwnedBy(ann))),
			"((" + owned + " OR NOT COALESCE((" + owned + "), FALSE)))", []any{"ann"}},
		{"no user id matches nothing", ownership.OwnedBy(""), "(FALSE)", nil},
		{"a user id SQL cannot hold matches nothing", ownership.OwnedBy("a\x00b"), "(FALSE)", nil},
		{"empty and matches nothing", ownership.Cond{Op: ownership.OpAnd}, "(FALSE)", nil},
		{"owned by any: one IN list", ownership.OwnedByAny(ann, "bob", "", ann),
			`((c."owner_id" IS NOT NULL AND c."owner_id" IN ($3, $4)))`, []any{"ann", "bob"}},
		{"owned by any of nobody SQL can hold", ownership.OwnedByAny("", "a\x00b"), "(FALSE)", nil},
		{"the empty tenant: every row", ownership.And(ownership.InTenant(""), ownership.OwnedBy(ann)), "(" + owned + ")", []any{"ann"}},
		{"another tenant: no row", ownership.Or(ownership.InTenant("acme"), ownership.OwnedBy(ann)), "(" + owned + ")", []any{"ann"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, args, err := tab.Where(ownership.NewPredicate("contact", tc.cond), "c", 2)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !slices.Equal(args, tc.args) {
				t.Errorf("got args %q, want %q", args, tc.args)
			}
		})
	}
	// Another type, and the zero predicate, match nothing.
	for _, p := range []ownership.Predicate{ownership.NewPredicate("deal", ownership.AllRecords()), {}} {
		if got, args, err := tab.Where(p, "c", 0); got != "FALSE" || args != nil || err != nil {
			t.Errorf("Where(%v) = %q, %q, %v; want FALSE", p, got, args, err)
		}
	}
}

// TestWhereSQLite: parameters are numbered ?n for SQLite.
func TestWhereSQLite(t *testing.T) {
	tab := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", OwnerColumn: "owner_id"}, sqlstore.SQLite)
	got, _, err := tab.Where(ownership.NewPredicate("contact", ownership.OwnedBy("ann")), "c", 4)
	if want := `(c."id" <> '' AND (c."owner_id" IS NOT NULL AND c."owner_id" = ?5))`; got != want || err != nil {
		t.Errorf("got %s, %v\nwant %s", got, err, want)
	}
}

// TestWhereRefuses: what cannot be translated exactly is an error
// wrapping ErrInvalid, never a wider query.
func TestWhereRefuses(t *testing.T) {
	tab := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", OwnerColumn: "owner_id"}, sqlstore.Postgres)
	deep := ownership.IsUnassigned()
	for range 120 {
		deep = ownership.Cond{Op: ownership.OpNot, Args: []ownership.Cond{deep}}
	}
	for _, tc := range []struct {
		name  string
		p     ownership.Predicate
		alias string
	}{
		{"unknown operator", ownership.NewPredicate("contact", ownership.Cond{Op: 99}), "c"},
		{"unknown operator under or", ownership.NewPredicate("contact", ownership.Cond{Op: ownership.OpOr, Args: []ownership.Cond{ownership.AllRecords(), {Op: 42}}}), "c"},
		{"unknown operator in another type's predicate", ownership.NewPredicate("deal", ownership.Cond{Op: 99}), "c"},
		{"not with two arguments", ownership.NewPredicate("contact", ownership.Cond{Op: ownership.OpNot, Args: []ownership.Cond{{}, {}}}), "c"},
		{"too deep", ownership.NewPredicate("contact", deep), "c"},
		{"alias with a quote", ownership.NewPredicate("contact", ownership.AllRecords()), `c"; DROP TABLE contacts; --`},
		{"empty alias", ownership.NewPredicate("contact", ownership.AllRecords()), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := tab.Where(tc.p, tc.alias, 0)
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("got %q, %v; want an error wrapping ErrInvalid", got, err)
			}
		})
	}
}

// TestNewTable: malformed mappings are refused with ErrInvalid; names are
// quoted.
func TestNewTable(t *testing.T) {
	ok := Mapping{Type: "contact", Table: "contacts", Key: "id", OwnerColumn: "owner_id"}
	for _, tc := range []struct {
		name string
		edit func(*Mapping)
	}{
		{"no type", func(m *Mapping) { m.Type = "" }},
		{"type with a slash", func(m *Mapping) { m.Type = "a/b" }},
		{"table with a quote", func(m *Mapping) { m.Table = `contacts"; DROP TABLE users; --` }},
		{"table with three parts", func(m *Mapping) { m.Table = "a.b.c" }},
		{"column with a space", func(m *Mapping) { m.OwnerColumn = "owner id" }},
		{"no key", func(m *Mapping) { m.Key = "" }},
		{"no source of ownership", func(m *Mapping) { m.OwnerColumn = "" }},
		{"two sources", func(m *Mapping) {
			m.Field = &Field{Column: "email", Users: "users", UserID: "id", UserValue: "email"}
		}},
		{"parent column without parent", func(m *Mapping) { m.ParentColumn = "account_id" }},
		{"entries with equal roles", func(m *Mapping) {
			m.OwnerColumn = ""
			m.Entries = &Entries{Table: "e", Key: "k", User: "u", Role: "r", Owner: "x", Follower: "x"}
		}},
		{"unknown key kind", func(m *Mapping) { m.KeyKind = 9 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.edit(&m)
			if _, err := NewTable(m, sqlstore.Postgres); !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("got %v, want an error wrapping ErrInvalid", err)
			}
		})
	}
	if _, err := NewTable(ok, 0); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("zero dialect: got %v, want ErrInvalid", err)
	}
	tab := MustTable(Mapping{Type: "contact", Table: "crm.Contacts", Key: "id", OwnerColumn: "owner_id"}, sqlstore.Postgres)
	if tab.table != `"crm"."Contacts"` {
		t.Errorf("got table %s, want it quoted part by part", tab.table)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "MustTable") {
			t.Errorf("MustTable of a bad mapping: got panic %v, want one naming MustTable", r)
		}
	}()
	MustTable(Mapping{}, sqlstore.Postgres)
}

// TestWhereTenantsAndQueues: a mapping has no tenant and no queues, so a
// predicate confined to a non-empty tenant, and a condition on queues,
// are refused on every kind of mapping rather than translated to more
// rows; a subject of the empty tenant is served as before.
func TestWhereTenantsAndQueues(t *testing.T) {
	owner := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", KeyKind: KeyInteger, OwnerColumn: "owner_id"}, sqlstore.Postgres)
	entries := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", KeyKind: KeyInteger,
		Entries: &Entries{Table: "contact_owners", Key: "contact_id", User: "user_id", Role: "role"}}, sqlstore.SQLite)
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{
		"rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Teammates, Claim: true}}},
	})
	team := ownership.NewReach([]ownership.UserID{"bob", "cy"}, nil, nil)
	for _, tab := range []*Table{owner, entries} {
		confined := policy.Filter(ownership.Subject{ID: "ann", Roles: []string{"rep"}, Tenant: "acme"}, ownership.View, "contact")
		if got, args, err := tab.Where(confined, "c", 0); !errors.Is(err, ownership.ErrInvalid) || got != "" || args != nil {
			t.Errorf("Where(%v) = %q, %v, %v; want ErrInvalid", confined, got, args, err)
		}
		single := policy.Filter(ownership.Subject{ID: "ann", Roles: []string{"rep"}, Reach: team}, ownership.View, "contact")
		got, args, err := tab.Where(single, "c", 0)
		if err != nil || !slices.Contains(args, any("bob")) || !slices.Contains(args, any("cy")) {
			t.Errorf("Where(%v) = %q, %v, %v; want the teammates as parameters", single, got, args, err)
		}
		queued := policy.Filter(ownership.Subject{ID: "ann", Roles: []string{"rep"}, Reach: ownership.NewReach(nil, nil, []ownership.QueueID{"support"})}, ownership.Claim, "contact")
		for _, p := range []ownership.Predicate{queued, ownership.NewPredicate("contact", ownership.Not(ownership.IsQueued()))} {
			if got, _, err := tab.Where(p, "c", 0); !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("Where(%v) = %q, %v; want ErrInvalid: no mapping holds queues", p, got, err)
			}
		}
	}
}
