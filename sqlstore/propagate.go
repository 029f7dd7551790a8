package sqlstore

import (
	"cmp"
	"context"
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
func (s *Store) SyncDescendants(ctx context.Context, root ownership.Ref, l ownership.List, at time.Time) (ownership.BulkSync, error) {
	var res ownership.BulkSync
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if !root.Valid() || !storableRef(root) {
		return res, nil
	}
	if err := checkRecord(ownership.Record{Ref: root, Ownership: l}); err != nil {
		return res, err
	}
	var after *ownership.Ref
	for {
		batch, err := s.descendants(ctx, root, after)
		if err != nil {
			return res, err
		}
		var stale []ownership.Record
		for _, r := range batch {
			if sameEntries(r.Ownership, l) {
				res.Unchanged++
			} else {
				stale = append(stale, r)
			}
		}
		if len(stale) > 0 {
			events, conflicts, err := s.syncBatch(ctx, stale, l, at)
			res.Events = append(res.Events, events...)
			res.Conflicts += conflicts
			if err != nil {
				return res, err
			}
		}
		if len(batch) < syncBatch {
			return res, nil
		}
		after = &batch[len(batch)-1].Ref
	}
}

// sameEntries reports whether a and b hold the same entries, details
// included, in any order.
func sameEntries(a, b ownership.List) bool {
	if a.Len() != b.Len() {
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

// descendants reads the next batch of root's synced descendants, after
// the ref after (nil for the first), with their lists.
func (s *Store) descendants(ctx context.Context, root ownership.Ref, after *ownership.Ref) ([]ownership.Record, error) {
	args := []any{root.Type, root.ID, syncBatch}
	cond := ""
	if after != nil {
		cond = ` AND (r.type, r.id) > ($4, $5)`
		args = append(args, after.Type, after.ID)
	}
	// UNION (not UNION ALL) ends the recursion on a parent chain that
	// loops.
	rows, err := s.conn().QueryContext(ctx, s.q(`WITH RECURSIVE d(type, id) AS (
			SELECT type, id FROM ownership_records
			WHERE parent_type = $1 AND parent_id = $2 AND parent_type <> '' AND mode = 1
			UNION
			SELECT c.type, c.id FROM ownership_records c JOIN d ON c.parent_type = d.type AND c.parent_id = d.id
			WHERE c.parent_type <> '' AND c.mode = 1
		)
		SELECT `+recordColumns+` FROM (
			SELECT r.type, r.id, r.parent_type, r.parent_id, r.mode, r.version, r.fields
			FROM ownership_records r JOIN d ON r.type = d.type AND r.id = d.id
			WHERE NOT (r.type = $1 AND r.id = $2)`+cond+`
			ORDER BY r.type, r.id LIMIT $3
		) r`+entriesJoin+`
		ORDER BY r.type, r.id, e.position`), args...)
	if err != nil {
		return nil, s.fail(ctx, "descendants of "+root.String(), err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, s.fail(ctx, "descendants of "+root.String(), err)
	}
	return recs, nil
}

// syncBatch writes l to the records of stale, each on the version it was
// read at, in one transaction, and returns the events of those written and
// how many had changed since.
func (s *Store) syncBatch(ctx context.Context, stale []ownership.Record, l ownership.List, at time.Time) ([]ownership.Event, int, error) {
	read := make(map[ownership.Ref]ownership.Record, len(stale))
	for _, r := range stale {
		read[r.Ref] = r
	}
	var events []ownership.Event
	err := s.inTx(ctx, "sync descendants", func(tx execer) error {
		events = events[:0]
		// The versioned update: only rows still at the version read.
		var b strings.Builder
		b.WriteString(`UPDATE ownership_records SET version = version + 1, has_owner = `)
		b.WriteString(s.d.placeholder(1))
		b.WriteString(` WHERE mode = 1 AND (type, id, version) IN (VALUES `)
		args := []any{!l.Unassigned()}
		for i, r := range stale {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "(%s, %s, CAST(%s AS BIGINT))", s.d.keyParam(n+1), s.d.keyParam(n+2), s.d.placeholder(n+3))
			args = append(args, r.Ref.Type, r.Ref.ID, int64(r.Version))
		}
		b.WriteString(`) RETURNING type, id, version`)
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return err
		}
		var written []ownership.Record
		for rows.Next() {
			var ref ownership.Ref
			var v int64
			if err := rows.Scan(&ref.Type, &ref.ID, &v); err != nil {
				rows.Close()
				return err
			}
			r := read[ref]
			r.Version = uint64(v)
			written = append(written, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
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
		slices.SortFunc(events, func(a, b ownership.Event) int {
			return cmp.Or(strings.Compare(a.Record.Type, b.Record.Type), strings.Compare(a.Record.ID, b.Record.ID))
		})
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
	var b strings.Builder
	b.WriteString(`DELETE FROM ownership_entries WHERE (record_type, record_id) IN (VALUES `)
	args := make([]any, 0, 2*len(recs))
	for i, r := range recs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%s, %s)", s.d.keyParam(len(args)+1), s.d.keyParam(len(args)+2))
		args = append(args, r.Ref.Type, r.Ref.ID)
	}
	b.WriteByte(')')
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return err
	}
	entries := l.Entries()
	if len(entries) == 0 {
		return nil
	}
	var rows [][]any
	for _, r := range recs {
		for pos, e := range entries {
			rows = append(rows, []any{r.Ref.Type, r.Ref.ID, string(e.UserID), pos, int(e.Role), e.Email, e.GivenName, e.LastName})
		}
	}
	return s.insertRows(ctx, tx, `INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name) VALUES `, rows)
}

// insertRows runs prefix with rows as its VALUES, entriesPerInsert rows a
// statement.
func (s *Store) insertRows(ctx context.Context, tx execer, prefix string, rows [][]any) error {
	for start := 0; start < len(rows); start += entriesPerInsert {
		chunk := rows[start:min(start+entriesPerInsert, len(rows))]
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
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
