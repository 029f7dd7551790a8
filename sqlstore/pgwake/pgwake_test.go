package pgwake_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
	"github.com/ownershipkit/ownership/sqlstore/pgwake"
	_ "modernc.org/sqlite"
)

// A relay that polls once an hour still delivers at once: the commit that
// wrote the event woke it.
func TestListenWakesTheRelay(t *testing.T) {
	dsn := os.Getenv("OWNERSHIP_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("OWNERSHIP_POSTGRES_DSN not set: PostgreSQL tests skipped")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	schema := "ownership_pgwake_test"
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer admin.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	st := sqlstore.New(db, sqlstore.Postgres)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wake, err := pgwake.Listen(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	relay := sqlstore.NewRelay(st, func(_ context.Context, d sqlstore.Delivery) error {
		got <- d.ID
		return nil
	}, sqlstore.RelayOptions{Wake: wake, Poll: time.Hour})
	go relay.Run(ctx)
	time.Sleep(100 * time.Millisecond) // the relay's first round finds nothing and waits
	m := &ownership.Manager{Policy: ownership.MustPolicy(map[string]ownership.RoleDef{}), Store: st}
	if _, err := m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/c1")}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != "contact/c1@1" {
			t.Errorf("delivered %s", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the relay was not woken")
	}
}

func TestListenNeedsPgx(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err == nil {
		defer db.Close()
		if _, err := pgwake.Listen(context.Background(), db); err == nil {
			t.Error("Listen on a database that is not pgx's succeeded")
		}
	}
}
