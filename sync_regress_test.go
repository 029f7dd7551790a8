package ownership_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// jmTeam adds two journey managers, whose role reaches every type, to
// the team.
var jmTeam = append(slices.Clone(team), user("jill", "jm"), user("kim", "jm"))

// A user who lost a contact cannot detach its documents and keep them,
// even while they still carry the old copy (propagation lagging, manual
// sync, or a failed propagation).
func TestSetModeDecidesOnTheParentsCurrentList(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jmTeam...)
	f.m.ManualSync = true // the documents keep the copy from before the reassignment
	mustCreate(t, f, "contact/p", ownership.SourceManual, "jo")
	p, d := ownership.MustRef("contact/p"), ownership.MustRef("document/d")
	if _, err := f.m.Create(ctx, ownership.Record{Ref: d, Parent: p, Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Reassign(ctx, subj("boss"), p, "jill"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Get(ctx, d); got.Ownership.String() != "[jo:owner]" {
		t.Fatalf("set-up: the document should still carry the old copy, has %s", got.Ownership)
	}
	_, err := f.m.SetMode(ctx, subj("jo"), d, ownership.Independent)
	dec, ok := ownership.DenialOf(err)
	if !ok || dec.Reason != ownership.ReasonNotOwner {
		t.Fatalf("jo detaches the document of a contact she lost: %v, want not_owner", err)
	}
	if dec.Parent != p || !strings.Contains(dec.Explain(), p.String()) {
		t.Errorf("the denial should point at the parent: %q", dec.Explain())
	}
	if got, _ := f.store.Get(ctx, d); got.Mode != ownership.SyncWithParent {
		t.Errorf("after the refused switch the document is %v", got.Mode)
	}
	// The new owner of the contact may detach it, and gets the contact's
	// current list, not the stale copy.
	got, err := f.m.SetMode(ctx, jmSubj("jill"), d, ownership.Independent)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode != ownership.Independent || got.Ownership.String() != "[jill:owner]" {
		t.Errorf("detached by the new owner: %v %s, want independent [jill:owner]", got.Mode, got.Ownership)
	}
}

// Races SetMode by the contact's owner against a reassignment of the
// contact, many rounds: every outcome must be one that some serial order
// of the two gives, and a switch that starts after the reassignment
// returned is always refused.
func TestSetModeRacesReassignment(t *testing.T) {
	ctx := context.Background()
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for round := range rounds {
		f := newFixture(t, jmTeam...)
		f.m.ManualSync = round%2 == 0
		mustCreate(t, f, "contact/p", ownership.SourceManual, "jo")
		p, d := ownership.MustRef("contact/p"), ownership.MustRef("document/d")
		if _, err := f.m.Create(ctx, ownership.Record{Ref: d, Parent: p, Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
		after := round%4 >= 2 // the switch starts once the reassignment returned
		var wg sync.WaitGroup
		var setErr error
		reassigned := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(reassigned)
			if _, err := f.m.Reassign(ctx, subj("boss"), p, "jill"); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if after {
				<-reassigned
			}
			_, setErr = f.m.SetMode(ctx, subj("jo"), d, ownership.Independent)
		}()
		wg.Wait()
		got, err := f.store.Get(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case setErr == nil && after:
			t.Fatalf("round %d: jo detached the document after losing the contact: %s", round, got.Ownership)
		case setErr == nil:
			// Serial order: the switch, then the reassignment.
			if got.Mode != ownership.Independent || got.Ownership.String() != "[jo:owner]" {
				t.Fatalf("round %d: switch succeeded but the document is %v %s", round, got.Mode, got.Ownership)
			}
		default:
			if d, ok := ownership.DenialOf(setErr); !ok || d.Reason != ownership.ReasonNotOwner {
				t.Fatalf("round %d: %v, want a not_owner denial", round, setErr)
			}
			if got.Mode != ownership.SyncWithParent {
				t.Fatalf("round %d: refused switch left the document %v", round, got.Mode)
			}
		}
	}
}

func jmSubj(id string) ownership.Subject {
	return ownership.Subject{ID: ownership.UserID(id), Roles: []string{"jm"}}
}

// racingStore runs hook once, just before the first write of ref, to put
// another user's change between a read and the write that follows it.
type racingStore struct {
	*memstore.Store
	ref  ownership.Ref
	once sync.Once
	hook func()
}

func (s *racingStore) CompareAndSwap(ctx context.Context, r ownership.Record) (ownership.Record, error) {
	if r.Ref == s.ref {
		s.once.Do(s.hook)
	}
	return s.Store.CompareAndSwap(ctx, r)
}

// An independent child that a manager reassigns after Propagate listed it
// is no longer the parent owner's, so it must not follow.
func TestFollowSameOwnerRechecksTheFreshChild(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jmTeam...)
	mustCreate(t, f, "contact/c1", ownership.SourceManual, "jo")
	c1, d3 := ownership.MustRef("contact/c1"), ownership.MustRef("document/d3")
	if _, err := f.m.Create(ctx, ownership.Record{Ref: d3, Parent: c1}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "jo"}}); err != nil {
		t.Fatal(err)
	}
	before, _ := f.store.Get(ctx, c1)
	f.m.ManualSync = true
	if _, err := f.m.Reassign(ctx, subj("boss"), c1, "jill"); err != nil {
		t.Fatal(err)
	}
	rs := &racingStore{Store: f.store, ref: d3}
	rs.hook = func() {
		m := *f.m
		m.Store = f.store
		if _, err := m.Reassign(ctx, subj("boss"), d3, "kim"); err != nil {
			t.Error(err)
		}
	}
	m := *f.m
	m.Store = rs
	rep, err := m.Propagate(ctx, c1, ownership.PropagateOptions{Follow: ownership.FollowSameOwner, Before: before.Ownership})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Get(ctx, d3); got.Ownership.String() != "[kim:owner]" {
		t.Errorf("the manager's reassignment was overwritten: %s, want [kim:owner]", got.Ownership)
	}
	if slices.Contains(rep.Changed, d3) {
		t.Errorf("report lists %s as changed: %v", d3, rep.Changed)
	}
}

// A change that only reorders a list, or restates it, gives nobody a new
// role: nothing is written, no version is taken, no event is sent, and
// the synced children are not rewritten.
func TestReorderOnlyChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jmTeam...)
	c1 := ownership.MustRef("contact/c1")
	mustCreate(t, f, c1.String(), ownership.SourceAPI, "",
		ownership.Entry{UserID: "jo", Role: ownership.Owner}, ownership.Entry{UserID: "rep1", Role: ownership.Owner},
		ownership.Entry{UserID: "sam", Role: ownership.Follower})
	if _, err := f.m.Create(ctx, ownership.Record{Ref: ownership.MustRef("document/d1"), Parent: c1, Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		t.Fatal(err)
	}
	start, _ := f.store.Get(ctx, c1)
	events := len(f.rec.all())
	reordered := ownership.MustList(
		ownership.Entry{UserID: "sam", Role: ownership.Follower}, ownership.Entry{UserID: "rep1", Role: ownership.Owner},
		ownership.Entry{UserID: "jo", Role: ownership.Owner})
	ops := []struct {
		name string
		do   func() (ownership.Record, error)
	}{
		{"set a reordered list", func() (ownership.Record, error) { return f.m.SetOwnership(ctx, subj("jo"), c1, reordered) }},
		{"add an owner who owns", func() (ownership.Record, error) { return f.m.AddOwner(ctx, subj("jo"), c1, "rep1") }},
		{"add a follower who follows", func() (ownership.Record, error) { return f.m.AddFollower(ctx, subj("jo"), c1, "sam") }},
		{"add an owner as a follower", func() (ownership.Record, error) { return f.m.AddFollower(ctx, subj("jo"), c1, "rep1") }},
		{"remove a user not on the list", func() (ownership.Record, error) { return f.m.Remove(ctx, subj("jo"), c1, "rep2") }},
	}
	for _, op := range ops {
		got, err := op.do()
		if err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if got.Version != start.Version || !got.Ownership.SameAccess(start.Ownership) {
			t.Errorf("%s: version %d %s, want version %d, same access", op.name, got.Version, got.Ownership, start.Version)
		}
	}
	if n := len(f.rec.all()); n != events {
		t.Errorf("%d events for changes that changed nobody's role: %v", n-events, f.rec.all()[events:])
	}
	if d1, _ := f.store.Get(ctx, ownership.MustRef("document/d1")); d1.Version != 1 {
		t.Errorf("the synced child was rewritten: version %d", d1.Version)
	}
}

// Owner wins: adding an owner as a follower never demotes them, so a
// record cannot become unassigned (and claimable by anyone) that way.
func TestAddFollowerKeepsAnOwner(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jmTeam...)
	c1 := ownership.MustRef("contact/c1")
	mustCreate(t, f, c1.String(), ownership.SourceManual, "jo")
	r, err := f.m.AddFollower(ctx, subj("jo"), c1, "jo")
	if err != nil {
		t.Fatal(err)
	}
	if r.Ownership.String() != "[jo:owner]" || r.Ownership.Unassigned() {
		t.Fatalf("after adding the owner as a follower: %s, want [jo:owner]", r.Ownership)
	}
	if _, err := f.m.Claim(ctx, subj("rep1"), c1); err == nil {
		t.Fatal("a rep claimed a record that has an owner")
	}
	// Stepping down is explicit: remove, then follow.
	if _, err := f.m.AddOwner(ctx, subj("jo"), c1, "rep1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Remove(ctx, subj("jo"), c1, "jo"); err != nil {
		t.Fatal(err)
	}
	r, err = f.m.AddFollower(ctx, subj("rep1"), c1, "jo")
	if err != nil {
		t.Fatal(err)
	}
	if r.Ownership.String() != "[rep1:owner jo:follower]" {
		t.Errorf("after stepping down: %s, want [rep1:owner jo:follower]", r.Ownership)
	}
}

// snapshot copies every record of s.
func snapshot(t *testing.T, s *memstore.Store) *memstore.Store {
	t.Helper()
	ctx := context.Background()
	out := memstore.New()
	for r, err := range s.All(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		r.Version = 0
		if _, err := out.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A dry run of Propagate lists exactly the records the real run changes,
// for random trees of synced and independent records and every Follow
// option: synced descendants of following independent children included.
func TestPropagateDryRunEqualsTheRun(t *testing.T) {
	ctx := context.Background()
	users := []ownership.UserID{"jo", "rep1", "rep2"}
	rounds := 300
	if testing.Short() {
		rounds = 60
	}
	for round := range rounds {
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		st := memstore.New()
		list := func() ownership.List {
			l, _ := ownership.NewList(ownership.Entry{UserID: users[rng.IntN(len(users))], Role: ownership.Owner})
			if rng.IntN(3) == 0 {
				l, _ = l.With(ownership.Entry{UserID: users[rng.IntN(len(users))], Role: ownership.Follower})
			}
			return l
		}
		root := ownership.MustRef("contact/root")
		before := list()
		put := func(r ownership.Record) {
			if _, err := st.CompareAndSwap(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		put(ownership.Record{Ref: root, Ownership: before})
		refs := []ownership.Ref{root}
		for i := range 2 + rng.IntN(10) {
			ref := ownership.Ref{Type: "document", ID: fmt.Sprint(i)}
			parent := refs[rng.IntN(len(refs))]
			r := ownership.Record{Ref: ref, Parent: parent, Ownership: list()}
			switch rng.IntN(3) {
			case 0:
				r.Mode = ownership.SyncWithParent
			case 1:
				r.Ownership = before // the parent owner's, for FollowSameOwner
			}
			put(r)
			refs = append(refs, ref)
		}
		// The change being propagated, made behind the Manager's back.
		cur, _ := st.Get(ctx, root)
		cur.Ownership = list()
		put(cur)
		opt := ownership.PropagateOptions{Follow: ownership.Follow(rng.IntN(3)), Before: before}
		dryStore := snapshot(t, st)
		dry := ownership.Manager{Policy: crmPolicy(), Store: dryStore, ManualSync: true}
		opt.DryRun = true
		planned, err := dry.Propagate(ctx, root, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !sameRecords(t, dryStore, st) {
			t.Fatalf("round %d: the dry run changed the store", round)
		}
		run := ownership.Manager{Policy: crmPolicy(), Store: st, ManualSync: true}
		opt.DryRun = false
		done, err := run.Propagate(ctx, root, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(planned.Changed, done.Changed) || planned.Unchanged != done.Unchanged {
			t.Fatalf("round %d (%v): dry run %v (+%d unchanged), run %v (+%d unchanged)",
				round, opt.Follow, planned.Changed, planned.Unchanged, done.Changed, done.Unchanged)
		}
	}
}

// sameRecords reports whether a and b hold the same records with the same
// lists.
func sameRecords(t *testing.T, a, b *memstore.Store) bool {
	t.Helper()
	ctx := context.Background()
	n := 0
	for r, err := range a.All(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		o, err := b.Get(ctx, r.Ref)
		if err != nil || !o.Ownership.Equal(r.Ownership) || o.Mode != r.Mode {
			return false
		}
		n++
	}
	for range b.All(ctx, "") {
		n--
	}
	return n == 0
}
