package ownership

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// refOrgAllowed is the reference model of the decision rules with an
// organisation: tenants, teams, the manager hierarchy and queues, written
// out plainly from the organisation's definition, sharing no code with Org
// or the evaluator. u is the subject's user (nil for an unknown one).
func refOrgAllowed(pdef PolicyDef, org OrgDef, u *User, a Action, r Record, field string) bool {
	if u == nil || a < View || a > ManageOwnership || !r.Ref.Valid() {
		return false
	}
	if (a == Claim || a == Reassign || a == ManageOwnership) && r.Mode == SyncWithParent {
		return false
	}
	crossing := r.Tenant != u.Tenant || (pdef.Tenant != "" && pdef.Tenant != r.Tenant)
	// The subject's teammates: the members of its teams, and of every team
	// it manages and the teams below those.
	memberOf := func(t TeamID) []UserID {
		var out []UserID
		for _, v := range org.Users {
			if slices.Contains(v.Teams, t) {
				out = append(out, v.ID)
			}
		}
		return out
	}
	var under func(t TeamID, depth int) bool
	parentOf := map[TeamID]TeamID{}
	for _, t := range org.Teams {
		parentOf[t.ID] = t.Parent
	}
	teammates := map[UserID]bool{}
	for _, t := range u.Teams {
		for _, m := range memberOf(t) {
			teammates[m] = true
		}
	}
	for _, m := range org.Teams {
		if !slices.Contains(m.Managers, u.ID) {
			continue
		}
		under = func(t TeamID, depth int) bool { // t is m or below it
			for ; t != "" && depth < 100; t, depth = parentOf[t], depth+1 {
				if t == m.ID {
					return true
				}
			}
			return false
		}
		for _, t := range org.Teams {
			if under(t.ID, 0) {
				for _, v := range memberOf(t.ID) {
					teammates[v] = true
				}
			}
		}
	}
	// Everyone whose chain of managers reaches the subject.
	below := map[UserID]bool{}
	for _, v := range org.Users {
		mgr := map[UserID]UserID{}
		for _, w := range org.Users {
			mgr[w.ID] = w.Manager
		}
		for at, n := mgr[v.ID], 0; at != "" && n < 100; at, n = mgr[at], n+1 {
			if at == u.ID {
				below[v.ID] = true
			}
		}
	}
	isOwner, isFollower, hasOwner, team, reports := false, false, false, false, false
	queue := QueueID("")
	for e := range r.Ownership.All() {
		if e.Queue != "" {
			queue = e.Queue
			continue
		}
		if e.Role == Owner {
			hasOwner = true
			isOwner = isOwner || e.UserID == u.ID
			team = team || (teammates[e.UserID] && e.UserID != u.ID)
			reports = reports || (below[e.UserID] && e.UserID != u.ID)
		}
		if e.Role == Follower && e.UserID == u.ID {
			isFollower = true
		}
	}
	pool := !hasOwner && (queue == "" || slices.Contains(u.Queues, queue))
	classFor := func(act Action) Scope {
		switch {
		case isOwner || (act == View && isFollower):
			return Own
		case pool:
			return Unassigned
		}
		c := Others
		if team {
			c |= Teammates
		}
		if reports {
			c |= Reports
		}
		return c
	}
	in := func(sc, c Scope) bool { return sc&c != 0 }
	for _, name := range u.Roles {
		def, ok := pdef.Roles[name]
		if !ok || (crossing && (!def.Platform || a == Claim)) {
			continue
		}
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
			if fr, ok := perm.Fields[field]; ok && field != "" && a != Delete {
				fsc := fr.View
				if a == Update {
					fsc = fr.Update
				}
				if !in(fsc, classFor(a)) {
					continue
				}
			}
			return true
		case Claim:
			if perm.Claim && pool {
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

var (
	orgUsers   = []UserID{"u0", "u1", "u2", "u3", "u4", "u5"}
	orgTeams   = []TeamID{"t0", "t1", "t2", "t3"}
	orgQueues  = []QueueID{"q0", "q1"}
	orgTenants = []TenantID{"", "acme"}
)

// org generates an organisation without loops: a user's manager and a
// team's parent come before it. Most of it is in one tenant, so that the
// other tenant's users and records are the exception they are.
func (g gen) org() OrgDef {
	var def OrgDef
	tenantOf := map[string]TenantID{}
	for i, id := range orgTeams {
		t := Team{ID: id}
		if g.r.IntN(6) == 0 {
			t.Tenant = orgTenants[1]
		}
		if i > 0 && g.r.IntN(2) == 0 {
			if p := def.Teams[g.r.IntN(i)]; p.Tenant == t.Tenant {
				t.Parent = p.ID
			}
		}
		tenantOf[string(id)] = t.Tenant
		def.Teams = append(def.Teams, t)
	}
	for _, id := range orgQueues {
		q := Queue{ID: id}
		if g.r.IntN(6) == 0 {
			q.Tenant = orgTenants[1]
		}
		tenantOf[string(id)] = q.Tenant
		def.Queues = append(def.Queues, q)
	}
	for i, id := range orgUsers {
		u := User{ID: id}
		if g.r.IntN(6) == 0 {
			u.Tenant = orgTenants[1]
		}
		for _, n := range genRoles {
			if g.r.IntN(3) == 0 {
				u.Roles = append(u.Roles, n)
			}
		}
		for _, t := range orgTeams {
			if tenantOf[string(t)] == u.Tenant && g.r.IntN(3) == 0 {
				u.Teams = append(u.Teams, t)
			}
		}
		for _, q := range orgQueues {
			if tenantOf[string(q)] == u.Tenant && g.r.IntN(2) == 0 {
				u.Queues = append(u.Queues, q)
			}
		}
		if i > 0 && g.r.IntN(3) > 0 {
			if m := def.Users[g.r.IntN(i)]; m.Tenant == u.Tenant {
				u.Manager = m.ID
			}
		}
		def.Users = append(def.Users, u)
	}
	for i := range def.Teams {
		for _, u := range def.Users {
			if u.Tenant == def.Teams[i].Tenant && g.r.IntN(5) == 0 {
				def.Teams[i].Managers = append(def.Teams[i].Managers, u.ID)
			}
		}
	}
	return def
}

// policyDef is defs with, sometimes, platform roles or a tenant of its
// own, and scopes over all five classes.
func (g gen) policyDef() PolicyDef {
	def := PolicyDef{Roles: g.defs()}
	for n, r := range def.Roles {
		for t, p := range r.Types {
			p.View, p.Update, p.Delete = Scope(g.r.IntN(32)), Scope(g.r.IntN(32)), Scope(g.r.IntN(32))
			for f := range p.Fields {
				p.Fields[f] = FieldRule{View: Scope(g.r.IntN(32)), Update: Scope(g.r.IntN(32))}
			}
			r.Types[t] = p
		}
		if g.r.IntN(6) == 0 {
			r.Platform = true
		}
		def.Roles[n] = r
	}
	if g.r.IntN(8) == 0 {
		def.Tenant = orgTenants[g.r.IntN(2)]
		for n, r := range def.Roles {
			r.Platform = false
			def.Roles[n] = r
		}
	}
	return def
}

// orgRecord is a record whose owners come from the organisation's users,
// sometimes held by a queue, sometimes in the other tenant.
func (g gen) orgRecord(t string) Record {
	r := Record{Ref: Ref{Type: t, ID: fmt.Sprint(g.r.IntN(1000))}}
	if g.r.IntN(40) == 0 {
		r.Ref = Ref{}
	}
	var es []Entry
	if g.r.IntN(4) == 0 {
		es = append(es, Entry{Queue: orgQueues[g.r.IntN(len(orgQueues))], Role: Owner})
	}
	for range g.r.IntN(4) {
		role := Follower
		if g.r.IntN(2) == 0 {
			role = Owner
		}
		es = append(es, Entry{UserID: orgUsers[g.r.IntN(len(orgUsers))], Role: role})
	}
	r.Ownership = MustList(es...)
	if g.r.IntN(5) == 0 {
		r.Tenant = orgTenants[1]
	}
	if g.r.IntN(4) == 0 {
		r.Mode = SyncWithParent
		r.Parent = Ref{Type: "contact", ID: "p"}
	}
	return r
}

// tenantTree is a hand-made predicate equal to pred: its condition,
// confined to its tenant when it has one.
func tenantTree(pred Predicate) Predicate {
	if t, ok := pred.Tenant(); ok {
		return NewPredicate(pred.Type(), And(InTenant(t), pred.Cond()))
	}
	return NewPredicate(pred.Type(), pred.Cond())
}

// TestOrgDecisionsMatchReference compares, with teams, hierarchy, queues
// and tenants, Decide, Can (literal and bound subjects), DecideField,
// Filter's compiled predicate, its condition tree, and Org.Who with the
// reference model over random organisations, policies and records.
func TestOrgDecisionsMatchReference(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(7, 11))}
	ctx := context.Background()
	checked, allowed, who := 0, 0, 0
	for range 300 {
		pdef := g.policyDef()
		p, err := Compile(pdef)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		odef := g.org()
		org, err := NewOrg(odef)
		if err != nil {
			t.Fatalf("NewOrg: %v\n%+v", err, odef)
		}
		for range 6 {
			u := &odef.Users[g.r.IntN(len(odef.Users))]
			s, _ := org.Subject(u.ID)
			bound := p.Bind(s)
			for a := View; a <= ManageOwnership; a++ {
				typ := genTypes[g.r.IntN(len(genTypes))]
				pred := p.Filter(s, a, typ)
				tree := tenantTree(pred)
				for range 6 {
					r := g.orgRecord(typ)
					want := refOrgAllowed(pdef, odef, u, a, r, "")
					d := p.Decide(s, a, r)
					if d.Allowed != want {
						t.Fatalf("Decide(%s %+v, %v, %v %v tenant=%q mode=%v) = %v, want allowed=%v\npolicy: %+v\norg: %+v", u.ID, *u, a, r.Ref, r.Ownership, r.Tenant, r.Mode, d, want, pdef, odef)
					}
					if d.Reason.Allows() != d.Allowed || (d.Allowed && d.Basis() == "") {
						t.Fatalf("Decide: reason %v, basis %q, allowed=%v", d.Reason, d.Basis(), d.Allowed)
					}
					if got := p.Can(s, a, r); got != want {
						t.Fatalf("Can(%s, %v, %v %v tenant=%q) = %v, want %v", u.ID, a, r.Ref, r.Ownership, r.Tenant, got, want)
					}
					if got := p.Can(bound, a, r); got != want {
						t.Fatalf("Can(bound %s, %v, %v %v) = %v, want %v", u.ID, a, r.Ref, r.Ownership, got, want)
					}
					if got := pred.Match(r); got != want {
						t.Fatalf("Filter(%s, %v, %s).Match(%v %v tenant=%q) = %v, want %v\npredicate: %v", u.ID, a, typ, r.Ref, r.Ownership, r.Tenant, got, want, pred)
					}
					if got := tree.Match(r); got != want {
						t.Fatalf("condition %v on %v %v tenant=%q = %v, want %v", pred, r.Ref, r.Ownership, r.Tenant, got, want)
					}
					if field := genFields[g.r.IntN(len(genFields))]; field != "" {
						want := refOrgAllowed(pdef, odef, u, a, r, field)
						if got := p.DecideField(s, a, r, field); got.Allowed != want {
							t.Fatalf("DecideField(%s, %v, %v %v, %q) = %v, want %v", u.ID, a, r.Ref, r.Ownership, field, got, want)
						}
					}
					if want {
						allowed++
					}
					checked++
					if g.r.IntN(4) != 0 {
						continue
					}
					acc, err := org.Who(ctx, p, a, r)
					if err != nil {
						t.Fatal(err)
					}
					var got, exp []UserID
					for _, d := range acc.Allowed {
						got = append(got, d.Subject)
					}
					for i := range odef.Users {
						if refOrgAllowed(pdef, odef, &odef.Users[i], a, r, "") {
							exp = append(exp, odef.Users[i].ID)
						}
					}
					if !slices.Equal(got, exp) || len(acc.Allowed)+len(acc.Denied) != len(odef.Users) {
						t.Fatalf("Who(%v, %v %v tenant=%q) allows %v, want %v\npolicy: %+v\norg: %+v", a, r.Ref, r.Ownership, r.Tenant, got, exp, pdef, odef)
					}
					who++
				}
			}
		}
	}
	if allowed == 0 || allowed == checked {
		t.Fatalf("%d of %d allowed: the generator does not cover both answers", allowed, checked)
	}
	t.Logf("%d decisions (%d allowed) and %d Who answers compared with the reference model", checked, allowed, who)
}
