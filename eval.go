package ownership

import "strings"

// This file holds the evaluation core shared by Decide, the Can methods and
// Filter: how a subject stands to a record, and per-role allow masks over
// the 16 standings that decide every answer for one subject, action and
// record type.

// relation is how a subject stands to a record's ownership list.
type relation struct {
	owner, follower, assigned bool
	firstOwner                int // index of the first owner, -1 if none
}

// relate finds id on l; h is idHash(id).
func relate(l List, id UserID, h uint64) relation {
	d := l.d
	if d == nil {
		return relation{firstOwner: -1}
	}
	rel := relation{assigned: d.first >= 0, firstOwner: d.first}
	for i, k := range d.keys {
		if sameUser(k, h) && d.entries[i].UserID == id {
			rel.owner = k&1 == 1
			rel.follower = !rel.owner
			break // lists hold one entry per user
		}
	}
	return rel
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

// tableIndex numbers the 16 combinations of (owner, follower, assigned,
// synced). Some are impossible (an owner is assigned); their bits are
// computed anyway and never looked up.
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
	return i
}

// relationAt is the inverse of tableIndex.
func relationAt(i uint) (relation, bool) {
	return relation{owner: i&1 != 0, follower: i&2 != 0, assigned: i&5 != 0, firstOwner: -1}, i&8 != 0
}

// actionMasks holds, per action, a bit per tableIndex that is set when the
// action is allowed.
type actionMasks [ManageOwnership + 1]uint16

// masksFor evaluates roleAllows at every tableIndex.
func masksFor(bypass bool, g *Permissions, a Action) uint16 {
	var m uint16
	for i := range uint(16) {
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
		return g.scope(a).Has(rel.class(a))
	case Claim:
		return g.Claim && !rel.assigned
	case Reassign:
		return g.Reassign && g.Update.Has(rel.class(Update))
	case ManageOwnership:
		return rel.owner
	}
	return false
}

// mask returns the union over s's roles of the allow masks of action a on
// type index ti, and the hash of s.ID.
func (p *Policy) mask(s *Subject, a Action, ti int) (uint16, uint64) {
	if b := s.boundTo(p); b != nil {
		return b.allow[ti][a], b.hash
	}
	var m uint16
	for _, n := range s.Roles {
		if r := p.lookupRole(n); r != nil {
			m |= r.allow[ti][a]
		}
	}
	return m, idHash(s.ID)
}

// allowed is the verdict of Decide without the explanation: the fast path
// of the Can methods.
func (p *Policy) allowed(s *Subject, a Action, r *Record) bool {
	if p == nil || !a.Valid() || s.ID == "" || r.Ref.Type == "" || r.Ref.ID == "" || r.Mode > SyncWithParent {
		return false
	}
	ti := p.typeIndex(r.Ref.Type)
	m, h := p.mask(s, a, ti)
	if m == 0 {
		return false
	}
	if ti == len(p.types) && strings.IndexByte(r.Ref.Type, '/') >= 0 {
		return false // not a valid reference; named types never hold a slash
	}
	rel := relate(r.Ownership, s.ID, h)
	return m&(1<<tableIndex(rel, r.Mode == SyncWithParent)) != 0
}
