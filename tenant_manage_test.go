package ownership_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// TestPlatformRolesMoveNoRecordAcrossTenants: a platform role lets its
// holder act on every tenant's records, but no operation puts a user on
// the list of another tenant's record, nor copies one tenant's list onto
// another's records, whoever asks.
func TestPlatformRolesMoveNoRecordAcrossTenants(t *testing.T) {
	ctx := context.Background()
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"lead":     {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.All, Claim: true, Reassign: true}}},
		"operator": {Platform: true, Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.All, Claim: true, Reassign: true}}},
		"admin":    {Bypass: true},
	})
	own := func(u UserID) ownership.Entry { return ownership.Entry{UserID: u, Role: ownership.Owner} }
	acmeLead := ownership.Subject{ID: "ann", Roles: []string{"lead"}, Tenant: "acme"}
	acmeAdmin := ownership.Subject{ID: "root", Roles: []string{"admin"}, Tenant: "acme"}
	operator := ownership.Subject{ID: "op", Roles: []string{"operator"}, Tenant: "globex"}
	cases := []struct {
		name   string
		op     func(m *ownership.Manager) error
		passes bool             // the operation passes over the record, without an error
		reason ownership.Reason // the denial's, or 0 for another error
	}{
		{"reassign to a platform user of another tenant", func(m *ownership.Manager) error {
			_, err := m.Reassign(ctx, acmeLead, ownership.MustRef("contact/c1"), "op")
			return err
		}, false, ownership.ReasonUnknownTarget},
		{"transfer to a platform user of another tenant", func(m *ownership.Manager) error {
			rep, err := m.Transfer(ctx, acmeLead, "ann", "op", ownership.TransferOptions{})
			if err == nil && len(rep.Moved) > 0 {
				return nil
			}
			if err == nil && len(rep.Skipped) > 0 {
				return rep.Skipped[0].Err
			}
			return err
		}, false, ownership.ReasonUnknownTarget},
		{"a platform user claims another tenant's record", func(m *ownership.Manager) error {
			_, err := m.Claim(ctx, operator, ownership.MustRef("contact/c2"))
			return err
		}, false, ownership.ReasonOtherTenant},
		{"a platform user reassigns another tenant's record to itself", func(m *ownership.Manager) error {
			_, err := m.Reassign(ctx, operator, ownership.MustRef("contact/c1"), "op")
			return err
		}, false, ownership.ReasonUnknownTarget},
		{"a synced record follows a parent of another tenant", func(m *ownership.Manager) error {
			_, err := m.SetMode(ctx, acmeAdmin, ownership.MustRef("document/d1"), ownership.SyncWithParent)
			return err
		}, false, 0},
		{"an independent child of another tenant follows its parent", func(m *ownership.Manager) error {
			rep, err := m.Propagate(ctx, ownership.MustRef("contact/g1"), ownership.PropagateOptions{Follow: ownership.FollowAll})
			if err == nil && len(rep.Changed) > 0 {
				t.Errorf("Propagate changed %v", rep.Changed)
			}
			return err
		}, true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := memstore.New()
			for _, u := range []User{
				{ID: "ann", Tenant: "acme", Roles: []string{"lead"}},
				{ID: "root", Tenant: "acme", Roles: []string{"admin"}},
				{ID: "op", Tenant: "globex", Roles: []string{"operator"}},
				{ID: "gus", Tenant: "globex", Roles: []string{"lead"}},
			} {
				if err := store.PutUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			recs := []ownership.Record{
				{Ref: ownership.MustRef("contact/c1"), Tenant: "acme", Ownership: ownership.MustList(own("ann"))},
				{Ref: ownership.MustRef("contact/c2"), Tenant: "acme"},
				{Ref: ownership.MustRef("contact/g1"), Tenant: "globex", Ownership: ownership.MustList(own("gus"))},
				// An acme document under a globex contact: independent, as
				// Create allows, with a list of its own.
				{Ref: ownership.MustRef("document/d1"), Tenant: "acme", Parent: ownership.MustRef("contact/g1"), Ownership: ownership.MustList(own("root"))},
			}
			for _, r := range recs {
				if _, err := store.CompareAndSwap(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			m := &ownership.Manager{Policy: p, Store: store, Users: store}
			err := c.op(m)
			if (err == nil) != c.passes {
				t.Errorf("got error %v, want one: %v", err, !c.passes)
			}
			for _, r := range recs {
				got, err := store.Get(ctx, r.Ref)
				if err != nil {
					t.Fatal(err)
				}
				for e := range got.Ownership.All() {
					if e.Queue != "" {
						continue
					}
					u, err := store.User(ctx, e.UserID)
					if err != nil || u.Tenant != r.Tenant {
						t.Errorf("%s (tenant %q) lists %s of tenant %q: %v", r.Ref, r.Tenant, e.UserID, u.Tenant, got.Ownership)
					}
				}
			}
			if d, ok := ownership.DenialOf(err); ok && d.Allowed {
				t.Errorf("error carries an allowed decision: %v", d)
			}
			if d, _ := ownership.DenialOf(err); d.Reason != c.reason {
				t.Errorf("got reason %v, want %v (%v)", d.Reason, c.reason, err)
			}
			if err != nil && !errors.Is(err, ownership.ErrDenied) && !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("got %v, want a denial or ErrInvalid", err)
			}
		})
	}
}
