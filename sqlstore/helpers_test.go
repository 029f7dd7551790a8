package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
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

// sqliteDSN is how the tests open SQLite: concurrent writers wait for
// each other (busy timeout, immediate transactions), readers do not wait
// for writers (WAL).
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// openSQLite returns a migrated store in a new database file.
func openSQLite(tb testing.TB) *Store {
	tb.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(tb.TempDir(), "ownership.db")))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s := New(db, SQLite)
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

var schemaSeq atomic.Int64

// openPostgres returns a migrated store in a new schema of the test
// database, dropped when the test ends.
func openPostgres(tb testing.TB, dsn string) *Store {
	tb.Helper()
	schema := fmt.Sprintf("ownership_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemaSeq.Add(1))
	db := openPostgresSchema(tb, dsn, schema)
	tb.Cleanup(func() {
		db.Close()
		dropSchema(tb, dsn, schema)
	})
	s := New(db, Postgres)
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// openPostgresSchema opens a pool whose connections work in schema,
// creating it if needed.
func openPostgresSchema(tb testing.TB, dsn, schema string) *sql.DB {
	tb.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	return stdlib.OpenDB(*cfg)
}

func dropSchema(tb testing.TB, dsn, schema string) {
	tb.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Error(err)
		return
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		tb.Errorf("drop schema: %v", err)
	}
}
