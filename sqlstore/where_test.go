package sqlstore

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/storetest"
)

const (
	owned    = "EXISTS (SELECT 1 FROM ownership_entries e WHERE e.record_type = r.type AND e.record_id = r.id AND e.user_id = %s AND e.role = 2)"
	followed = "EXISTS (SELECT 1 FROM ownership_entries e WHERE e.record_type = r.type AND e.record_id = r.id AND e.user_id = %s AND e.role = 1)"
	onList   = "EXISTS (SELECT 1 FROM ownership_entries e WHERE e.record_type = r.type AND e.record_id = r.id AND e.user_id = %s)"
)

func sub(format string, marker string) string { return strings.Replace(format, "%s", marker, 1) }

func TestWhere(t *testing.T) {
	ann := ownership.UserID("ann")
	cases := []struct {
		name string
		cond ownership.Cond
		want string // for PostgreSQL, after "r.type = $1 AND "
		args []any  // after the type
	}{
		{"all", ownership.AllRecords(), "TRUE", nil},
		{"owned", ownership.OwnedBy(ann), sub(owned, "$2"), []any{"ann"}},
		{"followed", ownership.FollowedBy(ann), sub(followed, "$2"), []any{"ann"}},
		{"unassigned", ownership.IsUnassigned(), "NOT r.has_owner", nil},
		{"synced", ownership.IsSynced(), "r.mode = 1", nil},
		{"not", ownership.Not(ownership.IsSynced()), "NOT (r.mode = 1)", nil},
		{"view own: one subquery", ownership.Or(ownership.OwnedBy(ann), ownership.FollowedBy(ann)), "(" + sub(onList, "$2") + ")", []any{"ann"}},
		{"view own or unassigned: column test first", ownership.Or(ownership.OwnedBy(ann), ownership.FollowedBy(ann), ownership.IsUnassigned()),
			"(NOT r.has_owner OR " + sub(onList, "$2") + ")", []any{"ann"}},
		{"others", ownership.And(ownership.Not(ownership.IsUnassigned()), ownership.Not(ownership.OwnedBy(ann))),
			"(NOT (NOT r.has_owner) AND NOT (" + sub(owned, "$2") + "))", []any{"ann"}},
		{"two users", ownership.Or(ownership.OwnedBy(ann), ownership.FollowedBy("bob")), "(" + sub(owned, "$2") + " OR " + sub(followed, "$3") + ")", []any{"ann", "bob"}},
		{"empty and matches nothing", ownership.Cond{Op: ownership.OpAnd}, "FALSE", nil},
		{"empty or matches nothing", ownership.Cond{Op: ownership.OpOr}, "FALSE", nil},
		{"no user id matches nothing", ownership.OwnedBy(""), "FALSE", nil},
		{"a user id SQL cannot hold matches nothing", ownership.OwnedBy("a\x00b"), "FALSE", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, args, err := Where(ownership.NewPredicate("contact", c.cond), Postgres, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := "(r.type = $1 AND " + c.want + ")"; got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if want := append([]any{"contact"}, c.args...); !slices.Equal(args, want) {
				t.Errorf("got args %q, want %q", args, want)
			}
		})
	}
}

func TestWhereMatchesNothing(t *testing.T) {
	for _, p := range []ownership.Predicate{
		{},
		ownership.NewPredicate("contact", ownership.Cond{}),
		ownership.NewPredicate("contact", ownership.NoRecords()),
		ownership.NewPredicate("", ownership.AllRecords()),
		ownership.NewPredicate("con/tact", ownership.AllRecords()),
		ownership.NewPredicate("con\x00tact", ownership.AllRecords()),
		ownership.NewPredicate("\xff", ownership.AllRecords()),
	} {
		got, args, err := Where(p, SQLite, 0)
		if err != nil || got != "FALSE" || len(args) != 0 {
			t.Errorf("Where(%q: %v) = %q, %q, %v; want FALSE and no arguments", p.Type(), p.Cond(), got, args, err)
		}
	}
}

// TestWhereOffsetAndDialect: parameters continue the caller's numbering;
// SQLite gets numbered ?n markers.
func TestWhereOffsetAndDialect(t *testing.T) {
	p := ownership.NewPredicate("contact", ownership.Or(ownership.OwnedBy("ann"), ownership.FollowedBy("bob")))
	for _, c := range []struct {
		d      Dialect
		offset int
		want   string
	}{
		{Postgres, 3, "(r.type = $4 AND (" + sub(owned, "$5") + " OR " + sub(followed, "$6") + "))"},
		{SQLite, 0, "(r.type = ?1 AND (" + sub(owned, "?2") + " OR " + sub(followed, "?3") + "))"},
		{SQLite, 10, "(r.type = ?11 AND (" + sub(owned, "?12") + " OR " + sub(followed, "?13") + "))"},
	} {
		got, args, err := Where(p, c.d, c.offset)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%v from %d:\n got %s\nwant %s", c.d, c.offset, got, c.want)
		}
		if want := []any{"contact", "ann", "bob"}; !slices.Equal(args, want) {
			t.Errorf("%v: got args %q, want %q", c.d, args, want)
		}
	}
}

// TestWhereBindsValues: the text of the condition never depends on the
// values, however hostile: they all travel as parameters.
func TestWhereBindsValues(t *testing.T) {
	shape := func(typ string, u ownership.UserID) ownership.Predicate {
		return ownership.NewPredicate(typ, ownership.Or(
			ownership.And(ownership.OwnedBy(u), ownership.Not(ownership.IsSynced())),
			ownership.FollowedBy(u), ownership.IsUnassigned(),
		))
	}
	for _, d := range []Dialect{Postgres, SQLite} {
		base, _, err := Where(shape("contact", "ann"), d, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range storetest.HostileIDs {
			typ := strings.ReplaceAll(id, "/", "")
			if typ == "" {
				typ = "t"
			}
			got, args, err := Where(shape(typ, ownership.UserID(id)), d, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != base {
				t.Errorf("%v: the text changed with the values %q/%q:\n got %s\nwant %s", d, typ, id, got, base)
			}
			if want := []any{typ, id, id}; !slices.Equal(args, want) {
				t.Errorf("%v: got args %q, want %q", d, args, want)
			}
		}
	}
}

// TestWhereFailsClosed: what cannot be translated exactly is an error, not
// a query that might return more.
func TestWhereFailsClosed(t *testing.T) {
	deep := ownership.OwnedBy("ann")
	for range maxCondDepth + 1 {
		deep = ownership.Cond{Op: ownership.OpNot, Args: []ownership.Cond{{Op: ownership.OpNot, Args: []ownership.Cond{deep}}}}
	}
	cases := []struct {
		name string
		cond ownership.Cond
	}{
		{"unknown operator", ownership.Cond{Op: 99}},
		{"unknown operator inside or", ownership.Or(ownership.IsUnassigned(), ownership.Cond{Op: 42})},
		{"unknown operator inside not", ownership.Cond{Op: ownership.OpNot, Args: []ownership.Cond{{Op: 200}}}},
		{"not without argument", ownership.Cond{Op: ownership.OpNot}},
		{"not with two arguments", ownership.Cond{Op: ownership.OpNot, Args: []ownership.Cond{ownership.IsSynced(), ownership.IsUnassigned()}}},
		{"too deep", deep},
	}
	for _, c := range cases {
		for _, typ := range []string{"contact", ""} {
			_, _, err := Where(ownership.NewPredicate(typ, c.cond), Postgres, 0)
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("%s (type %q): got %v, want ErrInvalid", c.name, typ, err)
			}
		}
	}
	p := ownership.NewPredicate("contact", ownership.AllRecords())
	if _, _, err := Where(p, 0, 0); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("zero dialect: got %v, want ErrInvalid", err)
	}
	if _, _, err := Where(p, Postgres, -1); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("negative offset: got %v, want ErrInvalid", err)
	}
}
