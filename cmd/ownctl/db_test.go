package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/seed"
	"github.com/ownershipkit/ownership/sqlstore"
)

// testDB is a database for ownctl to answer for: its -db DSN, the path of
// its policy file, and a store to set it up and look at it.
type testDB struct {
	dsn, policy string
	st          *sqlstore.Store
}

// databases runs fn on a new SQLite database and, when
// OWNERSHIP_POSTGRES_DSN is set, on a new schema of the PostgreSQL test
// database, each holding the crm seed's users and records.
func databases(t *testing.T, fn func(t *testing.T, db testDB)) { databasesOf(t, "crm.json", fn) }

// databasesOf is databases with the named seed of seed/testdata.
func databasesOf(t *testing.T, name string, fn func(t *testing.T, db testDB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newSQLite(t, name)) })
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("OWNERSHIP_POSTGRES_DSN")
		if dsn == "" {
			t.Skip("OWNERSHIP_POSTGRES_DSN not set: PostgreSQL tests skipped")
		}
		fn(t, newPostgres(t, dsn, name))
	})
}

func newSQLite(t *testing.T, name string) testDB {
	path := filepath.Join(t.TempDir(), "ownership.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return fill(t, "sqlite:"+path, sqlstore.New(db, sqlstore.SQLite), name)
}

var schemaSeq atomic.Int64

func newPostgres(t *testing.T, dsn, name string) testDB {
	schema := fmt.Sprintf("ownctl_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemaSeq.Add(1))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	quoted := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.Exec("CREATE SCHEMA " + quoted); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.Exec("DROP SCHEMA " + quoted + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return fill(t, dsn+sep+"search_path="+schema, sqlstore.New(db, sqlstore.Postgres), name)
}

// fill migrates st and stores the named seed in it: its organisation, its
// records with their effective ownership, and for the crm seed note/n1,
// synced with contact/c4 but carrying a stale copy of another list, as
// after an interrupted propagation. The seed's policy goes to a policy
// file.
func fill(t *testing.T, dsn string, st *sqlstore.Store, name string) testDB {
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := storeSeed(t, st, name)
	if name == "crm.json" {
		stale := ownership.Record{Ref: ownership.MustRef("note/n1"), Parent: ownership.MustRef("contact/c4"), Mode: ownership.SyncWithParent,
			Ownership: ownership.MustList(ownership.Entry{UserID: "rep1", Role: ownership.Owner})}
		if _, err := st.CompareAndSwap(ctx, stale); err != nil {
			t.Fatal(err)
		}
	}
	policy, err := json.Marshal(s.Policy())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, policy, 0o644); err != nil {
		t.Fatal(err)
	}
	return testDB{dsn: dsn, policy: path, st: st}
}

// storeSeed stores a seed's organisation (users, teams, queues) and its
// records, with their effective ownership, in st, and returns the seed.
func storeSeed(t *testing.T, st *sqlstore.Store, name string) *seed.Seed {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(seeds + name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := seed.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range s.Queues() {
		if err := st.PutQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, tm := range s.Teams() {
		if err := st.PutTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range s.Users() {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	// Parents before the records synced with them.
	recs := s.Records()
	slices.SortStableFunc(recs, func(a, b ownership.Record) int { return int(a.Mode) - int(b.Mode) })
	for _, raw := range recs {
		r, _ := s.Record(raw.Ref)
		r.Version = 0
		if _, err := st.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestDBOrgEqualsSeed: with the teams seed (tenants, a team tree, a
// manager chain, a queue, a platform role) stored in the database, every
// check ownctl answers from the database equals the one from the seed,
// and who allows the same users.
func TestDBOrgEqualsSeed(t *testing.T) {
	data, err := os.ReadFile(seeds + "teams.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := seed.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	databasesOf(t, "teams.json", func(t *testing.T, db testDB) {
		var queries strings.Builder
		n := 0
		for _, u := range s.Users() {
			for _, r := range s.Records() {
				for a := ownership.View; a <= ownership.ManageOwnership; a++ {
					fmt.Fprintf(&queries, "{\"user\":%q,\"action\":%q,\"record\":%q}\n", u.ID, a, r.Ref)
					n++
				}
			}
		}
		_, fromDB, errDB := db.ownctl("check -db $DB -policy $POLICY -queries -", queries.String())
		_, fromSeed, errSeed := db.ownctl("check -seed "+seeds+"teams.json -queries -", queries.String())
		if errDB != "" || errSeed != "" {
			t.Fatalf("stderr: %s%s", errDB, errSeed)
		}
		if fromDB != fromSeed || strings.Count(fromDB, "\n") != n {
			t.Fatalf("%d answers from the database differ from the seed's:\n%s", n, cmp.Diff(fromSeed, fromDB))
		}
		// The allowed users, one line each ("ID<TAB>basis<TAB>reason"),
		// in any order: the database lists its users in its own.
		allowedOf := func(out string) string {
			var lines []string
			for l := range strings.SplitSeq(out, "\n") {
				if l != "" && !strings.HasPrefix(l, "#") {
					lines = append(lines, l)
				}
			}
			slices.Sort(lines)
			return strings.Join(lines, "\n")
		}
		allowed := 0
		whos := 0
		for _, r := range s.Records() {
			for _, a := range []string{"view", "update", "claim", "reassign"} {
				args := " -action " + a + " -record " + r.Ref.String()
				_, fromDB, errDB := db.ownctl("who -db $DB -policy $POLICY"+args, "")
				_, fromSeed, _ := db.ownctl("who -seed "+seeds+"teams.json"+args, "")
				if errDB != "" || allowedOf(fromDB) != allowedOf(fromSeed) {
					t.Errorf("who%s: database and seed differ:\n%s%s", args, cmp.Diff(allowedOf(fromSeed), allowedOf(fromDB)), errDB)
				}
				allowed += strings.Count(allowedOf(fromDB), "\t") / 2
				whos++
			}
		}
		if allowed == 0 {
			t.Fatal("who allowed nobody: the comparison compares nothing")
		}
		t.Logf("%d checks and %d who answers (%d users allowed) equal", n, whos, allowed)
	})
}

// ownctl runs ownctl with $DB and $POLICY in args replaced, and returns
// its exit status, standard output and standard error.
func (db testDB) ownctl(args, stdin string) (int, string, string) {
	var out, errOut bytes.Buffer
	fields := strings.Fields(args)
	for i, a := range fields {
		fields[i] = strings.NewReplacer("$DB", db.dsn, "$POLICY", db.policy).Replace(a)
	}
	code := run(fields, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// dbSession is a list of ownctl invocations on a database, in order (the
// later ones see what the earlier ones wrote), pinned in
// testdata/db_session.golden: the same answers on SQLite and PostgreSQL.
var dbSession = []struct {
	args  string
	stdin string
	exit  int
}{
	{"validate -db $DB -policy $POLICY", "", 0},
	{"check -db $DB -policy $POLICY -user rep1 -action view -record contact/c1", "", 0},
	{"check -db $DB -policy $POLICY -user rep1 -action view -record contact/c4", "", 1},
	{"check -db $DB -policy $POLICY -user rep1 -action claim -record contact/c2", "", 0},
	{"check -db $DB -policy $POLICY -user ghost -action view -record contact/c1", "", 1},
	{"check -db $DB -policy $POLICY -user rep1 -action view -record contact/nope", "", 1},
	{"check -db $DB -policy $POLICY -user rep1 -action fly -record contact/c1", "", 2},
	{"check -db $DB -policy $POLICY -queries -", `{"user":"rep1","action":"view","record":"contact/c4"}` + "\n" +
		`{"user":"mia","action":"reassign","record":"contact/c4"}` + "\n" + `{"user":"rep1","action":"view"}` + "\n", 2},
	{"explain -db $DB -policy $POLICY -user rep1 -action view -record contact/c4", "", 1},
	{"filter -db $DB -policy $POLICY -user rep1 -type contact -v", "", 0},
	{"filter -db $DB -policy $POLICY -user sam -action update -type contact", "", 0},
	{"filter -db $DB -policy $POLICY -user ghost -type contact", "", 1},
	{"who -db $DB -policy $POLICY -record contact/c4 -v", "", 0},
	{"who -db $DB -policy $POLICY -action claim -record contact/c2", "", 0},
	{"who -db $DB -policy $POLICY -record contact/nope", "", 1},
	// A dry run changes nothing; -write repairs what the dry run said.
	{"reconcile -db $DB -policy $POLICY", "", 0},
	{"explain -db $DB -policy $POLICY -user mia -action view -record note/n1", "", 0},
	{"reconcile -db $DB -policy $POLICY -write", "", 0},
	{"explain -db $DB -policy $POLICY -user mia -action view -record note/n1", "", 0},
	{"reconcile -db $DB -policy $POLICY", "", 0},
	// A dry run changes nothing; -write moves what the dry run said. The
	// synced note/n1 follows contact/c4 rather than move on its own.
	{"transfer -db $DB -policy $POLICY -from rep2 -to rep1 -by mia", "", 1},
	{"check -db $DB -policy $POLICY -user rep1 -action view -record contact/c4", "", 1},
	{"transfer -db $DB -policy $POLICY -from rep2 -to rep1 -by mia -write", "", 1},
	{"check -db $DB -policy $POLICY -user rep1 -action view -record contact/c4", "", 0},
	{"explain -db $DB -policy $POLICY -user mia -action view -record note/n1", "", 0},
	{"transfer -db $DB -policy $POLICY -from rep1 -to rep2 -by rep1 -type contact", "", 1},
	{"transfer -db $DB -policy $POLICY -from rep1 -to nobody -by mia", "", 1},
	{"transfer -db $DB -policy $POLICY -from rep1 -to rep1 -by mia", "", 2},
	{"transfer -help", "", 0},
}

func TestDBSession(t *testing.T) {
	databases(t, func(t *testing.T, db testDB) {
		var all strings.Builder
		for _, c := range dbSession {
			code, out, errOut := db.ownctl(c.args, c.stdin)
			if code != c.exit {
				t.Errorf("ownctl %s: exit %d, want %d\n%s%s", c.args, code, c.exit, out, errOut)
			}
			fmt.Fprintf(&all, "$ ownctl %s\n%s", c.args, out)
			if errOut != "" {
				fmt.Fprintf(&all, "[stderr]\n%s", errOut)
			}
			fmt.Fprintf(&all, "[exit %d]\n\n", code)
		}
		got := strings.NewReplacer(db.dsn, "$DB", db.policy, "$POLICY").Replace(all.String())
		path := filepath.Join("testdata", "db_session.golden")
		if *update && strings.HasSuffix(t.Name(), "sqlite") {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("session mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestDBTransferDryRun: on many records, the report of a dry run is the
// report of the real run that follows, the dry run changes nothing, and
// both show their progress.
func TestDBTransferDryRun(t *testing.T) {
	databases(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		const n = 1200
		tx, err := db.st.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			l := ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner})
			if i%10 == 3 {
				l = ownership.MustList(ownership.Entry{UserID: "sam", Role: ownership.Owner}, ownership.Entry{UserID: "rep2", Role: ownership.Follower})
			}
			r := ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprintf("x%05d", i)}, Ownership: l}
			if _, err := db.st.InTx(tx).CompareAndSwap(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		snapshot := func() map[ownership.Ref]ownership.Record {
			var refs []ownership.Ref
			for ref, err := range db.st.RecordsOf(ctx, "rep2") {
				if err != nil {
					t.Fatal(err)
				}
				refs = append(refs, ref)
			}
			recs, err := db.st.GetMany(ctx, refs)
			if err != nil {
				t.Fatal(err)
			}
			out := map[ownership.Ref]ownership.Record{}
			for _, r := range recs {
				out[r.Ref] = r
			}
			return out
		}
		before := snapshot()
		args := "transfer -db $DB -policy $POLICY -from rep2 -to rep1 -by mia -progress 500"
		dryCode, dry, dryErr := db.ownctl(args, "")
		if diff := cmp.Diff(before, snapshot(), cmp.Comparer(func(a, b ownership.List) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("the dry run changed the records (-before +after):\n%s", diff)
		}
		code, real, realErr := db.ownctl(args+" -write", "")
		if code != dryCode || dry != real {
			t.Errorf("dry run: exit %d\n%s\nreal run: exit %d\n%s", dryCode, dry, code, real)
		}
		if moved := strings.Count(real, "move "); moved != n-n/10+2 { // the new contacts rep2 owns, and contact/c3, c4
			t.Errorf("%d records moved, want %d", moved, n-n/10+2)
		}
		for _, want := range []string{"ownctl: transfer: 500 of 1202 records checked\n", "ownctl: transfer: 1000 of 1202 records checked\n",
			"ownctl: dry run: 1082 records would move from rep2 to rep1, 120 skipped; nothing was changed (add -write to move them)\n"} {
			if !strings.Contains(dryErr, want) {
				t.Errorf("dry run's standard error lacks %q:\n%s", want, dryErr)
			}
		}
		for _, want := range []string{"ownctl: transfer: 1202 of 1202 records checked\n", "ownctl: 1082 records moved from rep2 to rep1, 120 skipped\n"} {
			if !strings.Contains(realErr, want) {
				t.Errorf("real run's standard error lacks %q:\n%s", want, realErr)
			}
		}
		if want := "skip contact/x00003 not_owner: mia cannot manage the ownership of contact/x00003"; !strings.Contains(real, want) {
			t.Errorf("the report lacks %q", want)
		}
		left := snapshot()
		if len(left) != n/10 {
			t.Errorf("rep2 is still on %d records, want %d (those it follows: only their owner sam may change their followers)", len(left), n/10)
		}
		r, err := db.st.Get(ctx, ownership.MustRef("contact/x00003"))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Ownership.Equal(before[r.Ref].Ownership) {
			t.Errorf("contact/x00003, skipped, after the transfer: %v, want %v", r.Ownership, before[r.Ref].Ownership)
		}
	})
}

// TestDBReadOnly: the commands that only read open the database so that
// it refuses writes.
func TestDBReadOnly(t *testing.T) {
	databases(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st, err := openDB(ctx, db.dsn, false)
		if err != nil {
			t.Fatal(err)
		}
		defer st.DB().Close()
		if err := st.PutUser(ctx, ownership.User{ID: "eve"}); err == nil {
			t.Error("PutUser on a read-only connection succeeded")
		}
		r, err := st.Get(ctx, ownership.MustRef("contact/c1"))
		if err != nil {
			t.Fatal(err)
		}
		r.Ownership = ownership.MustList(ownership.Entry{UserID: "sam", Role: ownership.Owner})
		if _, err := st.CompareAndSwap(ctx, r); err == nil {
			t.Error("CompareAndSwap on a read-only connection succeeded")
		}
	})
}

// TestDBBadInput: mistakes in naming the database or the policy are bad
// input (exit 2), each with a message that says what is wrong.
func TestDBBadInput(t *testing.T) {
	db := newSQLite(t, "crm.json")
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badPolicy, []byte(`{"roles": {"x": {"types": {"contact": {"view": "most"}}}}, "extra": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	q := "-user rep1 -action view -record contact/c1"
	for _, c := range []struct{ args, want string }{
		{"check -db mysql://localhost/crm -policy $POLICY " + q, `unknown kind of database "mysql": want postgres://... (PostgreSQL), sqlite:PATH or file:PATH (SQLite)`},
		{"check -db crm.db -policy $POLICY " + q, `unknown kind of database "crm.db"`},
		{"check -db mysql://localhost/crm -policy missing.json " + q, `unknown kind of database "mysql"`},
		{"transfer -db mysql://localhost/crm -policy $POLICY -from rep2 -to rep1 -by mia", `unknown kind of database "mysql"`},
		{"check -db $DB " + q, "-db needs -policy FILE"},
		{"who -db $DB -record contact/c1", "-db needs -policy FILE"},
		{"check -seed " + seeds + "crm.json -db $DB -policy $POLICY " + q, "give -seed or -db, not both"},
		{"check -seed " + seeds + "crm.json -policy $POLICY " + q, "-policy goes with -db"},
		{"check " + q, "-seed or -db is required"},
		{"check -db sqlite:" + filepath.Join(dir, "missing.db") + " -policy $POLICY " + q, "no such file"},
		{"check -db sqlite:" + empty + " -policy $POLICY " + q, "cannot read the ownership tables"},
		{"check -db $DB -policy " + filepath.Join(dir, "missing.json") + " " + q, "no such file"},
		{"check -db $DB -policy " + badPolicy + " " + q, "is not a valid policy"},
		{"validate -db $DB -policy " + badPolicy, "is not a valid policy"},
		{"transfer -seed " + seeds + "crm.json -from rep2 -to rep1 -by mia", "transfer works on a database: give -db and -policy, not -seed"},
		{"transfer -db $DB -from rep2 -to rep1 -by mia", "-db needs -policy FILE"},
		{"transfer -policy $POLICY -from rep2 -to rep1 -by mia", "-db is required"},
		{"transfer -db $DB -policy $POLICY -to rep1 -by mia", "-from is required"},
		{"reconcile -db postgres://user:secret@[::1/x -policy $POLICY", "-db postgres://user:xxxxx@"},
		{"reconcile -db $DB -policy $POLICY extra", `unexpected argument "extra"`},
	} {
		code, out, errOut := db.ownctl(c.args, "")
		if code != exitBad || !strings.Contains(out+errOut, c.want) {
			t.Errorf("ownctl %s: exit %d, output\n%s%s\nwant exit 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
}
