package sqlstore

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

// A write through InTx that fails must leave the host's transaction as it
// was, also when it fails because its context ended.
func TestInTxCancelledWriteLeavesNothing(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ref := ownership.MustRef("contact/y")
		old, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Ownership: ownerList(t, "u0")})
		if err != nil {
			t.Fatal(err)
		}
		for limit := int64(1); limit < 200; limit++ {
			tx, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := &cancelAfter{Context: context.Background(), limit: limit, ch: make(chan struct{})}
			next := old
			next.Ownership = ownerList(t, "u1")
			_, werr := s.InTx(tx).CompareAndSwapEvent(c, next, ownership.Event{Kind: ownership.EventOwnershipSet, Record: ref, Before: old.Ownership, After: next.Ownership})
			if werr == nil {
				_ = tx.Rollback()
				t.Logf("limit %d: no cancellation reached the write", limit)
				return
			}
			// The host saw an error from the ownership write and goes on
			// with its transaction, as InTx's doc allows.
			if err := tx.Commit(); err != nil {
				continue // the database aborted it: nothing committed
			}
			got, err := s.Get(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != old.Version || !sameEntries(got.Ownership, old.Ownership) {
				evs, _ := s.OutboxEvents(ctx, Pending, 100)
				t.Errorf("limit %d: write failed with %v, yet the host's commit stored v%d with %v (was v%d %v); %d outbox events",
					limit, werr, got.Version, got.Ownership.Entries(), old.Version, old.Ownership.Entries(), len(evs))
				got.Ownership = ownerList(t, "u0")
				if old, err = s.CompareAndSwap(ctx, got); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
