package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"strings"
	"time"

	"github.com/ownershipkit/ownership"
)

// ImportOptions tune [Store.Import]. The zero value writes a created event
// for every record imported, stamped with time.Now.
type ImportOptions struct {
	// NoEvents imports without events: for a first load of existing data,
	// whose owners need no notification.
	NoEvents bool
	// Now stamps the events; nil means time.Now.
	Now func() time.Time
}

// ImportReport says what an import stored and what it refused.
type ImportReport struct {
	// Imported counts the records stored.
	Imported int
	// Refused lists the records not stored, each with the reason: an error
	// wrapping [ownership.ErrInvalid] (a malformed record, or one given
	// twice) or [ownership.ErrConflict] (a record that exists already).
	Refused []ImportRefusal
	// Synced counts the records synced with their parent whose list was
	// replaced by the parent's effective ownership.
	Synced int
}

// ImportRefusal is a record an import did not store.
type ImportRefusal struct {
	Ref ownership.Ref
	Err error
}

// importBatch is how many records one transaction of an import stores.
const importBatch = 5000

// Import stores many new records with their lists at bulk speed, for
// adopting the library on existing data: on PostgreSQL each batch of
// 5,000 records is a few statements whose values travel as arrays
// (INSERT ... SELECT FROM unnest(...)), on SQLite multi-row INSERTs; each
// batch is one transaction. Records are created at version 1 (or after
// the version of a deleted record of the same ref), with a created event
// each in the outbox unless opt.NoEvents.
//
// A malformed record, one given twice, or one that exists already is not
// stored and is listed in the report with the reason; the others are. A
// record synced with its parent gets its parent's effective ownership, not
// the list it was given, once its batch is stored (with a synced event),
// so that an import never grants more than the parent does; its parent
// must exist by then, else it keeps an empty list and is reported.
//
// The returned error is for a failure that stopped the import (the
// database, a cancelled context); the records of the batches committed
// before it stay.
func (s *Store) Import(ctx context.Context, records iter.Seq[ownership.Record], opt ImportOptions) (ImportReport, error) {
	var rep ImportReport
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	seen := map[ownership.Ref]bool{}
	var batch []ownership.Record
	parents := map[ownership.Ref]bool{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		stored, exists, err := s.importBatch(ctx, batch, opt.NoEvents, now())
		if err != nil {
			return err
		}
		rep.Imported += stored
		for _, ref := range exists {
			rep.Refused = append(rep.Refused, ImportRefusal{Ref: ref, Err: fmt.Errorf("%w: record %s already exists", ownership.ErrConflict, ref)})
		}
		batch = batch[:0]
		return nil
	}
	for r := range records {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := checkRecord(r); err != nil {
			rep.Refused = append(rep.Refused, ImportRefusal{Ref: r.Ref, Err: err})
			continue
		}
		if r.Mode == ownership.SyncWithParent && r.Parent.IsZero() {
			rep.Refused = append(rep.Refused, ImportRefusal{Ref: r.Ref, Err: fmt.Errorf("%w: record %s is synced with its parent but has none", ownership.ErrInvalid, r.Ref)})
			continue
		}
		if seen[r.Ref] {
			rep.Refused = append(rep.Refused, ImportRefusal{Ref: r.Ref, Err: fmt.Errorf("%w: record %s is given twice", ownership.ErrInvalid, r.Ref)})
			continue
		}
		seen[r.Ref] = true
		if r.Mode == ownership.SyncWithParent {
			parents[r.Parent] = true
			r.Ownership = ownership.List{} // until its parent's list is copied
		}
		batch = append(batch, r)
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	// Synced records take their parents' effective lists, set-based.
	for parent := range parents {
		src, err := s.ownershipSource(ctx, parent)
		if errors.Is(err, ownership.ErrNotFound) {
			rep.Refused = append(rep.Refused, ImportRefusal{Ref: parent, Err: fmt.Errorf("%w: parent %s of synced records does not exist; they keep an empty list", ownership.ErrNotFound, parent)})
			continue
		}
		if err != nil {
			return rep, err
		}
		res, err := s.syncDescendants(ctx, parent, src, now(), !opt.NoEvents)
		rep.Synced += len(res.Events)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// ownershipSource returns the record whose own list is the effective
// ownership of the record ref names: it, or its nearest independent
// ancestor.
func (s *Store) ownershipSource(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	for range 1000 {
		r, err := s.Get(ctx, ref)
		if err != nil {
			return ownership.Record{}, err
		}
		if r.Mode != ownership.SyncWithParent {
			return r, nil
		}
		if r.Parent.IsZero() {
			return ownership.Record{}, fmt.Errorf("%w: %s is synced with its parent but has none", ownership.ErrNotFound, ref)
		}
		ref = r.Parent
	}
	return ownership.Record{}, fmt.Errorf("%w: the parent chain above %s loops", ownership.ErrInvalid, ref)
}

// importBatch stores the records of batch that do not exist yet, in one
// transaction, and returns how many it stored and the refs that existed.
func (s *Store) importBatch(ctx context.Context, batch []ownership.Record, noEvents bool, at time.Time) (int, []ownership.Ref, error) {
	var stored int
	var exists []ownership.Ref
	err := s.inTx(ctx, "import", func(tx execer) error {
		stored, exists = 0, exists[:0]
		versions, err := s.insertNew(ctx, tx, batch)
		if err != nil {
			return err
		}
		var created []ownership.Record
		for _, r := range batch {
			v, ok := versions[r.Ref]
			if !ok {
				exists = append(exists, r.Ref)
				continue
			}
			r.Version = v
			created = append(created, r)
		}
		stored = len(created)
		if len(created) == 0 {
			return nil
		}
		var rows [][]any
		for _, r := range created {
			for pos, e := range userEntries(r.Ownership) {
				rows = append(rows, []any{r.Ref.Type, r.Ref.ID, string(e.UserID), pos, int(e.Role), e.Email, e.GivenName, e.LastName})
			}
		}
		if len(rows) > 0 {
			if err := s.insertRows(ctx, tx, `INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name) VALUES `, rows); err != nil {
				return err
			}
		}
		if noEvents {
			return nil
		}
		events := make([]ownership.Event, 0, len(created))
		for _, r := range created {
			events = append(events, ownership.Event{Kind: ownership.EventCreated, Record: r.Ref, After: r.Ownership,
				Mode: r.Mode, Version: r.Version, At: at, Assigned: r.Ownership.OwnersAdded(ownership.List{})})
		}
		return s.appendEvents(ctx, tx, events)
	})
	return stored, exists, err
}

// insertNew inserts the records of batch that do not exist, at version 1,
// or after the version of their tombstone (which it removes), and returns
// the versions of those it inserted.
func (s *Store) insertNew(ctx context.Context, tx execer, batch []ownership.Record) (map[ownership.Ref]uint64, error) {
	out := make(map[ownership.Ref]uint64, len(batch))
	step := s.rowsPerStatement(9)
	for start := 0; start < len(batch); start += step {
		chunk := batch[start:min(start+step, len(batch))]
		rows := make([][]any, 0, len(chunk))
		for _, r := range chunk {
			fields, err := encodeJSON(r.Fields, len(r.Fields) == 0)
			if err != nil {
				return nil, fmt.Errorf("%w: record %s: fields: %v", ownership.ErrInvalid, r.Ref, err)
			}
			rows = append(rows, []any{r.Ref.Type, r.Ref.ID, r.Parent.Type, r.Parent.ID, int(r.Mode), !r.Ownership.Unassigned(), fields,
				string(r.Tenant), string(r.Ownership.Queue())})
		}
		q, args := s.valuesList(rows, []string{"TEXT", "TEXT", "TEXT", "TEXT", "INTEGER", "BOOLEAN", s.d.jsonType(), "TEXT", "TEXT"})
		res, err := tx.Query(ctx, `INSERT INTO ownership_records (type, id, parent_type, parent_id, mode, has_owner, fields, tenant, queue, version)
			SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, 1
			FROM (`+q+`) v
			WHERE TRUE -- SQLite: so that ON CONFLICT is not read as a join's ON
			ON CONFLICT (type, id) DO NOTHING
			RETURNING type, id, version`, args...)
		if err != nil {
			return nil, err
		}
		versions, err := scanVersions(res)
		if err != nil {
			return nil, err
		}
		if len(versions) == 0 {
			continue
		}
		// A record created again continues the versions of a deleted one.
		// The tombstone is read in a statement after the INSERT, which may
		// have waited for a Delete of the ref to commit: only a later
		// statement sees the tombstone that Delete wrote.
		inserted := make([]ownership.Record, 0, len(versions))
		for ref := range versions {
			inserted = append(inserted, ownership.Record{Ref: ref})
		}
		var b strings.Builder
		b.WriteString(`UPDATE ownership_records SET version = t.version + 1
			FROM ownership_tombstones t
			WHERE ownership_records.type = t.type AND ownership_records.id = t.id
			AND (t.type, t.id) IN (VALUES `)
		targs := make([]any, 0, 2*len(inserted))
		for i, r := range inserted {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, %s)", s.d.keyParam(len(targs)+1), s.d.keyParam(len(targs)+2))
			targs = append(targs, r.Ref.Type, r.Ref.ID)
		}
		b.WriteString(`) RETURNING ownership_records.type, ownership_records.id, ownership_records.version`)
		res, err = tx.Query(ctx, b.String(), targs...)
		if err != nil {
			return nil, err
		}
		continued, err := scanVersions(res)
		if err != nil {
			return nil, err
		}
		maps.Copy(versions, continued)
		maps.Copy(out, versions)
		if len(continued) > 0 {
			var del strings.Builder
			del.WriteString(`DELETE FROM ownership_tombstones WHERE (type, id) IN (VALUES `)
			dargs := make([]any, 0, 2*len(continued))
			for ref := range continued {
				if len(dargs) > 0 {
					del.WriteString(", ")
				}
				fmt.Fprintf(&del, "(%s, %s)", s.d.keyParam(len(dargs)+1), s.d.keyParam(len(dargs)+2))
				dargs = append(dargs, ref.Type, ref.ID)
			}
			del.WriteByte(')')
			if _, err := tx.Exec(ctx, del.String(), dargs...); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// valuesList returns a VALUES list of rows whose columns are named
// column1, column2... in both dialects, each cast to its type in types
// (parameters in a VALUES list have no column to take a type from), with
// its arguments.
func (s *Store) valuesList(rows [][]any, types []string) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(rows)*len(types))
	b.WriteString("VALUES ")
	for i, row := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			args = append(args, v)
			fmt.Fprintf(&b, "CAST(%s AS %s)", s.d.placeholder(len(args)), types[j])
		}
		b.WriteByte(')')
	}
	return b.String(), args
}
