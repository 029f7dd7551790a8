package sqlstore

import (
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ownershipkit/ownership"
)

// benchRowsVar names the environment variable that sets how many contacts
// BenchmarkListOwned loads; unset, it loads defaultBenchRows. CI sets a
// small number so that its single run stays short.
const (
	benchRowsVar     = "OWNERSHIP_BENCH_ROWS"
	defaultBenchRows = 1_000_000
)

// benchData holds the stores the benchmarks loaded, one per row count,
// kept for the life of the test binary (a benchmark function runs several
// times) and dropped by TestMain.
var benchData struct {
	mu      sync.Mutex // guards the fields below
	stores  map[int]*Store
	schemas []string
	dsn     string
}

func TestMain(m *testing.M) {
	code := m.Run()
	benchData.mu.Lock()
	for _, s := range benchData.stores {
		s.db.Close()
	}
	for _, schema := range benchData.schemas {
		if err := dropSchemaDSN(benchData.dsn, schema); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	benchData.mu.Unlock()
	os.Exit(code)
}

func dropSchemaDSN(dsn, schema string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// benchStore returns a PostgreSQL store holding the CRM contacts of
// crmRecords, loading them on first use.
func benchStore(b *testing.B) (*Store, int) {
	b.Helper()
	dsn := postgresDSN(b)
	rows := defaultBenchRows
	if v := os.Getenv(benchRowsVar); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number of rows", benchRowsVar, v)
		}
		rows = n
	}
	benchData.mu.Lock()
	defer benchData.mu.Unlock()
	if s := benchData.stores[rows]; s != nil {
		return s, rows
	}
	schema := fmt.Sprintf("ownership_bench_%d_%d", rows, os.Getpid())
	benchData.dsn = dsn
	benchData.schemas = append(benchData.schemas, schema)
	s := New(openPostgresSchema(b, dsn, schema), Postgres)
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	bulkLoad(b, s, crmRecords(rows))
	b.Logf("loaded %d contacts in %v", countRecords(b, s.db), time.Since(start).Round(time.Millisecond))
	if benchData.stores == nil {
		benchData.stores = map[int]*Store{}
	}
	benchData.stores[rows] = s
	return s, rows
}

// loadAllThenFilter is what a host without the pushdown does: read every
// record of the type into memory, then keep the first page of those the
// predicate matches.
func loadAllThenFilter(s *Store, pred ownership.Predicate, limit int) ([]ownership.Record, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+recordColumns+` FROM ownership_records r`+entriesJoin+`
		WHERE r.type = $1 ORDER BY r.id, e.position`), pred.Type())
	if err != nil {
		return nil, err
	}
	all, err := scanRecords(rows)
	if err != nil {
		return nil, err
	}
	var page []ownership.Record
	for _, r := range all {
		if pred.Match(r) {
			page = append(page, r)
			if len(page) == limit {
				break
			}
		}
	}
	return page, nil
}

// BenchmarkListOwned measures the first page of 50 contacts that a sales
// rep owns (the rep's update scope, Own) among OWNERSHIP_BENCH_ROWS
// contacts in PostgreSQL: through List, which filters in the database on
// the by-user index, and by loading every contact into Go and filtering
// with Policy.Filter's predicate. "view" is the rep's view scope (own or
// unassigned) through List. Without OWNERSHIP_POSTGRES_DSN it is skipped.
func BenchmarkListOwned(b *testing.B) {
	s, rows := benchStore(b)
	rep := crmPolicy.Bind(ownership.Subject{ID: crmUser(7), Roles: []string{"sales_rep"}})
	pred := crmPolicy.Filter(rep, ownership.Update, "contact")

	want, _, err := s.List(ctx, crmPolicy, rep, ownership.Update, "contact", Page{})
	if err != nil {
		b.Fatal(err)
	}
	if wantLen := min(DefaultPageSize, rows/crmUsers/2); len(want) < wantLen {
		b.Fatalf("the rep owns %d contacts on the first page, want at least %d", len(want), wantLen)
	}

	b.Run(fmt.Sprintf("rows=%d/sql", rows), func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			recs, _, err := s.List(ctx, crmPolicy, rep, ownership.Update, "contact", Page{})
			if err != nil || len(recs) != len(want) {
				b.Fatalf("got %d records, %v", len(recs), err)
			}
		}
	})
	b.Run(fmt.Sprintf("rows=%d/sql-view", rows), func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			recs, _, err := s.List(ctx, crmPolicy, rep, ownership.View, "contact", Page{})
			if err != nil || len(recs) == 0 {
				b.Fatalf("got %d records, %v", len(recs), err)
			}
		}
	})
	b.Run(fmt.Sprintf("rows=%d/load-all-then-filter", rows), func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			recs, err := loadAllThenFilter(s, pred, DefaultPageSize)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if !slices.Equal(ids(recs), ids(want)) {
				b.Fatalf("in memory: got %q, want what List returned, %q", ids(recs), ids(want))
			}
			b.StartTimer()
		}
	})
}

// floorView is the hand-written query for a sales rep's view scope (own,
// followed or unassigned contacts), one page after after: a union of the
// rep's entries and the unassigned index, each ordered and limited, merged
// by id, with the lists joined.
func floorView(s *Store, user, after string, limit int) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+recordColumns+` FROM (
		SELECT * FROM (
			SELECT * FROM (SELECT r.type, r.id, r.parent_type, r.parent_id, r.mode, r.version, r.fields, r.tenant, r.queue
				FROM ownership_entries x JOIN ownership_records r ON r.type = x.record_type AND r.id = x.record_id
				WHERE x.user_id = $1 AND x.record_type = 'contact' AND x.record_id > $2 AND r.tenant = ''
				ORDER BY x.record_id LIMIT $3) a
			UNION
			SELECT * FROM (SELECT r.type, r.id, r.parent_type, r.parent_id, r.mode, r.version, r.fields, r.tenant, r.queue
				FROM ownership_records r WHERE r.tenant = '' AND r.type = 'contact' AND NOT r.has_owner AND r.id > $2
				ORDER BY r.id LIMIT $3) b
		) u ORDER BY u.id LIMIT $3
	) r`+entriesJoin+` ORDER BY r.id, e.position`, user, after, limit)
	if err != nil {
		return 0, err
	}
	recs, err := scanRecords(rows)
	return len(recs), err
}

// BenchmarkListView measures a sales rep's view scope (own, followed or
// unassigned) among OWNERSHIP_BENCH_ROWS contacts in PostgreSQL, on the
// first page and on page 100, through List beside the hand-written union
// query on the same indexes (floorView), in the same iterations; it
// reports both and their ratio.
func BenchmarkListView(b *testing.B) {
	s, rows := benchStore(b)
	rep := crmPolicy.Bind(ownership.Subject{ID: crmUser(7), Roles: []string{"sales_rep"}})
	// The bound of page 100.
	page := Page{}
	for range 99 {
		_, next, err := s.List(ctx, crmPolicy, rep, ownership.View, "contact", page)
		if err != nil {
			b.Fatal(err)
		}
		if next == (Page{}) {
			break
		}
		page = next
	}
	for _, c := range []struct {
		name string
		page Page
	}{{"first", Page{}}, {"page100", page}} {
		b.Run(fmt.Sprintf("rows=%d/%s", rows, c.name), func(b *testing.B) {
			var lib, floor time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				recs, _, err := s.List(ctx, crmPolicy, rep, ownership.View, "contact", c.page)
				if err != nil || len(recs) == 0 {
					b.Fatalf("got %d records, %v", len(recs), err)
				}
				lib += time.Since(start)
				start = time.Now()
				if _, err := floorView(s, string(crmUser(7)), c.page.After, DefaultPageSize+1); err != nil {
					b.Fatal(err)
				}
				floor += time.Since(start)
			}
			b.ReportMetric(float64(lib.Microseconds())/float64(b.N), "lib-µs/op")
			b.ReportMetric(float64(floor.Microseconds())/float64(b.N), "floor-µs/op")
			b.ReportMetric(float64(lib)/float64(floor), "lib/floor")
		})
	}
}
