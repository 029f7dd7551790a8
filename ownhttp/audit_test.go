package ownhttp

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ownershipkit/ownership"
)

// TestAuditDenial checks that a hidden denial is logged with the
// administrator's explanation, while the end user got a 404.
func TestAuditDenial(t *testing.T) {
	f := newFixture(t, nil)
	f.do("PUT", "/contacts/c3", "rep1")
	got := f.logBuf.String()
	for _, want := range []string{
		`level=WARN msg="ownership denied" user=rep1 action=view record=contact/c3 allowed=false reason=view_scope`,
		`explain="rep1 cannot view contact/c3: it is owned by rep2`,
		`request_id=req-1 status=404`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
}

func TestAuditUnauthenticated(t *testing.T) {
	f := newFixture(t, nil)
	f.do("GET", "/contacts/c1", "nobody")
	got := f.logBuf.String()
	for _, want := range []string{`reason=unknown_subject`, `explain="the request's credentials name a user who is not known`, `status=401`, `error="ownership: not found: user \"nobody\""`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
}

func TestAuditError(t *testing.T) {
	f := newFixture(t, func(g *Guard) { g.RequestID = func(*http.Request) string { return "trace-7" } })
	f.injected = errDisk
	w := f.do("GET", "/err/c1", "rep1")
	if strings.Contains(w.Body.String(), "disk") {
		t.Errorf("body leaks the error: %s", w.Body)
	}
	want := `level=ERROR msg="ownership error" user=rep1 status=500 error="disk on fire at /var/lib/crm/contacts.db" request_id=trace-7`
	if got := f.logBuf.String(); !strings.Contains(got, want) {
		t.Errorf("log lacks %q:\n%s", want, got)
	}
}

// TestSampling checks that allowed checks are logged at the sampled rate,
// with the injected source deciding.
func TestSampling(t *testing.T) {
	draws := []float64{0.1, 0.9, 0.4, 0.6}
	f := newFixture(t, func(g *Guard) {
		g.SampleAllowed = 0.5
		g.Rand = func() float64 { v := draws[0]; draws = draws[1:]; return v }
	})
	for range 4 {
		f.do("GET", "/contacts/c1", "rep1")
	}
	if n := strings.Count(f.logBuf.String(), MsgAllowed); n != 2 {
		t.Errorf("logged %d allowed checks of 4, want 2:\n%s", n, f.logBuf)
	}
	if len(draws) != 0 {
		t.Errorf("%d draws left, want 0", len(draws))
	}

	// Rate 0 never draws; rate 1 logs all without drawing.
	for _, rate := range []float64{0, 1} {
		f := newFixture(t, func(g *Guard) {
			g.SampleAllowed = rate
			g.Rand = func() float64 { t.Fatal("drew at rate", rate); return 0 }
		})
		for range 3 {
			f.do("GET", "/contacts/c1", "rep1")
		}
		if n, want := strings.Count(f.logBuf.String(), MsgAllowed), int(rate*3); n != want {
			t.Errorf("rate %v: logged %d, want %d", rate, n, want)
		}
	}
}

// TestEventLog checks that every committed change is logged with the id
// of the request that made it, and a refused one is not.
func TestEventLog(t *testing.T) {
	f := newFixture(t, nil)
	f.do("POST", "/contacts/c2/claim", "rep1")
	want := `level=INFO msg="ownership changed" kind=claimed by=rep1 record=contact/c2 before=[] after=[rep1:owner] version=2 mode=independent assigned=rep1 request_id=req-1`
	if got := f.logBuf.String(); !strings.Contains(got, want) {
		t.Errorf("log lacks %q:\n%s", want, got)
	}
	f.logBuf.Reset()
	f.do("POST", "/contacts/c2/claim", "rep2")
	if strings.Contains(f.logBuf.String(), MsgChanged) {
		t.Errorf("a refused claim was logged as a change:\n%s", f.logBuf)
	}

	// The zero EventLog writes to slog.Default.
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	EventLog{}.HandleEvent(context.Background(), ownership.Event{Kind: ownership.EventReassigned, By: "mgr1", Record: ownership.MustRef("contact/c3"), Version: 3})
	if !strings.Contains(buf.String(), "kind=reassigned by=mgr1 record=contact/c3") || strings.Contains(buf.String(), "request_id") {
		t.Errorf("zero EventLog: got %q", buf.String())
	}
}

// TestOnDecision checks that every decision the Guard answers reaches the
// hook, allowed or not.
func TestOnDecision(t *testing.T) {
	var got []string
	f := newFixture(t, func(g *Guard) {
		g.OnDecision = func(ctx context.Context, d ownership.Decision) {
			if _, ok := SubjectFrom(ctx); !ok && d.Reason != ownership.ReasonUnknownSubject {
				t.Error("OnDecision without the request's context")
			}
			got = append(got, d.Action.String()+" "+d.Reason.String())
		}
	})
	f.do("GET", "/contacts/c1", "rep1")
	f.do("PUT", "/contacts/c2", "rep1")
	f.do("GET", "/contacts/c3", "rep1")
	f.do("POST", "/contacts/c3/claim-unchecked", "rep1")
	want := []string{"view in_scope", "update update_scope", "view view_scope", "claim already_assigned"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestConcurrentRequests serves many users at once through one Guard,
// with sampling and the event log on, for the race detector.
func TestConcurrentRequests(t *testing.T) {
	var mu sync.Mutex
	src := rand.New(rand.NewPCG(1, 2))
	f := newFixture(t, func(g *Guard) {
		g.SampleAllowed = 0.5
		g.Rand = func() float64 { mu.Lock(); defer mu.Unlock(); return src.Float64() }
	})
	type req struct {
		method, target, user string
		status               int
	}
	reqs := []req{
		{"GET", "/contacts/c1", "rep1", 200},
		{"GET", "/contacts/c3", "rep1", 404},
		{"GET", "/contacts/c3", "rep2", 200},
		{"PUT", "/contacts/c4", "rep1", 403},
		{"GET", "/contacts/c1", "", 401},
		{"GET", "/contacts/c3", "mgr1", 200},
		{"GET", "/contacts", "rep2", 200},
		{"PUT", "/contracts/k1/fields/amount", "am1", 403},
		{"POST", "/contacts/c1/claim", "rep1", 409},
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				c := reqs[(g+i)%len(reqs)]
				r := httptest.NewRequest(c.method, c.target, nil)
				if c.user != "" {
					r.Header.Set("X-User", c.user)
				}
				w := httptest.NewRecorder()
				f.h.ServeHTTP(w, r)
				if w.Code != c.status {
					t.Errorf("%s %s as %q: got %d, want %d", c.method, c.target, c.user, w.Code, c.status)
				}
			}
		}()
	}
	// Claims race against each other: one wins, the others are told it
	// is already assigned.
	var claims sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		claims.Add(1)
		go func() {
			defer claims.Done()
			statuses[i] = f.do("POST", "/contacts/c2/claim", []string{"rep1", "rep2"}[i%2]).Code
		}()
	}
	wg.Wait()
	claims.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case 200:
			won++
		case 409, 404: // the loser may no longer see it, if the other rep won
		default:
			t.Errorf("claim: got %d", s)
		}
	}
	if won != 1 {
		t.Errorf("%d claims won, want 1: %v", won, statuses)
	}
}
