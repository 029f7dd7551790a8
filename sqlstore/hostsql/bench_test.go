package hostsql

import (
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// benchRowsVar names the environment variable that sets how many contacts
// BenchmarkOwnerColumnList loads; unset, 1,000,000. CI sets a small number
// so that its single run stays short.
const benchRowsVar = "OWNERSHIP_BENCH_ROWS"

func benchRows(b *testing.B) int {
	b.Helper()
	if v := os.Getenv(benchRowsVar); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number", benchRowsVar, v)
		}
		return n
	}
	return 1_000_000
}

// loadContacts creates a CRM's contacts table of n rows, owned by 200
// reps in turn with every tenth unassigned, indexed on (owner_id, id) as
// a CRM's "my contacts" page needs.
func loadContacts(b *testing.B, tdb testDB, n int) {
	b.Helper()
	series := `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ` + strconv.Itoa(n) + `) SELECT i FROM g`
	if tdb.d == sqlstore.Postgres {
		series = `SELECT i FROM generate_series(1, ` + strconv.Itoa(n) + `) AS g(i)`
	}
	execAll(b, tdb,
		`CREATE TABLE contacts (id BIGINT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT, ownership_version BIGINT NOT NULL DEFAULT 0)`,
		`INSERT INTO contacts (id, name, owner_id) SELECT i, 'contact ' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'rep' || (i % 200) END FROM (`+series+`) s`,
		`CREATE INDEX contacts_owner ON contacts (owner_id, id)`,
		`ANALYZE contacts`,
	)
}

// BenchmarkOwnerColumnList measures the first page of 50 contacts a rep
// owns, out of OWNERSHIP_BENCH_ROWS, through an owner-column mapping
// (Table.List with the rep's Filter) beside the hand-written query on the
// same table and index, in the same iterations; it reports both and their
// ratio. "view" is the rep's view scope, own or unassigned, beside the
// hand-written disjunction.
func BenchmarkOwnerColumnList(b *testing.B) {
	n := benchRows(b)
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own}}},
	})
	rep := p.Bind(ownership.Subject{ID: "rep7", Roles: []string{"sales_rep"}})
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		var tdb testDB
		if d == sqlstore.SQLite {
			tdb = testDB{"sqlite", d, openSQLite(b)}
		} else if dsn := os.Getenv(postgresDSNVar); dsn != "" {
			tdb = testDB{"postgres", d, openPostgres(b, dsn)}
		} else {
			continue
		}
		loadContacts(b, tdb, n)
		contacts := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", KeyKind: KeyInteger,
			OwnerColumn: "owner_id", VersionColumn: "ownership_version"}, d)
		floors := map[ownership.Action]string{
			ownership.Update: `SELECT id, name FROM contacts WHERE owner_id = $1 ORDER BY id LIMIT 51`,
			ownership.View:   `SELECT id, name FROM contacts WHERE owner_id = $1 OR owner_id IS NULL OR owner_id = '' ORDER BY id LIMIT 51`,
		}
		for _, c := range []struct {
			name string
			a    ownership.Action
		}{{"owned", ownership.Update}, {"view", ownership.View}} {
			b.Run(fmt.Sprintf("%s/rows=%d/%s", tdb.name, n, c.name), func(b *testing.B) {
				pred := p.Filter(rep, c.a, "contact")
				floor := floors[c.a]
				if d == sqlstore.SQLite {
					floor = sqliteMarkers(floor)
				}
				var lib, hand time.Duration
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					got := 0
					if _, err := contacts.List(ctx, tdb.db, pred, Page{}, []string{"name"}, func(scan func(...any) error) error {
						var name string
						got++
						return scan(&name)
					}); err != nil {
						b.Fatal(err)
					}
					lib += time.Since(start)
					start = time.Now()
					rows := handWritten(b, tdb.db, floor)
					hand += time.Since(start)
					if got != min(rows, DefaultPageSize) || got == 0 {
						b.Fatalf("List read %d rows, the hand-written query %d", got, rows)
					}
				}
				b.ReportMetric(float64(lib.Nanoseconds())/1e3/float64(b.N), "lib-µs/op")
				b.ReportMetric(float64(hand.Nanoseconds())/1e3/float64(b.N), "hand-µs/op")
				b.ReportMetric(float64(lib)/float64(hand), "lib/hand")
			})
		}
	}
}

// handWritten runs the hand-written query for rep7 and scans its rows as
// List does.
func handWritten(b *testing.B, db *sql.DB, query string) int {
	rows, err := db.QueryContext(ctx, query, "rep7")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}
