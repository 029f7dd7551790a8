package ownership

import (
	"slices"
	"strings"
)

// This file holds the evaluation core shared by Decide, the Can methods and
// Filter: how a subject stands to a record, and per-role allow masks over
// the 16 standings that decide every answer for one subject, action and
// record type.

// relation is how a subject stands to a record's ownership list.
type relation struct {
	owner, follower bool
	// assigned: a user owns the record, or a queue the subject is not a
	// member of holds it.
	assigned bool
	// team and reports: an owner is in the subject's reach (set by widen).
	team, reports bool
	firstOwner    int // index of the first user owner, -1 if none
}

// relate finds id on l; h is idHash(id) and reach the subject's reach
// (nil for none). It leaves team and reports to widen.
func relate(l List, id UserID, h uint64, reach *reachData) relation {
	d := l.d
	if d == nil {
		return relation{firstOwner: -1}
	}
	rel := relation{assigned: d.first >= 0, firstOwner: d.first}
	if !rel.assigned && d.queue != "" && (reach == nil || !slices.Contains(reach.queues, d.queue)) {
		rel.assigned = true // held by a queue the subject is not in
	}
	for i, k := range d.keys {
		if sameUser(k, h) && d.entries[i].UserID == id && d.entries[i].Queue == "" {
			rel.owner = k&1 == 1
			rel.follower = !rel.owner
			break // lists hold one entry per user
		}
	}
	return rel
}

// widen sets rel.team and rel.reports: whether a user owner of l, other
// than the subject, is in reach's team or below the subject. It stops as
// soon as it has found what the caller wants (want: inTeam, inReports, or
// both), by one lookup per owner of the hashes the list keeps.
func (rel *relation) widen(l List, reach *reachData, want uint8) {
	if reach == nil || reach.ids == nil || rel.owner || l.d == nil || l.d.first < 0 {
		return
	}
	var found uint8
	for i := l.d.first; i < len(l.d.keys); i++ {
		k := l.d.keys[i]
		if k&1 == 0 || l.d.entries[i].Queue != "" {
			continue // a follower, or the queue's entry
		}
		if found |= reach.ids.get(l.d.entries[i].UserID, k&^1); found&want != 0 && want != inTeam|inReports || found == inTeam|inReports {
			break
		}
	}
	rel.team, rel.reports = found&inTeam != 0, found&inReports != 0
}

// class returns the record class for action a (rule 3 of the design):
// followers are in Own only for View.
func (rel relation) class(a Action) Scope {
	switch {
	case rel.owner, a == View && rel.follower:
		return Own
	case !rel.assigned:
		return Unassigned
	}
	return Others
}

// classes is class with the classes that narrow Others: Teammates and
// Reports.
func (rel relation) classes(a Action) Scope {
	c := rel.class(a)
	if c == Others {
		if rel.team {
			c |= Teammates
		}
		if rel.reports {
			c |= Reports
		}
	}
	return c
}

// tableIndex numbers the 64 combinations of (owner, follower, assigned,
// synced, team, reports). Some are impossible (an owner is assigned);
// their bits are computed anyway and never looked up. Team and reports
// take the two high bits, so the answer without them is at index i and
// with them at i+16, i+32 and i+48.
func tableIndex(rel relation, synced bool) uint {
	var i uint
	if rel.owner {
		i |= 1
	}
	if rel.follower {
		i |= 2
	}
	if rel.assigned {
		i |= 4
	}
	if synced {
		i |= 8
	}
	if rel.team {
		i |= 16
	}
	if rel.reports {
		i |= 32
	}
	return i
}

// relationAt is the inverse of tableIndex.
func relationAt(i uint) (relation, bool) {
	return relation{owner: i&1 != 0, follower: i&2 != 0, assigned: i&5 != 0, team: i&16 != 0, reports: i&32 != 0, firstOwner: -1}, i&8 != 0
}

// widening is the mask of the indexes i+16, i+32 and i+48: where team or
// reports may change the answer at base index i.
func widening(i uint) uint64 { return 1<<(i+16) | 1<<(i+32) | 1<<(i+48) }

// actionMasks holds, per action, a bit per tableIndex that is set when the
// action is allowed.
type actionMasks [ManageOwnership + 1]uint64

// masksFor evaluates roleAllows at every tableIndex.
func masksFor(bypass bool, g *Permissions, a Action) uint64 {
	var m uint64
	for i := range uint(64) {
		rel, synced := relationAt(i)
		if roleAllows(bypass, g, a, rel, synced) {
			m |= 1 << i
		}
	}
	return m
}

// roleAllows reports whether one role, with grant g for the record's type
// (nil for none), allows a on a record standing in rel to the subject,
// field rules aside: rules 5 and 6 of the design for one role.
func roleAllows(bypass bool, g *Permissions, a Action, rel relation, synced bool) bool {
	if a.changesOwnership() && synced {
		return false
	}
	if bypass {
		return true
	}
	if g == nil {
		return false
	}
	switch a {
	case View, Update, Delete:
		return g.scope(a).reaches(rel.classes(a))
	case Claim:
		return g.Claim && !rel.assigned
	case Reassign:
		return g.Reassign && g.Update.reaches(rel.classes(Update))
	case ManageOwnership:
		return rel.owner
	}
	return false
}

// mask returns the union over s's roles of the allow masks of action a on
// type index ti (only the platform roles' when cross: the record is in
// another tenant), and the hash of s.ID.
func (p *Policy) mask(s *Subject, a Action, ti int, cross bool) (uint64, uint64) {
	if b := s.boundTo(p); b != nil {
		if cross {
			return b.cross[ti][a], b.hash
		}
		return b.allow[ti][a], b.hash
	}
	var m uint64
	for _, n := range s.Roles {
		if r := p.lookupRole(n); r != nil && (!cross || (r.platform && a != Claim)) {
			m |= r.allow[ti][a]
		}
	}
	return m, idHash(s.ID)
}

// crosses reports whether deciding for s on a record of tenant t crosses
// tenants: t is not the subject's, or the policy is another tenant's.
func (p *Policy) crosses(s *Subject, t TenantID) bool {
	return t != s.Tenant || (p != nil && p.tenant != "" && p.tenant != t)
}

// anyPlatform reports whether one of the roles names is a platform role
// of p: the only roles that cross tenants.
func (p *Policy) anyPlatform(names []string) bool {
	if p == nil {
		return false
	}
	for _, n := range names {
		if r := p.lookupRole(n); r != nil && r.platform {
			return true
		}
	}
	return false
}

// anyKnown reports whether p defines one of the roles names.
func (p *Policy) anyKnown(names []string) bool {
	if p == nil {
		return false
	}
	for _, n := range names {
		if p.lookupRole(n) != nil {
			return true
		}
	}
	return false
}

// allowed is the verdict of Decide without the explanation: the fast path
// of the Can methods.
func (p *Policy) allowed(s *Subject, a Action, r *Record) bool {
	if p == nil || !a.Valid() || s.ID == "" || r.Ref.Type == "" || r.Ref.ID == "" || r.Mode > SyncWithParent {
		return false
	}
	ti := p.typeIndex(r.Ref.Type)
	m, h := p.mask(s, a, ti, p.crosses(s, r.Tenant))
	if m == 0 {
		return false
	}
	if ti == len(p.types) && strings.IndexByte(r.Ref.Type, '/') >= 0 {
		return false // not a valid reference; named types never hold a slash
	}
	return tableAllows(m, r, s.ID, h, s.Reach.d)
}

// tableAllows looks up record r in table m, the allow masks of one
// subject (id, with hash h and reach) for one action and type.
func tableAllows(m uint64, r *Record, id UserID, h uint64, reach *reachData) bool {
	rel := relate(r.Ownership, id, h, reach)
	synced := r.Mode == SyncWithParent
	i := tableIndex(rel, synced)
	if m&(1<<i) != 0 {
		return true
	}
	if m&widening(i) == 0 {
		return false
	}
	// Look for a teammate only where one would allow, and so for
	// reports; either one that allows ends the search.
	var want uint8
	if m&(1<<(i+16)) != 0 {
		want |= inTeam
	}
	if m&(1<<(i+32)) != 0 {
		want |= inReports
	}
	if want == 0 {
		want = inTeam | inReports // only both together would allow
	}
	rel.widen(r.Ownership, reach, want)
	return m&(1<<tableIndex(rel, synced)) != 0
}
