package ownhttp

import (
	"context"
	"errors"
	"net/http"

	"github.com/ownershipkit/ownership"
)

// Store reads the record a request is about. [ownership.RecordStore], the
// memstore and the sqlstore satisfy it.
type Store interface {
	// Get returns the record named by ref, or an error wrapping
	// [ownership.ErrNotFound].
	Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error)
}

// RefFunc returns the reference of the record request r is about. An
// invalid reference (an empty id) is answered as a missing record; an
// error is answered as [WriteError] answers it (ErrInvalid: 400).
type RefFunc func(r *http.Request) (ownership.Ref, error)

// PathRef returns a RefFunc for routes such as "GET /contacts/{id}": the
// record has type recordType and the id in the path wildcard name
// (r.PathValue(name)).
func PathRef(recordType, name string) RefFunc {
	return func(r *http.Request) (ownership.Ref, error) {
		return ownership.Ref{Type: recordType, ID: r.PathValue(name)}, nil
	}
}

// RecordHandler handles a request about a record that the policy allowed:
// rec is the record as the check read it.
type RecordHandler func(w http.ResponseWriter, r *http.Request, rec ownership.Record)

// Check returns a handler that checks before h acts: it reads the record
// named by ref from store, decides whether the request's subject may view
// it and perform a on it, and calls h with the record only when both are
// allowed. Otherwise it answers with a problem and logs the denial: a
// missing record and a record the subject may not view get the same 404
// (unless [Guard.ViewDenied] is 403).
//
// Check must run behind [Guard.Middleware]; reached without it, it
// answers 500 and calls nothing.
func (g *Guard) Check(a ownership.Action, store Store, ref RefFunc, h RecordHandler) http.Handler {
	return &checker{g: g, a: a, store: store, ref: ref, h: h}
}

// CheckField is [Guard.Check] for one field of the record: the field's
// rule must allow a too (see [ownership.Policy.DecideField]).
func (g *Guard) CheckField(a ownership.Action, field string, store Store, ref RefFunc, h RecordHandler) http.Handler {
	return &checker{g: g, a: a, field: field, checkField: true, store: store, ref: ref, h: h}
}

// checker is the handler of Check and CheckField.
type checker struct {
	g          *Guard
	a          ownership.Action
	field      string
	checkField bool // field was given, even if empty: an empty name is denied
	store      Store
	ref        RefFunc
	h          RecordHandler
}

// errUnwired is the error of a Check reached without the middleware.
var errUnwired = errors.New("ownhttp: Check reached without Guard.Middleware; wrap the routes in it")

// ServeHTTP implements [http.Handler].
func (c *checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := c.g
	st := stateOf(r.Context())
	if st == nil || st.subject.ID == "" {
		g.writeError(w, r, nil, errUnwired)
		return
	}
	if c.store == nil || c.ref == nil || c.h == nil {
		g.writeError(w, r, st, errors.New("ownhttp: Check needs a store, a RefFunc and a handler"))
		return
	}
	ref, err := c.ref(r)
	if err != nil {
		g.writeError(w, r, st, err)
		return
	}
	s := st.subject
	if !ref.Valid() {
		g.deny(w, r, st, ownership.Decision{Subject: s.ID, Action: c.a, Record: ref, Reason: ownership.ReasonNotFound})
		return
	}
	rec, err := c.store.Get(r.Context(), ref)
	if err != nil {
		if errors.Is(err, ownership.ErrNotFound) {
			g.deny(w, r, st, ownership.Decision{Subject: s.ID, Action: c.a, Record: ref, Reason: ownership.ReasonNotFound})
			return
		}
		g.writeError(w, r, st, err)
		return
	}
	p := g.Policy
	if !p.Can(s, ownership.View, rec) {
		g.deny(w, r, st, p.Decide(s, ownership.View, rec))
		return
	}
	st.viewed = rec.Ref
	var d ownership.Decision
	decided := false
	switch {
	case c.checkField:
		d, decided = p.DecideField(s, c.a, rec, c.field), true
	case c.a != ownership.View && !p.Can(s, c.a, rec):
		d, decided = p.Decide(s, c.a, rec), true
	}
	if decided && !d.Allowed {
		g.deny(w, r, st, d)
		return
	}
	if logIt := g.sampled(); logIt || g.OnDecision != nil {
		// Only now is the decision with its reason worth building.
		if !decided {
			d = p.Decide(s, c.a, rec)
		}
		g.observe(r.Context(), d)
		if logIt {
			g.logAllowed(r, d)
		}
	}
	c.h(w, r, rec)
}

// deny answers and logs a denial made by a check.
func (g *Guard) deny(w http.ResponseWriter, r *http.Request, st *state, d ownership.Decision) {
	g.observe(r.Context(), d)
	p := g.problemOf(st, d.Err())
	g.logDenial(r, d, p.Status, nil)
	g.write(w, p)
}
