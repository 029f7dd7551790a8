package sqlstore

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// benchChildrenVar sets how many synced documents BenchmarkPropagate gives
// the contact; unset, 10,000.
const benchChildrenVar = "OWNERSHIP_BENCH_CHILDREN"

// seedFamily stores contact/c0 owned by rep0 with n documents synced with
// it, in a few multi-row INSERTs.
func seedFamily(tb testing.TB, s *Store, n int) ownership.Ref {
	tb.Helper()
	c := ownership.MustRef("contact/c0")
	recs := [][]any{{"contact", "c0", "", "", 0, 1, true}}
	ents := [][]any{{"contact", "c0", "rep0", 0, 2, "", "", ""}}
	for i := range n {
		id := fmt.Sprintf("d%06d", i)
		recs = append(recs, []any{"document", id, "contact", "c0", 1, 1, true})
		ents = append(ents, []any{"document", id, "rep0", 0, 2, "", "", ""})
	}
	if err := s.insertRows(ctx, s.conn(), `INSERT INTO ownership_records (type, id, parent_type, parent_id, mode, version, has_owner) VALUES `, recs); err != nil {
		tb.Fatal(err)
	}
	if err := s.insertRows(ctx, s.conn(), `INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name) VALUES `, ents); err != nil {
		tb.Fatal(err)
	}
	return c
}

// floorPropagate is the hand-written set-based SQL that does what a
// propagation does to the documents of contact c0: new versions, the new
// owner's entry in place of the old ones, and one outbox row each, in one
// transaction.
func floorPropagate(s *Store, owner string) error {
	return s.inTx(ctx, "floor", func(tx execer) error {
		for _, q := range []string{
			`UPDATE ownership_records SET version = version + 1, has_owner = TRUE
				WHERE parent_type = 'contact' AND parent_id = 'c0' AND mode = 1`,
			`DELETE FROM ownership_entries WHERE record_type = 'document' AND record_id IN
				(SELECT id FROM ownership_records WHERE parent_type = 'contact' AND parent_id = 'c0' AND mode = 1)`,
			`INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name)
				SELECT type, id, $1, 0, 2, '', '', '' FROM ownership_records
				WHERE parent_type = 'contact' AND parent_id = 'c0' AND mode = 1`,
			`INSERT INTO ownership_events (event_id, record_type, record_id, version, payload)
				SELECT type || '/' || id || '@' || CAST(version AS TEXT), type, id, version, '{}' FROM ownership_records
				WHERE parent_type = 'contact' AND parent_id = 'c0' AND mode = 1`,
		} {
			var args []any
			if strings.Contains(q, "$1") {
				args = []any{owner}
			}
			if _, err := tx.Exec(ctx, s.q(q), args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkPropagate measures reassigning a contact whose documents are
// synced with it (OWNERSHIP_BENCH_CHILDREN of them, 10,000 by default):
// Manager.Reassign, which writes the contact and then propagates to every
// document set-based, beside the hand-written set-based SQL floor doing
// the same writes (versions, entries, outbox rows), timed in the same
// iterations. It reports both and their ratio.
func BenchmarkPropagate(b *testing.B) {
	n := 10_000
	if v := os.Getenv(benchChildrenVar); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number", benchChildrenVar, v)
		}
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(fmt.Sprintf("%s/children=%d", dialect, n), func(b *testing.B) {
			var s *Store
			if dialect == "sqlite" {
				s = openSQLite(b)
			} else {
				s = openPostgres(b, postgresDSN(b))
			}
			m := outboxManager(b, s, 2)
			c := seedFamily(b, s, n)
			boss := ownership.Subject{ID: "boss", Roles: []string{"manager"}}
			var lib, floor time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				to := ownership.UserID("rep" + strconv.Itoa((i+1)%2))
				start := time.Now()
				if _, err := m.Reassign(ctx, boss, c, to); err != nil {
					b.Fatal(err)
				}
				lib += time.Since(start)
				b.StopTimer()
				if d, err := s.Get(ctx, ownership.MustRef("document/d000000")); err != nil || !d.Ownership.IsOwner(to) {
					b.Fatalf("the documents did not follow: %v %v", d.Ownership, err)
				}
				b.StartTimer()
				start = time.Now()
				if err := floorPropagate(s, string(to)); err != nil {
					b.Fatal(err)
				}
				floor += time.Since(start)
			}
			b.ReportMetric(float64(lib.Milliseconds())/float64(b.N), "lib-ms/op")
			b.ReportMetric(float64(floor.Milliseconds())/float64(b.N), "floor-ms/op")
			b.ReportMetric(float64(lib)/float64(floor), "lib/floor")
		})
	}
}
