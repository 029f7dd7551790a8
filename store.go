package ownership

import (
	"context"
	"iter"
	"time"
)

// The storage interfaces a host implements so that the operations of
// [Manager] and the sync functions can read and change records. They are
// deliberately narrow: each operation asks for the smallest one it needs.
// The memstore package implements all of them in memory; sqlstore
// implements them on PostgreSQL and SQLite.
//
// Every method takes a context and returns ctx.Err() unwrapped when the
// context ends first.

// RecordStore reads and writes records by compare-and-swap.
type RecordStore interface {
	// Get returns the record named by ref, or an error wrapping
	// [ErrNotFound].
	Get(ctx context.Context, ref Ref) (Record, error)
	// CompareAndSwap stores r if the stored version of r.Ref equals
	// r.Version (0 means that no record r.Ref may exist yet: a create),
	// and returns the record as stored, with Version incremented. A stale
	// version, or a create of an existing record, fails with an error
	// wrapping [ErrConflict] and changes nothing.
	CompareAndSwap(ctx context.Context, r Record) (Record, error)
}

// ChildLister lists the records whose Parent is a given record, such as
// the documents of a contact.
type ChildLister interface {
	Children(ctx context.Context, parent Ref) iter.Seq2[Record, error]
}

// UserRecords answers questions about the records a user appears on.
type UserRecords interface {
	// RecordsOf lists the refs of the records on whose ownership list user
	// appears, as owner or follower.
	RecordsOf(ctx context.Context, user UserID) iter.Seq2[Ref, error]
	// CountOwned returns how many records of recordType ("" for all) user
	// owns, for workload balancing.
	CountOwned(ctx context.Context, user UserID, recordType string) (int, error)
}

// Directory looks users up.
type Directory interface {
	// User returns the user with the id, or an error wrapping ErrNotFound.
	User(ctx context.Context, id UserID) (User, error)
	// UserBy returns the user whose named field (as [User.Field] reads it)
	// equals value exactly: an error wrapping ErrNotFound when none does,
	// and one wrapping [ErrAmbiguous], naming the users, when several do.
	UserBy(ctx context.Context, field, value string) (User, error)
}

// BatchStore is implemented by stores that read and write many records in
// a few statements. [Manager.Transfer] uses it to move a leaver's records
// in batches instead of a read and a compare-and-swap per record.
type BatchStore interface {
	// GetMany returns the records that refs name, in refs' order; refs
	// that name no record are left out.
	GetMany(ctx context.Context, refs []Ref) ([]Record, error)
	// CompareAndSwapMany writes each record of rs on its version (none
	// may be a create), with the event of the same index in events when
	// the store keeps events, in one transaction, and returns the records
	// written, with their new versions. A record whose stored version
	// moved is not written and not returned; the others still are.
	CompareAndSwapMany(ctx context.Context, rs []Record, events []Event) ([]Record, error)
	// WithSyncedChildren returns those of refs that have a child synced
	// with them: the records a change must propagate from.
	WithSyncedChildren(ctx context.Context, refs []Ref) ([]Ref, error)
}

// DescendantSyncer is implemented by stores that bring the synced
// descendants of a record in line with its ownership in a few set-based
// statements per batch, instead of a read and a compare-and-swap per
// record. [Manager.Propagate] uses it for the default propagation
// ([FollowSynced], not a dry run), which follows every change.
type DescendantSyncer interface {
	// SyncDescendants gives the list of src, the record whose own list is
	// root's effective ownership (root itself when it is independent, else
	// its nearest independent ancestor, at the version read), to every
	// record synced with root: its synced children, their synced
	// children, and so on, stopping at independent records. Each record
	// is written by compare-and-swap on the version it was read at, in a
	// transaction that also finds src still at its version, with an event
	// (kind synced, at at) stored with it when the store keeps events. A
	// record that changed since it was read, or every record of a batch
	// whose src has moved on, is not written and is counted in Conflicts,
	// for the caller to run again with src read afresh: a propagation of
	// an older list never overwrites a newer one. Records that already
	// hold src's entries are not written.
	SyncDescendants(ctx context.Context, root Ref, src Record, at time.Time) (BulkSync, error)
}

// BulkSync is what one run of [DescendantSyncer.SyncDescendants] did.
type BulkSync struct {
	// Events report the records written, one each, level by level from
	// the root (the children of each record in ref order).
	Events []Event
	// Unchanged counts the records that already matched.
	Unchanged int
	// Conflicts counts the records that changed while the run read them
	// and were not written.
	Conflicts int
}

// Store is everything a complete storage backend offers.
type Store interface {
	RecordStore
	ChildLister
	UserRecords
	Directory
}
