package hostsql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ownershipkit/ownership"
)

// maxCondDepth bounds the nesting of a condition, well inside what the
// databases' parsers accept (SQLite stops at 1000).
const maxCondDepth = 100

// predicate returns p's record type and condition. It is the one place
// that reads a Predicate's parts.
func predicate(p ownership.Predicate) (string, ownership.Cond) { return p.Type(), p.Cond() }

// Where translates p, a predicate of [ownership.Policy.Filter], into a SQL
// condition on the row of t's table under alias: true exactly for the
// rows whose record [ownership.Predicate.Match] accepts, that is for the
// records on which [ownership.Policy.Decide] allows the predicate's
// subject its action. Every value (user ids, role values) is a parameter,
// numbered from argOffset+1 so that the fragment can follow other
// parameters of the host's statement; args are their values. The text
// holds only t's quoted identifiers, alias, operators and constants.
//
// The condition is never NULL: every test of a column that may be NULL is
// written so that NULL gives FALSE ("owned by u" is "owner_id IS NOT NULL
// AND owner_id = $1", "unassigned" is "owner_id IS NULL OR owner_id =
// the empty string"), so a negation is exact (it never drops the unassigned rows), and
// each negation is written NOT COALESCE((x), FALSE) besides. What a
// mapping cannot hold is FALSE: an owner column has no followers, a table
// without a parent is never synced (a synced one always is).
//
// "Owned by any of" is an IN list on an owner column, and the disjunction
// of "owned by" each user on other mappings; a "tenant" node is TRUE for
// the empty tenant and FALSE for any other, since a mapping's records are
// all of the empty tenant. A predicate confined to a non-empty tenant
// ([ownership.Predicate.Tenant]), and "in queue" and "queued", which no
// mapping holds, are errors wrapping [ownership.ErrInvalid].
//
// A predicate of another record type matches nothing ("FALSE"). An unknown
// operator, a "not" without exactly one argument, a condition nested
// deeper than 100 levels, a malformed alias or a negative offset is an
// error wrapping [ownership.ErrInvalid]: a condition that cannot be
// translated exactly must never become a query that returns more. The
// fragment is parenthesised.
func (t *Table) Where(p ownership.Predicate, alias string, argOffset int) (sql string, args []any, err error) {
	return t.where(p, alias, argOffset, nil)
}

// where is Where for a page that starts after the key value after (none
// when nil).
func (t *Table) where(p ownership.Predicate, alias string, argOffset int, after any) (string, []any, error) {
	typ, c := predicate(p)
	if tenant, confined := p.Tenant(); confined && tenant != "" {
		// A mapping has no tenant column: its records are all of the
		// empty tenant, the one of a host with a single tenant. A
		// predicate confined to another tenant is a host that keeps
		// tenants this mapping cannot tell apart, so it is refused
		// rather than answered with every tenant's rows.
		return "", nil, fmt.Errorf("%w: hostsql: predicate %v is confined to tenant %q, and the mapping of %s has no tenant", ownership.ErrInvalid, p, tenant, t.m.Type)
	}
	return t.whereCond(typ, c, alias, argOffset, after)
}

// whereCond is where for the records of type typ that satisfy c; the
// store's own queries call it with conditions of their own.
func (t *Table) whereCond(typ string, c ownership.Cond, alias string, argOffset int, after any) (string, []any, error) {
	if !identPart.MatchString(alias) {
		return "", nil, fmt.Errorf("%w: hostsql: alias %q: want letters, digits and underscores", ownership.ErrInvalid, alias)
	}
	if argOffset < 0 {
		return "", nil, fmt.Errorf("%w: hostsql: negative argument offset %d", ownership.ErrInvalid, argOffset)
	}
	w := &whereBuilder{t: t, offset: argOffset, markers: map[any]string{}}
	if typ != t.m.Type || c.Op == ownership.OpNone {
		if err := w.cond(c, t, alias, 0); err != nil { // still refuse malformed conditions
			return "", nil, err
		}
		return "FALSE", nil, nil
	}
	a := alias
	if t.m.KeyKind == KeyText {
		// The empty id names no record.
		fmt.Fprintf(&w.b, "%s.%s <> '' AND ", a, t.key)
	}
	if after != nil {
		fmt.Fprintf(&w.b, "%s.%s > %s AND ", a, t.key, w.arg(after))
	}
	if err := w.cond(c, t, a, 0); err != nil {
		return "", nil, err
	}
	return "(" + w.b.String() + ")", w.args, nil
}

// whereBuilder accumulates the text and the arguments of a condition.
type whereBuilder struct {
	t       *Table
	offset  int
	b       strings.Builder
	args    []any
	markers map[any]string // value -> marker, to pass each value once
	aliases int            // subquery aliases used
}

// arg adds a parameter (or reuses the one with the same value) and
// returns its marker.
func (w *whereBuilder) arg(v any) string {
	if m, ok := w.markers[v]; ok {
		return m
	}
	w.args = append(w.args, v)
	m := placeholder(w.t.d, w.offset+len(w.args))
	w.markers[v] = m
	return m
}

// alias returns a new alias for a subquery. The prefix keeps it apart from
// the host's alias, which has no digits after "own_" unless chosen so.
func (w *whereBuilder) alias() string {
	w.aliases++
	return "own_" + strconv.Itoa(w.aliases)
}

// userOK reports whether u can be on a list at all: an empty id, or one
// that SQL text cannot hold, is on none.
func userOK(u ownership.UserID) bool { return u != "" && storable(string(u)) }

// storable reports whether SQL text can hold s: valid UTF-8 without NUL
// bytes.
func storable(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// cond writes c over row a of table t.
func (w *whereBuilder) cond(c ownership.Cond, t *Table, a string, depth int) error {
	if depth > maxCondDepth {
		return fmt.Errorf("%w: hostsql: condition nested deeper than %d levels", ownership.ErrInvalid, maxCondDepth)
	}
	switch c.Op {
	case ownership.OpNone:
		w.b.WriteString("FALSE")
	case ownership.OpAll:
		w.b.WriteString("TRUE")
	case ownership.OpOwnedBy, ownership.OpFollowedBy, ownership.OpUnassigned:
		w.atom(c, t, a)
	case ownership.OpOwnedByAny:
		w.ownedByAny(c.Users, t, a)
	case ownership.OpTenant:
		// Every record of a mapping is of the empty tenant (see where).
		w.b.WriteString(strings.ToUpper(strconv.FormatBool(c.Tenant == "")))
	case ownership.OpInQueue, ownership.OpQueued:
		return fmt.Errorf("%w: hostsql: cannot translate %v: the mapping of %s holds no queues", ownership.ErrInvalid, c.Op, t.m.Type)
	case ownership.OpSynced:
		if t.src == fromParent {
			w.b.WriteString("TRUE")
		} else {
			w.b.WriteString("FALSE")
		}
	case ownership.OpNot:
		if len(c.Args) != 1 {
			return fmt.Errorf("%w: hostsql: %v takes one argument, not %d", ownership.ErrInvalid, c.Op, len(c.Args))
		}
		w.b.WriteString("NOT COALESCE((")
		if err := w.cond(c.Args[0], t, a, depth+1); err != nil {
			return err
		}
		w.b.WriteString("), FALSE)")
	case ownership.OpAnd, ownership.OpOr:
		if len(c.Args) == 0 {
			w.b.WriteString("FALSE") // as Cond.Match says
			return nil
		}
		// Arguments that are constant for the mapping (followed_by on an
		// owner column) are left out when they cannot change the result,
		// and decide it when they can; malformed ones are still refused.
		op, identity := " AND ", true
		if c.Op == ownership.OpOr {
			op, identity = " OR ", false
		}
		var args []ownership.Cond
		for _, x := range c.Args {
			v, ok := constant(x, t)
			if !ok {
				args = append(args, x)
				continue
			}
			if v != identity {
				if err := w.check(c.Args, t, depth+1); err != nil {
					return err
				}
				w.b.WriteString(strings.ToUpper(strconv.FormatBool(v)))
				return nil
			}
		}
		switch len(args) {
		case 0:
			w.b.WriteString(strings.ToUpper(strconv.FormatBool(identity)))
			return nil
		case 1:
			return w.cond(args[0], t, a, depth+1)
		}
		w.b.WriteString("(")
		for i, x := range args {
			if i > 0 {
				w.b.WriteString(op)
			}
			if err := w.cond(x, t, a, depth+1); err != nil {
				return err
			}
		}
		w.b.WriteString(")")
	default:
		return fmt.Errorf("%w: hostsql: cannot translate condition operator %v", ownership.ErrInvalid, c.Op)
	}
	return nil
}

// constant reports the value of c when it is the same for every row of t:
// a constant, or an atom the mapping cannot hold.
func constant(c ownership.Cond, t *Table) (value, ok bool) {
	switch c.Op {
	case ownership.OpAll:
		return true, true
	case ownership.OpNone:
		return false, true
	case ownership.OpSynced:
		return t.src == fromParent, true
	case ownership.OpFollowedBy:
		if t.src == fromOwner || t.src == fromField {
			return false, true
		}
		return false, !userOK(c.User)
	case ownership.OpOwnedBy:
		return false, !userOK(c.User)
	case ownership.OpOwnedByAny:
		return false, !slices.ContainsFunc(c.Users, userOK)
	case ownership.OpTenant:
		return c.Tenant == "", true
	}
	return false, false
}

// ownedByAny writes "one of users is an owner" over row a of table t: on
// an owner column one IN list, elsewhere the disjunction of "owned by"
// each of them.
func (w *whereBuilder) ownedByAny(users []ownership.UserID, t *Table, a string) {
	var ok []ownership.UserID
	for _, u := range users {
		if userOK(u) && !slices.Contains(ok, u) {
			ok = append(ok, u)
		}
	}
	if len(ok) == 0 {
		w.b.WriteString("FALSE")
		return
	}
	if t.src == fromOwner {
		owner := a + "." + t.owner
		fmt.Fprintf(&w.b, "(%s IS NOT NULL AND %s IN (", owner, owner)
		for i, u := range ok {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.b.WriteString(w.arg(string(u)))
		}
		w.b.WriteString("))")
		return
	}
	w.b.WriteString("(")
	for i, u := range ok {
		if i > 0 {
			w.b.WriteString(" OR ")
		}
		w.atom(ownership.OwnedBy(u), t, a)
	}
	w.b.WriteString(")")
}

// check refuses args if cond would: it translates them into a scratch
// builder, for a join whose value a constant decided.
func (w *whereBuilder) check(args []ownership.Cond, t *Table, depth int) error {
	scratch := &whereBuilder{t: w.t, offset: w.offset, markers: map[any]string{}}
	for _, x := range args {
		if err := scratch.cond(x, t, "x", depth); err != nil {
			return err
		}
	}
	return nil
}

// atom writes owned_by, followed_by or unassigned over row a of table t,
// as a test that is TRUE or FALSE, never NULL.
func (w *whereBuilder) atom(c ownership.Cond, t *Table, a string) {
	col := func(alias, quoted string) string { return alias + "." + quoted }
	switch t.src {
	case fromOwner:
		owner := col(a, t.owner)
		switch c.Op {
		case ownership.OpOwnedBy:
			if !userOK(c.User) {
				w.b.WriteString("FALSE")
				return
			}
			fmt.Fprintf(&w.b, "(%s IS NOT NULL AND %s = %s)", owner, owner, w.arg(string(c.User)))
		case ownership.OpFollowedBy:
			w.b.WriteString("FALSE") // one owner column holds no followers
		case ownership.OpUnassigned:
			fmt.Fprintf(&w.b, "(%s IS NULL OR %s = '')", owner, owner)
		}
	case fromEntries:
		e := t.entries
		rows := func(role string) string {
			x := w.alias()
			return fmt.Sprintf("SELECT 1 FROM %s %s WHERE %s = %s AND %s = %s", e.Table, x,
				col(x, e.Key), col(a, t.key), col(x, e.Role), w.arg(role)) + " AND " + x + "." + e.User
		}
		switch c.Op {
		case ownership.OpOwnedBy:
			if !userOK(c.User) {
				w.b.WriteString("FALSE")
				return
			}
			fmt.Fprintf(&w.b, "EXISTS (%s = %s)", rows(t.roleOwner), w.arg(string(c.User)))
		case ownership.OpFollowedBy:
			if !userOK(c.User) {
				w.b.WriteString("FALSE")
				return
			}
			u := w.arg(string(c.User))
			fmt.Fprintf(&w.b, "(EXISTS (%s = %s) AND NOT EXISTS (%s = %s))", rows(t.roleFollower), u, rows(t.roleOwner), u)
		case ownership.OpUnassigned:
			fmt.Fprintf(&w.b, "NOT EXISTS (%s <> '')", rows(t.roleOwner))
		}
	case fromField:
		f := t.field
		x := w.alias()
		v := col(a, f.Column)
		switch c.Op {
		case ownership.OpOwnedBy:
			if !userOK(c.User) {
				w.b.WriteString("FALSE")
				return
			}
			fmt.Fprintf(&w.b, "EXISTS (SELECT 1 FROM %s %s WHERE %s = %s AND %s = %s AND %s <> '')", f.Users, x,
				col(x, f.UserID), w.arg(string(c.User)), col(x, f.UserValue), v, v)
		case ownership.OpFollowedBy:
			w.b.WriteString("FALSE") // a matched field makes owners only
		case ownership.OpUnassigned:
			fmt.Fprintf(&w.b, "NOT EXISTS (SELECT 1 FROM %s %s WHERE %s = %s AND %s <> '')", f.Users, x,
				col(x, f.UserValue), v, v)
		}
	case fromParent:
		p := t.m.Parent
		x := w.alias()
		link := fmt.Sprintf("SELECT 1 FROM %s %s WHERE %s = %s AND ", p.table, x, col(x, p.key), col(a, t.parent))
		if c.Op == ownership.OpUnassigned {
			// Unassigned unless the parent exists and has an owner.
			w.b.WriteString("NOT EXISTS (" + link + "NOT COALESCE((")
			w.atom(c, p, x)
			w.b.WriteString("), FALSE))")
			return
		}
		w.b.WriteString("EXISTS (" + link)
		w.atom(c, p, x)
		w.b.WriteString(")")
	}
}
