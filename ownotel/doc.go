// Package ownotel reports ownership decisions and changes to OpenTelemetry
// traces, through the OpenTelemetry Go API.
//
// It is a module of its own, so that the ownership module and its ownhttp
// package depend on no tracing library: a host that traces plugs
// [AddDecision] into ownhttp.Guard.OnDecision and [Events] into
// ownership.Manager.Subscribers. Both add span events to the span of the
// context they are given and do nothing, without allocating, when that
// span is not recording.
//
// The attributes name the action, the record type, the reason and the
// verdict, never a user or a record id: traces often leave the
// application for a shared backend, and who did what to which record is
// the audit log's to keep (ownhttp's Guard.Logger and EventLog).
package ownotel
