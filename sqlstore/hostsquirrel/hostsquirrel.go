// Package hostsquirrel puts an ownership policy into queries built with
// squirrel (github.com/Masterminds/squirrel): [Where] is a
// squirrel.Sqlizer for the condition of a [hostsql.Table], to pass to a
// SelectBuilder's Where beside the host's own conditions.
//
//	pred := policy.Filter(subject, ownership.View, "contact")
//	q := squirrel.Select("c.id", "c.name").From("contacts c").
//		Where(hostsquirrel.Where(contacts, pred, "c")).
//		Where(squirrel.Eq{"c.city": city}).
//		OrderBy("c.id").Limit(50).
//		PlaceholderFormat(squirrel.Dollar) // for PostgreSQL
//
// It is its own module, so that hostsql's importers do not depend on
// squirrel.
package hostsquirrel

import (
	"regexp"
	"strconv"

	"github.com/Masterminds/squirrel"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore/hostsql"
)

// Where returns the condition of p on the rows of t under alias, as
// [hostsql.Table.Where] translates it, with squirrel's "?" placeholders
// (one argument per placeholder, in order), so that squirrel numbers them
// with the rest of the statement. ToSql returns Where's errors: an
// untranslatable predicate is an error wrapping [ownership.ErrInvalid],
// never a wider query.
func Where(t *hostsql.Table, p ownership.Predicate, alias string) squirrel.Sqlizer {
	return cond{t: t, p: p, alias: alias}
}

type cond struct {
	t     *hostsql.Table
	p     ownership.Predicate
	alias string
}

// marker matches the numbered parameters of a hostsql condition: $n for
// PostgreSQL, ?n for SQLite. The condition holds no other '$' or '?': its
// identifiers are checked (letters, digits, underscores) and its only
// literal is the empty string.
var marker = regexp.MustCompile(`[$?]([0-9]+)`)

// ToSql implements squirrel.Sqlizer.
func (c cond) ToSql() (string, []any, error) {
	sql, numbered, err := c.t.Where(c.p, c.alias, 0)
	if err != nil {
		return "", nil, err
	}
	var args []any
	sql = marker.ReplaceAllStringFunc(sql, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		args = append(args, numbered[n-1])
		return "?"
	})
	return sql, args, nil
}
