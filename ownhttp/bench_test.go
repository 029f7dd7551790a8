package ownhttp

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// oneStore is a Store of one record, answered without allocating and
// almost without work, so that what is measured is the Guard's and not
// the store's: a real store's read (a query) is the host's cost.
type oneStore struct{ rec ownership.Record }

func (s *oneStore) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	if ref != s.rec.Ref {
		return ownership.Record{}, ownership.ErrNotFound
	}
	return s.rec, nil
}

// nopWriter is a ResponseWriter that keeps nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

var okBody = []byte("ok\n")

// benchSetup is a served request for the benchmarks: rep1 viewing their
// contact, with the audit log configured but sampling off.
type benchSetup struct {
	bare, guarded, binding http.Handler
	check                  http.Handler // the Check alone
	g                      *Guard
	req                    *http.Request
	w                      *nopWriter
}

func newBenchSetup(tb testing.TB) *benchSetup {
	p := testPolicy(tb)
	store := &oneStore{rec: testRecords[0]} // contact/c1, rep1's
	bound := map[string]ownership.Subject{}
	literal := map[string]ownership.Subject{}
	for _, u := range testUsers {
		bound[string(u.ID)] = p.Bind(u.Subject())
		literal[string(u.ID)] = u.Subject()
	}
	resolver := func(subjects map[string]ownership.Subject) Resolver {
		return func(r *http.Request) (ownership.Subject, error) {
			s, ok := subjects[r.Header.Get("X-User")]
			if !ok {
				return ownership.Subject{}, ownership.ErrNotFound
			}
			return s, nil
		}
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := &Guard{Policy: p, Resolve: resolver(bound), Logger: logger}
	gBind := &Guard{Policy: p, Resolve: resolver(literal), Logger: logger}
	// The handler both variants run: it reads the path and answers.
	handle := func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "" {
			panic("no id")
		}
		w.WriteHeader(http.StatusOK)
		w.Write(okBody)
	}
	ref := PathRef("contact", "id")
	check := g.Check(ownership.View, store, ref, func(w http.ResponseWriter, r *http.Request, _ ownership.Record) { handle(w, r) })
	req := httptest.NewRequest("GET", "/contacts/c1", nil)
	req.SetPathValue("id", "c1")
	req.Header.Set("X-User", "rep1")
	return &benchSetup{
		bare:    http.HandlerFunc(handle),
		guarded: g.Middleware(check),
		binding: gBind.Middleware(gBind.Check(ownership.View, store, ref, func(w http.ResponseWriter, r *http.Request, _ ownership.Record) { handle(w, r) })),
		check:   check,
		g:       g,
		req:     req,
		w:       &nopWriter{h: http.Header{}},
	}
}

// TestAllocs measures what the middleware and a check allocate beyond the
// handler: one object per request (the request's state, which is its
// context and its copy) with a resolver that returns bound subjects, and
// nothing at all for the check.
func TestAllocs(t *testing.T) {
	s := newBenchSetup(t)
	bare := testing.AllocsPerRun(1000, func() { s.bare.ServeHTTP(s.w, s.req) })
	guarded := testing.AllocsPerRun(1000, func() { s.guarded.ServeHTTP(s.w, s.req) })
	binding := testing.AllocsPerRun(1000, func() { s.binding.ServeHTTP(s.w, s.req) })
	if guarded-bare != 1 {
		t.Errorf("middleware and check: %v allocations beyond the handler's %v, want 1", guarded-bare, bare)
	}
	t.Logf("per request: handler %v, with middleware and check %v, binding a fresh subject %v", bare, guarded, binding)

	// The check alone, behind a state made once.
	st := &state{Context: context.Background(), guard: s.g}
	st.subject, _ = s.g.Resolve(s.req)
	st.req = *s.req.WithContext(st)
	if n := testing.AllocsPerRun(1000, func() { s.check.ServeHTTP(s.w, &st.req) }); n != 0 {
		t.Errorf("Check: %v allocations, want 0", n)
	}
}

// BenchmarkBareHandler measures the handler alone, as the base for
// BenchmarkMiddlewareCheck.
func BenchmarkBareHandler(b *testing.B) {
	s := newBenchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.bare.ServeHTTP(s.w, s.req)
	}
}

// BenchmarkMiddlewareCheck measures the same handler behind the
// middleware (a resolver returning cached bound subjects, logging
// configured, sampling off) and a view check that reads the record. It
// also reports its difference with the bare handler, measured in the
// same run: overhead-ns/op and overhead-allocs/op.
func BenchmarkMiddlewareCheck(b *testing.B) {
	s := newBenchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.guarded.ServeHTTP(s.w, s.req)
	}
	b.StopTimer()
	reportOverhead(b, s.guarded, s)
}

// BenchmarkMiddlewareCheckBind is BenchmarkMiddlewareCheck with a resolver
// that returns a new Subject per request, which the middleware binds.
func BenchmarkMiddlewareCheckBind(b *testing.B) {
	s := newBenchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.binding.ServeHTTP(s.w, s.req)
	}
	b.StopTimer()
	reportOverhead(b, s.binding, s)
}

// reportOverhead reports the difference between the benchmark's time and
// allocations per op and the bare handler's, run as many times right
// after it, outside the benchmark's timer.
func reportOverhead(b *testing.B, h http.Handler, s *benchSetup) {
	if b.N == 0 {
		return
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	start := time.Now()
	for range b.N {
		s.bare.ServeHTTP(s.w, s.req)
	}
	bareNs := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns-bareNs, "overhead-ns/op")
	allocs := testing.AllocsPerRun(100, func() { h.ServeHTTP(s.w, s.req) })
	bare := testing.AllocsPerRun(100, func() { s.bare.ServeHTTP(s.w, s.req) })
	b.ReportMetric(allocs-bare, "overhead-allocs/op")
}

// BenchmarkMiddlewareCheckParallel measures the guarded handler served
// from many goroutines sharing one Guard, as a server does.
func BenchmarkMiddlewareCheckParallel(b *testing.B) {
	s := newBenchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &nopWriter{h: http.Header{}}
		for pb.Next() {
			s.guarded.ServeHTTP(w, s.req)
		}
	})
}

var sinkRequest *http.Request

// BenchmarkRequestWithContext measures net/http's Request.WithContext
// alone: the floor of any middleware that hands its handlers a value in
// the request's context, for comparison with BenchmarkMiddlewareCheck.
func BenchmarkRequestWithContext(b *testing.B) {
	s := newBenchSetup(b)
	ctx := context.WithValue(context.Background(), stateKey{}, s.g)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sinkRequest = s.req.WithContext(ctx)
	}
}
