package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// recorder is a Subscriber that keeps every event.
type recorder struct {
	mu     sync.Mutex // guards events
	events []ownership.Event
}

func (r *recorder) HandleEvent(_ context.Context, e ownership.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) all() []ownership.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

var fixedNow = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func crmPolicy() *ownership.Policy {
	return ownership.MustPolicy(map[string]ownership.RoleDef{
		"admin":     {Bypass: true},
		"manager":   {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.All, Delete: ownership.All, Claim: true, Reassign: true}}},
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
		"support":   {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own}}},
		"jm":        {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.Own, Update: ownership.Own, Delete: ownership.Own}}},
		"auditor":   {Types: map[string]ownership.Permissions{"invoice": {View: ownership.All}}},
	})
}

type fixture struct {
	store *memstore.Store
	rec   *recorder
	m     *ownership.Manager
}

func newFixture(t testing.TB, users ...ownership.User) fixture {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	for _, u := range users {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	return fixture{store: st, rec: rec, m: &ownership.Manager{
		Policy: crmPolicy(), Store: st, Users: st,
		Subscribers: []ownership.Subscriber{rec}, Now: func() time.Time { return fixedNow },
	}}
}

func user(id string, roles ...string) ownership.User {
	return ownership.User{ID: ownership.UserID(id), Email: id + "@x.io", GivenName: id, Roles: roles}
}

var team = []ownership.User{
	user("boss", "manager"), user("rep1", "sales_rep"), user("rep2", "sales_rep"),
	user("sam", "support"), user("root", "admin"), user("jo", "jm"), user("audrey", "auditor"),
}

func subj(id string) ownership.Subject {
	for _, u := range team {
		if string(u.ID) == id {
			return u.Subject()
		}
	}
	return ownership.Subject{ID: ownership.UserID(id)}
}

func mustCreate(t testing.TB, f fixture, ref string, src ownership.Source, creator string, entries ...ownership.Entry) ownership.Record {
	t.Helper()
	r, err := f.m.Create(context.Background(), ownership.Record{Ref: ownership.MustRef(ref)},
		ownership.Creation{Source: src, Creator: ownership.User{ID: ownership.UserID(creator)}, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCreateSources(t *testing.T) {
	tmpl := &ownership.Template{ID: "t1", Type: "contact", DefaultOwnership: ownership.MustList(
		ownership.Entry{UserID: "boss", Role: ownership.Owner},
		ownership.Entry{UserID: "rep1", Role: ownership.Follower},
	)}
	prof := &ownership.Profile{ID: "north", DefaultOwnership: ownership.MustList(ownership.Entry{UserID: "sam", Role: ownership.Follower})}
	cases := []struct {
		name string
		c    ownership.Creation
		want string
	}{
		{"manual: creator owns", ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep2"}}, "[rep2:owner]"},
		{"manual from template: defaults plus creator", ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep2"}, Template: tmpl}, "[boss:owner rep1:follower rep2:owner]"},
		{"manual: owner wins over a default follower", ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep1"}, Template: tmpl}, "[boss:owner rep1:owner]"},
		{"manual: profile before template", ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep2"}, Template: tmpl, Profile: prof}, "[sam:follower boss:owner rep1:follower rep2:owner]"},
		{"form: unassigned, default followers kept", ownership.Creation{Source: ownership.SourceForm, Template: tmpl}, "[rep1:follower]"},
		{"form without template: unassigned", ownership.Creation{Source: ownership.SourceForm}, "[]"},
		{"api: given owner", ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "rep2", Role: ownership.Owner}}}, "[rep2:owner]"},
		{"api: given entries join the defaults", ownership.Creation{Source: ownership.SourceAPI, Template: tmpl, Entries: []ownership.Entry{{UserID: "rep2", Role: ownership.Follower}}}, "[boss:owner rep1:follower rep2:follower]"},
		{"api: owner wins over a given follower entry", ownership.Creation{Source: ownership.SourceAPI, Template: tmpl, Entries: []ownership.Entry{{UserID: "boss", Role: ownership.Follower}}}, "[boss:owner rep1:follower]"},
		{"api: owner wins over a default follower", ownership.Creation{Source: ownership.SourceAPI, Template: tmpl, Entries: []ownership.Entry{{UserID: "rep1", Role: ownership.Owner}}}, "[boss:owner rep1:owner]"},
		{"api: owner wins within the given entries", ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "rep2", Role: ownership.Owner}, {UserID: "rep2", Role: ownership.Follower}}}, "[rep2:owner]"},
		{"api: owner wins, follower given first", ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "rep2", Role: ownership.Follower}, {UserID: "rep2", Role: ownership.Owner}}}, "[rep2:owner]"},
		{"import: owner wins within the entries", ownership.Creation{Source: ownership.SourceImport, Entries: []ownership.Entry{{UserID: "rep2", Role: ownership.Owner}, {UserID: "rep2", Role: ownership.Follower}}}, "[rep2:owner]"},
		{"api: nothing given", ownership.Creation{Source: ownership.SourceAPI, Creator: ownership.User{ID: "rep2"}}, "[]"},
		{"import: entries as they are, no defaults", ownership.Creation{Source: ownership.SourceImport, Template: tmpl, Entries: []ownership.Entry{{UserID: "rep2", Role: ownership.Follower}}}, "[rep2:follower]"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, team...)
			r, err := f.m.Create(context.Background(), ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprint(i)}}, c.c)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Ownership.String(); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if r.Version != 1 {
				t.Errorf("version %d, want 1", r.Version)
			}
			for e := range r.Ownership.All() {
				if e.Email != string(e.UserID)+"@x.io" {
					t.Errorf("entry %s has email %q: details not filled from the directory", e.UserID, e.Email)
				}
			}
			ev := f.rec.all()
			if len(ev) != 1 || ev[0].Kind != ownership.EventCreated || !ev[0].After.Equal(r.Ownership) || !ev[0].At.Equal(fixedNow) {
				t.Errorf("events %+v, want one created event", ev)
			}
			if diff := cmp.Diff(r.Ownership.Owners(), ev[0].Assigned); diff != "" {
				t.Errorf("Assigned (-owners +assigned):\n%s", diff)
			}
		})
	}
}

func TestCreateErrors(t *testing.T) {
	f := newFixture(t, team...)
	ctx := context.Background()
	mustCreate(t, f, "contact/c1", ownership.SourceManual, "rep1")
	tmpl := &ownership.Template{ID: "docs", Type: "document"}
	cases := []struct {
		name string
		r    ownership.Record
		c    ownership.Creation
		want error
	}{
		{"exists", ownership.Record{Ref: ownership.MustRef("contact/c1")}, ownership.Creation{Source: ownership.SourceForm}, ownership.ErrConflict},
		{"no source", ownership.Record{Ref: ownership.MustRef("contact/c2")}, ownership.Creation{}, ownership.ErrInvalid},
		{"manual without creator", ownership.Record{Ref: ownership.MustRef("contact/c2")}, ownership.Creation{Source: ownership.SourceManual}, ownership.ErrInvalid},
		{"unknown creator", ownership.Record{Ref: ownership.MustRef("contact/c2")}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "ghost"}}, ownership.ErrNotFound},
		{"api entry for an unknown user", ownership.Record{Ref: ownership.MustRef("contact/c2")}, ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "ghost", Role: ownership.Owner}}}, ownership.ErrNotFound},
		{"api entry with a bad role", ownership.Record{Ref: ownership.MustRef("contact/c2")}, ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "rep1"}}}, ownership.ErrInvalid},
		{"template for another type", ownership.Record{Ref: ownership.MustRef("contact/c2")}, ownership.Creation{Source: ownership.SourceForm, Template: tmpl}, ownership.ErrInvalid},
		{"zero ref", ownership.Record{}, ownership.Creation{Source: ownership.SourceForm}, ownership.ErrInvalid},
		{"synced without parent", ownership.Record{Ref: ownership.MustRef("document/d1"), Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}, ownership.ErrInvalid},
		{"synced with a missing parent", ownership.Record{Ref: ownership.MustRef("document/d1"), Mode: ownership.SyncWithParent, Parent: ownership.MustRef("contact/nope")}, ownership.Creation{Source: ownership.SourceForm}, ownership.ErrNotFound},
	}
	for _, c := range cases {
		if _, err := f.m.Create(ctx, c.r, c.c); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if n := len(f.rec.all()); n != 1 {
		t.Errorf("%d events, want only the first create's", n)
	}
}

func TestCreateSyncedCopiesParent(t *testing.T) {
	f := newFixture(t, team...)
	mustCreate(t, f, "contact/c1", ownership.SourceManual, "rep1")
	tmpl := &ownership.Template{ID: "docs", Type: "document", Mode: ownership.SyncWithParent,
		DefaultOwnership: ownership.MustList(ownership.Entry{UserID: "sam", Role: ownership.Follower})}
	d, err := f.m.Create(context.Background(), ownership.Record{Ref: ownership.MustRef("document/d1"), Parent: ownership.MustRef("contact/c1")},
		ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "jo"}, Template: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if d.Mode != ownership.SyncWithParent || d.Ownership.String() != "[rep1:owner]" {
		t.Errorf("got mode %v list %s, want the parent's list in sync mode", d.Mode, d.Ownership)
	}
}

func TestClaimAndReassign(t *testing.T) {
	f := newFixture(t, team...)
	ctx := context.Background()
	c := ownership.MustRef("contact/c1")
	mustCreate(t, f, c.String(), ownership.SourceForm, "")

	if _, err := f.m.Claim(ctx, subj("sam"), c); !errors.Is(err, ownership.ErrDenied) {
		t.Fatalf("support claim: %v, want a denial", err)
	}
	r, err := f.m.Claim(ctx, subj("rep1"), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ownership.String() != "[rep1:owner]" || r.Version != 2 {
		t.Fatalf("after claim: %s v%d", r.Ownership, r.Version)
	}
	_, err = f.m.Claim(ctx, subj("rep2"), c)
	if d, ok := ownership.DenialOf(err); !ok || d.Reason != ownership.ReasonAlreadyAssigned || !errors.Is(err, ownership.ErrConflict) {
		t.Fatalf("second claim: %v, want already_assigned wrapping ErrConflict", err)
	}
	// rep1 may not reassign; the manager may.
	if _, err := f.m.Reassign(ctx, subj("rep1"), c, "rep2"); !errors.Is(err, ownership.ErrDenied) {
		t.Fatalf("rep reassign: %v, want a denial", err)
	}
	r, err = f.m.Reassign(ctx, subj("boss"), c, "rep2")
	if err != nil {
		t.Fatal(err)
	}
	if r.Ownership.String() != "[rep2:owner]" {
		t.Errorf("after reassign: %s", r.Ownership)
	}
	// The auditor cannot view contacts: refused, with the reason.
	_, err = f.m.Reassign(ctx, subj("boss"), c, "audrey")
	if d, ok := ownership.DenialOf(err); !ok || d.Reason != ownership.ReasonTargetCannotView || d.Target != "audrey" {
		t.Fatalf("reassign to auditor: %v, want target_cannot_view", err)
	}
	// An unknown target is a denial of its own, not a missing record: a
	// host that maps ErrNotFound to 404 must not answer "no such contact".
	_, err = f.m.Reassign(ctx, subj("boss"), c, "ghost")
	if d, ok := ownership.DenialOf(err); !ok || d.Reason != ownership.ReasonUnknownTarget || d.Target != "ghost" {
		t.Errorf("reassign to unknown user: %v, want unknown_target", err)
	}
	if errors.Is(err, ownership.ErrNotFound) {
		t.Errorf("reassign to unknown user: %v matches ErrNotFound", err)
	}
	// Who may not reassign the record learns nothing about the target.
	_, err = f.m.Reassign(ctx, subj("rep1"), c, "ghost")
	if d, ok := ownership.DenialOf(err); !ok || d.Reason == ownership.ReasonUnknownTarget {
		t.Errorf("reassign to unknown user by a rep: %v, want the rep's own denial", err)
	}
	ev := f.rec.all()
	kinds := []ownership.EventKind{}
	for _, e := range ev {
		kinds = append(kinds, e.Kind)
	}
	if diff := cmp.Diff([]ownership.EventKind{ownership.EventCreated, ownership.EventClaimed, ownership.EventReassigned}, kinds); diff != "" {
		t.Errorf("event kinds (-want +got):\n%s", diff)
	}
	if got := ev[2].Assigned; !slices.Equal(got, []ownership.UserID{"rep2"}) || ev[2].By != "boss" {
		t.Errorf("reassign event: by %s assigned %v", ev[2].By, got)
	}
}

func TestManageOwnershipOperations(t *testing.T) {
	f := newFixture(t, team...)
	ctx := context.Background()
	c := ownership.MustRef("order/o1")
	mustCreate(t, f, c.String(), ownership.SourceManual, "jo")

	steps := []struct {
		name string
		do   func() (ownership.Record, error)
		want string
		err  error
	}{
		{"owner adds a follower", func() (ownership.Record, error) { return f.m.AddFollower(ctx, subj("jo"), c, "rep1") }, "[jo:owner rep1:follower]", nil},
		{"follower cannot add", func() (ownership.Record, error) { return f.m.AddOwner(ctx, subj("rep1"), c, "rep1") }, "", ownership.ErrDenied},
		{"non-owner manager cannot add", func() (ownership.Record, error) { return f.m.AddOwner(ctx, subj("boss"), c, "boss") }, "", ownership.ErrDenied},
		{"owner promotes the follower", func() (ownership.Record, error) { return f.m.AddOwner(ctx, subj("jo"), c, "rep1") }, "[jo:owner rep1:owner]", nil},
		{"adding again changes nothing", func() (ownership.Record, error) { return f.m.AddOwner(ctx, subj("jo"), c, "rep1") }, "[jo:owner rep1:owner]", nil},
		{"unknown user cannot be added", func() (ownership.Record, error) { return f.m.AddOwner(ctx, subj("jo"), c, "ghost") }, "", ownership.ErrNotFound},
		{"owner without a grant for orders cannot manage", func() (ownership.Record, error) { return f.m.Remove(ctx, subj("rep1"), c, "jo") }, "", ownership.ErrDenied},
		{"admin removes an owner", func() (ownership.Record, error) { return f.m.Remove(ctx, subj("root"), c, "rep1") }, "[jo:owner]", nil},
		{"owner sets the list", func() (ownership.Record, error) {
			return f.m.SetOwnership(ctx, subj("jo"), c, ownership.MustList(ownership.Entry{UserID: "sam", Role: ownership.Follower}, ownership.Entry{UserID: "jo", Role: ownership.Owner}))
		}, "[sam:follower jo:owner]", nil},
		{"unknown subject is denied", func() (ownership.Record, error) {
			return f.m.Remove(ctx, ownership.Subject{ID: "ghost", Roles: []string{"admin"}}, c, "sam")
		}, "", ownership.ErrDenied},
		{"missing record", func() (ownership.Record, error) {
			return f.m.Remove(ctx, subj("root"), ownership.MustRef("order/none"), "sam")
		}, "", ownership.ErrNotFound},
		{"last owner removes themself", func() (ownership.Record, error) { return f.m.Remove(ctx, subj("jo"), c, "jo") }, "[sam:follower]", nil},
	}
	for _, s := range steps {
		r, err := s.do()
		if s.err != nil {
			if !errors.Is(err, s.err) {
				t.Fatalf("%s: got %v, want %v", s.name, err, s.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := r.Ownership.String(); got != s.want {
			t.Fatalf("%s: got %s, want %s", s.name, got, s.want)
		}
	}
	stored, _ := f.store.Get(ctx, c)
	if e := stored.Ownership.At(0); e.Email != "sam@x.io" {
		t.Errorf("SetOwnership did not fill details: %+v", e)
	}
	// created, follower_added, owner_added, removed, ownership_set, removed: no event for no-ops or failures.
	if n := len(f.rec.all()); n != 6 {
		t.Errorf("%d events, want 6", n)
	}
}

func TestSyncedRecordRefusesDirectChanges(t *testing.T) {
	f := newFixture(t, team...)
	ctx := context.Background()
	mustCreate(t, f, "contact/c1", ownership.SourceManual, "jo")
	d := ownership.MustRef("document/d1")
	if _, err := f.m.Create(ctx, ownership.Record{Ref: d, Parent: ownership.MustRef("contact/c1"), Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func() (ownership.Record, error){
		"claim":    func() (ownership.Record, error) { return f.m.Claim(ctx, subj("root"), d) },
		"reassign": func() (ownership.Record, error) { return f.m.Reassign(ctx, subj("root"), d, "rep1") },
		"add":      func() (ownership.Record, error) { return f.m.AddFollower(ctx, subj("jo"), d, "rep1") },
		"remove":   func() (ownership.Record, error) { return f.m.Remove(ctx, subj("root"), d, "jo") },
	} {
		if _, err := op(); !errors.Is(err, ownership.ErrSynced) {
			t.Errorf("%s on a synced document: %v, want ErrSynced", name, err)
		}
	}
}

// TestClaimRace: 64 goroutines claim one unassigned record; exactly one
// wins, the others are told it is already assigned, and one event is sent.
func TestClaimRace(t *testing.T) {
	const n = 64
	var users []ownership.User
	for i := range n {
		users = append(users, user(fmt.Sprintf("rep%02d", i), "sales_rep"))
	}
	f := newFixture(t, users...)
	ctx := context.Background()
	c := ownership.MustRef("contact/pool")
	mustCreate(t, f, c.String(), ownership.SourceForm, "")
	before := len(f.rec.all())

	var wins, assigned atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.m.Claim(ctx, u.Subject(), c)
			if err == nil {
				wins.Add(1)
				return
			}
			if d, ok := ownership.DenialOf(err); ok && d.Reason == ownership.ReasonAlreadyAssigned {
				assigned.Add(1)
				return
			}
			t.Errorf("claim by %s: %v", u.ID, err)
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || assigned.Load() != n-1 {
		t.Fatalf("%d wins and %d already-assigned denials, want 1 and %d", wins.Load(), assigned.Load(), n-1)
	}
	r, _ := f.store.Get(ctx, c)
	if len(r.Ownership.Owners()) != 1 {
		t.Errorf("stored owners %v, want exactly one", r.Ownership.Owners())
	}
	ev := f.rec.all()[before:]
	if len(ev) != 1 || ev[0].Kind != ownership.EventClaimed || !ev[0].After.Equal(r.Ownership) {
		t.Errorf("events %+v, want one claim", ev)
	}
}

// TestConcurrentOperationsLoseNothing runs 1,000 mixed operations from many
// goroutines on a few records, then replays the events: for every record
// they must form an unbroken chain of versions from the created state to
// the stored one, so no committed change was lost or overwritten.
func TestConcurrentOperationsLoseNothing(t *testing.T) {
	var users []ownership.User
	for i := range 8 {
		users = append(users, user(fmt.Sprintf("u%d", i), "manager"))
	}
	users = append(users, user("root", "admin"))
	f := newFixture(t, users...)
	ctx := context.Background()
	refs := []ownership.Ref{ownership.MustRef("contact/a"), ownership.MustRef("contact/b"), ownership.MustRef("contact/c")}
	for _, r := range refs {
		mustCreate(t, f, r.String(), ownership.SourceForm, "")
	}
	const ops, workers = 1000, 16
	var next atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for next.Add(1) <= ops {
				ref := refs[rng.IntN(len(refs))]
				u := users[rng.IntN(8)].ID
				var err error
				switch rng.IntN(6) {
				case 0:
					_, err = f.m.Claim(ctx, subj("root"), ref)
				case 1:
					_, err = f.m.Reassign(ctx, subj("root"), ref, u)
				case 2:
					_, err = f.m.AddOwner(ctx, subj("root"), ref, u)
				case 3:
					_, err = f.m.AddFollower(ctx, subj("root"), ref, u)
				case 4:
					_, err = f.m.Remove(ctx, subj("root"), ref, u)
				default:
					_, err = f.m.SetOwnership(ctx, subj("root"), ref, ownership.MustList(ownership.Entry{UserID: u, Role: ownership.Follower}))
				}
				if err != nil && !errors.Is(err, ownership.ErrConflict) {
					t.Errorf("operation failed: %v", err)
				}
			}
		}()
	}
	wg.Wait()

	byRef := map[ownership.Ref][]ownership.Event{}
	for _, e := range f.rec.all() {
		byRef[e.Record] = append(byRef[e.Record], e)
	}
	total := 0
	for _, ref := range refs {
		evs := byRef[ref]
		sort.Slice(evs, func(i, j int) bool { return evs[i].Version < evs[j].Version })
		state := ownership.List{}
		for i, e := range evs {
			if e.Version != uint64(i+1) {
				t.Fatalf("%s: event %d has version %d: a version was skipped or repeated", ref, i, e.Version)
			}
			if !e.Before.Equal(state) {
				t.Fatalf("%s v%d: event says before=%s, replay has %s: an update was lost", ref, e.Version, e.Before, state)
			}
			state = e.After
		}
		stored, _ := f.store.Get(ctx, ref)
		if !stored.Ownership.Equal(state) || stored.Version != uint64(len(evs)) {
			t.Fatalf("%s: stored %s v%d, replay gives %s v%d", ref, stored.Ownership, stored.Version, state, len(evs))
		}
		total += len(evs)
	}
	t.Logf("%d committed changes replayed", total)
}

// faulty wraps a store and fails the write after failAfter successful
// writes, or every read when readErr is set.
type faulty struct {
	ownership.RecordStore
	writes    atomic.Int32
	failAfter int32
	readErr   error
}

var errDisk = errors.New("disk on fire")

func (f *faulty) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	if f.readErr != nil {
		return ownership.Record{}, f.readErr
	}
	return f.RecordStore.Get(ctx, ref)
}

func (f *faulty) CompareAndSwap(ctx context.Context, r ownership.Record) (ownership.Record, error) {
	if f.writes.Add(1) > f.failAfter {
		return ownership.Record{}, errDisk
	}
	return f.RecordStore.CompareAndSwap(ctx, r)
}

func TestFailingStoreChangesNothing(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"write", "read"} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, team...)
			c := ownership.MustRef("contact/c1")
			mustCreate(t, f, c.String(), ownership.SourceForm, "")
			before, _ := f.store.Get(ctx, c)
			fs := &faulty{RecordStore: f.store}
			if mode == "read" {
				fs.readErr, fs.failAfter = errDisk, 1<<30
			}
			rec := &recorder{}
			m := *f.m
			m.Store, m.Subscribers = fs, []ownership.Subscriber{rec}
			_, err := m.Claim(ctx, subj("rep1"), c)
			if !errors.Is(err, errDisk) {
				t.Fatalf("claim on a failing store: %v, want the store's error", err)
			}
			if errors.Is(err, ownership.ErrConflict) || errors.Is(err, ownership.ErrDenied) && mode == "write" {
				t.Errorf("store failure reported as %v", err)
			}
			after, _ := f.store.Get(ctx, c)
			if !after.Ownership.Equal(before.Ownership) || after.Version != before.Version {
				t.Errorf("record changed: %s v%d -> %s v%d", before.Ownership, before.Version, after.Ownership, after.Version)
			}
			if n := len(rec.all()); n != 0 {
				t.Errorf("%d events for a failed write", n)
			}
		})
	}
}

// alwaysConflict makes every write lose the race.
type alwaysConflict struct {
	ownership.RecordStore
	writes atomic.Int32
}

func (a *alwaysConflict) CompareAndSwap(context.Context, ownership.Record) (ownership.Record, error) {
	a.writes.Add(1)
	return ownership.Record{}, fmt.Errorf("%w: test", ownership.ErrConflict)
}

func TestRetriesAreBoundedAndCancellable(t *testing.T) {
	f := newFixture(t, team...)
	c := ownership.MustRef("contact/c1")
	mustCreate(t, f, c.String(), ownership.SourceForm, "")

	ac := &alwaysConflict{RecordStore: f.store}
	m := *f.m
	m.Store, m.MaxAttempts = ac, 5
	if _, err := m.Claim(context.Background(), subj("rep1"), c); !errors.Is(err, ownership.ErrConflict) || ac.writes.Load() != 5 {
		t.Fatalf("got %v after %d writes, want ErrConflict after 5", err, ac.writes.Load())
	}

	m.MaxAttempts = 1 << 30
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := m.Claim(ctx, subj("rep1"), c)
		done <- err
	}()
	for ac.writes.Load() < 100 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retries did not stop after cancellation")
	}
}

func TestTransfer(t *testing.T) {
	f := newFixture(t, append(team, user("leaver", "sales_rep"), user("heir", "sales_rep"))...)
	ctx := context.Background()
	mustCreate(t, f, "contact/a", ownership.SourceManual, "leaver")
	mustCreate(t, f, "contact/b", ownership.SourceAPI, "", ownership.Entry{UserID: "rep1", Role: ownership.Owner}, ownership.Entry{UserID: "leaver", Role: ownership.Follower})
	mustCreate(t, f, "contact/c", ownership.SourceAPI, "", ownership.Entry{UserID: "leaver", Role: ownership.Owner}, ownership.Entry{UserID: "heir", Role: ownership.Follower})
	mustCreate(t, f, "invoice/i", ownership.SourceManual, "leaver")
	if _, err := f.m.Create(ctx, ownership.Record{Ref: ownership.MustRef("document/d"), Parent: ownership.MustRef("contact/a"), Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
		t.Fatal(err)
	}
	before := len(f.rec.all())

	dry, err := f.m.Transfer(ctx, subj("root"), "leaver", "heir", ownership.TransferOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	wantMoved := []ownership.Ref{ownership.MustRef("contact/a"), ownership.MustRef("contact/b"), ownership.MustRef("contact/c")}
	if diff := cmp.Diff(wantMoved, dry.Moved); diff != "" {
		t.Errorf("dry run moved (-want +got):\n%s", diff)
	}
	if len(f.rec.all()) != before {
		t.Fatal("a dry run emitted events")
	}
	if r, _ := f.store.Get(ctx, ownership.MustRef("contact/a")); !r.Ownership.IsOwner("leaver") {
		t.Fatal("a dry run changed a record")
	}
	skipped := map[string]ownership.Reason{}
	for _, s := range dry.Skipped {
		d, _ := ownership.DenialOf(s.Err)
		skipped[s.Ref.String()] = d.Reason
	}
	// The heir (a sales rep) cannot view invoices; the synced document
	// follows its contact.
	if diff := cmp.Diff(map[string]ownership.Reason{"invoice/i": ownership.ReasonTargetCannotView, "document/d": ownership.ReasonSynced}, skipped); diff != "" {
		t.Errorf("dry run skipped (-want +got):\n%s", diff)
	}

	rep, err := f.m.Transfer(ctx, subj("root"), "leaver", "heir", ownership.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dry.Moved, rep.Moved); diff != "" {
		t.Errorf("transfer moved other records than the dry run (-dry +real):\n%s", diff)
	}
	// The synced document follows its contact.
	want := map[string]string{"contact/a": "[heir:owner]", "contact/b": "[rep1:owner heir:follower]", "contact/c": "[heir:owner]", "document/d": "[heir:owner]"}
	for ref, w := range want {
		r, _ := f.store.Get(ctx, ownership.MustRef(ref))
		if got := r.Ownership.String(); got != w {
			t.Errorf("%s: %s, want %s", ref, got, w)
		}
	}
	if n := len(f.rec.all()) - before; n != 4 {
		t.Errorf("%d events, want 3 transfers and 1 sync", n)
	}
	// A rep cannot transfer someone else's records.
	rep, err = f.m.Transfer(ctx, subj("rep2"), "heir", "rep2", ownership.TransferOptions{})
	if err != nil || len(rep.Moved) != 0 || len(rep.Skipped) == 0 {
		t.Errorf("rep transfer: %+v, %v; want everything skipped", rep, err)
	}
	if _, err := f.m.Transfer(ctx, subj("root"), "heir", "heir", ownership.TransferOptions{}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("transfer to oneself: %v, want ErrInvalid", err)
	}
}

// TestDirectoryIsTheSourceOfDetails: entries name users of the directory,
// and their details come from it, whatever the caller wrote.
func TestDirectoryIsTheSourceOfDetails(t *testing.T) {
	f := newFixture(t, team...)
	ctx := context.Background()
	c := ownership.MustRef("order/o1")
	mustCreate(t, f, c.String(), ownership.SourceManual, "jo")
	_, err := f.m.SetOwnership(ctx, subj("jo"), c, ownership.MustList(ownership.Entry{UserID: "ghost", Role: ownership.Owner, Email: "ghost@evil.io"}))
	if !errors.Is(err, ownership.ErrNotFound) {
		t.Fatalf("an unknown user with details: %v, want ErrNotFound", err)
	}
	r, err := f.m.SetOwnership(ctx, subj("jo"), c, ownership.MustList(
		ownership.Entry{UserID: "jo", Role: ownership.Owner, Email: "spoofed@evil.io", GivenName: "Mallory"}))
	if err != nil {
		t.Fatal(err)
	}
	if e := r.Ownership.At(0); e.Email != "jo@x.io" || e.GivenName != "jo" {
		t.Errorf("caller-supplied details kept: %+v", e)
	}
}

func TestReassignAndTransferRefuseInactiveUsers(t *testing.T) {
	gone := user("gone", "sales_rep")
	gone.Inactive = true
	f := newFixture(t, append(team, gone)...)
	ctx := context.Background()
	c := ownership.MustRef("contact/c1")
	mustCreate(t, f, c.String(), ownership.SourceManual, "rep1")
	want := func(what string, err error, r ownership.Reason) {
		t.Helper()
		if d, ok := ownership.DenialOf(err); !ok || d.Reason != r {
			t.Errorf("%s: %v, want %v", what, err, r)
		}
		if errors.Is(err, ownership.ErrNotFound) || errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("%s: %v matches ErrNotFound or ErrInvalid", what, err)
		}
	}
	_, err := f.m.Reassign(ctx, subj("boss"), c, "gone")
	want("reassign to an inactive user", err, ownership.ReasonInactiveTarget)
	_, err = f.m.Transfer(ctx, subj("root"), "rep1", "gone", ownership.TransferOptions{})
	want("transfer to an inactive user", err, ownership.ReasonInactiveTarget)
	_, err = f.m.Transfer(ctx, subj("root"), "rep1", "ghost", ownership.TransferOptions{DryRun: true})
	want("transfer to an unknown user", err, ownership.ReasonUnknownTarget)
	if got, _ := f.store.Get(ctx, c); got.Ownership.String() != "[rep1:owner]" {
		t.Errorf("after refused moves: %s, want [rep1:owner]", got.Ownership)
	}
}

// getOnly is a store with nothing but RecordStore.
type getOnly struct{ ownership.RecordStore }

func TestCreateSyncedWithAPlainRecordStore(t *testing.T) {
	f := newFixture(t, team...)
	ctx := context.Background()
	mustCreate(t, f, "contact/c1", ownership.SourceManual, "jo")
	m := *f.m
	m.Store = getOnly{f.store}
	d, err := m.Create(ctx, ownership.Record{Ref: ownership.MustRef("document/d1"), Parent: ownership.MustRef("contact/c1"), Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceForm})
	if err != nil || d.Ownership.String() != "[jo:owner]" {
		t.Fatalf("got %s, %v; want the parent's list and no error", d.Ownership, err)
	}
}
