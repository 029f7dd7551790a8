package ownership

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ownershipkit/ownership/internal/strictjson"
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
	// Platform lets the role's grants cross tenants: they apply to records
	// of every tenant, where the subject's other roles, bypass ones
	// included, apply only within its own tenant. A platform role is a
	// separate, explicit grant for the operator of a multi-tenant host; a
	// policy of one tenant ([PolicyDef.Tenant]) may not have one. It never
	// claims another tenant's record: a claim would put a user of one
	// tenant on the list of another's.
	Platform bool `json:"platform,omitempty"`
	// Types maps a record type, or AnyType, to the role's permissions on
	// it.
	Types map[string]Permissions `json:"types,omitempty"`
}

// RecordType declares a record type to a policy: the fields its records
// have.
type RecordType struct {
	// Fields lists the names of the type's fields. When it is set, a field
	// check ([Policy.DecideField], [Policy.CanEditField]...) about any
	// other name is denied with [ReasonUndeclaredField], for every role,
	// bypass included, and field rules may name only these fields. Names
	// match exactly: "Amount", "amount " and "amount\u200b" are not
	// "amount". Declare the fields of every type with field rules: a
	// field without a rule follows the record-level scope, so without a
	// declaration a misspelt name of a restricted field is allowed where
	// the field's rule would deny.
	Fields []string `json:"fields,omitempty"`
}

// PolicyDef is the whole definition of a policy: its roles, and the record
// types it declares. [Compile] builds a [Policy] from it; its JSON form is
// the policy's.
type PolicyDef struct {
	// Tenant, when set, makes the policy one tenant's: it decides only for
	// subjects and records of that tenant and denies every other.
	Tenant TenantID           `json:"tenant,omitempty"`
	Roles  map[string]RoleDef `json:"roles"`
	// Types declares record types, by name. A type need not be declared;
	// declaring one's fields makes field checks on it fail closed.
	Types map[string]RecordType `json:"types,omitempty"`
}

// Policy maps role names to what they may do. It is built once by
// [Compile] or [NewPolicy], validated and compiled, and then never
// changes, so one Policy is safe for concurrent use by any number of
// goroutines.
//
// The zero Policy, and a nil *Policy, have no roles and deny everything.
type Policy struct {
	tenant   TenantID                       // the policy's tenant, or "" for every tenant
	declared map[string]map[string]struct{} // the declared fields of each type that declares them
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
	name     string
	bypass   bool
	platform bool
	star     *Permissions            // the AnyType grant, or nil
	types    map[string]*Permissions // grants for named types; nil when there are none
	allow    []actionMasks           // per policy type index; field rules aside
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

// NewPolicy validates roles and builds a policy from them, declaring no
// record type: it is Compile(PolicyDef{Roles: roles}).
func NewPolicy(roles map[string]RoleDef) (*Policy, error) {
	return Compile(PolicyDef{Roles: roles})
}

// Compile validates def and builds a policy from it. The definition is
// copied: changing it afterwards does not change the policy.
//
// An empty role or type name, a type name with a slash, an unknown scope
// class, a platform role in one tenant's policy, a bypass role that also lists types, a declared type with an
// empty or repeated field name, or a field rule for a field its type does
// not declare is an error wrapping [ErrInvalid].
func Compile(def PolicyDef) (*Policy, error) {
	roles := def.Roles
	p := &Policy{tenant: def.Tenant, roles: make(map[string]*role, len(roles))}
	for _, t := range slices.Sorted(maps.Keys(def.Types)) {
		path := "types." + t
		if !ValidType(t) {
			return nil, strictjson.Errorf("types", "record type %q must be non-empty, without '/' or '*'", t)
		}
		fields := def.Types[t].Fields
		if fields == nil {
			continue
		}
		set := make(map[string]struct{}, len(fields))
		for i, f := range fields {
			if f == "" {
				return nil, strictjson.Errorf(strictjson.Index(path+".fields", i), "empty field name")
			}
			if _, dup := set[f]; dup {
				return nil, strictjson.Errorf(strictjson.Index(path+".fields", i), "%q is declared twice", f)
			}
			set[f] = struct{}{}
		}
		if p.declared == nil {
			p.declared = make(map[string]map[string]struct{})
		}
		p.declared[t] = set
	}
	for _, name := range slices.Sorted(maps.Keys(roles)) {
		def := roles[name]
		path := "roles." + name
		if strings.TrimSpace(name) == "" {
			return nil, strictjson.Errorf("roles", "empty role name")
		}
		r := &role{name: name, bypass: def.Bypass, platform: def.Platform}
		if def.Bypass && len(def.Types) > 0 {
			return nil, strictjson.Errorf(path, "a bypass role may do everything; remove its types")
		}
		if def.Platform && p.tenant != "" {
			return nil, strictjson.Errorf(path+".platform", "the policy of tenant %q cannot have a role that crosses tenants", p.tenant)
		}
		for _, t := range slices.Sorted(maps.Keys(def.Types)) {
			perm := def.Types[t]
			tpath := path + ".types." + t
			if !grantType(t) {
				return nil, strictjson.Errorf(path+".types", "record type %q must be non-empty, without '/' or '*', or exactly %q", t, AnyType)
			}
			if err := perm.validate(tpath); err != nil {
				return nil, err
			}
			if decl, ok := p.declared[t]; ok {
				for _, f := range slices.Sorted(maps.Keys(perm.Fields)) {
					if _, ok := decl[f]; !ok {
						return nil, strictjson.Errorf(tpath+".fields."+f, "%s records declare no field %q", t, f)
					}
				}
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

// grantType reports whether t may name the record type of a grant: a
// name [ValidType] accepts, or exactly [AnyType].
func grantType(t string) bool { return t == AnyType || ValidType(t) }

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
	def := RoleDef{Bypass: r.bypass, Platform: r.platform}
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

// Type returns a copy of the declaration of record type t, and false if
// the policy does not declare it.
func (p *Policy) Type(t string) (RecordType, bool) {
	if p == nil {
		return RecordType{}, false
	}
	set, ok := p.declared[t]
	if !ok {
		return RecordType{}, false
	}
	return RecordType{Fields: slices.Sorted(maps.Keys(set))}, true
}

// Def returns a copy of the policy's definition: [Compile] of it builds an
// equal policy.
func (p *Policy) Def() PolicyDef {
	def := PolicyDef{Roles: map[string]RoleDef{}}
	if p != nil {
		def.Tenant = p.tenant
	}
	for _, n := range p.RoleNames() {
		def.Roles[n], _ = p.Role(n)
	}
	if p != nil {
		for t := range p.declared {
			if def.Types == nil {
				def.Types = map[string]RecordType{}
			}
			def.Types[t], _ = p.Type(t)
		}
	}
	return def
}

// MarshalJSON encodes the policy's definition ([Policy.Def]):
// {"roles": {name: definition}, "types": {name: declaration}}.
func (p *Policy) MarshalJSON() ([]byte, error) { return json.Marshal(p.Def()) }

// UnmarshalJSON decodes {"roles": {...}, "types": {...}} strictly and
// validates it as [Compile] does. Every problem is reported, each a
// [*PathError] that names its path ("roles.sales_rep.types.contact.view").
// Arrays and objects nested more than 64 levels deep are refused, with the
// path where the limit was reached.
//
// A Policy never changes once built: decoding into a Policy that already
// has roles is an error; decode into a new one and swap the pointer.
// Decoding into a nil *Policy is an error too.
func (p *Policy) UnmarshalJSON(b []byte) error {
	if p == nil {
		return fmt.Errorf("%w: cannot decode into a nil *Policy", ErrInvalid)
	}
	if p.roles != nil {
		return fmt.Errorf("%w: a Policy is immutable once built; decode into a new Policy", ErrInvalid)
	}
	var def PolicyDef
	if err := def.UnmarshalJSON(b); err != nil {
		return err
	}
	v, err := Compile(def)
	if err != nil {
		return err
	}
	*p = *v
	return nil
}

// UnmarshalJSON decodes a policy's definition strictly, reporting every
// problem at once, each a [*PathError] that names its path, all of them
// joined. It does not check what [Compile] checks. Like [json.Unmarshal]
// it decodes what it can: on error, def holds the roles, grants and types
// that had no problem of their own.
func (def *PolicyDef) UnmarshalJSON(b []byte) error {
	var raw json.RawMessage
	if err := strictjson.Decode(b, &raw); err != nil {
		return err
	}
	var d strictjson.Decoder
	*def = decodePolicyDef(&d, raw)
	return d.Err()
}

// Decide answers whether subject s may perform action a on record r, and
// why. It never fails: unknown actions, subjects without an id or roles,
// roles the policy does not define, missing records (a zero Ref) and
// records whose Mode is out of range are denials with their own [Reason].
// Decide does not allocate.
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
	d := Decision{Subject: s.ID, Action: a, Record: r.Ref, Field: field}
	if r.Mode == SyncWithParent {
		d.Parent = r.Parent
	}
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
	cross := p.crosses(&s, r.Tenant)
	if cross && (a == Claim || !p.anyPlatform(s.Roles)) {
		// Rule 0 before everything the record holds: another tenant's
		// record tells nothing of itself (its mode, its parent, its
		// owners), as a missing record would not.
		d.Parent = Ref{}
		switch {
		case len(s.Roles) == 0:
			d.Reason = ReasonNoRoles
		case !p.anyKnown(s.Roles):
			d.Reason = ReasonUnknownRole
		default:
			d.Reason, d.Tenant = ReasonOtherTenant, r.Tenant
		}
		return d
	}
	switch {
	case r.Mode > SyncWithParent:
		d.Reason = ReasonInvalidMode
		return d
	case field != "" && !p.declares(r.Ref.Type, field):
		d.Reason = ReasonUndeclaredField
		return d
	}
	synced := r.Mode == SyncWithParent
	if a.changesOwnership() && synced {
		d.Reason = ReasonSynced
		return d
	}
	reach := s.Reach.d
	rel := relate(r.Ownership, s.ID, idHash(s.ID), reach)
	rel.widen(r.Ownership, reach, inTeam|inReports)
	if rel.firstOwner >= 0 {
		d.Owner = r.Ownership.d.entries[rel.firstOwner].UserID
	}
	d.Queue = r.Ownership.Queue()
	d.Class = rel.classes(a)
	switch {
	case rel.owner:
		d.ListRole = Owner
	case rel.follower:
		d.ListRole = Follower
	}
	if len(s.Roles) == 0 {
		d.Reason = ReasonNoRoles
		return d
	}
	var known, granted, fieldDenied, mayReassign, mayClaim, platform bool
	for _, name := range s.Roles {
		var ro *role
		if p != nil {
			ro = p.lookupRole(name)
		}
		if ro == nil {
			continue
		}
		known = true
		if cross && (!ro.platform || a == Claim) {
			continue // only a platform role crosses tenants, and never to claim
		}
		platform = platform || ro.platform
		if ro.bypass {
			d.Allowed, d.Reason, d.DecidingRole = true, ReasonBypass, name
			return d
		}
		g := ro.grant(r.Ref.Type)
		if g == nil {
			continue
		}
		granted = true
		var sc Scope
		switch a {
		case View, Update, Delete:
			sc = g.scope(a)
		case Reassign:
			if g.Reassign {
				mayReassign = true
				sc = g.Update
			}
		case Claim:
			mayClaim = mayClaim || g.Claim
		}
		d.Scope |= sc
		if !roleAllows(false, g, a, rel, synced) {
			continue
		}
		if fr, ok := g.Fields[field]; ok && field != "" && (a == View || a == Update) {
			fs := fr.View
			if a == Update {
				fs = fr.Update
			}
			d.FieldScope |= fs
			if !fs.reaches(d.Class) {
				fieldDenied = true
				continue
			}
			sc &= fs
		}
		d.Allowed, d.DecidingRole = true, name
		d.Via = lowestClass(sc & d.Class)
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
	if known && cross && !platform {
		d.Reason, d.Tenant = ReasonOtherTenant, r.Tenant
		return d
	}
	d.Reason = denial(a, rel, d.Queue, known, granted, fieldDenied, mayReassign, mayClaim)
	return d
}

// lowestClass returns the first class of c in the order Own, Unassigned,
// Others, Teammates, Reports: the class through which a scope reached a record,
// the widest first.
func lowestClass(c Scope) Scope { return c & -c }

// declares reports whether field may be asked about on records of type t:
// t declares it, or t declares no fields.
func (p *Policy) declares(t, field string) bool {
	if p == nil || p.declared == nil {
		return true
	}
	set, ok := p.declared[t]
	if !ok {
		return true
	}
	_, ok = set[field]
	return ok
}

// denial picks the reason of a denial once every role has been looked at:
// the most specific rule that failed, so that the explanation names the
// change that would help.
func denial(a Action, rel relation, queue QueueID, known, granted, fieldDenied, mayReassign, mayClaim bool) Reason {
	switch {
	case !known:
		return ReasonUnknownRole
	case !granted:
		return ReasonNoGrant
	case a == Claim && rel.assigned && queue != "" && mayClaim:
		// Joining the queue would help; without the claim permission it
		// would not, and the reason says so.
		return ReasonNotQueueMember
	case a == Claim && rel.assigned && queue != "":
		return ReasonNoClaimPermission
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

// decodeScope decodes a scope; absence is None.
func decodeScope(d *strictjson.Decoder, raw json.RawMessage, path string) Scope {
	if raw == nil {
		return None
	}
	var s Scope
	if err := s.UnmarshalJSON(raw); err != nil {
		d.Errorf(path, "%s", strictjson.Message(err))
	}
	return s
}

// decodePolicyDef decodes {"roles": {...}, "types": {...}}, leaving out
// what it reports.
func decodePolicyDef(d *strictjson.Decoder, raw json.RawMessage) PolicyDef {
	const path = ""
	m := d.Object(raw, path, "tenant", "roles", "types")
	if m == nil {
		return PolicyDef{}
	}
	var pd PolicyDef
	if m["tenant"] != nil {
		pd.Tenant = TenantID(d.String(m["tenant"], "tenant"))
	}
	if m["types"] != nil {
		tp := strictjson.Sub(path, "types")
		tm := d.Object(m["types"], tp)
		for _, t := range slices.Sorted(maps.Keys(tm)) {
			o := d.Object(tm[t], strictjson.Sub(tp, t), "fields")
			if o == nil {
				continue
			}
			if pd.Types == nil {
				pd.Types = map[string]RecordType{}
			}
			var td RecordType
			if o["fields"] != nil {
				td.Fields = d.Strings(o["fields"], strictjson.Sub(strictjson.Sub(tp, t), "fields"))
				if td.Fields == nil {
					td.Fields = []string{}
				}
			}
			pd.Types[t] = td
		}
	}
	rolesPath := strictjson.Sub(path, "roles")
	rm := d.Object(m["roles"], rolesPath)
	if rm == nil {
		return pd
	}
	defs := make(map[string]RoleDef, len(rm))
	for _, name := range slices.Sorted(maps.Keys(rm)) {
		rp := strictjson.Sub(rolesPath, name)
		if strings.TrimSpace(name) == "" {
			d.Errorf(rolesPath, "empty role name")
		}
		o := d.Object(rm[name], rp, "bypass", "platform", "types")
		if o == nil {
			continue
		}
		def := RoleDef{Bypass: d.Bool(o["bypass"], strictjson.Sub(rp, "bypass")), Platform: d.Bool(o["platform"], strictjson.Sub(rp, "platform"))}
		if o["types"] != nil {
			tp := strictjson.Sub(rp, "types")
			tm := d.Object(o["types"], tp)
			if def.Bypass && len(tm) > 0 {
				d.Errorf(tp, "a bypass role may do everything; remove its types")
				tm = nil
			}
			for _, t := range slices.Sorted(maps.Keys(tm)) {
				if !grantType(t) {
					d.Errorf(tp, "record type %q must be non-empty, without '/' or '*', or exactly %q", t, AnyType)
					continue
				}
				if def.Types == nil {
					def.Types = map[string]Permissions{}
				}
				def.Types[t] = decodePermissions(d, tm[t], strictjson.Sub(tp, t))
			}
		}
		defs[name] = def
	}
	pd.Roles = defs
	return pd
}

func decodePermissions(d *strictjson.Decoder, raw json.RawMessage, path string) Permissions {
	m := d.Object(raw, path, "view", "update", "delete", "claim", "reassign", "fields")
	if m == nil {
		return Permissions{}
	}
	p := Permissions{
		View:     decodeScope(d, m["view"], strictjson.Sub(path, "view")),
		Update:   decodeScope(d, m["update"], strictjson.Sub(path, "update")),
		Delete:   decodeScope(d, m["delete"], strictjson.Sub(path, "delete")),
		Claim:    d.Bool(m["claim"], strictjson.Sub(path, "claim")),
		Reassign: d.Bool(m["reassign"], strictjson.Sub(path, "reassign")),
	}
	if m["fields"] != nil {
		fp := strictjson.Sub(path, "fields")
		fm := d.Object(m["fields"], fp)
		for _, f := range slices.Sorted(maps.Keys(fm)) {
			if f == "" {
				d.Errorf(fp, "empty field name")
				continue
			}
			o := d.Object(fm[f], strictjson.Sub(fp, f), "view", "update")
			if o == nil {
				continue
			}
			if p.Fields == nil {
				p.Fields = map[string]FieldRule{}
			}
			p.Fields[f] = FieldRule{View: decodeScope(d, o["view"], strictjson.Sub(strictjson.Sub(fp, f), "view")), Update: decodeScope(d, o["update"], strictjson.Sub(strictjson.Sub(fp, f), "update"))}
		}
	}
	return p
}
