package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// plainStore has nothing but RecordStore.
type plainStore struct{ ownership.RecordStore }

// listingStore adds ChildLister.
type listingStore struct {
	ownership.RecordStore
	ownership.ChildLister
}

func TestNewManagerChecksCapabilities(t *testing.T) {
	p := crmPolicy()
	full := memstore.New()
	plain := plainStore{full}
	cases := []struct {
		name  string
		p     *ownership.Policy
		s     ownership.RecordStore
		opt   ownership.ManagerOptions
		wants string // "" for no error, else a word the error names
	}{
		{"complete store", p, full, ownership.ManagerOptions{Users: full}, ""},
		{"nil policy", nil, full, ownership.ManagerOptions{}, "Policy"},
		{"nil store", p, nil, ownership.ManagerOptions{}, "store"},
		{"no children listing, propagation on", p, plain, ownership.ManagerOptions{}, "ChildLister"},
		{"no children listing, manual sync", p, plain, ownership.ManagerOptions{ManualSync: true}, ""},
		{"least loaded without counts", p, listingStore{full, full}, ownership.ManagerOptions{Rules: ownership.Rules{&ownership.LeastLoaded{Team: []ownership.UserID{"rep1"}}}}, "UserRecords"},
		{"skill by load without counts", p, listingStore{full, full}, ownership.ManagerOptions{Rules: ownership.Rules{&ownership.Skill{Strategy: ownership.PickLeastLoaded}}}, "UserRecords"},
		{"skill in turn without counts", p, listingStore{full, full}, ownership.ManagerOptions{Rules: ownership.Rules{&ownership.Skill{}}}, ""},
		{"nil rule", p, full, ownership.ManagerOptions{Rules: ownership.Rules{nil}}, "Rules[0]"},
		{"nil subscriber", p, full, ownership.ManagerOptions{Subscribers: []ownership.Subscriber{nil}}, "Subscribers[0]"},
		{"negative attempts", p, full, ownership.ManagerOptions{MaxAttempts: -1}, "MaxAttempts"},
	}
	for _, c := range cases {
		m, err := ownership.NewManager(c.p, c.s, c.opt)
		switch {
		case c.wants == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wants == "" && m == nil:
			t.Errorf("%s: nil Manager", c.name)
		case c.wants != "" && (!errors.Is(err, ownership.ErrInvalid) || !strings.Contains(err.Error(), c.wants)):
			t.Errorf("%s: %v, want ErrInvalid naming %s", c.name, err, c.wants)
		}
	}
}

func TestUnsupportedNamesEveryMissingOperation(t *testing.T) {
	full := memstore.New()
	m, err := ownership.NewManager(crmPolicy(), full, ownership.ManagerOptions{Users: full})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Unsupported(); got != nil {
		t.Errorf("a complete store: %v", got)
	}
	m, err = ownership.NewManager(crmPolicy(), plainStore{full}, ownership.ManagerOptions{ManualSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, err := range m.Unsupported() {
		if !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("%v does not wrap ErrInvalid", err)
		}
		op, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "ownership: invalid: "), " ")
		ops = append(ops, op)
	}
	if got := strings.Join(ops, " "); got != "Reassign Transfer Transfer SyncUserDetails Propagate Reconcile" {
		t.Errorf("unsupported: %s", got)
	}
	// And they do fail.
	ctx := context.Background()
	if _, err := m.Transfer(ctx, subj("root"), "a", "b", ownership.TransferOptions{}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("Transfer: %v", err)
	}
	if _, err := m.Reconcile(ctx, iter.Seq2[ownership.Record, error](func(func(ownership.Record, error) bool) {})); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("Reconcile: %v", err)
	}
}

// A Manager built by NewManager refuses, at start-up, a store that could
// not keep synced documents in line with their contact.
func ExampleNewManager() {
	st := memstore.New()
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{"admin": {Bypass: true}})
	if _, err := ownership.NewManager(policy, st, ownership.ManagerOptions{Users: st}); err != nil {
		fmt.Println(err)
	}
	_, err := ownership.NewManager(policy, plainStore{st}, ownership.ManagerOptions{})
	fmt.Println(err)
	// Output:
	// ownership: invalid: NewManager: the store cannot list children (ChildLister), so records synced with a parent would never follow it; use a store that can, or set ManualSync
}
