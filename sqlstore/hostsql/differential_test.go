package hostsql

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
	"github.com/ownershipkit/ownership/storetest"
)

// world is random host data in every kind of mapping, with the records
// the library would see for it, built in Go from the same data.
type world struct {
	tables  []*Table
	records map[string][]ownership.Record // by type
	users   []ownership.UserID            // ids that appear, and some that do not
}

// differentialSchema is the host's schema of the differential test.
var differentialSchema = []string{
	`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT UNIQUE)`,
	`CREATE TABLE contacts (id BIGINT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', owner_id TEXT, ownership_version BIGINT NOT NULL DEFAULT 0)`,
	`CREATE TABLE tcontacts (id TEXT PRIMARY KEY, owner_id TEXT)`,
	`CREATE TABLE ucontacts (id {uuid} PRIMARY KEY, owner_id TEXT)`,
	`CREATE TABLE deals (id BIGINT PRIMARY KEY)`,
	`CREATE TABLE deal_people (deal_id BIGINT NOT NULL, user_id TEXT, role TEXT)`,
	`CREATE TABLE leads (id TEXT PRIMARY KEY, email TEXT)`,
	`CREATE TABLE documents (id BIGINT PRIMARY KEY, contact_id BIGINT)`,
}

// differentialTables maps the schema above.
func differentialTables(d sqlstore.Dialect) []*Table {
	contacts := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", KeyKind: KeyInteger,
		OwnerColumn: "owner_id", VersionColumn: "ownership_version"}, d)
	return []*Table{
		contacts,
		MustTable(Mapping{Type: "tcontact", Table: "tcontacts", Key: "id", OwnerColumn: "owner_id"}, d),
		MustTable(Mapping{Type: "ucontact", Table: "ucontacts", Key: "id", KeyKind: KeyUUID, OwnerColumn: "owner_id"}, d),
		MustTable(Mapping{Type: "deal", Table: "deals", Key: "id", KeyKind: KeyInteger,
			Entries: &Entries{Table: "deal_people", Key: "deal_id", User: "user_id", Role: "role"}}, d),
		MustTable(Mapping{Type: "lead", Table: "leads", Key: "id",
			Field: &Field{Column: "email", Users: "users", UserID: "id", UserValue: "email"}}, d),
		MustTable(Mapping{Type: "document", Table: "documents", Key: "id", KeyKind: KeyInteger,
			ParentColumn: "contact_id", Parent: contacts}, d),
	}
}

// newWorld fills the schema with random data: many NULLs, empty strings,
// hostile ids, users that do not exist.
func newWorld(t *testing.T, tdb testDB, rng *rand.Rand) *world {
	t.Helper()
	execAll(t, tdb, differentialSchema...)
	exec := func(q string, args ...any) {
		t.Helper()
		if tdb.d == sqlstore.SQLite {
			q = sqliteMarkers(q)
		}
		if _, err := tdb.db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s %q: %v", q, args, err)
		}
	}
	w := &world{tables: differentialTables(tdb.d), records: map[string][]ownership.Record{}}
	pool := append([]string{"ann", "bob", "cat", "ghost"}, storetest.HostileIDs[:12]...)
	for _, u := range pool {
		w.users = append(w.users, ownership.UserID(u))
	}
	// Users: most with an email, one with '', some with NULL; "ghost"
	// is in no table.
	email := map[string]string{} // user -> email, for those that have one
	for i, u := range pool {
		switch {
		case u == "ghost":
			continue
		case i%5 == 4:
			exec(`INSERT INTO users (id, email) VALUES ($1, NULL)`, u)
		case i == 3:
			exec(`INSERT INTO users (id, email) VALUES ($1, '')`, u)
			email[u] = ""
		default:
			e := fmt.Sprintf("u%d@x.io", i)
			exec(`INSERT INTO users (id, email) VALUES ($1, $2)`, u, e)
			email[u] = e
		}
	}
	// owner returns a random owner column value: NULL (nil) often, ''
	// sometimes, else a user id.
	owner := func() any {
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			return nil
		case 4:
			return ""
		}
		return pool[rng.IntN(len(pool))]
	}
	ownerList := func(v any) ownership.List {
		if s, ok := v.(string); ok && s != "" {
			return ownership.MustList(ownership.Entry{UserID: ownership.UserID(s), Role: ownership.Owner})
		}
		return ownership.List{}
	}
	ints := []int64{-7, 0, 1, 2, 9, 10, 11, 99, 100, 1 << 40, -1 << 50}
	for i := range 30 {
		ints = append(ints, int64(1000+i*7))
	}
	contactList := map[int64]ownership.List{}
	for _, id := range ints {
		v := owner()
		exec(`INSERT INTO contacts (id, owner_id) VALUES ($1, $2)`, id, v)
		contactList[id] = ownerList(v)
		w.records["contact"] = append(w.records["contact"], ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprint(id)}, Ownership: ownerList(v)})
	}
	for i, id := range append(slices.Clone(storetest.HostileIDs), "c1", "c2", "C1", "c10", "c9", "") {
		v := owner()
		exec(`INSERT INTO tcontacts (id, owner_id) VALUES ($1, $2)`, id, v)
		if id != "" { // the empty key names no record
			w.records["tcontact"] = append(w.records["tcontact"], ownership.Record{Ref: ownership.Ref{Type: "tcontact", ID: id}, Ownership: ownerList(v)})
		}
		_ = i
	}
	for range 40 {
		id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.Int64N(1<<48))
		v := owner()
		exec(`INSERT INTO ucontacts (id, owner_id) VALUES ($1, $2)`, id, v)
		w.records["ucontact"] = append(w.records["ucontact"], ownership.Record{Ref: ownership.Ref{Type: "ucontact", ID: id}, Ownership: ownerList(v)})
	}
	roles := []any{"owner", "follower", "watcher", nil, "OWNER"}
	for _, id := range ints {
		exec(`INSERT INTO deals (id) VALUES ($1)`, id)
		var entries []ownership.Entry
		for range rng.IntN(5) {
			u, r := owner(), roles[rng.IntN(len(roles))]
			exec(`INSERT INTO deal_people (deal_id, user_id, role) VALUES ($1, $2, $3)`, id, u, r)
			if s, ok := u.(string); ok && s != "" {
				switch r {
				case "owner":
					entries = append(entries, ownership.Entry{UserID: ownership.UserID(s), Role: ownership.Owner})
				case "follower":
					entries = append(entries, ownership.Entry{UserID: ownership.UserID(s), Role: ownership.Follower})
				}
			}
		}
		l, err := ownership.NewList(entries...)
		if err != nil {
			t.Fatal(err)
		}
		w.records["deal"] = append(w.records["deal"], ownership.Record{Ref: ownership.Ref{Type: "deal", ID: fmt.Sprint(id)}, Ownership: l})
	}
	byEmail := map[string]string{}
	for u, e := range email {
		byEmail[e] = u
	}
	for i, id := range append(slices.Clone(storetest.HostileIDs), "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8") {
		var v any
		switch rng.IntN(6) {
		case 0:
			v = nil
		case 1:
			v = ""
		case 2:
			v = "nobody@x.io"
		default:
			v = fmt.Sprintf("u%d@x.io", rng.IntN(len(pool)))
		}
		exec(`INSERT INTO leads (id, email) VALUES ($1, $2)`, id, v)
		l := ownership.List{}
		if s, ok := v.(string); ok && s != "" {
			if u, ok := byEmail[s]; ok {
				l = ownership.MustList(ownership.Entry{UserID: ownership.UserID(u), Role: ownership.Owner})
			}
		}
		w.records["lead"] = append(w.records["lead"], ownership.Record{Ref: ownership.Ref{Type: "lead", ID: id}, Ownership: l})
		_ = i
	}
	for i := range 40 {
		id := int64(i)
		var parent any
		switch rng.IntN(5) {
		case 0:
			parent = nil
		case 1:
			parent = int64(424242) // no such contact
		default:
			parent = ints[rng.IntN(len(ints))]
		}
		exec(`INSERT INTO documents (id, contact_id) VALUES ($1, $2)`, id, parent)
		r := ownership.Record{Ref: ownership.Ref{Type: "document", ID: fmt.Sprint(id)}, Mode: ownership.SyncWithParent, Ownership: ownership.List{}}
		if p, ok := parent.(int64); ok {
			r.Parent = ownership.Ref{Type: "contact", ID: fmt.Sprint(p)}
			if l, ok := contactList[p]; ok {
				r.Ownership = l
			}
		}
		w.records["document"] = append(w.records["document"], r)
	}
	return w
}

// sqliteMarkers rewrites a test's $n markers for SQLite.
func sqliteMarkers(q string) string {
	out := []byte(q)
	for i := range out {
		if out[i] == '$' {
			out[i] = '?'
		}
	}
	return string(out)
}

// selectWhere returns the ids of the rows of t for which p's translation
// holds, sorted.
func selectWhere(t *testing.T, tdb testDB, tab *Table, p ownership.Predicate) []string {
	t.Helper()
	cond, args, err := tab.Where(p, "h", 0)
	if err != nil {
		t.Fatalf("Where(%v): %v", p, err)
	}
	q := fmt.Sprintf("SELECT CAST(h.%s AS TEXT) FROM %s h WHERE %s", tab.key, tab.table, cond)
	rows, err := tdb.db.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s %q: %v", q, args, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// A NULL anywhere in the condition would show as rows for which it is
	// neither true nor false.
	var nulls int
	nq := fmt.Sprintf("SELECT COUNT(*) FROM %s h WHERE (%s) IS NULL", tab.table, cond)
	if err := tdb.db.QueryRowContext(ctx, nq, args...).Scan(&nulls); err != nil {
		t.Fatalf("%s: %v", nq, err)
	}
	if nulls != 0 {
		t.Errorf("%v: the condition is NULL on %d rows: %s", p, nulls, cond)
	}
	sort.Strings(ids)
	return ids
}

// randomPolicy returns a policy of four roles with random grants for the
// types of the test, one of them perhaps a bypass role.
func randomPolicy(t *testing.T, rng *rand.Rand, types []string) *ownership.Policy {
	t.Helper()
	roles := map[string]ownership.RoleDef{}
	for i := range 4 {
		if rng.IntN(12) == 0 {
			roles[fmt.Sprint("r", i)] = ownership.RoleDef{Bypass: true}
			continue
		}
		grants := map[string]ownership.Permissions{}
		for _, typ := range append(slices.Clone(types), "*") {
			if rng.IntN(3) == 0 {
				continue
			}
			grants[typ] = ownership.Permissions{
				View:     ownership.Scope(rng.IntN(8)),
				Update:   ownership.Scope(rng.IntN(8)),
				Delete:   ownership.Scope(rng.IntN(8)),
				Claim:    rng.IntN(2) == 0,
				Reassign: rng.IntN(2) == 0,
			}
		}
		roles[fmt.Sprint("r", i)] = ownership.RoleDef{Types: grants}
	}
	p, err := ownership.NewPolicy(roles)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// randomCond returns a random condition tree over the users, built by
// hand (not simplified), with many negations.
func randomCond(rng *rand.Rand, users []ownership.UserID, depth int) ownership.Cond {
	if depth == 0 || rng.IntN(3) == 0 {
		switch rng.IntN(7) {
		case 0:
			return ownership.Cond{Op: ownership.OpOwnedBy, User: users[rng.IntN(len(users))]}
		case 1:
			return ownership.Cond{Op: ownership.OpFollowedBy, User: users[rng.IntN(len(users))]}
		case 2, 3:
			return ownership.Cond{Op: ownership.OpUnassigned}
		case 4:
			return ownership.Cond{Op: ownership.OpSynced}
		case 5:
			return ownership.Cond{Op: ownership.OpAll}
		}
		return ownership.Cond{Op: ownership.OpNone}
	}
	switch rng.IntN(3) {
	case 0:
		return ownership.Cond{Op: ownership.OpNot, Args: []ownership.Cond{randomCond(rng, users, depth-1)}}
	case 1:
		args := make([]ownership.Cond, rng.IntN(4))
		for i := range args {
			args[i] = randomCond(rng, users, depth-1)
		}
		return ownership.Cond{Op: ownership.OpAnd, Args: args}
	}
	args := make([]ownership.Cond, rng.IntN(4))
	for i := range args {
		args[i] = randomCond(rng, users, depth-1)
	}
	return ownership.Cond{Op: ownership.OpOr, Args: args}
}

// TestWhereDifferential: for random policies, subjects, actions and
// hand-built conditions over random host data (integer, text and UUID
// keys; owner columns full of NULLs and empty strings; entry tables with
// unknown roles; field-matched leads; documents synced with contacts that
// may be missing), the rows Where selects are exactly the records that
// Policy.Decide allows (or Cond.Match accepts), on SQLite and PostgreSQL.
func TestWhereDifferential(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		rng := rand.New(rand.NewPCG(7, uint64(tdb.d)))
		w := newWorld(t, tdb, rng)
		var types []string
		for _, tab := range w.tables {
			types = append(types, tab.Type())
		}
		actions := []ownership.Action{ownership.View, ownership.Update, ownership.Delete, ownership.Claim, ownership.Reassign, ownership.ManageOwnership}
		checks := 0
		for range 12 {
			p := randomPolicy(t, rng, types)
			for range 3 {
				s := ownership.Subject{ID: w.users[rng.IntN(len(w.users))]}
				for i := range 4 {
					if rng.IntN(2) == 0 {
						s.Roles = append(s.Roles, fmt.Sprint("r", i))
					}
				}
				for _, tab := range w.tables {
					for _, a := range actions {
						pred := p.Filter(s, a, tab.Type())
						var want []string
						for _, r := range w.records[tab.Type()] {
							if p.Decide(s, a, r).Allowed {
								want = append(want, r.Ref.ID)
							}
						}
						sort.Strings(want)
						if got := selectWhere(t, tdb, tab, pred); !slices.Equal(got, want) {
							t.Fatalf("%s %v %s: %v\n got %q\nwant %q", s.ID, s.Roles, a, pred, got, want)
						}
						checks++
					}
				}
			}
		}
		for range 100 {
			c := randomCond(rng, w.users, 4)
			for _, tab := range w.tables {
				pred := ownership.NewPredicate(tab.Type(), c)
				var want []string
				for _, r := range w.records[tab.Type()] {
					if pred.Match(r) {
						want = append(want, r.Ref.ID)
					}
				}
				sort.Strings(want)
				if got := selectWhere(t, tdb, tab, pred); !slices.Equal(got, want) {
					t.Fatalf("%v\n got %q\nwant %q", pred, got, want)
				}
				checks++
			}
		}
		t.Logf("%d predicates checked against Decide and Match", checks)
	})
}
