package ownhttp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/ownershipkit/ownership"
)

// DefaultProblemBase is the start of a problem's type URI when
// [Guard.ProblemBase] is empty: the type of a problem is the base followed
// by its code, as in "https://ownershipkit.dev/problems/update_scope". The
// URI identifies the kind of problem and is stable; it need not resolve.
// Hosts that document their problems set ProblemBase to their own pages.
const DefaultProblemBase = "https://ownershipkit.dev/problems/"

// StatusClientClosedRequest is the status of a request whose client went
// away before the answer (its context was canceled). It is not an HTTP
// status a client will see; it is what logs and metrics count, as nginx
// does.
const StatusClientClosedRequest = 499

// ContentType is the media type of the problems this package writes.
const ContentType = "application/problem+json"

// Problem is an end-user problem response in the form of RFC 9457. Its
// Detail is the sentence for the subject ([ownership.Decision.ForSubject]
// for a denial), never an error's text.
type Problem struct {
	// Type is the problem type's URI: the Guard's ProblemBase and Reason.
	Type string `json:"type"`
	// Title is a short summary of the problem type.
	Title string `json:"title"`
	// Status is the HTTP status.
	Status int `json:"status"`
	// Detail is the explanation for the end user.
	Detail string `json:"detail"`
	// Reason is the problem's code: an [ownership.Reason] code
	// ("update_scope", "not_found") for a denial, or one of "conflict",
	// "ambiguous", "invalid", "propagation", "canceled", "timeout" and
	// "internal" for the other errors.
	Reason string `json:"reason"`
}

// The codes of problems that are not denials.
const (
	codeConflict    = "conflict"
	codeAmbiguous   = "ambiguous"
	codeInvalid     = "invalid"
	codePropagation = "propagation"
	codeCanceled    = "canceled"
	codeTimeout     = "timeout"
	codeInternal    = "internal"
)

// titles holds the title of each problem code. A title names the kind of
// problem, so it never changes from one occurrence to the next.
var titles = map[string]string{
	"unknown_action":         "Unknown action",
	"no_subject":             "Not signed in",
	"unknown_subject":        "Unknown account",
	"not_found":              "Not found",
	"invalid_field":          "No field named",
	"no_roles":               "No role",
	"unknown_role":           "Roles not set up",
	"no_grant":               "No access to this kind of record",
	"view_scope":             "Not allowed to view",
	"update_scope":           "Not allowed to update",
	"delete_scope":           "Not allowed to delete",
	"follower_read_only":     "Followers may only view",
	"field_scope":            "Not allowed for this field",
	"already_assigned":       "Already assigned",
	"no_claim_permission":    "Not allowed to claim",
	"no_reassign_permission": "Not allowed to reassign",
	"reassign_out_of_scope":  "Not allowed to reassign this record",
	"not_owner":              "Owners only",
	"synced":                 "Owners come from another record",
	"target_cannot_view":     "The person picked could not see it",
	"unknown_target":         "Unknown person",
	"inactive_target":        "Inactive person",
	"undeclared_field":       "Unknown field",
	"invalid_mode":           "Record needs repair",
	"other_tenant":           "Not found",
	"not_queue_member":       "Not a member of its queue",
	codeConflict:             "Changed at the same time",
	codeAmbiguous:            "Names several people",
	codeInvalid:              "Malformed request",
	codePropagation:          "Saved; related records still updating",
	codeCanceled:             "Request canceled",
	codeTimeout:              "Timed out",
	codeInternal:             "Internal error",
}

// The details of problems that are not denials: fixed sentences, so that
// no error text reaches an end user.
const (
	detailConflict    = "Someone else changed this at the same time; try again."
	detailAmbiguous   = "A value given here matches several people; ask an administrator."
	detailInvalid     = "The request is malformed."
	detailPropagation = "The change is saved; the records that belong to this one are still being updated."
	detailCanceled    = "The request was canceled."
	detailTimeout     = "This took too long; try again later."
	detailInternal    = "Something went wrong on our side; try again later."
)

// Status returns the HTTP status for err, following the table in the
// package documentation: 403 for a denial, 404 for a view denial or a
// missing record, and so on; 500 for an error it does not know (and for a
// nil error, which no caller should write).
//
// Status sees only the error, so it cannot know whether the subject may
// view the record a denial is about: a denial of an update on a record the
// subject may not see is 403 here, where [ProblemFor] and [WriteError]
// answer 404. Use those to answer end users.
func Status(err error) int {
	var g Guard
	return g.problem(err, false, ownership.Ref{}).Status
}

// ProblemFor returns the problem that answers err to the end user of
// request r: [Status]'s mapping, with the denials about records the
// subject was not found to be allowed to view answered as not found (see
// the package documentation), under the type URIs of the request's
// [Guard]. Without the middleware, every denial about a record is
// answered as not found. A 401 problem also needs the Guard's Challenge
// header, which [WriteError] adds.
func ProblemFor(r *http.Request, err error) Problem {
	st := stateOf(r.Context())
	return guardOf(st).problemOf(st, err)
}

// WriteError answers err to the end user of request r with the problem of
// [ProblemFor], and logs it to the request's [Guard.Logger]: a denial
// with the administrator's explanation, any other error with its text. It
// works without the middleware, closed: every denial about a record is
// then a 404 and nothing is logged.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r.Context())
	guardOf(st).writeError(w, r, st, err)
}

// guardOf returns the Guard of a request's state, or a zero Guard (closed
// defaults, no log) without one.
func guardOf(st *state) *Guard {
	if st == nil || st.guard == nil {
		return &Guard{}
	}
	return st.guard
}

// problemOf is the problem for err in a request with state st (nil
// without the middleware).
func (g *Guard) problemOf(st *state, err error) Problem {
	var viewed ownership.Ref
	if st != nil {
		viewed = st.viewed
	}
	return g.problem(err, true, viewed)
}

// problem maps err to a problem. With hideUnviewed, a denial about any
// record but viewed is answered as not found.
func (g *Guard) problem(err error, hideUnviewed bool, viewed ownership.Ref) Problem {
	if d, ok := ownership.DenialOf(err); ok && !errors.Is(err, ownership.ErrPropagation) {
		return g.denialProblem(d, hideUnviewed, viewed)
	}
	switch {
	case err == nil:
		return g.fixed(http.StatusInternalServerError, codeInternal, detailInternal)
	case errors.Is(err, ownership.ErrPropagation):
		// Checked first: the change is committed, whatever stopped its
		// children from following.
		return g.fixed(http.StatusAccepted, codePropagation, detailPropagation)
	case errors.Is(err, context.Canceled):
		return g.fixed(StatusClientClosedRequest, codeCanceled, detailCanceled)
	case errors.Is(err, context.DeadlineExceeded):
		return g.fixed(http.StatusServiceUnavailable, codeTimeout, detailTimeout)
	case errors.Is(err, ownership.ErrNotFound):
		return g.notFound(ownership.Ref{})
	case errors.Is(err, ownership.ErrSynced):
		return g.reasonProblem(http.StatusConflict, ownership.Decision{Reason: ownership.ReasonSynced})
	case errors.Is(err, ownership.ErrConflict):
		return g.fixed(http.StatusConflict, codeConflict, detailConflict)
	case errors.Is(err, ownership.ErrAmbiguous):
		return g.fixed(http.StatusConflict, codeAmbiguous, detailAmbiguous)
	case errors.Is(err, ownership.ErrInvalid):
		return g.fixed(http.StatusBadRequest, codeInvalid, detailInvalid)
	}
	return g.fixed(http.StatusInternalServerError, codeInternal, detailInternal)
}

// denialProblem answers a denial.
func (g *Guard) denialProblem(d ownership.Decision, hideUnviewed bool, viewed ownership.Ref) Problem {
	switch d.Reason {
	case ownership.ReasonNoSubject, ownership.ReasonUnknownSubject:
		// About the subject, decided before any record is read.
		return g.reasonProblem(g.unauthenticatedStatus(), d)
	case ownership.ReasonNotFound, ownership.ReasonOtherTenant:
		// Another tenant's record is always a missing one: whether it
		// exists is the other tenant's business.
		return g.notFound(d.Record)
	}
	hide := g.ViewDenied != http.StatusForbidden
	if d.Action == ownership.View && d.Field == "" && !d.Record.IsZero() {
		if hide {
			return g.notFound(d.Record)
		}
		return g.reasonProblem(http.StatusForbidden, d)
	}
	if hide && hideUnviewed && !d.Record.IsZero() && d.Record != viewed {
		return g.notFound(d.Record)
	}
	return g.reasonProblem(denialStatus(d.Reason), d)
}

// denialStatus is the status of a denial the subject may learn about.
func denialStatus(r ownership.Reason) int {
	switch r {
	case ownership.ReasonAlreadyAssigned, ownership.ReasonSynced:
		return http.StatusConflict
	case ownership.ReasonUnknownTarget, ownership.ReasonInactiveTarget,
		ownership.ReasonUndeclaredField, ownership.ReasonInvalidField,
		ownership.ReasonUnknownAction:
		return http.StatusUnprocessableEntity
	}
	return http.StatusForbidden
}

// unauthenticatedStatus is 401 unless the Guard asks for 403.
func (g *Guard) unauthenticatedStatus() int {
	if g.Unauthenticated == http.StatusForbidden {
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// notFound is the answer for a missing record of ref's type, and for
// every record hidden as missing: it depends on the record's type alone,
// so that the two cannot be told apart.
func (g *Guard) notFound(ref ownership.Ref) Problem {
	d := ownership.Decision{Reason: ownership.ReasonNotFound, Record: ownership.Ref{Type: ref.Type}}
	return g.reasonProblem(http.StatusNotFound, d)
}

// reasonProblem is the problem for a denial with status.
func (g *Guard) reasonProblem(status int, d ownership.Decision) Problem {
	code := d.Reason.String()
	return Problem{Type: g.base() + code, Title: titles[code], Status: status, Detail: d.ForSubject(), Reason: code}
}

// fixed is the problem for an error that is not a denial.
func (g *Guard) fixed(status int, code, detail string) Problem {
	return Problem{Type: g.base() + code, Title: titles[code], Status: status, Detail: detail, Reason: code}
}

func (g *Guard) base() string {
	if g.ProblemBase == "" {
		return DefaultProblemBase
	}
	return g.ProblemBase
}

// writeError answers err and logs it.
func (g *Guard) writeError(w http.ResponseWriter, r *http.Request, st *state, err error) {
	p := g.problemOf(st, err)
	if d, ok := ownership.DenialOf(err); ok && p.Reason != codePropagation {
		g.observe(r.Context(), d)
		g.logDenial(r, d, p.Status, nil)
	} else {
		g.logError(r, st, p.Status, err)
	}
	g.write(w, p)
}

// write sends p, with the Guard's challenge on a 401.
func (g *Guard) write(w http.ResponseWriter, p Problem) {
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: strings and an int
		body = []byte(`{"status":500}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	if p.Status == http.StatusUnauthorized && g.Challenge != "" {
		h.Set("WWW-Authenticate", g.Challenge)
	}
	w.WriteHeader(p.Status)
	w.Write(body)
}
