package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ownershipkit/ownership/sqlstore"
)

// step is one request of the self-test and the status it must get.
type step struct {
	user, method, target, body string
	want                       int
}

// selfTest plays a session against the API, prints each answer, and
// fails on the first unexpected status; then it waits for the relay to
// deliver every notification.
func selfTest(ctx context.Context, c *crm, h http.Handler, out io.Writer) error {
	for _, s := range []step{
		{"rep1", "GET", "/contacts", "", 200},                                 // Ada (own) and Bo (unassigned), not Cy
		{"rep1", "GET", "/contacts/3", "", 404},                               // rep2's: as if missing
		{"rep1", "GET", "/contacts/99", "", 404},                              // missing
		{"rep1", "PUT", "/contacts/2", `{"name":"Bo D."}`, 403},               // unassigned: view, not update
		{"rep1", "POST", "/contacts/2/claim", "", 200},                        // now his
		{"rep1", "PUT", "/contacts/2", `{"name":"Bo D."}`, 200},               // and his to update
		{"rep2", "POST", "/contacts/2/claim", "", 404},                        // taken: no longer visible to rep2
		{"boss", "POST", "/contacts/2/reassign", `{"to":"rep2"}`, 200},        // rep2 is notified
		{"rep1", "GET", "/contacts/1/documents", "", 200},                     // Ada's documents
		{"", "POST", "/forms/contact", "name=Zoe&email=zoe@example.com", 201}, // the web form: unassigned
		{"rep1", "POST", "/contacts", `{"name":"Yan","email":"yan@example.com"}`, 201},
		{"rep2", "GET", "/contacts?limit=2", "", 200},
		{"", "GET", "/contacts", "", 401},
	} {
		r := httptest.NewRequestWithContext(ctx, s.method, s.target, strings.NewReader(s.body))
		if s.user != "" {
			r.Header.Set("X-User", s.user)
		}
		if s.method == "POST" && strings.HasPrefix(s.target, "/forms/") {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Fprintf(out, "%s %s as %q: %d %s\n", s.method, s.target, s.user, w.Code, strings.TrimSpace(w.Body.String()))
		if w.Code != s.want {
			return fmt.Errorf("%s %s as %q: got %d, want %d", s.method, s.target, s.user, w.Code, s.want)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, err := c.outbox.OutboxEvents(ctx, sqlstore.Pending, 1)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("events still pending after 10s: %v", pending[0].Event.ID())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
