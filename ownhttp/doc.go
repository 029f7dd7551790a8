// Package ownhttp puts an ownership [ownership.Policy] in front of HTTP
// handlers, so that the safe integration is the short one.
//
// A [Guard] holds the policy and the host's choices. Its
// [Guard.Middleware] resolves the requesting user once per request
// through the host's [Resolver] (a header, a session, JWT claims), binds
// them to the policy, and makes them available to the handlers
// ([SubjectFrom]). A request without a known user is answered 401 (or 403)
// and never reaches the handler: there is no anonymous access.
//
// [Guard.Check] loads the record a request is about through the host's
// [Store], decides the action, and calls the handler with the record only
// when the policy allows it; otherwise it answers with a problem. [Filter]
// gives the subject's [ownership.Predicate] for list endpoints, whose
// [ownership.Cond] the SQL layer turns into a WHERE clause.
//
// # Two audiences
//
// End users get problem responses (RFC 9457, application/problem+json)
// whose detail is [ownership.Decision.ForSubject]: it never names another
// user or record. The administrator's sentence, [ownership.Decision.Explain],
// goes only to the audit log.
//
// A denial must not tell a user that a record they may not see exists. By
// default, a view denial is answered exactly as a missing record is: 404,
// with byte-identical headers and body. So is a denial of any other action
// on a record the subject may not view (else an update or a delete would
// probe for records): within a request, only a record that [Guard.Check]
// found viewable gets the denial's own answer (403, 409, 422); any other
// denial, and any denial written without the middleware, is answered as
// not found. [Guard.ViewDenied] set to 403 turns this hiding off. Response
// times may still differ between a missing and a hidden record (the store
// is read, the policy asked): hosts that must hide existence from timing
// too should pad their responses.
//
// # Errors and statuses
//
// [Status] maps the library's errors to HTTP statuses, [ProblemFor] builds
// the end-user problem for a request, and [WriteError] writes it; hosts
// with handlers of their own use them directly:
//
//	denial                                  403, or 404 (hidden, above)
//	denial already_assigned (ErrConflict)   409
//	denial synced, ErrSynced                409
//	denial unknown_target, inactive_target,
//	  undeclared_field, invalid_field,
//	  unknown_action                        422 (about the request's input)
//	denial no_subject, unknown_subject      401 (or 403, Guard.Unauthenticated)
//	ErrNotFound                             404
//	ErrConflict                             409
//	ErrAmbiguous                            409 (the directory's state, not the input)
//	ErrInvalid                              400
//	ErrPropagation                          202 (committed; children still follow)
//	context.Canceled                        499 (the client went away)
//	context.DeadlineExceeded                503
//	anything else                           500, with a generic detail
//
// No problem carries an error's text: it goes to the log.
//
// # Audit log
//
// With [Guard.Logger] set, every denial is logged (who, action, record,
// reason, the administrator's explanation, status, request id), allowed
// checks are sampled at [Guard.SampleAllowed], and errors are logged with
// their text. [EventLog] is an [ownership.Subscriber] that logs every
// committed change of ownership. [Guard.OnDecision] hands each decision to
// tracing (the ownotel module adds them to OpenTelemetry spans) without
// this package depending on it.
//
// # Cost
//
// With logging off and a resolver that returns subjects already bound
// (binding a bound subject is free, see [ownership.Policy.Bind]), the
// middleware allocates once per request: one object that is both the
// request's context and its shallow copy. A check allocates nothing.
package ownhttp
