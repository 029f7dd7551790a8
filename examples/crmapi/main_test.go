package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ownershipkit/ownership/sqlstore"
)

// newCRM returns the CRM's handler over a new SQLite database with the
// sample data.
func newCRM(t *testing.T) (*crm, http.Handler) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "crm.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := createSchema(ctx, db, sqlstore.SQLite); err != nil {
		t.Fatal(err)
	}
	c, err := wire(ctx, db, sqlstore.SQLite, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, c.handler()
}

func do(h http.Handler, user, method, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if user != "" {
		r.Header.Set("X-User", user)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestAnotherRepsContactIsMissing: a rep asking for another rep's contact
// gets exactly the answer for a contact that does not exist (status,
// headers, body), for reading, updating and claiming alike; and does not
// find it in the list.
func TestAnotherRepsContactIsMissing(t *testing.T) {
	_, h := newCRM(t)
	for _, method := range []string{"GET", "PUT", "POST"} {
		suffix := ""
		if method == "POST" {
			suffix = "/claim"
		}
		hidden := do(h, "rep1", method, "/contacts/3"+suffix, `{"name":"x"}`)
		missing := do(h, "rep1", method, "/contacts/99"+suffix, `{"name":"x"}`)
		if hidden.Code != http.StatusNotFound || missing.Code != http.StatusNotFound {
			t.Errorf("%s: got %d for rep2's contact and %d for a missing one, want 404 and 404", method, hidden.Code, missing.Code)
		}
		if hidden.Body.String() != missing.Body.String() || !maps.EqualFunc(hidden.Header(), missing.Header(), func(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }) {
			t.Errorf("%s: the answers differ:\n%v %s\n%v %s", method, hidden.Header(), hidden.Body, missing.Header(), missing.Body)
		}
	}
	if body := do(h, "rep1", "GET", "/contacts", "").Body.String(); strings.Contains(body, "Cy Twombly") || !strings.Contains(body, "Ada Lovelace") {
		t.Errorf("rep1's list: %s", body)
	}
	if got := do(h, "rep1", "GET", "/contacts/3/documents", "").Code; got != http.StatusNotFound {
		t.Errorf("documents of rep2's contact: got %d, want 404", got)
	}
}

// TestConcurrentClaims: many reps claim one unassigned contact at once;
// exactly one wins, the others are refused (409 already assigned, or 404
// once it is someone else's), and the contact's owner is the winner.
func TestConcurrentClaims(t *testing.T) {
	c, h := newCRM(t)
	const n = 12
	for i := range n {
		if _, err := c.db.Exec(`INSERT INTO users (id, email, name, role) VALUES (?, ?, ?, 'sales_rep')`, fmt.Sprint("r", i), fmt.Sprint("r", i, "@x.io"), fmt.Sprint("R", i)); err != nil {
			t.Fatal(err)
		}
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = do(h, fmt.Sprint("r", i), "POST", "/contacts/2/claim", "").Code
		}()
	}
	wg.Wait()
	winner := ""
	for i, code := range codes {
		switch code {
		case http.StatusOK:
			if winner != "" {
				t.Errorf("two winners: %s and r%d", winner, i)
			}
			winner = fmt.Sprint("r", i)
		case http.StatusConflict, http.StatusNotFound:
		default:
			t.Errorf("r%d: got %d", i, code)
		}
	}
	var owner string
	if err := c.db.QueryRow(`SELECT owner_id FROM contacts WHERE id = 2`).Scan(&owner); err != nil || owner != winner || winner == "" {
		t.Errorf("owner_id is %q (%v), winner %q", owner, err, winner)
	}
}

// TestUpdateDenialExplains: a rep who may see but not update a contact is
// told why, in words that name no one.
func TestUpdateDenialExplains(t *testing.T) {
	_, h := newCRM(t)
	w := do(h, "rep1", "PUT", "/contacts/2", `{"name":"x"}`)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"reason":"update_scope"`) || !strings.Contains(w.Body.String(), "claim it") {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
}

// TestCreate: a contact from the web form is unassigned; one made by hand
// is its creator's.
func TestCreate(t *testing.T) {
	c, h := newCRM(t)
	r := httptest.NewRequest("POST", "/forms/contact", strings.NewReader("name=Zoe"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusCreated || strings.Contains(w.Body.String(), "owner") {
		t.Errorf("form: got %d %s, want 201 unassigned", w.Code, w.Body)
	}
	if w := do(h, "rep2", "POST", "/contacts", `{"name":"Yan"}`); w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"owner":"rep2"`) {
		t.Errorf("by hand: got %d %s, want 201 owned by rep2", w.Code, w.Body)
	}
	var n int
	c.db.QueryRow(`SELECT COUNT(*) FROM contacts WHERE name = 'Yan' AND owner_id = 'rep2' AND ownership_version = 1`).Scan(&n)
	if n != 1 {
		t.Errorf("the host's row of Yan: %d rows owned by rep2 at version 1", n)
	}
}

// TestSelfTest plays the self-test on SQLite, and on PostgreSQL when
// OWNERSHIP_POSTGRES_DSN names a server.
func TestSelfTest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, "", "", true, io.Discard); err != nil {
		t.Errorf("SQLite: %v", err)
	}
	dsn := os.Getenv("OWNERSHIP_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("OWNERSHIP_POSTGRES_DSN not set: PostgreSQL self-test skipped")
	}
	schema := fmt.Sprintf("crmapi_test_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec("DROP SCHEMA " + pgx.Identifier{schema}.Sanitize() + " CASCADE")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if err := run(ctx, "", dsn+sep+"search_path="+schema, true, io.Discard); err != nil {
		t.Errorf("PostgreSQL: %v", err)
	}
}
