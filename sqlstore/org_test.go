package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ownershipkit/ownership"
)

// orgGen generates random organisations (tenants, teams in trees, a
// manager hierarchy, queues) that ownership.NewOrg accepts, records of
// every tenant held by users or queues, and policies whose scopes use
// every class, with platform roles.
type orgGen struct {
	r       *rand.Rand
	tenants []ownership.TenantID
	def     ownership.OrgDef
}

var orgTypes = []string{"contact", "deal"}

func newOrgGen(seed uint64) *orgGen {
	g := &orgGen{r: rand.New(rand.NewPCG(seed, 17)), tenants: []ownership.TenantID{"", "acme", "it's"}}
	byTenant := map[ownership.TenantID][]int{} // indexes of users, teams, queues per tenant
	teams := map[ownership.TenantID][]ownership.TeamID{}
	queues := map[ownership.TenantID][]ownership.QueueID{}
	for i := range 9 {
		tn := g.tenants[g.r.IntN(len(g.tenants))]
		t := ownership.Team{ID: ownership.TeamID(fmt.Sprintf("team%d", i)), Tenant: tn, Name: fmt.Sprintf("Team %d", i)}
		if ps := teams[tn]; len(ps) > 0 && g.r.IntN(3) != 0 {
			t.Parent = ps[g.r.IntN(len(ps))] // an earlier team: never a loop
		}
		teams[tn] = append(teams[tn], t.ID)
		g.def.Teams = append(g.def.Teams, t)
	}
	for i := range 5 {
		tn := g.tenants[g.r.IntN(len(g.tenants))]
		q := ownership.Queue{ID: ownership.QueueID(fmt.Sprintf("q%d", i)), Tenant: tn}
		queues[tn] = append(queues[tn], q.ID)
		g.def.Queues = append(g.def.Queues, q)
	}
	for i := range 24 {
		tn := g.tenants[g.r.IntN(len(g.tenants))]
		u := ownership.User{ID: ownership.UserID(fmt.Sprintf("u%02d", i)), Tenant: tn, Email: fmt.Sprintf("u%d@example.com", i)}
		if i%7 == 3 {
			u.ID = ownership.UserID(fmt.Sprintf("o'%02d", i)) // a quote, sorted apart
		}
		for _, t := range teams[tn] {
			if g.r.IntN(4) == 0 {
				u.Teams = append(u.Teams, t)
			}
		}
		for _, q := range queues[tn] {
			if g.r.IntN(3) == 0 {
				u.Queues = append(u.Queues, q)
			}
		}
		if ms := byTenant[tn]; len(ms) > 0 && g.r.IntN(4) != 0 {
			u.Manager = g.def.Users[ms[g.r.IntN(len(ms))]].ID // an earlier user: never a loop
		}
		for _, n := range diffRoles {
			if g.r.IntN(3) == 0 {
				u.Roles = append(u.Roles, n)
			}
		}
		byTenant[tn] = append(byTenant[tn], len(g.def.Users))
		g.def.Users = append(g.def.Users, u)
	}
	for i := range g.def.Teams {
		t := &g.def.Teams[i]
		for _, k := range byTenant[t.Tenant] {
			if g.r.IntN(5) == 0 {
				t.Managers = append(t.Managers, g.def.Users[k].ID)
			}
		}
	}
	return g
}

// policy returns a random policy over every class, with platform roles.
func (g *orgGen) policy() *ownership.Policy {
	defs := map[string]ownership.RoleDef{}
	scope := func() ownership.Scope { return ownership.Scope(g.r.IntN(32)) }
	for _, n := range diffRoles {
		switch g.r.IntN(10) {
		case 0:
			continue
		case 1:
			defs[n] = ownership.RoleDef{Bypass: true, Platform: g.r.IntN(2) == 0}
			continue
		}
		def := ownership.RoleDef{Types: map[string]ownership.Permissions{}, Platform: g.r.IntN(5) == 0}
		for _, t := range append([]string{ownership.AnyType}, orgTypes...) {
			if g.r.IntN(2) == 0 {
				def.Types[t] = ownership.Permissions{View: scope(), Update: scope(), Delete: scope(), Claim: g.r.IntN(2) == 0, Reassign: g.r.IntN(2) == 0}
			}
		}
		defs[n] = def
	}
	return ownership.MustPolicy(defs)
}

// record returns a random record: of a random tenant, held by a queue
// (mostly its tenant's), by users (mostly its tenant's) or by nobody.
func (g *orgGen) record(i int) ownership.Record {
	r := ownership.Record{
		Ref:    ownership.Ref{Type: orgTypes[g.r.IntN(len(orgTypes))], ID: fmt.Sprintf("r%03d", i)},
		Tenant: g.tenants[g.r.IntN(len(g.tenants))],
	}
	users := func() []ownership.User {
		var out []ownership.User
		for _, u := range g.def.Users {
			if u.Tenant == r.Tenant || g.r.IntN(10) == 0 {
				out = append(out, u)
			}
		}
		return out
	}()
	var es []ownership.Entry
	if g.r.IntN(3) == 0 {
		var qs []ownership.QueueID
		for _, q := range g.def.Queues {
			if q.Tenant == r.Tenant || g.r.IntN(10) == 0 {
				qs = append(qs, q.ID)
			}
		}
		if len(qs) > 0 {
			es = append(es, ownership.Entry{Queue: qs[g.r.IntN(len(qs))], Role: ownership.Owner})
		}
	}
	for range g.r.IntN(4) {
		if len(users) == 0 {
			break
		}
		u := users[g.r.IntN(len(users))]
		role := ownership.Follower
		if len(es) == 0 || es[0].Queue == "" {
			if g.r.IntN(2) == 0 {
				role = ownership.Owner
			}
		}
		es = append(es, u.Entry(role))
	}
	r.Ownership = ownership.MustList(es...)
	if g.r.IntN(5) == 0 {
		// A parent that is never stored: only the mode matters here.
		r.Parent, r.Mode = ownership.Ref{Type: "account", ID: "none"}, ownership.SyncWithParent
	}
	return r
}

// storeOrg stores g's organisation and n records in s and returns the
// records as stored, by type, in id order.
func storeOrg(t *testing.T, s *Store, g *orgGen, n int) map[string][]ownership.Record {
	t.Helper()
	for _, u := range g.def.Users {
		if err := s.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, tm := range g.def.Teams {
		if err := s.PutTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range g.def.Queues {
		if err := s.PutQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	byType := map[string][]ownership.Record{}
	for i := range n {
		r, err := s.CompareAndSwap(ctx, g.record(i))
		if err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 { // a second write, through the update path
			next := g.record(i)
			next.Ref, next.Version = r.Ref, r.Version
			if r, err = s.CompareAndSwap(ctx, next); err != nil {
				t.Fatal(err)
			}
		}
		byType[r.Ref.Type] = append(byType[r.Ref.Type], r)
	}
	for _, recs := range byType {
		slices.SortFunc(recs, func(a, b ownership.Record) int { return compareRefs(a.Ref, b.Ref) })
	}
	return byType
}

// TestOrgRoundTrip: the organisation read back is the one stored, and
// Store.Org reports NewOrg's errors as they are.
func TestOrgRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		g := newOrgGen(3)
		storeOrg(t, s, g, 0)
		org, err := s.Org(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ownership.NewOrg(g.def)
		if err != nil {
			t.Fatal(err)
		}
		wdef, gdef := want.Def(), org.Def()
		slices.SortFunc(wdef.Users, func(a, b ownership.User) int { return cmpString(a.ID, b.ID) })
		if diff := cmp.Diff(wdef, gdef, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Org().Def() differs from the stored organisation (-want +got):\n%s", diff)
		}
		// A loop in the stored data is NewOrg's error, never an Org.
		loop := g.def.Users[len(g.def.Users)-1]
		top := g.def.Users[0]
		for _, u := range g.def.Users {
			if u.Tenant == loop.Tenant && u.ID != loop.ID && u.Manager == "" {
				top = u
				break
			}
		}
		if top.Tenant == loop.Tenant && top.ID != loop.ID {
			top.Manager = loop.ID
			loop.Manager = top.ID
			for _, u := range []ownership.User{top, loop} {
				if err := s.PutUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			if o, err := s.Org(ctx); !errors.Is(err, ownership.ErrInvalid) || o != nil {
				t.Fatalf("Org() over a manager loop = %v, %v; want ErrInvalid", o, err)
			}
		}
		if err := s.PutTeam(ctx, ownership.Team{}); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("PutTeam without id: %v", err)
		}
		if err := s.PutQueue(ctx, ownership.Queue{ID: "q\x00"}); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("PutQueue with a NUL: %v", err)
		}
	})
}

func cmpString[T ~string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestOrgListMatchesDecide is the differential test of the pushdown with
// an organisation: random tenants, queues, teams and a hierarchy stored
// in the database, random policies over every class with platform roles,
// and for subjects built by Org.Subject, the SQL listing of each Filter
// holds exactly the records Decide allows.
// raceScaled is n, or half of it (at least 1) under the race detector,
// which slows SQLite about twentyfold; CI also runs these differential
// tests at full size without it.
func raceScaled(n int) int {
	if raceEnabled {
		return max(1, n/2)
	}
	return n
}

func TestOrgListMatchesDecide(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		for seed := range uint64(raceScaled(3)) {
			g := newOrgGen(100 + seed)
			st := s
			if seed > 0 {
				st = s.fresh(t)
			}
			byType := storeOrg(t, st, g, 160)
			org, err := st.Org(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listings, allowed := 0, 0
			for range raceScaled(4) {
				p := g.policy()
				for _, u := range g.def.Users {
					subj, ok := org.Subject(u.ID)
					if !ok {
						t.Fatalf("no subject %s", u.ID)
					}
					for a := ownership.View; a <= ownership.ManageOwnership; a++ {
						for _, typ := range orgTypes {
							var want []ownership.Record
							for _, r := range byType[typ] {
								if p.Decide(subj, a, r).Allowed {
									want = append(want, r)
								}
							}
							pred := p.Filter(subj, a, typ)
							got := listAll(t, st, pred, 1+g.r.IntN(30))
							if !slices.Equal(ids(got), ids(want)) {
								t.Fatalf("seed %d, policy %s\nsubject %+v (reach %v %v %v), %v %s:\n got %q\nwant %q\npredicate %v",
									seed, mustJSON(p), subj, subj.Reach.Teammates(), subj.Reach.Reports(), subj.Reach.Queues(), a, typ, ids(got), ids(want), pred)
							}
							if diff := cmp.Diff(want, got, recordCmp); diff != "" {
								t.Fatalf("%v %s for %s: records differ from the stored ones (-want +got):\n%s", a, typ, u.ID, diff)
							}
							listings++
							allowed += len(want)
						}
					}
				}
			}
			t.Logf("seed %d: %d listings, %d records allowed, all equal to Decide", seed, listings, allowed)
		}
	})
}

// fresh returns a new, empty store of s's dialect.
func (s *Store) fresh(t *testing.T) *Store {
	t.Helper()
	if s.d == SQLite {
		return openSQLite(t)
	}
	return openPostgres(t, postgresDSN(t))
}

// TestWho: Store.Who equals Org.Who over the users it asks about (the
// record's tenant and the holders of platform roles), and its Allowed is
// exactly the users Decide allows as Org.Subject makes them; Reachers
// equals Org.Reachers.
func TestWho(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		g := newOrgGen(41)
		byType := storeOrg(t, s, g, 80)
		org, err := s.Org(ctx)
		if err != nil {
			t.Fatal(err)
		}
		answers, allowed := 0, 0
		for range raceScaled(5) {
			p := g.policy()
			platform := map[string]bool{}
			for _, n := range p.RoleNames() {
				if def, _ := p.Role(n); def.Platform {
					platform[n] = true
				}
			}
			for _, typ := range orgTypes {
				for _, r := range byType[typ] {
					rch, err := s.Reachers(ctx, r.Ref)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(org.Reachers(r), rch, cmpopts.EquateEmpty()); diff != "" {
						t.Fatalf("Reachers(%s) differs from Org.Reachers (-org +sql):\n%s", r.Ref, diff)
					}
					for a := ownership.View; a <= ownership.ManageOwnership; a++ {
						got, err := s.Who(ctx, p, a, r.Ref)
						if err != nil {
							t.Fatal(err)
						}
						want, err := org.Who(ctx, p, a, r)
						if err != nil {
							t.Fatal(err)
						}
						asked := func(d ownership.Decision) bool {
							u, _ := org.User(d.Subject)
							return u.Tenant == r.Tenant || slices.ContainsFunc(u.Roles, func(n string) bool { return platform[n] })
						}
						want.Denied = slices.DeleteFunc(want.Denied, func(d ownership.Decision) bool { return !asked(d) })
						for _, d := range want.Allowed {
							if !asked(d) {
								t.Fatalf("Org.Who allows %s on %s, a user Store.Who does not ask about", d.Subject, r.Ref)
							}
						}
						if diff := cmp.Diff(whoView(want), whoView(got)); diff != "" {
							t.Fatalf("Who(%v, %s) differs from Org.Who (-org +sql):\n%s", a, r.Ref, diff)
						}
						var decided []ownership.UserID
						for _, u := range g.def.Users {
							subj, _ := org.Subject(u.ID)
							if p.Decide(subj, a, r).Allowed {
								decided = append(decided, u.ID)
							}
						}
						slices.Sort(decided)
						if w := whoView(got).Allowed; !slices.Equal(w, decided) {
							t.Fatalf("Who(%v, %s) allows %q; Decide allows %q", a, r.Ref, w, decided)
						}
						answers++
						allowed += len(got.Allowed)
					}
				}
			}
		}
		t.Logf("%d answers, %d users allowed, all equal to Org.Who and Decide", answers, allowed)
		if _, err := s.Who(ctx, g.policy(), ownership.View, ownership.Ref{Type: "contact", ID: "missing"}); !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("Who on a missing record: %v", err)
		}
		if _, err := s.Who(ctx, nil, ownership.View, byType[orgTypes[0]][0].Ref); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("Who without a policy: %v", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if acc, err := s.Who(cctx, g.policy(), ownership.View, byType[orgTypes[0]][0].Ref); err == nil || acc.Allowed != nil || acc.Denied != nil {
			t.Errorf("Who on a cancelled context = %+v, %v; want an error and no answer", acc, err)
		}
	})
}

// who is an Access by its users and the reasons of each decision.
type who struct {
	Allowed, Denied []ownership.UserID
	Reasons         []string
}

func whoView(a ownership.Access) who {
	var w who
	for _, d := range a.Allowed {
		w.Allowed = append(w.Allowed, d.Subject)
		w.Reasons = append(w.Reasons, fmt.Sprintf("%s:%v:%s", d.Subject, d.Reason, d.Basis()))
	}
	for _, d := range a.Denied {
		w.Denied = append(w.Denied, d.Subject)
		w.Reasons = append(w.Reasons, fmt.Sprintf("%s:%v", d.Subject, d.Reason))
	}
	slices.Sort(w.Allowed)
	slices.Sort(w.Denied)
	slices.Sort(w.Reasons)
	return w
}

// TestPropagationStaysInTenant: a record synced with a parent of another
// tenant is refused, and SyncDescendants copies the parent's list, queue
// included, to the synced descendants of its tenant only, never to a
// descendant of another tenant (stored under a parent written after it)
// nor below one.
func TestPropagationStaysInTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		put := func(r ownership.Record) ownership.Record {
			t.Helper()
			out, err := s.CompareAndSwap(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		parent := put(ownership.Record{Ref: ownership.MustRef("account/a1"), Tenant: "acme", Ownership: ownership.MustList(ownership.Entry{UserID: "ann", Role: ownership.Owner})})
		synced := func(id string, tenant ownership.TenantID, p ownership.Ref) ownership.Record {
			return ownership.Record{Ref: ownership.Ref{Type: "contact", ID: id}, Tenant: tenant, Parent: p, Mode: ownership.SyncWithParent}
		}
		if _, err := s.CompareAndSwap(ctx, synced("x", "globex", parent.Ref)); !errors.Is(err, ownership.ErrInvalid) {
			t.Fatalf("a record synced with a parent of another tenant: %v, want ErrInvalid", err)
		}
		same := put(synced("c1", "acme", parent.Ref))
		grand := put(ownership.Record{Ref: ownership.MustRef("document/d1"), Tenant: "acme", Parent: same.Ref, Mode: ownership.SyncWithParent})
		// A child of another tenant, and a record of acme below it, each
		// stored before its parent existed (nothing to check against then).
		put(ownership.Record{Ref: ownership.MustRef("document/d2"), Tenant: "acme", Parent: ownership.MustRef("contact/o1"), Mode: ownership.SyncWithParent})
		put(synced("o1", "globex", ownership.MustRef("account/a2")))
		put(ownership.Record{Ref: ownership.MustRef("account/a2"), Tenant: "acme"})
		// Reparent o1 under a1 by hand, as a write that bypassed the check
		// would.
		if _, err := s.db.ExecContext(ctx, s.q(`UPDATE ownership_records SET parent_type = 'account', parent_id = 'a1' WHERE id = 'o1'`)); err != nil {
			t.Fatal(err)
		}
		queued, err := parent.Ownership.InQueue("support")
		if err != nil {
			t.Fatal(err)
		}
		parent.Ownership = queued
		parent = put(parent)
		res, err := s.SyncDescendants(ctx, parent.Ref, parent, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Events) != 2 {
			t.Errorf("SyncDescendants wrote %d records, want 2 (c1, d1): %+v", len(res.Events), res.Events)
		}
		for _, ref := range []ownership.Ref{same.Ref, grand.Ref} {
			r, err := s.Get(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if r.Ownership.Queue() != "support" || !r.Ownership.Equal(queued) || r.Ownership.Unassigned() {
				t.Errorf("%s: %v; want the parent's list, in queue support", ref, r.Ownership)
			}
		}
		for _, ref := range []ownership.Ref{ownership.MustRef("contact/o1"), ownership.MustRef("document/d2")} {
			r, err := s.Get(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if r.Ownership.Len() != 0 || r.Version != 1 {
				t.Errorf("%s of tenant %q was written across tenants: %v v%d", ref, r.Tenant, r.Ownership, r.Version)
			}
		}
		// The unassigned listing agrees: the queued copies are not unassigned.
		p := ownership.NewPredicate("contact", ownership.IsUnassigned())
		if got := listAll(t, s, p, 10); !slices.Equal(ids(got), []string{"o1"}) {
			t.Errorf("unassigned contacts: %q, want [o1]", ids(got))
		}
	})
}
