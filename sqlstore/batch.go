package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/ownershipkit/ownership"
)

var _ ownership.BatchStore = (*Store)(nil)

// GetMany implements [ownership.BatchStore]: the records refs name, read
// with their lists in one statement, in refs' order.
func (s *Store) GetMany(ctx context.Context, refs []ownership.Ref) ([]ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	valid := make([]ownership.Ref, 0, len(refs))
	pos := make(map[ownership.Ref]int, len(refs))
	for i, r := range refs {
		if r.Valid() && storableRef(r) {
			if _, dup := pos[r]; !dup {
				pos[r] = i
				valid = append(valid, r)
			}
		}
	}
	var out []ownership.Record
	step := s.manyBatch()
	for start := 0; start < len(valid); start += step {
		recs, err := s.records(ctx, valid[start:min(start+step, len(valid))])
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	slices.SortFunc(out, func(a, b ownership.Record) int { return pos[a.Ref] - pos[b.Ref] })
	return out, nil
}

// CompareAndSwapMany implements [ownership.BatchStore]: in one
// transaction, one UPDATE ... FROM (VALUES ...) writes every record still
// at its version and returns them, then their entries are rewritten with
// multi-row statements and their events appended to the outbox.
func (s *Store) CompareAndSwapMany(ctx context.Context, rs []ownership.Record, events []ownership.Event) ([]ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(events) != len(rs) && len(events) != 0 {
		return nil, fmt.Errorf("%w: %d records written with %d events", ownership.ErrInvalid, len(rs), len(events))
	}
	seen := make(map[ownership.Ref]int, len(rs))
	for i, r := range rs {
		if err := checkRecord(r); err != nil {
			return nil, err
		}
		if r.Version == 0 {
			return nil, fmt.Errorf("%w: record %s: CompareAndSwapMany does not create records", ownership.ErrInvalid, r.Ref)
		}
		if _, dup := seen[r.Ref]; dup {
			return nil, fmt.Errorf("%w: record %s given twice", ownership.ErrInvalid, r.Ref)
		}
		if len(events) > 0 && events[i].Record != r.Ref {
			return nil, fmt.Errorf("%w: event %d is for %s, not %s", ownership.ErrInvalid, i, events[i].Record, r.Ref)
		}
		seen[r.Ref] = i
	}
	var written []ownership.Record
	step := s.manyBatch()
	for start := 0; start < len(rs); start += step {
		end := min(start+step, len(rs))
		var evs []ownership.Event
		if len(events) > 0 {
			evs = events[start:end]
		}
		w, err := s.swapMany(ctx, rs[start:end], evs)
		if err != nil {
			return written, err
		}
		written = append(written, w...)
	}
	return written, nil
}

// swapMany is CompareAndSwapMany for one batch.
func (s *Store) swapMany(ctx context.Context, rs []ownership.Record, events []ownership.Event) ([]ownership.Record, error) {
	byRef := make(map[ownership.Ref]int, len(rs))
	rows := make([][]any, 0, len(rs))
	for i, r := range rs {
		byRef[r.Ref] = i
		fields, err := encodeJSON(r.Fields, len(r.Fields) == 0)
		if err != nil {
			return nil, fmt.Errorf("%w: record %s: fields: %v", ownership.ErrInvalid, r.Ref, err)
		}
		rows = append(rows, []any{r.Ref.Type, r.Ref.ID, int64(r.Version), r.Parent.Type, r.Parent.ID, int(r.Mode), !r.Ownership.Unassigned(), fields,
			string(r.Tenant), string(r.Ownership.Queue())})
	}
	var written []ownership.Record
	err := s.inTx(ctx, "write records", func(tx execer) error {
		written = written[:0]
		var from string
		var args []any
		if s.d == Postgres {
			// One array parameter a column, which PostgreSQL plans and
			// binds far faster than thousands of values.
			var (
				ts, ids, pts, pis []string
				tenants, queues   []string
				vers              []int64
				modes             []int32
				owned             []bool
				fields            []*string
			)
			for _, row := range rows {
				ts, ids, vers = append(ts, row[0].(string)), append(ids, row[1].(string)), append(vers, row[2].(int64))
				pts, pis, modes = append(pts, row[3].(string)), append(pis, row[4].(string)), append(modes, int32(row[5].(int)))
				owned = append(owned, row[6].(bool))
				var f *string
				if str, ok := row[7].(string); ok {
					f = &str
				}
				fields = append(fields, f)
				tenants, queues = append(tenants, row[8].(string)), append(queues, row[9].(string))
			}
			from = `unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::boolean[], $8::text[]::jsonb[], $9::text[], $10::text[])
				AS v (t, i, ver, pt, pi, m, h, f, tn, q)`
			args = []any{ts, ids, vers, pts, pis, modes, owned, fields, tenants, queues}
		} else {
			values, vargs := s.valuesList(rows, []string{"TEXT", "TEXT", "BIGINT", "TEXT", "TEXT", "INTEGER", "BOOLEAN", s.d.jsonType(), "TEXT", "TEXT"})
			from = `(SELECT column1 AS t, column2 AS i, column3 AS ver, column4 AS pt, column5 AS pi, column6 AS m, column7 AS h, column8 AS f,
				column9 AS tn, column10 AS q
				FROM (` + values + `) x) v`
			args = vargs
		}
		res, err := tx.Query(ctx, `UPDATE ownership_records
			SET parent_type = v.pt, parent_id = v.pi, mode = v.m, has_owner = v.h, fields = v.f, tenant = v.tn, queue = v.q,
				version = ownership_records.version + 1
			FROM `+from+`
			WHERE ownership_records.type = v.t AND ownership_records.id = v.i AND ownership_records.version = v.ver
			RETURNING ownership_records.type, ownership_records.id, ownership_records.version`, args...)
		if err != nil {
			return err
		}
		versions, err := scanVersions(res)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if v, ok := versions[r.Ref]; ok {
				r.Version = v
				written = append(written, r)
			}
		}
		if len(written) == 0 {
			return nil
		}
		if err := s.deleteEntries(ctx, tx, written); err != nil {
			return err
		}
		var ents [][]any
		for _, r := range written {
			for pos, e := range userEntries(r.Ownership) {
				ents = append(ents, []any{r.Ref.Type, r.Ref.ID, string(e.UserID), pos, int(e.Role), e.Email, e.GivenName, e.LastName})
			}
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name) VALUES `, ents); err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		evs := make([]ownership.Event, 0, len(written))
		for _, r := range written {
			e := events[byRef[r.Ref]]
			e.Version, e.After, e.Mode = r.Version, r.Ownership, r.Mode
			evs = append(evs, e)
		}
		return s.appendEvents(ctx, tx, evs)
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}

// WithSyncedChildren implements [ownership.BatchStore] with one query on
// the parent index per thousand refs.
func (s *Store) WithSyncedChildren(ctx context.Context, refs []ownership.Ref) ([]ownership.Ref, error) {
	var out []ownership.Ref
	step := s.manyBatch()
	for start := 0; start < len(refs); start += step {
		part := refs[start:min(start+step, len(refs))]
		valid := make([]ownership.Ref, 0, len(part))
		for _, r := range part {
			if r.Valid() && storableRef(r) {
				valid = append(valid, r)
			}
		}
		if len(valid) == 0 {
			continue
		}
		set, args := s.refSet(valid, 1)
		rows, err := s.conn().Query(ctx, `SELECT DISTINCT parent_type, parent_id FROM ownership_records
			WHERE parent_type <> '' AND mode = 1 AND (parent_type, parent_id) IN `+set, args...)
		if err != nil {
			return nil, s.fail(ctx, "records with synced children", err)
		}
		for rows.Next() {
			var r ownership.Ref
			if err := rows.Scan(&r.Type, &r.ID); err != nil {
				rows.Close()
				return nil, s.fail(ctx, "records with synced children", err)
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, s.fail(ctx, "records with synced children", err)
		}
	}
	return out, nil
}

// manyBatch is how many records one statement of the batch methods names:
// 5,000 on PostgreSQL, 1,000 on SQLite, whose pure-Go driver binds many
// parameters slowly.
func (s *Store) manyBatch() int {
	if s.d == SQLite {
		return 1000
	}
	return 5000
}
