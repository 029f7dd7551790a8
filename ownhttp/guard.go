package ownhttp

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"

	"github.com/ownershipkit/ownership"
)

// Resolver returns the user making request r, as the host knows them: from
// a header, a session or the claims of a token.
//
// It returns a Subject with an empty ID (and a nil error) when the request
// carries no credentials, and an error wrapping [ownership.ErrNotFound]
// when the credentials name a user the host does not know, or
// [ownership.ErrInvalid] when they are malformed: all three are answered
// as unauthenticated. Any other error is a failure of the host (a session
// store that is down) and is answered 500, or 499 or 503 for the request's
// context.
//
// A Resolver that returns subjects it has bound to the Guard's policy
// before (cached per user) saves the binding's allocations on every
// request.
type Resolver func(r *http.Request) (ownership.Subject, error)

// A Guard puts a policy in front of HTTP handlers: [Guard.Middleware]
// resolves and binds the requesting user, [Guard.Check] checks before a
// handler acts, and the problems it writes speak to the end user while
// its log speaks to the administrator.
//
// The zero Guard is usable and closed: it has no policy, so it denies
// every check, and no resolver, so every request is unauthenticated. A
// Guard is safe for concurrent use as long as its fields are not changed
// after first use.
type Guard struct {
	// Policy decides every check. A nil Policy denies everything.
	Policy *ownership.Policy
	// Resolve finds the requesting user. A nil Resolve answers every
	// request as unauthenticated.
	Resolve Resolver

	// Unauthenticated is the status for a request without a known user:
	// 401 (the default, also for 0 and any other value) or 403.
	Unauthenticated int
	// Challenge is the WWW-Authenticate header sent with a 401, such as
	// `Bearer realm="crm"`; "" sends none.
	Challenge string
	// ViewDenied is the status of a view denial on an existing record: 404
	// (the default, also for 0 and any other value), answered exactly as a
	// missing record, or 403, which also stops hiding the records the
	// subject may not view behind the denials of other actions.
	ViewDenied int
	// ProblemBase is the start of the type URI of every problem, which
	// ends with the problem's code ("update_scope"); "" means
	// [DefaultProblemBase].
	ProblemBase string

	// Logger receives the audit log: denials, sampled allowed checks and
	// errors. A nil Logger logs nothing.
	Logger *slog.Logger
	// SampleAllowed is the fraction of allowed checks that are logged,
	// from 0 (none, the default) to 1 (all).
	SampleAllowed float64
	// Rand returns a number in [0, 1) to sample allowed checks; nil means
	// math/rand/v2's Float64. Tests inject a fixed source. It is called
	// from the goroutines of concurrent requests, so it must be safe for
	// concurrent use.
	Rand func() float64
	// RequestID returns the id of a request for the log; nil reads the
	// X-Request-Id header.
	RequestID func(r *http.Request) string

	// OnDecision, when set, is called with every decision the Guard
	// checks or answers, from the request's goroutine and with the
	// request's context: for tracing, such as ownotel.AddDecision.
	OnDecision func(ctx context.Context, d ownership.Decision)
}

// stateKey is the context key of a request's state.
type stateKey struct{}

// state is what the middleware knows about one request. It is the
// request's context (it embeds the context it derives from and answers
// Value(stateKey{}) itself) and holds the shallow copy of the request
// handed to the next handler, so that the middleware allocates one object
// per request instead of three (a context value, the state and the
// request copy).
//
// It is written only by the request's goroutine: by the middleware
// before the next handler runs, and by Check before it calls its handler.
type state struct {
	context.Context
	req     http.Request
	guard   *Guard
	subject ownership.Subject
	// viewed is the last record that Check found the subject may view in
	// this request: only denials about it get their own answer.
	viewed ownership.Ref
}

// Value returns the state for stateKey and asks the parent context for
// any other key.
func (s *state) Value(key any) any {
	if key == (stateKey{}) {
		return s
	}
	return s.Context.Value(key)
}

// stateOf returns the state the middleware put in ctx, or nil.
func stateOf(ctx context.Context) *state {
	if ctx == nil {
		return nil
	}
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

// SubjectFrom returns the subject that [Guard.Middleware] resolved and
// bound for the request whose context is ctx (or a context derived from
// it). Without the middleware, or for a request it refused, it returns
// the zero Subject, which every policy denies, and false.
func SubjectFrom(ctx context.Context) (ownership.Subject, bool) {
	st := stateOf(ctx)
	if st == nil || st.subject.ID == "" {
		return ownership.Subject{}, false
	}
	return st.subject, true
}

// Middleware returns a handler that resolves the requesting user with
// [Guard.Resolve], binds them to [Guard.Policy] once, and calls next with
// a request whose context carries them ([SubjectFrom], [Guard.Check],
// [Filter], [WriteError]). A request without a known user is answered as
// unauthenticated and does not reach next; a resolver that fails is
// answered with an error problem.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	return &middleware{g: g, next: next}
}

// middleware is a named type rather than a closure: its ServeHTTP is
// compiled once, with Request.WithContext inlined so that the request's
// copy lives inside the state (see state).
type middleware struct {
	g    *Guard
	next http.Handler
}

// ServeHTTP implements [http.Handler].
func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := m.g
	st := &state{Context: r.Context(), guard: g}
	st.req = *r.WithContext(st)
	req := &st.req
	var s ownership.Subject
	err := errNoResolver
	if g.Resolve != nil {
		s, err = g.Resolve(req)
	}
	switch {
	case err == nil && s.ID != "":
		st.subject = g.Policy.Bind(s)
		m.next.ServeHTTP(w, req)
	case err == nil, err == errNoResolver, errors.Is(err, ownership.ErrNotFound), errors.Is(err, ownership.ErrInvalid):
		g.refuse(w, req, s.ID, err)
	default:
		g.writeError(w, req, st, err)
	}
}

// errNoResolver is what a Guard without a Resolve answers every request
// with: nobody is signed in.
var errNoResolver = errors.New("ownhttp: Guard.Resolve is nil")

// refuse answers a request whose user is missing or unknown.
func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, id ownership.UserID, err error) {
	reason := ownership.ReasonNoSubject
	if errors.Is(err, ownership.ErrNotFound) {
		reason = ownership.ReasonUnknownSubject
	}
	if d, ok := ownership.DenialOf(err); ok && (d.Reason == ownership.ReasonNoSubject || d.Reason == ownership.ReasonUnknownSubject) {
		reason = d.Reason
	}
	d := ownership.Decision{Subject: id, Reason: reason}
	g.observe(r.Context(), d)
	p := g.problemOf(nil, d.Err())
	g.logDenial(r, d, p.Status, err)
	g.write(w, p)
}

// sampled reports whether an allowed check is to be logged.
func (g *Guard) sampled() bool {
	if g.Logger == nil || g.SampleAllowed <= 0 {
		return false
	}
	if g.SampleAllowed >= 1 {
		return true
	}
	f := rand.Float64
	if g.Rand != nil {
		f = g.Rand
	}
	return f() < g.SampleAllowed
}

// observe hands d to OnDecision, if set.
func (g *Guard) observe(ctx context.Context, d ownership.Decision) {
	if g.OnDecision != nil {
		g.OnDecision(ctx, d)
	}
}
