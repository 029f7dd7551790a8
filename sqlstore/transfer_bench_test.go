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

// benchTransferVar sets how many records BenchmarkTransfer moves; unset,
// 10,000.
const benchTransferVar = "OWNERSHIP_BENCH_TRANSFER"

// seedOwned stores n contacts owned by owner, ids prefix00000...
func seedOwned(tb testing.TB, s *Store, prefix, owner string, n int) {
	tb.Helper()
	recs := make([][]any, 0, n)
	ents := make([][]any, 0, n)
	for i := range n {
		id := fmt.Sprintf("%s%05d", prefix, i)
		recs = append(recs, []any{"contact", id, "", "", 0, 1, true})
		ents = append(ents, []any{"contact", id, owner, 0, 2, "", "", ""})
	}
	if err := s.insertRows(ctx, s.conn(), `INSERT INTO ownership_records (type, id, parent_type, parent_id, mode, version, has_owner) VALUES `, recs); err != nil {
		tb.Fatal(err)
	}
	if err := s.insertRows(ctx, s.conn(), `INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name) VALUES `, ents); err != nil {
		tb.Fatal(err)
	}
}

// floorTransfer is the hand-written set-based transfer of every contact
// from owns to heir: new versions, the entries moved, an outbox row each,
// in one transaction.
func floorTransfer(s *Store, from, heir string) error {
	return s.inTx(ctx, "floor", func(tx execer) error {
		for _, q := range []string{
			`UPDATE ownership_records SET version = version + 1 WHERE type = 'contact' AND id IN
				(SELECT record_id FROM ownership_entries WHERE user_id = $1 AND record_type = 'contact')`,
			`INSERT INTO ownership_events (event_id, record_type, record_id, version, payload)
				SELECT r.type || '/' || r.id || '@' || CAST(r.version AS TEXT), r.type, r.id, r.version, '{}'
				FROM ownership_records r JOIN ownership_entries e ON e.record_type = r.type AND e.record_id = r.id
				WHERE e.user_id = $1 AND e.record_type = 'contact'`,
			`UPDATE ownership_entries SET user_id = $2 WHERE user_id = $1 AND record_type = 'contact'`,
		} {
			args := []any{from}
			if strings.Contains(q, "$2") {
				args = append(args, heir)
			}
			if _, err := tx.Exec(ctx, s.q(q), args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkTransfer measures the offboarding transfer of a leaver's
// OWNERSHIP_BENCH_TRANSFER contacts (10,000 by default) to an heir on
// PostgreSQL, through Manager.Transfer (each record decided by the policy,
// written in batches of 1,000 with its event), beside the hand-written
// set-based transfer doing the same writes, in the same iterations; it
// reports both and their ratio.
func BenchmarkTransfer(b *testing.B) {
	n := 10_000
	if v := os.Getenv(benchTransferVar); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number", benchTransferVar, v)
		}
	}
	s := openPostgres(b, postgresDSN(b))
	m := outboxManager(b, s, 4)
	boss := ownership.Subject{ID: "boss", Roles: []string{"manager"}}
	var lib, floor time.Duration
	b.ResetTimer()
	for it := range b.N {
		b.StopTimer()
		seedOwned(b, s, fmt.Sprintf("l%d-", it), "rep0", n)
		seedOwned(b, s, fmt.Sprintf("f%d-", it), "rep2", n)
		b.StartTimer()
		start := time.Now()
		rep, err := m.Transfer(ctx, boss, "rep0", "rep1", ownership.TransferOptions{})
		if err != nil || len(rep.Moved) != n || len(rep.Skipped) != 0 {
			b.Fatalf("moved %d of %d, %d skipped: %v", len(rep.Moved), n, len(rep.Skipped), err)
		}
		lib += time.Since(start)
		start = time.Now()
		if err := floorTransfer(s, "rep2", "rep3"); err != nil {
			b.Fatal(err)
		}
		floor += time.Since(start)
		b.StopTimer()
		// Hand the records back for the next iteration's leavers.
		if _, err := s.db.ExecContext(ctx, `UPDATE ownership_entries SET user_id = 'moved' WHERE user_id IN ('rep1', 'rep3')`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(lib.Milliseconds())/float64(b.N), "lib-ms/op")
	b.ReportMetric(float64(floor.Milliseconds())/float64(b.N), "floor-ms/op")
	b.ReportMetric(float64(lib)/float64(floor), "lib/floor")
}
