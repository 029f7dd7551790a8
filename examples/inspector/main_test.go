package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSelfTest(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), "", "", true, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), " 0 failed") {
		t.Errorf("got %q, want a report of no failure", out.String())
	}
}

// testServer is the demo's server over this repository's seeds.
func testServer(t *testing.T) http.Handler {
	t.Helper()
	dir, err := findSeeds()
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestLoopbackOnly checks the demo's Authorize hook: loopback clients
// are let in, any other is refused on every page, the index included.
func TestLoopbackOnly(t *testing.T) {
	h := testServer(t)
	for _, c := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5000", 200},
		{"[::1]:5000", 200},
		{"[::ffff:127.0.0.1]:5000", 200},
		{"192.0.2.7:5000", 403},
		{"[2001:db8::1]:5000", 403},
		{"10.0.0.1:5000", 403},
		{"garbage", 403},
	} {
		for _, target := range []string{"/", "/crm/", "/crm/record?ref=contact/c3", "/journey/style.css", "/teams/record?ref=contact/g1"} {
			r := httptest.NewRequest("GET", target, nil)
			r.RemoteAddr = c.remote
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.want {
				t.Errorf("%s from %s: got %d, want %d", target, c.remote, w.Code, c.want)
			}
			if c.want == 403 && strings.Contains(w.Body.String(), "rep2") {
				t.Errorf("%s from %s: the refusal shows data", target, c.remote)
			}
		}
	}
}

// TestTeamsWithOrg: the teams seed is served with its organisation, so
// the record page names teammates and managers with what grants them
// access.
func TestTeamsWithOrg(t *testing.T) {
	h := testServer(t)
	r := httptest.NewRequest("GET", "/teams/record?ref=contact/c1&format=json", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var page struct {
		Actions []struct {
			Action  string `json:"action"`
			Allowed []struct {
				User  string `json:"user"`
				Basis string `json:"basis"`
			} `json:"allowed"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 {
		t.Fatalf("got %d %v:\n%s", w.Code, err, w.Body.String())
	}
	got := map[string]string{}
	for _, acc := range page.Actions {
		if acc.Action == "view" {
			for _, a := range acc.Allowed {
				got[a.User] = a.Basis
			}
		}
	}
	for user, basis := range map[string]string{"eli": "teammates", "olga": "teammates", "dan": "hierarchy", "vera": "hierarchy", "raj": "owner"} {
		if got[user] != basis {
			t.Errorf("%s may view contact/c1 through %q, want %q (all: %v)", user, got[user], basis, got)
		}
	}
	if _, ok := got["gia"]; ok {
		t.Error("gia, of another tenant, may view contact/c1")
	}
}
