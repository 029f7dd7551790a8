package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ownershipkit/ownership"
)

// Sizes of the concurrency checks: enough goroutines to collide on every
// write, few enough for a database on a small machine.
const (
	writers          = 12
	writesPerWriter  = 10
	concurrentCreate = 8
)

// testConcurrentCAS: many goroutines read a record and write it back at
// the version they read. Every success must have replaced the version it
// read, so the final version is 1 + the successes, and the indexes agree
// with the record that won last.
func testConcurrentCAS(t *testing.T, s ownership.Store) {
	hot := ref("contact", "hot")
	put(t, s, ownership.Record{Ref: hot})
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards wins
		wins int
	)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writesPerWriter {
				r, err := s.Get(ctx, hot)
				if err != nil {
					t.Errorf("Get: %v", err)
					return
				}
				r.Ownership = ownership.MustList(own(fmt.Sprintf("g%d-%d", g, i)), follow("watcher"))
				_, err = s.CompareAndSwap(ctx, r)
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.Is(err, ownership.ErrConflict):
					t.Errorf("CompareAndSwap: got %v, want success or ErrConflict", err)
					return
				}
				for _, err := range s.RecordsOf(ctx, "watcher") {
					if err != nil {
						t.Errorf("RecordsOf: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	final := get(t, s, hot)
	if final.Version != uint64(wins)+1 {
		t.Fatalf("got version %d after %d successful writes, want %d: an update was lost", final.Version, wins, wins+1)
	}
	if wins == 0 {
		t.Fatalf("no write succeeded")
	}
	owner := final.Ownership.FirstOwner()
	for g := range writers {
		for i := range writesPerWriter {
			u := ownership.UserID(fmt.Sprintf("g%d-%d", g, i))
			got := recordsOf(t, s, u)
			if want := u == owner; want != slices.Contains(got, hot.String()) {
				t.Errorf("RecordsOf(%s) = %v although the final owner is %s", u, got, owner)
			}
		}
	}
	if n := countOwned(t, s, owner, "contact"); n != 1 {
		t.Errorf("CountOwned(final owner %s): got %d, want 1", owner, n)
	}
	if got := recordsOf(t, s, "watcher"); !slices.Equal(got, []string{hot.String()}) {
		t.Errorf("RecordsOf(watcher): got %v, want [%s]", got, hot)
	}
}

// testConcurrentCreate: of many simultaneous creates of one ref, exactly
// one wins; the others get ErrConflict.
func testConcurrentCreate(t *testing.T, s ownership.Store) {
	r := ref("contact", "new")
	errs := make([]error, concurrentCreate)
	var wg sync.WaitGroup
	for g := range concurrentCreate {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[g] = s.CompareAndSwap(ctx, ownership.Record{Ref: r, Ownership: ownership.MustList(own(fmt.Sprint("g", g)))})
		}()
	}
	wg.Wait()
	wins := 0
	winner := -1
	for g, err := range errs {
		switch {
		case err == nil:
			wins++
			winner = g
		case !errors.Is(err, ownership.ErrConflict):
			t.Errorf("create %d: got %v, want success or ErrConflict", g, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d simultaneous creates succeeded, want 1", wins, concurrentCreate)
	}
	got := get(t, s, r)
	if want := ownership.UserID(fmt.Sprint("g", winner)); got.Version != 1 || !got.Ownership.IsOwner(want) {
		t.Errorf("after the race: got %v v%d, want %s as owner at v1", got.Ownership, got.Version, want)
	}
	for g := range concurrentCreate {
		u := ownership.UserID(fmt.Sprint("g", g))
		if n := len(recordsOf(t, s, u)); (n == 1) != (g == winner) {
			t.Errorf("RecordsOf(%s) lists %d records; the winner was g%d", u, n, winner)
		}
	}
}

// testDeleteRecreateRace: writers, deleters and creators race on one ref;
// a version of the ref is never written twice, across deletes: each
// successful write (create or update) must return a version no other
// write returned. Stores that cannot delete skip it.
func testDeleteRecreateRace(t *testing.T, s ownership.Store) {
	d, ok := s.(Deleter)
	if !ok {
		t.Skipf("%T does not implement storetest.Deleter", s)
	}
	r := ref("contact", "churn")
	var (
		mu   sync.Mutex
		seen = map[uint64]int{}
		wg   sync.WaitGroup
	)
	note := func(v uint64) {
		mu.Lock()
		seen[v]++
		mu.Unlock()
	}
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				switch (g + i) % 3 {
				case 0:
					if err := d.Delete(ctx, r); err != nil && !errors.Is(err, ownership.ErrConflict) {
						t.Errorf("Delete: %v", err)
					}
				case 1:
					out, err := s.CompareAndSwap(ctx, ownership.Record{Ref: r})
					if err == nil {
						note(out.Version)
					} else if !errors.Is(err, ownership.ErrConflict) {
						t.Errorf("create: %v", err)
					}
				default:
					cur, err := s.Get(ctx, r)
					if err != nil {
						continue
					}
					out, err := s.CompareAndSwap(ctx, cur)
					if err == nil {
						note(out.Version)
					} else if !errors.Is(err, ownership.ErrConflict) {
						t.Errorf("update: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	for v, n := range seen {
		if n > 1 {
			t.Errorf("version %d of %s was written %d times", v, r, n)
		}
	}
}
