package ownership

import (
	"context"
	"iter"
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

// Store is everything a complete storage backend offers.
type Store interface {
	RecordStore
	ChildLister
	UserRecords
	Directory
}
