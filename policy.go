package ownership

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// AnyType is the record type of a grant that applies to every type the role
// has no grant of its own for.
const AnyType = "*"

// RoleDef defines one role of a [Policy]: either a bypass role, which may do
// everything, or grants per record type. A grant for a type replaces the
// role's [AnyType] grant for that type; it is not merged with it.
type RoleDef struct {
	// Bypass makes the role skip ownership entirely (a super admin). It
	// still cannot change the ownership of a record synced with its parent.
	Bypass bool `json:"bypass,omitempty"`
	// Types maps a record type, or AnyType, to the role's permissions on
	// it.
	Types map[string]Permissions `json:"types,omitempty"`
}

// Policy maps role names to what they may do. It is built once by
// [NewPolicy], validated and compiled, and then never changes, so one
// Policy is safe for concurrent use by any number of goroutines.
//
// The zero Policy, and a nil *Policy, have no roles and deny everything.
type Policy struct {
	roles    map[string]*role
	roleList []*role        // the roles sorted by name; scanned when short
	types    []string       // the record types some role names; index len(types) stands for any other type
	typeIdx  map[string]int // index into types
	slots    []*role        // open-addressing table of the roles, by nameSlot
}

// nameSlot is a cheap hash of a role name for the slots table: its length
// and its first and last bytes tell most role names apart.
func nameSlot(name string) uint {
	n := len(name)
	if n == 0 {
		return 0
	}
	return uint(n)*131 + uint(name[0])*31 + uint(name[n-1])
}

// role is the compiled form of a RoleDef: lookups on the decision path
// touch only this struct.
type role struct {
	name   string
	bypass bool
	star   *Permissions            // the AnyType grant, or nil
	types  map[string]*Permissions // grants for named types; nil when there are none
	allow  []actionMasks           // per policy type index; field rules aside
}

// grant returns the role's permissions for record type t, or nil.
func (r *role) grant(t string) *Permissions {
	if r.types != nil {
		if g, ok := r.types[t]; ok {
			return g
		}
	}
	return r.star
}

// NewPolicy validates roles and builds a policy from them. The definitions
// are copied: changing the map afterwards does not change the policy.
//
// An empty role or type name, a type name with a slash, a scope outside
// [All], or a bypass role that also lists types is an error wrapping
// [ErrInvalid].
func NewPolicy(roles map[string]RoleDef) (*Policy, error) {
	p := &Policy{roles: make(map[string]*role, len(roles))}
	for _, name := range slices.Sorted(maps.Keys(roles)) {
		def := roles[name]
		path := "roles." + name
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("%w: roles: empty role name", ErrInvalid)
		}
		r := &role{name: name, bypass: def.Bypass}
		if def.Bypass && len(def.Types) > 0 {
			return nil, fmt.Errorf("%w: %s: a bypass role may do everything; remove its types", ErrInvalid, path)
		}
		for _, t := range slices.Sorted(maps.Keys(def.Types)) {
			perm := def.Types[t]
			tpath := path + ".types." + t
			if t == "" || (t != AnyType && strings.ContainsAny(t, "/*")) {
				return nil, fmt.Errorf("%w: %s: record type %q must be non-empty, without '/' or '*', or exactly %q", ErrInvalid, path+".types", t, AnyType)
			}
			if err := perm.validate(tpath); err != nil {
				return nil, err
			}
			g := perm
			g.Fields = maps.Clone(perm.Fields)
			if t == AnyType {
				r.star = &g
				continue
			}
			if r.types == nil {
				r.types = make(map[string]*Permissions)
			}
			r.types[t] = &g
		}
		p.roles[name] = r
		p.roleList = append(p.roleList, r)
	}
	p.compile()
	return p, nil
}

// fillSlots builds the open-addressing table of the roles, at most half
// full so that probes stay short and always end at an empty slot.
func (p *Policy) fillSlots() {
	size := 8
	for size < 2*len(p.roleList) {
		size *= 2
	}
	p.slots = make([]*role, size)
	mask := uint(size - 1)
	for _, r := range p.roleList {
		i := nameSlot(r.name) & mask
		for p.slots[i] != nil {
			i = (i + 1) & mask
		}
		p.slots[i] = r
	}
}

// compile numbers the record types the roles name and fills every role's
// allow masks, so that a check is a few lookups and a bit test.
func (p *Policy) compile() {
	p.fillSlots()
	p.typeIdx = make(map[string]int)
	for _, r := range p.roleList {
		for _, t := range slices.Sorted(maps.Keys(r.types)) {
			if _, ok := p.typeIdx[t]; !ok {
				p.typeIdx[t] = len(p.types)
				p.types = append(p.types, t)
			}
		}
	}
	for _, r := range p.roleList {
		r.allow = make([]actionMasks, len(p.types)+1)
		for ti := range r.allow {
			g := r.star
			if ti < len(p.types) {
				g = r.grant(p.types[ti])
			}
			for a := View; a <= ManageOwnership; a++ {
				r.allow[ti][a] = masksFor(r.bypass, g, a)
			}
		}
	}
}

// shortScan is the length up to which a linear scan with string compares
// beats a map lookup on the decision path.
const shortScan = 8

// lookupRole returns the named role, or nil. It probes the slots table,
// where a role is usually found, or found missing, with one string
// comparison.
func (p *Policy) lookupRole(name string) *role {
	if len(p.slots) == 0 {
		return nil
	}
	mask := uint(len(p.slots) - 1)
	for i := nameSlot(name) & mask; ; i = (i + 1) & mask {
		r := p.slots[i]
		if r == nil {
			return nil
		}
		if r.name == name {
			return r
		}
	}
}

// typeIndex returns the index of record type t in the allow masks.
func (p *Policy) typeIndex(t string) int {
	if len(p.types) <= shortScan {
		for i, n := range p.types {
			if n == t {
				return i
			}
		}
		return len(p.types)
	}
	if i, ok := p.typeIdx[t]; ok {
		return i
	}
	return len(p.types)
}

// MustPolicy is like [NewPolicy] but panics on an invalid definition. It is
// meant for policies written in Go source, in tests and examples.
func MustPolicy(roles map[string]RoleDef) *Policy {
	p, err := NewPolicy(roles)
	if err != nil {
		panic(err.Error() + " (MustPolicy is for hard-coded policies; use NewPolicy for data)")
	}
	return p
}

// RoleNames returns the names of the policy's roles, sorted.
func (p *Policy) RoleNames() []string {
	if p == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(p.roles))
}

// Role returns a copy of the definition of the named role.
func (p *Policy) Role(name string) (RoleDef, bool) {
	if p == nil {
		return RoleDef{}, false
	}
	r, ok := p.roles[name]
	if !ok {
		return RoleDef{}, false
	}
	def := RoleDef{Bypass: r.bypass}
	add := func(t string, g *Permissions) {
		if def.Types == nil {
			def.Types = make(map[string]Permissions)
		}
		c := *g
		c.Fields = maps.Clone(g.Fields)
		def.Types[t] = c
	}
	if r.star != nil {
		add(AnyType, r.star)
	}
	for t, g := range r.types {
		add(t, g)
	}
	return def, true
}

// HasRole reports whether the policy defines the named role.
func (p *Policy) HasRole(name string) bool {
	if p == nil {
		return false
	}
	_, ok := p.roles[name]
	return ok
}

type policyJSON struct {
	Roles map[string]RoleDef `json:"roles"`
}

// MarshalJSON encodes the policy as {"roles": {name: definition}}.
func (p *Policy) MarshalJSON() ([]byte, error) {
	out := policyJSON{Roles: map[string]RoleDef{}}
	for _, n := range p.RoleNames() {
		out.Roles[n], _ = p.Role(n)
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes {"roles": {...}} strictly and validates it as
// [NewPolicy] does. Every problem is reported, each an error wrapping
// [ErrInvalid] that names its path ("roles.sales_rep.types.contact.view").
// Arrays and objects nested more than 64 levels deep are refused, with the
// path where the limit was reached.
//
// A Policy never changes once built: decoding into a Policy that already
// has roles is an error; decode into a new one and swap the pointer.
func (p *Policy) UnmarshalJSON(b []byte) error {
	if p.roles != nil {
		return fmt.Errorf("%w: a Policy is immutable once built; decode into a new Policy", ErrInvalid)
	}
	var d decoder
	var raw json.RawMessage
	if err := decodeStrict(b, &raw); err != nil {
		return fmt.Errorf("%w: policy: %v", ErrInvalid, err)
	}
	defs := d.policy(raw, "")
	if err := d.err(); err != nil {
		return err
	}
	v, err := NewPolicy(defs)
	if err != nil {
		return err
	}
	*p = *v
	return nil
}

// Decide answers whether subject s may perform action a on record r, and
// why. It never fails: unknown actions, subjects without an id or roles,
// roles the policy does not define and missing records (a zero Ref) are
// denials with their own [Reason]. Decide does not allocate.
//
// The record's Ownership is taken as its effective ownership: for a record
// synced with its parent, that is the propagated copy.
func (p *Policy) Decide(s Subject, a Action, r Record) Decision {
	return p.decide(s, a, &r, "")
}

// DecideField is [Policy.Decide] for one field of the record: the field's
// rule, if the deciding role has one, must allow the action too. Field
// rules have scopes for [View] and [Update] only, so for the other actions
// a field follows the record-level decision. An empty field name is denied
// with [ReasonInvalidField].
func (p *Policy) DecideField(s Subject, a Action, r Record, field string) Decision {
	if field == "" {
		return Decision{Subject: s.ID, Action: a, Record: r.Ref, Reason: ReasonInvalidField}
	}
	return p.decide(s, a, &r, field)
}

// CanView reports whether s may view r.
func (p *Policy) CanView(s Subject, r Record) bool { return p.allowed(&s, View, &r) }

// CanEdit reports whether s may update r.
func (p *Policy) CanEdit(s Subject, r Record) bool { return p.allowed(&s, Update, &r) }

// CanDelete reports whether s may delete r.
func (p *Policy) CanDelete(s Subject, r Record) bool { return p.allowed(&s, Delete, &r) }

// Can reports whether s may perform a on r. It equals
// Decide(s, a, r).Allowed but skips the explanation, and allocates nothing.
func (p *Policy) Can(s Subject, a Action, r Record) bool { return p.allowed(&s, a, &r) }

// CanViewField reports whether s may view field of r.
func (p *Policy) CanViewField(s Subject, r Record, field string) bool {
	return p.DecideField(s, View, r, field).Allowed
}

// CanEditField reports whether s may update field of r.
func (p *Policy) CanEditField(s Subject, r Record, field string) bool {
	return p.DecideField(s, Update, r, field).Allowed
}

// decide implements the decision rules with their reasons. It takes
// *Record so that the exported wrappers copy the record once, and returns
// Decision by value to keep the check free of allocations.
func (p *Policy) decide(s Subject, a Action, r *Record, field string) Decision {
	d := Decision{Subject: s.ID, Action: a, Record: r.Ref, Field: field, Parent: r.Parent}
	switch {
	case !a.Valid():
		d.Reason = ReasonUnknownAction
		return d
	case s.ID == "":
		d.Reason = ReasonNoSubject
		return d
	case !r.Ref.Valid():
		d.Reason = ReasonNotFound
		return d
	}
	synced := r.Mode == SyncWithParent
	if a.changesOwnership() && synced {
		d.Reason = ReasonSynced
		return d
	}
	rel := relate(r.Ownership, s.ID, idHash(s.ID))
	if rel.firstOwner >= 0 {
		d.Owner = r.Ownership.d.entries[rel.firstOwner].UserID
	}
	d.Class = rel.class(a)
	switch {
	case rel.owner:
		d.SubjectRole = Owner
	case rel.follower:
		d.SubjectRole = Follower
	}
	if len(s.Roles) == 0 {
		d.Reason = ReasonNoRoles
		return d
	}
	var known, granted, fieldDenied, mayReassign bool
	for _, name := range s.Roles {
		var ro *role
		if p != nil {
			ro = p.lookupRole(name)
		}
		if ro == nil {
			continue
		}
		known = true
		if ro.bypass {
			d.Allowed, d.Reason, d.Role = true, ReasonBypass, name
			return d
		}
		g := ro.grant(r.Ref.Type)
		if g == nil {
			continue
		}
		granted = true
		switch a {
		case View, Update, Delete:
			d.Scope |= g.scope(a)
		case Reassign:
			if g.Reassign {
				mayReassign = true
				d.Scope |= g.Update
			}
		}
		if !roleAllows(false, g, a, rel, synced) {
			continue
		}
		if fr, ok := g.Fields[field]; ok && field != "" && (a == View || a == Update) {
			fs := fr.View
			if a == Update {
				fs = fr.Update
			}
			d.FieldScope |= fs
			if !fs.Has(d.Class) {
				fieldDenied = true
				continue
			}
		}
		d.Allowed, d.Role = true, name
		switch a {
		case Claim:
			d.Reason = ReasonClaimable
		case Reassign:
			d.Reason = ReasonReassignable
		case ManageOwnership:
			d.Reason = ReasonOwnerManages
		default:
			d.Reason = ReasonInScope
		}
		return d
	}
	d.Reason = denial(a, rel, known, granted, fieldDenied, mayReassign)
	return d
}

// denial picks the reason of a denial once every role has been looked at:
// the most specific rule that failed, so that the explanation names the
// change that would help.
func denial(a Action, rel relation, known, granted, fieldDenied, mayReassign bool) Reason {
	switch {
	case !known:
		return ReasonUnknownRole
	case !granted:
		return ReasonNoGrant
	case a == Claim && rel.assigned:
		return ReasonAlreadyAssigned
	case a == Claim:
		return ReasonNoClaimPermission
	case a == Reassign && mayReassign:
		return ReasonReassignOutOfScope
	case a == Reassign:
		return ReasonNoReassignPermission
	case a == ManageOwnership:
		return ReasonNotOwner
	case fieldDenied:
		return ReasonFieldScope
	case a != View && rel.follower && rel.assigned:
		// A follower of an unassigned record has no owner to ask; the
		// scope reason tells them to claim it.
		return ReasonFollowerReadOnly
	case a == View:
		return ReasonViewScope
	case a == Update:
		return ReasonUpdateScope
	}
	return ReasonDeleteScope
}
