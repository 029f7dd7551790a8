package hostsql

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/ownershipkit/ownership/sqlstore"
)

var ctx = context.Background()

// postgresDSNVar names the environment variable that points the tests at
// a PostgreSQL server; .ci/run starts a throw-away one and sets it.
const postgresDSNVar = "OWNERSHIP_POSTGRES_DSN"

// postgresDSN returns the DSN of the test server, or skips the test.
func postgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(postgresDSNVar)
	if dsn == "" {
		tb.Skip(postgresDSNVar + " not set: PostgreSQL tests skipped")
	}
	return dsn
}

// testDB is a database of one dialect for a test.
type testDB struct {
	name string
	d    sqlstore.Dialect
	db   *sql.DB
}

// forEachDB runs fn on a new SQLite database, and on a new schema of the
// PostgreSQL test server when OWNERSHIP_POSTGRES_DSN is set.
func forEachDB(t *testing.T, fn func(t *testing.T, tdb testDB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, testDB{"sqlite", sqlstore.SQLite, openSQLite(t)}) })
	t.Run("postgres", func(t *testing.T) {
		fn(t, testDB{"postgres", sqlstore.Postgres, openPostgres(t, postgresDSN(t))})
	})
}

// openSQLite opens a new database file: concurrent writers wait for each
// other, readers do not wait for writers.
func openSQLite(tb testing.TB) *sql.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "host.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var schemaSeq atomic.Int64

// openPostgres opens a pool whose connections work in a new schema,
// dropped when the test ends.
func openPostgres(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	schema := fmt.Sprintf("hostsql_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemaSeq.Add(1))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	tb.Cleanup(func() {
		db.Close()
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			tb.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	return db
}

// execAll runs statements, failing the test on the first error. "{uuid}"
// is the type of a UUID key: uuid on PostgreSQL, text on SQLite.
func execAll(tb testing.TB, tdb testDB, stmts ...string) {
	tb.Helper()
	uuid := "TEXT"
	if tdb.d == sqlstore.Postgres {
		uuid = "UUID"
	}
	for _, s := range stmts {
		if _, err := tdb.db.ExecContext(ctx, strings.ReplaceAll(s, "{uuid}", uuid)); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}
