// Command ownctl answers questions about ownership in a seed file or a
// live database: may this user do this to that record, and why not; what
// may a user reach; who may reach a record; is the data sound. On a
// database it also transfers a user's records and repairs synced records.
//
//	ownctl check    -seed FILE -user ID -action ACTION -record TYPE/ID [-field NAME]
//	ownctl check    -seed FILE -queries FILE
//	ownctl explain  -seed FILE -user ID -action ACTION -record TYPE/ID [-field NAME]
//	ownctl filter   -seed FILE -user ID [-action ACTION] -type TYPE
//	ownctl validate -seed FILE
//	ownctl who      -seed FILE [-action ACTION] -record TYPE/ID [-v]
//
// On a seed, every answer sees the seed's organisation: users' tenants,
// teams (and the managers of teams above them), manager hierarchy and
// queues, so check, explain and filter decide with each user's teammates,
// reports and queues, and who names them as what grants access
// (teammates, hierarchy, queue).
//
// Every one of these also runs on a database that sqlstore keeps: give
// -db DSN -policy FILE instead of -seed FILE. DSN is a postgres:// URL
// (PostgreSQL, through pgx), or sqlite:PATH or a file: URI (SQLite);
// FILE is the policy's JSON, {"roles": {...}, "types": {...}}. There a
// user is decided within the organisation stored beside the records
// (sqlstore's Store.Org: tenants, teams, the hierarchy, queues), who asks
// the database (Store.Who, its reachers computed in SQL), and validate
// reports the stored organisation's problems by path. The database is
// opened read-only: these commands cannot change it. Two
// commands work on a database only, and change it only with -write (a
// dry run otherwise, which prints exactly what the real run would do):
//
//	ownctl transfer  -db DSN -policy FILE -from ID -to ID -by ID [-type TYPE] [-write]
//	ownctl reconcile -db DSN -policy FILE [-write]
//
// With -queries, check answers each line of FILE, a JSON query, with one
// JSON line; blank lines are skipped. A line that is not a query, or is
// longer than 1 MiB, is answered with its line number and an error, the
// lines after it are still answered, and the exit status is 2.
//
// Exit status: 0 allowed (or done), 1 denied, 2 bad input.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/seed"
)

// Exit codes.
const (
	exitAllow = 0
	exitDeny  = 1
	exitBad   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `ownctl answers questions about ownership in a seed file.

Usage:
  ownctl check    -seed FILE -user ID -action ACTION -record TYPE/ID [-field NAME]
  ownctl check    -seed FILE -queries FILE
  ownctl explain  -seed FILE -user ID -action ACTION -record TYPE/ID [-field NAME]
  ownctl filter   -seed FILE -user ID [-action ACTION] -type TYPE
  ownctl validate -seed FILE
  ownctl who      -seed FILE [-action ACTION] -record TYPE/ID [-v]

On a database, give -db DSN -policy FILE instead of -seed FILE (DSN:
postgres://..., sqlite:PATH or file:PATH; FILE: the policy JSON). These
two work on a database only, and dry-run unless given -write:
  ownctl transfer  -db DSN -policy FILE -from ID -to ID -by ID [-type TYPE] [-write]
  ownctl reconcile -db DSN -policy FILE [-write]

Actions: view, update, delete, claim, reassign, manage_ownership.
Exit status: 0 allowed (or done), 1 denied, 2 bad input.
Run "ownctl COMMAND -help" for a command's flags.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBad
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "check":
		return check(rest, stdin, stdout, stderr)
	case "explain":
		return explain(rest, stdout, stderr)
	case "filter":
		return filter(rest, stdout, stderr)
	case "validate":
		return validate(rest, stdout, stderr)
	case "who":
		return who(rest, stdout, stderr)
	case "transfer":
		return transfer(rest, stdout, stderr)
	case "reconcile":
		return reconcile(rest, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitAllow
	}
	fmt.Fprintf(stderr, "ownctl: unknown command %q\n\n%s", cmd, usage)
	return exitBad
}

// flags is a command's flag set with the options the commands share.
type flags struct {
	fs                                *flag.FlagSet
	seed, user, action, record, field string
	queries, recordType               string
	verbose                           bool
	stdout, stderr                    io.Writer

	db, policy string // a database and its policy file, instead of a seed
	dbOnly     bool   // the command works on a database only
}

func newFlags(name, about string, stdout, stderr io.Writer) *flags {
	f := &flags{fs: flag.NewFlagSet("ownctl "+name, flag.ContinueOnError), stdout: stdout, stderr: stderr}
	f.fs.SetOutput(stderr)
	f.fs.Usage = func() {
		fmt.Fprintf(f.fs.Output(), "%s\n\nFlags of ownctl %s:\n", about, name)
		f.fs.PrintDefaults()
	}
	f.fs.StringVar(&f.seed, "seed", "", "the seed `FILE` (JSON)")
	f.fs.StringVar(&f.db, "db", "", "answer for a database instead of a seed: `DSN` postgres://..., sqlite:PATH or file:PATH")
	f.fs.StringVar(&f.policy, "policy", "", "the policy `FILE` (JSON) to decide with, with -db")
	return f
}

// newDBFlags makes the flags of a command that works on a database only.
func newDBFlags(name, about string, stdout, stderr io.Writer) *flags {
	f := &flags{fs: flag.NewFlagSet("ownctl "+name, flag.ContinueOnError), stdout: stdout, stderr: stderr, dbOnly: true}
	f.fs.SetOutput(stderr)
	f.fs.Usage = func() {
		fmt.Fprintf(f.fs.Output(), "%s\n\nFlags of ownctl %s:\n", about, name)
		f.fs.PrintDefaults()
	}
	f.fs.StringVar(&f.db, "db", "", "the database: `DSN` postgres://..., sqlite:PATH or file:PATH")
	f.fs.StringVar(&f.policy, "policy", "", "the policy `FILE` (JSON) to decide with")
	return f
}

func (f *flags) question() {
	f.fs.StringVar(&f.user, "user", "", "the user `ID` asking")
	f.fs.StringVar(&f.action, "action", "", "the `ACTION`: view, update, delete, claim, reassign or manage_ownership")
	f.fs.StringVar(&f.record, "record", "", "the record, as `TYPE/ID`")
	f.fs.StringVar(&f.field, "field", "", "ask about one field of the record (view and update only)")
}

// parse parses args; it returns an exit code and false when the command
// must stop (help was asked for, or the flags are wrong).
func (f *flags) parse(args []string, required ...string) (int, bool) {
	// Help asked for goes to standard output; mistakes to standard error.
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			f.fs.SetOutput(f.stdout)
		}
		if f.dbOnly && (a == "-seed" || a == "--seed" || strings.HasPrefix(a, "-seed=") || strings.HasPrefix(a, "--seed=")) {
			f.seed = "given"
		}
	}
	if f.seed != "" {
		return f.source()
	}
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitAllow, false
		}
		return exitBad, false
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(f.stderr, "ownctl: unexpected argument %q\n", f.fs.Arg(0))
		return exitBad, false
	}
	if code, ok := f.source(); !ok {
		return code, false
	}
	return f.require(required...)
}

// source checks that the flags name one source: a seed file, or a
// database with its policy file.
func (f *flags) source() (int, bool) {
	switch {
	case f.dbOnly && f.seed != "":
		fmt.Fprintf(f.stderr, "ownctl: %s works on a database: give -db and -policy, not -seed\n", strings.TrimPrefix(f.fs.Name(), "ownctl "))
		return exitBad, false
	case f.dbOnly && f.db == "":
		return f.require("db")
	case f.seed != "" && f.db != "":
		fmt.Fprintln(f.stderr, "ownctl: give -seed or -db, not both")
		return exitBad, false
	case f.seed == "" && f.db == "":
		fmt.Fprintln(f.stderr, "ownctl: -seed or -db is required")
		f.fs.Usage()
		return exitBad, false
	case f.db != "" && f.policy == "":
		fmt.Fprintln(f.stderr, "ownctl: -db needs -policy FILE, the policy (JSON) to decide with")
		return exitBad, false
	case f.db == "" && f.policy != "":
		fmt.Fprintln(f.stderr, "ownctl: -policy goes with -db: a seed file holds its own policy")
		return exitBad, false
	}
	if f.db != "" {
		if err := checkDSN(f.db); err != nil {
			fmt.Fprintf(f.stderr, "ownctl: %v\n", err)
			return exitBad, false
		}
	}
	return 0, true
}

// require checks that the named flags were given.
func (f *flags) require(names ...string) (int, bool) {
	for _, name := range names {
		if fl := f.fs.Lookup(name); fl != nil && fl.Value.String() == "" {
			fmt.Fprintf(f.stderr, "ownctl: -%s is required\n", name)
			f.fs.Usage()
			return exitBad, false
		}
	}
	return 0, true
}

// open opens the source the flags name: the seed file, or the database
// (read-only unless write) with the policy file. Problems are printed.
func (f *flags) open(ctx context.Context, write bool) (source, bool) {
	if f.db == "" {
		s, ok := f.load()
		if !ok {
			return nil, false
		}
		return seedSource{s}, true
	}
	p, ok := loadPolicy(f.policy, f.stderr)
	if !ok {
		return nil, false
	}
	st, err := openDB(ctx, f.db, write)
	if err != nil {
		fmt.Fprintf(f.stderr, "ownctl: %v\n", err)
		return nil, false
	}
	return dbSource{st: st, p: p, org: &orgCache{}}, true
}

// load reads and parses the seed file; problems are printed, one per line.
func (f *flags) load() (*seed.Seed, bool) {
	data, err := os.ReadFile(f.seed)
	if err != nil {
		fmt.Fprintf(f.stderr, "ownctl: %v\n", err)
		return nil, false
	}
	s, err := seed.Parse(data)
	if err != nil {
		fmt.Fprintf(f.stderr, "ownctl: %s is not a valid seed:\n", f.seed)
		printProblems(f.stderr, err)
		return nil, false
	}
	return s, true
}

func printProblems(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "  %s\n", strings.TrimPrefix(line, "ownership: "))
	}
}

// query is one question, from the command line or a -queries line.
type query struct {
	User   string `json:"user"`
	Action string `json:"action"`
	Record string `json:"record"`
	Field  string `json:"field,omitempty"`
}

// ask answers q; a malformed action or record is an error (bad input),
// while unknown users and records are denials.
func ask(ctx context.Context, src source, q query) (ownership.Decision, error) {
	a, err := ownership.ParseAction(q.Action)
	if err != nil {
		return ownership.Decision{}, err
	}
	ref, err := ownership.ParseRef(q.Record)
	if err != nil {
		return ownership.Decision{}, err
	}
	return src.decide(ctx, ownership.UserID(q.User), a, ref, q.Field)
}

func verdict(d ownership.Decision) int {
	if d.Allowed {
		return exitAllow
	}
	return exitDeny
}

func check(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newFlags("check", "check prints allow or deny, the reason code and the explanation.\nWith -queries it answers one JSON query per line.", stdout, stderr)
	f.question()
	f.fs.StringVar(&f.queries, "queries", "", "answer the JSON lines of `FILE` (- for standard input): {\"user\",\"action\",\"record\"[,\"field\"]}")
	if code, ok := f.parse(args); !ok {
		return code
	}
	ctx := context.Background()
	if f.queries != "" {
		if f.user != "" || f.action != "" || f.record != "" || f.field != "" {
			fmt.Fprintln(stderr, "ownctl: -queries replaces -user, -action, -record and -field")
			return exitBad
		}
		src, ok := f.open(ctx, false)
		if !ok {
			return exitBad
		}
		defer src.close()
		return batch(ctx, src, f.queries, stdin, stdout, stderr)
	}
	if code, ok := f.require("user", "action", "record"); !ok {
		return code
	}
	src, d, ok := f.decide(ctx)
	if !ok {
		return exitBad
	}
	defer src.close()
	fmt.Fprintln(stdout, d.String())
	return verdict(d)
}

// decide opens the source and answers the question given by the flags;
// it reports bad input itself and returns false. The caller closes the
// source.
func (f *flags) decide(ctx context.Context) (source, ownership.Decision, bool) {
	src, ok := f.open(ctx, false)
	if !ok {
		return nil, ownership.Decision{}, false
	}
	d, err := ask(ctx, src, query{User: f.user, Action: f.action, Record: f.record, Field: f.field})
	if err != nil {
		src.close()
		fmt.Fprintf(f.stderr, "ownctl: %v\n", err)
		return nil, ownership.Decision{}, false
	}
	return src, d, true
}

// answer is one -queries output line.
type answer struct {
	User        string `json:"user"`
	Action      string `json:"action"`
	Record      string `json:"record"`
	Field       string `json:"field,omitempty"`
	Allowed     bool   `json:"allowed"`
	Reason      string `json:"reason,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	Line        int    `json:"line,omitempty"`
	Error       string `json:"error,omitempty"`
}

// maxQueryLine is the longest -queries line that is read, in bytes, not
// counting its newline. A longer line is answered with an error, like a
// line that is not a query, and is skipped without being held in memory.
const maxQueryLine = 1 << 20

// batch answers each JSON line of the queries file with one JSON line;
// blank lines are skipped. A line that cannot be read as a query, or is
// longer than maxQueryLine, is answered with an error, and makes the exit
// status 2; otherwise it is 0.
func batch(ctx context.Context, src source, name string, stdin io.Reader, stdout, stderr io.Writer) int {
	in := stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "ownctl: %v\n", err)
			return exitBad
		}
		defer file.Close()
		in = file
	}
	r := bufio.NewReaderSize(in, 64*1024)
	var buf []byte
	w := bufio.NewWriterSize(stdout, 64*1024)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	code, n := exitAllow, 0
	for {
		raw, tooLong, err := readLine(r, buf[:0])
		if err != nil {
			if err != io.EOF {
				fmt.Fprintf(stderr, "ownctl: reading %s: %v\n", name, err)
				code = exitBad
			}
			break
		}
		buf = raw
		n++
		var out answer
		if tooLong {
			out.Line, out.Error = n, fmt.Sprintf("line longer than %d bytes: not read", maxQueryLine)
			code = exitBad
		} else {
			line := strings.TrimSpace(string(raw))
			if line == "" {
				continue
			}
			q, err := parseQuery(line)
			out = answer{User: q.User, Action: q.Action, Record: q.Record, Field: q.Field}
			var d ownership.Decision
			if err == nil {
				d, err = ask(ctx, src, q)
			}
			if err != nil {
				out.Line, out.Error = n, err.Error()
				code = exitBad
			} else {
				out.Allowed, out.Reason, out.Explanation = d.Allowed, d.Reason.String(), d.Explain()
			}
		}
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "ownctl: %v\n", err)
			return exitBad
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	return code
}

// readLine reads the next line from r, appending it to buf without its
// newline. A line longer than maxQueryLine is read to its end, a buffer
// at a time, but not kept: tooLong is set and the line is empty. The last
// line may lack a newline. At the end of the input, err is io.EOF.
func readLine(r *bufio.Reader, buf []byte) (line []byte, tooLong bool, err error) {
	read := false
	for {
		chunk, err := r.ReadSlice('\n')
		read = read || len(chunk) > 0
		chunk = bytes.TrimSuffix(chunk, []byte("\n"))
		if !tooLong {
			if len(buf)+len(chunk) > maxQueryLine {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == nil:
			return buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && read:
			return buf, tooLong, nil
		default:
			return buf, tooLong, err
		}
	}
}

func explain(args []string, stdout, stderr io.Writer) int {
	f := newFlags("explain", "explain answers like check, in words for a person: the verdict, why,\nwhat would change it, and the user and record it was decided on.", stdout, stderr)
	f.question()
	if code, ok := f.parse(args, "user", "action", "record"); !ok {
		return code
	}
	ctx := context.Background()
	src, d, ok := f.decide(ctx)
	if !ok {
		return exitBad
	}
	defer src.close()
	what := f.action
	if f.field != "" {
		what += " field " + f.field + " of"
	}
	fmt.Fprintf(stdout, "May %s %s %s?\n", f.user, what, f.record)
	if d.Allowed {
		fmt.Fprintf(stdout, "  Yes (%s).\n", d.Reason)
	} else {
		fmt.Fprintf(stdout, "  No (%s).\n", d.Reason)
	}
	_, why, _ := strings.Cut(d.Explain(), ": ")
	reason, remedy, found := strings.Cut(why, "; ")
	fmt.Fprintf(stdout, "  Why: %s.\n", reason)
	if found && !d.Allowed {
		fmt.Fprintf(stdout, "  To change it: %s.\n", remedy)
	}
	u, ok, err := src.user(ctx, ownership.UserID(f.user))
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	if ok {
		name := strings.TrimSpace(u.GivenName + " " + u.LastName)
		if name != "" {
			name = " (" + name + ")"
		}
		roles := strings.Join(u.Roles, ", ")
		if roles == "" {
			roles = "none"
		}
		fmt.Fprintf(stdout, "User %s%s: roles %s%s.\n", u.ID, name, roles, placeOf(u))
	}
	if ref, err := ownership.ParseRef(f.record); err == nil {
		r, ok, err := src.record(ctx, ref)
		if err != nil {
			fmt.Fprintf(stderr, "ownctl: %v\n", err)
			return exitBad
		}
		if ok {
			fmt.Fprintf(stdout, "Record %s: %s.\n", ref, describe(src, r))
		}
	}
	return verdict(d)
}

// placeOf describes a user's place in the organisation, after its
// roles: "; tenant acme; teams sales-east; manager dan; queues support",
// each part only when set.
func placeOf(u ownership.User) string {
	var b strings.Builder
	if u.Tenant != "" {
		fmt.Fprintf(&b, "; tenant %s", u.Tenant)
	}
	if len(u.Teams) > 0 {
		fmt.Fprintf(&b, "; teams %s", joinIDs(u.Teams))
	}
	if u.Manager != "" {
		fmt.Fprintf(&b, "; manager %s", u.Manager)
	}
	if len(u.Queues) > 0 {
		fmt.Fprintf(&b, "; queues %s", joinIDs(u.Queues))
	}
	return b.String()
}

// describe says who owns and follows r and where that comes from, and
// the tenant r belongs to.
func describe(src source, r ownership.Record) string {
	var parts []string
	if r.Tenant != "" {
		parts = append(parts, "tenant "+string(r.Tenant))
	}
	switch o, q := r.Ownership.Owners(), r.Ownership.Queue(); {
	case len(o) > 0:
		parts = append(parts, "owners "+joinIDs(o))
	case q != "":
		parts = append(parts, "held by queue "+string(q))
	default:
		parts = append(parts, "unassigned")
	}
	if fl := r.Ownership.Followers(); len(fl) > 0 {
		parts = append(parts, "followers "+joinIDs(fl))
	}
	switch {
	case r.Mode == ownership.SyncWithParent:
		parts = append(parts, "ownership synced from "+r.Parent.String())
	default:
		if m, ok := src.matcher(r.Ref.Type); ok {
			parts = append(parts, fmt.Sprintf("owner from field %s = %q", m.Field().Record, r.Fields[m.Field().Record]))
		}
	}
	return strings.Join(parts, "; ")
}

func joinIDs[T ~string](ids []T) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}

func filter(args []string, stdout, stderr io.Writer) int {
	f := newFlags("filter", "filter lists the records of a type that the user may reach with the action,\none reference per line, in the seed's order.", stdout, stderr)
	f.fs.StringVar(&f.user, "user", "", "the user `ID`")
	f.fs.StringVar(&f.action, "action", "view", "the `ACTION`")
	f.fs.StringVar(&f.recordType, "type", "", "the record `TYPE`")
	f.fs.BoolVar(&f.verbose, "v", false, "print the compiled condition first, as a # comment")
	if code, ok := f.parse(args, "user", "type"); !ok {
		return code
	}
	a, err := ownership.ParseAction(f.action)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	ctx := context.Background()
	src, ok := f.open(ctx, false)
	if !ok {
		return exitBad
	}
	defer src.close()
	subj, known, err := src.subject(ctx, ownership.UserID(f.user))
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	if !known {
		fmt.Fprintf(stderr, "ownctl: user %q is not in %s: nothing is reachable\n", f.user, src.where())
		return exitDeny
	}
	if f.verbose {
		fmt.Fprintf(stdout, "# %s\n", src.policy().Filter(subj, a, f.recordType))
	}
	w := bufio.NewWriter(stdout)
	err = src.filter(ctx, subj, a, f.recordType, func(ref ownership.Ref) error {
		_, err := fmt.Fprintln(w, ref)
		return err
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	return exitAllow
}

func who(args []string, stdout, stderr io.Writer) int {
	f := newFlags("who", "who lists every user of the seed who may do the action on the record, with\nwhat grants it (owner, follower, unassigned pool, queue, teammates, hierarchy,\nothers' records, claim, queue claim, reassign, bypass); -v adds the users who\nmay not, with what they lack.", stdout, stderr)
	f.fs.StringVar(&f.action, "action", "view", "the `ACTION`")
	f.fs.StringVar(&f.record, "record", "", "the record, as `TYPE/ID`")
	f.fs.BoolVar(&f.verbose, "v", false, "also list the users who may not, with the reason and the remedy")
	if code, ok := f.parse(args, "record"); !ok {
		return code
	}
	a, err := ownership.ParseAction(f.action)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	ref, err := ownership.ParseRef(f.record)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	ctx := context.Background()
	src, ok := f.open(ctx, false)
	if !ok {
		return exitBad
	}
	defer src.close()
	r, found, err := src.record(ctx, ref)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	if !found {
		fmt.Fprintf(stdout, "%s does not exist: nobody may %s it\n", ref, a)
		return exitDeny
	}
	acc, err := src.who(ctx, a, r)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	for _, d := range acc.Allowed {
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", d.Subject, d.Basis(), d.Reason)
	}
	if f.verbose {
		for _, d := range acc.Denied {
			fmt.Fprintf(stdout, "# not %s\t%s\t%s\n", d.Subject, d.Reason, d.Explain())
		}
	}
	if len(acc.Allowed) == 0 {
		return exitDeny
	}
	return exitAllow
}

func validate(args []string, stdout, stderr io.Writer) int {
	f := newFlags("validate", "validate reports every problem in a seed file, each with its path,\nor a summary when there is none.", stdout, stderr)
	if code, ok := f.parse(args); !ok {
		return code
	}
	if f.db != "" {
		return validateDB(f)
	}
	data, err := os.ReadFile(f.seed)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	s, err := seed.Parse(data)
	if err != nil {
		n := 1
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			n = len(joined.Unwrap())
		}
		fmt.Fprintf(stdout, "%s: %d problem(s):\n", f.seed, n)
		printProblems(stdout, err)
		return exitBad
	}
	matched := 0
	for _, t := range s.Types() {
		if t.OwnerField != nil {
			matched++
		}
	}
	tenants := map[ownership.TenantID]bool{}
	for _, u := range s.Users() {
		tenants[u.Tenant] = true
	}
	for _, r := range s.Records() {
		tenants[r.Tenant] = true
	}
	delete(tenants, "")
	fmt.Fprintf(stdout, "%s: ok: %d users, %d teams, %d queues, %d tenants, %d roles, %d record types with owner fields, %d templates, %d profiles, %d records, %d assignment rules\n",
		f.seed, len(s.Users()), len(s.Teams()), len(s.Queues()), len(tenants), len(s.Policy().RoleNames()), matched, len(s.Templates()), len(s.Profiles()), len(s.Records()), len(s.Rules()))
	return exitAllow
}
