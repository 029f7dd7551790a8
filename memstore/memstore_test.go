package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

var ctx = context.Background()

func entry(u string, r ownership.Role) ownership.Entry {
	return ownership.Entry{UserID: ownership.UserID(u), Role: r}
}

func TestCompareAndSwap(t *testing.T) {
	var s memstore.Store // the zero Store is ready to use
	ref := ownership.MustRef("contact/c1")
	if _, err := s.Get(ctx, ref); !errors.Is(err, ownership.ErrNotFound) {
		t.Fatalf("Get on empty store: %v, want ErrNotFound", err)
	}
	v1, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Ownership: ownership.MustList(entry("ann", ownership.Owner))})
	if err != nil || v1.Version != 1 {
		t.Fatalf("create: %v v%d", err, v1.Version)
	}
	if _, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref}); !errors.Is(err, ownership.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	v2, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Version: 1})
	if err != nil || v2.Version != 2 {
		t.Fatalf("update at v1: %v v%d", err, v2.Version)
	}
	if _, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Version: 1, Ownership: ownership.MustList(entry("bob", ownership.Owner))}); !errors.Is(err, ownership.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	got, _ := s.Get(ctx, ref)
	if got.Version != 2 || got.Ownership.Len() != 0 {
		t.Fatalf("a stale write changed the record: %+v", got)
	}
	if _, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef("contact/zz"), Version: 3}); !errors.Is(err, ownership.ErrConflict) {
		t.Fatalf("update of a missing record: %v, want ErrConflict", err)
	}
	if _, err := s.CompareAndSwap(ctx, ownership.Record{}); !errors.Is(err, ownership.ErrInvalid) {
		t.Fatalf("zero ref: %v, want ErrInvalid", err)
	}
}

func TestRecordsAreCopies(t *testing.T) {
	s := memstore.New()
	ref := ownership.MustRef("contract/k1")
	in := ownership.Record{Ref: ref, Fields: map[string]string{"amount": "100"}}
	if _, err := s.CompareAndSwap(ctx, in); err != nil {
		t.Fatal(err)
	}
	in.Fields["amount"] = "999"
	out, _ := s.Get(ctx, ref)
	out.Fields["amount"] = "0"
	again, _ := s.Get(ctx, ref)
	if again.Fields["amount"] != "100" {
		t.Fatalf("stored field changed through a caller's map: %q", again.Fields["amount"])
	}
}

func TestIndexes(t *testing.T) {
	s := memstore.New()
	c := ownership.MustRef("contact/c1")
	put := func(r ownership.Record) ownership.Record {
		t.Helper()
		out, err := s.CompareAndSwap(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	put(ownership.Record{Ref: c, Ownership: ownership.MustList(entry("ann", ownership.Owner), entry("bob", ownership.Follower))})
	d1 := put(ownership.Record{Ref: ownership.MustRef("document/d1"), Parent: c, Ownership: ownership.MustList(entry("ann", ownership.Owner))})
	put(ownership.Record{Ref: ownership.MustRef("document/d2"), Parent: c})
	put(ownership.Record{Ref: ownership.MustRef("order/o1"), Ownership: ownership.MustList(entry("ann", ownership.Owner))})

	var kids []string
	for r, err := range s.Children(ctx, c) {
		if err != nil {
			t.Fatal(err)
		}
		kids = append(kids, r.Ref.String())
	}
	if !slices.Equal(kids, []string{"document/d1", "document/d2"}) {
		t.Errorf("Children = %v", kids)
	}
	refsOf := func(u ownership.UserID) []string {
		var out []string
		for ref, err := range s.RecordsOf(ctx, u) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ref.String())
		}
		return out
	}
	if got := refsOf("ann"); !slices.Equal(got, []string{"contact/c1", "document/d1", "order/o1"}) {
		t.Errorf("RecordsOf(ann) = %v", got)
	}
	if got := refsOf("bob"); !slices.Equal(got, []string{"contact/c1"}) {
		t.Errorf("RecordsOf(bob) = %v", got)
	}
	for _, c := range []struct {
		typ  string
		want int
	}{{"", 3}, {"document", 1}, {"invoice", 0}} {
		if n, err := s.CountOwned(ctx, "ann", c.typ); err != nil || n != c.want {
			t.Errorf("CountOwned(ann, %q) = %d, %v; want %d", c.typ, n, err, c.want)
		}
	}
	if n, _ := s.CountOwned(ctx, "bob", ""); n != 0 {
		t.Errorf("a follower counted as owner: %d", n)
	}
	// Moving d1 to another parent and off ann's list updates the indexes.
	d1.Parent, d1.Ownership = ownership.MustRef("contact/c9"), ownership.List{}
	put(d1)
	if got := refsOf("ann"); !slices.Equal(got, []string{"contact/c1", "order/o1"}) {
		t.Errorf("RecordsOf(ann) after removal = %v", got)
	}
	n := 0
	for range s.Children(ctx, c) {
		n++
	}
	if n != 1 {
		t.Errorf("c1 has %d children after a move, want 1", n)
	}
	if err := s.Delete(ctx, ownership.MustRef("order/o1")); err != nil {
		t.Fatal(err)
	}
	if got := refsOf("ann"); !slices.Equal(got, []string{"contact/c1"}) {
		t.Errorf("RecordsOf(ann) after delete = %v", got)
	}
	// Iteration stops when asked and reports a cancelled context.
	for range s.RecordsOf(ctx, "ann") {
		break
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range s.Children(cctx, c) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Children: %v", err)
		}
	}
	all := 0
	for _, err := range s.All(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		all++
	}
	if all != 3 {
		t.Errorf("All lists %d records, want 3", all)
	}
}

func TestUsers(t *testing.T) {
	s := memstore.New()
	for _, u := range []ownership.User{
		{ID: "u1", Login: "ann", Email: "ann@x.io", Fields: map[string]string{"team": "north"}},
		{ID: "u2", Login: "bob", Email: "bob@x.io", Fields: map[string]string{"team": "north"}},
	} {
		if err := s.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutUser(ctx, ownership.User{}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("user without id: %v", err)
	}
	if u, err := s.User(ctx, "u1"); err != nil || u.Login != "ann" {
		t.Errorf("User(u1) = %+v, %v", u, err)
	}
	if _, err := s.User(ctx, "nope"); !errors.Is(err, ownership.ErrNotFound) {
		t.Errorf("User(nope) = %v", err)
	}
	if u, err := s.UserBy(ctx, "login", "bob"); err != nil || u.ID != "u2" {
		t.Errorf("UserBy(login, bob) = %+v, %v", u, err)
	}
	if _, err := s.UserBy(ctx, "login", "zed"); !errors.Is(err, ownership.ErrNotFound) {
		t.Errorf("UserBy(login, zed) = %v", err)
	}
	_, err := s.UserBy(ctx, "team", "north")
	if !errors.Is(err, ownership.ErrAmbiguous) || errors.Is(err, ownership.ErrConflict) || !containsAll(err.Error(), "u1", "u2") {
		t.Errorf("UserBy on a shared field = %v, want ErrAmbiguous naming u1 and u2", err)
	}
	n := 0
	for u, err := range s.Users(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		u.Fields["team"] = "changed"
	}
	if u, _ := s.User(ctx, "u1"); n != 2 || u.Fields["team"] != "north" {
		t.Errorf("Users listed %d; a caller changed a stored user: %+v", n, u)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// TestConcurrentCompareAndSwap hammers one record from many goroutines:
// every successful write must have read the version it replaced, so the
// final version equals the number of successes.
func TestConcurrentCompareAndSwap(t *testing.T) {
	s := memstore.New()
	ref := ownership.MustRef("contact/hot")
	if _, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				r, err := s.Get(ctx, ref)
				if err != nil {
					t.Error(err)
					return
				}
				r.Ownership = ownership.MustList(entry(fmt.Sprintf("g%d-%d", g, i), ownership.Owner))
				if _, err := s.CompareAndSwap(ctx, r); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, ownership.ErrConflict) {
					t.Error(err)
				}
				for range s.RecordsOf(ctx, "g0-0") {
				}
			}
		}()
	}
	wg.Wait()
	r, _ := s.Get(ctx, ref)
	if r.Version != uint64(wins)+1 {
		t.Fatalf("version %d after %d successful writes, want %d", r.Version, wins, wins+1)
	}
}

// TestRecreateAfterDeleteKeepsVersionsMoving: a writer that read a record
// before it was deleted and created again must not overwrite the new one.
func TestRecreateAfterDeleteKeepsVersionsMoving(t *testing.T) {
	s := memstore.New()
	ref := ownership.MustRef("contact/c1")
	stale, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Ownership: ownership.MustList(entry("ann", ownership.Owner))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	again, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Ownership: ownership.MustList(entry("bob", ownership.Owner))})
	if err != nil {
		t.Fatal(err)
	}
	if again.Version <= stale.Version {
		t.Fatalf("re-created at version %d, not after the deleted %d", again.Version, stale.Version)
	}
	stale.Ownership = ownership.List{}
	if _, err := s.CompareAndSwap(ctx, stale); !errors.Is(err, ownership.ErrConflict) {
		t.Fatalf("stale write after re-create: %v, want ErrConflict", err)
	}
	if got, _ := s.Get(ctx, ref); !got.Ownership.IsOwner("bob") {
		t.Fatalf("the re-created record was overwritten: %s", got.Ownership)
	}
}

// TestQueueIsNoUser: a queue's entry is indexed under no user, so that
// no user id, the empty one included, lists the records a queue holds.
func TestQueueIsNoUser(t *testing.T) {
	s := memstore.New()
	ref := ownership.MustRef("ticket/t1")
	queued := ownership.MustList(ownership.Entry{Queue: "support", Role: ownership.Owner}, entry("ann", ownership.Follower))
	r, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Ownership: queued})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string, want map[ownership.UserID][]ownership.Ref) {
		t.Helper()
		for _, u := range []ownership.UserID{"", "ann"} {
			var got []ownership.Ref
			for ref, err := range s.RecordsOf(ctx, u) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ref)
			}
			if !slices.Equal(got, want[u]) {
				t.Errorf("%s: RecordsOf(%q) = %v, want %v", when, u, got, want[u])
			}
		}
	}
	check("queued", map[ownership.UserID][]ownership.Ref{"ann": {ref}})
	r.Ownership, _ = queued.InQueue("billing")
	if r, err = s.CompareAndSwap(ctx, r); err != nil {
		t.Fatal(err)
	}
	check("moved to another queue", map[ownership.UserID][]ownership.Ref{"ann": {ref}})
	if err := s.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	check("deleted", nil)
}
