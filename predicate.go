package ownership

import (
	"fmt"
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
)

var opName = [...]string{"none", "all", "owned_by", "followed_by", "unassigned", "synced", "not", "and", "or"}

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
// Build conditions with [OwnedBy], [FollowedBy], [IsUnassigned],
// [IsSynced], [Not], [And] and [Or], which keep the tree simplified. The
// zero Cond matches nothing.
type Cond struct {
	Op   Op
	User UserID // for OpOwnedBy and OpFollowedBy
	Args []Cond // for OpNot (one), OpAnd and OpOr
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

// IsUnassigned returns the condition "the record has no owner".
func IsUnassigned() Cond { return Cond{Op: OpUnassigned} }

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

	// user and table are the compiled form: the answer at each tableIndex
	// for user, the union of the subject's allow masks. Set only by Filter;
	// a Predicate built by hand is matched through Cond.
	user     UserID
	hash     uint64 // idHash(user)
	table    uint16
	compiled bool
}

// Match reports whether r is of the predicate's type and satisfies its
// condition. For a predicate returned by [Policy.Filter], Match(r) equals
// Decide(subject, action, r).Allowed for every record r of that type, and
// it does not allocate. A record with an invalid Ref or an out-of-range
// Mode never matches.
func (p Predicate) Match(r Record) bool {
	if r.Ref.Type != p.typ || r.Ref.ID == "" || r.Mode > SyncWithParent {
		return false
	}
	if !p.compiled {
		return r.Ref.Valid() && p.cond.match(&r)
	}
	// Filter compiles only for valid types, so r.Ref is valid here.
	rel := relate(r.Ownership, p.user, p.hash)
	return p.table&(1<<tableIndex(rel, r.Mode == SyncWithParent)) != 0
}

// NewPredicate returns the predicate that selects the records of
// recordType that satisfy c. Match evaluates c itself; [Policy.Filter]
// returns the compiled form of the policy's condition instead.
func NewPredicate(recordType string, c Cond) Predicate {
	return Predicate{typ: recordType, cond: c}
}

// Type returns the record type the predicate applies to; records of other
// types never match.
func (p Predicate) Type() string { return p.typ }

// Cond returns the ownership condition, for hosts that translate it to a
// query.
func (p Predicate) Cond() Cond { return p.cond }

// String formats the predicate as "contact: or(...)".
func (p Predicate) String() string { return p.typ + ": " + p.cond.String() }

// Filter returns the predicate that selects the records of recordType that
// s may reach with action a. Hosts use it to filter lists: compile it once
// per request, then call [Predicate.Match] per record, or translate
// [Predicate.Cond] to their query language.
//
// Field-level rules do not apply to filters: a list shows records, and
// fields are checked with [Policy.DecideField] when shown.
func (p *Policy) Filter(s Subject, a Action, recordType string) Predicate {
	pred := Predicate{typ: recordType, cond: p.cond(s, a, recordType)}
	if p == nil || !a.Valid() || s.ID == "" || strings.Contains(recordType, "/") || recordType == "" {
		return pred
	}
	pred.table, pred.hash = p.mask(&s, a, p.typeIndex(recordType))
	pred.user, pred.compiled = s.ID, true
	return pred
}

// cond builds the condition for Filter, following the decision rules role
// by role.
func (p *Policy) cond(s Subject, a Action, t string) Cond {
	if p == nil || !a.Valid() || s.ID == "" || t == "" || strings.Contains(t, "/") {
		return condNone
	}
	notSynced := Not(IsSynced())
	var alts []Cond
	for _, name := range s.Roles {
		ro := p.roles[name]
		if ro == nil {
			continue
		}
		if ro.bypass {
			if a.changesOwnership() {
				alts = append(alts, notSynced)
			} else {
				alts = append(alts, condAll)
			}
			continue
		}
		g := ro.grant(t)
		if g == nil {
			continue
		}
		switch a {
		case View, Update, Delete:
			alts = append(alts, scopeCond(g.scope(a), a, s.ID))
		case Claim:
			if g.Claim {
				alts = append(alts, And(IsUnassigned(), notSynced))
			}
		case Reassign:
			if g.Reassign {
				alts = append(alts, And(scopeCond(g.Update, Update, s.ID), notSynced))
			}
		case ManageOwnership:
			alts = append(alts, And(OwnedBy(s.ID), notSynced))
		}
	}
	return Or(alts...)
}

// scopeCond is the condition "the record's class for u and a is in sc",
// in its simplest form: when Own is in the scope, "unassigned and not own"
// is just "unassigned", and likewise for Others.
func scopeCond(sc Scope, a Action, u UserID) Cond {
	own := OwnedBy(u)
	if a == View {
		own = Or(OwnedBy(u), FollowedBy(u))
	}
	switch sc & All {
	case None:
		return condNone
	case All:
		return condAll
	case Own:
		return own
	case Own | Unassigned:
		return Or(own, IsUnassigned())
	case Own | Others:
		return Or(own, Not(IsUnassigned()))
	case Unassigned | Others:
		return Not(own)
	case Others:
		return And(Not(IsUnassigned()), Not(own))
	}
	// Unassigned alone. Only for View can the subject be on an unassigned
	// record's list (as a follower), which puts it in Own.
	if a == View {
		return And(IsUnassigned(), Not(own))
	}
	return IsUnassigned()
}
