package browsertest

import (
	"context"
	"database/sql"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/inspect"
	"github.com/ownershipkit/ownership/memstore"
	"github.com/ownershipkit/ownership/seed"
	"github.com/ownershipkit/ownership/sqlstore"
)

// backend is a store the inspector reads, loaded with a seed.
type backend struct {
	name    string
	records inspect.Records
	users   ownership.Directory
}

// readSeed parses the repository's seed file name.
func readSeed(t testing.TB, name string) *seed.Seed {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "seed", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := seed.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// effective lists the seed's records, each with its effective ownership.
func effective(s *seed.Seed) iter.Seq[ownership.Record] {
	return func(yield func(ownership.Record) bool) {
		for _, raw := range s.Records() {
			r, _ := s.Record(raw.Ref)
			if !yield(r) {
				return
			}
		}
	}
}

// memBackend loads s into a memstore.
func memBackend(t testing.TB, s *seed.Seed) backend {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	for _, u := range s.Users() {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for r := range effective(s) {
		if _, err := st.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return backend{name: "memstore", records: st, users: st}
}

// sqliteBackend loads s into a new SQLite database through sqlstore.
func sqliteBackend(t testing.TB, s *seed.Seed) backend {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "ownership.db")+"?_pragma=busy_timeout(20000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := sqlstore.New(db, sqlstore.SQLite)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range s.Users() {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := st.Import(ctx, effective(s), sqlstore.ImportOptions{NoEvents: true})
	if err != nil || len(rep.Refused) > 0 {
		t.Fatalf("import: %v, refused %v", err, rep.Refused)
	}
	return backend{name: "sqlite", records: sqlRecords{st}, users: st}
}

// sqlRecords gives a sqlstore.Store the listing the inspector reads:
// every record of a type, in id order, a page at a time through
// ListMatching; every type, in type order, for "".
type sqlRecords struct{ st *sqlstore.Store }

func (s sqlRecords) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	return s.st.Get(ctx, ref)
}

func (s sqlRecords) All(ctx context.Context, recordType string) iter.Seq2[ownership.Record, error] {
	return func(yield func(ownership.Record, error) bool) {
		types := []string{recordType}
		if recordType == "" {
			var err error
			if types, err = s.types(ctx); err != nil {
				yield(ownership.Record{}, err)
				return
			}
		}
		for _, t := range types {
			pred := ownership.NewPredicate(t, ownership.AllRecords())
			for page := (sqlstore.Page{Limit: sqlstore.MaxPageSize}); ; {
				recs, next, err := s.st.ListMatching(ctx, pred, page)
				if err != nil {
					yield(ownership.Record{}, err)
					return
				}
				for _, r := range recs {
					if !yield(r, nil) {
						return
					}
				}
				if next == (sqlstore.Page{}) {
					break
				}
				page = next
			}
		}
	}
}

// types lists the record types the database holds, in byte order.
func (s sqlRecords) types(ctx context.Context) ([]string, error) {
	rows, err := s.st.DB().QueryContext(ctx, `SELECT DISTINCT type FROM ownership_records ORDER BY type`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}
