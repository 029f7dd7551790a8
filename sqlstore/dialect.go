package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ownershipkit/ownership"
)

// Dialect is the SQL spoken by the database behind a [Store].
//
// The zero Dialect is invalid: [New] refuses it and [Where] returns an
// error.
type Dialect uint8

const (
	// Postgres is PostgreSQL 12 or newer, through pgx's database/sql
	// driver (github.com/jackc/pgx/v5/stdlib): some statements pass Go
	// slices as array parameters, which pgx encodes and other drivers may
	// refuse.
	Postgres Dialect = iota + 1
	// SQLite is SQLite 3.35 or newer (modernc.org/sqlite is the one
	// tested).
	SQLite
)

// dialectNames is the text form of the dialects, indexed by value, in the
// pattern of the core package's enumerations.
var dialectNames = [...]string{Postgres: "postgres", SQLite: "sqlite"}

// String returns "postgres", "sqlite" or "Dialect(n)".
func (d Dialect) String() string {
	if d.valid() {
		return dialectNames[d]
	}
	return fmt.Sprintf("Dialect(%d)", uint8(d))
}

// valid reports whether d is Postgres or SQLite.
func (d Dialect) valid() bool { return d == Postgres || d == SQLite }

// ParseDialect parses "postgres" or "sqlite", exactly as spelled.
func ParseDialect(s string) (Dialect, error) {
	for d, name := range dialectNames {
		if name != "" && name == s {
			return Dialect(d), nil
		}
	}
	return 0, fmt.Errorf("%w: dialect %q: want postgres or sqlite", ownership.ErrInvalid, s)
}

// MarshalText implements [encoding.TextMarshaler]. The zero or an
// unknown Dialect is an error rather than a string that would not parse.
func (d Dialect) MarshalText() ([]byte, error) {
	if !d.valid() {
		return nil, fmt.Errorf("%w: cannot encode %v", ownership.ErrInvalid, d)
	}
	return []byte(dialectNames[d]), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (d *Dialect) UnmarshalText(b []byte) error {
	v, err := ParseDialect(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// placeholder returns the marker of the n-th parameter (from 1): $n for
// PostgreSQL, ?n for SQLite (numbered, so that a parameter may be used
// twice and fragments can be combined).
func (d Dialect) placeholder(n int) string {
	if d == SQLite {
		return "?" + strconv.Itoa(n)
	}
	return "$" + strconv.Itoa(n)
}

// rebind rewrites the $n markers of one of this package's own query texts
// for d. It is only ever applied to constant SQL written in this package,
// which holds no other '$'.
func (d Dialect) rebind(q string) string {
	if d == SQLite {
		return strings.ReplaceAll(q, "$", "?")
	}
	return q
}

// keyParam returns the n-th parameter as a key column's text, for row
// values built from parameters (VALUES lists), which have no column to
// take their type and collation from.
func (d Dialect) keyParam(n int) string {
	if d == SQLite {
		return "CAST(" + d.placeholder(n) + " AS TEXT)"
	}
	return "CAST(" + d.placeholder(n) + ` AS TEXT) COLLATE "C"`
}

// jsonType is the SQL type of a JSON column.
func (d Dialect) jsonType() string {
	if d == Postgres {
		return "JSONB"
	}
	return "TEXT"
}
