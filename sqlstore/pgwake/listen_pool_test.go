package pgwake_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ownershipkit/ownership/sqlstore/pgwake"
)

// When Listen's context ends, its connection must not go back to the pool
// still listening.
func TestListenConnectionDoesNotReturnListening(t *testing.T) {
	dsn := os.Getenv("OWNERSHIP_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("no PostgreSQL")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	db.SetMaxOpenConns(1) // the pool has one connection: the listener's
	lctx, cancel := context.WithCancel(context.Background())
	if _, err := pgwake.Listen(lctx, db); err != nil {
		t.Fatal(err)
	}
	cancel()
	time.Sleep(200 * time.Millisecond)
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_listening_channels()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a pooled connection still listens on %d channel(s) after Listen's context ended", n)
	}
}
