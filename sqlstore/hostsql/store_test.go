package hostsql

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

func owner(u ownership.UserID) ownership.List {
	return ownership.MustList(ownership.Entry{UserID: u, Role: ownership.Owner})
}

// TestStoreReadsEveryMapping: Get, RecordsOf and CountOwned over the
// random data of the differential test give the records built in Go from
// the same data: owner columns, entries, matched fields, synced
// documents.
func TestStoreReadsEveryMapping(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		w := newWorld(t, tdb, rand.New(rand.NewPCG(11, 3)))
		s, err := NewStore(tdb.db, tdb.d, w.tables, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[ownership.UserID][]string{}
		owned := map[ownership.UserID]int{}
		for _, typ := range s.types {
			for _, r := range w.records[typ] {
				got, err := s.Get(ctx, r.Ref)
				if err != nil {
					t.Fatalf("Get(%q): %v", r.Ref, err)
				}
				if !got.Ownership.Equal(r.Ownership) || got.Mode != r.Mode || got.Parent != r.Parent {
					t.Errorf("Get(%q): got %v %v parent %v, want %v %v parent %v", r.Ref, got.Ownership, got.Mode, got.Parent, r.Ownership, r.Mode, r.Parent)
				}
				for _, e := range r.Ownership.Entries() {
					want[e.UserID] = append(want[e.UserID], r.Ref.String())
					if e.Role == ownership.Owner {
						owned[e.UserID]++
					}
				}
			}
		}
		for _, u := range w.users {
			var got []string
			for ref, err := range s.RecordsOf(ctx, u) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ref.String())
			}
			wantRefs := want[u]
			slices.SortFunc(wantRefs, func(a, b string) int { return compareRefs(ownership.MustRef(a), ownership.MustRef(b)) })
			if !slices.Equal(got, wantRefs) {
				t.Errorf("RecordsOf(%q):\n got %q\nwant %q", u, got, wantRefs)
			}
			if n, err := s.CountOwned(ctx, u, ""); err != nil || n != owned[u] {
				t.Errorf("CountOwned(%q): got %d, %v, want %d", u, n, err, owned[u])
			}
		}
		for _, ref := range []ownership.Ref{{Type: "contact", ID: "007"}, {Type: "contact", ID: "x"}, {Type: "ucontact", ID: "0B6D8C5E-1F0A-4C1E-9A39-5B9F5F1E2D3C"}, {Type: "nosuch", ID: "1"}, {Type: "tcontact", ID: "nope"}} {
			if _, err := s.Get(ctx, ref); !errors.Is(err, ownership.ErrNotFound) {
				t.Errorf("Get(%q): got %v, want ErrNotFound", ref, err)
			}
		}
	})
}

func compareRefs(a, b ownership.Ref) int {
	if a.Type != b.Type {
		if a.Type < b.Type {
			return -1
		}
		return 1
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// crmSchema is a CRM's existing schema, with the version column added
// for adoption.
var crmSchema = []string{
	`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, role TEXT, active BOOLEAN NOT NULL DEFAULT TRUE)`,
	`CREATE TABLE contacts (id BIGINT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT)`,
	`ALTER TABLE contacts ADD COLUMN ownership_version BIGINT NOT NULL DEFAULT 0`,
	`CREATE TABLE documents (id BIGINT PRIMARY KEY, contact_id BIGINT, title TEXT NOT NULL DEFAULT '')`,
	`INSERT INTO users (id, email, role) VALUES ('rep1', 'rep1@x.io', 'sales_rep'), ('rep2', 'rep2@x.io', 'sales_rep'), ('boss', 'boss@x.io', 'manager')`,
	`INSERT INTO contacts (id, name, owner_id) VALUES (1, 'Ada', 'rep1'), (2, 'Bo', NULL), (3, 'Cy', 'rep2'), (10, 'Di', '')`,
	`INSERT INTO documents (id, contact_id, title) VALUES (100, 1, 'offer'), (101, 2, 'brief'), (102, NULL, 'orphan')`,
}

var crmPolicy = ownership.MustPolicy(map[string]ownership.RoleDef{
	"manager":   {Types: map[string]ownership.Permissions{"*": {View: ownership.All, Update: ownership.All, Claim: true, Reassign: true}}},
	"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}, "document": {View: ownership.Own | ownership.Unassigned}}},
})

// openCRM returns a store over crmSchema, with the outbox when outbox.
func openCRM(t *testing.T, tdb testDB, outbox bool) (*Store, *sqlstore.Store) {
	t.Helper()
	execAll(t, tdb, crmSchema...)
	contacts := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", KeyKind: KeyInteger, OwnerColumn: "owner_id", VersionColumn: "ownership_version"}, tdb.d)
	documents := MustTable(Mapping{Type: "document", Table: "documents", Key: "id", KeyKind: KeyInteger, ParentColumn: "contact_id", Parent: contacts}, tdb.d)
	s, err := NewStore(tdb.db, tdb.d, []*Table{contacts, documents}, Options{Outbox: outbox,
		Users: &Users{Table: "users", ID: "id", Email: "email", Roles: "role", Inactive: ""}})
	if err != nil {
		t.Fatal(err)
	}
	lib := sqlstore.New(tdb.db, tdb.d)
	if outbox {
		if err := lib.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return s, lib
}

// TestRefusals: what one owner column cannot hold is refused with
// ErrInvalid and nothing is written; so are writes to read-only tables,
// unmapped types and malformed keys.
func TestRefusals(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		s, _ := openCRM(t, tdb, false)
		c1 := ownership.MustRef("contact/1")
		cur, err := s.Get(ctx, c1)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			r    ownership.Record
		}{
			{"a follower", ownership.Record{Ref: c1, Ownership: ownership.MustList(ownership.Entry{UserID: "rep1", Role: ownership.Owner}, ownership.Entry{UserID: "bob", Role: ownership.Follower})}},
			{"two owners", ownership.Record{Ref: c1, Ownership: ownership.MustList(ownership.Entry{UserID: "rep1", Role: ownership.Owner}, ownership.Entry{UserID: "rep2", Role: ownership.Owner})}},
			{"synced", ownership.Record{Ref: c1, Mode: ownership.SyncWithParent}},
			{"fields", ownership.Record{Ref: c1, Fields: map[string]string{"a": "b"}}},
			{"a parent", ownership.Record{Ref: c1, Parent: ownership.MustRef("account/1")}},
			{"a document: its ownership is its contact's", ownership.Record{Ref: ownership.MustRef("document/100")}},
			{"an unmapped type", ownership.Record{Ref: ownership.MustRef("deal/1")}},
			{"a key that is not an integer", ownership.Record{Ref: ownership.MustRef("contact/01")}},
			{"an invalid ref", ownership.Record{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.r
				r.Version = cur.Version
				if _, err := s.CompareAndSwap(ctx, r); !errors.Is(err, ownership.ErrInvalid) {
					t.Errorf("got %v, want an error wrapping ErrInvalid", err)
				}
			})
		}
		if got, _ := s.Get(ctx, c1); got.Version != cur.Version || !got.Ownership.Equal(owner("rep1")) {
			t.Errorf("a refused write changed contact/1: %v v%d", got.Ownership, got.Version)
		}
		// Through the Manager: adding a follower is refused, not dropped.
		m := &ownership.Manager{Policy: crmPolicy, Store: s, Users: s}
		rep1, _ := s.User(ctx, "rep1")
		if _, err := m.AddFollower(ctx, rep1.Subject(), c1, "rep2"); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("AddFollower: got %v, want ErrInvalid", err)
		}
	})
}

// TestAdoption: rows the host wrote before adopting the library read at
// version 0, with their owner column as the list (” is unassigned); the
// Manager claims, reassigns and creates on them by compare-and-swap, with
// each change's event in sqlstore's outbox, delivered by sqlstore's relay;
// a rolled-back host transaction leaves neither.
func TestAdoption(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		s, lib := openCRM(t, tdb, true)
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		m := &ownership.Manager{Policy: crmPolicy, Store: s, Users: s, Now: func() time.Time { return now }}
		rep1, _ := s.User(ctx, "rep1")
		boss, err := s.User(ctx, "boss")
		if err != nil || boss.Email != "boss@x.io" || !slices.Equal(boss.Roles, []string{"manager"}) {
			t.Fatalf("User(boss) = %+v, %v", boss, err)
		}
		c2, c10 := ownership.MustRef("contact/2"), ownership.MustRef("contact/10")
		if r, _ := s.Get(ctx, c10); r.Version != 0 || !r.Ownership.Unassigned() {
			t.Errorf("contact/10 with owner '': got %v v%d, want unassigned at v0", r.Ownership, r.Version)
		}
		if r, err := m.Claim(ctx, rep1.Subject(), c2); err != nil || r.Version != 1 || !r.Ownership.SameAccess(owner("rep1")) {
			t.Fatalf("Claim: %v v%d, %v", r.Ownership, r.Version, err)
		}
		if _, err := m.Claim(ctx, rep1.Subject(), ownership.MustRef("contact/3")); !errors.Is(err, ownership.ErrDenied) {
			t.Errorf("Claim of rep2's contact: got %v, want a denial", err)
		}
		if r, err := m.Reassign(ctx, boss.Subject(), c2, "rep2"); err != nil || r.Version != 2 {
			t.Fatalf("Reassign: %v, %v", r, err)
		}
		var name string
		var ownerID string
		tdb.db.QueryRowContext(ctx, "SELECT name, owner_id FROM contacts WHERE id = 2").Scan(&name, &ownerID)
		if name != "Bo" || ownerID != "rep2" {
			t.Errorf("the host's row: got %q owned by %q, want Bo owned by rep2", name, ownerID)
		}
		// The document of contact 2 follows it at once.
		if d, err := s.Get(ctx, ownership.MustRef("document/101")); err != nil || !d.Ownership.Equal(owner("rep2")) || d.Mode != ownership.SyncWithParent {
			t.Errorf("document/101: %v %v, %v", d.Ownership, d.Mode, err)
		}
		// Create by hand in the host's transaction: the host inserts its
		// row, the Manager writes the ownership.
		tx, err := tdb.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, sqliteOr(tdb, "INSERT INTO contacts (id, name) VALUES ($1, $2)"), 20, "Eve"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.WithStore(s.InTx(tx)).Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/20")},
			ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep1"}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		// A rolled-back transaction leaves no change and no event.
		tx, _ = tdb.db.BeginTx(ctx, nil)
		if _, err := m.WithStore(s.InTx(tx)).Claim(ctx, rep1.Subject(), c10); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		if r, _ := s.Get(ctx, c10); r.Version != 0 {
			t.Errorf("after a rollback: contact/10 at v%d", r.Version)
		}
		var got []string
		relay := sqlstore.NewRelay(lib, func(_ context.Context, d sqlstore.Delivery) error {
			got = append(got, fmt.Sprintf("%s %s %v", d.ID, d.Event.Kind, d.Event.Assigned))
			return nil
		}, sqlstore.RelayOptions{Now: func() time.Time { return now }})
		for {
			n, err := relay.DeliverOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		// In version order per record; contact/2's second event waits for
		// its first.
		want := []string{"contact/2@1 claimed [rep1]", "contact/20@1 created [rep1]", "contact/2@2 reassigned [rep2]"}
		if !slices.Equal(got, want) {
			t.Errorf("delivered:\n got %q\nwant %q", got, want)
		}
	})
}

func sqliteOr(tdb testDB, q string) string {
	if tdb.d == sqlstore.SQLite {
		return sqliteMarkers(q)
	}
	return q
}

// TestConcurrentClaims: of many reps claiming one unassigned contact at
// once, exactly one wins; the others are told it is already assigned.
func TestConcurrentClaims(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		s, _ := openCRM(t, tdb, true)
		const n = 8
		for i := range n {
			execAll(t, tdb, fmt.Sprintf("INSERT INTO users (id, role) VALUES ('r%d', 'sales_rep')", i))
		}
		m := &ownership.Manager{Policy: crmPolicy, Store: s, Users: s}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = m.Claim(ctx, ownership.Subject{ID: ownership.UserID(fmt.Sprint("r", i)), Roles: []string{"sales_rep"}}, ownership.MustRef("contact/2"))
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ownership.ErrConflict) || !errors.Is(err, ownership.ErrDenied):
				t.Errorf("a losing claim: got %v, want already_assigned", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d claims won, want 1", wins)
		}
		if r, _ := s.Get(ctx, ownership.MustRef("contact/2")); r.Version != 1 {
			t.Errorf("got version %d, want 1", r.Version)
		}
	})
}

// legacyTrigger is the README's trigger for code that writes owner_id
// without moving the version.
const legacyTrigger = `CREATE FUNCTION contacts_owner_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.owner_id IS DISTINCT FROM OLD.owner_id AND NEW.ownership_version = OLD.ownership_version THEN
    NEW.ownership_version := OLD.ownership_version + 1;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER contacts_owner_version BEFORE UPDATE ON contacts
  FOR EACH ROW EXECUTE FUNCTION contacts_owner_version();`

// TestLegacyWriterTrigger: with the README's trigger, a legacy write of
// owner_id moves the version, so a compare-and-swap that read before it
// fails instead of overwriting it; the store's own writes are counted
// once.
func TestLegacyWriterTrigger(t *testing.T) {
	tdb := testDB{"postgres", sqlstore.Postgres, openPostgres(t, postgresDSN(t))}
	s, _ := openCRM(t, tdb, false)
	execAll(t, tdb, legacyTrigger)
	c2 := ownership.MustRef("contact/2")
	r, err := s.CompareAndSwap(ctx, ownership.Record{Ref: c2, Ownership: owner("rep1")})
	if err != nil || r.Version != 1 {
		t.Fatalf("create: %v v%d, %v", r.Ownership, r.Version, err)
	}
	execAll(t, tdb, `UPDATE contacts SET owner_id = 'rep2' WHERE id = 2`)
	if _, err := s.CompareAndSwap(ctx, ownership.Record{Ref: c2, Version: 1}); !errors.Is(err, ownership.ErrConflict) {
		t.Errorf("a write at the version read before the legacy write: got %v, want ErrConflict", err)
	}
	got, _ := s.Get(ctx, c2)
	if got.Version != 2 || !got.Ownership.Equal(owner("rep2")) {
		t.Errorf("after the legacy write: %v v%d, want rep2 at v2", got.Ownership, got.Version)
	}
	if r, err := s.CompareAndSwap(ctx, ownership.Record{Ref: c2, Version: 2}); err != nil || r.Version != 3 {
		t.Errorf("a write at v2: v%d, %v", r.Version, err)
	}
	if got, _ := s.Get(ctx, c2); got.Version != 3 {
		t.Errorf("the store's write was counted as %d versions", got.Version-2)
	}
}
