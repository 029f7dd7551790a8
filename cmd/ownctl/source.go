package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/seed"
	"github.com/ownershipkit/ownership/sqlstore"
)

// source is where the answers come from: a seed file, or a database
// read through sqlstore with a policy file.
type source interface {
	// where names the source in messages: "the seed", "the database".
	where() string
	policy() *ownership.Policy
	// decide answers one question; unknown users and records are
	// denials, as in the seed.
	decide(ctx context.Context, id ownership.UserID, a ownership.Action, ref ownership.Ref, field string) (ownership.Decision, error)
	user(ctx context.Context, id ownership.UserID) (ownership.User, bool, error)
	// subject returns user id as the subject of decisions, bound to the
	// policy: from a seed, with its organisation (tenant, teammates,
	// reports, queues); from a database, as the stored user says.
	subject(ctx context.Context, id ownership.UserID) (ownership.Subject, bool, error)
	record(ctx context.Context, ref ownership.Ref) (ownership.Record, bool, error)
	// matcher is the owner-field matcher of a type, if the source has one.
	matcher(recordType string) (*ownership.Matcher, bool)
	// who answers who may do a to r over every user of the source.
	who(ctx context.Context, a ownership.Action, r ownership.Record) (ownership.Access, error)
	// filter calls fn with each record of recordType that subj may reach
	// with a, in the source's order.
	filter(ctx context.Context, subj ownership.Subject, a ownership.Action, recordType string, fn func(ownership.Ref) error) error
	close() error
}

// seedSource answers from a seed file, as ownctl always has.
type seedSource struct{ s *seed.Seed }

func (seedSource) where() string                 { return "the seed" }
func (src seedSource) policy() *ownership.Policy { return src.s.Policy() }
func (seedSource) close() error                  { return nil }

func (src seedSource) decide(_ context.Context, id ownership.UserID, a ownership.Action, ref ownership.Ref, field string) (ownership.Decision, error) {
	return src.s.Decide(id, a, ref, field), nil
}

func (src seedSource) user(_ context.Context, id ownership.UserID) (ownership.User, bool, error) {
	u, ok := src.s.User(id)
	return u, ok, nil
}

func (src seedSource) subject(_ context.Context, id ownership.UserID) (ownership.Subject, bool, error) {
	subj, ok := src.s.Subject(id)
	return subj, ok, nil
}

func (src seedSource) record(_ context.Context, ref ownership.Ref) (ownership.Record, bool, error) {
	r, ok := src.s.Record(ref)
	return r, ok, nil
}

func (src seedSource) matcher(recordType string) (*ownership.Matcher, bool) {
	return src.s.Matcher(recordType)
}

// who answers through the seed's organisation, so that teammates,
// managers and queue members are among the users allowed.
func (src seedSource) who(ctx context.Context, a ownership.Action, r ownership.Record) (ownership.Access, error) {
	return src.s.Org().Who(ctx, src.s.Policy(), a, r)
}

func (src seedSource) filter(_ context.Context, subj ownership.Subject, a ownership.Action, recordType string, fn func(ownership.Ref) error) error {
	pred := src.s.Policy().Filter(subj, a, recordType)
	for _, raw := range src.s.Records() {
		r, _ := src.s.Record(raw.Ref)
		if pred.Match(r) {
			if err := fn(r.Ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// dbSource answers from a database through sqlstore, with the policy of a
// policy file.
type dbSource struct {
	st  *sqlstore.Store
	p   *ownership.Policy
	org *orgCache
}

// orgCache holds the organisation stored beside the records, read once
// by the first command that needs it.
type orgCache struct {
	org *ownership.Org
	err error
	ok  bool
}

// org returns the stored organisation; an organisation with problems
// (loops, unknown teams, references across tenants) is an error, as
// deciding without it could allow or deny wrongly.
func (src dbSource) orgOf(ctx context.Context) (*ownership.Org, error) {
	if !src.org.ok {
		src.org.org, src.org.err = src.st.Org(ctx)
		src.org.ok = true
		if src.org.err != nil {
			src.org.err = fmt.Errorf("the organisation stored in the database (run validate): %w", src.org.err)
		}
	}
	return src.org.org, src.org.err
}

func (dbSource) where() string                 { return "the database" }
func (src dbSource) policy() *ownership.Policy { return src.p }
func (src dbSource) close() error              { return src.st.DB().Close() }

func (src dbSource) decide(ctx context.Context, id ownership.UserID, a ownership.Action, ref ownership.Ref, field string) (ownership.Decision, error) {
	var subj ownership.Subject
	if id != "" {
		s, ok, err := src.subject(ctx, id)
		if err != nil {
			return ownership.Decision{}, err
		}
		if !ok {
			return ownership.Decision{Subject: id, Action: a, Record: ref, Field: field, Reason: ownership.ReasonUnknownSubject}, nil
		}
		subj = s
	}
	subj.ID = id
	r, _, err := src.record(ctx, ref)
	if err != nil {
		return ownership.Decision{}, err
	}
	var d ownership.Decision
	if field != "" {
		d = src.p.DecideField(subj, a, r, field)
	} else {
		d = src.p.Decide(subj, a, r)
	}
	d.Record = ref
	return d, nil
}

func (src dbSource) user(ctx context.Context, id ownership.UserID) (ownership.User, bool, error) {
	u, err := src.st.User(ctx, id)
	if errors.Is(err, ownership.ErrNotFound) {
		return ownership.User{}, false, nil
	}
	return u, err == nil, err
}

// subject is the stored user as a subject of the stored organisation
// (Org.Subject): its tenant, teammates, reports and queues.
func (src dbSource) subject(ctx context.Context, id ownership.UserID) (ownership.Subject, bool, error) {
	org, err := src.orgOf(ctx)
	if err != nil {
		return ownership.Subject{}, false, err
	}
	s, ok := org.Subject(id)
	if !ok {
		return ownership.Subject{}, false, nil
	}
	return src.p.Bind(s), true, nil
}

// record reads a record as stored: a synced record carries its copy of
// its parent's ownership, which is what the Manager decides on.
func (src dbSource) record(ctx context.Context, ref ownership.Ref) (ownership.Record, bool, error) {
	if !ref.Valid() {
		return ownership.Record{}, false, nil
	}
	r, err := src.st.Get(ctx, ref)
	if errors.Is(err, ownership.ErrNotFound) {
		return ownership.Record{}, false, nil
	}
	return r, err == nil, err
}

func (dbSource) matcher(string) (*ownership.Matcher, bool) { return nil, false }

// who asks the database (Store.Who): the users of the record's tenant and
// the platform users, with the reachers computed in SQL.
func (src dbSource) who(ctx context.Context, a ownership.Action, r ownership.Record) (ownership.Access, error) {
	if _, err := src.orgOf(ctx); err != nil {
		return ownership.Access{}, err
	}
	return src.st.Who(ctx, src.p, a, r.Ref)
}

func (src dbSource) filter(ctx context.Context, subj ownership.Subject, a ownership.Action, recordType string, fn func(ownership.Ref) error) error {
	for page := (sqlstore.Page{Limit: sqlstore.MaxPageSize}); ; {
		recs, next, err := src.st.List(ctx, src.p, subj, a, recordType, page)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := fn(r.Ref); err != nil {
				return err
			}
		}
		if next == (sqlstore.Page{}) {
			return nil
		}
		page = next
	}
}

// errBadDSN is a -db value ownctl cannot open.
var errBadDSN = errors.New(`want postgres://... (PostgreSQL), sqlite:PATH or file:PATH (SQLite)`)

// checkDSN reports a -db value whose kind of database ownctl does not
// know, before anything is opened.
func checkDSN(dsn string) error {
	for _, prefix := range []string{"postgres://", "postgresql://", "sqlite:", "file:"} {
		if strings.HasPrefix(dsn, prefix) {
			return nil
		}
	}
	scheme, _, found := strings.Cut(dsn, ":")
	if !found {
		scheme = dsn
	}
	return fmt.Errorf("-db: unknown kind of database %q: %w", scheme, errBadDSN)
}

// openDB opens the store that dsn names: a postgres:// or postgresql://
// URL opens PostgreSQL through pgx, sqlite:PATH or a file: URI opens
// SQLite. Unless write is set, the connection refuses writes (PostgreSQL
// read-only transactions, SQLite's query_only), so that a command that
// should only read cannot change anything. The database must exist and
// hold the ownership schema: ownctl never creates or migrates it.
func openDB(ctx context.Context, dsn string, write bool) (*sqlstore.Store, error) {
	var (
		db *sql.DB
		d  sqlstore.Dialect
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("-db %s: %v", redact(dsn), err)
		}
		if !write {
			cfg.RuntimeParams["default_transaction_read_only"] = "on"
		}
		db, d = stdlib.OpenDB(*cfg), sqlstore.Postgres
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasPrefix(dsn, "file:"):
		path, query, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:"), "?")
		if path == "" {
			return nil, fmt.Errorf("-db %s: no file: %w", dsn, errBadDSN)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("-db %s: %w", dsn, err)
		}
		params := []string{"_pragma=busy_timeout(20000)"}
		if !write {
			params = append(params, "_pragma=query_only(1)")
		}
		if query != "" {
			params = append(params, query)
		}
		var err error
		db, err = sql.Open("sqlite", "file:"+path+"?"+strings.Join(params, "&"))
		if err != nil {
			return nil, fmt.Errorf("-db %s: %v", dsn, err)
		}
		d = sqlstore.SQLite
	default:
		return nil, checkDSN(dsn)
	}
	// One query tells a database without the schema (or unreachable)
	// from one that ownctl can read.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ownership_records WHERE 1 = 0`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("-db %s: cannot read the ownership tables (is it the right database, migrated by sqlstore?): %v", redact(dsn), err)
	}
	return sqlstore.New(db, d), nil
}

// redact hides the password of a database URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return password.ReplaceAllString(dsn, "${1}xxxxx@")
	}
	if u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// password is the password of a URL that does not parse.
var password = regexp.MustCompile(`^([a-z]+://[^:/@]*:)[^@]*@`)

// loadPolicy reads a policy file: the JSON of a policy,
// {"roles": {...}, "types": {...}}, read strictly.
func loadPolicy(name string, stderr io.Writer) (*ownership.Policy, bool) {
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return nil, false
	}
	p, err := parsePolicy(data)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %s is not a valid policy:\n", name)
		printProblems(stderr, err)
		return nil, false
	}
	return p, true
}

func parsePolicy(data []byte) (*ownership.Policy, error) {
	p := new(ownership.Policy)
	if err := json.Unmarshal(data, p); err != nil {
		return nil, err
	}
	return p, nil
}
