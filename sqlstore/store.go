package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/ownershipkit/ownership"
)

// Store keeps records, their ownership lists and users in a SQL database.
// It implements [ownership.Store], and PutUser for filling the directory.
//
// A Store is safe for concurrent use by any number of goroutines, as the
// *sql.DB under it is. Every write is one transaction; a compare-and-swap
// is one conditional UPDATE, so that concurrent writers of one record are
// serialised by the database and exactly one of them wins each version.
//
// Create a Store with [New] and the schema with [Store.Migrate]. A Store
// bound to the host's transaction ([Store.InTx]) reads and writes through
// that transaction instead.
type Store struct {
	db   *sql.DB
	d    Dialect
	host Conn // the host's transaction, or nil
}

var (
	_ ownership.Store      = (*Store)(nil)
	_ ownership.EventStore = (*Store)(nil)
)

// ErrTxAborted reports that the host's transaction, to which a store was
// bound with [Store.InTx] or [Store.InConn], can no longer be used: the database aborted it
// (a serialization failure or a deadlock on PostgreSQL, or an earlier
// failed statement of the host's). Nothing of it will commit. Roll it back
// and run the whole transaction again; retrying inside it cannot succeed,
// so the Manager does not.
var ErrTxAborted = errors.New("sqlstore: transaction aborted")

// New returns a store over db, which speaks dialect d. It does not touch
// the database; call [Store.Migrate] once before use.
//
// New panics if db is nil or d is not [Postgres] or [SQLite]: both are
// mistakes in the program, not in data.
func New(db *sql.DB, d Dialect) *Store {
	if db == nil {
		panic("sqlstore: New: nil *sql.DB (open one with sql.Open first)")
	}
	if !d.valid() {
		panic(fmt.Sprintf("sqlstore: New: invalid %v (use sqlstore.Postgres or sqlstore.SQLite)", d))
	}
	return &Store{db: db, d: d}
}

// DB returns the database the store works on.
func (s *Store) DB() *sql.DB { return s.db }

// InTx returns a store that reads and writes through the host's
// transaction tx, which must belong to the store's database: the host's
// own changes and the ownership changes then commit or roll back together,
// events included. Use it for one transaction, with
// [ownership.Manager.WithStore]:
//
//	tx, err := db.BeginTx(ctx, nil)
//	...
//	_, err = tx.Exec(ctx, `INSERT INTO contacts ...`)
//	_, err = manager.WithStore(st.InTx(tx)).Create(ctx, rec, creation)
//	...
//	err = tx.Commit()
//
// Each write runs in a savepoint, so a write that fails (a conflict, a
// refused record) leaves the host's transaction as it was and usable. A
// compare-and-swap that loses to another writer is a conflict that the
// Manager retries within the transaction, reading again; on PostgreSQL
// this needs the transaction at READ COMMITTED (the default): at
// REPEATABLE READ or SERIALIZABLE, and on a deadlock, the database aborts
// the transaction and the error wraps [ErrTxAborted].
//
// InTx panics if tx is nil, a mistake in the program.
func (s *Store) InTx(tx *sql.Tx) *Store {
	if tx == nil {
		panic("sqlstore: InTx: nil *sql.Tx (begin one with db.BeginTx first)")
	}
	return s.InConn(sqlConn[*sql.Tx]{tx})
}

// InConn is [Store.InTx] for a host's transaction that is not a *sql.Tx:
// the store reads and writes through c, which must be a transaction open
// on the store's database, with the same savepoints and errors as InTx.
// Package pgxtx adapts a pgx.Tx.
//
// InConn panics if c is nil, a mistake in the program.
func (s *Store) InConn(c Conn) *Store {
	if c == nil {
		panic("sqlstore: InConn: nil Conn")
	}
	return &Store{db: s.db, d: s.d, host: c}
}

// Conn is a transaction of the host's that a store bound with
// [Store.InConn] runs its statements on. Its errors keep those of the
// database (with a SQLState method on PostgreSQL), except that a
// QueryRow that finds no row reports [sql.ErrNoRows], and a statement
// on a transaction already ended reports [sql.ErrTxDone] (both may be
// wrapped).
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is the result of [Conn.Query], as *sql.Rows has it.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// Row is the result of [Conn.QueryRow], as *sql.Row has it.
type Row interface {
	Scan(dest ...any) error
}

// sqlQueryer is what *sql.DB and *sql.Tx have in common.
type sqlQueryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlConn is a *sql.DB or *sql.Tx as a Conn. It holds a pointer only, so
// that making it a Conn does not allocate.
type sqlConn[T sqlQueryer] struct{ x T }

func (c sqlConn[T]) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.x.ExecContext(ctx, query, args...)
}

func (c sqlConn[T]) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := c.x.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c sqlConn[T]) QueryRow(ctx context.Context, query string, args ...any) Row {
	return c.x.QueryRowContext(ctx, query, args...)
}

// conn returns what statements run on: the host's transaction, or the
// database.
func (s *Store) conn() execer {
	if s.host != nil {
		return s.host
	}
	return sqlConn[*sql.DB]{s.db}
}

// Dialect returns the dialect the store speaks.
func (s *Store) Dialect() Dialect { return s.d }

// execer is what statements run on: the database, a transaction of the
// store's own, or the host's.
type execer = Conn

// q rewrites one of this package's constant queries for the store's
// dialect.
func (s *Store) q(query string) string { return s.d.rebind(query) }

// inTx runs fn in a transaction and commits it if fn succeeds. The error is
// shaped by fail.
//
// On PostgreSQL the transaction runs at READ COMMITTED whatever the
// server's default: the compare-and-swap relies on a statement seeing
// what committed before it, and a serialization failure or deadlock the
// database reports anyway is a conflict, which callers retry.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx execer) error) error {
	if s.host != nil {
		return s.inSavepoint(ctx, what, fn)
	}
	var opts *sql.TxOptions
	if s.d == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fail(ctx, what, err)
	}
	if err := fn(sqlConn[*sql.Tx]{tx}); err != nil {
		_ = tx.Rollback()
		return fail(ctx, what, err)
	}
	if err := tx.Commit(); err != nil {
		return fail(ctx, what, err)
	}
	return nil
}

// inSavepoint runs fn inside the host's transaction, in a savepoint that
// is rolled back if fn fails, so that a failed write leaves the host's
// transaction as it was.
func (s *Store) inSavepoint(ctx context.Context, what string, fn func(tx execer) error) error {
	return savepoint(ctx, s.host, what, func() error { return fn(s.host) })
}

// savepoint runs fn inside the transaction c in a savepoint that is
// rolled back if fn fails. Ending the savepoint runs even when ctx has
// ended (database/sql refuses a statement on an ended context): else a
// write would stay in the host's transaction while its caller is told it
// failed.
func savepoint(ctx context.Context, c Conn, what string, fn func() error) error {
	if _, err := c.Exec(ctx, `SAVEPOINT ownership_write`); err != nil {
		return failTx(ctx, what, err)
	}
	undo := context.WithoutCancel(ctx)
	err := fn()
	if err == nil {
		if _, err = c.Exec(undo, `RELEASE SAVEPOINT ownership_write`); err == nil {
			return nil
		}
	}
	if _, rerr := c.Exec(undo, `ROLLBACK TO SAVEPOINT ownership_write`); rerr != nil {
		return fmt.Errorf("%w: sqlstore: %s: %v; undoing it failed too: %v", ErrTxAborted, what, err, rerr)
	}
	_, _ = c.Exec(undo, `RELEASE SAVEPOINT ownership_write`)
	return failTx(ctx, what, err)
}

// failTx is fail for a statement in the host's transaction: a failure that
// aborted the transaction wraps ErrTxAborted rather than ErrConflict, since
// retrying inside it cannot succeed.
func failTx(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("%w: sqlstore: %s: %v", ErrTxAborted, what, err)
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "40001", "40P01", "25P02": // serialization failure, deadlock, transaction already aborted
			return fmt.Errorf("%w: sqlstore: %s: %v", ErrTxAborted, what, err)
		}
	}
	return fail(ctx, what, err)
}

// fail shapes an error of the database for the caller: the context's own
// error as it is when the context has ended (whatever the driver made of
// it), this package's sentinel-wrapping errors as they are, and anything
// else prefixed with "sqlstore: " and what was being done.
func fail(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, ownership.ErrConflict) || errors.Is(err, ownership.ErrNotFound) || errors.Is(err, ownership.ErrInvalid) {
		return err
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "40001", "40P01": // serialization failure, deadlock detected
			return fmt.Errorf("%w: sqlstore: %s: %v", ownership.ErrConflict, what, err)
		}
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// fail is the package's fail, or failTx for a store bound to the host's
// transaction.
func (s *Store) fail(ctx context.Context, what string, err error) error {
	if s.host != nil {
		return failTx(ctx, what, err)
	}
	return fail(ctx, what, err)
}

// storable reports whether SQL text can hold s as it is: valid UTF-8
// without NUL bytes (PostgreSQL refuses both; SQLite would cut at the NUL
// in places).
func storable(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// storableRef reports whether both parts of r are storable.
func storableRef(r ownership.Ref) bool { return storable(r.Type) && storable(r.ID) }

// checkRecord validates r for a write: valid references, and text the
// database can hold.
func checkRecord(r ownership.Record) error {
	if !r.Ref.Valid() {
		return fmt.Errorf("%w: record reference %q/%q", ownership.ErrInvalid, r.Ref.Type, r.Ref.ID)
	}
	if r.Mode > ownership.SyncWithParent {
		return fmt.Errorf("%w: record %s: %v", ownership.ErrInvalid, r.Ref, r.Mode)
	}
	if !r.Parent.IsZero() && !r.Parent.Valid() {
		return fmt.Errorf("%w: parent reference of %s", ownership.ErrInvalid, r.Ref)
	}
	bad := func(what string) error {
		return fmt.Errorf("%w: record %q: %s is not valid UTF-8 text without NUL bytes, which SQL cannot store", ownership.ErrInvalid, r.Ref.String(), what)
	}
	if !storableRef(r.Ref) {
		return bad("the reference")
	}
	if !storableRef(r.Parent) {
		return bad("the parent reference")
	}
	if !storable(string(r.Tenant)) {
		return bad("the tenant")
	}
	if !storable(string(r.Ownership.Queue())) {
		return bad("the queue")
	}
	for e := range r.Ownership.All() {
		if !storable(string(e.UserID)) || !storable(e.Email) || !storable(e.GivenName) || !storable(e.LastName) {
			return bad(fmt.Sprintf("the entry of user %q", e.UserID))
		}
	}
	for k, v := range r.Fields {
		if !storable(k) || !storable(v) {
			return bad(fmt.Sprintf("field %q", k))
		}
	}
	return nil
}

// encodeJSON encodes v for a JSON column; an empty value is SQL NULL.
func encodeJSON[T any](v T, empty bool) (any, error) {
	if empty {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeJSON decodes a JSON column into v; NULL leaves v as it is.
func decodeJSON(col sql.NullString, v any) error {
	if !col.Valid {
		return nil
	}
	return json.Unmarshal([]byte(col.String), v)
}

// decodeStrings decodes a JSON array of strings as json.Unmarshal into a
// []T does, without its reflection in the common case: a text that is
// not plainly an array of ASCII strings without escapes goes to
// json.Unmarshal, so that a malformed value is its error, never a list.
func decodeStrings[T ~string](s string) ([]T, error) {
	if l, ok := plainStrings[T](s); ok {
		return l, nil
	}
	var l []T
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	return l, nil
}

// plainStrings reads s as a JSON array of strings of ASCII characters
// without escapes or control characters, and reports whether it is one.
func plainStrings[T ~string](s string) ([]T, bool) {
	i := 0
	space := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	space()
	if i == len(s) || s[i] != '[' {
		return nil, false
	}
	i++
	space()
	l := []T{} // json.Unmarshal makes [] an empty list, not nil
	if i < len(s) && s[i] == ']' {
		i++
		space()
		return l, i == len(s)
	}
	for {
		if i == len(s) || s[i] != '"' {
			return nil, false
		}
		i++
		j := i
		for j < len(s) && s[j] != '"' {
			if c := s[j]; c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, false
			}
			j++
		}
		if j == len(s) {
			return nil, false
		}
		l = append(l, T(s[i:j]))
		i = j + 1
		space()
		if i == len(s) {
			return nil, false
		}
		switch s[i] {
		case ']':
			i++
			space()
			return l, i == len(s)
		case ',':
			i++
			space()
		default:
			return nil, false
		}
	}
}

// recordColumns are the columns that scanRecords reads: a record (alias r)
// left-joined with its entries (alias e), one row per entry. The queue that
// holds a record is a column of the record, not an entry: scanRecords
// puts its entry first, where [ownership.NewList] keeps it.
const recordColumns = `r.type, r.id, r.parent_type, r.parent_id, r.mode, r.version, r.fields, r.tenant, r.queue,
	e.user_id, e.role, e.email, e.given_name, e.last_name`

// recordRowColumns are the columns of ownership_records that
// recordColumns reads, for the inner queries that select records before
// joining their entries.
const recordRowColumns = `type, id, parent_type, parent_id, mode, version, fields, tenant, queue`

// entriesJoin joins the entries of record r.
const entriesJoin = ` LEFT JOIN ownership_entries e ON e.record_type = r.type AND e.record_id = r.id`

// scanRecords reads rows of recordColumns ordered by record, then entry
// position, and closes them.
func scanRecords(rows Rows) ([]ownership.Record, error) {
	defer rows.Close()
	var (
		out     []ownership.Record
		entries []ownership.Entry
	)
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		l, err := ownership.NewList(entries...)
		if err != nil {
			// Not %w: bad stored data is the database's fault, not an
			// invalid argument of the caller's.
			return fmt.Errorf("record %s: the stored list is damaged: %v", out[len(out)-1].Ref, err)
		}
		out[len(out)-1].Ownership = l
		entries = entries[:0]
		return nil
	}
	for rows.Next() {
		var (
			ref                 ownership.Ref
			parent              ownership.Ref
			mode                int
			version             int64
			fields              sql.NullString
			tenant, queue       string
			user, email, gn, ln sql.NullString
			role                sql.NullInt64
		)
		if err := rows.Scan(&ref.Type, &ref.ID, &parent.Type, &parent.ID, &mode, &version, &fields, &tenant, &queue, &user, &role, &email, &gn, &ln); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Ref != ref {
			if err := flush(); err != nil {
				return nil, err
			}
			r := ownership.Record{Ref: ref, Parent: parent, Mode: ownership.Mode(mode), Version: uint64(version), Tenant: ownership.TenantID(tenant)}
			if err := decodeJSON(fields, &r.Fields); err != nil {
				return nil, fmt.Errorf("record %s: fields: %w", ref, err)
			}
			out = append(out, r)
			if queue != "" {
				entries = append(entries, ownership.Entry{Queue: ownership.QueueID(queue), Role: ownership.Owner})
			}
		}
		if user.Valid {
			entries = append(entries, ownership.Entry{UserID: ownership.UserID(user.String), Role: ownership.Role(role.Int64), Email: email.String, GivenName: gn.String, LastName: ln.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// Get implements [ownership.RecordStore]. It reads the record and its list
// in one statement, so it never sees a list of another version.
func (s *Store) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return ownership.Record{}, err
	}
	r, err := s.getIn(ctx, s.conn(), ref)
	if err != nil {
		return ownership.Record{}, s.fail(ctx, "get "+ref.String(), err)
	}
	return r, nil
}

// getIn is Get on c, with the database's errors as they are.
func (s *Store) getIn(ctx context.Context, c execer, ref ownership.Ref) (ownership.Record, error) {
	if !ref.Valid() || !storableRef(ref) {
		return ownership.Record{}, fmt.Errorf("%w: record %s", ownership.ErrNotFound, ref)
	}
	rows, err := c.Query(ctx, s.q(`SELECT `+recordColumns+` FROM ownership_records r`+entriesJoin+`
		WHERE r.type = $1 AND r.id = $2 ORDER BY e.position`), ref.Type, ref.ID)
	if err != nil {
		return ownership.Record{}, err
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return ownership.Record{}, err
	}
	if len(recs) == 0 {
		return ownership.Record{}, fmt.Errorf("%w: record %s", ownership.ErrNotFound, ref)
	}
	return recs[0], nil
}

// CompareAndSwap implements [ownership.RecordStore] in one transaction: an
// INSERT that does nothing if the record exists (a create, r.Version 0),
// or an UPDATE conditioned on the version (version = r.Version), then the
// list's entries rewritten. Zero rows touched is a conflict.
func (s *Store) CompareAndSwap(ctx context.Context, r ownership.Record) (ownership.Record, error) {
	return s.cas(ctx, r, nil)
}

// CompareAndSwapEvent implements [ownership.EventStore]: CompareAndSwap
// that also appends e to the outbox (the ownership_events table) in the
// same transaction, with the version the write gives the record. A
// [Relay] delivers it.
func (s *Store) CompareAndSwapEvent(ctx context.Context, r ownership.Record, e ownership.Event) (ownership.Record, error) {
	if e.Record != r.Ref {
		return ownership.Record{}, fmt.Errorf("%w: event for %s written with record %s", ownership.ErrInvalid, e.Record, r.Ref)
	}
	return s.cas(ctx, r, &e)
}

// cas is CompareAndSwap, appending e to the outbox when it is not nil.
func (s *Store) cas(ctx context.Context, r ownership.Record, e *ownership.Event) (ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return ownership.Record{}, err
	}
	if err := checkRecord(r); err != nil {
		return ownership.Record{}, err
	}
	if r.Version >= math.MaxInt64 {
		// No stored version gets there: BIGINT ends first.
		return ownership.Record{}, fmt.Errorf("%w: record %s: no version %d", ownership.ErrConflict, r.Ref, r.Version)
	}
	fields, err := encodeJSON(r.Fields, len(r.Fields) == 0)
	if err != nil {
		return ownership.Record{}, fmt.Errorf("sqlstore: record %s: fields: %w", r.Ref, err)
	}
	hasOwner := !r.Ownership.Unassigned()
	synced := r.Mode == ownership.SyncWithParent && !r.Parent.IsZero()
	if s.d == Postgres && s.host == nil && r.Version > 0 && !synced {
		return s.updateInOne(ctx, r, e, fields, hasOwner)
	}
	err = s.inTx(ctx, "write "+r.Ref.String(), func(tx execer) error {
		if synced {
			if err := s.sameTenantAsParent(ctx, tx, r); err != nil {
				return err
			}
		}
		if r.Version == 0 {
			// A record created again continues the versions of the one
			// deleted under its ref. The version is read from the
			// tombstone in a statement after the INSERT: the INSERT may
			// have waited for a Delete of the ref to commit, and only a
			// later statement sees the tombstone that Delete wrote.
			res, err := tx.Exec(ctx, s.q(`INSERT INTO ownership_records
				(type, id, parent_type, parent_id, mode, has_owner, fields, tenant, queue, version)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
				ON CONFLICT (type, id) DO NOTHING`),
				r.Ref.Type, r.Ref.ID, r.Parent.Type, r.Parent.ID, int(r.Mode), hasOwner, fields, string(r.Tenant), string(r.Ownership.Queue()))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%w: record %s already exists", ownership.ErrConflict, r.Ref)
			}
			var v int64
			if err := tx.QueryRow(ctx, s.q(`UPDATE ownership_records
				SET version = COALESCE((SELECT t.version FROM ownership_tombstones t WHERE t.type = $1 AND t.id = $2), 0) + 1
				WHERE type = $1 AND id = $2
				RETURNING version`), r.Ref.Type, r.Ref.ID).Scan(&v); err != nil {
				return err
			}
			r.Version = uint64(v) - 1 // incremented below, with the update's
			if _, err := tx.Exec(ctx, s.q(`DELETE FROM ownership_tombstones WHERE type = $1 AND id = $2`), r.Ref.Type, r.Ref.ID); err != nil {
				return err
			}
		} else {
			res, err := tx.Exec(ctx, s.q(`UPDATE ownership_records
				SET parent_type = $3, parent_id = $4, mode = $5, has_owner = $6, fields = $7, tenant = $9, queue = $10, version = version + 1
				WHERE type = $1 AND id = $2 AND version = $8`),
				r.Ref.Type, r.Ref.ID, r.Parent.Type, r.Parent.ID, int(r.Mode), hasOwner, fields, int64(r.Version), string(r.Tenant), string(r.Ownership.Queue()))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return s.conflict(ctx, tx, r)
			}
			if _, err := tx.Exec(ctx, s.q(`DELETE FROM ownership_entries WHERE record_type = $1 AND record_id = $2`), r.Ref.Type, r.Ref.ID); err != nil {
				return err
			}
		}
		if err := s.insertEntries(ctx, tx, r); err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		e.Version = r.Version + 1
		return s.appendEvent(ctx, tx, *e)
	})
	if err != nil {
		return ownership.Record{}, err
	}
	r.Version++
	r.Fields = maps.Clone(r.Fields)
	return r, nil
}

// updateInOne is the compare-and-swap of an existing record on
// PostgreSQL, in one statement and so one round trip: data-modifying
// common table expressions update the record on its version, and, only
// if that touched a row, remove the entries of users no longer on the
// list, write the others (ON CONFLICT DO UPDATE, since the statement's
// parts share one snapshot and an entry deleted and inserted again would
// collide), and append the event. The statement is atomic on its own.
func (s *Store) updateInOne(ctx context.Context, r ownership.Record, e *ownership.Event, fields any, hasOwner bool) (ownership.Record, error) {
	n := r.Ownership.Len()
	users := make([]string, 0, n)
	positions := make([]int32, 0, n)
	roles := make([]int32, 0, n)
	emails := make([]string, 0, n)
	given := make([]string, 0, n)
	last := make([]string, 0, n)
	pos := int32(0)
	for en := range r.Ownership.All() {
		if en.Queue != "" {
			continue // the queue column holds it
		}
		users = append(users, string(en.UserID))
		positions = append(positions, pos)
		roles = append(roles, int32(en.Role))
		emails = append(emails, en.Email)
		given = append(given, en.GivenName)
		last = append(last, en.LastName)
		pos++
	}
	args := []any{r.Ref.Type, r.Ref.ID, r.Parent.Type, r.Parent.ID, int(r.Mode), hasOwner, fields, int64(r.Version),
		users, positions, roles, emails, given, last, string(r.Tenant), string(r.Ownership.Queue())}
	event := ""
	if e != nil {
		e.Version = r.Version + 1
		payload, err := json.Marshal(*e)
		if err != nil {
			return ownership.Record{}, fmt.Errorf("%w: event of %s: %v", ownership.ErrInvalid, e.Record, err)
		}
		event = `, ev AS (
			INSERT INTO ownership_events (event_id, record_type, record_id, version, payload)
			SELECT $17, upd.type, upd.id, upd.version, $18 FROM upd)`
		args = append(args, e.ID(), string(payload))
	}
	var v int64
	err := s.db.QueryRowContext(ctx, `WITH upd AS (
			UPDATE ownership_records
			SET parent_type = $3, parent_id = $4, mode = $5, has_owner = $6, fields = $7, tenant = $15, queue = $16, version = version + 1
			WHERE type = $1 AND id = $2 AND version = $8
			RETURNING type, id, version
		), del AS (
			DELETE FROM ownership_entries x USING upd
			WHERE x.record_type = upd.type AND x.record_id = upd.id AND NOT (x.user_id = ANY ($9::text[]))
		), ins AS (
			INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name)
			SELECT upd.type, upd.id, u.user_id, u.position, u.role, u.email, u.given_name, u.last_name
			FROM upd CROSS JOIN unnest($9::text[], $10::int[], $11::int[], $12::text[], $13::text[], $14::text[])
				AS u (user_id, position, role, email, given_name, last_name)
			ON CONFLICT (record_type, record_id, user_id) DO UPDATE SET position = excluded.position,
				role = excluded.role, email = excluded.email, given_name = excluded.given_name, last_name = excluded.last_name
		)`+event+`
		SELECT version FROM upd`, args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return ownership.Record{}, s.conflict(ctx, s.conn(), r)
	}
	if err != nil {
		return ownership.Record{}, fail(ctx, "write "+r.Ref.String(), err)
	}
	r.Version = uint64(v)
	r.Fields = maps.Clone(r.Fields)
	return r, nil
}

// sameTenantAsParent refuses a record synced with a parent of another
// tenant: it would copy, and propagation would write, ownership across
// tenants. A parent that does not exist (yet) is no objection; when it
// is created in another tenant, propagation passes this record over.
func (s *Store) sameTenantAsParent(ctx context.Context, tx execer, r ownership.Record) error {
	var tenant string
	err := tx.QueryRow(ctx, s.q(`SELECT tenant FROM ownership_records WHERE type = $1 AND id = $2`), r.Parent.Type, r.Parent.ID).Scan(&tenant)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case ownership.TenantID(tenant) != r.Tenant:
		return fmt.Errorf("%w: record %s of tenant %q is synced with parent %s of tenant %q: ownership does not cross tenants", ownership.ErrInvalid, r.Ref, r.Tenant, r.Parent, tenant)
	}
	return nil
}

// conflict explains why an update of r touched no row.
func (s *Store) conflict(ctx context.Context, tx execer, r ownership.Record) error {
	var v int64
	err := tx.QueryRow(ctx, s.q(`SELECT version FROM ownership_records WHERE type = $1 AND id = $2`), r.Ref.Type, r.Ref.ID).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: record %s at version %d no longer exists", ownership.ErrConflict, r.Ref, r.Version)
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: record %s is at version %d, not %d", ownership.ErrConflict, r.Ref, v, r.Version)
}

// entriesPerInsert bounds the rows of one INSERT of entries, well below
// the parameter limits (65535 in PostgreSQL, 32766 in SQLite).
const entriesPerInsert = 500

// insertEntries writes r's list, in order, with multi-row INSERTs.
func (s *Store) insertEntries(ctx context.Context, tx execer, r ownership.Record) error {
	entries := userEntries(r.Ownership)
	for start := 0; start < len(entries); start += entriesPerInsert {
		chunk := entries[start:min(start+entriesPerInsert, len(entries))]
		var b strings.Builder
		b.WriteString(`INSERT INTO ownership_entries (record_type, record_id, user_id, position, role, email, given_name, last_name) VALUES `)
		args := make([]any, 0, 8*len(chunk))
		for i, e := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range 8 {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(s.d.placeholder(len(args) + j + 1))
			}
			b.WriteByte(')')
			args = append(args, r.Ref.Type, r.Ref.ID, string(e.UserID), start+i, int(e.Role), e.Email, e.GivenName, e.LastName)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes a record and its list; it is not an error if there is
// none. The record's children keep their parent reference.
func (s *Store) Delete(ctx context.Context, ref ownership.Ref) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ref.Valid() || !storableRef(ref) {
		return nil
	}
	return s.inTx(ctx, "delete "+ref.String(), func(tx execer) error {
		// The record first, as CompareAndSwap takes its locks (record,
		// then entries), so that the two never deadlock; the DELETE
		// waits for a write in progress and returns the version that
		// write left.
		var v int64
		err := tx.QueryRow(ctx, s.q(`DELETE FROM ownership_records WHERE type = $1 AND id = $2 RETURNING version`), ref.Type, ref.ID).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// SQLite cascades to the entries only when the connection enabled
		// foreign keys.
		if _, err := tx.Exec(ctx, s.q(`DELETE FROM ownership_entries WHERE record_type = $1 AND record_id = $2`), ref.Type, ref.ID); err != nil {
			return err
		}
		// Remember the last version, never lowering one already there, so
		// that a record created again continues after it.
		_, err = tx.Exec(ctx, s.q(`INSERT INTO ownership_tombstones (type, id, version) VALUES ($1, $2, $3)
			ON CONFLICT (type, id) DO UPDATE SET version =
				CASE WHEN excluded.version > ownership_tombstones.version THEN excluded.version ELSE ownership_tombstones.version END`), ref.Type, ref.ID, v)
		return err
	})
}

// userEntries returns the entries of l that name users, in order: the
// rows of ownership_entries. A queue's entry is the record's queue
// column instead.
func userEntries(l ownership.List) []ownership.Entry {
	entries := l.Entries()
	if l.Queue() != "" {
		entries = entries[1:] // the queue's entry comes first
	}
	return entries
}
