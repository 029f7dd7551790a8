package hostsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// Store reads and writes ownership in the host's own tables, as mapped by
// its [Table]s: records are the rows, their ids the keys' text form. It
// implements [ownership.RecordStore], [ownership.ChildLister] (for tables
// with a parent), [ownership.UserRecords], [ownership.Directory] (over the
// host's users table, when Options.Users is set) and
// [ownership.EventStore] (writing to sqlstore's outbox when
// Options.Outbox is set).
//
// Writes go to an owner column: the column and the version column of the
// row, by compare-and-swap ("UPDATE ... SET owner_id = $1, version =
// version + 1 WHERE id = $2 AND version = $3"). The host adds the version
// column once:
//
//	ALTER TABLE contacts ADD COLUMN ownership_version BIGINT NOT NULL DEFAULT 0;
//
// A row at version 0 exists but its ownership was never written through
// the library: Get returns it at version 0, and a create
// (CompareAndSwap at version 0, [ownership.Manager.Create]) writes it,
// so that a host inserts its row with its own columns and then creates
// the record's ownership, in one transaction ([Store.InTx]). A create of
// a missing row inserts one with the key, the owner, the version (and the
// parent), which needs defaults for the table's other columns.
//
// What one owner column cannot hold is refused with an error wrapping
// [ownership.ErrInvalid], never dropped: followers, several owners, a
// mode other than independent, fields, or a parent other than the row's.
// Tables whose ownership lives elsewhere (entries, a matched field, the
// parent) are read-only here. Records of types the Store has no table
// for do not exist (ErrNotFound) and cannot be written (ErrInvalid).
//
// Create a Store with [NewStore]; the zero Store has no database and
// cannot be used. A Store is safe for concurrent use.
type Store struct {
	db     *sql.DB
	d      sqlstore.Dialect
	tx     *sql.Tx // the host's transaction, or nil
	tables map[string]*Table
	types  []string // sorted, for listings in ref order
	users  *users   // nil without a directory
	outbox bool
}

var (
	_ ownership.Store            = (*Store)(nil)
	_ ownership.EventStore       = (*Store)(nil)
	_ ownership.DescendantSyncer = (*Store)(nil)
)

// Options are the optional parts of a [Store]. The zero Options means no
// directory and no outbox.
type Options struct {
	// Users is the host's users table, for the directory. Nil means no
	// directory: User and UserBy find no one.
	Users *Users
	// Outbox, when set, makes every change the Manager commits write its
	// event to sqlstore's outbox table ownership_events in the same
	// transaction (created by [sqlstore.Store.Migrate]), so that an
	// [sqlstore.Relay] delivers it.
	Outbox bool
}

// Users maps the host's users table for the directory. Columns left
// empty are not read.
type Users struct {
	// Table and ID (a text column) are required.
	Table, ID string
	// Login, Email, GivenName and LastName are text columns.
	Login, Email, GivenName, LastName string
	// Roles is a text column of role names separated by commas.
	Roles string
	// Inactive is a boolean column.
	Inactive string
}

// users is a compiled Users: quoted names, and the columns in the order
// they are read.
type users struct {
	table, id string
	cols      map[string]string // User field name -> quoted column
}

// userFields are the fields of [ownership.User] a Users maps, in the order
// they are read.
var userFields = []string{"login", "email", "given_name", "last_name", "roles", "inactive"}

// NewStore returns a store over db, which speaks d, for the record types
// of tables. Two tables of one type, a table compiled for another
// dialect, or a malformed Users is an error wrapping
// [ownership.ErrInvalid]. NewStore does not touch the database.
func NewStore(db *sql.DB, d sqlstore.Dialect, tables []*Table, opt Options) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: hostsql: NewStore: nil *sql.DB", ownership.ErrInvalid)
	}
	s := &Store{db: db, d: d, tables: map[string]*Table{}, outbox: opt.Outbox}
	for _, t := range tables {
		if t == nil || t.d != d {
			return nil, fmt.Errorf("%w: hostsql: NewStore: a table that is nil or not for %v", ownership.ErrInvalid, d)
		}
		if s.tables[t.m.Type] != nil {
			return nil, fmt.Errorf("%w: hostsql: NewStore: two tables for %q", ownership.ErrInvalid, t.m.Type)
		}
		s.tables[t.m.Type] = t
		s.types = append(s.types, t.m.Type)
	}
	slices.Sort(s.types)
	if u := opt.Users; u != nil {
		cu := &users{cols: map[string]string{}}
		var err error
		q := func(name string, qualified bool) string {
			if err != nil {
				return ""
			}
			var out string
			if out, err = quoteIdent(name, qualified); err != nil {
				err = fmt.Errorf("%w: hostsql: Users: %w", ownership.ErrInvalid, err)
			}
			return out
		}
		cu.table, cu.id = q(u.Table, true), q(u.ID, false)
		for i, name := range []string{u.Login, u.Email, u.GivenName, u.LastName, u.Roles, u.Inactive} {
			if name != "" {
				cu.cols[userFields[i]] = q(name, false)
			}
		}
		if err != nil {
			return nil, err
		}
		s.users = cu
	}
	return s, nil
}

// InTx returns a store that reads and writes through the host's
// transaction tx, so that the host's own changes and the ownership changes
// (events included) commit or roll back together; use it with
// [ownership.Manager.WithStore]. Each write runs in a savepoint. It panics
// if tx is nil, a mistake in the program.
func (s *Store) InTx(tx *sql.Tx) *Store {
	if tx == nil {
		panic("hostsql: InTx: nil *sql.Tx (begin one with db.BeginTx first)")
	}
	c := *s
	c.tx = tx
	return &c
}

// queryer is what *sql.DB and *sql.Tx have in common for reading.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) conn() queryer {
	if s.tx != nil {
		return s.tx
	}
	return s.db
}

// q rewrites the $n markers of this package's own statement texts for
// SQLite. Quoted identifiers never hold '$'.
func (s *Store) q(query string) string {
	if s.d == sqlstore.SQLite {
		return strings.ReplaceAll(query, "$", "?")
	}
	return query
}

// fail shapes a database error: the context's error as it is, the
// library's sentinels as they are, a serialization failure or deadlock as
// a conflict, anything else prefixed with what was being done.
func fail(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	for _, target := range []error{ownership.ErrConflict, ownership.ErrNotFound, ownership.ErrInvalid, sqlstore.ErrTxAborted} {
		if errors.Is(err, target) {
			return err
		}
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "40001", "40P01":
			return fmt.Errorf("%w: hostsql: %s: %v", ownership.ErrConflict, what, err)
		}
	}
	return fmt.Errorf("hostsql: %s: %w", what, err)
}

// Get returns the record named by ref: its row's owner (or entries,
// matched user, or parent's ownership), parent and version. A ref of a
// type without a table, or whose id is not a key of the table's kind, is
// not found.
func (s *Store) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return ownership.Record{}, err
	}
	r, err := s.get(ctx, ref, 0)
	if err != nil {
		return ownership.Record{}, fail(ctx, "get "+ref.String(), err)
	}
	return r, nil
}

// get reads ref; depth counts the parents read for synced records.
func (s *Store) get(ctx context.Context, ref ownership.Ref, depth int) (ownership.Record, error) {
	t := s.tables[ref.Type]
	if t == nil {
		return ownership.Record{}, fmt.Errorf("%w: %s", ownership.ErrNotFound, ref)
	}
	key, ok := t.keyValue(ref.ID)
	if !ok {
		return ownership.Record{}, fmt.Errorf("%w: %s", ownership.ErrNotFound, ref)
	}
	cols := []string{"CAST(h." + t.key + " AS TEXT)", "0", "NULL", "NULL"}
	if t.ver != "" {
		cols[1] = "h." + t.ver
	}
	if t.parent != "" {
		cols[2] = "CAST(h." + t.parent + " AS TEXT)"
	}
	switch t.src {
	case fromOwner:
		cols[3] = "h." + t.owner
	case fromField:
		f := t.field
		cols[3] = "(SELECT u." + f.UserID + " FROM " + f.Users + " u WHERE u." + f.UserValue + " = h." + f.Column + " AND h." + f.Column + " <> '' ORDER BY u." + f.UserID + " LIMIT 1)"
	}
	var (
		id            string
		version       int64
		parent, owner sql.NullString
	)
	err := s.conn().QueryRowContext(ctx, s.q("SELECT "+strings.Join(cols, ", ")+" FROM "+t.table+" h WHERE h."+t.key+" = $1"), key).
		Scan(&id, &version, &parent, &owner)
	if errors.Is(err, sql.ErrNoRows) {
		return ownership.Record{}, fmt.Errorf("%w: %s", ownership.ErrNotFound, ref)
	}
	if err != nil {
		return ownership.Record{}, err
	}
	r := ownership.Record{Ref: ref, Version: uint64(version)}
	if parent.Valid {
		r.Parent = ownership.Ref{Type: t.m.Parent.m.Type, ID: parent.String}
	}
	switch t.src {
	case fromOwner, fromField:
		if owner.Valid && owner.String != "" {
			r.Ownership, err = ownership.NewList(ownership.Entry{UserID: ownership.UserID(owner.String), Role: ownership.Owner})
		}
	case fromEntries:
		r.Ownership, err = s.entries(ctx, t, key)
	case fromParent:
		r.Mode = ownership.SyncWithParent
		if r.Parent.IsZero() {
			break
		}
		if depth >= maxCondDepth {
			return ownership.Record{}, fmt.Errorf("%w: %s: parents nested deeper than %d levels", ownership.ErrInvalid, ref, maxCondDepth)
		}
		p, perr := s.get(ctx, r.Parent, depth+1)
		switch {
		case errors.Is(perr, ownership.ErrNotFound):
			// A missing parent leaves the record unassigned.
		case perr != nil:
			return ownership.Record{}, perr
		default:
			r.Ownership = p.Ownership
		}
	}
	return r, err
}

// entries reads the list of the record with key from an entries table.
func (s *Store) entries(ctx context.Context, t *Table, key any) (ownership.List, error) {
	e := t.entries
	rows, err := s.conn().QueryContext(ctx, s.q("SELECT e."+e.User+", e."+e.Role+" FROM "+e.Table+" e WHERE e."+e.Key+" = $1 AND e."+e.User+" <> '' AND e."+e.Role+" IN ($2, $3)"),
		key, t.roleOwner, t.roleFollower)
	if err != nil {
		return ownership.List{}, err
	}
	defer rows.Close()
	var list []ownership.Entry
	for rows.Next() {
		var u, role string
		if err := rows.Scan(&u, &role); err != nil {
			return ownership.List{}, err
		}
		r := ownership.Follower
		if role == t.roleOwner {
			r = ownership.Owner
		}
		list = append(list, ownership.Entry{UserID: ownership.UserID(u), Role: r})
	}
	if err := rows.Err(); err != nil {
		return ownership.List{}, err
	}
	return ownership.NewList(list...)
}

// CompareAndSwap writes r's owner to its row if the row's version is
// r.Version, and returns r at the next version; see [Store] for what
// it refuses.
func (s *Store) CompareAndSwap(ctx context.Context, r ownership.Record) (ownership.Record, error) {
	return s.cas(ctx, r, nil)
}

// CompareAndSwapEvent is CompareAndSwap that, with Options.Outbox, also
// writes e to sqlstore's outbox in the same transaction. Without it, it
// is CompareAndSwap.
func (s *Store) CompareAndSwapEvent(ctx context.Context, r ownership.Record, e ownership.Event) (ownership.Record, error) {
	if !s.outbox {
		return s.cas(ctx, r, nil)
	}
	return s.cas(ctx, r, &e)
}

// writable checks r against what its table can hold and returns the table
// and the owner to write (nil for none).
func (s *Store) writable(r ownership.Record) (*Table, any, any, error) {
	bad := func(format string, a ...any) (*Table, any, any, error) {
		return nil, nil, nil, fmt.Errorf("%w: hostsql: cannot store %s: %s", ownership.ErrInvalid, r.Ref, fmt.Sprintf(format, a...))
	}
	if !r.Ref.Valid() {
		return bad("invalid record reference %q/%q", r.Ref.Type, r.Ref.ID)
	}
	t := s.tables[r.Ref.Type]
	if t == nil {
		return bad("no table is mapped for %q", r.Ref.Type)
	}
	key, ok := t.keyValue(r.Ref.ID)
	if !ok {
		return bad("%q is not a %v key", r.Ref.ID, t.m.KeyKind)
	}
	if t.src != fromOwner || t.ver == "" {
		return bad("only a table with an owner column and a version column is written, and %s has no such mapping", t.m.Table)
	}
	if r.Mode != ownership.Independent {
		return bad("the owner column %s holds no mode; the record must be independent", t.m.OwnerColumn)
	}
	if len(r.Fields) > 0 {
		return bad("the mapping holds no fields")
	}
	if !r.Parent.IsZero() && (t.parent == "" || r.Parent.Type != t.m.Parent.m.Type || !r.Parent.Valid()) {
		return bad("parent %q/%q: the mapping has no such parent", r.Parent.Type, r.Parent.ID)
	}
	var owner any
	for _, e := range r.Ownership.Entries() {
		if e.Role != ownership.Owner {
			return bad("the owner column %s holds one owner and no followers, not %s", t.m.OwnerColumn, r.Ownership)
		}
		if owner != nil {
			return bad("the owner column %s holds one owner, not %s", t.m.OwnerColumn, r.Ownership)
		}
		if !storable(string(e.UserID)) {
			return bad("user id %q", e.UserID)
		}
		owner = string(e.UserID)
	}
	return t, key, owner, nil
}

// cas is CompareAndSwap, writing e to the outbox when it is not nil.
func (s *Store) cas(ctx context.Context, r ownership.Record, e *ownership.Event) (ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return ownership.Record{}, err
	}
	t, key, owner, err := s.writable(r)
	if err != nil {
		return ownership.Record{}, err
	}
	var parent any
	if !r.Parent.IsZero() {
		var ok bool
		if parent, ok = t.m.Parent.keyValue(r.Parent.ID); !ok {
			return ownership.Record{}, fmt.Errorf("%w: hostsql: cannot store %s: parent %s is not a %v key", ownership.ErrInvalid, r.Ref, r.Parent, t.m.Parent.m.KeyKind)
		}
	}
	next := r.Version + 1
	if next == 0 || r.Version > 1<<62 {
		return ownership.Record{}, fmt.Errorf("%w: hostsql: %s at version %d", ownership.ErrConflict, r.Ref, r.Version)
	}
	err = s.inTx(ctx, "write "+r.Ref.String(), func(tx *sql.Tx) error {
		if t.parent != "" {
			// The parent is the host's to change: a write must carry
			// the row's own.
			var cur sql.NullString
			err := tx.QueryRowContext(ctx, s.q("SELECT CAST("+t.parent+" AS TEXT) FROM "+t.table+" WHERE "+t.key+" = $1"), key).Scan(&cur)
			if err == nil && (cur.String != r.Parent.ID || cur.Valid == r.Parent.IsZero()) {
				return fmt.Errorf("%w: hostsql: cannot store %s: its parent is %s/%s, not %q; the host changes parents", ownership.ErrInvalid, r.Ref, t.m.Parent.m.Type, cur.String, r.Parent.ID)
			}
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.q("UPDATE "+t.table+" SET "+t.owner+" = $1, "+t.ver+" = $2 WHERE "+t.key+" = $3 AND "+t.ver+" = $4"),
			owner, int64(next), key, int64(r.Version))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 && r.Version == 0 {
			// Insert only a row that is missing: a row at another
			// version is a conflict, and an INSERT that cannot fill the
			// host's other columns must not be tried for it.
			var one int
			err := tx.QueryRowContext(ctx, s.q("SELECT 1 FROM "+t.table+" WHERE "+t.key+" = $1"), key).Scan(&one)
			if err == nil {
				return fmt.Errorf("%w: hostsql: create %s: it exists", ownership.ErrConflict, r.Ref)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			cols, vals, args := t.key+", "+t.owner+", "+t.ver, "$1, $2, 1", []any{key, owner}
			if parent != nil {
				cols, vals, args = cols+", "+t.parent, vals+", $3", append(args, parent)
			}
			res, err = tx.ExecContext(ctx, s.q("INSERT INTO "+t.table+" ("+cols+") VALUES ("+vals+") ON CONFLICT DO NOTHING"), args...)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		if n == 0 {
			if r.Version == 0 {
				return fmt.Errorf("%w: hostsql: create %s: it exists", ownership.ErrConflict, r.Ref)
			}
			return fmt.Errorf("%w: hostsql: %s is not at version %d", ownership.ErrConflict, r.Ref, r.Version)
		}
		if e != nil {
			ev := *e
			ev.Record, ev.Version, ev.Mode = r.Ref, next, r.Mode
			if err := sqlstore.AppendEvent(ctx, tx, s.d, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ownership.Record{}, err
	}
	r.Version = next
	r.Fields = nil
	return r, nil
}

// inTx runs fn in a transaction of its own (READ COMMITTED on PostgreSQL:
// the compare-and-swap relies on a statement seeing what committed before
// it), or in a savepoint of the host's.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if s.tx != nil {
		return sqlstore.Savepoint(ctx, s.tx, what, func() error { return fn(s.tx) })
	}
	var opts *sql.TxOptions
	if s.d == sqlstore.Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fail(ctx, what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fail(ctx, what, err)
	}
	if err := tx.Commit(); err != nil {
		return fail(ctx, what, err)
	}
	return nil
}

// SyncDescendants has nothing to write: a record synced with its parent
// has no ownership of its own in the host's tables, so it follows every
// change of its parent at once. It implements
// [ownership.DescendantSyncer], so that the Manager does not read the
// children after each change.
func (s *Store) SyncDescendants(ctx context.Context, root ownership.Ref, src ownership.Record, at time.Time) (ownership.BulkSync, error) {
	return ownership.BulkSync{}, ctx.Err()
}

// keys returns the ids of the rows of t that the condition (on alias h)
// matches, in byte order.
func (s *Store) keys(ctx context.Context, t *Table, cond string, args []any) ([]string, error) {
	rows, err := s.conn().QueryContext(ctx, "SELECT CAST(h."+t.key+" AS TEXT) FROM "+t.table+" h WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// Children lists the records whose parent is parent, in ref order: the
// rows of the tables whose ParentColumn holds parent's key.
func (s *Store) Children(ctx context.Context, parent ownership.Ref) iter.Seq2[ownership.Record, error] {
	return func(yield func(ownership.Record, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(ownership.Record{}, err)
			return
		}
		for _, typ := range s.types {
			t := s.tables[typ]
			if t.parent == "" || t.m.Parent.m.Type != parent.Type {
				continue
			}
			key, ok := t.m.Parent.keyValue(parent.ID)
			if !ok {
				continue
			}
			ids, err := s.keys(ctx, t, "h."+t.parent+" = "+placeholder(s.d, 1), []any{key})
			if err != nil {
				yield(ownership.Record{}, fail(ctx, "children of "+parent.String(), err))
				return
			}
			for _, id := range ids {
				if err := ctx.Err(); err != nil {
					yield(ownership.Record{}, err)
					return
				}
				r, err := s.Get(ctx, ownership.Ref{Type: typ, ID: id})
				if errors.Is(err, ownership.ErrNotFound) {
					continue // deleted since
				}
				if !yield(r, err) || err != nil {
					return
				}
			}
		}
	}
}

// RecordsOf lists the refs of the records on whose list user appears, in
// ref order, through the same translation as [Table.Where].
func (s *Store) RecordsOf(ctx context.Context, user ownership.UserID) iter.Seq2[ownership.Ref, error] {
	return func(yield func(ownership.Ref, error) bool) {
		for _, typ := range s.types {
			if err := ctx.Err(); err != nil {
				yield(ownership.Ref{}, err)
				return
			}
			t := s.tables[typ]
			cond, args, err := t.whereCond(typ, ownership.Or(ownership.OwnedBy(user), ownership.FollowedBy(user)), "h", 0, nil)
			if err == nil && cond == "FALSE" {
				continue
			}
			var ids []string
			if err == nil {
				ids, err = s.keys(ctx, t, cond, args)
			}
			if err != nil {
				yield(ownership.Ref{}, fail(ctx, "records of "+string(user), err))
				return
			}
			for _, id := range ids {
				if err := ctx.Err(); err != nil {
					yield(ownership.Ref{}, err)
					return
				}
				if !yield(ownership.Ref{Type: typ, ID: id}, nil) {
					return
				}
			}
		}
	}
}

// CountOwned returns how many records of recordType ("" for all) user
// owns.
func (s *Store) CountOwned(ctx context.Context, user ownership.UserID, recordType string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	total := 0
	for _, typ := range s.types {
		if recordType != "" && typ != recordType {
			continue
		}
		t := s.tables[typ]
		cond, args, err := t.whereCond(typ, ownership.OwnedBy(user), "h", 0, nil)
		if err == nil && cond == "FALSE" {
			continue
		}
		var n int
		if err == nil {
			err = s.conn().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.table+" h WHERE "+cond, args...).Scan(&n)
		}
		if err != nil {
			return 0, fail(ctx, "count owned by "+string(user), err)
		}
		total += n
	}
	return total, nil
}

// User returns the user with the id from the host's users table, or an
// error wrapping ErrNotFound (always, without Options.Users).
func (s *Store) User(ctx context.Context, id ownership.UserID) (ownership.User, error) {
	if err := ctx.Err(); err != nil {
		return ownership.User{}, err
	}
	if s.users == nil || !storable(string(id)) {
		return ownership.User{}, fmt.Errorf("%w: user %q", ownership.ErrNotFound, id)
	}
	u := s.users
	cols := []string{"u." + u.id}
	for _, f := range userFields {
		if c, ok := u.cols[f]; ok {
			cols = append(cols, "u."+c)
		} else {
			cols = append(cols, "NULL")
		}
	}
	var (
		got                                    string
		login, email, given, last, rolesColumn sql.NullString
		inactive                               sql.NullBool
	)
	err := s.conn().QueryRowContext(ctx, s.q("SELECT "+strings.Join(cols, ", ")+" FROM "+u.table+" u WHERE u."+u.id+" = $1"), string(id)).
		Scan(&got, &login, &email, &given, &last, &rolesColumn, &inactive)
	if errors.Is(err, sql.ErrNoRows) {
		return ownership.User{}, fmt.Errorf("%w: user %q", ownership.ErrNotFound, id)
	}
	if err != nil {
		return ownership.User{}, fail(ctx, "user "+strconv.Quote(string(id)), err)
	}
	out := ownership.User{ID: ownership.UserID(got), Login: login.String, Email: email.String,
		GivenName: given.String, LastName: last.String, Inactive: inactive.Bool}
	for r := range strings.SplitSeq(rolesColumn.String, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out.Roles = append(out.Roles, r)
		}
	}
	return out, nil
}

// UserBy returns the user whose field ("id", "login", "email",
// "given_name", "last_name", as mapped) equals value exactly; a field the
// mapping lacks finds no one. Several matches are an error wrapping
// [ownership.ErrAmbiguous] naming them.
func (s *Store) UserBy(ctx context.Context, field, value string) (ownership.User, error) {
	if err := ctx.Err(); err != nil {
		return ownership.User{}, err
	}
	notFound := fmt.Errorf("%w: no user with %s %q", ownership.ErrNotFound, field, value)
	if s.users == nil || !storable(value) || value == "" {
		return ownership.User{}, notFound
	}
	col, ok := s.users.cols[field]
	if field == "id" {
		col, ok = s.users.id, true
	}
	if !ok || field == "roles" || field == "inactive" {
		return ownership.User{}, notFound
	}
	rows, err := s.conn().QueryContext(ctx, s.q("SELECT u."+s.users.id+" FROM "+s.users.table+" u WHERE u."+col+" = $1 ORDER BY u."+s.users.id+" LIMIT 10"), value)
	if err != nil {
		return ownership.User{}, fail(ctx, "user by "+field, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return ownership.User{}, fail(ctx, "user by "+field, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ownership.User{}, fail(ctx, "user by "+field, err)
	}
	switch len(ids) {
	case 0:
		return ownership.User{}, notFound
	case 1:
		return s.User(ctx, ownership.UserID(ids[0]))
	}
	return ownership.User{}, fmt.Errorf("%w: %s %q is held by users %s", ownership.ErrAmbiguous, field, value, strings.Join(ids, ", "))
}
