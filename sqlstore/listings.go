package sqlstore

import (
	"context"
	"iter"

	"github.com/ownershipkit/ownership"
)

var _ ownership.UserLister = (*Store)(nil)

// Batch sizes of the listings: each batch is one statement, after which
// the rows are closed before anything is yielded, so the loop body may
// use the store (even a SQLite store with a single connection).
const (
	childrenBatch  = 256
	recordsOfBatch = 5000
	usersBatch     = 1000
	syncedBatch    = 256
)

// batched yields the items that fetch returns, batch after batch, until a
// batch comes back shorter than size. fetch gets the last item of the
// previous batch (nil for the first) to continue after it. The context is
// checked before every item, so a cancelled loop ends with ctx.Err().
func batched[T any](ctx context.Context, size int, fetch func(after *T) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var after *T
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			items, err := fetch(after)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
				if !yield(it, nil) {
					return
				}
			}
			if len(items) < size {
				return
			}
			after = &items[len(items)-1]
		}
	}
}

// Children implements [ownership.ChildLister]: the records whose parent is
// parent, in ref order. Records are read in batches, each one statement:
// a record never comes twice, and one that moves while the loop runs may
// be seen in its old or new place.
func (s *Store) Children(ctx context.Context, parent ownership.Ref) iter.Seq2[ownership.Record, error] {
	return batched(ctx, childrenBatch, func(after *ownership.Record) ([]ownership.Record, error) {
		if !parent.Valid() || !storableRef(parent) {
			return nil, nil
		}
		args := []any{parent.Type, parent.ID, childrenBatch}
		cond := ""
		if after != nil {
			cond = ` AND (type, id) > ($4, $5)`
			args = append(args, after.Ref.Type, after.Ref.ID)
		}
		rows, err := s.conn().Query(ctx, s.q(`SELECT `+recordColumns+` FROM (
				SELECT `+recordRowColumns+` FROM ownership_records
				WHERE parent_type = $1 AND parent_id = $2 AND parent_type <> ''`+cond+`
				ORDER BY type, id LIMIT $3
			) r`+entriesJoin+`
			ORDER BY r.type, r.id, e.position`), args...)
		if err != nil {
			return nil, s.fail(ctx, "children of "+parent.String(), err)
		}
		recs, err := scanRecords(rows)
		if err != nil {
			return nil, s.fail(ctx, "children of "+parent.String(), err)
		}
		return recs, nil
	})
}

// RecordsOf implements [ownership.UserRecords]: the refs of the records
// whose list names user, in ref order, read in batches as [Store.Children]
// reads.
func (s *Store) RecordsOf(ctx context.Context, user ownership.UserID) iter.Seq2[ownership.Ref, error] {
	return batched(ctx, recordsOfBatch, func(after *ownership.Ref) ([]ownership.Ref, error) {
		if user == "" || !storable(string(user)) {
			return nil, nil
		}
		args := []any{string(user), recordsOfBatch}
		cond := ""
		if after != nil {
			cond = ` AND (record_type, record_id) > ($3, $4)`
			args = append(args, after.Type, after.ID)
		}
		rows, err := s.conn().Query(ctx, s.q(`SELECT record_type, record_id FROM ownership_entries
			WHERE user_id = $1`+cond+`
			ORDER BY record_type, record_id LIMIT $2`), args...)
		if err != nil {
			return nil, s.fail(ctx, "records of "+string(user), err)
		}
		defer rows.Close()
		var out []ownership.Ref
		for rows.Next() {
			var r ownership.Ref
			if err := rows.Scan(&r.Type, &r.ID); err != nil {
				return nil, s.fail(ctx, "records of "+string(user), err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return nil, s.fail(ctx, "records of "+string(user), err)
		}
		return out, nil
	})
}

// CountOwned implements [ownership.UserRecords] with a count over the
// by-user index.
func (s *Store) CountOwned(ctx context.Context, user ownership.UserID, recordType string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if user == "" || !storable(string(user)) || !storable(recordType) {
		return 0, nil
	}
	query := `SELECT COUNT(*) FROM ownership_entries WHERE user_id = $1 AND role = 2`
	args := []any{string(user)}
	if recordType != "" {
		query += ` AND record_type = $2`
		args = append(args, recordType)
	}
	var n int
	if err := s.conn().QueryRow(ctx, s.q(query), args...).Scan(&n); err != nil {
		return 0, s.fail(ctx, "count records of "+string(user), err)
	}
	return n, nil
}

// Users implements [ownership.UserLister]: every user of the directory, in
// id order (byte order), read in batches as [Store.Children] reads, so
// that [ownership.Policy.WhoIn] can answer over the store.
func (s *Store) Users(ctx context.Context) iter.Seq2[ownership.User, error] {
	return batched(ctx, usersBatch, func(after *ownership.User) ([]ownership.User, error) {
		args := []any{usersBatch}
		cond := ""
		if after != nil {
			cond = ` WHERE id > $2`
			args = append(args, string(after.ID))
		}
		rows, err := s.conn().Query(ctx, s.q(`SELECT `+userColumns+` FROM ownership_users`+cond+`
			ORDER BY id LIMIT $1`), args...)
		if err != nil {
			return nil, s.fail(ctx, "users", err)
		}
		us, err := scanUsers(rows)
		if err != nil {
			return nil, s.fail(ctx, "users", err)
		}
		return us, nil
	})
}

// Synced lists the records that sync their ownership with their parent,
// in ref order, read in batches as [Store.Children] reads: the listing
// [ownership.Manager.Reconcile] needs to repair the whole store, without
// the independent records it would pass over. It scans the records
// table.
func (s *Store) Synced(ctx context.Context) iter.Seq2[ownership.Record, error] {
	return batched(ctx, syncedBatch, func(after *ownership.Record) ([]ownership.Record, error) {
		args := []any{int(ownership.SyncWithParent), syncedBatch}
		cond := ""
		if after != nil {
			cond = ` AND (type, id) > ($3, $4)`
			args = append(args, after.Ref.Type, after.Ref.ID)
		}
		rows, err := s.conn().Query(ctx, s.q(`SELECT `+recordColumns+` FROM (
				SELECT `+recordRowColumns+` FROM ownership_records
				WHERE mode = $1`+cond+`
				ORDER BY type, id LIMIT $2
			) r`+entriesJoin+`
			ORDER BY r.type, r.id, e.position`), args...)
		if err != nil {
			return nil, s.fail(ctx, "synced records", err)
		}
		recs, err := scanRecords(rows)
		if err != nil {
			return nil, s.fail(ctx, "synced records", err)
		}
		return recs, nil
	})
}
