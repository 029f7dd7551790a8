package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ownershipkit/ownership"
)

// Page sizes of [Store.List].
const (
	// DefaultPageSize is the size of a page whose Limit is 0.
	DefaultPageSize = 50
	// MaxPageSize is the largest page; a larger Limit gets this many.
	MaxPageSize = 1000
)

// Page selects one page of a listing by keyset: the records of the type
// whose id comes after After (byte order), at most Limit of them.
//
// The zero Page is the first page of [DefaultPageSize] records. [Store.List]
// returns the Page of the next records, or the zero Page when there are
// none, so a loop pages through a listing like this:
//
//	for page := (sqlstore.Page{Limit: 100}); ; {
//		recs, next, err := st.List(ctx, p, s, ownership.View, "contact", page)
//		...
//		if next == (sqlstore.Page{}) {
//			break
//		}
//		page = next
//	}
type Page struct {
	// After is the id of the last record of the previous page; "" starts
	// at the first record.
	After string
	// Limit is the most records to return: 0 means DefaultPageSize, more
	// than MaxPageSize means MaxPageSize. It must not be negative.
	Limit int
}

// List returns one page of the records of recordType on which policy
// allows subject s action a: exactly those for which
// policy.Decide(s, a, r).Allowed holds, in id order. The policy's
// [ownership.Policy.Filter] becomes the WHERE clause of the query
// (see [Where]), so the database finds the page through its indexes.
//
// next is the page after this one, or the zero Page if there is none.
func (s *Store) List(ctx context.Context, policy *ownership.Policy, subject ownership.Subject, a ownership.Action, recordType string, page Page) (recs []ownership.Record, next Page, err error) {
	return s.ListMatching(ctx, policy.Filter(subject, a, recordType), page)
}

// ListMatching is [Store.List] for a predicate: one page of the records
// that p matches.
func (s *Store) ListMatching(ctx context.Context, p ownership.Predicate, page Page) (recs []ownership.Record, next Page, err error) {
	if err := ctx.Err(); err != nil {
		return nil, Page{}, err
	}
	query, args, limit, err := s.listQuery(p, page)
	if err != nil {
		return nil, Page{}, err
	}
	if query == "" {
		return nil, Page{}, nil
	}
	rows, err := s.conn().Query(ctx, query, args...)
	if err != nil {
		return nil, Page{}, s.fail(ctx, "list "+p.Type(), err)
	}
	recs, err = scanRecords(rows)
	if err != nil {
		return nil, Page{}, s.fail(ctx, "list "+p.Type(), err)
	}
	if len(recs) > limit {
		recs = recs[:limit]
		next = Page{After: recs[limit-1].Ref.ID, Limit: page.Limit}
	}
	return recs, next, nil
}

// listQuery builds the statement of ListMatching, which fetches one record
// more than the page holds to learn whether another page follows; "" when
// nothing can match. It is the statement whose plan the tests examine.
func (s *Store) listQuery(p ownership.Predicate, page Page) (query string, args []any, limit int, err error) {
	switch {
	case page.Limit < 0:
		return "", nil, 0, fmt.Errorf("%w: sqlstore: page limit %d", ownership.ErrInvalid, page.Limit)
	case page.Limit == 0:
		limit = DefaultPageSize
	default:
		limit = min(page.Limit, MaxPageSize)
	}
	if !storable(page.After) {
		return "", nil, 0, fmt.Errorf("%w: sqlstore: page after %q", ownership.ErrInvalid, page.After)
	}
	cond, args, err := where(p, s.d, 0, page.After)
	if err != nil {
		return "", nil, 0, err
	}
	if cond == "FALSE" {
		return "", nil, limit, nil
	}
	inner := `SELECT r.type, r.id, r.parent_type, r.parent_id, r.mode, r.version, r.fields, r.tenant, r.queue
		FROM ownership_records r
		WHERE ` + cond
	if branches := orBranches(p.Cond()); len(branches) > 1 {
		// A union of one ordered, limited scan per branch, merged by id
		// under the same keyset: each branch reads its own index (the
		// subject's entries, the unassigned records) from the page's
		// bound on, instead of one walk of the primary key testing the
		// whole condition row by row.
		args = args[:0]
		var parts []string
		for _, c := range branches {
			bcond, bargs, err := whereCond(p, c, s.d, len(args), page.After)
			if err != nil {
				return "", nil, 0, err
			}
			args = append(args, bargs...)
			args = append(args, limit+1)
			parts = append(parts, `SELECT * FROM (SELECT r.type, r.id, r.parent_type, r.parent_id, r.mode, r.version, r.fields, r.tenant, r.queue
				FROM ownership_records r WHERE `+bcond+` ORDER BY r.id LIMIT `+s.d.placeholder(len(args))+`) b`+strconv.Itoa(len(parts)))
		}
		inner = `SELECT * FROM (` + strings.Join(parts, " UNION ") + `) r`
	}
	args = append(args, limit+1)
	query = `SELECT ` + recordColumns + ` FROM (
		` + inner + `
		ORDER BY r.id LIMIT ` + s.d.placeholder(len(args)) + `
	) r` + entriesJoin + `
	ORDER BY r.id, e.position`
	return query, args, limit, nil
}

// orBranches splits a disjunction into the branches that List scans apart:
// the entry conditions of one user stay together (one subquery on the
// by-user index answers "owned or followed by u"), every other argument
// is a branch of its own. A condition that is not a disjunction, or one
// with more branches than is worth scanning apart, is one branch.
func orBranches(c ownership.Cond) []ownership.Cond {
	if c.Op != ownership.OpOr || len(c.Args) < 2 {
		return []ownership.Cond{c}
	}
	var out []ownership.Cond
	entries := map[ownership.UserID]int{} // user -> index in out
	for _, a := range c.Args {
		if a.Op == ownership.OpOwnedBy || a.Op == ownership.OpFollowedBy {
			if i, ok := entries[a.User]; ok {
				out[i] = ownership.Or(out[i], a)
				continue
			}
			entries[a.User] = len(out)
		}
		out = append(out, a)
	}
	if len(out) > 4 {
		return []ownership.Cond{c}
	}
	return out
}
