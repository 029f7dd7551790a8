package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
)

// testEmpty: a new store knows nothing and lists nothing.
func testEmpty(t *testing.T, s ownership.Store) {
	c1 := ref("contact", "c1")
	_, err := s.Get(ctx, c1)
	wantErr(t, "Get on an empty store", err, ownership.ErrNotFound)
	_, err = s.User(ctx, "ann")
	wantErr(t, "User on an empty store", err, ownership.ErrNotFound)
	_, err = s.UserBy(ctx, "login", "ann")
	wantErr(t, "UserBy on an empty store", err, ownership.ErrNotFound)
	if got := children(t, s, c1); len(got) != 0 {
		t.Errorf("Children on an empty store: got %v, want none", got)
	}
	if got := recordsOf(t, s, "ann"); len(got) != 0 {
		t.Errorf("RecordsOf on an empty store: got %v, want none", got)
	}
	if n := countOwned(t, s, "ann", ""); n != 0 {
		t.Errorf("CountOwned on an empty store: got %d, want 0", n)
	}
}

// testVersions: compare-and-swap creates at version 0, then moves one
// version at a time; every stale write fails with ErrConflict and changes
// nothing.
func testVersions(t *testing.T, s ownership.Store) {
	c1 := ref("contact", "c1")
	v1 := put(t, s, ownership.Record{Ref: c1, Ownership: ownership.MustList(own("ann"))})
	if v1.Version != 1 {
		t.Fatalf("create: got version %d, want 1", v1.Version)
	}
	if got := get(t, s, c1); got.Version != 1 || !got.Ownership.Equal(v1.Ownership) {
		t.Errorf("Get after create: got %+v, want %+v", got, v1)
	}

	_, err := s.CompareAndSwap(ctx, ownership.Record{Ref: c1, Ownership: ownership.MustList(own("bob"))})
	wantErr(t, "second create", err, ownership.ErrConflict)

	v2 := put(t, s, ownership.Record{Ref: c1, Version: 1, Ownership: ownership.MustList(own("bob"))})
	if v2.Version != 2 {
		t.Fatalf("update at v1: got version %d, want 2", v2.Version)
	}
	_, err = s.CompareAndSwap(ctx, ownership.Record{Ref: c1, Version: 1, Ownership: ownership.MustList(own("cat"))})
	wantErr(t, "update at a stale version", err, ownership.ErrConflict)
	_, err = s.CompareAndSwap(ctx, ownership.Record{Ref: c1, Version: 7, Ownership: ownership.MustList(own("cat"))})
	wantErr(t, "update at a future version", err, ownership.ErrConflict)
	if got := get(t, s, c1); got.Version != 2 || !got.Ownership.Equal(v2.Ownership) {
		t.Errorf("a failed write changed the record: got %v v%d, want %v v2", got.Ownership, got.Version, v2.Ownership)
	}
	if got := recordsOf(t, s, "cat"); len(got) != 0 {
		t.Errorf("a failed write changed the index: RecordsOf(cat) = %v", got)
	}

	missing := ref("contact", "zz")
	_, err = s.CompareAndSwap(ctx, ownership.Record{Ref: missing, Version: 3, Ownership: ownership.MustList(own("ann"))})
	wantErr(t, "update of a missing record", err, ownership.ErrConflict)
	_, err = s.Get(ctx, missing)
	wantErr(t, "Get after a failed update of a missing record", err, ownership.ErrNotFound)

	// Many writes in a row: each one sees the version the last one
	// returned.
	r := v2
	for i := range 5 {
		r = put(t, s, r)
		if want := uint64(3 + i); r.Version != want {
			t.Fatalf("write %d: got version %d, want %d", i, r.Version, want)
		}
	}
	// The same ref under another type is another record.
	if o := put(t, s, ownership.Record{Ref: ref("order", "c1")}); o.Version != 1 {
		t.Errorf("create of order/c1 beside contact/c1: got version %d, want 1", o.Version)
	}
}

// testInvalid: malformed references are ErrInvalid and store nothing.
func testInvalid(t *testing.T, s ownership.Store) {
	for _, r := range []ownership.Record{
		{},
		{Ref: ref("contact", "")},
		{Ref: ref("", "c1")},
		{Ref: ref("con/tact", "c1")},
		{Ref: ref("contact", "c1"), Parent: ref("", "p")},
		{Ref: ref("contact", "c1"), Parent: ref("account", "")},
		{Ref: ref("contact", "c1"), Parent: ref("acc/ount", "p")},
	} {
		_, err := s.CompareAndSwap(ctx, r)
		wantErr(t, "CompareAndSwap of ref "+r.Ref.Type+"|"+r.Ref.ID+" parent "+r.Parent.Type+"|"+r.Parent.ID, err, ownership.ErrInvalid)
	}
	_, err := s.Get(ctx, ref("contact", "c1"))
	wantErr(t, "Get after invalid writes", err, ownership.ErrNotFound)
}

// testRoundTrip: every part of a record comes back as it went in: list
// order and details, parent, mode, fields.
func testRoundTrip(t *testing.T, s ownership.Store) {
	in := ownership.Record{
		Ref: ref("document", "d1"),
		Ownership: ownership.MustList(
			ownership.Entry{UserID: "zed", Role: ownership.Follower, Email: "Zed <zed@x.io>", GivenName: "Zed"},
			ownership.Entry{UserID: "ann", Role: ownership.Owner, Email: "ann@x.io", GivenName: "Ann", LastName: "Lee"},
			ownership.Entry{UserID: "bob", Role: ownership.Owner, LastName: "Ó Briain"},
		),
		Parent: ref("contact", "c1"),
		Mode:   ownership.SyncWithParent,
		Fields: map[string]string{"customer_email": "John <JOHN@x.io>", "amount": "1000", "note": "ünïcødé ✓", "empty": ""},
	}
	out := put(t, s, in)
	want := in
	want.Version = 1
	if diff := cmp.Diff(want, out, recordCmp); diff != "" {
		t.Errorf("CompareAndSwap result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, get(t, s, in.Ref), recordCmp); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if kids := collect(t, "Children", s.Children(ctx, in.Parent)); len(kids) != 1 {
		t.Errorf("Children: got %d records, want 1", len(kids))
	} else if diff := cmp.Diff(want, kids[0], recordCmp); diff != "" {
		t.Errorf("Children (-want +got):\n%s", diff)
	}

	// An update can clear everything: list, parent, mode and fields.
	cleared := ownership.Record{Ref: in.Ref, Version: 1}
	put(t, s, cleared)
	cleared.Version = 2
	if diff := cmp.Diff(cleared, get(t, s, in.Ref), recordCmp); diff != "" {
		t.Errorf("Get after clearing (-want +got):\n%s", diff)
	}
}

// testCopies: neither the caller's record nor a returned one shares
// anything with the store.
func testCopies(t *testing.T, s ownership.Store) {
	k1 := ref("contract", "k1")
	in := ownership.Record{Ref: k1, Parent: ref("account", "a1"), Fields: map[string]string{"amount": "100"}}
	out := put(t, s, in)
	in.Fields["amount"] = "999"
	out.Fields["amount"] = "998"
	got := get(t, s, k1)
	got.Fields["amount"] = "997"
	for _, r := range collect(t, "Children", s.Children(ctx, ref("account", "a1"))) {
		r.Fields["amount"] = "996"
	}
	if again := get(t, s, k1); again.Fields["amount"] != "100" {
		t.Errorf("a caller's map changed the stored record: got amount %q, want 100", again.Fields["amount"])
	}
}
