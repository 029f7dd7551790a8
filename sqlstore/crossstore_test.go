package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// The cross-store property test: random sequences of Manager operations
// run on memstore (the reference), on SQLite and on PostgreSQL, and every
// store must give the same result or error for each operation, emit the
// same events and end in the same state. The Manager is the same code on
// every store, so any difference is a store that does not keep the
// contract memstore defines: a listing in another order, a version or a
// count that differs, a list whose order or details are not kept.
//
// OWNERSHIP_CROSSSTORE_SEED picks another base seed (the default is
// fixed, so that a run is reproducible), OWNERSHIP_CROSSSTORE_SEQS
// another number of sequences and OWNERSHIP_CROSSSTORE_OPS another length;
// a failure names the seed of the sequence and a shortened sequence that
// still shows the difference.

// xStore is what the test needs of a store: the Manager's interfaces, the
// directory's writer and Delete.
type xStore interface {
	ownership.Store
	PutUser(ctx context.Context, u ownership.User) error
	Delete(ctx context.Context, ref ownership.Ref) error
}

// The world the sequences play in: a few records of three types (contacts,
// their documents, the documents' notes), a directory with one user per
// kind of role, an inactive user, one without roles and a subject the
// directory does not know.
var (
	xTypes    = []string{"contact", "document", "note"}
	xContacts = []string{"c1", "c2", "c3"}
	xDocs     = []string{"d1", "d2", "d3", "d4"}
	xNotes    = []string{"n1", "n2"}

	xUsers = []ownership.User{
		{ID: "root", Login: "root", Email: "root@x.io", GivenName: "Ro", LastName: "Ot", Roles: []string{"admin"}},
		{ID: "boss", Login: "boss", Email: "boss@x.io", GivenName: "Bo", LastName: "Ss", Roles: []string{"manager"}},
		{ID: "rep1", Login: "rep1", Email: "rep1@x.io", GivenName: "Re", LastName: "One", Roles: []string{"sales_rep"}, Queues: []ownership.QueueID{"inbound"}},
		{ID: "rep2", Login: "rep2", Email: "rep2@x.io", GivenName: "Re", LastName: "Two", Roles: []string{"sales_rep"}},
		{ID: "sam", Login: "sam", Email: "sam@x.io", GivenName: "Sam", Roles: []string{"support"}},
		{ID: "old", Login: "old", Email: "old@x.io", GivenName: "Ol", LastName: "D", Roles: []string{"sales_rep"}, Inactive: true},
		{ID: "norole", Login: "norole", Email: "norole@x.io"},
	}
	// xPeople are the user ids the operations name: the directory's, and
	// ghost, who is not in it.
	xPeople = []ownership.UserID{"root", "boss", "rep1", "rep2", "sam", "old", "norole", "ghost"}

	xNow = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
)

func xPolicy() *ownership.Policy {
	return ownership.MustPolicy(map[string]ownership.RoleDef{
		"admin":   {Bypass: true},
		"manager": {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.All, Delete: ownership.All, Claim: true, Reassign: true}}},
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact":  {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
			"document": {View: ownership.Own, Update: ownership.Own},
		}},
		"support": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own}}},
	})
}

// xTemplates are the templates a creation may name. Now and then one is
// used for a record of another type (an invalid creation); "any_ghost" is
// for every type and names a user the directory does not know.
var xTemplates = map[string]*ownership.Template{
	"contact": {ID: "contact", Type: "contact", DefaultOwnership: ownership.MustList(
		ownership.Entry{UserID: "boss", Role: ownership.Owner},
		ownership.Entry{UserID: "rep1", Role: ownership.Follower},
	)},
	"doc_synced": {ID: "doc_synced", Type: "document", Mode: ownership.SyncWithParent},
	"doc_own": {ID: "doc_own", Type: "document", DefaultOwnership: ownership.MustList(
		ownership.Entry{UserID: "sam", Role: ownership.Follower},
		ownership.Entry{UserID: "rep2", Role: ownership.Owner},
	)},
	"any_ghost": {ID: "any_ghost", DefaultOwnership: ownership.MustList(
		ownership.Entry{UserID: "ghost", Role: ownership.Follower},
	)},
}

var xProfile = &ownership.Profile{ID: "north", DefaultOwnership: ownership.MustList(
	ownership.Entry{UserID: "sam", Role: ownership.Follower},
	ownership.Entry{UserID: "boss", Role: ownership.Follower},
)}

func xSubject(id ownership.UserID) ownership.Subject {
	for _, u := range xUsers {
		if u.ID == id {
			return u.Subject()
		}
	}
	if id == "ghost" {
		return ownership.Subject{ID: id, Roles: []string{"manager"}}
	}
	return ownership.Subject{ID: id}
}

type opKind uint8

const (
	opCreate opKind = iota
	opClaim
	opReassign
	opAddOwner
	opAddFollower
	opRemove
	opSetOwnership
	opSetMode
	opTransfer
	opPropagate
	opReconcile
	opSyncUser
	opDelete
	opEnqueue
	opKinds
)

// xOp is one operation of a sequence; which fields matter depends on kind.
type xOp struct {
	kind    opKind
	by      ownership.UserID // the subject
	ref     ownership.Ref
	parent  ownership.Ref    // Create
	mode    ownership.Mode   // Create (without template), SetMode
	source  ownership.Source // Create
	tmpl    string           // Create: a key of xTemplates, or ""
	profile bool             // Create
	entries []ownership.Entry
	user    ownership.UserID  // the target or from user
	to      ownership.UserID  // Transfer
	typ     string            // Transfer
	follow  ownership.Follow  // Propagate
	dry     bool              // Transfer, Propagate
	detail  string            // SyncUser: the new given name and email local part
	region  string            // Create: the record's "region" field, if not ""
	queue   ownership.QueueID // Enqueue
}

func (o xOp) String() string {
	ents := func() string {
		s := make([]string, len(o.entries))
		for i, e := range o.entries {
			s[i] = string(e.UserID) + ":" + e.Role.String()
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	switch o.kind {
	case opCreate:
		s := fmt.Sprintf("Create(%s parent=%q mode=%v source=%v", o.ref, o.parent.String(), o.mode, o.source)
		if o.source == ownership.SourceManual {
			s += " creator=" + string(o.user)
		}
		if o.tmpl != "" {
			s += " template=" + o.tmpl
		}
		if o.profile {
			s += " profile"
		}
		if o.region != "" {
			s += fmt.Sprintf(" region=%q", o.region)
		}
		if o.source == ownership.SourceAPI || o.source == ownership.SourceImport {
			s += " entries=" + ents()
		}
		return s + ")"
	case opClaim:
		return fmt.Sprintf("Claim(by=%s %s)", o.by, o.ref)
	case opReassign:
		return fmt.Sprintf("Reassign(by=%s %s to=%s)", o.by, o.ref, o.user)
	case opAddOwner:
		return fmt.Sprintf("AddOwner(by=%s %s %s)", o.by, o.ref, o.user)
	case opAddFollower:
		return fmt.Sprintf("AddFollower(by=%s %s %s)", o.by, o.ref, o.user)
	case opRemove:
		return fmt.Sprintf("Remove(by=%s %s %s)", o.by, o.ref, o.user)
	case opSetOwnership:
		return fmt.Sprintf("SetOwnership(by=%s %s %s)", o.by, o.ref, ents())
	case opSetMode:
		return fmt.Sprintf("SetMode(by=%s %s %v)", o.by, o.ref, o.mode)
	case opTransfer:
		return fmt.Sprintf("Transfer(by=%s from=%s to=%s type=%q dry=%v)", o.by, o.user, o.to, o.typ, o.dry)
	case opPropagate:
		return fmt.Sprintf("Propagate(%s follow=%d before=%s dry=%v)", o.ref, o.follow, ents(), o.dry)
	case opReconcile:
		return "Reconcile(all)"
	case opSyncUser:
		return fmt.Sprintf("SyncUserDetails(%s given=%q)", o.user, o.detail)
	case opDelete:
		return fmt.Sprintf("Delete(%s)", o.ref)
	case opEnqueue:
		return fmt.Sprintf("Enqueue(by=%s %s %s)", o.by, o.ref, o.queue)
	}
	return fmt.Sprintf("op(%d)", o.kind)
}

// xGen generates operations. It looks at the state of a memstore on
// which it plays each operation it generates, so that most operations
// meet records that exist and subjects that might be allowed; the
// sequence is still a function of the seed alone (memstore is
// deterministic), and every store gets the same one.
type xGen struct {
	r     *rand.Rand
	state *memstore.Store
}

func (g *xGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *xGen) person() ownership.UserID { return xPeople[g.r.IntN(len(xPeople))] }

// subject picks who acts on ref: often someone on its list (an owner,
// mostly), else anyone.
func (g *xGen) subject(ref ownership.Ref) ownership.UserID {
	if g.r.IntN(40) == 0 {
		return "" // no subject
	}
	if r, err := g.state.Get(ctx, ref); err == nil && r.Ownership.Len() > 0 && g.r.IntN(5) < 2 {
		if owners := r.Ownership.Owners(); len(owners) > 0 && g.r.IntN(4) > 0 {
			return owners[g.r.IntN(len(owners))]
		}
		return r.Ownership.At(g.r.IntN(r.Ownership.Len())).UserID
	}
	// The roles that can do things come up more often.
	return []ownership.UserID{"root", "boss", "boss", "rep1", "rep1", "rep2", "rep2", "sam", "old", "norole", "ghost"}[g.r.IntN(11)]
}

// anyRef picks a ref of the world, of type typ ("" for any).
func (g *xGen) anyRef(typ string) ownership.Ref {
	if typ == "" {
		typ = []string{"contact", "contact", "contact", "document", "document", "document", "note"}[g.r.IntN(7)]
	}
	switch typ {
	case "contact":
		return ownership.Ref{Type: typ, ID: g.pick(xContacts)}
	case "document":
		return ownership.Ref{Type: typ, ID: g.pick(xDocs)}
	}
	return ownership.Ref{Type: typ, ID: g.pick(xNotes)}
}

// refs lists the records of type typ ("" for all) that exist (or do not).
func (g *xGen) refs(typ string, exist bool) []ownership.Ref {
	var out []ownership.Ref
	for _, t := range xTypes {
		if typ != "" && t != typ {
			continue
		}
		ids := map[string][]string{"contact": xContacts, "document": xDocs, "note": xNotes}[t]
		for _, id := range ids {
			ref := ownership.Ref{Type: t, ID: id}
			if _, err := g.state.Get(ctx, ref); (err == nil) == exist {
				out = append(out, ref)
			}
		}
	}
	return out
}

// ref picks a ref, mostly of a record that exists, of type typ ("" for
// any).
func (g *xGen) ref(typ string) ownership.Ref {
	if g.r.IntN(8) > 0 {
		if refs := g.refs(typ, true); len(refs) > 0 {
			return refs[g.r.IntN(len(refs))]
		}
	}
	return g.anyRef(typ)
}

// newRef picks a ref for a creation, mostly of a record that does not
// exist.
func (g *xGen) newRef() ownership.Ref {
	if g.r.IntN(6) > 0 {
		if refs := g.refs("", false); len(refs) > 0 {
			return refs[g.r.IntN(len(refs))]
		}
	}
	return g.anyRef("")
}

// parentOf picks a parent for a new record of ref's type: contacts have
// none, documents a contact, notes a document; now and then a record
// gets an unusual parent.
func (g *xGen) parentOf(ref ownership.Ref) ownership.Ref {
	if g.r.IntN(12) == 0 {
		return g.ref("") // anything, perhaps itself or a descendant
	}
	switch ref.Type {
	case "document":
		return g.ref("contact")
	case "note":
		return g.ref("document")
	}
	return ownership.Ref{}
}

func (g *xGen) entries(max int) []ownership.Entry {
	n := g.r.IntN(max + 1)
	out := make([]ownership.Entry, 0, n)
	for range n {
		role := ownership.Follower
		if g.r.IntN(2) == 0 {
			role = ownership.Owner
		}
		out = append(out, ownership.Entry{UserID: g.person(), Role: role})
	}
	return out
}

func (g *xGen) kind(i int) opKind {
	weights := [opKinds]int{
		opCreate: 12, opClaim: 8, opReassign: 8, opAddOwner: 6, opAddFollower: 6, opRemove: 6,
		opSetOwnership: 5, opSetMode: 6, opTransfer: 6, opPropagate: 6, opReconcile: 2, opSyncUser: 3, opDelete: 2,
		opEnqueue: 4,
	}
	if i < 6 {
		weights[opCreate] = 80 // fill the world first
	}
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.r.IntN(total)
	for k, w := range weights {
		if n < w {
			return opKind(k)
		}
		n -= w
	}
	panic("unreachable")
}

func (g *xGen) op(i int) xOp {
	o := xOp{kind: g.kind(i), ref: g.ref(""), user: g.person()}
	switch o.kind {
	case opCreate:
		o.ref = g.newRef()
		o.parent = g.parentOf(o.ref)
		if !o.parent.IsZero() && g.r.IntN(2) == 0 {
			o.mode = ownership.SyncWithParent
		} else if g.r.IntN(15) == 0 {
			o.mode = ownership.SyncWithParent // without a parent, or a contact
		}
		o.source = ownership.Source(1 + g.r.IntN(4))
		switch n := g.r.IntN(10); {
		case n < 2 && o.ref.Type == "contact":
			o.tmpl = "contact"
		case n < 3 && o.ref.Type == "document":
			o.tmpl = "doc_synced"
		case n < 5 && o.ref.Type == "document":
			o.tmpl = "doc_own"
		case n == 5:
			o.tmpl = []string{"contact", "doc_own", "any_ghost"}[g.r.IntN(3)]
		}
		o.profile = g.r.IntN(4) == 0
		o.region = []string{"", "", "DE-1", "fr", " de "}[g.r.IntN(5)]
		if o.source == ownership.SourceManual && g.r.IntN(3) > 0 {
			o.user = []ownership.UserID{"rep1", "rep2", "boss", "sam"}[g.r.IntN(4)]
		}
		if o.source == ownership.SourceAPI || o.source == ownership.SourceImport {
			o.entries = g.entries(3)
			if g.r.IntN(3) > 0 {
				// Mostly people the directory knows, so that creations
				// get through.
				o.entries = dropGhost(o.entries)
			}
		}
	case opSetOwnership:
		o.entries = g.entries(3)
		if g.r.IntN(3) > 0 {
			o.entries = dropGhost(o.entries)
		}
	case opSetMode:
		o.mode = ownership.Mode(g.r.IntN(2))
	case opTransfer:
		o.user = []ownership.UserID{"rep1", "rep2", "boss", "old", "sam", "ghost"}[g.r.IntN(6)]
		o.to = g.person()
		if g.r.IntN(4) > 0 {
			o.to = []ownership.UserID{"rep1", "rep2", "boss", "sam", "root"}[g.r.IntN(5)] // active, in the directory
		}
		o.typ = []string{"", "", "contact", "document"}[g.r.IntN(4)]
		o.dry = g.r.IntN(3) == 0
	case opPropagate:
		o.follow = ownership.Follow(g.r.IntN(3))
		o.entries = g.entries(2)
		o.dry = g.r.IntN(3) == 0
		if g.r.IntN(2) == 0 {
			o.ref = g.ref("contact")
		}
	case opRemove:
		if r, err := g.state.Get(ctx, o.ref); err == nil && r.Ownership.Len() > 0 && g.r.IntN(3) > 0 {
			o.user = r.Ownership.At(g.r.IntN(r.Ownership.Len())).UserID
		}
	case opSyncUser:
		o.detail = []string{"A", "B", "C", "Zoë", ""}[g.r.IntN(5)]
	case opEnqueue:
		o.queue = []ownership.QueueID{"inbound", "inbound", "billing"}[g.r.IntN(3)]
	}
	o.by = g.subject(o.ref)
	return o
}

func dropGhost(es []ownership.Entry) []ownership.Entry {
	out := es[:0]
	for _, e := range es {
		if e.UserID != "ghost" {
			out = append(out, e)
		}
	}
	return out
}

// xSequence generates n operations from seed, playing them on a memstore
// as it goes (see xGen).
func xSequence(seed uint64, n int, rules string) ([]xOp, error) {
	oracle, err := newRunner(memBackend(), rules)
	if err != nil {
		return nil, err
	}
	g := &xGen{r: rand.New(rand.NewPCG(seed, 0x0e55)), state: oracle.st.(*memstore.Store)}
	ops := make([]xOp, n)
	for i := range ops {
		ops[i] = g.op(i)
		if _, err := oracle.step(ops[i]); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// Views of results, comparable across stores.

type errView struct {
	Sentinels []string
	Reason    string // the denial's reason, if it is one
	msg       string // for the report; not compared
}

var xSentinels = []struct {
	name string
	err  error
}{
	{"not_found", ownership.ErrNotFound}, {"conflict", ownership.ErrConflict}, {"denied", ownership.ErrDenied},
	{"synced", ownership.ErrSynced}, {"propagation", ownership.ErrPropagation}, {"invalid", ownership.ErrInvalid},
	{"ambiguous", ownership.ErrAmbiguous},
}

func viewErr(err error) *errView {
	if err == nil {
		return nil
	}
	v := &errView{msg: err.Error()}
	for _, s := range xSentinels {
		if errors.Is(err, s.err) {
			v.Sentinels = append(v.Sentinels, s.name)
		}
	}
	if d, ok := ownership.DenialOf(err); ok {
		v.Reason = d.Reason.String()
	}
	if len(v.Sentinels) == 0 {
		v.Sentinels = []string{"unclassified"}
	}
	return v
}

type recView struct {
	Ref, Parent string
	Mode        string
	Version     uint64
	Ownership   []ownership.Entry
	Fields      map[string]string
}

func viewRec(r ownership.Record) *recView {
	if r.Ref.IsZero() {
		return nil
	}
	return &recView{Ref: r.Ref.String(), Parent: r.Parent.String(), Mode: r.Mode.String(), Version: r.Version, Ownership: r.Ownership.Entries(), Fields: r.Fields}
}

type skipView struct {
	Ref string
	Err *errView
}

func viewSkips(s []ownership.TransferSkip) []skipView {
	out := make([]skipView, len(s))
	for i, x := range s {
		out[i] = skipView{x.Ref.String(), viewErr(x.Err)}
	}
	return out
}

type eventView struct {
	Kind, By, Record string
	Before, After    []ownership.Entry
	Mode             string
	Version          uint64
	At               time.Time
	Assigned         []ownership.UserID
	Rule             string
}

// stepView is everything one operation returned and emitted.
type stepView struct {
	Op        string
	Err       *errView
	Record    *recView
	Changed   []ownership.Ref // SyncReport
	Unchanged int
	Moved     []ownership.Ref // TransferReport
	Skipped   []skipView
	Lagging   []skipView
	Events    []eventView
}

// run is what a sequence did on one store.
type run struct {
	steps []stepView
	final []recView
	fatal error // a failure of the test's own plumbing
}

var xCmp = cmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(errView{})}

// xBackend is one kind of store under test, with the way to get an empty
// one and to list all of its records in ref order.
type xBackend struct {
	name  string
	fresh func() (xStore, error)
	all   func(ctx context.Context, st xStore) ([]ownership.Record, error)
}

func memBackend() xBackend {
	return xBackend{
		name:  "memstore",
		fresh: func() (xStore, error) { return memstore.New(), nil },
		all: func(ctx context.Context, st xStore) ([]ownership.Record, error) {
			var out []ownership.Record
			for r, err := range st.(*memstore.Store).All(ctx, "") {
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
			return out, nil
		},
	}
}

// sqlBackend reuses one migrated database for every sequence, emptied
// between them: a new database or schema per sequence would cost more
// than the sequence.
func sqlBackend(name string, s *Store) xBackend {
	return xBackend{
		name: name,
		fresh: func() (xStore, error) {
			for _, table := range []string{"ownership_entries", "ownership_records", "ownership_tombstones", "ownership_users", "ownership_events"} {
				if _, err := s.db.ExecContext(ctx, "DELETE FROM "+table); err != nil {
					return nil, fmt.Errorf("emptying %s: %w", table, err)
				}
			}
			return s, nil
		},
		all: func(ctx context.Context, st xStore) ([]ownership.Record, error) {
			var out []ownership.Record
			for _, typ := range xTypes { // in order: the listing is in ref order
				for page := (Page{Limit: MaxPageSize}); ; {
					recs, next, err := st.(*Store).ListMatching(ctx, ownership.NewPredicate(typ, ownership.AllRecords()), page)
					if err != nil {
						return nil, err
					}
					out = append(out, recs...)
					if next == (Page{}) {
						break
					}
					page = next
				}
			}
			return out, nil
		},
	}
}

// openSQLiteUnsynced is openSQLite for a database that need not survive
// a crash: SQLite does not wait for the disk (synchronous=OFF), which
// would otherwise take most of the time of the cross-store test.
func openSQLiteUnsynced(tb testing.TB) *Store {
	tb.Helper()
	dsn := strings.Replace(sqliteDSN(filepath.Join(tb.TempDir(), "ownership.db")), "synchronous(NORMAL)", "synchronous(OFF)", 1)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s := New(db, SQLite)
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// runner plays operations through a Manager on one store.
type runner struct {
	b      xBackend
	st     xStore
	m      *ownership.Manager
	events []ownership.Event
	users  map[ownership.UserID]ownership.User
}

// newRunner empties a store of b and fills its directory.
func newRunner(b xBackend, rules string) (*runner, error) {
	st, err := b.fresh()
	if err != nil {
		return nil, err
	}
	if recs, err := b.all(ctx, st); err != nil || len(recs) > 0 {
		return nil, fmt.Errorf("not empty at the start: %d records, %v", len(recs), err)
	}
	r := &runner{b: b, st: st, users: map[ownership.UserID]ownership.User{}}
	for _, u := range xUsers {
		if err := st.PutUser(ctx, u); err != nil {
			return nil, err
		}
		r.users[u.ID] = u
	}
	r.m = &ownership.Manager{
		Policy: xPolicy(), Store: st, Users: st, Now: func() time.Time { return xNow },
		Subscribers: []ownership.Subscriber{ownership.SubscriberFunc(func(_ context.Context, e ownership.Event) { r.events = append(r.events, e) })},
	}
	switch rules {
	case "least_loaded":
		r.m.Rules = ownership.Rules{
			&ownership.Territory{Field: "region", Territories: map[string][]ownership.UserID{"de": {"old", "rep2"}, "FR": {"ghost", "boss"}}},
			&ownership.LeastLoaded{Team: []ownership.UserID{"old", "rep1", "rep2", "ghost"}},
		}
	case "round_robin":
		r.m.Rules = ownership.Rules{&ownership.RoundRobin{Team: []ownership.UserID{"rep2", "ghost", "old", "norole", "rep1", "boss"}}}
	}
	return r, nil
}

// step runs one operation. The error is a failure of the test's own
// plumbing; the operation's error is in the view.
func (r *runner) step(o xOp) (stepView, error) {
	m, st := r.m, r.st
	r.events = r.events[:0]
	step := stepView{Op: o.String()}
	var (
		rec ownership.Record
		err error
	)
	by := xSubject(o.by)
	switch o.kind {
	case opCreate:
		c := ownership.Creation{Source: o.source, Creator: ownership.User{ID: o.user}, Template: xTemplates[o.tmpl], Entries: o.entries}
		if o.profile {
			c.Profile = xProfile
		}
		r := ownership.Record{Ref: o.ref, Parent: o.parent, Mode: o.mode}
		if o.region != "" {
			r.Fields = map[string]string{"region": o.region}
		}
		rec, err = m.Create(ctx, r, c)
	case opClaim:
		rec, err = m.Claim(ctx, by, o.ref)
	case opEnqueue:
		rec, err = m.Enqueue(ctx, by, o.ref, o.queue)
	case opReassign:
		rec, err = m.Reassign(ctx, by, o.ref, o.user)
	case opAddOwner:
		rec, err = m.AddOwner(ctx, by, o.ref, o.user)
	case opAddFollower:
		rec, err = m.AddFollower(ctx, by, o.ref, o.user)
	case opRemove:
		rec, err = m.Remove(ctx, by, o.ref, o.user)
	case opSetOwnership:
		var l ownership.List
		if l, err = ownership.NewList(o.entries...); err == nil {
			rec, err = m.SetOwnership(ctx, by, o.ref, l)
		}
	case opSetMode:
		rec, err = m.SetMode(ctx, by, o.ref, o.mode)
	case opTransfer:
		var rep ownership.TransferReport
		rep, err = m.Transfer(ctx, by, o.user, o.to, ownership.TransferOptions{DryRun: o.dry, Type: o.typ})
		step.Moved, step.Skipped, step.Lagging = rep.Moved, viewSkips(rep.Skipped), viewSkips(rep.Lagging)
	case opPropagate:
		var rep ownership.SyncReport
		rep, err = m.Propagate(ctx, o.ref, ownership.PropagateOptions{Follow: o.follow, Before: ownership.MustList(o.entries...), DryRun: o.dry})
		step.Changed, step.Unchanged = rep.Changed, rep.Unchanged
	case opReconcile:
		var recs []ownership.Record
		if recs, err = r.b.all(ctx, st); err != nil {
			return step, err
		}
		var rep ownership.SyncReport
		rep, err = m.Reconcile(ctx, seqOf(recs))
		step.Changed, step.Unchanged = rep.Changed, rep.Unchanged
	case opSyncUser:
		u, known := r.users[o.user]
		if !known {
			u = ownership.User{ID: o.user}
		}
		u.GivenName = o.detail
		u.Email = strings.ToLower(o.detail) + "." + string(o.user) + "@x.io"
		if known {
			r.users[o.user] = u
			if err := st.PutUser(ctx, u); err != nil {
				return step, err
			}
		}
		var rep ownership.SyncReport
		rep, err = m.SyncUserDetails(ctx, u)
		step.Changed, step.Unchanged = rep.Changed, rep.Unchanged
	case opDelete:
		err = st.Delete(ctx, o.ref)
	}
	step.Err, step.Record = viewErr(err), viewRec(rec)
	for _, e := range r.events {
		step.Events = append(step.Events, eventView{
			Kind: e.Kind.String(), By: string(e.By), Record: e.Record.String(),
			Before: e.Before.Entries(), After: e.After.Entries(), Mode: e.Mode.String(),
			Version: e.Version, At: e.At, Assigned: e.Assigned, Rule: e.Rule,
		})
	}
	return step, nil
}

// runSequence runs ops through a Manager on an empty store of b.
func runSequence(b xBackend, ops []xOp, rules string) (res run) {
	fail := func(err error) run { res.fatal = fmt.Errorf("%s: %w", b.name, err); return res }
	r, err := newRunner(b, rules)
	if err != nil {
		return fail(err)
	}
	for _, o := range ops {
		step, err := r.step(o)
		if err != nil {
			return fail(err)
		}
		res.steps = append(res.steps, step)
	}
	recs, err := b.all(ctx, r.st)
	if err != nil {
		return fail(err)
	}
	for _, rec := range recs {
		res.final = append(res.final, *viewRec(rec))
	}
	return res
}

func seqOf(recs []ownership.Record) iter.Seq2[ownership.Record, error] {
	return func(yield func(ownership.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// compareRuns returns "" when every store did what the first did, or a
// description of the first difference.
func compareRuns(backends []xBackend, runs []run) string {
	for i, r := range runs {
		if r.fatal != nil {
			return "test failure: " + r.fatal.Error()
		}
		if i == 0 {
			continue
		}
		ref := runs[0]
		for k := range min(len(ref.steps), len(r.steps)) {
			if d := cmp.Diff(ref.steps[k], r.steps[k], xCmp); d != "" {
				return fmt.Sprintf("operation %d, %s: %s and %s differ (-%s +%s):\n%s%s",
					k, ref.steps[k].Op, backends[0].name, backends[i].name, backends[0].name, backends[i].name, d, errMessages(ref.steps[k], r.steps[k]))
			}
		}
		if d := cmp.Diff(ref.final, r.final, xCmp); d != "" {
			return fmt.Sprintf("final state: %s and %s differ (-%s +%s):\n%s", backends[0].name, backends[i].name, backends[0].name, backends[i].name, d)
		}
	}
	return ""
}

func errMessages(a, b stepView) string {
	var s string
	if a.Err != nil {
		s += "reference error: " + a.Err.msg + "\n"
	}
	if b.Err != nil {
		s += "other error: " + b.Err.msg + "\n"
	}
	return s
}

// runAll runs ops on every backend, each in its own goroutine (the stores
// are independent), and compares the runs.
// spent, if not nil, adds up the time each backend took.
func runAll(backends []xBackend, ops []xOp, rules string, spent []atomic.Int64) string {
	runs := make([]run, len(backends))
	var wg sync.WaitGroup
	for i, b := range backends {
		wg.Go(func() {
			start := time.Now()
			runs[i] = runSequence(b, ops, rules)
			if spent != nil {
				spent[i].Add(int64(time.Since(start)))
			}
		})
	}
	wg.Wait()
	return compareRuns(backends, runs)
}

// shrink removes operations from ops, one at a time from the end, as long
// as the stores still disagree, so that the report shows a short
// sequence.
func shrink(backends []xBackend, ops []xOp, rules string) ([]xOp, string) {
	diff := runAll(backends, ops, rules, nil)
	for i := len(ops) - 1; i >= 0; i-- {
		cand := append(append([]xOp(nil), ops[:i]...), ops[i+1:]...)
		if d := runAll(backends, cand, rules, nil); d != "" && !strings.HasPrefix(d, "test failure") {
			ops, diff = cand, d
		}
	}
	return ops, diff
}

func envInt(tb testing.TB, name string, def uint64) uint64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		tb.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

// TestCrossStore runs random operation sequences on memstore, SQLite and
// (when the tests have a server) PostgreSQL and checks that the stores
// agree on every result, every event and the final state.
func TestCrossStore(t *testing.T) {
	seqs, opsPer, workers := 300, 50, 4
	if raceEnabled {
		seqs = 60
	}
	if testing.Short() {
		seqs /= 8
	}
	base := envInt(t, "OWNERSHIP_CROSSSTORE_SEED", 20261125)
	seqs = int(envInt(t, "OWNERSHIP_CROSSSTORE_SEQS", uint64(seqs)))
	opsPer = int(envInt(t, "OWNERSHIP_CROSSSTORE_OPS", uint64(opsPer)))
	dsn := os.Getenv(postgresDSNVar)
	if dsn == "" {
		t.Log(postgresDSNVar + " not set: comparing memstore and SQLite only")
	}
	// The workers are goroutines rather than parallel subtests, which
	// -parallel (GOMAXPROCS by default) would limit: the database
	// stores spend most of their time waiting, not computing. Each has
	// its own databases, opened here because a failure to open one is
	// fatal.
	pools := make([][]xBackend, workers)
	for w := range pools {
		pools[w] = []xBackend{memBackend(), sqlBackend("sqlite", openSQLiteUnsynced(t))}
		if dsn != "" {
			pools[w] = append(pools[w], sqlBackend("postgres", openPostgres(t, dsn)))
		}
	}
	var (
		next    atomic.Int64 // the next sequence to run
		stop    atomic.Bool  // set at the first failure
		spent   = make([]atomic.Int64, len(pools[0]))
		wg      sync.WaitGroup
		started = time.Now()
	)
	for _, backends := range pools {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1)) - 1
				if i >= seqs {
					return
				}
				seed := base + uint64(i)
				if msg := checkSequence(backends, seed, opsPer, spent); msg != "" {
					stop.Store(true)
					t.Error(msg)
				}
			}
		})
	}
	wg.Wait()
	var times []string
	for i, b := range pools[0] {
		times = append(times, fmt.Sprintf("%s %v", b.name, time.Duration(spent[i].Load()).Round(time.Millisecond)))
	}
	t.Logf("%d sequences of %d operations in %v, %d at a time; time per store, summed: %s",
		min(seqs, int(next.Load())), opsPer, time.Since(started).Round(time.Millisecond), workers, strings.Join(times, ", "))
}

// checkSequence runs the sequence of seed on every backend and returns ""
// if they agree, or the report of a failure, with a shortened sequence
// that still shows the difference.
func checkSequence(backends []xBackend, seed uint64, opsPer int, spent []atomic.Int64) string {
	rules := []string{"", "least_loaded", "round_robin"}[seed%3]
	ops, err := xSequence(seed, opsPer, rules)
	if err != nil {
		return fmt.Sprintf("seed %d: generating: %v", seed, err)
	}
	d := runAll(backends, ops, rules, spent)
	if d == "" {
		return ""
	}
	if strings.HasPrefix(d, "test failure") {
		return fmt.Sprintf("seed %d: %s", seed, d)
	}
	short, sd := shrink(backends, ops, rules)
	var b strings.Builder
	for k, o := range short {
		fmt.Fprintf(&b, "\t%2d %s\n", k, o)
	}
	return fmt.Sprintf("seed %d (rules %q): the stores disagree.\nshortened sequence:\n%s%s\nthe full sequence (OWNERSHIP_CROSSSTORE_SEED=%d OWNERSHIP_CROSSSTORE_SEQS=1 OWNERSHIP_CROSSSTORE_OPS=%d) first differs at %s",
		seed, rules, b.String(), sd, seed, opsPer, d)
}
