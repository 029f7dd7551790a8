package ownership

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// refAllowed is the reference model: the decision rules of the design,
// written out as plainly as possible, with no tables, no caching and no
// shared code with the evaluator.
func refAllowed(defs map[string]RoleDef, s Subject, a Action, r Record, field string) bool {
	// Rule 1: unknown action, no subject, missing record.
	if a < View || a > ManageOwnership || s.ID == "" {
		return false
	}
	if r.Ref.Type == "" || r.Ref.ID == "" || strings.Contains(r.Ref.Type, "/") {
		return false
	}
	// Rule 6: synced records refuse ownership changes, bypass included.
	changesOwnership := a == Claim || a == Reassign || a == ManageOwnership
	if changesOwnership && r.Mode == SyncWithParent {
		return false
	}
	// Rule 3: the class.
	isOwner, isFollower, hasOwner := false, false, false
	for e := range r.Ownership.All() {
		if e.Role == Owner {
			hasOwner = true
			if e.UserID == s.ID {
				isOwner = true
			}
		}
		if e.Role == Follower && e.UserID == s.ID {
			isFollower = true
		}
	}
	classFor := func(act Action) Scope {
		if isOwner || (act == View && isFollower) {
			return Own
		}
		if !hasOwner {
			return Unassigned
		}
		return Others
	}
	in := func(sc Scope, c Scope) bool { return sc&c != 0 }
	// Rule 4: roles one by one, any may allow.
	for _, name := range s.Roles {
		def, ok := defs[name]
		if !ok {
			continue
		}
		// Rule 5: bypass.
		if def.Bypass {
			return true
		}
		perm, ok := def.Types[r.Ref.Type]
		if !ok {
			perm, ok = def.Types["*"]
		}
		if !ok {
			continue
		}
		switch a {
		case View, Update, Delete:
			sc := map[Action]Scope{View: perm.View, Update: perm.Update, Delete: perm.Delete}[a]
			if !in(sc, classFor(a)) {
				continue
			}
			if field != "" && a != Delete { // field rules have view and update scopes only
				if fr, ok := perm.Fields[field]; ok {
					fsc := fr.View
					if a == Update {
						fsc = fr.Update
					}
					if !in(fsc, classFor(a)) {
						continue
					}
				}
			}
			return true
		case Claim:
			if perm.Claim && !hasOwner {
				return true
			}
		case Reassign:
			if perm.Reassign && in(perm.Update, classFor(Update)) {
				return true
			}
		case ManageOwnership:
			if isOwner {
				return true
			}
		}
	}
	return false
}

// gen generates random policies, subjects and records over small pools, so
// that collisions (the subject on the list, two roles on one type) are
// common.
type gen struct{ r *rand.Rand }

var (
	genUsers  = []UserID{"u0", "u1", "u2", "u3"}
	genRoles  = []string{"r0", "r1", "r2", "r3"}
	genTypes  = []string{"contact", "document", "order"}
	genFields = []string{"", "amount", "notes"}
)

func (g gen) scope() Scope { return Scope(g.r.IntN(8)) }

func (g gen) defs() map[string]RoleDef {
	defs := map[string]RoleDef{}
	for _, n := range genRoles {
		if g.r.IntN(5) == 0 {
			continue // the role does not exist: an unknown role
		}
		if g.r.IntN(8) == 0 {
			defs[n] = RoleDef{Bypass: true}
			continue
		}
		def := RoleDef{Types: map[string]Permissions{}}
		for _, t := range append([]string{AnyType}, genTypes...) {
			if g.r.IntN(2) == 0 {
				continue
			}
			p := Permissions{View: g.scope(), Update: g.scope(), Delete: g.scope(), Claim: g.r.IntN(2) == 0, Reassign: g.r.IntN(2) == 0}
			for _, f := range genFields[1:] {
				if g.r.IntN(2) == 0 {
					if p.Fields == nil {
						p.Fields = map[string]FieldRule{}
					}
					p.Fields[f] = FieldRule{View: g.scope(), Update: g.scope()}
				}
			}
			def.Types[t] = p
		}
		defs[n] = def
	}
	return defs
}

func (g gen) subject() Subject {
	s := Subject{ID: genUsers[g.r.IntN(len(genUsers))]}
	if g.r.IntN(30) == 0 {
		s.ID = ""
	}
	for _, n := range genRoles {
		if g.r.IntN(3) == 0 {
			s.Roles = append(s.Roles, n)
		}
	}
	if g.r.IntN(10) == 0 {
		s.Roles = append(s.Roles, "ghost")
	}
	return s
}

func (g gen) record(t string) Record {
	r := Record{Ref: Ref{Type: t, ID: fmt.Sprint(g.r.IntN(1000))}}
	if g.r.IntN(40) == 0 {
		r.Ref = Ref{}
	}
	var es []Entry
	for range g.r.IntN(5) {
		role := Follower
		if g.r.IntN(2) == 0 {
			role = Owner
		}
		es = append(es, Entry{UserID: genUsers[g.r.IntN(len(genUsers))], Role: role})
	}
	r.Ownership = MustList(es...)
	if g.r.IntN(4) == 0 {
		r.Mode = SyncWithParent
		r.Parent = Ref{Type: "contact", ID: "p"}
	}
	return r
}

// TestDecideMatchesReference compares Decide, Can (literal and bound
// subjects), DecideField, Filter's compiled predicate and its condition
// tree with the reference model over thousands of random cases.
func TestDecideMatchesReference(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	checked := 0
	for range 400 {
		defs := g.defs()
		p, err := NewPolicy(defs)
		if err != nil {
			t.Fatalf("NewPolicy: %v", err)
		}
		for range 10 {
			s := g.subject()
			bound := p.Bind(s)
			for a := Action(0); a <= ManageOwnership+1; a++ {
				typ := genTypes[g.r.IntN(len(genTypes))]
				pred := p.Filter(s, a, typ)
				tree := NewPredicate(pred.Type(), pred.Cond())
				for range 8 {
					r := g.record(typ)
					want := refAllowed(defs, s, a, r, "")
					d := p.Decide(s, a, r)
					if d.Allowed != want {
						t.Fatalf("Decide(%v, %v, %v %v mode=%v) = %v, want allowed=%v\npolicy: %+v", s, a, r.Ref, r.Ownership, r.Mode, d, want, defs)
					}
					if d.Reason.Allows() != d.Allowed {
						t.Fatalf("Decide(%v, %v, %v): reason %v disagrees with allowed=%v", s, a, r.Ref, d.Reason, d.Allowed)
					}
					if got := p.Can(s, a, r); got != want {
						t.Fatalf("Can(%v, %v, %v %v) = %v, want %v", s, a, r.Ref, r.Ownership, got, want)
					}
					if got := p.Can(bound, a, r); got != want {
						t.Fatalf("Can(bound %v, %v, %v %v) = %v, want %v", s, a, r.Ref, r.Ownership, got, want)
					}
					if got := pred.Match(r); got != want {
						t.Fatalf("Filter(%v, %v, %s).Match(%v %v mode=%v) = %v, want %v\npredicate: %v", s, a, typ, r.Ref, r.Ownership, r.Mode, got, want, pred)
					}
					if got := tree.Match(r); got != want {
						t.Fatalf("condition %v on %v %v mode=%v = %v, want %v", pred, r.Ref, r.Ownership, r.Mode, got, want)
					}
					field := genFields[g.r.IntN(len(genFields))]
					if field != "" {
						want := refAllowed(defs, s, a, r, field)
						if got := p.DecideField(s, a, r, field); got.Allowed != want {
							t.Fatalf("DecideField(%v, %v, %v %v, %q) = %v, want allowed=%v\npolicy: %+v", s, a, r.Ref, r.Ownership, field, got, want, defs)
						}
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d decisions compared with the reference model", checked)
}
