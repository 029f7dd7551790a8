package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// hookStore runs hook once, just before the first SyncDescendants reaches
// the database: another writer acting between bulkPropagate's read of the
// parent and its set-based write.
type hookStore struct {
	*Store
	hook func()
}

func (h *hookStore) SyncDescendants(ctx context.Context, root ownership.Ref, l ownership.Record, at time.Time) (ownership.BulkSync, error) {
	if f := h.hook; f != nil {
		h.hook = nil
		f()
	}
	return h.Store.SyncDescendants(ctx, root, l, at)
}

func ownerList(t *testing.T, u string) ownership.List {
	l, err := ownership.NewList(ownership.Entry{UserID: ownership.UserID(u), Role: ownership.Owner})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestBulkPropagationNeverOverwritesANewerList(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		mB := outboxManager(t, s, 3)
		mB.Policy = ownership.MustPolicy(map[string]ownership.RoleDef{"manager": {Bypass: true}, "rep": {}})
		boss := ownership.Subject{ID: "boss", Roles: []string{"manager"}}
		p := ownership.MustRef("account/p")
		c := ownership.MustRef("contact/c")
		if _, err := mB.Create(ctx, ownership.Record{Ref: p}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
		if _, err := mB.SetOwnership(ctx, boss, p, ownerList(t, "rep0")); err != nil {
			t.Fatal(err)
		}
		if _, err := mB.Create(ctx, ownership.Record{Ref: c, Parent: p, Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
		hs := &hookStore{Store: s}
		mA := mB.WithStore(hs)
		hs.hook = func() {
			// A concurrent, later change of the parent, fully propagated.
			if _, err := mB.SetOwnership(ctx, boss, p, ownerList(t, "rep2")); err != nil {
				t.Error(err)
			}
		}
		if _, err := mA.SetOwnership(ctx, boss, p, ownerList(t, "rep1")); err != nil {
			t.Fatal(err)
		}
		pr, _ := s.Get(ctx, p)
		cr, _ := s.Get(ctx, c)
		t.Logf("parent v%d %v; child v%d %v", pr.Version, pr.Ownership.Entries(), cr.Version, cr.Ownership.Entries())
		if !sameEntries(pr.Ownership, cr.Ownership) {
			t.Fatalf("synced child holds %v, its parent %v: a stale propagation overwrote the newer one", cr.Ownership.Entries(), pr.Ownership.Entries())
		}
	})
}
