package ownotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/ownershipkit/ownership"
)

// The attribute keys of decisions and changes.
const (
	// KeyAllowed is whether the decision allowed the action.
	KeyAllowed = attribute.Key("ownership.allowed")
	// KeyReason is the decision's reason code, such as "update_scope".
	KeyReason = attribute.Key("ownership.reason")
	// KeyAction is the action decided, such as "update".
	KeyAction = attribute.Key("ownership.action")
	// KeyRecordType is the type of the record decided about or changed,
	// such as "contact".
	KeyRecordType = attribute.Key("ownership.record.type")
	// KeyField is the field decided about, for a field-level decision.
	KeyField = attribute.Key("ownership.field")
	// KeyChange is the kind of a committed change, such as "claimed".
	KeyChange = attribute.Key("ownership.change")
	// KeyVersion is the record's version after a change.
	KeyVersion = attribute.Key("ownership.record.version")
)

// The names of the span events.
const (
	// EventDecision is the event added for each decision.
	EventDecision = "ownership.decision"
	// EventChange is the event added for each committed change.
	EventChange = "ownership.change"
)

// Attributes returns the attributes of decision d: allowed, reason,
// action, record type and, for a field-level decision, the field.
func Attributes(d ownership.Decision) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs,
		KeyAllowed.Bool(d.Allowed),
		KeyReason.String(d.Reason.String()),
		KeyAction.String(d.Action.String()),
		KeyRecordType.String(d.Record.Type))
	if d.Field != "" {
		attrs = append(attrs, KeyField.String(d.Field))
	}
	return attrs
}

// AddDecision adds an [EventDecision] event with the [Attributes] of d to
// the span in ctx and, for a denial, sets the span's KeyAllowed to false
// and its KeyReason to the denial's reason, so that traces of refused
// requests can be found. It does nothing, and allocates nothing, when the
// span is not recording. Its signature is that of
// ownhttp.Guard.OnDecision.
func AddDecision(ctx context.Context, d ownership.Decision) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent(EventDecision, trace.WithAttributes(Attributes(d)...))
	if !d.Allowed {
		span.SetAttributes(KeyAllowed.Bool(false), KeyReason.String(d.Reason.String()))
	}
}

// Events is an [ownership.Subscriber] that adds an [EventChange] event to
// the span in the change's context for every committed change of
// ownership: its kind, the record type and the new version. It does
// nothing when the span is not recording. The zero Events is ready to
// use and safe for concurrent use.
type Events struct{}

// HandleEvent adds the event for e.
func (Events) HandleEvent(ctx context.Context, e ownership.Event) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent(EventChange, trace.WithAttributes(
		KeyChange.String(e.Kind.String()),
		KeyRecordType.String(e.Record.Type),
		KeyVersion.Int64(int64(e.Version))))
}
