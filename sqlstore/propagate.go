package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ownershipkit/ownership"
)

var _ ownership.DescendantSyncer = (*Store)(nil)

// syncBatch is how many descendants one round of SyncDescendants reads and
// writes: a few statements for the whole batch.
const syncBatch = 1000

// SyncDescendants implements [ownership.DescendantSyncer]. The synced
// descendants of root are found by a recursive query on the parent index
// and handled in batches of 1,000 in ref order: one statement reads a
// batch with its lists; for the records whose entries differ from l, one
// transaction updates them all on their versions (UPDATE ... WHERE
// (type, id, version) IN (...)), rewrites their entries with multi-row
// INSERTs, and appends their events to the outbox. A batch is a handful of
// round trips, not eight per record.
func (s *Store) SyncDescendants(ctx context.Context, root ownership.Ref, src ownership.Record, at time.Time) (ownership.BulkSync, error) {
	return s.syncDescendants(ctx, root, src, at, true)
}

// syncDescendants is SyncDescendants, writing the events to the outbox
// only if withEvents.
func (s *Store) syncDescendants(ctx context.Context, root ownership.Ref, src ownership.Record, at time.Time, withEvents bool) (ownership.BulkSync, error) {
	var res ownership.BulkSync
	l := src.Ownership
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if !root.Valid() || !storableRef(root) {
		return res, nil
	}
	if err := checkRecord(ownership.Record{Ref: root, Ownership: l}); err != nil {
		return res, err
	}
	refs, err := s.descendantRefs(ctx, root, src.Tenant)
	if err != nil {
		return res, err
	}
	for start := 0; start < len(refs); start += syncBatch {
		part := refs[start:min(start+syncBatch, len(refs))]
		batch, err := s.records(ctx, part)
		if err != nil {
			return res, err
		}
		pos := make(map[ownership.Ref]int, len(part))
		for i, r := range part {
			pos[r] = i
		}
		slices.SortFunc(batch, func(a, b ownership.Record) int { return pos[a.Ref] - pos[b.Ref] })
		var stale []ownership.Record
		for _, r := range batch {
			if r.Mode != ownership.SyncWithParent {
				continue // switched to independent since listed
			}
			if sameEntries(r.Ownership, l) {
				res.Unchanged++
			} else {
				stale = append(stale, r)
			}
		}
		if len(stale) > 0 {
			events, conflicts, err := s.syncBatch(ctx, stale, src, at, withEvents)
			res.Events = append(res.Events, events...)
			res.Conflicts += conflicts
			if err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// sameEntries reports whether a and b hold the same entries, details
// included, in any order, and the same queue.
func sameEntries(a, b ownership.List) bool {
	if a.Len() != b.Len() || a.Queue() != b.Queue() {
		return false
	}
	want := make(map[ownership.UserID]ownership.Entry, b.Len())
	for e := range b.All() {
		want[e.UserID] = e
	}
	for e := range a.All() {
		if w, ok := want[e.UserID]; !ok || w != e {
			return false
		}
	}
	return true
}

// descendantRefs lists root's synced descendants in tenant in one
// recursive query on the parent index, in the order a walk level by level
// visits them (the children of each record in ref order, after those of
// the records before it), which is the order the Manager's
// record-by-record propagation writes them in. A descendant in another
// tenant is never one: ownership does not cross tenants, so the walk
// stops at it and at everything below it.
func (s *Store) descendantRefs(ctx context.Context, root ownership.Ref, tenant ownership.TenantID) ([]ownership.Ref, error) {
	// UNION (not UNION ALL) ends the recursion on a parent chain that
	// loops.
	rows, err := s.conn().Query(ctx, s.q(`WITH RECURSIVE d(type, id, parent_type, parent_id, tenant) AS (
			SELECT type, id, parent_type, parent_id, tenant FROM ownership_records
			WHERE tenant = $3 AND parent_type = $1 AND parent_id = $2 AND parent_type <> '' AND mode = 1
			UNION
			SELECT c.type, c.id, c.parent_type, c.parent_id, c.tenant FROM d JOIN ownership_records c
				ON c.tenant = d.tenant AND c.parent_type = d.type AND c.parent_id = d.id
			WHERE c.parent_type <> '' AND c.mode = 1
		)
		SELECT type, id, parent_type, parent_id FROM d ORDER BY type, id`), root.Type, root.ID, string(tenant))
	if err != nil {
		return nil, s.fail(ctx, "descendants of "+root.String(), err)
	}
	defer rows.Close()
	children := map[ownership.Ref][]ownership.Ref{}
	for rows.Next() {
		var r, p ownership.Ref
		if err := rows.Scan(&r.Type, &r.ID, &p.Type, &p.ID); err != nil {
			return nil, s.fail(ctx, "descendants of "+root.String(), err)
		}
		children[p] = append(children[p], r) // in ref order, as read
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "descendants of "+root.String(), err)
	}
	var out []ownership.Ref
	seen := map[ownership.Ref]bool{root: true}
	for level := []ownership.Ref{root}; len(level) > 0; {
		var next []ownership.Ref
		for _, p := range level {
			for _, c := range children[p] {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return out, nil
}

// records reads the records refs names, with their lists, in one
// statement, in ref order; refs that name no record are left out.
func (s *Store) records(ctx context.Context, refs []ownership.Ref) ([]ownership.Record, error) {
	set, args := s.refSet(refs, 1)
	rows, err := s.conn().Query(ctx, `SELECT `+recordColumns+` FROM ownership_records r`+entriesJoin+`
		WHERE (r.type, r.id) IN `+set+` ORDER BY r.type, r.id, e.position`, args...)
	if err != nil {
		return nil, s.fail(ctx, "read records", err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, s.fail(ctx, "read records", err)
	}
	return recs, nil
}

// syncBatch writes src's list to the records of stale, each on the version
// it was read at, in one transaction that finds src still at its version,
// and returns the events of those written and how many were not (changed
// since, or all of them when src has).
func (s *Store) syncBatch(ctx context.Context, stale []ownership.Record, src ownership.Record, at time.Time, withEvents bool) ([]ownership.Event, int, error) {
	l := src.Ownership
	read := make(map[ownership.Ref]ownership.Record, len(stale))
	order := make(map[ownership.Ref]int, len(stale)) // stale's order, which events keep
	for i, r := range stale {
		read[r.Ref] = r
		order[r.Ref] = i
	}
	var events []ownership.Event
	err := s.inTx(ctx, "sync descendants", func(tx execer) error {
		events = events[:0]
		// The list must still be src's: a newer change of src would
		// otherwise be overwritten by this older one. FOR SHARE holds src
		// until the batch commits, so a change of it orders after.
		lock := ""
		if s.d == Postgres {
			lock = " FOR SHARE"
		}
		var v int64
		err := tx.QueryRow(ctx, s.q(`SELECT version FROM ownership_records WHERE type = $1 AND id = $2`+lock), src.Ref.Type, src.Ref.ID).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) || err == nil && uint64(v) != src.Version {
			return nil // src moved on: every record of the batch is a conflict
		}
		if err != nil {
			return err
		}
		// The versioned update: only rows still at the version read.
		set, args := s.versionSet(stale, 3)
		// Not through s.q: the set's JSON paths hold a '$'. The version
		// test also keeps out a record moved to another tenant since the
		// walk read it: moving it took a new version.
		rows, err := tx.Query(ctx, `UPDATE ownership_records SET version = version + 1, has_owner = `+s.d.placeholder(1)+`, queue = `+s.d.placeholder(2)+`
			WHERE mode = 1 AND (type, id, version) IN (SELECT t, i, v FROM `+set+` vs) RETURNING type, id, version`,
			append([]any{!l.Unassigned(), string(l.Queue())}, args...)...)
		if err != nil {
			return err
		}
		versions, err := scanVersions(rows)
		if err != nil {
			return err
		}
		var written []ownership.Record
		for _, r := range stale {
			if v, ok := versions[r.Ref]; ok {
				r.Version = v
				written = append(written, r)
			}
		}
		if len(written) == 0 {
			return nil
		}
		if err := s.replaceEntries(ctx, tx, written, l); err != nil {
			return err
		}
		for _, r := range written {
			events = append(events, ownership.Event{
				Kind: ownership.EventSynced, Record: r.Ref, Before: r.Ownership, After: l,
				Mode: ownership.SyncWithParent, Version: r.Version, At: at,
				Assigned: l.OwnersAdded(r.Ownership),
			})
		}
		slices.SortFunc(events, func(a, b ownership.Event) int { return order[a.Record] - order[b.Record] })
		if !withEvents {
			return nil
		}
		return s.appendEvents(ctx, tx, events)
	})
	if err != nil {
		return nil, 0, err
	}
	return events, len(stale) - len(events), nil
}

// replaceEntries gives every record of recs the list l: one DELETE of
// their entries, then multi-row INSERTs.
func (s *Store) replaceEntries(ctx context.Context, tx execer, recs []ownership.Record, l ownership.List) error {
	if err := s.deleteEntries(ctx, tx, recs); err != nil {
		return err
	}
	entries := userEntries(l)
	if len(entries) == 0 {
		return nil
	}
	// The list once, crossed with the set of records: a few parameters in
	// all rather than eight an entry.
	var list strings.Builder
	largs := make([]any, 0, 6*len(entries))
	for pos, e := range entries {
		if pos > 0 {
			list.WriteString(" UNION ALL ")
		}
		n := len(largs)
		fmt.Fprintf(&list, "SELECT %s AS user_id, CAST(%s AS INTEGER) AS position, CAST(%s AS INTEGER) AS role, %s AS email, %s AS given_name, %s AS last_name",
			s.d.keyParam(n+1), s.d.placeholder(n+2), s.d.placeholder(n+3), s.d.placeholder(n+4), s.d.placeholder(n+5), s.d.placeholder(n+6))
		largs = append(largs, string(e.UserID), pos, int(e.Role), e.Email, e.GivenName, e.LastName)
	}
	refs := make([]ownership.Ref, len(recs))
	for i, r := range recs {
		refs[i] = r.Ref
	}
	set, rargs := s.refSet(refs, len(largs)+1)
	_, err := tx.Exec(ctx, `INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name)
		SELECT r.t, r.i, u.user_id, u.position, u.role, u.email, u.given_name, u.last_name
		FROM `+set+` r CROSS JOIN (`+list.String()+`) u`, append(largs, rargs...)...)
	return err
}

// insertRows runs prefix with rows as its VALUES, as many rows a statement
// as the parameter limit allows.
func (s *Store) insertRows(ctx context.Context, tx execer, prefix string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	step := s.rowsPerStatement(len(rows[0]))
	for start := 0; start < len(rows); start += step {
		chunk := rows[start:min(start+step, len(rows))]
		var b strings.Builder
		b.WriteString(prefix)
		args := make([]any, 0, len(chunk)*len(chunk[0]))
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(s.d.placeholder(len(args) + j + 1))
			}
			b.WriteByte(')')
			args = append(args, row...)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// rowsPerStatement is how many rows of cols values one multi-row statement
// takes: as many as keep it under the database's limit on parameters
// (65,535 on PostgreSQL; on SQLite, whose pure-Go driver binds many
// parameters slowly, a few thousand), at most 5,000.
func (s *Store) rowsPerStatement(cols int) int {
	limit := 60000
	if s.d == SQLite {
		limit = 2000
	}
	return max(1, min(5000, limit/max(1, cols)))
}

// scanVersions reads rows of (type, id, version), as the RETURNING clause
// of a write gives them, and closes them.
func scanVersions(rows Rows) (map[ownership.Ref]uint64, error) {
	defer rows.Close()
	out := map[ownership.Ref]uint64{}
	for rows.Next() {
		var ref ownership.Ref
		var v int64
		if err := rows.Scan(&ref.Type, &ref.ID, &v); err != nil {
			return nil, err
		}
		out[ref] = uint64(v)
	}
	return out, rows.Err()
}

// deleteEntries deletes the entries of recs in one statement.
func (s *Store) deleteEntries(ctx context.Context, tx execer, recs []ownership.Record) error {
	refs := make([]ownership.Ref, len(recs))
	for i, r := range recs {
		refs[i] = r.Ref
	}
	set, args := s.refSet(refs, 1)
	_, err := tx.Exec(ctx, `DELETE FROM ownership_entries WHERE (record_type, record_id) IN `+set, args...)
	return err
}

// refSet returns a parenthesised set of the (type, id) pairs of refs, to
// follow IN, with its arguments numbered from first: on PostgreSQL two
// array parameters (unnest), which it plans and binds far faster than
// thousands of values; on SQLite one JSON array (json_each).
func (s *Store) refSet(refs []ownership.Ref, first int) (string, []any) {
	if s.d == Postgres {
		types := make([]string, len(refs))
		ids := make([]string, len(refs))
		for i, r := range refs {
			types[i], ids[i] = r.Type, r.ID
		}
		return fmt.Sprintf(`(SELECT t, i FROM unnest($%d::text[], $%d::text[]) AS x (t, i))`, first, first+1), []any{types, ids}
	}
	// SQLite: one JSON parameter, read back by json_each; its pure-Go
	// driver binds many parameters slowly.
	pairs := make([][2]string, len(refs))
	for i, r := range refs {
		pairs[i] = [2]string{r.Type, r.ID}
	}
	j, _ := json.Marshal(pairs) // strings only: cannot fail
	return fmt.Sprintf(`(SELECT json_extract(value, '$[0]') AS t, json_extract(value, '$[1]') AS i FROM json_each(%s))`, s.d.placeholder(first)), []any{string(j)}
}

// versionSet is refSet with each record's version: columns t, i and v.
func (s *Store) versionSet(recs []ownership.Record, first int) (string, []any) {
	if s.d == Postgres {
		types := make([]string, len(recs))
		ids := make([]string, len(recs))
		vers := make([]int64, len(recs))
		for i, r := range recs {
			types[i], ids[i], vers[i] = r.Ref.Type, r.Ref.ID, int64(r.Version)
		}
		return fmt.Sprintf(`(SELECT t, i, v FROM unnest($%d::text[], $%d::text[], $%d::bigint[]) AS x (t, i, v))`, first, first+1, first+2), []any{types, ids, vers}
	}
	rows := make([][3]any, len(recs))
	for i, r := range recs {
		rows[i] = [3]any{r.Ref.Type, r.Ref.ID, int64(r.Version)}
	}
	j, _ := json.Marshal(rows) // strings and integers only: cannot fail
	return fmt.Sprintf(`(SELECT json_extract(value, '$[0]') AS t, json_extract(value, '$[1]') AS i, json_extract(value, '$[2]') AS v FROM json_each(%s))`, s.d.placeholder(first)), []any{string(j)}
}
