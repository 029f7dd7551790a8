package hostsql

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/ownershipkit/ownership"
)

// Page sizes of [Table.List].
const (
	// DefaultPageSize is the size of a page whose Limit is 0.
	DefaultPageSize = 50
	// MaxPageSize is the largest page; a larger Limit gets this many.
	MaxPageSize = 1000
)

// Page selects one page of a table's rows by keyset: the rows whose key
// comes after the page token After, in the key's own type and order
// (integers as integers), at most Limit of them.
//
// The zero Page is the first page of [DefaultPageSize] rows.
type Page struct {
	// After is the opaque token of the last row of the previous page, as
	// [Table.List] returned it; "" starts at the first row. A token only
	// ever becomes the bound parameter of "key > $n": it is not a secret
	// (it encodes the key) and cannot widen a query, since the filter
	// applies to every page.
	After string
	// Limit is the most rows to return: 0 means DefaultPageSize, more
	// than MaxPageSize means MaxPageSize. It must not be negative.
	Limit int
}

// Token returns the page token of the row whose key has the text form id
// (a record's id): the page after it starts at the next key.
func (t *Table) Token(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// AfterKey decodes a page token into the key value to bind as the
// parameter of "key > $n" in the host's own keyset query. A token that is
// not one of [Table.Token]'s, or whose key is not of the table's kind, is
// an error wrapping [ownership.ErrInvalid] that quotes it.
func (t *Table) AfterKey(token string) (any, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		if k, ok := t.keyValue(string(b)); ok {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: hostsql: page token %q: not a %v key of %s", ownership.ErrInvalid, token, t.m.KeyKind, t.m.Type)
}

// Querier runs queries: *sql.DB, *sql.Tx and *sql.Conn are Queriers.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// PageQuery returns the statement of one page of the rows of t that p
// matches, as [Table.List] runs it:
//
//	SELECT alias.key, alias.<column>, ... FROM <table> alias
//	WHERE <filter> [AND alias.key > $n] ORDER BY alias.key LIMIT <limit+1>
//
// with limit+1 rows asked for, to learn whether another page follows.
// columns are column names of t's table (checked and quoted like the
// mapping's). An invalid page or column is an error wrapping
// [ownership.ErrInvalid]; query is "" when nothing can match.
func (t *Table) PageQuery(p ownership.Predicate, alias string, columns []string, page Page) (query string, args []any, limit int, err error) {
	switch {
	case page.Limit < 0:
		return "", nil, 0, fmt.Errorf("%w: hostsql: page limit %d", ownership.ErrInvalid, page.Limit)
	case page.Limit == 0:
		limit = DefaultPageSize
	default:
		limit = min(page.Limit, MaxPageSize)
	}
	var after any
	if page.After != "" {
		if after, err = t.AfterKey(page.After); err != nil {
			return "", nil, 0, err
		}
	}
	// The key comes back in its own type, which costs the database
	// nothing, except a UUID, whose drivers disagree on its Go type.
	cols := []string{alias + "." + t.key}
	if t.m.KeyKind == KeyUUID {
		cols[0] = "CAST(" + cols[0] + " AS TEXT)"
	}
	for _, c := range columns {
		q, err := quoteIdent(c, false)
		if err != nil {
			return "", nil, 0, fmt.Errorf("%w: hostsql: column: %w", ownership.ErrInvalid, err)
		}
		cols = append(cols, alias+"."+q)
	}
	cond, args, err := t.where(p, alias, 0, after)
	if err != nil || cond == "FALSE" {
		return "", nil, limit, err
	}
	// The limit, an integer this function bounds, is written as a
	// literal: as a parameter, PostgreSQL soon plans the statement for any
	// limit (a generic plan), which measured 40 µs slower a page.
	query = "SELECT " + strings.Join(cols, ", ") + " FROM " + t.table + " " + alias +
		" WHERE " + cond + " ORDER BY " + alias + "." + t.key + " LIMIT " + strconv.Itoa(limit+1)
	return query, args, limit, nil
}

// List reads one page of the rows of t that p matches, the host's own
// columns of them, in key order: for each row, scan is called with a
// function that scans the columns, in order, into dest (as
// [sql.Rows.Scan] does). next is the page after this one, or the zero
// Page at the end.
//
//	pred := ownhttp.Filter(r.Context(), ownership.View, "contact")
//	next, err := contacts.List(ctx, db, pred, page, []string{"id", "name"},
//		func(scan func(dest ...any) error) error {
//			var c Contact
//			if err := scan(&c.ID, &c.Name); err != nil {
//				return err
//			}
//			out = append(out, c)
//			return nil
//		})
//
// scan must call its argument once per row; an error from scan ends the
// listing and is returned as it is.
func (t *Table) List(ctx context.Context, q Querier, p ownership.Predicate, page Page, columns []string, scan func(scan func(dest ...any) error) error) (next Page, err error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	query, args, limit, err := t.PageQuery(p, "h", columns, page)
	if err != nil || query == "" {
		return Page{}, err
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return Page{}, fail(ctx, "list "+t.m.Type, err)
	}
	defer rows.Close()
	var (
		id    string
		idInt int64
		key   any = &id
	)
	if t.m.KeyKind == KeyInteger {
		key = &idInt
	}
	n := 0
	for rows.Next() {
		if n == limit {
			if t.m.KeyKind == KeyInteger {
				id = strconv.FormatInt(idInt, 10)
			}
			next = Page{After: t.Token(id), Limit: page.Limit}
			break
		}
		n++
		scanned := false
		if err := scan(func(dest ...any) error {
			scanned = true
			return rows.Scan(append([]any{key}, dest...)...)
		}); err != nil {
			return Page{}, err
		}
		if !scanned {
			return Page{}, fmt.Errorf("hostsql: list %s: the scan callback did not scan its row", t.m.Type)
		}
	}
	if err := rows.Err(); err != nil {
		return Page{}, fail(ctx, "list "+t.m.Type, err)
	}
	return next, nil
}
