package hostsql

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ownershipkit/ownership"
)

// cancelAfter is a context that becomes cancelled at its limit-th look at
// Done: a cancellation landing between two statements of one write.
type cancelAfter struct {
	context.Context
	n, limit int64
	ch       chan struct{}
	once     sync.Once
	dead     atomic.Bool
}

func (c *cancelAfter) Done() <-chan struct{} {
	if atomic.AddInt64(&c.n, 1) >= c.limit {
		c.once.Do(func() { c.dead.Store(true); close(c.ch) })
	}
	return c.ch
}

func (c *cancelAfter) Err() error {
	if c.dead.Load() {
		return context.Canceled
	}
	return nil
}

// A write through InTx that fails, also because its context ended part
// way, leaves the host's transaction as it was: committing it keeps the
// record as it was before the write.
func TestInTxCancelledWriteLeavesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		s, _ := openCRM(t, tdb, true)
		ref := ownership.MustRef("contact/1")
		for limit := int64(1); limit < 200; limit++ {
			old, err := s.Get(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := tdb.db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := &cancelAfter{Context: context.Background(), limit: limit, ch: make(chan struct{})}
			next := old
			next.Ownership = ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner})
			_, werr := s.InTx(tx).CompareAndSwapEvent(c, next, ownership.Event{Kind: ownership.EventReassigned, Record: ref, Before: old.Ownership, After: next.Ownership})
			if werr == nil {
				_ = tx.Rollback()
				return // the cancellation came too late to reach the write
			}
			if err := tx.Commit(); err != nil {
				continue // the database aborted it: nothing committed
			}
			got, err := s.Get(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != old.Version || !got.Ownership.SameAccess(old.Ownership) {
				t.Fatalf("limit %d: write failed with %v, yet the host's commit stored v%d %v (was v%d %v)",
					limit, werr, got.Version, got.Ownership, old.Version, old.Ownership)
			}
		}
	})
}
