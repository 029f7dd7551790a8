package ownhttp

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ownershipkit/ownership"
)

// The messages of the audit log, for hosts that route or count them.
const (
	// MsgDenied is the message of a denial.
	MsgDenied = "ownership denied"
	// MsgAllowed is the message of a sampled allowed check.
	MsgAllowed = "ownership allowed"
	// MsgError is the message of an error answered with a problem.
	MsgError = "ownership error"
	// MsgChanged is the message of a committed change of ownership
	// ([EventLog]).
	MsgChanged = "ownership changed"
)

// requestID returns the id of r for the log.
func (g *Guard) requestID(r *http.Request) string {
	if g.RequestID != nil {
		return g.RequestID(r)
	}
	return r.Header.Get("X-Request-Id")
}

// logDenial logs a denial at Warn: who, what, which record, the reason,
// the administrator's explanation and the status answered; err is the
// resolver's error for an unauthenticated request, or nil.
func (g *Guard) logDenial(r *http.Request, d ownership.Decision, status int, err error) {
	ctx := r.Context()
	if g.Logger == nil || !g.Logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	attrs := decisionAttrs(d, g.requestID(r))
	attrs = append(attrs, slog.Int("status", status))
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	g.Logger.LogAttrs(ctx, slog.LevelWarn, MsgDenied, attrs...)
}

// logAllowed logs an allowed check at Info.
func (g *Guard) logAllowed(r *http.Request, d ownership.Decision) {
	ctx := r.Context()
	if !g.Logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	g.Logger.LogAttrs(ctx, slog.LevelInfo, MsgAllowed, decisionAttrs(d, g.requestID(r))...)
}

// logError logs an error that was answered with a problem of status: at
// Error for a failure of the server, at Warn otherwise.
func (g *Guard) logError(r *http.Request, st *state, status int, err error) {
	ctx := r.Context()
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	if g.Logger == nil || !g.Logger.Enabled(ctx, level) {
		return
	}
	var user ownership.UserID
	if st != nil {
		user = st.subject.ID
	}
	text := "<nil>"
	if err != nil {
		text = err.Error()
	}
	g.Logger.LogAttrs(ctx, level, MsgError,
		slog.String("user", string(user)),
		slog.Int("status", status),
		slog.String("error", text),
		slog.String("request_id", g.requestID(r)))
}

// decisionAttrs are the attributes of a decision in the audit log.
func decisionAttrs(d ownership.Decision, requestID string) []slog.Attr {
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("user", string(d.Subject)),
		slog.String("action", actionName(d.Action)),
		slog.String("record", d.Record.String()))
	if d.Field != "" {
		attrs = append(attrs, slog.String("field", d.Field))
	}
	attrs = append(attrs,
		slog.Bool("allowed", d.Allowed),
		slog.String("reason", d.Reason.String()),
		slog.String("explain", explain(d)),
		slog.String("request_id", requestID))
	return attrs
}

// actionName is the action's name, or "" for the zero Action of a
// request refused before any check.
func actionName(a ownership.Action) string {
	if a == 0 {
		return ""
	}
	return a.String()
}

// explain is the administrator's sentence for d. A request refused before
// any check has no action or record to explain.
func explain(d ownership.Decision) string {
	switch {
	case d.Action != 0:
		return d.Explain()
	case d.Reason == ownership.ReasonUnknownSubject && d.Subject != "":
		return "the request's user " + string(d.Subject) + " is not known; check the credentials or add the user"
	case d.Reason == ownership.ReasonUnknownSubject:
		return "the request's credentials name a user who is not known (see the error); check them or add the user"
	}
	return "the request names no user; it carries no valid credentials"
}

// EventLog is an [ownership.Subscriber] that writes every committed
// change of ownership to the audit log at Info, with the message
// [MsgChanged]: its kind, who made it, the record, the lists before and
// after, the new version and mode, the new owners, and the request id when
// the change was made with the context of a request that went through
// [Guard.Middleware].
//
// The zero EventLog logs to [slog.Default]. An EventLog is safe for
// concurrent use.
type EventLog struct {
	// Logger receives the records; nil means slog.Default().
	Logger *slog.Logger
}

// HandleEvent logs e.
func (l EventLog) HandleEvent(ctx context.Context, e ownership.Event) {
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	if !lg.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("kind", e.Kind.String()),
		slog.String("by", string(e.By)),
		slog.String("record", e.Record.String()),
		slog.String("before", e.Before.String()),
		slog.String("after", e.After.String()),
		slog.Uint64("version", e.Version),
		slog.String("mode", e.Mode.String()))
	if len(e.Assigned) > 0 {
		ids := make([]string, len(e.Assigned))
		for i, u := range e.Assigned {
			ids[i] = string(u)
		}
		attrs = append(attrs, slog.String("assigned", strings.Join(ids, " ")))
	}
	if e.Rule != "" {
		attrs = append(attrs, slog.String("rule", e.Rule))
	}
	if st := stateOf(ctx); st != nil {
		attrs = append(attrs, slog.String("request_id", guardOf(st).requestID(&st.req)))
	}
	lg.LogAttrs(ctx, slog.LevelInfo, MsgChanged, attrs...)
}
