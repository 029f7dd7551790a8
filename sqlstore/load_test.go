package sqlstore

import (
	"database/sql"
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ownershipkit/ownership"
)

// crmPolicy is the CRM of the design: sales reps view their own and
// unassigned contacts and update their own; managers do everything.
var crmPolicy = ownership.MustPolicy(map[string]ownership.RoleDef{
	"manager":   {Types: map[string]ownership.Permissions{"*": {View: ownership.All, Update: ownership.All, Delete: ownership.All, Claim: true, Reassign: true}}},
	"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
})

// crmUsers is the number of sales reps of crmRecords.
const crmUsers = 200

func crmUser(i int) ownership.UserID { return ownership.UserID(fmt.Sprintf("rep%03d", i)) }

// crmRecords returns a generator of n contacts like a CRM's: 10% unassigned,
// the others owned by one of crmUsers reps (5% by two), 20% followed by
// another rep, 5% synced with a parent account. The generator yields the
// same records every time it runs.
func crmRecords(n int) iter.Seq[ownership.Record] {
	return func(yield func(ownership.Record) bool) {
		rng := rand.New(rand.NewPCG(uint64(n), 42))
		for i := range n {
			r := ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprintf("c%08d", i)}}
			var es []ownership.Entry
			if rng.IntN(10) != 0 {
				es = append(es, ownership.Entry{UserID: crmUser(rng.IntN(crmUsers)), Role: ownership.Owner, Email: "rep@example.com"})
				if rng.IntN(20) == 0 {
					es = append(es, ownership.Entry{UserID: crmUser(rng.IntN(crmUsers)), Role: ownership.Owner})
				}
			}
			if rng.IntN(5) == 0 {
				es = append(es, ownership.Entry{UserID: crmUser(rng.IntN(crmUsers)), Role: ownership.Follower})
			}
			r.Ownership = ownership.MustList(es...)
			if rng.IntN(20) == 0 {
				r.Parent = ownership.Ref{Type: "account", ID: fmt.Sprintf("a%06d", i/10)}
				r.Mode = ownership.SyncWithParent
			}
			if !yield(r) {
				return
			}
		}
	}
}

// bulkLoad stores the records that gen yields as new records (version 1),
// bypassing compare-and-swap: COPY on PostgreSQL, multi-row INSERTs in one
// transaction on SQLite. It is how the tests fill a database with tens of
// thousands to millions of rows in seconds.
func bulkLoad(tb testing.TB, s *Store, gen iter.Seq[ownership.Record]) {
	tb.Helper()
	if s.d == Postgres {
		bulkCopy(tb, s, gen)
	} else {
		bulkInsert(tb, s, gen)
	}
	// As autovacuum would after a bulk load: statistics for the planner,
	// and on PostgreSQL the visibility map that lets index-only scans
	// skip the table.
	analyze := "ANALYZE"
	if s.d == Postgres {
		analyze = "VACUUM ANALYZE"
	}
	if _, err := s.db.ExecContext(ctx, analyze); err != nil {
		tb.Fatalf("%s: %v", analyze, err)
	}
}

func recordRow(r ownership.Record) []any {
	return []any{r.Ref.Type, r.Ref.ID, r.Parent.Type, r.Parent.ID, int16(r.Mode), int64(1), !r.Ownership.Unassigned(), string(r.Tenant)}
}

var (
	recordCols = []string{"type", "id", "parent_type", "parent_id", "mode", "version", "has_owner", "tenant"}
	entryCols  = []string{"record_type", "record_id", "user_id", "position", "role", "email", "given_name", "last_name"}
)

func entryRows(r ownership.Record) [][]any {
	var out [][]any
	for i, e := range r.Ownership.Entries() {
		out = append(out, []any{r.Ref.Type, r.Ref.ID, string(e.UserID), int32(i), int16(e.Role), e.Email, e.GivenName, e.LastName})
	}
	return out
}

// bulkCopy loads with two COPYs (records, then entries) on one pgx
// connection.
func bulkCopy(tb testing.TB, s *Store, gen iter.Seq[ownership.Record]) {
	tb.Helper()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		next, stop := iter.Pull(gen)
		_, err := pc.CopyFrom(ctx, pgx.Identifier{"ownership_records"}, recordCols, pgx.CopyFromFunc(func() ([]any, error) {
			r, ok := next()
			if !ok {
				return nil, nil
			}
			return recordRow(r), nil
		}))
		stop()
		if err != nil {
			return fmt.Errorf("copy records: %w", err)
		}
		next, stop = iter.Pull(gen)
		defer stop()
		var pending [][]any
		_, err = pc.CopyFrom(ctx, pgx.Identifier{"ownership_entries"}, entryCols, pgx.CopyFromFunc(func() ([]any, error) {
			for len(pending) == 0 {
				r, ok := next()
				if !ok {
					return nil, nil
				}
				pending = entryRows(r)
			}
			row := pending[0]
			pending = pending[1:]
			return row, nil
		}))
		if err != nil {
			return fmt.Errorf("copy entries: %w", err)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// bulkInsert loads with multi-row INSERTs in one transaction.
func bulkInsert(tb testing.TB, s *Store, gen iter.Seq[ownership.Record]) {
	tb.Helper()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	var recs, entries [][]any
	flush := func(table string, cols []string, rows [][]any) {
		if len(rows) == 0 {
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		var args []any
		for i, row := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				b.WriteString(s.d.placeholder(len(args)))
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			tb.Fatalf("insert into %s: %v", table, err)
		}
	}
	for r := range gen {
		recs = append(recs, recordRow(r))
		entries = append(entries, entryRows(r)...)
		if len(recs) >= 500 {
			flush("ownership_records", recordCols, recs)
			flush("ownership_entries", entryCols, entries)
			recs, entries = recs[:0], entries[:0]
		}
	}
	flush("ownership_records", recordCols, recs)
	flush("ownership_entries", entryCols, entries)
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// countRecords returns the number of records of the store.
func countRecords(tb testing.TB, db *sql.DB) int {
	tb.Helper()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ownership_records").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
