package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ownershipkit/ownership"
)

// The schema stores roles as [ownership.Role]'s values, which the queries
// spell out.
const (
	roleFollower = 1
	roleOwner    = 2
)

// Compile-time checks that the constants above are ownership's values.
var (
	_ = [1]struct{}{}[int(ownership.Owner)-roleOwner]
	_ = [1]struct{}{}[int(ownership.Follower)-roleFollower]
	_ = [1]struct{}{}[int(ownership.SyncWithParent)-1] // "r.mode = 1" below
)

// maxCondDepth bounds the nesting of a condition, well inside what the
// databases' parsers accept (SQLite stops at 1000).
const maxCondDepth = 100

// Where translates p into a SQL condition on the table ownership_records
// under the alias r: true exactly for the rows of the records that
// [ownership.Predicate.Match] accepts. Every value (the tenant, the record
// type, user and queue ids) is a parameter: the text holds only column
// names, operators and this package's own constants. Parameters are
// numbered from argOffset+1, so that the fragment can follow other
// parameters of the same statement; args are their values, in order.
//
// A predicate confined to a tenant ([ownership.Predicate.Tenant]) begins
// with "r.tenant = $1", so that the indexes that lead with the tenant
// serve it; one that spans tenants (a subject with a platform role) names
// them in its condition, whose "tenant" nodes test the same column.
//
// "Owned by" and "followed by" become EXISTS subqueries on
// ownership_entries that the by-user index answers; "owned by any of"
// the same with a set of users: one array parameter (a Go []string, which
// pgx encodes) on PostgreSQL, one JSON array read by json_each on SQLite.
// "Unassigned" tests the has_owner column; "in queue" and "queued" the
// queue column (a set of queues is passed as a set of users is);
// "synced" the mode column. A disjunction of "owned by u" and "followed
// by u" (the Own class of View) becomes one subquery.
//
// The fragment is parenthesised, so that it can be negated or combined
// as it is.
//
// An unknown operator, a "not" without exactly one argument, a condition
// nested deeper than 100 levels or an invalid dialect is an error wrapping
// [ownership.ErrInvalid]: a condition that cannot be translated exactly
// must not become a query that returns more. An empty "and" or "or"
// matches nothing, as [ownership.Cond.Match] says.
func Where(p ownership.Predicate, d Dialect, argOffset int) (sql string, args []any, err error) {
	return where(p, d, argOffset, "")
}

// where is [Where] for a page that starts after id after (none when
// ""): it adds "r.id > after" and repeats the bound inside every entries
// subquery, where it is implied by e.record_id = r.id but not derived by
// PostgreSQL's planner, so that the by-user index is scanned from the
// bound on rather than from the start.
func where(p ownership.Predicate, d Dialect, argOffset int, after string) (string, []any, error) {
	return whereCond(p, p.Cond(), d, argOffset, after)
}

// whereCond is where for the records of p's type and tenant that satisfy
// c.
func whereCond(p ownership.Predicate, c ownership.Cond, d Dialect, argOffset int, after string) (string, []any, error) {
	typ := p.Type()
	tenant, confined := p.Tenant()
	if !d.valid() {
		return "", nil, fmt.Errorf("%w: sqlstore: %v", ownership.ErrInvalid, d)
	}
	if argOffset < 0 {
		return "", nil, fmt.Errorf("%w: sqlstore: negative argument offset %d", ownership.ErrInvalid, argOffset)
	}
	w := &whereBuilder{d: d, offset: argOffset}
	// A type no record can have matches nothing, like a condition that
	// matches nothing.
	if c.Op == ownership.OpNone || typ == "" || strings.Contains(typ, "/") || !storable(typ) || confined && !storable(string(tenant)) {
		if err := w.cond(c, 0); err != nil { // still refuse malformed conditions
			return "", nil, err
		}
		return "FALSE", nil, nil
	}
	if confined {
		w.b.WriteString("r.tenant = ")
		w.b.WriteString(w.arg(string(tenant)))
		w.b.WriteString(" AND ")
	}
	w.b.WriteString("r.type = ")
	w.b.WriteString(w.arg(typ))
	if after != "" {
		w.after = w.arg(after)
		w.b.WriteString(" AND r.id > ")
		w.b.WriteString(w.after)
	}
	w.b.WriteString(" AND ")
	if err := w.cond(c, 0); err != nil {
		return "", nil, err
	}
	return "(" + w.b.String() + ")", w.args, nil
}

// whereBuilder accumulates the text and the arguments of a condition.
type whereBuilder struct {
	d      Dialect
	offset int
	after  string // the marker of the page's lower bound on ids, or ""
	b      strings.Builder
	args   []any
}

// arg adds a parameter and returns its marker.
func (w *whereBuilder) arg(v any) string {
	w.args = append(w.args, v)
	return w.d.placeholder(w.offset + len(w.args))
}

// entry writes "u is on the list", with role 0 for either role.
func (w *whereBuilder) entry(u ownership.UserID, role int) {
	if u == "" || !storable(string(u)) {
		w.b.WriteString("FALSE") // no list holds such a user
		return
	}
	w.b.WriteString("EXISTS (SELECT 1 FROM ownership_entries e WHERE e.record_type = r.type AND e.record_id = r.id AND e.user_id = ")
	w.b.WriteString(w.arg(string(u)))
	if w.after != "" {
		w.b.WriteString(" AND e.record_id > ")
		w.b.WriteString(w.after)
	}
	if role != 0 {
		fmt.Fprintf(&w.b, " AND e.role = %d", role)
	}
	w.b.WriteString(")")
}

// set returns the marker of a parameter that holds the set ids: an array
// on PostgreSQL, a JSON array on SQLite. as is the SQL test of a column
// against it.
func (w *whereBuilder) set(ids []string) string {
	if w.d == Postgres {
		return "= ANY (" + w.arg(ids) + "::text[])"
	}
	j, _ := json.Marshal(ids) // strings only, storable ones: cannot fail
	return "IN (SELECT value FROM json_each(" + w.arg(string(j)) + "))"
}

// storableIDs returns the ids that a column can hold, as strings; an
// empty id is never one (no list or queue has it).
func storableIDs[T ~string](ids []T) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && storable(string(id)) {
			out = append(out, string(id))
		}
	}
	return out
}

// ownedByAny writes "one of users is an owner".
func (w *whereBuilder) ownedByAny(users []ownership.UserID) {
	ids := storableIDs(users)
	if len(ids) == 0 {
		w.b.WriteString("FALSE")
		return
	}
	w.b.WriteString("EXISTS (SELECT 1 FROM ownership_entries e WHERE e.record_type = r.type AND e.record_id = r.id AND e.user_id ")
	w.b.WriteString(w.set(ids))
	if w.after != "" {
		w.b.WriteString(" AND e.record_id > ")
		w.b.WriteString(w.after)
	}
	fmt.Fprintf(&w.b, " AND e.role = %d)", roleOwner)
}

// cond writes c.
func (w *whereBuilder) cond(c ownership.Cond, depth int) error {
	if depth > maxCondDepth {
		return fmt.Errorf("%w: sqlstore: condition nested deeper than %d levels", ownership.ErrInvalid, maxCondDepth)
	}
	switch c.Op {
	case ownership.OpNone:
		w.b.WriteString("FALSE")
	case ownership.OpAll:
		w.b.WriteString("TRUE")
	case ownership.OpOwnedBy:
		w.entry(c.User, roleOwner)
	case ownership.OpFollowedBy:
		w.entry(c.User, roleFollower)
	case ownership.OpUnassigned:
		w.b.WriteString("NOT r.has_owner")
	case ownership.OpSynced:
		w.b.WriteString("r.mode = 1")
	case ownership.OpOwnedByAny:
		w.ownedByAny(c.Users)
	case ownership.OpInQueue:
		ids := storableIDs(c.Queues)
		if len(ids) == 0 {
			w.b.WriteString("FALSE")
			break
		}
		w.b.WriteString("r.queue ")
		w.b.WriteString(w.set(ids))
	case ownership.OpQueued:
		w.b.WriteString("r.queue <> ''")
	case ownership.OpTenant:
		if !storable(string(c.Tenant)) {
			w.b.WriteString("FALSE") // no record has such a tenant
			break
		}
		w.b.WriteString("r.tenant = ")
		w.b.WriteString(w.arg(string(c.Tenant)))
	case ownership.OpNot:
		if len(c.Args) != 1 {
			return fmt.Errorf("%w: sqlstore: %v takes one argument, not %d", ownership.ErrInvalid, c.Op, len(c.Args))
		}
		w.b.WriteString("NOT (")
		if err := w.cond(c.Args[0], depth+1); err != nil {
			return err
		}
		w.b.WriteString(")")
	case ownership.OpAnd, ownership.OpOr:
		return w.join(c, depth)
	default:
		return fmt.Errorf("%w: sqlstore: cannot translate condition operator %v", ownership.ErrInvalid, c.Op)
	}
	return nil
}

// join writes an "and" or an "or". Column tests come before subqueries, so
// that a database that evaluates in order tries the cheap ones first; in
// an "or", "owned by u" and "followed by u" merge into "u is on the list".
func (w *whereBuilder) join(c ownership.Cond, depth int) error {
	if len(c.Args) == 0 {
		w.b.WriteString("FALSE")
		return nil
	}
	op := " AND "
	onList := map[ownership.UserID]bool{}
	if c.Op == ownership.OpOr {
		op = " OR "
		owned, followed := map[ownership.UserID]bool{}, map[ownership.UserID]bool{}
		for _, a := range c.Args {
			switch a.Op {
			case ownership.OpOwnedBy:
				owned[a.User] = true
			case ownership.OpFollowedBy:
				followed[a.User] = true
			}
		}
		for u := range owned {
			if followed[u] {
				onList[u] = true
			}
		}
	}
	w.b.WriteString("(")
	first := true
	sep := func() {
		if !first {
			w.b.WriteString(op)
		}
		first = false
	}
	written := map[ownership.UserID]bool{}
	for _, cheap := range []bool{true, false} {
		for _, a := range c.Args {
			if isCheap(a, depth+1) != cheap {
				continue
			}
			if (a.Op == ownership.OpOwnedBy || a.Op == ownership.OpFollowedBy) && onList[a.User] {
				if !written[a.User] {
					sep()
					w.entry(a.User, 0)
					written[a.User] = true
				}
				continue
			}
			sep()
			if err := w.cond(a, depth+1); err != nil {
				return err
			}
		}
	}
	w.b.WriteString(")")
	return nil
}

// isCheap reports whether c tests columns of the record only, with no
// subquery. Past maxCondDepth it gives up (cond refuses such a tree).
func isCheap(c ownership.Cond, depth int) bool {
	switch c.Op {
	case ownership.OpOwnedBy, ownership.OpFollowedBy, ownership.OpOwnedByAny:
		return false
	case ownership.OpNot, ownership.OpAnd, ownership.OpOr:
		if depth > maxCondDepth {
			return false
		}
		for _, a := range c.Args {
			if !isCheap(a, depth+1) {
				return false
			}
		}
	}
	return true
}
