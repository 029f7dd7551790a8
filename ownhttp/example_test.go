package ownhttp_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
	"github.com/ownershipkit/ownership/ownhttp"
)

// A CRM serves contacts: sales reps see their own and unassigned ones and
// may claim unassigned ones. Raj (rep1) reads his contact, is told that a
// colleague's contact does not exist (the audit log tells the
// administrator why), claims an unassigned one, and lists what he may
// see. A request without a user is refused.
func Example() {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
		}},
	})
	ctx := context.Background()
	store := memstore.New()
	for _, id := range []ownership.UserID{"rep1", "rep2"} {
		store.PutUser(ctx, ownership.User{ID: id, Roles: []string{"sales_rep"}})
	}
	for _, r := range []ownership.Record{
		{Ref: ownership.MustRef("contact/c1"), Ownership: ownership.MustList(ownership.Entry{UserID: "rep1", Role: ownership.Owner})},
		{Ref: ownership.MustRef("contact/c2")},
		{Ref: ownership.MustRef("contact/c3"), Ownership: ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner})},
	} {
		store.CompareAndSwap(ctx, r)
	}
	audit := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	m := &ownership.Manager{Policy: p, Store: store, Users: store,
		Subscribers: []ownership.Subscriber{ownhttp.EventLog{Logger: audit}}}

	g := &ownhttp.Guard{Policy: p, Logger: audit, Challenge: `Bearer realm="crm"`,
		Resolve: func(r *http.Request) (ownership.Subject, error) {
			id := r.Header.Get("X-User") // in production: the session or the token's claims
			if id == "" {
				return ownership.Subject{}, nil
			}
			u, err := store.User(r.Context(), ownership.UserID(id))
			return u.Subject(), err
		}}
	contact := ownhttp.PathRef("contact", "id")
	mux := http.NewServeMux()
	mux.Handle("GET /contacts/{id}", g.Check(ownership.View, store, contact,
		func(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
			fmt.Fprintln(w, rec.Ref, rec.Ownership)
		}))
	mux.Handle("POST /contacts/{id}/claim", g.Check(ownership.Claim, store, contact,
		func(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
			s, _ := ownhttp.SubjectFrom(r.Context())
			if _, err := m.Claim(r.Context(), s, rec.Ref); err != nil {
				ownhttp.WriteError(w, r, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
	mux.HandleFunc("GET /contacts", func(w http.ResponseWriter, r *http.Request) {
		pred := ownhttp.Filter(r.Context(), ownership.View, "contact") // pred.Cond: the WHERE clause
		for rec := range store.All(r.Context(), "contact") {
			if pred.Match(rec) {
				fmt.Fprintln(w, rec.Ref)
			}
		}
	})
	h := g.Middleware(mux)

	for _, req := range []struct{ method, target, user string }{
		{"GET", "/contacts/c1", "rep1"},
		{"GET", "/contacts/c3", "rep1"},
		{"GET", "/contacts/c9", "rep1"},
		{"POST", "/contacts/c2/claim", "rep1"},
		{"GET", "/contacts", "rep1"},
		{"GET", "/contacts/c1", ""},
	} {
		r := httptest.NewRequest(req.method, req.target, nil)
		r.Header.Set("X-User", req.user)
		r.Header.Set("X-Request-Id", "r1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s %s as %q: %d %s", req.method, req.target, req.user, w.Code, w.Body)))
	}
	// Output:
	// GET /contacts/c1 as "rep1": 200 contact/c1 [rep1:owner]
	// level=WARN msg="ownership denied" user=rep1 action=view record=contact/c3 allowed=false reason=view_scope explain="rep1 cannot view contact/c3: it is owned by rep2 and your view scope is Own|Unassigned; ask a manager to reassign it to you, or to widen your view scope to All" request_id=r1 status=404
	// GET /contacts/c3 as "rep1": 404 {"type":"https://ownershipkit.dev/problems/not_found","title":"Not found","status":404,"detail":"This contact does not exist, or you may not see it.","reason":"not_found"}
	// level=WARN msg="ownership denied" user=rep1 action=view record=contact/c9 allowed=false reason=not_found explain="rep1 cannot view contact/c9: the record does not exist; check the reference" request_id=r1 status=404
	// GET /contacts/c9 as "rep1": 404 {"type":"https://ownershipkit.dev/problems/not_found","title":"Not found","status":404,"detail":"This contact does not exist, or you may not see it.","reason":"not_found"}
	// level=INFO msg="ownership changed" kind=claimed by=rep1 record=contact/c2 before=[] after=[rep1:owner] version=2 mode=independent assigned=rep1 request_id=r1
	// POST /contacts/c2/claim as "rep1": 204
	// GET /contacts as "rep1": 200 contact/c1
	// contact/c2
	// level=WARN msg="ownership denied" user="" action="" record="" allowed=false reason=no_subject explain="the request names no user; it carries no valid credentials" request_id=r1 status=401
	// GET /contacts/c1 as "": 401 {"type":"https://ownershipkit.dev/problems/no_subject","title":"Not signed in","status":401,"detail":"You are not signed in.","reason":"no_subject"}
}

// dropTime removes the time from log records, for a stable output.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// Status maps the library's errors to HTTP statuses for hosts that write
// their own error responses.
func ExampleStatus() {
	deny := ownership.Decision{Subject: "rep1", Action: ownership.Claim, Record: ownership.MustRef("contact/c3"),
		Reason: ownership.ReasonAlreadyAssigned}.Err()
	fmt.Println(ownhttp.Status(deny))
	fmt.Println(ownhttp.Status(fmt.Errorf("saving: %w", ownership.ErrConflict)))
	fmt.Println(ownhttp.Status(fmt.Errorf("%w: contact/c1 changed", ownership.ErrPropagation)))
	fmt.Println(ownhttp.Status(context.Canceled))
	// Output:
	// 409
	// 409
	// 202
	// 499
}
