package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
)

// testChildren: children follow their parent reference through creates,
// moves and detachments, in ref order, whether or not the parent exists.
func testChildren(t *testing.T, s ownership.Store) {
	c1, c2 := ref("contact", "c1"), ref("contact", "c2")
	put(t, s, ownership.Record{Ref: c1})
	d2 := put(t, s, ownership.Record{Ref: ref("document", "d2"), Parent: c1})
	d1 := put(t, s, ownership.Record{Ref: ref("document", "d1"), Parent: c1, Mode: ownership.SyncWithParent})
	put(t, s, ownership.Record{Ref: ref("attachment", "z9"), Parent: c1})
	put(t, s, ownership.Record{Ref: ref("document", "d3"), Parent: c2}) // c2 is never stored
	put(t, s, ownership.Record{Ref: ref("document", "d4")})

	check := func(parent ownership.Ref, want ...string) {
		t.Helper()
		if got := children(t, s, parent); !slices.Equal(got, want) {
			t.Errorf("Children(%s): got %v, want %v", parent, got, want)
		}
	}
	check(c1, "attachment/z9", "document/d1", "document/d2")
	check(c2, "document/d3")
	check(ref("document", "d1"))
	// A parent of another type with the same id has other children.
	check(ref("account", "c1"))

	d1.Parent = c2
	d1 = put(t, s, d1)
	check(c1, "attachment/z9", "document/d2")
	check(c2, "document/d1", "document/d3")

	d2.Parent = ownership.Ref{}
	put(t, s, d2)
	check(c1, "attachment/z9")

	// A failed write does not move a child.
	d1.Parent = c1
	d1.Version = 99
	_, err := s.CompareAndSwap(ctx, d1)
	wantErr(t, "stale move", err, ownership.ErrConflict)
	check(c1, "attachment/z9")
}

// testRecordsOf: a user's records are those whose list names them, as
// owner or follower, as of the last write.
func testRecordsOf(t *testing.T, s ownership.Store) {
	c1 := put(t, s, ownership.Record{Ref: ref("contact", "c1"), Ownership: ownership.MustList(own("ann"), follow("bob"))})
	put(t, s, ownership.Record{Ref: ref("document", "d1"), Ownership: ownership.MustList(own("ann"))})
	put(t, s, ownership.Record{Ref: ref("order", "o1"), Ownership: ownership.MustList(follow("ann"))})
	put(t, s, ownership.Record{Ref: ref("order", "o2")})

	check := func(u ownership.UserID, want ...string) {
		t.Helper()
		if got := recordsOf(t, s, u); !slices.Equal(got, want) {
			t.Errorf("RecordsOf(%s): got %v, want %v", u, got, want)
		}
	}
	check("ann", "contact/c1", "document/d1", "order/o1")
	check("bob", "contact/c1")
	check("nobody")
	// A prefix of a user id is another user.
	check("an")

	// Demote ann on c1, drop bob, add cat.
	c1.Ownership = ownership.MustList(follow("ann"), own("cat"))
	c1 = put(t, s, c1)
	check("ann", "contact/c1", "document/d1", "order/o1")
	check("bob")
	check("cat", "contact/c1")

	c1.Ownership = ownership.List{}
	put(t, s, c1)
	check("ann", "document/d1", "order/o1")
	check("cat")
}

// testCountOwned: only owner entries count, per type or over all types,
// following every write.
func testCountOwned(t *testing.T, s ownership.Store) {
	c1 := put(t, s, ownership.Record{Ref: ref("contact", "c1"), Ownership: ownership.MustList(own("ann"), follow("bob"))})
	put(t, s, ownership.Record{Ref: ref("contact", "c2"), Ownership: ownership.MustList(own("ann"), own("bob"))})
	put(t, s, ownership.Record{Ref: ref("document", "d1"), Ownership: ownership.MustList(own("ann"))})
	put(t, s, ownership.Record{Ref: ref("order", "o1"), Ownership: ownership.MustList(follow("ann"))})

	check := func(u ownership.UserID, typ string, want int) {
		t.Helper()
		if got := countOwned(t, s, u, typ); got != want {
			t.Errorf("CountOwned(%s, %q): got %d, want %d", u, typ, got, want)
		}
	}
	check("ann", "", 3)
	check("ann", "contact", 2)
	check("ann", "document", 1)
	check("ann", "order", 0)
	check("ann", "invoice", 0)
	check("bob", "", 1)
	check("bob", "contact", 1)
	check("nobody", "", 0)

	c1.Ownership = ownership.MustList(follow("ann"), own("bob"))
	put(t, s, c1)
	check("ann", "", 2)
	check("ann", "contact", 1)
	check("bob", "contact", 2)
}

// testRefOrder: listings are in ref order, the type first, then the id,
// both compared byte by byte (as Go compares strings), whatever the
// database's collation would say.
func testRefOrder(t *testing.T, s ownership.Store) {
	ids := []string{"b", "B", "a", "A", "ab", "a b", "a-b", "a_b", "a/b", "a.b", "10", "9", "_", "%", "~", "é", "e", "z", "Z", "ü", "日本", "😀", "a\tb", " a"}
	types := []string{"doc", "Doc", "doc_x", "doc-x", "docs"}
	parent := ref("contact", "p")
	var want []string
	for _, typ := range types {
		for _, id := range ids {
			r := ref(typ, id)
			put(t, s, ownership.Record{Ref: r, Parent: parent, Ownership: ownership.MustList(own("ann"))})
			want = append(want, r.String())
		}
	}
	// ref order: by type, then by id.
	slices.SortFunc(want, func(a, b string) int {
		at, aid, _ := strings.Cut(a, "/")
		bt, bid, _ := strings.Cut(b, "/")
		if c := strings.Compare(at, bt); c != 0 {
			return c
		}
		return strings.Compare(aid, bid)
	})
	if got := children(t, s, parent); !slices.Equal(got, want) {
		t.Errorf("Children order:\n got %q\nwant %q", got, want)
	}
	if got := recordsOf(t, s, "ann"); !slices.Equal(got, want) {
		t.Errorf("RecordsOf order:\n got %q\nwant %q", got, want)
	}
}

// testDelete: for a store that can delete, a deleted record leaves every
// listing and count, and deleting nothing is not an error.
func testDelete(t *testing.T, s ownership.Store) {
	d, ok := s.(Deleter)
	if !ok {
		t.Skipf("%T does not implement storetest.Deleter", s)
	}
	c1 := ref("contact", "c1")
	d1 := ref("document", "d1")
	put(t, s, ownership.Record{Ref: c1, Ownership: ownership.MustList(own("ann"))})
	put(t, s, ownership.Record{Ref: d1, Parent: c1, Ownership: ownership.MustList(own("ann"), follow("bob"))})
	if err := d.Delete(ctx, d1); err != nil {
		t.Fatalf("Delete(%s): %v", d1, err)
	}
	_, err := s.Get(ctx, d1)
	wantErr(t, "Get after Delete", err, ownership.ErrNotFound)
	if got := children(t, s, c1); len(got) != 0 {
		t.Errorf("Children after Delete: got %v, want none", got)
	}
	if got := recordsOf(t, s, "bob"); len(got) != 0 {
		t.Errorf("RecordsOf(bob) after Delete: got %v, want none", got)
	}
	if n := countOwned(t, s, "ann", ""); n != 1 {
		t.Errorf("CountOwned(ann) after Delete: got %d, want 1", n)
	}
	if err := d.Delete(ctx, d1); err != nil {
		t.Errorf("Delete of a missing record: %v", err)
	}
	// The ref is free again, and a create continues after the deleted
	// record's versions: a writer that still holds one of them cannot
	// overwrite the new record.
	r := put(t, s, ownership.Record{Ref: d1, Ownership: ownership.MustList(own("carl"))})
	if r.Version <= 1 {
		t.Errorf("create after Delete: got version %d, want more than the deleted record's 1", r.Version)
	}
	_, err = s.CompareAndSwap(ctx, ownership.Record{Ref: d1, Version: 1})
	wantErr(t, "stale write after Delete and create", err, ownership.ErrConflict)
	if got, err := s.Get(ctx, d1); err != nil || !got.Ownership.IsOwner("carl") {
		t.Errorf("the re-created record: %s, %v; want it kept", got.Ownership, err)
	}
}

// testEarlyStop: a loop that stops early releases whatever the iterator
// held (locks, connections, cursors): the store keeps working, many times
// over.
func testEarlyStop(t *testing.T, s ownership.Store) {
	c1 := ref("contact", "c1")
	for i := range 3 {
		put(t, s, ownership.Record{Ref: ref("document", fmt.Sprint("d", i)), Parent: c1, Ownership: ownership.MustList(own("ann"))})
	}
	for i := range 40 {
		n := 0
		for _, err := range s.Children(ctx, c1) {
			if err != nil {
				t.Fatalf("Children: %v", err)
			}
			n++
			break
		}
		for _, err := range s.RecordsOf(ctx, "ann") {
			if err != nil {
				t.Fatalf("RecordsOf: %v", err)
			}
			n++
			break
		}
		if n != 2 {
			t.Fatalf("round %d: got %d items before break, want 2", i, n)
		}
		// A write in the middle of an unfinished loop must not deadlock.
		for r, err := range s.Children(ctx, c1) {
			if err != nil {
				t.Fatalf("Children: %v", err)
			}
			put(t, s, r)
			break
		}
	}
	if got := get(t, s, ref("document", "d0")); got.Version != 41 {
		t.Errorf("after 40 writes from inside loops: got version %d, want 41", got.Version)
	}
}

// testCancelled: a context that has ended stops every method, which
// reports it; a cancelled write changes nothing.
func testCancelled(t *testing.T, s ownership.Store) {
	c1 := ref("contact", "c1")
	put(t, s, ownership.Record{Ref: c1, Parent: ref("account", "a1"), Ownership: ownership.MustList(own("ann"))})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: got %v, want context.Canceled", what, err)
		}
	}
	_, err := s.Get(cctx, c1)
	check("Get", err)
	_, err = s.CompareAndSwap(cctx, ownership.Record{Ref: c1, Version: 1})
	check("CompareAndSwap", err)
	_, err = s.CompareAndSwap(cctx, ownership.Record{Ref: ref("contact", "c2")})
	check("CompareAndSwap (create)", err)
	_, err = s.CountOwned(cctx, "ann", "")
	check("CountOwned", err)
	_, err = s.User(cctx, "ann")
	check("User", err)
	_, err = s.UserBy(cctx, "login", "ann")
	check("UserBy", err)
	n := 0
	for _, err := range s.Children(cctx, ref("account", "a1")) {
		check("Children", err)
		n++
	}
	for _, err := range s.RecordsOf(cctx, "ann") {
		check("RecordsOf", err)
		n++
	}
	if n != 2 {
		t.Errorf("cancelled iterators yielded %d times, want once each (the error)", n)
	}
	if got := get(t, s, c1); got.Version != 1 {
		t.Errorf("a cancelled write changed the record: got version %d, want 1", got.Version)
	}
	_, err = s.Get(ctx, ref("contact", "c2"))
	wantErr(t, "Get of a record whose create was cancelled", err, ownership.ErrNotFound)
}

// testCancelledDuringIteration: cancelling while a loop runs ends it with
// the context's error before the next record.
func testCancelledDuringIteration(t *testing.T, s ownership.Store) {
	parent := ref("contact", "c1")
	for i := range 5 {
		put(t, s, ownership.Record{Ref: ref("document", fmt.Sprint("d", i)), Parent: parent, Ownership: ownership.MustList(own("ann"))})
	}
	for name, seq := range map[string]func(context.Context) func(func(any, error) bool){
		"Children": func(c context.Context) func(func(any, error) bool) {
			return func(yield func(any, error) bool) {
				for r, err := range s.Children(c, parent) {
					if !yield(r, err) {
						return
					}
				}
			}
		},
		"RecordsOf": func(c context.Context) func(func(any, error) bool) {
			return func(yield func(any, error) bool) {
				for r, err := range s.RecordsOf(c, "ann") {
					if !yield(r, err) {
						return
					}
				}
			}
		},
	} {
		cctx, cancel := context.WithCancel(ctx)
		items, errs := 0, 0
		for _, err := range seq(cctx) {
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("%s: got error %v, want context.Canceled", name, err)
				}
				errs++
				continue
			}
			items++
			cancel()
		}
		cancel()
		if items != 1 || errs != 1 {
			t.Errorf("%s cancelled after the first item: got %d items and %d errors, want 1 and 1", name, items, errs)
		}
	}
}
