package ownotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
	"github.com/ownershipkit/ownership/ownhttp"
	"github.com/ownershipkit/ownership/ownotel"
)

// recordingSpan keeps what is added to it.
type recordingSpan struct {
	noop.Span
	mu     sync.Mutex // guards events and attrs
	events []string
	attrs  []attribute.KeyValue
}

func (s *recordingSpan) IsRecording() bool { return true }

func (s *recordingSpan) AddEvent(name string, opts ...trace.EventOption) {
	cfg := trace.NewEventConfig(opts...)
	var b strings.Builder
	b.WriteString(name)
	for _, kv := range cfg.Attributes() {
		b.WriteString(" " + string(kv.Key) + "=" + kv.Value.Emit())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, b.String())
}

func (s *recordingSpan) SetAttributes(kv ...attribute.KeyValue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attrs = append(s.attrs, kv...)
}

func TestAddDecision(t *testing.T) {
	span := &recordingSpan{}
	ctx := trace.ContextWithSpan(context.Background(), span)
	ownotel.AddDecision(ctx, ownership.Decision{Allowed: true, Reason: ownership.ReasonInScope, Subject: "rep1",
		Action: ownership.View, Record: ownership.MustRef("contact/c1")})
	ownotel.AddDecision(ctx, ownership.Decision{Reason: ownership.ReasonFieldScope, Subject: "rep1",
		Action: ownership.Update, Record: ownership.MustRef("contract/k1"), Field: "amount", Owner: "rep2"})
	want := []string{
		"ownership.decision ownership.allowed=true ownership.reason=in_scope ownership.action=view ownership.record.type=contact",
		"ownership.decision ownership.allowed=false ownership.reason=field_scope ownership.action=update ownership.record.type=contract ownership.field=amount",
	}
	if strings.Join(span.events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\ngot  %q\nwant %q", span.events, want)
	}
	if len(span.attrs) != 2 || span.attrs[0] != ownotel.KeyAllowed.Bool(false) || span.attrs[1] != ownotel.KeyReason.String("field_scope") {
		t.Errorf("span attributes: got %v", span.attrs)
	}
	for _, e := range span.events {
		if strings.Contains(e, "rep1") || strings.Contains(e, "rep2") || strings.Contains(e, "k1") {
			t.Errorf("event names a user or record: %s", e)
		}
	}
}

// TestNotRecording checks that nothing is allocated for a span that does
// not record, or without a span.
func TestNotRecording(t *testing.T) {
	d := ownership.Decision{Reason: ownership.ReasonUpdateScope, Action: ownership.Update, Record: ownership.MustRef("contact/c1")}
	e := ownership.Event{Kind: ownership.EventClaimed, Record: ownership.MustRef("contact/c1"), Version: 2}
	for _, ctx := range []context.Context{
		context.Background(),
		trace.ContextWithSpan(context.Background(), noop.Span{}),
	} {
		if n := testing.AllocsPerRun(100, func() { ownotel.AddDecision(ctx, d); ownotel.Events{}.HandleEvent(ctx, e) }); n != 0 {
			t.Errorf("not recording: %v allocations, want 0", n)
		}
	}
}

// TestWithGuard plugs AddDecision and Events into a served CRM.
func TestWithGuard(t *testing.T) {
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
	})
	ctx := context.Background()
	store := memstore.New()
	store.PutUser(ctx, ownership.User{ID: "rep1", Roles: []string{"sales_rep"}})
	store.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef("contact/c2")})
	store.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef("contact/c3"),
		Ownership: ownership.MustList(ownership.Entry{UserID: "rep2", Role: ownership.Owner})})
	m := &ownership.Manager{Policy: p, Store: store, Users: store, Subscribers: []ownership.Subscriber{ownotel.Events{}}}
	g := &ownhttp.Guard{Policy: p, OnDecision: ownotel.AddDecision,
		Resolve: func(r *http.Request) (ownership.Subject, error) {
			u, err := store.User(r.Context(), ownership.UserID(r.Header.Get("X-User")))
			return u.Subject(), err
		}}
	mux := http.NewServeMux()
	mux.Handle("POST /contacts/{id}/claim", g.Check(ownership.Claim, store, ownhttp.PathRef("contact", "id"),
		func(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
			s, _ := ownhttp.SubjectFrom(r.Context())
			if _, err := m.Claim(r.Context(), s, rec.Ref); err != nil {
				ownhttp.WriteError(w, r, err)
			}
		}))
	h := g.Middleware(mux)
	for _, c := range []struct {
		target string
		want   []string
	}{
		{"/contacts/c2/claim", []string{
			"ownership.decision ownership.allowed=true ownership.reason=claimable ownership.action=claim ownership.record.type=contact",
			"ownership.change ownership.change=claimed ownership.record.type=contact ownership.record.version=2",
		}},
		{"/contacts/c3/claim", []string{
			"ownership.decision ownership.allowed=false ownership.reason=view_scope ownership.action=view ownership.record.type=contact",
		}},
	} {
		span := &recordingSpan{}
		r := httptest.NewRequestWithContext(trace.ContextWithSpan(ctx, span), "POST", c.target, nil)
		r.Header.Set("X-User", "rep1")
		h.ServeHTTP(httptest.NewRecorder(), r)
		if strings.Join(span.events, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: events:\ngot  %q\nwant %q", c.target, span.events, c.want)
		}
	}
}

// BenchmarkAddDecisionNotRecording measures the cost of tracing a
// decision when the request's span does not record.
func BenchmarkAddDecisionNotRecording(b *testing.B) {
	ctx := trace.ContextWithSpan(context.Background(), noop.Span{})
	d := ownership.Decision{Reason: ownership.ReasonUpdateScope, Action: ownership.Update, Record: ownership.MustRef("contact/c1")}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ownotel.AddDecision(ctx, d)
	}
}

// BenchmarkAddDecision measures tracing a decision on a recording span.
func BenchmarkAddDecision(b *testing.B) {
	ctx := trace.ContextWithSpan(context.Background(), &discardSpan{})
	d := ownership.Decision{Reason: ownership.ReasonUpdateScope, Action: ownership.Update, Record: ownership.MustRef("contact/c1")}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ownotel.AddDecision(ctx, d)
	}
}

// discardSpan records, and keeps nothing.
type discardSpan struct{ noop.Span }

func (*discardSpan) IsRecording() bool { return true }
