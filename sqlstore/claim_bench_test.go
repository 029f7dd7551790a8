package sqlstore

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// seedPool stores n unassigned contacts p0000..., each at version 1.
func seedPool(tb testing.TB, s *Store, prefix string, n int) {
	tb.Helper()
	var recs [][]any
	for i := range n {
		recs = append(recs, []any{"contact", fmt.Sprintf("%s%05d", prefix, i), "", "", 0, 1, false})
	}
	if err := s.insertRows(ctx, s.conn(), `INSERT INTO ownership_records (type, id, parent_type, parent_id, mode, version, has_owner) VALUES `, recs); err != nil {
		tb.Fatal(err)
	}
}

// floorClaim is the hand-written claim: one statement that takes the
// contact if it is unassigned, writes the claimant's entry and an outbox
// row.
func floorClaim(s *Store, id, user string) error {
	var v int64
	return s.db.QueryRowContext(ctx, `WITH upd AS (
			UPDATE ownership_records SET has_owner = TRUE, version = version + 1
			WHERE type = 'contact' AND id = $1 AND NOT has_owner AND mode = 0
			RETURNING type, id, version
		), ins AS (
			INSERT INTO ownership_entries (record_type, record_id, user_id, position, role)
			SELECT type, id, $2, 0, 2 FROM upd
		), ev AS (
			INSERT INTO ownership_events (event_id, record_type, record_id, version, payload)
			SELECT type || '/' || id || '@' || CAST(version AS TEXT), type, id, version, '{}' FROM upd
		)
		SELECT version FROM upd`, id, user).Scan(&v)
}

// BenchmarkClaims measures 1,000 claims of unassigned contacts by 64
// goroutines at once on PostgreSQL, through Manager.Claim (the claimant
// looked up in the directory, the policy's decision, the compare-and-swap
// with its outbox row in one statement, and the check for synced
// children), beside the hand-written one-statement claim, in the same
// iterations. It reports both and their ratio.
func BenchmarkClaims(b *testing.B) {
	s := openPostgres(b, postgresDSN(b))
	const n, workers = 1000, 64
	s.db.SetMaxOpenConns(workers)
	m := outboxManager(b, s, workers)
	var lib, floor time.Duration
	run := func(claim func(i, w int) error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					if err := claim(i, w); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	b.ResetTimer()
	for it := range b.N {
		b.StopTimer()
		lp, fp := fmt.Sprintf("l%d-", it), fmt.Sprintf("f%d-", it)
		seedPool(b, s, lp, n)
		seedPool(b, s, fp, n)
		b.StartTimer()
		lib += run(func(i, w int) error {
			_, err := m.Claim(ctx, rep(w), ownership.Ref{Type: "contact", ID: fmt.Sprintf("%s%05d", lp, i)})
			return err
		})
		floor += run(func(i, w int) error {
			return floorClaim(s, fmt.Sprintf("%s%05d", fp, i), fmt.Sprintf("rep%d", w))
		})
	}
	b.ReportMetric(float64(lib.Milliseconds())/float64(b.N), "lib-ms/op")
	b.ReportMetric(float64(floor.Milliseconds())/float64(b.N), "floor-ms/op")
	b.ReportMetric(float64(lib)/float64(floor), "lib/floor")
}
