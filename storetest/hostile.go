package storetest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
)

// HostileIDs are ids that break stores which splice text into queries,
// match with LIKE, escape by hand or trust a collation: quotes, SQL
// wildcards and comment markers, statement separators, backslashes,
// slashes (allowed in record ids), whitespace and non-ASCII text. None
// contains a NUL byte, which some databases cannot store in text. Backends
// may use them in tests of their own.
var HostileIDs = []string{
	"it's",
	`"quoted"`,
	"''",
	"%",
	"100%",
	"_",
	"a_b",
	"a%b",
	"--",
	"x -- comment",
	"/* c */",
	"; DROP TABLE records; --",
	"'); DELETE FROM records; --",
	`back\slash`,
	`\'`,
	`\%`,
	"a/b/c",
	"/",
	"$1",
	"?",
	":name",
	"ünïcødé",
	"名前",
	"🙂",
	"tab\there",
	"line\nbreak",
	" spaced ",
	"[x]",
	"*",
}

// hostileTypes are record types (no slash) made of the same characters.
var hostileTypes = []string{"o'type", "t%", "t_", "t--", "tÿpe", `t\`}

// testHostileIDs: hostile record ids, types and user ids are stored and
// found exactly, and never match each other by accident.
func testHostileIDs(t *testing.T, s ownership.Store) {
	parent := ref("contact", "p'; --")
	var want []ownership.Record
	for i, id := range HostileIDs {
		typ := hostileTypes[i%len(hostileTypes)]
		u := ownership.UserID(HostileIDs[(i+1)%len(HostileIDs)])
		r := ownership.Record{
			Ref:       ref(typ, id),
			Parent:    parent,
			Ownership: ownership.MustList(own(string(u)), follow(id)),
			Fields:    map[string]string{id: id},
		}
		want = append(want, put(t, s, r))
	}
	for _, w := range want {
		got := get(t, s, w.Ref)
		if diff := cmp.Diff(w, got, recordCmp); diff != "" {
			t.Errorf("Get(%q) (-want +got):\n%s", w.Ref, diff)
		}
	}
	if got := len(children(t, s, parent)); got != len(HostileIDs) {
		t.Errorf("Children(%q): got %d records, want %d", parent, got, len(HostileIDs))
	}
	if got := children(t, s, ref("contact", "p")); len(got) != 0 {
		t.Errorf("Children(contact/p) matched a hostile parent: %v", got)
	}
	// Every id is on exactly two lists: as the owner of one record and
	// the follower of another (or of the same).
	for i, id := range HostileIDs {
		u := ownership.UserID(id)
		ownerOf := want[(i-1+len(want))%len(want)].Ref.String()
		followerOf := want[i].Ref.String()
		wantRefs := []string{ownerOf, followerOf}
		slices.SortFunc(wantRefs, compareRefStrings(want))
		wantRefs = slices.Compact(wantRefs)
		if got := recordsOf(t, s, u); !slices.Equal(got, wantRefs) {
			t.Errorf("RecordsOf(%q): got %q, want %q", u, got, wantRefs)
		}
		if n := countOwned(t, s, u, ""); n != 1 {
			t.Errorf("CountOwned(%q): got %d, want 1", u, n)
		}
	}
	for _, typ := range hostileTypes {
		n := 0
		for _, w := range want {
			if w.Ref.Type == typ && w.Ownership.IsOwner(ownership.UserID(HostileIDs[0])) {
				n++
			}
		}
		if got := countOwned(t, s, ownership.UserID(HostileIDs[0]), typ); got != n {
			t.Errorf("CountOwned(%q, %q): got %d, want %d", HostileIDs[0], typ, got, n)
		}
	}
	// Look-alikes are other records.
	for _, r := range []ownership.Ref{ref("t%", "x"), ref("t_", "%"), ref("tx", "_"), ref("o'type", "it''s"), ref("o'type", `it\'s`)} {
		_, err := s.Get(ctx, r)
		wantErr(t, "Get("+r.Type+"|"+r.ID+")", err, ownership.ErrNotFound)
	}
}

// compareRefStrings orders "type/id" strings of the given records by ref
// (type, then id); a plain string order would be wrong when a type is a
// prefix of another.
func compareRefStrings(recs []ownership.Record) func(a, b string) int {
	byString := make(map[string]ownership.Ref, len(recs))
	for _, r := range recs {
		byString[r.Ref.String()] = r.Ref
	}
	return func(a, b string) int {
		ra, rb := byString[a], byString[b]
		if ra.Type != rb.Type {
			if ra.Type < rb.Type {
				return -1
			}
			return 1
		}
		switch {
		case ra.ID < rb.ID:
			return -1
		case ra.ID > rb.ID:
			return 1
		}
		return 0
	}
}

// testHostileUsers: hostile user ids and field values are stored and
// looked up exactly.
func testHostileUsers(t *testing.T, s ownership.Store) {
	w := userWriter(t, s)
	for _, id := range HostileIDs {
		putUser(t, w, ownership.User{ID: ownership.UserID(id), Login: "login " + id, Email: id + "@x.io", Fields: map[string]string{id: id, "k": id}})
	}
	for _, id := range HostileIDs {
		u, err := s.User(ctx, ownership.UserID(id))
		if err != nil || u.Login != "login "+id || u.Fields[id] != id {
			t.Errorf("User(%q): got %+v, %v", id, u, err)
		}
		for _, c := range []struct{ field, value string }{{"id", id}, {"login", "login " + id}, {"email", id + "@x.io"}, {"k", id}, {id, id}} {
			u, err := s.UserBy(ctx, c.field, c.value)
			if err != nil || string(u.ID) != id {
				t.Errorf("UserBy(%q, %q): got %q, %v, want %q", c.field, c.value, u.ID, err, id)
			}
		}
	}
}
