package inspect_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/inspect"
	"github.com/ownershipkit/ownership/memstore"
	"github.com/ownershipkit/ownership/seed"
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

// seeds are the seed files the tests inspect: a CRM (owners, followers,
// claims), contracts (field rules and field-matched owners), a journey
// (synced documents and attachments) and a CRM of teams, a hierarchy,
// a queue and two tenants.
var seeds = []string{"crm", "contracts", "journey", "teams"}

// fixture is a seed loaded into a memstore, the store the inspector reads.
type fixture struct {
	seed  *seed.Seed
	store *memstore.Store
}

// loadSeed parses ../seed/testdata/name.json and stores its users and its
// records, each with its effective ownership.
func loadSeed(t testing.TB, name string) fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "seed", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := seed.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	ctx := context.Background()
	for _, u := range s.Users() {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, raw := range s.Records() {
		r, _ := s.Record(raw.Ref)
		if _, err := st.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return fixture{seed: s, store: st}
}

// withOrg makes the inspector decide with the seed's organisation.
func (f fixture) withOrg(c *inspect.Config) { c.Org = f.seed.Org() }

// allow is an Authorize hook that lets every request in.
func allow(*http.Request) error { return nil }

// errNotAdmin is the refusal of the deny hook.
var errNotAdmin = errors.New("not an administrator")

// handler returns the inspector over f.
func (f fixture) handler(t testing.TB, mod ...func(*inspect.Config)) *inspect.Handler {
	t.Helper()
	cfg := inspect.Config{Policy: f.seed.Policy(), Records: f.store, Users: f.store, Authorize: allow}
	for _, m := range mod {
		m(&cfg)
	}
	h, err := inspect.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// response is what one request got.
type response struct {
	code   int
	header http.Header
	body   string
}

// get sends one request to h; accept, when set, is the Accept header.
func get(t testing.TB, h http.Handler, method, target, accept string) response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, err := io.ReadAll(w.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: w.Code, header: w.Header(), body: string(b)}
}

// users lists the ids of the seed's users.
func (f fixture) users() []ownership.UserID {
	var out []ownership.UserID
	for _, u := range f.seed.Users() {
		out = append(out, u.ID)
	}
	return out
}

// withFormat adds format=json to target.
func withFormat(target string) string {
	if strings.Contains(target, "?") {
		return target + "&format=json"
	}
	return target + "?format=json"
}
