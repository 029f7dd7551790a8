package sqlstore

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ownershipkit/ownership"
)

// eachBackend runs f on SQLite, and on PostgreSQL when the tests have a
// server (otherwise that subtest reports the skip).
func eachBackend(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, openPostgres(t, postgresDSN(t))) })
}

var recordCmp = cmp.Options{
	cmp.Comparer(func(a, b ownership.List) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// Pools of the random data: hostile user ids and types among plain ones,
// so that a value spliced into SQL or matched with LIKE shows up as a
// wrong listing.
var (
	diffUsers = []ownership.UserID{"u0", "u1", "u2", "it's", "100%", "a_b", "--", "ünï", `back\slash`}
	diffTypes = []string{"contact", "document", "o'rder"}
	diffRoles = []string{"r0", "r1", "r2", "r3"}
)

// diffGen generates random policies, subjects, records and conditions.
type diffGen struct{ r *rand.Rand }

func (g diffGen) scope() ownership.Scope { return ownership.Scope(g.r.IntN(8)) }

func (g diffGen) policy() *ownership.Policy {
	defs := map[string]ownership.RoleDef{}
	for _, n := range diffRoles {
		switch g.r.IntN(10) {
		case 0:
			continue // an unknown role
		case 1:
			defs[n] = ownership.RoleDef{Bypass: true}
			continue
		}
		def := ownership.RoleDef{Types: map[string]ownership.Permissions{}}
		for _, t := range append([]string{ownership.AnyType}, diffTypes...) {
			if g.r.IntN(2) == 0 {
				def.Types[t] = ownership.Permissions{View: g.scope(), Update: g.scope(), Delete: g.scope(), Claim: g.r.IntN(2) == 0, Reassign: g.r.IntN(2) == 0}
			}
		}
		defs[n] = def
	}
	return ownership.MustPolicy(defs)
}

func (g diffGen) subject() ownership.Subject {
	s := ownership.Subject{ID: diffUsers[g.r.IntN(len(diffUsers))]}
	if g.r.IntN(25) == 0 {
		s.ID = ""
	}
	for _, n := range diffRoles {
		if g.r.IntN(3) == 0 {
			s.Roles = append(s.Roles, n)
		}
	}
	return s
}

func (g diffGen) list() ownership.List {
	var es []ownership.Entry
	for range g.r.IntN(5) {
		role := ownership.Follower
		if g.r.IntN(2) == 0 {
			role = ownership.Owner
		}
		es = append(es, ownership.Entry{UserID: diffUsers[g.r.IntN(len(diffUsers))], Role: role})
	}
	return ownership.MustList(es...)
}

func (g diffGen) record(i int) ownership.Record {
	r := ownership.Record{
		Ref:       ownership.Ref{Type: diffTypes[g.r.IntN(len(diffTypes))], ID: fmt.Sprintf("%s-%03d", diffUsers[g.r.IntN(len(diffUsers))], i)},
		Ownership: g.list(),
	}
	if g.r.IntN(4) == 0 {
		r.Parent, r.Mode = ownership.Ref{Type: "account", ID: "a1"}, ownership.SyncWithParent
	}
	return r
}

// cond returns a random condition tree, including the forms Filter never
// builds (empty and/or, nested all/none, unsimplified trees).
func (g diffGen) cond(depth int) ownership.Cond {
	u := diffUsers[g.r.IntN(len(diffUsers))]
	leaf := []ownership.Cond{
		{Op: ownership.OpAll}, {Op: ownership.OpNone},
		{Op: ownership.OpOwnedBy, User: u}, {Op: ownership.OpFollowedBy, User: u},
		{Op: ownership.OpUnassigned}, {Op: ownership.OpSynced},
	}
	if depth == 0 || g.r.IntN(3) == 0 {
		return leaf[g.r.IntN(len(leaf))]
	}
	switch g.r.IntN(3) {
	case 0:
		return ownership.Cond{Op: ownership.OpNot, Args: []ownership.Cond{g.cond(depth - 1)}}
	case 1:
		c := ownership.Cond{Op: ownership.OpAnd}
		for range g.r.IntN(4) {
			c.Args = append(c.Args, g.cond(depth-1))
		}
		return c
	}
	c := ownership.Cond{Op: ownership.OpOr}
	for range g.r.IntN(4) {
		c.Args = append(c.Args, g.cond(depth-1))
	}
	if g.r.IntN(2) == 0 { // the View-Own shape, which Where merges
		c.Args = append(c.Args, ownership.OwnedBy(u), ownership.FollowedBy(u))
	}
	return c
}

// loadRandom stores n random records through compare-and-swap, then
// rewrites a third of them, and returns the records as stored, by type,
// in id order.
func loadRandom(t *testing.T, s *Store, g diffGen, n int) map[string][]ownership.Record {
	t.Helper()
	stored := map[ownership.Ref]ownership.Record{}
	for i := range n {
		r, err := s.CompareAndSwap(ctx, g.record(i))
		if err != nil {
			t.Fatal(err)
		}
		stored[r.Ref] = r
	}
	for _, ref := range slices.SortedFunc(maps.Keys(stored), compareRefs) {
		if g.r.IntN(3) != 0 {
			continue
		}
		r := stored[ref]
		r.Ownership = g.list()
		if g.r.IntN(2) == 0 {
			r.Parent, r.Mode = ownership.Ref{}, ownership.Independent
		}
		r, err := s.CompareAndSwap(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		stored[ref] = r
	}
	byType := map[string][]ownership.Record{}
	for _, ref := range slices.SortedFunc(maps.Keys(stored), compareRefs) {
		byType[ref.Type] = append(byType[ref.Type], stored[ref])
	}
	return byType
}

func compareRefs(a, b ownership.Ref) int {
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// listAll pages through a listing with pages of limit records.
func listAll(t *testing.T, s *Store, pred ownership.Predicate, limit int) []ownership.Record {
	t.Helper()
	var out []ownership.Record
	page := Page{Limit: limit}
	for pages := 0; ; pages++ {
		recs, next, err := s.ListMatching(ctx, pred, page)
		if err != nil {
			t.Fatalf("ListMatching(%v, %+v): %v", pred, page, err)
		}
		if len(recs) > limit {
			t.Fatalf("ListMatching(%v, %+v): got %d records, more than the limit", pred, page, len(recs))
		}
		out = append(out, recs...)
		if next == (Page{}) {
			return out
		}
		if len(recs) != limit || next.After != recs[len(recs)-1].Ref.ID || next.Limit != limit {
			t.Fatalf("ListMatching(%v, %+v): %d records and next page %+v", pred, page, len(recs), next)
		}
		if pages > 10000 {
			t.Fatalf("ListMatching(%v) does not end", pred)
		}
		page = next
	}
}

func ids(recs []ownership.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Ref.ID
	}
	return out
}

// TestListMatchesDecide is the differential test of the pushdown: for
// random policies, subjects, actions and record types over random data,
// the SQL listing, page after page, holds exactly the records for which
// Decide allows, in id order, as stored.
func TestListMatchesDecide(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		g := diffGen{rand.New(rand.NewPCG(7, 11))}
		byType := loadRandom(t, s, g, 240)
		listings, records := 0, 0
		for range raceScaled(8) {
			p := g.policy()
			for range 6 {
				subj := g.subject()
				for a := ownership.Action(1); a <= ownership.ManageOwnership+1; a++ {
					for _, typ := range append(diffTypes, "invoice") {
						var want []ownership.Record
						for _, r := range byType[typ] {
							if p.Decide(subj, a, r).Allowed {
								want = append(want, r)
							}
						}
						limit := 1 + g.r.IntN(40)
						got := listAll(t, s, p.Filter(subj, a, typ), limit)
						if !slices.Equal(ids(got), ids(want)) {
							t.Fatalf("policy %s\nsubject %+v, %v %s (pages of %d):\n got %q\nwant %q\npredicate %v",
								mustJSON(p), subj, a, typ, limit, ids(got), ids(want), p.Filter(subj, a, typ))
						}
						if diff := cmp.Diff(want, got, recordCmp); diff != "" {
							t.Fatalf("%v %s for %+v: records differ from the stored ones (-want +got):\n%s", a, typ, subj, diff)
						}
						// List is the same query.
						first, _, err := s.List(ctx, p, subj, a, typ, Page{Limit: limit})
						if err != nil || !slices.Equal(ids(first), ids(want[:min(limit, len(want))])) {
							t.Fatalf("List(%+v, %v, %s) = %q, %v; want the first page of %q", subj, a, typ, ids(first), err, ids(want))
						}
						listings++
						records += len(want)
					}
				}
			}
		}
		t.Logf("%d listings, %d records, all equal to Decide", listings, records)
	})
}

func mustJSON(p *ownership.Policy) string {
	b, err := p.MarshalJSON()
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// TestListMatchingCond: for random condition trees, including shapes that
// Filter never builds, the listing holds exactly the records that
// Cond.Match accepts.
func TestListMatchingCond(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		g := diffGen{rand.New(rand.NewPCG(3, 5))}
		byType := loadRandom(t, s, g, 150)
		for range 300 {
			typ := diffTypes[g.r.IntN(len(diffTypes))]
			pred := ownership.NewPredicate(typ, g.cond(4))
			var want []string
			for _, r := range byType[typ] {
				if pred.Match(r) {
					want = append(want, r.Ref.ID)
				}
			}
			got, _, err := s.ListMatching(ctx, pred, Page{Limit: MaxPageSize})
			if err != nil {
				t.Fatalf("%v: %v", pred, err)
			}
			if !slices.Equal(ids(got), want) {
				w, args, _ := Where(pred, s.d, 0)
				t.Fatalf("%v:\n got %q\nwant %q\nSQL %s %q", pred, ids(got), want, w, args)
			}
		}
	})
}

// TestListPages: page sizes, bounds and the end of a listing.
func TestListPages(t *testing.T) {
	s := openSQLite(t)
	all := ownership.NewPredicate("contact", ownership.AllRecords())
	n := MaxPageSize + 20
	bulkLoad(t, s, func(yield func(ownership.Record) bool) {
		for i := range n {
			if !yield(ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprintf("c%05d", i)}}) {
				return
			}
		}
	})
	check := func(page Page, wantLen int, wantNext Page) {
		t.Helper()
		recs, next, err := s.ListMatching(ctx, all, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != wantLen || next != wantNext {
			t.Errorf("page %+v: got %d records and next %+v, want %d and %+v", page, len(recs), next, wantLen, wantNext)
		}
	}
	check(Page{}, DefaultPageSize, Page{After: fmt.Sprintf("c%05d", DefaultPageSize-1)})
	check(Page{Limit: 5000}, MaxPageSize, Page{After: fmt.Sprintf("c%05d", MaxPageSize-1), Limit: 5000})
	check(Page{After: fmt.Sprintf("c%05d", n-11), Limit: 10}, 10, Page{}) // exactly the rest: no empty page after it
	check(Page{After: fmt.Sprintf("c%05d", n-11), Limit: 11}, 10, Page{})
	check(Page{After: "c", Limit: 1}, 1, Page{After: "c00000", Limit: 1})
	check(Page{After: "d"}, 0, Page{})
	if _, _, err := s.ListMatching(ctx, all, Page{Limit: -1}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("negative limit: got %v, want ErrInvalid", err)
	}
	if _, _, err := s.ListMatching(ctx, all, Page{After: "\x00"}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("NUL in After: got %v, want ErrInvalid", err)
	}
	if _, _, err := s.ListMatching(ctx, ownership.NewPredicate("contact", ownership.Cond{Op: 77}), Page{}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("unknown operator: got %v, want ErrInvalid", err)
	}
	// A policy that allows nothing asks the database nothing.
	recs, next, err := s.List(ctx, nil, ownership.Subject{ID: "ann"}, ownership.View, "contact", Page{})
	if err != nil || len(recs) != 0 || next != (Page{}) {
		t.Errorf("nil policy: got %d records, %+v, %v; want nothing", len(recs), next, err)
	}
}
