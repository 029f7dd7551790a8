package ownhttp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownershipkit/ownership"
)

// recordRoutes are the routes about one record, with %s for its id.
var recordRoutes = []struct{ method, target string }{
	{"GET", "/contacts/%s"},
	{"PUT", "/contacts/%s"},
	{"DELETE", "/contacts/%s"},
	{"POST", "/contacts/%s/claim"},
	{"POST", "/contacts/%s/claim-unchecked"},
	{"POST", "/contacts/%s/reassign?to=rep1"},
	{"POST", "/contacts/%s/reassign?to=nobody"},
	{"POST", "/contacts/%s/reassign?to=gone1"},
	{"POST", "/contacts/%s/owners?user=rep1"},
}

// TestHiddenEqualsMissing checks that a record the subject may not view
// is answered, for every action, exactly as a missing record: same
// status, same headers, same bytes.
func TestHiddenEqualsMissing(t *testing.T) {
	for _, c := range []struct {
		user, hidden, missing string
		rewrite               func(string) string
	}{
		{user: "rep1", hidden: "c3", missing: "c9"},     // owned by someone else
		{user: "rep2", hidden: "c1", missing: "nosuch"}, // owned by someone else
		{user: "norole1", hidden: "c1", missing: "c9"},  // no roles
		{user: "odd1", hidden: "c2", missing: "c9"},     // unknown role
		{user: "am1", hidden: "c1", missing: "c9"},      // no grant for contacts
		{user: "rep1", hidden: "k1", missing: "k9", rewrite: func(s string) string { return strings.Replace(s, "/contacts/", "/contracts/", 1) }},
	} {
		for _, route := range recordRoutes {
			target := route.target
			if c.rewrite != nil {
				target = c.rewrite(target)
			}
			name := fmt.Sprintf("%s %s %s", c.user, route.method, fmt.Sprintf(target, c.hidden))
			t.Run(name, func(t *testing.T) {
				hidden := newFixture(t, nil).do(route.method, fmt.Sprintf(target, c.hidden), c.user)
				missing := newFixture(t, nil).do(route.method, fmt.Sprintf(target, c.missing), c.user)
				if hidden.Code != 404 || missing.Code != 404 {
					t.Fatalf("got %d and %d, want 404 for both; bodies %s %s", hidden.Code, missing.Code, hidden.Body, missing.Body)
				}
				if diff := cmp.Diff(missing.Header(), hidden.Header()); diff != "" {
					t.Errorf("headers differ (-missing +hidden):\n%s", diff)
				}
				if !slices.Equal(hidden.Body.Bytes(), missing.Body.Bytes()) {
					t.Errorf("bodies differ:\nhidden  %s\nmissing %s", hidden.Body, missing.Body)
				}
			})
		}
	}
	// With hiding off, the two are told apart.
	f := newFixture(t, func(g *Guard) { g.ViewDenied = 403 })
	if a, b := f.do("GET", "/contacts/c3", "rep1"), f.do("GET", "/contacts/c9", "rep1"); a.Code != 403 || b.Code != 404 {
		t.Errorf("ViewDenied 403: got %d and %d, want 403 and 404", a.Code, b.Code)
	}
}

// reasons returns every reason code of the library.
func reasons() []ownership.Reason {
	var out []ownership.Reason
	for r := ownership.Reason(1); !strings.HasPrefix(r.String(), "Reason("); r++ {
		out = append(out, r)
	}
	return out
}

// sample returns a decision with reason r, as rep1 on contact/c4 (which
// rep1 follows and rep2 owns), with every user-naming field set to
// someone else.
func sample(r ownership.Reason) ownership.Decision {
	d := ownership.Decision{Allowed: r.Allows(), Reason: r, Subject: "rep1", Record: ownership.MustRef("contact/c4"),
		Action: ownership.Update, Class: ownership.Others, Owner: "rep2", Scope: ownership.Owned, Target: "mgr1"}
	switch r {
	case ownership.ReasonViewScope:
		d.Action, d.Scope = ownership.View, ownership.Own|ownership.Unassigned
	case ownership.ReasonDeleteScope:
		d.Action = ownership.Delete
	case ownership.ReasonFollowerReadOnly:
		d.Class, d.ListRole = ownership.Own, ownership.Follower
	case ownership.ReasonFieldScope, ownership.ReasonUndeclaredField:
		d.Field, d.FieldScope = "amount", ownership.Own
	case ownership.ReasonAlreadyAssigned, ownership.ReasonNoClaimPermission, ownership.ReasonClaimable:
		d.Action = ownership.Claim
	case ownership.ReasonNoReassignPermission, ownership.ReasonReassignOutOfScope, ownership.ReasonReassignable,
		ownership.ReasonTargetCannotView, ownership.ReasonUnknownTarget, ownership.ReasonInactiveTarget:
		d.Action = ownership.Reassign
	case ownership.ReasonNotOwner, ownership.ReasonSynced, ownership.ReasonOwnerManages:
		d.Action = ownership.ManageOwnership
	case ownership.ReasonUnknownAction:
		d.Action = ownership.Action(99)
	case ownership.ReasonNoSubject:
		d.Subject = ""
	}
	if d.Allowed {
		d.DecidingRole = "sales_rep"
	}
	return d
}

// TestGolden pins, for every reason code, the end user's answer (status
// and problem body) and the administrator's log line, in
// testdata/problems.golden. Denials are written in a request that checked
// that the subject may view the record; the same denials written for a
// record the request did not check must all be the missing record's
// answer.
func TestGolden(t *testing.T) {
	var b strings.Builder
	missing := newFixture(t, nil).do("GET", "/contacts/c9", "rep1")
	for _, r := range reasons() {
		d := sample(r)
		fmt.Fprintf(&b, "== %s (%s)\n", r, d.Action)
		f := newFixture(t, nil)
		if d.Allowed {
			req := httptest.NewRequest("GET", "/contacts/c4", nil)
			req.Header.Set("X-Request-Id", "req-1")
			f.g.logAllowed(req, d)
			fmt.Fprintf(&b, "end user: %s\nadmin:    %s\n", d.ForSubject(), f.logBuf)
			continue
		}
		f.injected = d.Err()
		w := f.do("GET", "/err/c4", "rep1")
		fmt.Fprintf(&b, "end user: %d %s\nadmin:    %s\n", w.Code, strings.TrimSpace(w.Body.String()), f.logBuf)
		if d.Reason == ownership.ReasonNoSubject || d.Reason == ownership.ReasonUnknownSubject {
			continue
		}
		other := newFixture(t, nil)
		other.injected = d.Err()
		hidden := other.do("GET", "/err/c1", "rep1")
		if hidden.Code != 404 || hidden.Body.String() != missing.Body.String() {
			t.Errorf("%v on a record not checked: got %d %s, want the missing record's %s", r, hidden.Code, hidden.Body, missing.Body)
		}
	}
	golden(t, "problems.golden", b.String())
}

// TestNoOtherUserInBodies serves every route for every user, record and
// target, and writes every reason in every situation, and checks that no
// problem body names a user other than the subject (by id, email, given
// or last name) or the parent of a synced record.
func TestNoOtherUserInBodies(t *testing.T) {
	names := map[ownership.UserID][]string{}
	for _, u := range testUsers {
		names[u.ID] = []string{string(u.ID), u.Email, u.GivenName, u.LastName}
	}
	check := func(t *testing.T, subject ownership.UserID, what string, w *httptest.ResponseRecorder) {
		t.Helper()
		if w.Header().Get("Content-Type") != ContentType {
			return // the host's own answer
		}
		body := w.Body.String()
		for id, ns := range names {
			if id == subject {
				continue
			}
			for _, n := range ns {
				if containsWord(body, n) {
					t.Errorf("%s as %q: body names %s (%s): %s", what, subject, n, id, body)
				}
			}
		}
		if strings.Contains(body, "contact/c3") {
			t.Errorf("%s as %q: body names a record: %s", what, subject, body)
		}
	}
	ids := []string{"", "nobody"}
	for _, u := range testUsers {
		ids = append(ids, string(u.ID))
	}
	records := []string{"/contacts/c1", "/contacts/c2", "/contacts/c3", "/contacts/c4", "/contacts/c9", "/documents/d1", "/contracts/k1"}
	for _, user := range ids {
		f := newFixture(t, nil)
		for _, rec := range records {
			for _, m := range []string{"GET", "PUT", "DELETE"} {
				check(t, ownership.UserID(user), m+" "+rec, f.do(m, rec, user))
			}
			for _, field := range []string{"amount", "notes", "Amount"} {
				check(t, ownership.UserID(user), "field "+field, f.do("PUT", "/contracts/k1/fields/"+field, user))
			}
			for _, op := range []string{"claim", "claim-unchecked"} {
				check(t, ownership.UserID(user), op+" "+rec, f.do("POST", rec+"/"+op, user))
			}
			for _, to := range ids {
				check(t, ownership.UserID(user), "reassign "+rec+" to "+to, f.do("POST", rec+"/reassign?to="+to, user))
				check(t, ownership.UserID(user), "add owner "+to+" to "+rec, f.do("POST", rec+"/owners?user="+to, user))
			}
		}
	}
	// Every reason, in every class, for an owner, a follower and someone
	// off the list, on an independent and a synced record, checked or
	// not: the decision names rep2 as owner and mgr1 as target.
	f := newFixture(t, nil)
	for _, r := range reasons() {
		for _, class := range []ownership.Scope{ownership.Own, ownership.Unassigned, ownership.Others} {
			for _, role := range []ownership.Role{0, ownership.Owner, ownership.Follower} {
				for _, parent := range []ownership.Ref{{}, ownership.MustRef("contact/c3")} {
					for _, path := range []string{"/err/c4", "/err/c1"} {
						d := sample(r)
						d.Allowed, d.Class, d.ListRole, d.Parent = false, class, role, parent
						f.injected = d.Err()
						check(t, "rep1", fmt.Sprintf("%v %v %v %v %s", r, class, role, parent, path), f.do("GET", path, "rep1"))
					}
				}
			}
		}
	}
}

// TestProblemBase checks that the type URIs follow the configured base.
func TestProblemBase(t *testing.T) {
	f := newFixture(t, func(g *Guard) { g.ProblemBase = "https://crm.example.com/errors/" })
	w := f.do("PUT", "/contacts/c2", "rep1")
	p := ProblemFor(httptest.NewRequest("GET", "/", nil), nil)
	if !strings.Contains(w.Body.String(), `"type":"https://crm.example.com/errors/update_scope"`) || p.Type != DefaultProblemBase+"internal" {
		t.Errorf("got %s and %+v", w.Body, p)
	}
	if w.Header().Get("Content-Length") != fmt.Sprint(w.Body.Len()) {
		t.Errorf("Content-Length %q for %d bytes", w.Header().Get("Content-Length"), w.Body.Len())
	}
	_ = http.StatusOK
}

// TestOtherTenantEqualsMissing checks that another tenant's record is
// answered, for every action, exactly as a missing record, even with
// view denials shown as 403 and whatever the record holds: a synced
// copy, or a field its type does not declare.
func TestOtherTenantEqualsMissing(t *testing.T) {
	globex := []ownership.Record{
		{Ref: ownership.MustRef("document/gd1"), Tenant: "globex", Parent: ownership.MustRef("contact/gc9"), Mode: ownership.SyncWithParent},
		{Ref: ownership.MustRef("contract/gk1"), Tenant: "globex", Ownership: ownership.MustList(owner("am2"))},
	}
	routes := append(slices.Clone(recordRoutes), struct{ method, target string }{"PUT", "/contacts/%s/fields/Amount"})
	for _, hidden := range globex {
		for _, route := range routes {
			target := strings.Replace(route.target, "/contacts/", "/"+hidden.Ref.Type+"s/", 1)
			if strings.Contains(target, "/fields/") && hidden.Ref.Type != "contract" {
				continue
			}
			for _, user := range []string{"mgr1", "root1"} {
				name := fmt.Sprintf("%s %s %s", user, route.method, fmt.Sprintf(target, hidden.Ref.ID))
				t.Run(name, func(t *testing.T) {
					f := newFixture(t, func(g *Guard) { g.ViewDenied = 403 })
					if _, err := f.store.CompareAndSwap(context.Background(), hidden); err != nil {
						t.Fatal(err)
					}
					got := f.do(route.method, fmt.Sprintf(target, hidden.Ref.ID), user)
					missing := f.do(route.method, fmt.Sprintf(target, "nosuch"), user)
					if got.Code != 404 || missing.Code != 404 {
						t.Fatalf("got %d and %d, want 404 for both; bodies %s %s", got.Code, missing.Code, got.Body, missing.Body)
					}
					if !slices.Equal(got.Body.Bytes(), missing.Body.Bytes()) {
						t.Errorf("bodies differ:\nother tenant %s\nmissing      %s", got.Body, missing.Body)
					}
				})
			}
		}
	}
}
