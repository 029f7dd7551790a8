package hostsql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// KeyKind is the SQL type of a table's key. A record's id
// ([ownership.Ref].ID) is the key's text form.
//
// The zero KeyKind is [KeyText].
type KeyKind uint8

const (
	// KeyText is a text key; the id is the key as it is.
	KeyText KeyKind = iota
	// KeyInteger is an integer key (bigint, integer); the id is its
	// decimal form without leading zeros or plus sign ("42", "-7").
	KeyInteger
	// KeyUUID is a UUID, in a uuid column on PostgreSQL or a text column
	// holding the canonical form; the id is the canonical form, in lower
	// case ("0b6d8c5e-1f0a-4c1e-9a39-5b9f5f1e2d3c").
	KeyUUID
)

// String returns "text", "integer", "uuid" or "KeyKind(n)".
func (k KeyKind) String() string {
	switch k {
	case KeyText:
		return "text"
	case KeyInteger:
		return "integer"
	case KeyUUID:
		return "uuid"
	}
	return fmt.Sprintf("KeyKind(%d)", uint8(k))
}

// Mapping says where the records of one type live in the host's schema.
// Exactly one of OwnerColumn, Entries, Field and (alone) Parent says where
// the ownership lives.
//
// Identifiers are the names as the database's catalog holds them (lower
// case for PostgreSQL names created without quotes); they are quoted in
// every statement. A table may be qualified by its schema ("crm.contacts").
type Mapping struct {
	// Type is the record type, such as "contact". Required.
	Type string
	// Table is the table that holds one row per record. Required.
	Table string
	// Key is the column that identifies a row: the primary key, or a
	// column with a unique index. Required.
	Key string
	// KeyKind is the key's type.
	KeyKind KeyKind

	// OwnerColumn is a text column holding the owner's user id: the
	// record has that single owner, and no followers; NULL or '' is
	// unassigned.
	OwnerColumn string
	// Entries is a table of ownership entries: owners and followers.
	Entries *Entries
	// Field is field-matched ownership: the record is owned by the user
	// whose canonical value matches a column of the record.
	Field *Field

	// ParentColumn is a column holding the key of the record's parent, a
	// row of Parent's table; NULL is no parent. Set both or neither.
	ParentColumn string
	// Parent is the table of the parent records. With no other source of
	// ownership, the record is synced with its parent
	// ([ownership.SyncWithParent]): its ownership is the parent's, read
	// through ParentColumn; a record whose parent is missing is
	// unassigned.
	Parent *Table

	// VersionColumn is an integer column, NOT NULL DEFAULT 0, that [Store]
	// increments on every write of the ownership, for compare-and-swap.
	// Only an OwnerColumn mapping with a VersionColumn can be written; the
	// others are read-only. A row at version 0 exists but has never been
	// written through the library. Without one, records read at version 0.
	VersionColumn string
}

// Entries is a host table of ownership entries: one row per record and
// user, with the user's role. Rows with another role value, or a NULL or
// empty user, are ignored; a user with both roles on one record is an
// owner, as in [ownership.List].
type Entries struct {
	// Table holds the rows. Required.
	Table string
	// Key is the column holding the record's key. Required.
	Key string
	// User is the text column holding the user id. Required.
	User string
	// Role is the text column holding the role. Required.
	Role string
	// Owner and Follower are the role values; "" means "owner" and
	// "follower".
	Owner, Follower string
}

// Field is field-matched ownership: a column of the record holds the
// canonical form of an email address or login, and the record is owned by
// the user whose column in Users holds the same value; NULL, or a value
// no user has, is unassigned.
//
// Both columns must hold the canonical form, written by the host (for
// email addresses, [ownership.CanonicalEmail]), since SQL compares them
// exactly; and the users' column must be unique (a UNIQUE index), as a
// value matching several users is ambiguous to [ownership.Matcher] too.
type Field struct {
	// Column is the record's column. Required.
	Column string
	// Users is the users table. Required.
	Users string
	// UserID is the column of Users holding the user id. Required.
	UserID string
	// UserValue is the column of Users holding the canonical value.
	// Required.
	UserValue string
}

// source is where a table's ownership lives.
type source uint8

const (
	fromOwner source = iota + 1
	fromEntries
	fromField
	fromParent
)

// Table is a compiled [Mapping]: its identifiers checked and quoted. It is
// immutable and safe for concurrent use.
type Table struct {
	m      Mapping
	src    source
	d      sqlstore.Dialect
	table  string // quoted
	key    string // quoted column
	owner  string // quoted column, fromOwner
	parent string // quoted column, or ""
	ver    string // quoted column, or ""

	entries      Entries // quoted names, fromEntries
	field        Field   // quoted names, fromField
	roleOwner    string
	roleFollower string
}

// NewTable checks m and compiles it for dialect d. A missing or malformed
// identifier, several sources of ownership, or a parent of another dialect
// is an error wrapping [ownership.ErrInvalid].
func NewTable(m Mapping, d sqlstore.Dialect) (*Table, error) {
	bad := func(format string, a ...any) (*Table, error) {
		return nil, fmt.Errorf("%w: hostsql: mapping of %q: %s", ownership.ErrInvalid, m.Type, fmt.Sprintf(format, a...))
	}
	if d != sqlstore.Postgres && d != sqlstore.SQLite {
		return bad("invalid %v", d)
	}
	if m.Type == "" || strings.Contains(m.Type, "/") {
		return bad("record type must be non-empty, without a slash")
	}
	if m.KeyKind > KeyUUID {
		return bad("%v", m.KeyKind)
	}
	t := &Table{m: m, d: d}
	var err error
	quote := func(what, name string, qualified bool) string {
		if err != nil {
			return ""
		}
		var q string
		q, err = quoteIdent(name, qualified)
		if err != nil {
			err = fmt.Errorf("%w: hostsql: mapping of %q: %s: %w", ownership.ErrInvalid, m.Type, what, err)
		}
		return q
	}
	t.table = quote("Table", m.Table, true)
	t.key = quote("Key", m.Key, false)
	n := 0
	if m.OwnerColumn != "" {
		n++
		t.src = fromOwner
		t.owner = quote("OwnerColumn", m.OwnerColumn, false)
	}
	if e := m.Entries; e != nil {
		n++
		t.src = fromEntries
		t.entries = Entries{
			Table: quote("Entries.Table", e.Table, true),
			Key:   quote("Entries.Key", e.Key, false),
			User:  quote("Entries.User", e.User, false),
			Role:  quote("Entries.Role", e.Role, false),
		}
		t.roleOwner, t.roleFollower = cmpOr(e.Owner, "owner"), cmpOr(e.Follower, "follower")
		if t.roleOwner == t.roleFollower {
			return bad("Entries: the owner and follower role values are both %q", t.roleOwner)
		}
	}
	if f := m.Field; f != nil {
		n++
		t.src = fromField
		t.field = Field{
			Column:    quote("Field.Column", f.Column, false),
			Users:     quote("Field.Users", f.Users, true),
			UserID:    quote("Field.UserID", f.UserID, false),
			UserValue: quote("Field.UserValue", f.UserValue, false),
		}
	}
	if (m.ParentColumn == "") != (m.Parent == nil) {
		return bad("set both ParentColumn and Parent, or neither")
	}
	if m.Parent != nil {
		t.parent = quote("ParentColumn", m.ParentColumn, false)
		if m.Parent.d != d {
			return bad("parent %q is for %v", m.Parent.m.Type, m.Parent.d)
		}
		if n == 0 {
			n++
			t.src = fromParent
		}
	}
	if m.VersionColumn != "" {
		t.ver = quote("VersionColumn", m.VersionColumn, false)
	}
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return bad("want exactly one of OwnerColumn, Entries, Field, or Parent alone; got %d", n)
	}
	return t, nil
}

// MustTable is like [NewTable] but panics on error. It is meant for
// mappings written in the program.
func MustTable(m Mapping, d sqlstore.Dialect) *Table {
	t, err := NewTable(m, d)
	if err != nil {
		panic(err.Error() + " (MustTable is for mappings written in the program; use NewTable for configuration)")
	}
	return t
}

// Type returns the record type of the table's records.
func (t *Table) Type() string { return t.m.Type }

// Mapping returns the mapping the table was compiled from.
func (t *Table) Mapping() Mapping { return t.m }

// Synced reports whether the table's records are synced with their
// parent: their ownership is the parent's.
func (t *Table) Synced() bool { return t.src == fromParent }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// identPart is one part of an identifier this package accepts.
var identPart = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// quoteIdent checks name (one part, or schema.name when qualified) and
// returns it quoted for both dialects.
func quoteIdent(name string, qualified bool) (string, error) {
	parts := []string{name}
	if qualified {
		parts = strings.Split(name, ".")
	}
	if len(parts) > 2 {
		return "", fmt.Errorf("identifier %q: at most schema.name", name)
	}
	for i, p := range parts {
		if !identPart.MatchString(p) {
			return "", fmt.Errorf("identifier %q: want letters, digits and underscores, not starting with a digit, at most 63", name)
		}
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, "."), nil
}

// keyValue returns the parameter value of the key whose text form is id,
// and false when no row can have that key.
func (t *Table) keyValue(id string) (any, bool) {
	return parseKey(t.m.KeyKind, id)
}

func parseKey(k KeyKind, id string) (any, bool) {
	switch k {
	case KeyInteger:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != id {
			return nil, false
		}
		return n, true
	case KeyUUID:
		if !canonicalUUID(id) {
			return nil, false
		}
		return id, true
	}
	if id == "" || !storable(id) {
		return nil, false
	}
	return id, true
}

// canonicalUUID reports whether s is a UUID in canonical lower-case form.
func canonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// placeholder returns the marker of the n-th parameter (from 1).
func placeholder(d sqlstore.Dialect, n int) string {
	if d == sqlstore.SQLite {
		return "?" + strconv.Itoa(n)
	}
	return "$" + strconv.Itoa(n)
}
