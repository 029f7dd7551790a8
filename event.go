package ownership

import (
	"context"
	"strconv"
	"time"

	"github.com/ownershipkit/ownership/internal/enum"
)

// EventKind names the operation that changed a record's ownership.
type EventKind uint8

// The event kinds.
const (
	EventCreated EventKind = iota + 1
	EventClaimed
	EventReassigned
	EventOwnerAdded
	EventFollowerAdded
	EventRemoved
	EventOwnershipSet
	EventTransferred
	EventSynced
	EventModeChanged
	EventDetailsSynced
	// EventQueued: the record was put in a queue ([Manager.Enqueue]).
	EventQueued
	eventKindEnd
)

var eventKindNames = enum.New[EventKind]("EventKind", "event kind", "", "created", "claimed", "reassigned", "owner_added", "follower_added",
	"removed", "ownership_set", "transferred", "synced", "mode_changed", "details_synced", "queued")

// String returns the kind's name, such as "claimed", or "EventKind(n)".
func (k EventKind) String() string { return eventKindNames.String(k) }

// Valid reports whether k is one of the event kinds.
func (k EventKind) Valid() bool { return eventKindNames.Valid(k) }

// ParseEventKind parses an event kind's name, such as "claimed".
func ParseEventKind(s string) (EventKind, error) { return eventKindNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the EventKinds is an error rather than a string that would not parse.
func (k EventKind) MarshalText() ([]byte, error) { return eventKindNames.MarshalText(k) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (k *EventKind) UnmarshalText(b []byte) error { return eventKindNames.UnmarshalText(k, b) }

// Event reports one committed change of a record: who did what, the
// ownership before and after, and when. Events are emitted after the write
// succeeded and never for a write that failed. For one record, Version
// orders its events.
type Event struct {
	Kind EventKind `json:"kind"`
	// By is the user who made the change; "" for a change made by the
	// system (propagation from a parent).
	By     UserID `json:"by,omitempty"`
	Record Ref    `json:"record"`
	Before List   `json:"before"`
	After  List   `json:"after"`
	// Mode is the record's mode after the change.
	Mode Mode `json:"mode"`
	// Version is the record's version after the change.
	Version uint64    `json:"version"`
	At      time.Time `json:"at"`
	// Assigned lists the users who are owners after the change and were
	// not before: the people to tell that a record was assigned to them.
	Assigned []UserID `json:"assigned,omitempty"`
	// Rule names the assignment rule that chose the owner of a new record,
	// or "".
	Rule string `json:"rule,omitempty"`
}

// ID returns the event's stable identity, "type/id@version": a record's
// versions are never reused, so two events with the same ID report the
// same change. Consumers that may receive an event twice (from a relay
// that delivers at least once) use it to act once.
func (e Event) ID() string {
	return e.Record.String() + "@" + strconv.FormatUint(e.Version, 10)
}

// EventStore is a [RecordStore] that keeps, with each write, the event
// that reports it, in the same transaction: a transactional outbox. When
// [Manager.Store] implements it, every change the Manager commits is
// written with its event, so that an event exists exactly when its change
// does (a crash between the two, or a rolled-back transaction, loses
// neither one without the other), and a relay of the store delivers them.
type EventStore interface {
	RecordStore
	// CompareAndSwapEvent is [RecordStore.CompareAndSwap] that also
	// stores e, which reports the write, in the same transaction. The
	// store sets e's Version to the version it gives the record (a record
	// created again continues the versions of a deleted one).
	CompareAndSwapEvent(ctx context.Context, r Record, e Event) (Record, error)
}

// Subscriber receives events. Calls come from the goroutine that made the
// change, after the write, one at a time per change, and never while the
// library holds a lock; a subscriber that is slow slows that caller.
type Subscriber interface {
	HandleEvent(ctx context.Context, e Event)
}

// SubscriberFunc adapts a function to [Subscriber].
type SubscriberFunc func(ctx context.Context, e Event)

// HandleEvent calls f(ctx, e). A nil f does nothing; a [Manager] refuses
// to run with one among its Subscribers.
func (f SubscriberFunc) HandleEvent(ctx context.Context, e Event) {
	if f != nil {
		f(ctx, e)
	}
}
