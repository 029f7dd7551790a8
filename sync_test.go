package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// family creates contact/c1 owned by jo, synced documents d1 and d2, an
// independent document d3 owned by jo, and an attachment a1 synced with d1.
func family(t *testing.T, f fixture) {
	t.Helper()
	ctx := context.Background()
	mustCreate(t, f, "contact/c1", ownership.SourceManual, "jo")
	c1 := ownership.MustRef("contact/c1")
	for _, r := range []ownership.Record{
		{Ref: ownership.MustRef("document/d1"), Parent: c1, Mode: ownership.SyncWithParent},
		{Ref: ownership.MustRef("document/d2"), Parent: c1, Mode: ownership.SyncWithParent},
		{Ref: ownership.MustRef("attachment/a1"), Parent: ownership.MustRef("document/d1"), Mode: ownership.SyncWithParent},
	} {
		if _, err := f.m.Create(ctx, r, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.m.Create(ctx, ownership.Record{Ref: ownership.MustRef("document/d3"), Parent: c1},
		ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "jo"}}); err != nil {
		t.Fatal(err)
	}
}

func lists(t *testing.T, s *memstore.Store, refs ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ref := range refs {
		r, err := s.Get(context.Background(), ownership.MustRef(ref))
		if err != nil {
			t.Fatal(err)
		}
		out[ref] = r.Ownership.String()
	}
	return out
}

var familyRefs = []string{"contact/c1", "document/d1", "document/d2", "document/d3", "attachment/a1"}

func TestChangesPropagateToSyncedDescendants(t *testing.T) {
	f := newFixture(t, team...)
	family(t, f)
	before := len(f.rec.all())
	if _, err := f.m.AddFollower(context.Background(), subj("jo"), ownership.MustRef("contact/c1"), "rep1"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"contact/c1": "[jo:owner rep1:follower]", "document/d1": "[jo:owner rep1:follower]",
		"document/d2": "[jo:owner rep1:follower]", "attachment/a1": "[jo:owner rep1:follower]",
		"document/d3": "[jo:owner]", // independent
	}
	if diff := cmp.Diff(want, lists(t, f.store, familyRefs...)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var kinds []string
	for _, e := range f.rec.all()[before:] {
		kinds = append(kinds, e.Kind.String()+" "+e.Record.String())
	}
	wantKinds := []string{"follower_added contact/c1", "synced document/d1", "synced document/d2", "synced attachment/a1"}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// Running it again changes nothing and says so.
	rep, err := f.m.Propagate(context.Background(), ownership.MustRef("contact/c1"), ownership.PropagateOptions{})
	if err != nil || len(rep.Changed) != 0 || rep.Unchanged != 3 {
		t.Errorf("second propagation: %+v, %v; want nothing changed, 3 unchanged", rep, err)
	}
	if n := len(f.rec.all()) - before; n != 4 {
		t.Errorf("%d events after an idempotent run, want 4", n)
	}
}

func TestPropagateOptions(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (fixture, ownership.List) {
		f := newFixture(t, team...)
		family(t, f)
		// d4 is independent with a different owner; it never follows by
		// "same owner".
		if _, err := f.m.Create(ctx, ownership.Record{Ref: ownership.MustRef("document/d4"), Parent: ownership.MustRef("contact/c1")},
			ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep2"}}); err != nil {
			t.Fatal(err)
		}
		f.m.ManualSync = true
		c1, _ := f.store.Get(ctx, ownership.MustRef("contact/c1"))
		if _, err := f.m.Reassign(ctx, subj("root"), c1.Ref, "boss"); err != nil {
			t.Fatal(err)
		}
		return f, c1.Ownership
	}
	refs := append(slices.Clone(familyRefs), "document/d4")
	cases := []struct {
		name    string
		opt     func(before ownership.List) ownership.PropagateOptions
		changed []string
		want    map[string]string
	}{
		{"synced only", func(ownership.List) ownership.PropagateOptions { return ownership.PropagateOptions{} },
			[]string{"document/d1", "document/d2", "attachment/a1"},
			map[string]string{"document/d3": "[jo:owner]", "document/d4": "[rep2:owner]"}},
		{"same owner only", func(b ownership.List) ownership.PropagateOptions {
			return ownership.PropagateOptions{Follow: ownership.FollowSameOwner, Before: b}
		}, []string{"document/d1", "document/d2", "document/d3", "attachment/a1"},
			map[string]string{"document/d3": "[boss:owner]", "document/d4": "[rep2:owner]"}},
		{"all children", func(ownership.List) ownership.PropagateOptions {
			return ownership.PropagateOptions{Follow: ownership.FollowAll}
		},
			[]string{"document/d1", "document/d2", "document/d3", "document/d4", "attachment/a1"},
			map[string]string{"document/d3": "[boss:owner]", "document/d4": "[boss:owner]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, before := setup(t)
			opt := c.opt(before)
			opt.DryRun = true
			untouched := lists(t, f.store, refs...)
			dry, err := f.m.Propagate(ctx, ownership.MustRef("contact/c1"), opt)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(untouched, lists(t, f.store, refs...)); diff != "" {
				t.Fatalf("dry run changed records:\n%s", diff)
			}
			opt.DryRun = false
			rep, err := f.m.Propagate(ctx, ownership.MustRef("contact/c1"), opt)
			if err != nil {
				t.Fatal(err)
			}
			got := func(rs []ownership.Ref) []string {
				var s []string
				for _, r := range rs {
					s = append(s, r.String())
				}
				slices.Sort(s)
				return s
			}
			want := slices.Sorted(slices.Values(c.changed))
			if diff := cmp.Diff(want, got(rep.Changed)); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			// The dry run's first level is exact; deeper levels it sees as
			// they are now.
			for _, r := range got(dry.Changed) {
				if !slices.Contains(want, r) {
					t.Errorf("dry run listed %s, which did not change", r)
				}
			}
			all := lists(t, f.store, refs...)
			for ref, w := range c.want {
				if all[ref] != w {
					t.Errorf("%s = %s, want %s", ref, all[ref], w)
				}
			}
			for _, ref := range []string{"document/d1", "document/d2", "attachment/a1"} {
				if all[ref] != "[boss:owner]" {
					t.Errorf("synced %s = %s, want [boss:owner]", ref, all[ref])
				}
			}
		})
	}
}

// flaky fails every write after the first n.
type flaky struct {
	*memstore.Store
	mu sync.Mutex
	n  int
}

func (f *flaky) CompareAndSwap(ctx context.Context, r ownership.Record) (ownership.Record, error) {
	f.mu.Lock()
	if f.n <= 0 {
		f.mu.Unlock()
		return ownership.Record{}, errDisk
	}
	f.n--
	f.mu.Unlock()
	return f.Store.CompareAndSwap(ctx, r)
}

func TestInterruptedPropagationConverges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, team...)
	mustCreate(t, f, "contact/c1", ownership.SourceManual, "jo")
	for i := range 10 {
		if _, err := f.m.Create(ctx, ownership.Record{Ref: ownership.Ref{Type: "document", ID: fmt.Sprint(i)}, Parent: ownership.MustRef("contact/c1"), Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
	}
	fl := &flaky{Store: f.store, n: 4} // the parent's write and 3 children
	m := *f.m
	m.Store = fl
	_, err := m.AddOwner(ctx, subj("jo"), ownership.MustRef("contact/c1"), "rep1")
	if !errors.Is(err, ownership.ErrPropagation) || !errors.Is(err, errDisk) {
		t.Fatalf("got %v, want ErrPropagation wrapping the store's error", err)
	}
	// The parent changed; 3 children followed; 7 drifted.
	drifted := func() int {
		n := 0
		for r, err := range f.store.All(ctx, "document") {
			if err != nil {
				t.Fatal(err)
			}
			if !r.Ownership.IsOwner("rep1") {
				n++
			}
		}
		return n
	}
	if d := drifted(); d != 7 {
		t.Fatalf("%d drifted children, want 7", d)
	}
	rep, err := f.m.Reconcile(ctx, f.store.All(ctx, ""))
	if err != nil || len(rep.Changed) != 7 {
		t.Fatalf("Reconcile: %d changed, %v; want 7", len(rep.Changed), err)
	}
	if d := drifted(); d != 0 {
		t.Fatalf("%d drifted children after Reconcile", d)
	}
	if rep, err := f.m.Reconcile(ctx, f.store.All(ctx, "")); err != nil || len(rep.Changed) != 0 {
		t.Fatalf("second Reconcile: %+v, %v; want nothing to do", rep, err)
	}
}

func TestReconcileRepairsDriftAtAnyDepth(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, team...)
	family(t, f)
	// Write drift straight into the store, deepest first so that a naive
	// parent-by-parent repair would copy the drift down.
	for _, ref := range []string{"attachment/a1", "document/d1"} {
		r, _ := f.store.Get(ctx, ownership.MustRef(ref))
		r.Ownership = ownership.MustList(ownership.Entry{UserID: "intruder", Role: ownership.Owner})
		if _, err := f.store.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := f.m.Reconcile(ctx, f.store.All(ctx, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changed) != 2 {
		t.Errorf("repaired %v, want the two drifted records", rep.Changed)
	}
	got := lists(t, f.store, "document/d1", "attachment/a1")
	if got["document/d1"] != "[jo:owner]" || got["attachment/a1"] != "[jo:owner]" {
		t.Errorf("after Reconcile: %v", got)
	}
}

func TestBrokenChains(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, team...)
	put := func(r ownership.Record) {
		t.Helper()
		if _, err := f.store.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// a and b are each other's parent; o has a parent that does not exist.
	put(ownership.Record{Ref: ownership.MustRef("doc/a"), Parent: ownership.MustRef("doc/b"), Mode: ownership.SyncWithParent})
	put(ownership.Record{Ref: ownership.MustRef("doc/b"), Parent: ownership.MustRef("doc/a"), Mode: ownership.SyncWithParent})
	put(ownership.Record{Ref: ownership.MustRef("doc/o"), Parent: ownership.MustRef("contact/gone"), Mode: ownership.SyncWithParent})
	put(ownership.Record{Ref: ownership.MustRef("doc/n"), Mode: ownership.SyncWithParent})

	a, _ := f.store.Get(ctx, ownership.MustRef("doc/a"))
	_, err := ownership.Effective(ctx, f.store, a)
	if !errors.Is(err, ownership.ErrInvalid) || !strings.Contains(err.Error(), "doc/a -> doc/b -> doc/a") {
		t.Errorf("Effective on a loop: %v, want ErrInvalid naming doc/a -> doc/b -> doc/a", err)
	}
	o, _ := f.store.Get(ctx, ownership.MustRef("doc/o"))
	_, err = ownership.Effective(ctx, f.store, o)
	if !errors.Is(err, ownership.ErrNotFound) || !strings.Contains(err.Error(), "doc/o") || !strings.Contains(err.Error(), "contact/gone") {
		t.Errorf("Effective with a missing parent: %v, want ErrNotFound naming both", err)
	}
	n, _ := f.store.Get(ctx, ownership.MustRef("doc/n"))
	if _, err := ownership.Effective(ctx, f.store, n); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("Effective without parent: %v, want ErrInvalid", err)
	}
	if _, err := f.m.Propagate(ctx, ownership.MustRef("doc/a"), ownership.PropagateOptions{}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("Propagate into a loop: %v, want ErrInvalid", err)
	}
	if _, err := f.m.Reconcile(ctx, f.store.All(ctx, "")); err == nil {
		t.Error("Reconcile over broken chains succeeded")
	}
}

func TestSetMode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, team...)
	family(t, f)
	d3 := ownership.MustRef("document/d3")
	if _, err := f.m.AddFollower(ctx, subj("jo"), ownership.MustRef("contact/c1"), "sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.SetMode(ctx, subj("rep1"), d3, ownership.SyncWithParent); !errors.Is(err, ownership.ErrDenied) {
		t.Errorf("non-owner switching mode: %v, want a denial", err)
	}
	r, err := f.m.SetMode(ctx, subj("jo"), d3, ownership.SyncWithParent)
	if err != nil || r.Mode != ownership.SyncWithParent || r.Ownership.String() != "[jo:owner sam:follower]" {
		t.Fatalf("to synced: %v %s %v, want the parent's list", r.Mode, r.Ownership, err)
	}
	d1 := ownership.MustRef("document/d1")
	r, err = f.m.SetMode(ctx, subj("root"), d1, ownership.Independent)
	if err != nil || r.Mode != ownership.Independent || r.Ownership.String() != "[jo:owner sam:follower]" {
		t.Fatalf("to independent: %v %s %v, want the list kept", r.Mode, r.Ownership, err)
	}
	// Now independent, d1 no longer follows; its synced attachment follows d1.
	if _, err := f.m.Remove(ctx, subj("jo"), ownership.MustRef("contact/c1"), "sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.AddOwner(ctx, subj("jo"), d1, "rep2"); err != nil {
		t.Fatal(err)
	}
	got := lists(t, f.store, "document/d1", "document/d3", "attachment/a1")
	want := map[string]string{"document/d1": "[jo:owner sam:follower rep2:owner]", "document/d3": "[jo:owner]", "attachment/a1": "[jo:owner sam:follower rep2:owner]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := f.m.SetMode(ctx, subj("jo"), ownership.MustRef("contact/c1"), ownership.SyncWithParent); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("syncing a record without parent: %v, want ErrInvalid", err)
	}
	if _, err := f.m.SetMode(ctx, subj("jo"), d1, 7); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("bad mode: %v, want ErrInvalid", err)
	}
}

// TestParentChangesWhilePropagating changes a parent from many goroutines
// while others create synced children, propagate and reconcile; once all
// is done, with no extra step, every synced child equals its parent.
func TestParentChangesWhilePropagating(t *testing.T) {
	ctx := context.Background()
	var users []ownership.User
	for i := range 6 {
		users = append(users, user(fmt.Sprintf("u%d", i), "manager"))
	}
	users = append(users, user("root", "admin"))
	f := newFixture(t, users...)
	parents := []ownership.Ref{ownership.MustRef("contact/p0"), ownership.MustRef("contact/p1")}
	for _, p := range parents {
		mustCreate(t, f, p.String(), ownership.SourceManual, "u0")
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 60 {
				p := parents[rng.IntN(len(parents))]
				u := users[rng.IntN(6)].ID
				var err error
				switch rng.IntN(5) {
				case 0:
					_, err = f.m.Create(ctx, ownership.Record{Ref: ownership.Ref{Type: "document", ID: fmt.Sprintf("w%d-%d", w, i)}, Parent: p, Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm})
				case 1:
					_, err = f.m.AddOwner(ctx, subj("root"), p, u)
				case 2:
					_, err = f.m.Remove(ctx, subj("root"), p, u)
				case 3:
					_, err = f.m.Propagate(ctx, p, ownership.PropagateOptions{})
				default:
					_, err = f.m.AddFollower(ctx, subj("root"), p, u)
				}
				if err != nil && !errors.Is(err, ownership.ErrConflict) {
					t.Errorf("operation: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	children := 0
	for r, err := range f.store.All(ctx, "document") {
		if err != nil {
			t.Fatal(err)
		}
		parent, _ := f.store.Get(ctx, r.Parent)
		if !r.Ownership.Equal(parent.Ownership) {
			t.Errorf("%s = %s, parent %s = %s", r.Ref, r.Ownership, parent.Ref, parent.Ownership)
		}
		children++
	}
	t.Logf("%d synced children checked", children)
}

func TestSyncUserDetails(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, team...)
	family(t, f)
	if _, err := f.m.AddFollower(ctx, subj("jo"), ownership.MustRef("document/d3"), "rep1"); err != nil {
		t.Fatal(err)
	}
	renamed := user("rep1", "sales_rep")
	renamed.Email, renamed.LastName = "raj@new.io", "Patel"
	if err := f.store.PutUser(ctx, renamed); err != nil {
		t.Fatal(err)
	}

	// Ownership changes race the detail sync; both must survive.
	var wg sync.WaitGroup
	wg.Add(2)
	var rep ownership.SyncReport
	var syncErr error
	go func() { defer wg.Done(); rep, syncErr = f.m.SyncUserDetails(ctx, renamed) }()
	go func() {
		defer wg.Done()
		for i := range 20 {
			if _, err := f.m.AddFollower(ctx, subj("jo"), ownership.MustRef("document/d3"), ownership.UserID(fmt.Sprintf("x%d", i%len(team)))); err != nil && !errors.Is(err, ownership.ErrNotFound) && !errors.Is(err, ownership.ErrConflict) {
				t.Error(err)
			}
		}
	}()
	wg.Wait()
	if syncErr != nil {
		t.Fatal(syncErr)
	}
	if len(rep.Changed) != 1 {
		t.Errorf("changed %v, want document/d3", rep.Changed)
	}
	d3, _ := f.store.Get(ctx, ownership.MustRef("document/d3"))
	for e := range d3.Ownership.All() {
		if e.UserID == "rep1" && (e.Email != "raj@new.io" || e.LastName != "Patel" || e.Role != ownership.Follower) {
			t.Errorf("rep1's entry: %+v", e)
		}
	}
	if again, err := f.m.SyncUserDetails(ctx, renamed); err != nil || len(again.Changed) != 0 {
		t.Errorf("second sync: %+v, %v; want nothing to change", again, err)
	}
	if _, err := f.m.SyncUserDetails(ctx, ownership.User{}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("user without id: %v", err)
	}
}

// BenchmarkPropagate measures propagating a parent's change to N synced
// children in memstore: one full pass, every child rewritten.
func BenchmarkPropagate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("children=%d", n), func(b *testing.B) {
			ctx := context.Background()
			st := memstore.New()
			m := &ownership.Manager{Policy: crmPolicy(), Store: st, ManualSync: true}
			parent := ownership.MustRef("contact/p")
			p, err := st.CompareAndSwap(ctx, ownership.Record{Ref: parent})
			if err != nil {
				b.Fatal(err)
			}
			for i := range n {
				if _, err := st.CompareAndSwap(ctx, ownership.Record{Ref: ownership.Ref{Type: "document", ID: fmt.Sprintf("d%06d", i)}, Parent: parent, Mode: ownership.SyncWithParent}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				p.Ownership = ownership.MustList(ownership.Entry{UserID: ownership.UserID(fmt.Sprintf("owner%d", i)), Role: ownership.Owner})
				if p, err = st.CompareAndSwap(ctx, p); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := m.Propagate(ctx, parent, ownership.PropagateOptions{})
				if err != nil || len(rep.Changed) != n {
					b.Fatalf("changed %d, %v; want %d", len(rep.Changed), err, n)
				}
			}
		})
	}
}

// deleting removes a child the first time the propagation reads it, as if
// a user deleted it while the propagation ran.
type deleting struct {
	*memstore.Store
	victim ownership.Ref
	once   sync.Once
}

func (d *deleting) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	if ref == d.victim {
		d.once.Do(func() { _ = d.Store.Delete(ctx, ref) })
	}
	return d.Store.Get(ctx, ref)
}

func TestPropagationPassesOverDeletedChildren(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, team...)
	family(t, f)
	m := *f.m
	m.Store = &deleting{Store: f.store, victim: ownership.MustRef("document/d1")}
	if _, err := m.AddFollower(ctx, subj("jo"), ownership.MustRef("contact/c1"), "sam"); err != nil {
		t.Fatalf("a child deleted during propagation stopped it: %v", err)
	}
	if got := lists(t, f.store, "document/d2")["document/d2"]; got != "[jo:owner sam:follower]" {
		t.Errorf("sibling after the deleted child: %s", got)
	}
}

func TestFollowerOfUnassignedIsToldToClaim(t *testing.T) {
	p := crmPolicy()
	d := p.Decide(subj("rep1"), ownership.Update, ownership.Record{Ref: ownership.MustRef("contact/c1"), Ownership: ownership.MustList(ownership.Entry{UserID: "rep1", Role: ownership.Follower})})
	if d.Reason != ownership.ReasonUpdateScope || !strings.Contains(d.Explain(), "claim it") {
		t.Errorf("got %v, want update_scope telling to claim", d)
	}
}
