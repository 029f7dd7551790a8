package ownhttp

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// testPolicy is a CRM: reps see their own and unassigned contacts and
// edit their own, managers do everything to every type, account managers
// edit contracts but change a contract's amount only on their own.
func testPolicy(t testing.TB) *ownership.Policy {
	t.Helper()
	all := ownership.All
	p, err := ownership.Compile(ownership.PolicyDef{
		Roles: map[string]ownership.RoleDef{
			"admin":   {Bypass: true},
			"manager": {Types: map[string]ownership.Permissions{"*": {View: all, Update: all, Delete: all, Claim: true, Reassign: true}}},
			"sales_rep": {Types: map[string]ownership.Permissions{
				"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
			}},
			"account_manager": {Types: map[string]ownership.Permissions{
				"contract": {View: all, Update: all, Fields: map[string]ownership.FieldRule{"amount": {View: all, Update: ownership.Own}}},
			}},
		},
		Types: map[string]ownership.RecordType{"contract": {Fields: []string{"amount", "notes"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// users of the fixture; each has an id, an email and a name that appear
// nowhere else, so that a body naming them is caught.
var testUsers = []ownership.User{
	{ID: "rep1", Email: "raj.patel@example.com", GivenName: "Raj", LastName: "Patel", Roles: []string{"sales_rep"}},
	{ID: "rep2", Email: "rosa.quist@example.com", GivenName: "Rosa", LastName: "Quist", Roles: []string{"sales_rep"}},
	{ID: "mgr1", Email: "mona.vance@example.com", GivenName: "Mona", LastName: "Vance", Roles: []string{"manager"}},
	{ID: "root1", Email: "ursula.kett@example.com", GivenName: "Ursula", LastName: "Kett", Roles: []string{"admin"}},
	{ID: "am1", Email: "amos.lind@example.com", GivenName: "Amos", LastName: "Lind", Roles: []string{"account_manager"}},
	{ID: "am2", Email: "ada.brun@example.com", GivenName: "Ada", LastName: "Brun", Roles: []string{"account_manager"}},
	{ID: "gone1", Email: "gil.orth@example.com", GivenName: "Gil", LastName: "Orth", Roles: []string{"sales_rep"}, Inactive: true},
	{ID: "norole1", Email: "nell.pike@example.com", GivenName: "Nell", LastName: "Pike"},
	{ID: "odd1", Email: "otto.frey@example.com", GivenName: "Otto", LastName: "Frey", Roles: []string{"wizard"}},
}

func owner(u string) ownership.Entry {
	return ownership.Entry{UserID: ownership.UserID(u), Role: ownership.Owner}
}
func follower(u string) ownership.Entry {
	return ownership.Entry{UserID: ownership.UserID(u), Role: ownership.Follower}
}

// testRecords: c1 is rep1's, c2 unassigned, c3 rep2's, c4 rep2's and
// followed by rep1; d1 is a document synced with c3; k1 is am2's contract.
var testRecords = []ownership.Record{
	{Ref: ownership.MustRef("contact/c1"), Ownership: ownership.MustList(owner("rep1"))},
	{Ref: ownership.MustRef("contact/c2")},
	{Ref: ownership.MustRef("contact/c3"), Ownership: ownership.MustList(owner("rep2"))},
	{Ref: ownership.MustRef("contact/c4"), Ownership: ownership.MustList(owner("rep2"), follower("rep1"))},
	{Ref: ownership.MustRef("document/d1"), Parent: ownership.MustRef("contact/c3"), Mode: ownership.SyncWithParent, Ownership: ownership.MustList(owner("rep2"))},
	{Ref: ownership.MustRef("contract/k1"), Ownership: ownership.MustList(owner("am2"))},
}

// fixture is a served CRM: store, manager, guard and routes.
type fixture struct {
	store  *memstore.Store
	m      *ownership.Manager
	g      *Guard
	h      http.Handler
	logBuf *syncBuffer
	// injected, when set, is the error the /err route writes.
	injected error
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a log.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// noTime drops the time from log records, for stable output.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// resolveHeader resolves the user named by the X-User header from the
// directory.
func resolveHeader(p *ownership.Policy, dir ownership.Directory) Resolver {
	return func(r *http.Request) (ownership.Subject, error) {
		id := r.Header.Get("X-User")
		if id == "" {
			return ownership.Subject{}, nil
		}
		u, err := dir.User(r.Context(), ownership.UserID(id))
		if err != nil {
			return ownership.Subject{}, err
		}
		return p.Bind(u.Subject()), nil
	}
}

func newFixture(t testing.TB, configure func(*Guard)) *fixture {
	t.Helper()
	ctx := context.Background()
	p := testPolicy(t)
	st := memstore.New()
	for _, u := range testUsers {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range testRecords {
		if _, err := st.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{store: st, logBuf: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(f.logBuf, &slog.HandlerOptions{ReplaceAttr: noTime}))
	f.m = &ownership.Manager{Policy: p, Store: st, Users: st, Subscribers: []ownership.Subscriber{EventLog{Logger: logger}}}
	f.g = &Guard{Policy: p, Resolve: resolveHeader(p, st), Logger: logger, Challenge: `Bearer realm="crm"`}
	if configure != nil {
		configure(f.g)
	}
	f.h = f.g.Middleware(f.routes())
	return f
}

// routes are the CRM's endpoints.
func (f *fixture) routes() *http.ServeMux {
	g, m := f.g, f.m
	contract := PathRef("contract", "id")
	ok := func(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
		fmt.Fprintf(w, "%s %s\n", rec.Ref, rec.Ownership)
	}
	// act runs a Manager operation on the checked record and answers it.
	act := func(op func(r *http.Request, s ownership.Subject, ref ownership.Ref) error) RecordHandler {
		return func(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
			s, _ := SubjectFrom(r.Context())
			if err := op(r, s, rec.Ref); err != nil {
				WriteError(w, r, err)
				return
			}
			fmt.Fprintln(w, "done")
		}
	}
	claim := func(r *http.Request, s ownership.Subject, ref ownership.Ref) error {
		_, err := m.Claim(r.Context(), s, ref)
		return err
	}
	reassign := func(r *http.Request, s ownership.Subject, ref ownership.Ref) error {
		_, err := m.Reassign(r.Context(), s, ref, ownership.UserID(r.URL.Query().Get("to")))
		return err
	}
	addOwner := func(r *http.Request, s ownership.Subject, ref ownership.Ref) error {
		_, err := m.AddOwner(r.Context(), s, ref, ownership.UserID(r.URL.Query().Get("user")))
		return err
	}
	mux := http.NewServeMux()
	for _, typ := range []string{"contact", "document", "contract"} {
		ref := PathRef(typ, "id")
		base := "/" + typ + "s/{id}"
		mux.Handle("GET "+base, g.Check(ownership.View, f.store, ref, ok))
		mux.Handle("PUT "+base, g.Check(ownership.Update, f.store, ref, ok))
		mux.Handle("DELETE "+base, g.Check(ownership.Delete, f.store, ref, ok))
		mux.Handle("POST "+base+"/claim", g.Check(ownership.Claim, f.store, ref, act(claim)))
		mux.Handle("POST "+base+"/reassign", g.Check(ownership.Reassign, f.store, ref, act(reassign)))
		mux.Handle("POST "+base+"/owners", g.Check(ownership.ManageOwnership, f.store, ref, act(addOwner)))
		// The same claim without a check first: the Manager decides alone.
		mux.HandleFunc("POST "+base+"/claim-unchecked", func(w http.ResponseWriter, r *http.Request) {
			ref, _ := ref(r)
			s, _ := SubjectFrom(r.Context())
			if err := claim(r, s, ref); err != nil {
				WriteError(w, r, err)
				return
			}
			fmt.Fprintln(w, "done")
		})
	}
	mux.Handle("PUT /contracts/{id}/fields/{field}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.CheckField(ownership.Update, r.PathValue("field"), f.store, contract, ok).ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /contacts", func(w http.ResponseWriter, r *http.Request) {
		pred := Filter(r.Context(), ownership.View, "contact")
		for rec, err := range f.store.All(r.Context(), "contact") {
			if err != nil {
				WriteError(w, r, err)
				return
			}
			if pred.Match(rec) {
				fmt.Fprintln(w, rec.Ref)
			}
		}
	})
	// /err/{id} checks a view of contact {id}, then writes f.injected.
	mux.Handle("GET /err/{id}", g.Check(ownership.View, f.store, PathRef("contact", "id"), func(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
		WriteError(w, r, f.injected)
	}))
	return mux
}

// do serves one request as user (none for "") and returns the recorder.
func (f *fixture) do(method, target, user string) *httptest.ResponseRecorder {
	return f.doCtx(context.Background(), method, target, user)
}

func (f *fixture) doCtx(ctx context.Context, method, target, user string) *httptest.ResponseRecorder {
	r := httptest.NewRequestWithContext(ctx, method, target, nil)
	if user != "" {
		r.Header.Set("X-User", user)
	}
	r.Header.Set("X-Request-Id", "req-1")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// failingStore fails every Get with err.
type failingStore struct{ err error }

func (s failingStore) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	return ownership.Record{}, s.err
}

var errDisk = errors.New("disk on fire at /var/lib/crm/contacts.db")

// containsWord reports whether w occurs in s as a whole word.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isWordByte(s[j-1])
		after := j+len(w) == len(s) || !isWordByte(s[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '@' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
