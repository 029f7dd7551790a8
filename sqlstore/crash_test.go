package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ownershipkit/ownership"
)

// The crash test: a child process (this test binary, run again) makes
// random ownership changes, some inside host transactions that it rolls
// back, while a relay delivers the outbox to an idempotent consumer that
// keeps what it received in a table of the same database. The parent
// kills the child with SIGKILL at a random moment, many times. After each
// kill, a relay catches up, resuming the propagations cut
// short; then every record's consumed events must run from version 1 to
// its stored version without a gap, and the last one must carry its
// stored list: every committed change reached the consumer once, and no
// rolled-back one did. No synced child may differ from its parent.

const (
	crashChildVar  = "OWNERSHIP_CRASH_CHILD"   // "sqlite:<path>" or "postgres:<schema>"
	crashSeedVar   = "OWNERSHIP_CRASH_SEED"    // the child's random seed
	crashConsumers = `ownership_test_consumed` // the consumer's table
	crashAppName   = "ownership_crash_child"   // the child's connections, on PostgreSQL
)

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashChildVar) != "" {
		t.Skip("in the child, TestCrashChild runs")
	}
	kills := 12
	if testing.Short() {
		kills = 4
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "crash.db")
		crashRun(t, "sqlite:"+path, kills, func() *Store {
			db, err := sql.Open("sqlite", sqliteDSN(path))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return New(db, SQLite)
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := postgresDSN(t)
		schema := fmt.Sprintf("ownership_crash_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
		t.Cleanup(func() { dropSchema(t, dsn, schema) })
		crashRun(t, "postgres:"+schema, kills, func() *Store {
			db := openPostgresSchema(t, dsn, schema)
			t.Cleanup(func() { db.Close() })
			return New(db, Postgres)
		})
	})
}

// crashRun starts and kills the child kills times, then checks the
// database through open.
func crashRun(t *testing.T, target string, kills int, open func() *Store) {
	s := open()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+crashConsumers+` (
		event_id TEXT PRIMARY KEY, record_type TEXT NOT NULL, record_id TEXT NOT NULL,
		version BIGINT NOT NULL, after_list TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	crashDirectory(t, s)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildVar+"="+target, crashSeedVar+"="+strconv.Itoa(i))
		out := &limitedBuffer{max: 1 << 16}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+rng.IntN(600)) * time.Millisecond)
		_ = cmd.Process.Kill() // SIGKILL
		err := cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		if err == nil {
			t.Fatalf("the child ended before it was killed:\n%s", out.buf)
		}
		// After each kill: once the database has finished what the child
		// sent before dying, a relay catches up, resuming the propagations
		// cut short, and the consumer must hold every committed change.
		crashSettle(t, s)
		crashCatchUp(t, s)
		crashCheck(t, s, i == kills-1)
		if t.Failed() {
			if dead, err := s.OutboxEvents(ctx, Dead, 20); err == nil {
				for _, d := range dead {
					t.Logf("dead event %s after %d attempts: %s", d.Event.ID(), d.Attempts, d.LastError)
				}
			}
			t.Fatalf("after kill %d", i+1)
		}
	}
}

// crashSettle waits until PostgreSQL has ended the killed child's
// sessions: a statement the child sent just before it died (a COMMIT,
// say) may still be running, and commit after the catch-up has looked.
func crashSettle(t *testing.T, s *Store) {
	t.Helper()
	if s.d != Postgres {
		return // SQLite lives in the child's process, and died with it
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1`, crashAppName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions of the killed child still open", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// crashCatchUp delivers what is left in the outbox, which repairs the
// synced records a killed process left behind.
func crashCatchUp(t *testing.T, s *Store) {
	t.Helper()
	// Catch up: deliver what is left; delivering resumes the
	// propagations cut short (Propagating), with no Reconcile. The
	// relay's clock runs an hour ahead, past the leases of the last child
	// and the backoffs of deliveries that failed in it.
	relay := NewRelay(s, Propagating(crashManager(s), crashConsumer(s)), RelayOptions{Batch: 500, Now: func() time.Time { return time.Now().Add(time.Hour) }})
	for {
		n, err := relay.DeliverOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if left := pendingIDs(t, s); len(left) > 0 {
		t.Errorf("%d events still pending after the catch-up", len(left))
	}
}

// TestCrashChild is the child's work: random changes and a relay, until
// it is killed.
func TestCrashChild(t *testing.T) {
	target := os.Getenv(crashChildVar)
	if target == "" {
		t.Skip("run by TestCrashRecovery")
	}
	seed, _ := strconv.Atoi(os.Getenv(crashSeedVar))
	var s *Store
	switch kind, arg, _ := strings.Cut(target, ":"); kind {
	case "sqlite":
		db, err := sql.Open("sqlite", sqliteDSN(arg))
		if err != nil {
			t.Fatal(err)
		}
		s = New(db, SQLite)
	case "postgres":
		cfg, err := pgx.ParseConfig(os.Getenv(postgresDSNVar))
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["search_path"] = arg
		cfg.RuntimeParams["application_name"] = crashAppName
		s = New(stdlib.OpenDB(*cfg), Postgres)
	}
	m := crashManager(s)
	relay := NewRelay(s, Propagating(m, crashConsumer(s)), RelayOptions{Batch: 50, Lease: 200 * time.Millisecond, Poll: 10 * time.Millisecond})
	go func() { _ = relay.Run(context.Background()) }()
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	for i := 0; i < 1000; i++ {
		crashStep(s, m, rng, seed, i)
	}
	time.Sleep(time.Hour) // wait for the kill
}

// crashStep makes one random change; a third of them in a host
// transaction, half of which it rolls back. Errors (denials, conflicts)
// are part of the game.
func crashStep(s *Store, m *ownership.Manager, rng *rand.Rand, seed, i int) {
	contact := ownership.Ref{Type: "contact", ID: strconv.Itoa(rng.IntN(30))}
	user := ownership.UserID("rep" + strconv.Itoa(rng.IntN(4)))
	boss := ownership.Subject{ID: "boss", Roles: []string{"manager"}}
	var tx *sql.Tx
	mm := m
	if rng.IntN(3) == 0 {
		var err error
		if tx, err = s.DB().BeginTx(ctx, nil); err != nil {
			return
		}
		mm = m.WithStore(s.InTx(tx))
	}
	switch rng.IntN(6) {
	case 0:
		_, _ = mm.Create(ctx, ownership.Record{Ref: contact}, ownership.Creation{Source: ownership.SourceForm})
	case 1:
		doc := ownership.Ref{Type: "document", ID: fmt.Sprintf("%d-%d-%d", seed, i, rng.IntN(1000))}
		_, _ = mm.Create(ctx, ownership.Record{Ref: doc, Parent: contact, Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm})
	case 2:
		_, _ = mm.Claim(ctx, ownership.Subject{ID: user, Roles: []string{"rep"}}, contact)
	case 3, 4:
		_, _ = mm.Reassign(ctx, boss, contact, user)
	case 5:
		_, _ = mm.AddFollower(ctx, boss, contact, user)
	}
	if tx != nil {
		if rng.IntN(2) == 0 {
			_ = tx.Rollback()
		} else {
			_ = tx.Commit()
		}
	}
}

func crashManager(s *Store) *ownership.Manager {
	return &ownership.Manager{Store: s, Users: s, Policy: ownership.MustPolicy(map[string]ownership.RoleDef{
		"manager": {Bypass: true},
		"rep":     {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.Own, Claim: true}}},
	})}
}

func crashDirectory(t *testing.T, s *Store) {
	t.Helper()
	users := []ownership.User{{ID: "boss", Roles: []string{"manager"}}}
	for i := range 4 {
		users = append(users, ownership.User{ID: ownership.UserID("rep" + strconv.Itoa(i)), Roles: []string{"rep"}})
	}
	for _, u := range users {
		if err := s.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

// crashConsumer is an idempotent consumer: it records each event once,
// by id, in its own table, whatever how often it is delivered.
func crashConsumer(s *Store) func(context.Context, Delivery) error {
	return func(ctx context.Context, d Delivery) error {
		after, err := json.Marshal(d.Event.After)
		if err != nil {
			return err
		}
		_, err = s.DB().ExecContext(ctx, s.q(`INSERT INTO `+crashConsumers+` (event_id, record_type, record_id, version, after_list)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`),
			d.ID, d.Event.Record.Type, d.Event.Record.ID, int64(d.Event.Version), string(after))
		return err
	}
}

// crashAll lists every record of s.
func crashAll(s *Store) func(func(ownership.Record, error) bool) {
	return func(yield func(ownership.Record, error) bool) {
		for _, typ := range []string{"contact", "document"} {
			var refs []ownership.Ref
			rows, err := s.DB().QueryContext(ctx, s.q(`SELECT type, id FROM ownership_records WHERE type = $1 ORDER BY id`), typ)
			if err != nil {
				yield(ownership.Record{}, err)
				return
			}
			for rows.Next() {
				var r ownership.Ref
				if err := rows.Scan(&r.Type, &r.ID); err != nil {
					rows.Close()
					yield(ownership.Record{}, err)
					return
				}
				refs = append(refs, r)
			}
			rows.Close()
			for _, ref := range refs {
				r, err := s.Get(ctx, ref)
				if !yield(r, err) {
					return
				}
			}
		}
	}
}

// crashCheck compares what the consumer received with the records.
func crashCheck(t *testing.T, s *Store, last bool) {
	t.Helper()
	type got struct {
		versions []int64
		last     string
	}
	consumed := map[ownership.Ref]*got{}
	rows, err := s.DB().QueryContext(ctx, `SELECT record_type, record_id, version, after_list FROM `+crashConsumers+` ORDER BY record_type, record_id, version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref ownership.Ref
		var v int64
		var after string
		if err := rows.Scan(&ref.Type, &ref.ID, &v, &after); err != nil {
			t.Fatal(err)
		}
		g := consumed[ref]
		if g == nil {
			g = &got{}
			consumed[ref] = g
		}
		g.versions = append(g.versions, v)
		g.last = after
	}
	rows.Close()
	records, synced := 0, 0
	for r, err := range crashAll(s) {
		if err != nil {
			t.Fatal(err)
		}
		records++
		g := consumed[r.Ref]
		if g == nil {
			t.Errorf("%s (version %d): no event consumed", r.Ref, r.Version)
			continue
		}
		for i, v := range g.versions {
			if v != int64(i+1) {
				t.Errorf("%s: consumed versions %v, want 1..%d", r.Ref, g.versions, r.Version)
				break
			}
		}
		if len(g.versions) != int(r.Version) {
			t.Errorf("%s: %d events consumed, stored version %d", r.Ref, len(g.versions), r.Version)
		}
		var last ownership.List
		if err := json.Unmarshal([]byte(g.last), &last); err != nil || !last.SameAccess(r.Ownership) {
			t.Errorf("%s: last consumed list %s, stored %s (%v)", r.Ref, g.last, r.Ownership, err)
		}
		delete(consumed, r.Ref)
		if r.Mode == ownership.SyncWithParent {
			synced++
			parent, err := s.Get(ctx, r.Parent)
			if err != nil || !parent.Ownership.SameAccess(r.Ownership) {
				t.Errorf("%s differs from its parent %s: %s vs %s (%v)", r.Ref, r.Parent, r.Ownership, parent.Ownership, err)
			}
		}
	}
	for ref, g := range consumed {
		t.Errorf("events of %s consumed (versions %v), but it was never committed", ref, g.versions)
	}
	if last && (records < 10 || synced == 0) {
		t.Errorf("the children made too little: %d records, %d synced", records, synced)
	}
	if last {
		t.Logf("%d records (%d synced) checked against their consumed events", records, synced)
	}
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	max int
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
