package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// eachDialect runs test on SQLite, and on PostgreSQL when a server is
// configured.
func eachDialect(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, openPostgres(t, postgresDSN(t))) })
}

var outboxNow = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func outboxPolicy() *ownership.Policy {
	return ownership.MustPolicy(map[string]ownership.RoleDef{
		"manager": {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.All, Claim: true, Reassign: true}}},
		"rep":     {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
	})
}

// outboxManager returns a Manager on s whose directory holds a manager
// and reps rep0..rep(n-1).
func outboxManager(t testing.TB, s *Store, reps int) *ownership.Manager {
	t.Helper()
	users := []ownership.User{{ID: "boss", Roles: []string{"manager"}}}
	for i := range reps {
		users = append(users, ownership.User{ID: ownership.UserID(fmt.Sprintf("rep%d", i)), Roles: []string{"rep"}})
	}
	for _, u := range users {
		if err := s.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return &ownership.Manager{Policy: outboxPolicy(), Store: s, Users: s, Now: func() time.Time { return outboxNow }}
}

func rep(i int) ownership.Subject {
	return ownership.Subject{ID: ownership.UserID(fmt.Sprintf("rep%d", i)), Roles: []string{"rep"}}
}

// pending returns the ids of the pending events, in outbox order.
func pendingIDs(t testing.TB, s *Store) []string {
	t.Helper()
	evs, err := s.OutboxEvents(ctx, Pending, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.Event.ID())
	}
	return ids
}

// Every change the Manager commits is in the outbox with its event; a
// refused change leaves nothing there.
func TestOutboxHoldsEveryCommittedChange(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		m := outboxManager(t, s, 2)
		c := ownership.MustRef("contact/c1")
		if _, err := m.Create(ctx, ownership.Record{Ref: c}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Claim(ctx, rep(0), c); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Claim(ctx, rep(1), c); err == nil {
			t.Fatal("second claim succeeded")
		}
		if _, err := m.Reassign(ctx, ownership.Subject{ID: "boss", Roles: []string{"manager"}}, c, "rep1"); err != nil {
			t.Fatal(err)
		}
		evs, err := s.OutboxEvents(ctx, Pending, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%s %s %s->%s", e.Event.ID(), e.Event.Kind, e.Event.Before, e.Event.After))
		}
		want := []string{
			"contact/c1@1 created []->[]",
			"contact/c1@2 claimed []->[rep0:owner]",
			"contact/c1@3 reassigned [rep0:owner]->[rep1:owner]",
		}
		if !slices.Equal(got, want) {
			t.Errorf("outbox:\n got %q\nwant %q", got, want)
		}
		if !evs[1].Event.At.Equal(outboxNow) || evs[1].Event.By != "rep0" || !slices.Equal(evs[1].Event.Assigned, []ownership.UserID{"rep0"}) {
			t.Errorf("claimed event: %+v", evs[1].Event)
		}
	})
}

// A change made through the host's transaction commits with the host's
// own rows, events included, and a rolled-back transaction leaves no
// change and no event.
func TestHostTransaction(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		m := outboxManager(t, s, 1)
		if _, err := s.DB().ExecContext(ctx, `CREATE TABLE contacts (id TEXT PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		create := func(id string, commit bool) {
			t.Helper()
			tx, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO contacts (id, name) VALUES ($1, $2)`), id, "Ann "+id); err != nil {
				t.Fatal(err)
			}
			tm := m.WithStore(s.InTx(tx))
			ref := ownership.Ref{Type: "contact", ID: id}
			if _, err := tm.Create(ctx, ownership.Record{Ref: ref}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep0"}}); err != nil {
				t.Fatal(err)
			}
			// The transaction reads its own writes.
			if r, err := tm.Store.Get(ctx, ref); err != nil || !r.Ownership.IsOwner("rep0") {
				t.Fatalf("read inside the transaction: %v %v", r.Ownership, err)
			}
			// A refused write leaves the transaction usable.
			if _, err := tm.Create(ctx, ownership.Record{Ref: ref}, ownership.Creation{Source: ownership.SourceForm}); !errors.Is(err, ownership.ErrConflict) {
				t.Fatalf("second create in the transaction: %v, want ErrConflict", err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE contacts SET name = $1 WHERE id = $2`), "Ann B. "+id, id); err != nil {
				t.Fatalf("the transaction is unusable after a refused write: %v", err)
			}
			if commit {
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		create("kept", true)
		create("dropped", false)
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&n); err != nil || n != 1 {
			t.Errorf("contacts: %d, %v; want 1", n, err)
		}
		if _, err := s.Get(ctx, ownership.MustRef("contact/kept")); err != nil {
			t.Errorf("committed record: %v", err)
		}
		if _, err := s.Get(ctx, ownership.MustRef("contact/dropped")); !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("rolled-back record: %v, want ErrNotFound", err)
		}
		if got := pendingIDs(t, s); !slices.Equal(got, []string{"contact/kept@1"}) {
			t.Errorf("outbox: %q, want only the committed change", got)
		}
	})
}

// On PostgreSQL, a host transaction at REPEATABLE READ that loses a
// compare-and-swap to another writer is aborted by the database: the
// error says so (ErrTxAborted) and is not a conflict to retry in place.
func TestHostTransactionAborted(t *testing.T) {
	s := openPostgres(t, postgresDSN(t))
	m := outboxManager(t, s, 2)
	c := ownership.MustRef("contact/c1")
	if _, err := m.Create(ctx, ownership.Record{Ref: c}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		t.Fatal(err)
	}
	tx, err := s.DB().BeginTx(ctx, &sqlTxRepeatableRead)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ts := s.InTx(tx)
	if _, err := ts.Get(ctx, c); err != nil { // takes the snapshot
		t.Fatal(err)
	}
	if _, err := m.Claim(ctx, rep(1), c); err != nil { // another writer, outside
		t.Fatal(err)
	}
	_, err = m.WithStore(ts).Claim(ctx, rep(0), c)
	if !errors.Is(err, ErrTxAborted) || errors.Is(err, ownership.ErrConflict) {
		t.Fatalf("claim in a stale REPEATABLE READ transaction: %v, want ErrTxAborted and not ErrConflict", err)
	}
}

// The relay delivers every event once when nothing fails, in version
// order per record, and marks them delivered; pruning removes them.
func TestRelayDeliversInOrder(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		m := outboxManager(t, s, 3)
		for i := range 5 {
			c := ownership.Ref{Type: "contact", ID: fmt.Sprint(i)}
			if _, err := m.Create(ctx, ownership.Record{Ref: c}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
				t.Fatal(err)
			}
			for r := range 3 {
				if _, err := m.Reassign(ctx, ownership.Subject{ID: "boss", Roles: []string{"manager"}}, c, ownership.UserID(fmt.Sprintf("rep%d", r))); err != nil {
					t.Fatal(err)
				}
			}
		}
		var mu sync.Mutex
		got := map[ownership.Ref][]uint64{}
		relay := NewRelay(s, func(_ context.Context, d Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			if d.ID != d.Event.ID() || d.Attempt != 1 {
				t.Errorf("delivery %s attempt %d", d.ID, d.Attempt)
			}
			got[d.Event.Record] = append(got[d.Event.Record], d.Event.Version)
			return nil
		}, RelayOptions{Batch: 3, Now: func() time.Time { return outboxNow }})
		for range 100 {
			n, err := relay.DeliverOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		for i := range 5 {
			c := ownership.Ref{Type: "contact", ID: fmt.Sprint(i)}
			if !slices.Equal(got[c], []uint64{1, 2, 3, 4}) {
				t.Errorf("%s: delivered versions %v, want 1 2 3 4", c, got[c])
			}
		}
		if left := pendingIDs(t, s); len(left) != 0 {
			t.Errorf("still pending: %q", left)
		}
		n, err := s.PruneEvents(ctx, outboxNow.Add(time.Second))
		if err != nil || n != 20 {
			t.Errorf("pruned %d, %v; want 20", n, err)
		}
	})
}

// A failing delivery is retried after its backoff, holds back the later
// events of its record (not those of others), and is dead after
// MaxAttempts; Redeliver puts it back.
func TestRelayRetriesAndGivesUp(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		m := outboxManager(t, s, 1)
		bad, good := ownership.MustRef("contact/bad"), ownership.MustRef("contact/good")
		for _, c := range []ownership.Ref{bad, good} {
			if _, err := m.Create(ctx, ownership.Record{Ref: c}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Claim(ctx, rep(0), c); err != nil {
				t.Fatal(err)
			}
		}
		now := outboxNow
		var delivered []string
		failing := true
		relay := NewRelay(s, func(_ context.Context, d Delivery) error {
			if d.Event.Record == bad && d.Event.Version == 1 && failing {
				return errors.New("mail server down")
			}
			delivered = append(delivered, d.ID)
			return nil
		}, RelayOptions{MaxAttempts: 3, Backoff: func(int) time.Duration { return time.Minute }, Now: func() time.Time { return now }})
		round := func() int {
			t.Helper()
			n, err := relay.DeliverOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		round() // bad@1 fails, good@1 delivered
		round() // good@2 delivered; bad@1 waits for its backoff, bad@2 behind it
		if n := round(); n != 0 {
			t.Errorf("claimed %d events during the backoff", n)
		}
		if !slices.Equal(delivered, []string{"contact/good@1", "contact/good@2"}) {
			t.Errorf("delivered %q", delivered)
		}
		now = now.Add(time.Minute)
		round() // attempt 2
		now = now.Add(time.Minute)
		round() // attempt 3: dead
		dead, err := s.OutboxEvents(ctx, Dead, 10)
		if err != nil || len(dead) != 1 || dead[0].Event.ID() != "contact/bad@1" || dead[0].Attempts != 3 || dead[0].LastError != "mail server down" {
			t.Fatalf("dead events: %+v, %v", dead, err)
		}
		// The dead event no longer holds back its record.
		round()
		if delivered[len(delivered)-1] != "contact/bad@2" {
			t.Errorf("after the dead letter, delivered %q", delivered)
		}
		failing = false
		if err := s.Redeliver(ctx, "contact/bad@1"); err != nil {
			t.Fatal(err)
		}
		round()
		if delivered[len(delivered)-1] != "contact/bad@1" {
			t.Errorf("after Redeliver, delivered %q", delivered)
		}
		if err := s.Redeliver(ctx, "contact/none@1"); !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("redeliver unknown: %v, want ErrNotFound", err)
		}
	})
}

// A relay that stops while holding events (its lease) lets another
// deliver them once the lease ends.
func TestRelayLeaseExpires(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		m := outboxManager(t, s, 1)
		if _, err := m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/c1")}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
		now := outboxNow
		clock := func() time.Time { return now }
		// The first relay's delivery outlives its lease (it "hangs" until
		// its context ends), as a relay that crashed would.
		stuck := NewRelay(s, func(ctx context.Context, _ Delivery) error {
			now = now.Add(2 * time.Minute) // time passes while it hangs
			return errors.New("crashed")
		}, RelayOptions{Lease: time.Minute, Now: clock})
		if _, err := stuck.claim(ctx, "dead-relay", now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		var got []string
		other := NewRelay(s, func(_ context.Context, d Delivery) error { got = append(got, d.ID); return nil }, RelayOptions{Now: clock})
		if n, err := other.DeliverOnce(ctx); err != nil || n != 0 {
			t.Fatalf("claimed %d (%v) while the lease holds", n, err)
		}
		now = now.Add(2 * time.Minute)
		if _, err := other.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, []string{"contact/c1@1"}) {
			t.Errorf("after the lease ended, delivered %q", got)
		}
	})
}

// Several relays at once deliver every event, each event of a record
// after the one before it, and (as nothing fails) each exactly once.
func TestRelaysRunConcurrently(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		m := outboxManager(t, s, 4)
		const records, changes = 20, 5
		for i := range records {
			c := ownership.Ref{Type: "contact", ID: fmt.Sprintf("%02d", i)}
			if _, err := m.Create(ctx, ownership.Record{Ref: c}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
				t.Fatal(err)
			}
			for j := range changes {
				if _, err := m.Reassign(ctx, ownership.Subject{ID: "boss", Roles: []string{"manager"}}, c, ownership.UserID(fmt.Sprintf("rep%d", j%4))); err != nil {
					t.Fatal(err)
				}
			}
		}
		var mu sync.Mutex
		last := map[ownership.Ref]uint64{}
		seen := map[string]int{}
		var total atomic.Int64
		deliver := func(_ context.Context, d Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			if v := last[d.Event.Record]; d.Event.Version != v+1 {
				t.Errorf("%s: version %d delivered after %d", d.Event.Record, d.Event.Version, v)
			}
			last[d.Event.Record] = d.Event.Version
			seen[d.ID]++
			total.Add(1)
			return nil
		}
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			r := NewRelay(s, deliver, RelayOptions{Batch: 7, Poll: 5 * time.Millisecond})
			go func() {
				defer wg.Done()
				_ = r.Run(rctx)
			}()
		}
		deadline := time.Now().Add(30 * time.Second)
		for total.Load() < records*(changes+1) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		if n := total.Load(); n != records*(changes+1) {
			t.Fatalf("delivered %d events, want %d", n, records*(changes+1))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s delivered %d times", id, n)
			}
		}
	})
}

var sqlTxRepeatableRead = sql.TxOptions{Isolation: sql.LevelRepeatableRead}
