package sqlstore

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
)

// TestMigrate: migrating again changes nothing and keeps the data; a
// schema newer than the package is refused.
func TestMigrate(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		r, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef("contact/c1")})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		if got, err := s.Get(ctx, r.Ref); err != nil || got.Version != 1 {
			t.Errorf("after Migrate: got %+v, %v", got, err)
		}
		var v int
		if err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM ownership_schema_migrations").Scan(&v); err != nil || v != SchemaVersion {
			t.Errorf("schema version: got %d, %v, want %d", v, err, SchemaVersion)
		}
		if _, err := s.db.ExecContext(ctx, "INSERT INTO ownership_schema_migrations (version) VALUES (99)"); err != nil {
			t.Fatal(err)
		}
		err = s.Migrate(ctx)
		if err == nil || !strings.HasPrefix(err.Error(), "sqlstore: ") || !strings.Contains(err.Error(), "99") {
			t.Errorf("Migrate on a newer schema: got %v, want a sqlstore error naming version 99", err)
		}
	})
}

// TestUnstorableText: text SQL cannot hold is refused on write and found
// nowhere on read, never sent to the database.
func TestUnstorableText(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		for _, bad := range []string{"a\x00b", "\xff\xfe"} {
			for _, r := range []ownership.Record{
				{Ref: ownership.Ref{Type: "contact", ID: bad}},
				{Ref: ownership.Ref{Type: bad, ID: "c1"}},
				{Ref: ownership.MustRef("contact/c1"), Parent: ownership.Ref{Type: "account", ID: bad}},
				{Ref: ownership.MustRef("contact/c1"), Ownership: ownership.MustList(ownership.Entry{UserID: ownership.UserID(bad), Role: ownership.Owner})},
				{Ref: ownership.MustRef("contact/c1"), Ownership: ownership.MustList(ownership.Entry{UserID: "ann", Role: ownership.Owner, Email: bad})},
				{Ref: ownership.MustRef("contact/c1"), Fields: map[string]string{"k": bad}},
				{Ref: ownership.MustRef("contact/c1"), Fields: map[string]string{bad: "v"}},
			} {
				if _, err := s.CompareAndSwap(ctx, r); !errors.Is(err, ownership.ErrInvalid) {
					t.Errorf("CompareAndSwap with %q: got %v, want ErrInvalid", bad, err)
				}
			}
			for _, u := range []ownership.User{
				{ID: ownership.UserID(bad)},
				{ID: "ann", Login: bad},
				{ID: "ann", Roles: []string{bad}},
				{ID: "ann", Fields: map[string]string{"k": bad}},
			} {
				if err := s.PutUser(ctx, u); !errors.Is(err, ownership.ErrInvalid) {
					t.Errorf("PutUser with %q: got %v, want ErrInvalid", bad, err)
				}
			}
			if _, err := s.Get(ctx, ownership.Ref{Type: "contact", ID: bad}); !errors.Is(err, ownership.ErrNotFound) {
				t.Errorf("Get(%q): got %v, want ErrNotFound", bad, err)
			}
			if _, err := s.User(ctx, ownership.UserID(bad)); !errors.Is(err, ownership.ErrNotFound) {
				t.Errorf("User(%q): got %v, want ErrNotFound", bad, err)
			}
			if _, err := s.UserBy(ctx, "login", bad); !errors.Is(err, ownership.ErrNotFound) {
				t.Errorf("UserBy(login, %q): got %v, want ErrNotFound", bad, err)
			}
			if n, err := s.CountOwned(ctx, ownership.UserID(bad), ""); n != 0 || err != nil {
				t.Errorf("CountOwned(%q): got %d, %v", bad, n, err)
			}
			for _, err := range s.RecordsOf(ctx, ownership.UserID(bad)) {
				t.Errorf("RecordsOf(%q): yielded (err %v)", bad, err)
			}
			for _, err := range s.Children(ctx, ownership.Ref{Type: "contact", ID: bad}) {
				t.Errorf("Children(%q): yielded (err %v)", bad, err)
			}
			if err := s.Delete(ctx, ownership.Ref{Type: "contact", ID: bad}); err != nil {
				t.Errorf("Delete(%q): %v", bad, err)
			}
		}
	})
}

// TestDatabaseErrors: a failing database yields errors that say
// "sqlstore: " and what failed, and wrap no sentinel.
func TestDatabaseErrors(t *testing.T) {
	s := openSQLite(t)
	s.db.Close()
	_, err := s.Get(ctx, ownership.MustRef("contact/c1"))
	if err == nil || !strings.HasPrefix(err.Error(), "sqlstore: get contact/c1: ") || errors.Is(err, ownership.ErrNotFound) {
		t.Errorf("Get on a closed database: got %v", err)
	}
	_, err = s.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef("contact/c1")})
	if err == nil || !strings.HasPrefix(err.Error(), "sqlstore: write contact/c1: ") || errors.Is(err, ownership.ErrConflict) {
		t.Errorf("CompareAndSwap on a closed database: got %v", err)
	}
	for _, err := range s.RecordsOf(ctx, "ann") {
		if err == nil || !strings.HasPrefix(err.Error(), "sqlstore: records of ann: ") {
			t.Errorf("RecordsOf on a closed database: got %v", err)
		}
	}
}

func TestNewPanicsOnMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"nil db":       func() { New(nil, SQLite) },
		"zero dialect": func() { New(&sql.DB{}, 0) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "sqlstore: New: ") {
					t.Errorf("%s: got panic %v, want one that says how to fix it", name, r)
				}
			}()
			f()
		}()
	}
}

// TestDamagedList: a list that breaks the list's rules in the database
// (here a role outside owner and follower, written behind the store's
// back) is a database error, not the caller's ErrInvalid.
func TestDamagedList(t *testing.T) {
	s := openSQLite(t)
	ref := ownership.MustRef("contact/c1")
	if _, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Ownership: ownership.MustList(ownership.Entry{UserID: "ann", Role: ownership.Owner})}); err != nil {
		t.Fatal(err)
	}
	s.db.SetMaxOpenConns(1) // the pragma below is per connection
	if _, err := s.db.ExecContext(ctx, "PRAGMA ignore_check_constraints = ON"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE ownership_entries SET role = 7"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, ref)
	if err == nil || errors.Is(err, ownership.ErrInvalid) || !strings.HasPrefix(err.Error(), "sqlstore: get contact/c1: ") {
		t.Errorf("Get of a damaged record: got %v, want a sqlstore error that is not ErrInvalid", err)
	}
}
