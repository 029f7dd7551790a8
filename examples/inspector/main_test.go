package main

import (
	"bytes"
	"context"
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

// TestLoopbackOnly checks the demo's Authorize hook: loopback clients
// are let in, any other is refused on every page, the index included.
func TestLoopbackOnly(t *testing.T) {
	dir, err := findSeeds()
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
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
		for _, target := range []string{"/", "/crm/", "/crm/record?ref=contact/c3", "/journey/style.css"} {
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
