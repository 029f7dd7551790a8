package ownership

import (
	"slices"
	"unsafe"
)

// Subject is the user asking: an id, the names of their roles in the
// policy, their tenant and their [Reach] in the organisation. A Subject
// without an id is denied everything.
//
// A Subject literal works with every method of [Policy]. A Subject returned
// by [Policy.Bind] has its roles resolved once, which makes checks faster;
// it must not be modified (bind a new one instead).
type Subject struct {
	ID    UserID
	Roles []string
	// Tenant is the subject's tenant: records of other tenants are out of
	// its reach, except through a platform role ([RoleDef.Platform]).
	Tenant TenantID
	// Reach holds the users whose records are in its Team and Reports
	// classes and the queues it is a member of; see [Org.Subject].
	Reach Reach

	b *binding // set by Policy.Bind; nil for a literal
}

// binding is a subject's roles resolved against one policy.
type binding struct {
	p      *Policy
	slots  **role // p's role table when bound: a zero Policy decoded in place afterwards has another
	id     UserID
	tenant TenantID
	reach  *reachData
	names  []string // a private copy of the roles bound, to detect changes
	hash   uint64   // idHash(id)
	allow  []actionMasks
	cross  []actionMasks // the platform roles' masks: what crosses tenants
}

// Bind returns a copy of s with its roles resolved against p, so that
// checks of the returned Subject skip the role lookups: bind once per
// request, or cache the result per user. The result must not be modified;
// a bound Subject whose ID or Roles were replaced or edited, or that is
// checked against another policy (or a zero Policy that was decoded into
// since), falls back to the lookups, never to a wrong answer.
//
// Binding a Subject that is already bound to p, unchanged, returns it as
// it is, without allocating: a host that caches bound subjects per user
// may still bind every request.
func (p *Policy) Bind(s Subject) Subject {
	if p != nil && s.boundTo(p) != nil {
		return s
	}
	names := slices.Clone(s.Roles)
	out := Subject{ID: s.ID, Roles: slices.Clone(names), Tenant: s.Tenant, Reach: s.Reach}
	if p == nil {
		return out
	}
	b := &binding{p: p, slots: unsafe.SliceData(p.slots), id: s.ID, tenant: s.Tenant, reach: s.Reach.d, names: names, hash: idHash(s.ID), allow: make([]actionMasks, len(p.types)+1), cross: make([]actionMasks, len(p.types)+1)}
	for _, n := range names {
		r := p.lookupRole(n)
		if r == nil {
			continue
		}
		for ti := range b.allow {
			for a := range b.allow[ti] {
				b.allow[ti][a] |= r.allow[ti][a]
				if r.platform && Action(a) != Claim {
					b.cross[ti][a] |= r.allow[ti][a]
				}
			}
		}
	}
	out.b = b
	return out
}

// boundTo returns s's binding if it binds s, unchanged, to p. The role
// names of an unchanged subject share their bytes with the binding's copy,
// so the comparisons stop at the pointers.
func (s *Subject) boundTo(p *Policy) *binding {
	b := s.b
	if b == nil || b.p != p || b.slots != unsafe.SliceData(p.slots) || b.id != s.ID || b.tenant != s.Tenant || b.reach != s.Reach.d || len(s.Roles) != len(b.names) {
		return nil
	}
	for i, n := range b.names {
		if !sameString(s.Roles[i], n) {
			return nil
		}
	}
	return b
}

// sameString is a == b with the comparison of an unchanged copy (same
// bytes, same length) done inline.
func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}
