package pgxtx_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
	"github.com/ownershipkit/ownership/sqlstore/pgxtx"
)

var ctx = context.Background()

// open returns a migrated store in a schema of its own on the test
// server, and the pgx configuration of a connection that works in it.
func open(t *testing.T) (*sqlstore.Store, *pgx.ConnConfig) {
	t.Helper()
	dsn := os.Getenv("OWNERSHIP_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("OWNERSHIP_POSTGRES_DSN not set: PostgreSQL tests skipped")
	}
	schema := fmt.Sprintf("ownership_pgxtx_%d_%d", os.Getpid(), time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	st := sqlstore.New(db, sqlstore.Postgres)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st, cfg
}

// connect opens a pgx connection of the host's.
func connect(t *testing.T, cfg *pgx.ConnConfig) *pgx.Conn {
	t.Helper()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	return c
}

func manager(t *testing.T, st *sqlstore.Store) *ownership.Manager {
	t.Helper()
	users := []ownership.User{{ID: "boss", Roles: []string{"manager"}}, {ID: "rep0", Roles: []string{"rep"}}, {ID: "rep1", Roles: []string{"rep"}}}
	for _, u := range users {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{
		"manager": {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.All, Claim: true, Reassign: true}}},
		"rep":     {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
	})
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	return &ownership.Manager{Policy: policy, Store: st, Users: st, Now: func() time.Time { return now }}
}

func rep(i int) ownership.Subject {
	return ownership.Subject{ID: ownership.UserID(fmt.Sprintf("rep%d", i)), Roles: []string{"rep"}}
}

func pendingIDs(t *testing.T, st *sqlstore.Store) []string {
	t.Helper()
	evs, err := st.OutboxEvents(ctx, sqlstore.Pending, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.Event.ID())
	}
	return ids
}

// Changes made through the host's pgx transaction commit with the host's
// own rows, events included; a rolled-back transaction leaves no change,
// no event and no row; a refused write leaves the transaction usable.
func TestHostPgxTransaction(t *testing.T) {
	st, cfg := open(t)
	m := manager(t, st)
	host := connect(t, cfg)
	if _, err := host.Exec(ctx, `CREATE TABLE contacts (id TEXT PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	create := func(id string, commit bool) {
		t.Helper()
		tx, err := host.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO contacts (id, name) VALUES ($1, $2)`, id, "Ann "+id); err != nil {
			t.Fatal(err)
		}
		tm := m.WithStore(st.InConn(pgxtx.Conn(tx)))
		ref := ownership.Ref{Type: "contact", ID: id}
		if _, err := tm.Create(ctx, ownership.Record{Ref: ref, Fields: map[string]string{"name": "Ann"}}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
		if _, err := tm.Claim(ctx, rep(0), ref); err != nil {
			t.Fatal(err)
		}
		// The transaction reads its own writes.
		if r, err := tm.Store.Get(ctx, ref); err != nil || !r.Ownership.IsOwner("rep0") || r.Fields["name"] != "Ann" {
			t.Fatalf("read inside the transaction: %+v %v", r, err)
		}
		// Refused writes leave the transaction usable.
		if _, err := tm.Create(ctx, ownership.Record{Ref: ref}, ownership.Creation{Source: ownership.SourceForm}); !errors.Is(err, ownership.ErrConflict) {
			t.Fatalf("second create in the transaction: %v, want ErrConflict", err)
		}
		if _, err := tm.Claim(ctx, rep(1), ref); err == nil {
			t.Fatal("claim of an owned record succeeded")
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET name = $1 WHERE id = $2`, "Ann B. "+id, id); err != nil {
			t.Fatalf("the transaction is unusable after a refused write: %v", err)
		}
		if !commit {
			return
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// A store bound to a transaction that has ended says so.
		if _, err := tm.Store.Get(ctx, ref); !errors.Is(err, sqlstore.ErrTxAborted) {
			t.Fatalf("read through an ended transaction: %v, want ErrTxAborted", err)
		}
	}
	create("kept", true)
	create("dropped", false)

	rows, err := host.Query(ctx, `SELECT id || ': ' || name FROM contacts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(names, []string{"kept: Ann B. kept"}) {
		t.Errorf("contacts: %q, %v; want only the committed one", names, err)
	}
	if r, err := st.Get(ctx, ownership.MustRef("contact/kept")); err != nil || !r.Ownership.IsOwner("rep0") || r.Version != 2 {
		t.Errorf("committed record: %+v, %v", r, err)
	}
	if _, err := st.Get(ctx, ownership.MustRef("contact/dropped")); !errors.Is(err, ownership.ErrNotFound) {
		t.Errorf("rolled-back record: %v, want ErrNotFound", err)
	}
	if got := pendingIDs(t, st); !slices.Equal(got, []string{"contact/kept@1", "contact/kept@2"}) {
		t.Errorf("outbox: %q, want only the committed changes", got)
	}
}

// A host pgx transaction at REPEATABLE READ that loses a compare-and-swap
// to another writer is aborted by the database: the error says so
// (ErrTxAborted) and is not a conflict to retry in place.
func TestHostPgxTransactionAborted(t *testing.T) {
	st, cfg := open(t)
	m := manager(t, st)
	c := ownership.MustRef("contact/c1")
	if _, err := m.Create(ctx, ownership.Record{Ref: c}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		t.Fatal(err)
	}
	tx, err := connect(t, cfg).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	ts := st.InConn(pgxtx.Conn(tx))
	if _, err := ts.Get(ctx, c); err != nil { // takes the snapshot
		t.Fatal(err)
	}
	if _, err := m.Claim(ctx, rep(1), c); err != nil { // another writer, outside
		t.Fatal(err)
	}
	_, err = m.WithStore(ts).Claim(ctx, rep(0), c)
	if !errors.Is(err, sqlstore.ErrTxAborted) || errors.Is(err, ownership.ErrConflict) {
		t.Fatalf("claim in a stale REPEATABLE READ transaction: %v, want ErrTxAborted and not ErrConflict", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, st); !slices.Equal(got, []string{"contact/c1@1", "contact/c1@2"}) {
		t.Errorf("outbox: %q, want only the changes outside the aborted transaction", got)
	}
}

// Every method of the store works through the host's pgx transaction,
// and reads the same there as a store on the database reads once the
// transaction committed.
func TestEveryMethodThroughPgxTransaction(t *testing.T) {
	st, cfg := open(t)
	m := manager(t, st)
	tx, err := connect(t, cfg).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	ts := st.InConn(pgxtx.Conn(tx))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ts.PutUser(ctx, ownership.User{ID: "u9", Login: "nine", Email: "u9@example.com", GivenName: "Una", LastName: "Nine",
		Roles: []string{"rep"}, Inactive: true, Skills: []string{"de"}, Fields: map[string]string{"team": "north"}}))
	owner := func(u ownership.UserID) ownership.List {
		l, err := ownership.NewList(ownership.Entry{UserID: u, Role: ownership.Owner})
		must(err)
		return l
	}
	parent := ownership.MustRef("account/a1")
	recs := []ownership.Record{
		{Ref: parent, Ownership: owner("rep0"), Fields: map[string]string{"name": "Acme"}},
		{Ref: ownership.MustRef("contact/c1"), Parent: parent, Mode: ownership.SyncWithParent, Ownership: owner("rep0")},
		{Ref: ownership.MustRef("contact/c2"), Parent: parent, Mode: ownership.SyncWithParent, Ownership: owner("rep0")},
		{Ref: ownership.MustRef("contact/c3"), Ownership: owner("rep0")},
		{Ref: ownership.MustRef("contact/gone")},
	}
	rep, err := ts.Import(ctx, slices.Values(recs), sqlstore.ImportOptions{Now: m.Now})
	must(err)
	if rep.Imported != len(recs) {
		t.Fatalf("import: %+v", rep)
	}
	src, err := ts.Get(ctx, parent)
	must(err)
	src.Ownership = owner("rep1")
	src, err = ts.CompareAndSwap(ctx, src)
	must(err)
	if _, err := ts.SyncDescendants(ctx, parent, src, m.Now()); err != nil {
		t.Fatal(err)
	}
	tr, err := m.WithStore(ts).Transfer(ctx, ownership.Subject{ID: "boss", Roles: []string{"manager"}}, "rep0", "rep1", ownership.TransferOptions{})
	if err != nil || len(tr.Moved) != 1 {
		t.Fatalf("transfer: %+v, %v; want contact/c3 moved", tr, err)
	}
	must(ts.Delete(ctx, ownership.MustRef("contact/gone")))
	if _, err := ts.PruneEvents(ctx, m.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ts.Redeliver(ctx, "contact/nothing@1"); !errors.Is(err, ownership.ErrNotFound) {
		t.Fatalf("redeliver of no event: %v, want ErrNotFound", err)
	}

	read := func(s *sqlstore.Store) map[string]any {
		t.Helper()
		out := map[string]any{}
		u, err := s.User(ctx, "u9")
		must(err)
		out["user"] = u
		u, err = s.UserBy(ctx, "email", "u9@example.com")
		must(err)
		out["userBy"] = u
		out["users"] = collect(t, s.Users(ctx))
		refs := []ownership.Ref{parent, ownership.MustRef("contact/c1"), ownership.MustRef("contact/c2"), ownership.MustRef("contact/c3")}
		many, err := s.GetMany(ctx, refs)
		must(err)
		out["getMany"] = many
		all, next, err := s.ListMatching(ctx, ownership.Predicate{}, sqlstore.Page{})
		must(err)
		out["listMatching"], out["next"] = all, next
		listed, _, err := s.List(ctx, m.Policy, ownership.Subject{ID: "rep1", Roles: []string{"rep"}}, ownership.View, "contact", sqlstore.Page{})
		must(err)
		out["list"] = listed
		out["children"] = collect(t, s.Children(ctx, parent))
		out["recordsOf"] = collect(t, s.RecordsOf(ctx, "rep1"))
		n, err := s.CountOwned(ctx, "rep1", "")
		must(err)
		out["countOwned"] = n
		out["synced"] = collect(t, s.Synced(ctx))
		w, err := s.WithSyncedChildren(ctx, refs)
		must(err)
		out["withSyncedChildren"] = w
		evs, err := s.OutboxEvents(ctx, sqlstore.Pending, 1000)
		must(err)
		out["outbox"] = evs
		if _, err := s.Get(ctx, ownership.MustRef("contact/gone")); !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("deleted record: %v, want ErrNotFound", err)
		}
		return out
	}
	inside := read(ts)
	if inside["countOwned"] != 4 || len(inside["outbox"].([]sqlstore.OutboxEvent)) < 5 {
		t.Errorf("inside the transaction: %d owned by rep1, %d events", inside["countOwned"], len(inside["outbox"].([]sqlstore.OutboxEvent)))
	}
	must(tx.Commit(ctx))
	if diff := cmp.Diff(inside, read(st)); diff != "" {
		t.Errorf("read through the pgx transaction (-) and on the database after commit (+):\n%s", diff)
	}
}

func collect[T any](t *testing.T, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
