package ownhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// statusCases cover every status the package answers, through the served
// CRM. Each runs on a fresh fixture.
var statusCases = []struct {
	name      string
	configure func(*Guard)
	method    string
	target    string
	user      string
	inject    error // written by /err/{id}
	status    int
	reason    string // the problem's reason; "" for a success
}{
	{name: "owner views", method: "GET", target: "/contacts/c1", user: "rep1", status: 200},
	{name: "rep views unassigned", method: "GET", target: "/contacts/c2", user: "rep1", status: 200},
	{name: "view denied is not found", method: "GET", target: "/contacts/c3", user: "rep1", status: 404, reason: "not_found"},
	{name: "missing record", method: "GET", target: "/contacts/c9", user: "rep1", status: 404, reason: "not_found"},
	{name: "no user", method: "GET", target: "/contacts/c1", status: 401, reason: "no_subject"},
	{name: "unknown user", method: "GET", target: "/contacts/c1", user: "nobody", status: 401, reason: "unknown_subject"},
	{name: "no user answered 403", configure: func(g *Guard) { g.Unauthenticated = 403 }, method: "GET", target: "/contacts/c1", status: 403, reason: "no_subject"},
	{name: "owner updates", method: "PUT", target: "/contacts/c1", user: "rep1", status: 200},
	{name: "follower may not update", method: "PUT", target: "/contacts/c4", user: "rep1", status: 403, reason: "follower_read_only"},
	{name: "rep may not update unassigned", method: "PUT", target: "/contacts/c2", user: "rep1", status: 403, reason: "update_scope"},
	{name: "update of an unviewable record is not found", method: "PUT", target: "/contacts/c3", user: "rep1", status: 404, reason: "not_found"},
	{name: "delete of an unviewable record is not found", method: "DELETE", target: "/contacts/c3", user: "rep1", status: 404, reason: "not_found"},
	{name: "rep may not delete", method: "DELETE", target: "/contacts/c1", user: "rep1", status: 403, reason: "delete_scope"},
	{name: "claim of an unviewable record is not found", method: "POST", target: "/contacts/c3/claim", user: "rep1", status: 404, reason: "not_found"},
	{name: "claim", method: "POST", target: "/contacts/c2/claim", user: "rep1", status: 200},
	{name: "claim of one's own", method: "POST", target: "/contacts/c1/claim", user: "rep1", status: 409, reason: "already_assigned"},
	{name: "manager claims assigned", method: "POST", target: "/contacts/c3/claim", user: "mgr1", status: 409, reason: "already_assigned"},
	{name: "synced record's owners", method: "POST", target: "/documents/d1/owners?user=rep1", user: "root1", status: 409, reason: "synced"},
	{name: "reassign to unknown", method: "POST", target: "/contacts/c3/reassign?to=nobody", user: "mgr1", status: 422, reason: "unknown_target"},
	{name: "reassign to inactive", method: "POST", target: "/contacts/c3/reassign?to=gone1", user: "mgr1", status: 422, reason: "inactive_target"},
	{name: "reassign to one who cannot view", method: "POST", target: "/contacts/c3/reassign?to=norole1", user: "mgr1", status: 403, reason: "target_cannot_view"},
	{name: "reassign", method: "POST", target: "/contacts/c3/reassign?to=rep1", user: "mgr1", status: 200},
	{name: "rep may not reassign", method: "POST", target: "/contacts/c1/reassign?to=rep2", user: "rep1", status: 403, reason: "no_reassign_permission"},
	{name: "manager does not own", method: "POST", target: "/contacts/c3/owners?user=rep1", user: "mgr1", status: 403, reason: "not_owner"},
	{name: "field denied", method: "PUT", target: "/contracts/k1/fields/amount", user: "am1", status: 403, reason: "field_scope"},
	{name: "field allowed", method: "PUT", target: "/contracts/k1/fields/amount", user: "am2", status: 200},
	{name: "undeclared field", method: "PUT", target: "/contracts/k1/fields/Amount", user: "am1", status: 422, reason: "undeclared_field"},
	{name: "no roles", method: "GET", target: "/contacts/c1", user: "norole1", status: 404, reason: "not_found"},
	{name: "unknown role", method: "GET", target: "/contacts/c1", user: "odd1", status: 404, reason: "not_found"},
	{name: "no grant", method: "GET", target: "/contracts/k1", user: "rep1", status: 404, reason: "not_found"},
	{name: "unchecked claim of an unviewable record", method: "POST", target: "/contacts/c3/claim-unchecked", user: "rep1", status: 404, reason: "not_found"},
	{name: "unchecked claim", method: "POST", target: "/contacts/c2/claim-unchecked", user: "rep2", status: 200},
	{name: "view denied answered 403", configure: func(g *Guard) { g.ViewDenied = 403 }, method: "GET", target: "/contacts/c3", user: "rep1", status: 403, reason: "view_scope"},
	{name: "update of unviewable answered 403", configure: func(g *Guard) { g.ViewDenied = 403 }, method: "PUT", target: "/contacts/c3", user: "rep1", status: 403, reason: "view_scope"},
	{name: "unchecked claim answered 403", configure: func(g *Guard) { g.ViewDenied = 403 }, method: "POST", target: "/contacts/c3/claim-unchecked", user: "rep1", status: 409, reason: "already_assigned"},
	{name: "list", method: "GET", target: "/contacts", user: "rep1", status: 200},
	{name: "propagation", method: "GET", target: "/err/c1", user: "rep1", inject: fmt.Errorf("%w: contact/c1 changed: %w", ownership.ErrPropagation, errDisk), status: 202, reason: "propagation"},
	{name: "canceled", method: "GET", target: "/err/c1", user: "rep1", inject: fmt.Errorf("reading: %w", context.Canceled), status: 499, reason: "canceled"},
	{name: "deadline", method: "GET", target: "/err/c1", user: "rep1", inject: context.DeadlineExceeded, status: 503, reason: "timeout"},
	{name: "conflict", method: "GET", target: "/err/c1", user: "rep1", inject: fmt.Errorf("ownership: contact/c1 changed 32 times: %w", ownership.ErrConflict), status: 409, reason: "conflict"},
	{name: "ambiguous", method: "GET", target: "/err/c1", user: "rep1", inject: fmt.Errorf("%w: email x@example.com: rep2, mgr1", ownership.ErrAmbiguous), status: 409, reason: "ambiguous"},
	{name: "invalid", method: "GET", target: "/err/c1", user: "rep1", inject: fmt.Errorf("%w: list: entry 2", ownership.ErrInvalid), status: 400, reason: "invalid"},
	{name: "not found", method: "GET", target: "/err/c1", user: "rep1", inject: fmt.Errorf("ownership: user rep7: %w", ownership.ErrNotFound), status: 404, reason: "not_found"},
	{name: "synced", method: "GET", target: "/err/c1", user: "rep1", inject: ownership.ErrSynced, status: 409, reason: "synced"},
	{name: "internal", method: "GET", target: "/err/c1", user: "rep1", inject: errDisk, status: 500, reason: "internal"},
	{name: "nil error", method: "GET", target: "/err/c1", user: "rep1", inject: nil, status: 500, reason: "internal"},
	{name: "denial of a checked record", method: "GET", target: "/err/c1", user: "rep1", inject: ownership.Decision{Subject: "rep1", Action: ownership.Reassign, Record: ownership.MustRef("contact/c1"), Reason: ownership.ReasonNoReassignPermission}.Err(), status: 403, reason: "no_reassign_permission"},
	{name: "denial of another record", method: "GET", target: "/err/c1", user: "rep1", inject: ownership.Decision{Subject: "rep1", Action: ownership.Reassign, Record: ownership.MustRef("contact/c3"), Reason: ownership.ReasonNoReassignPermission}.Err(), status: 404, reason: "not_found"},
	{name: "denial of no record", method: "GET", target: "/err/c1", user: "rep1", inject: ownership.Decision{Subject: "rep1", Action: ownership.Reassign, Reason: ownership.ReasonUnknownTarget, Target: "rep7"}.Err(), status: 422, reason: "unknown_target"},
	{name: "resolver fails", configure: func(g *Guard) {
		g.Resolve = func(*http.Request) (ownership.Subject, error) { return ownership.Subject{}, errDisk }
	}, method: "GET", target: "/contacts/c1", user: "rep1", status: 500, reason: "internal"},
	{name: "malformed credentials", configure: func(g *Guard) {
		g.Resolve = func(*http.Request) (ownership.Subject, error) {
			return ownership.Subject{}, fmt.Errorf("%w: token", ownership.ErrInvalid)
		}
	}, method: "GET", target: "/contacts/c1", user: "rep1", status: 401, reason: "no_subject"},
	{name: "no resolver", configure: func(g *Guard) { g.Resolve = nil }, method: "GET", target: "/contacts/c1", user: "rep1", status: 401, reason: "no_subject"},
	{name: "no policy", configure: func(g *Guard) { g.Policy = nil }, method: "GET", target: "/contacts/c1", user: "root1", status: 404, reason: "not_found"},
}

func TestStatuses(t *testing.T) {
	for _, c := range statusCases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.configure)
			f.injected = c.inject
			w := f.do(c.method, c.target, c.user)
			checkAnswer(t, w, c.status, c.reason)
		})
	}
}

// checkAnswer checks the status of w and, for a problem, its form.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, status int, reason string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status: got %d, want %d; body %s", w.Code, status, w.Body)
	}
	if reason == "" {
		if ct := w.Header().Get("Content-Type"); ct == ContentType {
			t.Errorf("success answered with a problem: %s", w.Body)
		}
		return
	}
	if ct := w.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type: got %q, want %q", ct, ContentType)
	}
	var p Problem
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("body: %v", err)
	}
	want := Problem{Type: DefaultProblemBase + reason, Title: titles[reason], Status: status, Detail: p.Detail, Reason: reason}
	if p != want {
		t.Errorf("problem: got %+v, want %+v", p, want)
	}
	if p.Title == "" || p.Detail == "" {
		t.Errorf("problem without title or detail: %+v", p)
	}
	if strings.Contains(p.Detail, "disk") || strings.Contains(p.Detail, "ownership:") {
		t.Errorf("detail leaks an error's text: %q", p.Detail)
	}
	challenge := w.Header().Get("WWW-Authenticate")
	if status == 401 && challenge != `Bearer realm="crm"` || status != 401 && challenge != "" {
		t.Errorf("WWW-Authenticate on %d: got %q", status, challenge)
	}
}

func TestNoChallengeConfigured(t *testing.T) {
	f := newFixture(t, func(g *Guard) { g.Challenge = "" })
	w := f.do("GET", "/contacts/c1", "")
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("got %d with WWW-Authenticate %q, want 401 without", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestRequestContext(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checkAnswer(t, f.doCtx(ctx, "GET", "/contacts/c1", "rep1"), 499, "canceled")

	ctx, cancel = context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	checkAnswer(t, f.doCtx(ctx, "GET", "/contacts/c1", "rep1"), 503, "timeout")
}

func TestStoreFails(t *testing.T) {
	f := newFixture(t, nil)
	h := f.g.Middleware(f.g.Check(ownership.View, failingStore{errDisk}, PathRef("contact", "id"), nil))
	r := httptest.NewRequest("GET", "/contacts/c1", nil)
	r.SetPathValue("id", "c1")
	r.Header.Set("X-User", "rep1")
	for _, c := range []struct {
		store  Store
		ref    RefFunc
		h      RecordHandler
		status int
		reason string
	}{
		{failingStore{errDisk}, PathRef("contact", "id"), func(http.ResponseWriter, *http.Request, ownership.Record) {}, 500, "internal"},
		{failingStore{fmt.Errorf("query: %w", context.Canceled)}, PathRef("contact", "id"), func(http.ResponseWriter, *http.Request, ownership.Record) {}, 499, "canceled"},
		{f.store, func(*http.Request) (ownership.Ref, error) { return ownership.ParseRef("contact") }, func(http.ResponseWriter, *http.Request, ownership.Record) {}, 400, "invalid"},
		{f.store, PathRef("contact", "nosuchwildcard"), func(http.ResponseWriter, *http.Request, ownership.Record) {}, 404, "not_found"},
		{nil, PathRef("contact", "id"), func(http.ResponseWriter, *http.Request, ownership.Record) {}, 500, "internal"},
		{f.store, PathRef("contact", "id"), nil, 500, "internal"},
	} {
		h = f.g.Middleware(f.g.Check(ownership.View, c.store, c.ref, c.h))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		checkAnswer(t, w, c.status, c.reason)
	}
	if strings.Contains(f.logBuf.String(), "disk on fire") == false {
		t.Errorf("the store's error is not in the log:\n%s", f.logBuf)
	}
}

// TestWithoutMiddleware checks that every helper fails closed when the
// middleware is missing.
func TestWithoutMiddleware(t *testing.T) {
	f := newFixture(t, nil)
	called := false
	h := f.g.Check(ownership.View, f.store, PathRef("contact", "id"), func(http.ResponseWriter, *http.Request, ownership.Record) { called = true })
	r := httptest.NewRequest("GET", "/contacts/c1", nil)
	r.SetPathValue("id", "c1")
	r.Header.Set("X-User", "rep1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	checkAnswer(t, w, 500, "internal")
	if called {
		t.Error("the handler ran without the middleware")
	}
	if !strings.Contains(f.logBuf.String(), "without Guard.Middleware") {
		t.Errorf("no log of the missing middleware:\n%s", f.logBuf)
	}
	if s, ok := SubjectFrom(r.Context()); ok || s.ID != "" {
		t.Errorf("SubjectFrom without middleware: got %+v, %v", s, ok)
	}
	pred := Filter(r.Context(), ownership.View, "contact")
	for _, rec := range testRecords {
		if pred.Match(rec) {
			t.Errorf("Filter without middleware matches %s", rec.Ref)
		}
	}
	// A denial of an update, which the subject might have been allowed to
	// see, is answered as not found: nothing says it was viewable.
	w = httptest.NewRecorder()
	WriteError(w, r, ownership.Decision{Subject: "rep1", Action: ownership.Update, Record: ownership.MustRef("contact/c1"), Reason: ownership.ReasonUpdateScope}.Err())
	checkAnswer(t, w, 404, "not_found")
	if got := ProblemFor(r, errDisk); got.Status != 500 || got.Detail != detailInternal {
		t.Errorf("ProblemFor: got %+v", got)
	}
}

// TestZeroGuard checks that the zero Guard refuses everything.
func TestZeroGuard(t *testing.T) {
	var g Guard
	reached := false
	h := g.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-User", "rep1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 || reached {
		t.Errorf("zero Guard: got %d, reached %v; want 401, not reached", w.Code, reached)
	}
}

func TestSubjectFrom(t *testing.T) {
	f := newFixture(t, nil)
	var got ownership.Subject
	var ok bool
	h := f.g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok = SubjectFrom(r.Context())
		// A context derived from the request's carries the subject too.
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		if s, _ := SubjectFrom(ctx); s.ID != got.ID {
			t.Errorf("derived context: got %q, want %q", s.ID, got.ID)
		}
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-User", "mgr1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !ok || got.ID != "mgr1" || !f.g.Policy.CanEdit(got, testRecords[2]) {
		t.Errorf("got %+v, %v; want mgr1, bound, who may edit contact/c3", got, ok)
	}
}

func TestList(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do("GET", "/contacts", "rep1")
	if got, want := w.Body.String(), "contact/c1\ncontact/c2\ncontact/c4\n"; got != want {
		t.Errorf("rep1's contacts: got %q, want %q", got, want)
	}
	if got := Filter(context.Background(), ownership.View, "contact").Cond().Op; got != ownership.OpNone {
		t.Errorf("Filter without a request: got %v, want none", got)
	}
}

// TestStatusMapping checks Status on its own, without a request.
func TestStatusMapping(t *testing.T) {
	deny := func(a ownership.Action, r ownership.Reason) error {
		return ownership.Decision{Subject: "ann", Action: a, Record: ownership.MustRef("contact/c1"), Reason: r}.Err()
	}
	for _, c := range []struct {
		err  error
		want int
	}{
		{deny(ownership.View, ownership.ReasonViewScope), 404},
		{deny(ownership.Update, ownership.ReasonUpdateScope), 403},
		{deny(ownership.Claim, ownership.ReasonAlreadyAssigned), 409},
		{deny(ownership.ManageOwnership, ownership.ReasonSynced), 409},
		{deny(ownership.Reassign, ownership.ReasonUnknownTarget), 422},
		{deny(ownership.Reassign, ownership.ReasonInactiveTarget), 422},
		{deny(ownership.Update, ownership.ReasonUndeclaredField), 422},
		{deny(ownership.Update, ownership.ReasonNotFound), 404},
		{deny(ownership.Update, ownership.ReasonNoSubject), 401},
		{deny(ownership.Update, ownership.ReasonUnknownSubject), 401},
		{fmt.Errorf("wrapped: %w", deny(ownership.Delete, ownership.ReasonDeleteScope)), 403},
		{ownership.ErrNotFound, 404},
		{ownership.ErrConflict, 409},
		{ownership.ErrSynced, 409},
		{ownership.ErrAmbiguous, 409},
		{ownership.ErrInvalid, 400},
		{fmt.Errorf("%w: c1: %w", ownership.ErrPropagation, context.Canceled), 202},
		{context.Canceled, 499},
		{context.DeadlineExceeded, 503},
		{errDisk, 500},
		{nil, 500},
		{errors.Join(errDisk, ownership.ErrInvalid), 400},
	} {
		if got := Status(c.err); got != c.want {
			t.Errorf("Status(%v): got %d, want %d", c.err, got, c.want)
		}
	}
}
