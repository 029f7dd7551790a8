package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
)

// testTenantsAndQueues: a record's tenant and the queue that holds it
// come back as they went in, through Get and Children, with the queue's
// entry first; a queue's entry is no user's, so RecordsOf and CountOwned
// do not count it; taking the record out of its queue and moving it to
// another tenant are stored like any other change.
func testTenantsAndQueues(t *testing.T, s ownership.Store) {
	queued, err := ownership.MustList(follow("zed"), own("ann")).InQueue("support")
	if err != nil {
		t.Fatal(err)
	}
	in := ownership.Record{Ref: ref("ticket", "t1"), Ownership: queued, Tenant: "acme", Parent: ref("account", "a1")}
	out := put(t, s, in)
	want := in
	want.Version = 1
	if diff := cmp.Diff(want, out, recordCmp); diff != "" {
		t.Errorf("CompareAndSwap result (-want +got):\n%s", diff)
	}
	got := get(t, s, in.Ref)
	if diff := cmp.Diff(want, got, recordCmp); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if es := got.Ownership.Entries(); len(es) == 0 || es[0] != (ownership.Entry{Queue: "support", Role: ownership.Owner}) {
		t.Errorf("Get: the queue's entry is not first: %v", got.Ownership)
	}
	if got.Ownership.Queue() != "support" || got.Ownership.Unassigned() || len(got.Ownership.Owners()) != 0 {
		t.Errorf("Get: %v: queue %q, unassigned %v, owners %v; want the queue's record, no user owner", got.Ownership, got.Ownership.Queue(), got.Ownership.Unassigned(), got.Ownership.Owners())
	}
	if kids := collect(t, "Children", s.Children(ctx, in.Parent)); len(kids) != 1 {
		t.Errorf("Children: got %d records, want 1", len(kids))
	} else if diff := cmp.Diff(want, kids[0], recordCmp); diff != "" {
		t.Errorf("Children (-want +got):\n%s", diff)
	}
	if got := recordsOf(t, s, "zed"); len(got) != 1 {
		t.Errorf("RecordsOf(zed) = %q; want the queued record, which zed follows", got)
	}
	if n := countOwned(t, s, "ann", ""); n != 0 {
		t.Errorf("CountOwned(ann) = %d; the queue took the record from ann", n)
	}

	// Out of the queue, into another tenant.
	next := got
	next.Ownership, err = got.Ownership.With(own("bob"))
	if err != nil {
		t.Fatal(err)
	}
	next.Tenant = "globex"
	put(t, s, next)
	want = next
	want.Version = 2
	got = get(t, s, in.Ref)
	if diff := cmp.Diff(want, got, recordCmp); diff != "" {
		t.Errorf("Get after the claim (-want +got):\n%s", diff)
	}
	if got.Ownership.Queue() != "" || !got.Ownership.IsOwner("bob") {
		t.Errorf("after the claim: %v; want bob's, in no queue", got.Ownership)
	}
	if n := countOwned(t, s, "bob", "ticket"); n != 1 {
		t.Errorf("CountOwned(bob) = %d, want 1", n)
	}
	// And back into a queue with nobody else on the list.
	back := got
	back.Ownership, _ = ownership.List{}.InQueue("sales")
	put(t, s, back)
	back.Version = 3
	if diff := cmp.Diff(back, get(t, s, in.Ref), recordCmp); diff != "" {
		t.Errorf("Get of a list of one queue (-want +got):\n%s", diff)
	}
}

// concurrentClaims is how many goroutines race to claim one queued
// record.
const concurrentClaims = 12

// testClaimQueuedRace: of many members of a queue claiming the record it
// holds at once through the Manager, exactly one wins; the others are
// refused as already assigned, and the record ends the winner's, out of
// the queue, at version 2.
func testClaimQueuedRace(t *testing.T, s ownership.Store) {
	policy := ownership.MustPolicy(map[string]ownership.RoleDef{
		"agent": {Types: map[string]ownership.Permissions{"ticket": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
	})
	l, err := ownership.List{}.InQueue("support")
	if err != nil {
		t.Fatal(err)
	}
	r := put(t, s, ownership.Record{Ref: ref("ticket", "queued"), Ownership: l, Tenant: "acme"})
	m := &ownership.Manager{Policy: policy, Store: s, ManualSync: true, MaxAttempts: 4 * concurrentClaims}
	errs := make([]error, concurrentClaims)
	var wg sync.WaitGroup
	for g := range concurrentClaims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := ownership.User{ID: ownership.UserID(fmt.Sprint("agent", g)), Roles: []string{"agent"}, Tenant: "acme", Queues: []ownership.QueueID{"support"}}
			_, errs[g] = m.Claim(ctx, agent.Subject(), r.Ref)
		}()
	}
	wg.Wait()
	winner := ownership.UserID("")
	for g, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Errorf("agent%d won too, after %s", g, winner)
			}
			winner = ownership.UserID(fmt.Sprint("agent", g))
		case !errors.Is(err, ownership.ErrDenied) || !errors.Is(err, ownership.ErrConflict):
			t.Errorf("claim of agent%d: %v; want success or already assigned (ErrDenied and ErrConflict)", g, err)
		}
	}
	if winner == "" {
		t.Fatalf("nobody claimed the queued record: %v", errs)
	}
	got := get(t, s, r.Ref)
	if got.Version != 2 || got.Ownership.Queue() != "" || got.Ownership.Owners()[0] != winner || got.Ownership.Len() != 1 || got.Tenant != "acme" {
		t.Errorf("after the race: %v v%d in %q; want %s alone, out of the queue, at v2, in acme", got.Ownership, got.Version, got.Tenant, winner)
	}
}
