package inspect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/inspect"
	"github.com/ownershipkit/ownership/memstore"
)

// The inspector mounted under /admin/access/ behind the host's check: a
// request without the administrator's token is refused, and the why page
// tells the administrator why rep1 cannot update rep2's contact, and what
// rep1 would be told.
func ExampleNew() {
	ctx := context.Background()
	st := memstore.New()
	st.PutUser(ctx, ownership.User{ID: "rep1", Roles: []string{"sales_rep"}})
	st.PutUser(ctx, ownership.User{ID: "rep2", Roles: []string{"sales_rep"}})
	st.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef("contact/c3"),
		Ownership: ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner})})
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
	})

	h, err := inspect.New(inspect.Config{
		Policy: p, Records: st, Users: st,
		Authorize: func(r *http.Request) error { // the host's administrator check
			if r.Header.Get("Authorization") != "Bearer admin-token" {
				return errors.New("not an administrator")
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/access/", http.StripPrefix("/admin/access", h))

	ask := func(target, token string) {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("Accept", "application/json")
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		body, _ := io.ReadAll(w.Body)
		fmt.Println(w.Code)
		for _, line := range strings.Split(string(body), "\n") {
			if strings.Contains(line, `"explanation"`) || strings.Contains(line, `"for_subject"`) || strings.Contains(line, `"title"`) {
				fmt.Println(strings.TrimSpace(line))
			}
		}
	}
	ask("/admin/access/why?user=rep1&action=update&ref=contact/c3", "")
	ask("/admin/access/why?user=rep1&action=update&ref=contact/c3", "admin-token")
	// Output:
	// 403
	// "title": "Forbidden",
	// 200
	// "explanation": "rep1 cannot update contact/c3: it is owned by rep2 and your update scope is Owned; ask a manager to reassign it to you, or to widen your update scope to All",
	// "for_subject": "You may not update this contact; ask a manager to make you the owner of it, or for wider update access."
}
