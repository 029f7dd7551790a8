package ownership

import (
	"fmt"
	"slices"
	"strings"
)

// Op is the operator of a [Cond].
type Op uint8

// The operators. The zero Op is OpNone, so the zero Cond matches nothing.
const (
	OpNone       Op = iota // matches no record
	OpAll                  // matches every record
	OpOwnedBy              // Cond.User is an owner
	OpFollowedBy           // Cond.User is a follower
	OpUnassigned           // the record has no owner
	OpSynced               // the record is in SyncWithParent mode
	OpNot                  // Args[0] does not match
	OpAnd                  // every Arg matches
	OpOr                   // some Arg matches
	OpOwnedByAny           // one of Cond.Users is an owner
	OpInQueue              // one of Cond.Queues holds the record
	OpQueued               // some queue holds the record
	OpTenant               // the record belongs to Cond.Tenant
)

var opName = [...]string{"none", "all", "owned_by", "followed_by", "unassigned", "synced", "not", "and", "or", "owned_by_any", "in_queue", "queued", "tenant"}

// String returns the operator's name, as used in [Cond.String].
func (o Op) String() string {
	if int(o) < len(opName) {
		return opName[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Cond is a condition on a record's ownership: a small tree that hosts
// evaluate in memory with [Cond.Match] or translate to a query language (the
// SQL store turns it into a parameterised WHERE clause).
//
// Build conditions with [OwnedBy], [FollowedBy], [OwnedByAny],
// [IsUnassigned], [InQueue], [IsQueued], [InTenant], [IsSynced], [Not],
// [And] and [Or], which keep the tree simplified. The zero Cond matches
// nothing.
type Cond struct {
	Op     Op
	User   UserID    // for OpOwnedBy and OpFollowedBy
	Users  []UserID  // for OpOwnedByAny; empty matches nothing
	Queues []QueueID // for OpInQueue; empty matches nothing
	Tenant TenantID  // for OpTenant
	Args   []Cond    // for OpNot (one), OpAnd and OpOr
}

var (
	condNone = Cond{Op: OpNone}
	condAll  = Cond{Op: OpAll}
)

// AllRecords returns the condition that matches every record.
func AllRecords() Cond { return condAll }

// NoRecords returns the condition that matches no record.
func NoRecords() Cond { return condNone }

// OwnedBy returns the condition "u is an owner".
func OwnedBy(u UserID) Cond { return Cond{Op: OpOwnedBy, User: u} }

// FollowedBy returns the condition "u is a follower" (and not an owner).
func FollowedBy(u UserID) Cond { return Cond{Op: OpFollowedBy, User: u} }

// IsUnassigned returns the condition "the record has no owner": no user
// owner, and no queue holds it ([List.Unassigned]).
func IsUnassigned() Cond { return Cond{Op: OpUnassigned} }

// OwnedByAny returns the condition "one of users is an owner"; with no
// users it matches nothing. The users are copied.
func OwnedByAny(users ...UserID) Cond {
	if len(users) == 0 {
		return condNone
	}
	return Cond{Op: OpOwnedByAny, Users: slices.Clone(users)}
}

// InQueue returns the condition "one of queues holds the record"; with no
// queues it matches nothing. The queues are copied.
func InQueue(queues ...QueueID) Cond {
	if len(queues) == 0 {
		return condNone
	}
	return Cond{Op: OpInQueue, Queues: slices.Clone(queues)}
}

// IsQueued returns the condition "a queue holds the record".
func IsQueued() Cond { return Cond{Op: OpQueued} }

// InTenant returns the condition "the record belongs to tenant t".
func InTenant(t TenantID) Cond { return Cond{Op: OpTenant, Tenant: t} }

// IsSynced returns the condition "the record is synced with its parent".
func IsSynced() Cond { return Cond{Op: OpSynced} }

// Not returns the negation of c.
func Not(c Cond) Cond {
	switch c.Op {
	case OpNone:
		return condAll
	case OpAll:
		return condNone
	case OpNot:
		if len(c.Args) == 1 {
			return c.Args[0]
		}
		// A malformed not (no argument, or several), built by hand:
		// it matches nothing (see Match), so its negation is wrapped
		// as it is rather than unwrapped.
	}
	return Cond{Op: OpNot, Args: []Cond{c}}
}

// And returns the conjunction of cs; And() matches every record.
func And(cs ...Cond) Cond { return join(OpAnd, condAll, condNone, cs) }

// Or returns the disjunction of cs; Or() matches no record.
func Or(cs ...Cond) Cond { return join(OpOr, condNone, condAll, cs) }

// join flattens nested op nodes, drops identity elements and collapses on
// an absorbing element.
func join(op Op, identity, absorbing Cond, cs []Cond) Cond {
	var args []Cond
	for _, c := range cs {
		if (c.Op == OpAnd || c.Op == OpOr) && len(c.Args) == 0 {
			// A hand-built and() or or() matches nothing (see Match);
			// flattened away, and() would widen And to every record.
			c = condNone
		}
		switch {
		case c.Op == absorbing.Op:
			return absorbing
		case c.Op == identity.Op:
			continue
		case c.Op == op:
			args = append(args, c.Args...)
		default:
			args = append(args, c)
		}
	}
	switch len(args) {
	case 0:
		return identity
	case 1:
		return args[0]
	}
	return Cond{Op: op, Args: args}
}

// Match reports whether record r satisfies c.
func (c Cond) Match(r Record) bool { return c.match(&r) }

func (c *Cond) match(r *Record) bool {
	switch c.Op {
	case OpAll:
		return true
	case OpOwnedBy:
		role, ok := r.Ownership.RoleOf(c.User)
		return ok && role == Owner
	case OpFollowedBy:
		role, ok := r.Ownership.RoleOf(c.User)
		return ok && role == Follower
	case OpUnassigned:
		return r.Ownership.Unassigned()
	case OpOwnedByAny:
		for _, u := range c.Users {
			if r.Ownership.IsOwner(u) {
				return true
			}
		}
		return false
	case OpInQueue:
		q := r.Ownership.Queue()
		return q != "" && slices.Contains(c.Queues, q)
	case OpQueued:
		return r.Ownership.Queue() != ""
	case OpTenant:
		return r.Tenant == c.Tenant
	case OpSynced:
		return r.Mode == SyncWithParent
	case OpNot:
		return len(c.Args) == 1 && !c.Args[0].match(r)
	case OpAnd:
		for i := range c.Args {
			if !c.Args[i].match(r) {
				return false
			}
		}
		return len(c.Args) > 0
	case OpOr:
		for i := range c.Args {
			if c.Args[i].match(r) {
				return true
			}
		}
	}
	return false
}

// String formats c as "or(owned_by(ann), unassigned)".
func (c Cond) String() string {
	var b strings.Builder
	c.format(&b)
	return b.String()
}

func (c Cond) format(b *strings.Builder) {
	b.WriteString(c.Op.String())
	switch c.Op {
	case OpOwnedBy, OpFollowedBy:
		fmt.Fprintf(b, "(%q)", c.User)
	case OpOwnedByAny:
		formatList(b, c.Users)
	case OpInQueue:
		formatList(b, c.Queues)
	case OpTenant:
		fmt.Fprintf(b, "(%q)", c.Tenant)
	case OpNot, OpAnd, OpOr:
		b.WriteByte('(')
		for i, a := range c.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.format(b)
		}
		b.WriteByte(')')
	}
}

// formatList writes ("a", "b"), or (... and n more) past ten ids.
func formatList[T ~string](b *strings.Builder, ids []T) {
	b.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 10 {
			fmt.Fprintf(b, "... and %d more", len(ids)-i)
			break
		}
		fmt.Fprintf(b, "%q", id)
	}
	b.WriteByte(')')
}

// Predicate selects the records of one type that a subject may reach with
// one action. It is what [Policy.Filter] returns: compiled once per
// subject, action and type, then matched against any number of records.
// A Predicate is immutable and safe for concurrent use.
//
// Its type and condition are read with [Predicate.Type] and
// [Predicate.Cond] and cannot be changed: a Predicate from Filter matches
// through a compiled table, so that a condition assigned afterwards would
// be ignored by Match while a host translating it to SQL would obey it.
// [NewPredicate] builds one from a hand-made condition.
//
// The zero Predicate matches nothing.
type Predicate struct {
	typ  string // the record type; records of other types never match
	cond Cond   // the ownership condition
	// tenant confines the predicate to one tenant's records, unless
	// anyTenant: then cond says which tenants (a platform role).
	tenant    TenantID
	anyTenant bool

	// The compiled form, set only by Filter: the answers at each
	// tableIndex for user (with reach), the union of the subject's allow
	// masks within its tenant (table) and across tenants (cross). A
	// Predicate built by hand is matched through Cond.
	user     UserID
	hash     uint64 // idHash(user)
	reach    *reachData
	table    uint64
	cross    uint64
	policy   TenantID // the policy's tenant, or ""
	compiled bool
}

// Match reports whether r is of the predicate's type and tenant and
// satisfies its condition. For a predicate returned by [Policy.Filter],
// Match(r) equals Decide(subject, action, r).Allowed for every record r
// of that type, and it does not allocate. A record with an invalid Ref or
// an out-of-range Mode never matches.
func (p Predicate) Match(r Record) bool {
	if r.Ref.Type != p.typ || r.Ref.ID == "" || r.Mode > SyncWithParent {
		return false
	}
	if !p.anyTenant && r.Tenant != p.tenant {
		return false
	}
	if !p.compiled {
		return r.Ref.Valid() && p.cond.match(&r)
	}
	// Filter compiles only for valid types, so r.Ref is valid here.
	m := p.table
	if r.Tenant != p.tenant || (p.policy != "" && p.policy != r.Tenant) {
		m = p.cross
	}
	return m != 0 && tableAllows(m, &r, p.user, p.hash, p.reach)
}

// NewPredicate returns the predicate that selects the records of
// recordType that satisfy c, in every tenant (c may name them with
// [InTenant]). Match evaluates c itself; [Policy.Filter] returns the
// compiled form of the policy's condition instead.
func NewPredicate(recordType string, c Cond) Predicate {
	return Predicate{typ: recordType, cond: c, anyTenant: true}
}

// Type returns the record type the predicate applies to; records of other
// types never match.
func (p Predicate) Type() string { return p.typ }

// Tenant returns the tenant the predicate is confined to, and true; or ""
// and false when it spans tenants, when its condition says which (a
// subject with a platform role, or a predicate built by [NewPredicate]).
// A host that translates the predicate to a query must apply both its
// type and its tenant, as it applies its condition.
func (p Predicate) Tenant() (TenantID, bool) { return p.tenant, !p.anyTenant }

// Cond returns the ownership condition, for hosts that translate it to a
// query.
func (p Predicate) Cond() Cond { return p.cond }

// String formats the predicate as "contact: or(...)", and one confined to
// a tenant as "contact@acme: or(...)".
func (p Predicate) String() string {
	if !p.anyTenant && p.tenant != "" {
		return p.typ + "@" + string(p.tenant) + ": " + p.cond.String()
	}
	return p.typ + ": " + p.cond.String()
}

// Filter returns the predicate that selects the records of recordType that
// s may reach with action a. Hosts use it to filter lists: compile it once
// per request, then call [Predicate.Match] per record, or translate
// [Predicate.Type], [Predicate.Tenant] and [Predicate.Cond] to their query
// language.
//
// Field-level rules do not apply to filters: a list shows records, and
// fields are checked with [Policy.DecideField] when shown.
func (p *Policy) Filter(s Subject, a Action, recordType string) Predicate {
	cond, cross := p.cond(s, a, recordType)
	pred := Predicate{typ: recordType, cond: cond, tenant: s.Tenant, anyTenant: cross}
	if p == nil || !a.Valid() || s.ID == "" || strings.Contains(recordType, "/") || recordType == "" {
		return pred
	}
	ti := p.typeIndex(recordType)
	pred.table, pred.hash = p.mask(&s, a, ti, p.tenant != "" && p.tenant != s.Tenant)
	pred.cross, _ = p.mask(&s, a, ti, true)
	pred.user, pred.reach, pred.policy, pred.compiled = s.ID, s.Reach.d, p.tenant, true
	return pred
}

// cond builds the condition for Filter, following the decision rules role
// by role, and reports whether it spans tenants (the subject has a
// platform role); otherwise it holds within the subject's tenant.
func (p *Policy) cond(s Subject, a Action, t string) (Cond, bool) {
	if p == nil || !a.Valid() || s.ID == "" || t == "" || strings.Contains(t, "/") {
		return condNone, false
	}
	if p.tenant != "" && p.tenant != s.Tenant {
		return condNone, false // a tenant's policy, and a subject of another
	}
	notSynced := Not(IsSynced())
	var alts, platform []Cond
	for _, name := range s.Roles {
		ro := p.roles[name]
		if ro == nil {
			continue
		}
		var c Cond
		switch g := ro.grant(t); {
		case ro.bypass && a.changesOwnership():
			c = notSynced
		case ro.bypass:
			c = condAll
		case g == nil:
			continue
		default:
			switch a {
			case View, Update, Delete:
				c = scopeCond(g.scope(a), a, s.ID, s.Reach)
			case Claim:
				if !g.Claim {
					continue
				}
				c = And(unassignedFor(s.Reach), notSynced)
			case Reassign:
				if !g.Reassign {
					continue
				}
				c = And(scopeCond(g.Update, Update, s.ID, s.Reach), notSynced)
			case ManageOwnership:
				c = And(OwnedBy(s.ID), notSynced)
			}
		}
		alts = append(alts, c)
		if ro.platform && a != Claim {
			platform = append(platform, c)
		}
	}
	if len(platform) == 0 {
		return Or(alts...), false
	}
	return Or(append([]Cond{And(InTenant(s.Tenant), Or(alts...))}, platform...)...), true
}

// unassignedFor is the condition "the record is in the Unassigned class
// for a subject with reach": no owner, or held by one of its queues.
func unassignedFor(reach Reach) Cond {
	if reach.d == nil || len(reach.d.queues) == 0 {
		return IsUnassigned()
	}
	return Or(IsUnassigned(), InQueue(reach.d.queues...))
}

// scopeCond is the condition "the record's class for u and a is in sc",
// in its simplest form: when Own is in the scope, "unassigned and not own"
// is just "unassigned", and likewise for Others.
func scopeCond(sc Scope, a Action, u UserID, reach Reach) Cond {
	own := OwnedBy(u)
	if a == View {
		own = Or(OwnedBy(u), FollowedBy(u))
	}
	unassigned := unassignedFor(reach)
	var parts []Cond
	switch sc & All {
	case None:
	case All:
		return condAll
	case Own:
		parts = append(parts, own)
	case Own | Unassigned:
		parts = append(parts, own, unassigned)
	case Own | Others:
		parts = append(parts, own, Not(unassigned))
	case Unassigned | Others:
		return Not(own)
	case Others:
		parts = append(parts, And(Not(unassigned), Not(own)))
	case Unassigned:
		// Only for View can the subject be on an unassigned record's list
		// (as a follower), which puts it in Own.
		if a == View {
			parts = append(parts, And(unassigned, Not(own)))
		} else {
			parts = append(parts, unassigned)
		}
	}
	if sc&Others == 0 && reach.d != nil {
		// Teammates and Reports narrow Others: owned by one of them, and
		// not by the subject (an owner of one of the subject's records
		// makes it Own, whoever else owns it).
		if sc&Teammates != 0 {
			parts = append(parts, And(OwnedByAny(reach.Teammates()...), Not(own)))
		}
		if sc&Reports != 0 {
			parts = append(parts, And(OwnedByAny(reach.Reports()...), Not(own)))
		}
	}
	return Or(parts...)
}
