package sqlstore

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// benchImportVar sets how many records BenchmarkImport loads; unset,
// 100,000.
const benchImportVar = "OWNERSHIP_BENCH_IMPORT"

// BenchmarkImport measures Store.Import of OWNERSHIP_BENCH_IMPORT records
// (100,000 by default, CRM-like lists) into an empty PostgreSQL schema,
// without events, beside COPY of the same rows into another (the floor:
// what a hand-written loader does), in the same iterations; it reports
// both and their ratio.
func BenchmarkImport(b *testing.B) {
	dsn := postgresDSN(b)
	n := 100_000
	if v := os.Getenv(benchImportVar); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number", benchImportVar, v)
		}
	}
	var recs []ownership.Record
	for r := range crmRecords(n) {
		r.Mode, r.Parent = ownership.Independent, ownership.Ref{} // no parents to sync from
		recs = append(recs, r)
	}
	var lib, floor time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s, c := openPostgres(b, dsn), openPostgres(b, dsn)
		b.StartTimer()
		start := time.Now()
		rep, err := s.Import(ctx, func(yield func(ownership.Record) bool) {
			for _, r := range recs {
				if !yield(r) {
					return
				}
			}
		}, ImportOptions{NoEvents: true})
		if err != nil || rep.Imported != n {
			b.Fatalf("imported %d of %d: %v (%d refused)", rep.Imported, n, err, len(rep.Refused))
		}
		lib += time.Since(start)
		start = time.Now()
		bulkCopy(b, c, func(yield func(ownership.Record) bool) {
			for _, r := range recs {
				if !yield(r) {
					return
				}
			}
		})
		floor += time.Since(start)
	}
	b.ReportMetric(float64(lib.Milliseconds())/float64(b.N), "lib-ms/op")
	b.ReportMetric(float64(floor.Milliseconds())/float64(b.N), "floor-ms/op")
	b.ReportMetric(float64(lib)/float64(floor), "lib/floor")
	b.Logf("%s records", fmt.Sprint(n))
}
