package sqlstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
)

func TestUsersSQLite(t *testing.T) { testUsers(t, openSQLite(t)) }

func TestUsersPostgres(t *testing.T) { testUsers(t, openPostgres(t, postgresDSN(t))) }

// testUsers: Users lists every user, whole, once each, in byte order of
// their ids, across more than one batch; and a stopped loop stops.
func testUsers(t *testing.T, s *Store) {
	for range s.Users(ctx) {
		t.Fatal("Users of an empty directory yielded")
	}
	want := []ownership.User{
		{ID: "Zed", Login: "zed", Email: "zed@example.com", GivenName: "Zed", LastName: "Z", Roles: []string{"manager", "sales_rep"},
			Skills: []string{"de"}, Fields: map[string]string{"team": "north"}},
		{ID: "ann", Roles: []string{"sales_rep"}},
		{ID: "bob", Inactive: true},
		{ID: "émile"},
	}
	for i := range usersBatch + 1 - len(want) {
		want = append(want, ownership.User{ID: ownership.UserID(fmt.Sprintf("u%05d", i))})
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range want {
		if err := s.InTx(tx).PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, func(a, b ownership.User) int { return strings.Compare(string(a.ID), string(b.ID)) })
	var got []ownership.User
	for u, err := range s.Users(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}
	n := 0
	for range s.Users(ctx) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("a loop stopped after 2 users ran %d times", n)
	}
	var dir ownership.Directory = s
	if _, ok := dir.(ownership.UserLister); !ok {
		t.Error("Store is not an ownership.UserLister")
	}
}

func TestSyncedSQLite(t *testing.T) { testSynced(t, openSQLite(t)) }

func TestSyncedPostgres(t *testing.T) { testSynced(t, openPostgres(t, postgresDSN(t))) }

// testSynced: Synced lists exactly the synced records, whole, in ref
// order, across more than one batch.
func testSynced(t *testing.T, s *Store) {
	owner := ownership.MustList(ownership.Entry{UserID: "ann", Role: ownership.Owner})
	parent := ownership.Record{Ref: ownership.MustRef("account/a"), Ownership: owner}
	if _, err := s.CompareAndSwap(ctx, parent); err != nil {
		t.Fatal(err)
	}
	var want []ownership.Ref
	for i := range syncedBatch + 3 {
		ref := ownership.Ref{Type: "document", ID: fmt.Sprintf("d%04d", i)}
		mode := ownership.SyncWithParent
		if i%50 == 7 {
			mode = ownership.Independent
		} else {
			want = append(want, ref)
		}
		if _, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref, Parent: parent.Ref, Mode: mode, Ownership: owner}); err != nil {
			t.Fatal(err)
		}
	}
	var got []ownership.Ref
	for r, err := range s.Synced(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Mode != ownership.SyncWithParent || r.Parent != parent.Ref || !r.Ownership.Equal(owner) {
			t.Errorf("Synced yielded %+v", r)
		}
		got = append(got, r.Ref)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Synced (-want +got):\n%s", diff)
	}
}
