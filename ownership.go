package ownership

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"iter"
	"slices"

	"github.com/ownershipkit/ownership/internal/enum"
	"github.com/ownershipkit/ownership/internal/strictjson"
)

// UserID identifies a user of the host application. The empty UserID means
// "no user" and is never an owner or follower of anything.
type UserID string

// Role is a user's relationship to one record: [Owner] or [Follower].
// The zero Role is invalid; lists refuse it.
type Role uint8

const (
	// Follower may view the record but not change it through ownership.
	Follower Role = iota + 1
	// Owner may view, update and delete the record (as the policy's Own
	// class allows) and change its ownership.
	Owner
)

var roleNames = enum.New[Role]("Role", "role", "", "follower", "owner")

// String returns "owner", "follower", or "Role(n)" for an invalid role.
func (r Role) String() string { return roleNames.String(r) }

// Valid reports whether r is [Owner] or [Follower].
func (r Role) Valid() bool { return roleNames.Valid(r) }

// ParseRole parses "owner" or "follower".
func ParseRole(s string) (Role, error) { return roleNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the Roles is an error rather than a string that would not parse.
func (r Role) MarshalText() ([]byte, error) { return roleNames.MarshalText(r) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (r *Role) UnmarshalText(b []byte) error { return roleNames.UnmarshalText(r, b) }

// Entry is one user's place on a record's ownership list. Email and the
// names are the user's details, copied from the directory so that lists can
// be shown without a lookup; they never affect a decision.
//
// An entry may instead name a [Queue] that holds the record: Queue set,
// UserID empty and Role [Owner] (see [List.Queue]).
type Entry struct {
	UserID UserID `json:"user_id,omitempty"`
	// Queue is the queue that holds the record, for a queue's entry.
	Queue     QueueID `json:"queue,omitempty"`
	Role      Role    `json:"role"`
	Email     string  `json:"email,omitempty"`
	GivenName string  `json:"given_name,omitempty"`
	LastName  string  `json:"last_name,omitempty"`
}

// List is a record's ownership list: at most one entry per user, in a
// stable order (the order in which users first appeared). A List is
// immutable: [List.With] and [List.Without] return new lists and never
// modify the receiver, so a List may be shared between goroutines.
//
// The zero List is empty, which makes a record unassigned.
type List struct {
	d *listData // nil for the empty list; never modified after construction
}

// listData holds a normalised list. keys[i] is the hash of
// entries[i].UserID with its lowest bit replaced by "is an owner", so that
// a check scans one dense slice of integers (see keyOf). Short lists keep
// their keys inline, in the same allocation.
type listData struct {
	entries []Entry
	keys    []uint64
	first   int     // index of the first user owner, -1 if none
	queue   QueueID // the queue that holds the record, if any (then entries[0])
	inline  [4]uint64
}

// keyOf is the key of an entry: the id's hash with the owner bit.
func keyOf(e *Entry) uint64 {
	k := idHash(e.UserID) &^ 1
	if e.Role == Owner {
		k |= 1
	}
	return k
}

// sameUser reports whether key k may belong to the id whose idHash is h;
// the entry's id must still be compared.
func sameUser(k, h uint64) bool { return (k^h)&^1 == 0 }

// idSeed seeds the user-id hashes; they live only in memory.
var idSeed = maphash.MakeSeed()

func idHash(id UserID) uint64 { return maphash.String(idSeed, string(id)) }

// listOf wraps normalised entries, which it takes ownership of.
func listOf(entries []Entry) List {
	if len(entries) == 0 {
		return List{}
	}
	d := &listData{entries: entries, first: -1}
	if len(entries) <= len(d.inline) {
		d.keys = d.inline[:len(entries)]
	} else {
		d.keys = make([]uint64, len(entries))
	}
	for i := range entries {
		if entries[i].Queue != "" {
			d.queue = entries[i].Queue // never matches a user: see relate
			continue
		}
		d.keys[i] = keyOf(&entries[i])
		if d.first < 0 && entries[i].Role == Owner {
			d.first = i
		}
	}
	return List{d: d}
}

// items returns the entries, nil for the empty list. Callers must not
// modify them.
func (l List) items() []Entry {
	if l.d == nil {
		return nil
	}
	return l.d.entries
}

// NewList builds a normalised list from entries. A user that appears more
// than once gets one entry, at the position of their first appearance;
// if any of their entries says [Owner] they are an owner ("owner wins"), and
// details missing from the first entry are taken from later ones.
//
// A queue's entry ({Queue: q, Role: Owner}) puts the record in queue q: it
// comes first in the list, a list holds at most one, and a user owner
// takes the record out of its queue, so a list with a user owner drops
// its queue's entry (owner wins here too).
//
// An entry without a user id or with an invalid role, an entry with both a
// user and a queue, a queue's entry whose role is not owner, and two
// different queues are errors wrapping [ErrInvalid] that name the index.
func NewList(entries ...Entry) (List, error) {
	if len(entries) == 0 {
		return List{}, nil
	}
	out := make([]Entry, 0, len(entries))
	var queue Entry
	owned := false
	for i, e := range entries {
		path := fmt.Sprintf("ownership[%d]", i)
		if err := checkEntry(e, path); err != nil {
			return List{}, err
		}
		if e.Queue != "" {
			if queue.Queue != "" && queue.Queue != e.Queue {
				return List{}, fmt.Errorf("%w: %s.queue: the record is already in queue %s; a record is in one queue at most", ErrInvalid, path, queue.Queue)
			}
			queue = e
			continue
		}
		owned = owned || e.Role == Owner
		j := indexOf(out, e.UserID)
		if j < 0 {
			out = append(out, e)
			continue
		}
		out[j] = merge(out[j], e)
	}
	if queue.Queue != "" && !owned {
		out = slices.Insert(out, 0, Entry{Queue: queue.Queue, Role: Owner})
	}
	return listOf(slices.Clip(out)), nil
}

// checkEntry reports an entry without a user id or with an invalid role,
// and a malformed queue's entry; path names the entry in the message.
func checkEntry(e Entry, path string) error {
	if e.Queue != "" {
		switch {
		case e.UserID != "":
			return fmt.Errorf("%w: %s: an entry names a user or a queue, not both", ErrInvalid, path)
		case e.Role != Owner:
			return fmt.Errorf("%w: %s.role: a queue's entry has role owner, not %v", ErrInvalid, path, e.Role)
		case e.Email != "" || e.GivenName != "" || e.LastName != "":
			return fmt.Errorf("%w: %s: a queue's entry has no user details", ErrInvalid, path)
		}
		return nil
	}
	if e.UserID == "" {
		return fmt.Errorf("%w: %s.user_id: empty", ErrInvalid, path)
	}
	if !e.Role.Valid() {
		return fmt.Errorf("%w: %s.role: %v is not owner or follower", ErrInvalid, path, e.Role)
	}
	return nil
}

// MustList is like [NewList] but panics on invalid entries. It is meant for
// hard-coded lists in tests and examples.
func MustList(entries ...Entry) List {
	l, err := NewList(entries...)
	if err != nil {
		panic(err.Error() + " (MustList is for hard-coded lists; use NewList for data)")
	}
	return l
}

// merge folds a later entry b for the same user into a: owner wins, and
// details a lacks are taken from b.
func merge(a, b Entry) Entry {
	if b.Role == Owner {
		a.Role = Owner
	}
	if a.Email == "" {
		a.Email = b.Email
	}
	if a.GivenName == "" {
		a.GivenName = b.GivenName
	}
	if a.LastName == "" {
		a.LastName = b.LastName
	}
	return a
}

// indexOf returns the index of user id's entry, or -1; a queue's entry is
// no user's.
func indexOf(entries []Entry, id UserID) int {
	for i := range entries {
		if entries[i].UserID == id && entries[i].Queue == "" {
			return i
		}
	}
	return -1
}

// Len returns the number of entries.
func (l List) Len() int { return len(l.items()) }

// At returns the i-th entry. It panics if i is out of range, like a slice.
func (l List) At(i int) Entry { return l.items()[i] }

// All iterates over the entries in order.
func (l List) All() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for _, e := range l.items() {
			if !yield(e) {
				return
			}
		}
	}
}

// Entries returns a copy of the entries.
func (l List) Entries() []Entry { return slices.Clone(l.items()) }

// Owners returns the ids of the owners, in list order.
func (l List) Owners() []UserID { return l.ids(Owner) }

// Followers returns the ids of the followers, in list order.
func (l List) Followers() []UserID { return l.ids(Follower) }

func (l List) ids(r Role) []UserID {
	var out []UserID
	for _, e := range l.items() {
		if e.Role == r && e.Queue == "" {
			out = append(out, e.UserID)
		}
	}
	return out
}

// RoleOf returns the role of user id on the list, and false if the user is
// not on it.
func (l List) RoleOf(id UserID) (Role, bool) {
	if id == "" || l.d == nil {
		return 0, false
	}
	if i := l.d.find(id, idHash(id)); i >= 0 {
		return l.d.entries[i].Role, true
	}
	return 0, false
}

// IsOwner reports whether id is an owner.
func (l List) IsOwner(id UserID) bool {
	r, ok := l.RoleOf(id)
	return ok && r == Owner
}

// Unassigned reports whether the list has no owner: no user owner, and no
// queue holds it. A list with only followers is unassigned. A list held by
// a queue is not, although to the queue's members it counts as an
// unassigned record they may claim (see [Scope]).
func (l List) Unassigned() bool { return l.d == nil || (l.d.first < 0 && l.d.queue == "") }

// Queue returns the queue that holds the record, or "" when none does.
// A list held by a queue has no user owner.
func (l List) Queue() QueueID {
	if l.d == nil {
		return ""
	}
	return l.d.queue
}

// InQueue returns the list of a record put in queue q: its owners are
// removed (a queue holds records no user owns) and its followers kept.
// q must not be empty.
func (l List) InQueue(q QueueID) (List, error) {
	if q == "" {
		return l, fmt.Errorf("%w: empty queue", ErrInvalid)
	}
	out := []Entry{{Queue: q, Role: Owner}}
	for _, e := range l.items() {
		if e.Queue == "" && e.Role == Follower {
			out = append(out, e)
		}
	}
	return listOf(out), nil
}

// find returns the index of id, whose hash is h, or -1.
func (d *listData) find(id UserID, h uint64) int {
	for i, k := range d.keys {
		if sameUser(k, h) && d.entries[i].UserID == id {
			return i
		}
	}
	return -1
}

// FirstOwner returns the first user owner in list order, or "" if the
// list has none.
func (l List) FirstOwner() UserID {
	if l.d == nil || l.d.first < 0 {
		return ""
	}
	return l.d.entries[l.d.first].UserID
}

// With returns a list in which e is the entry of e.UserID: an existing entry
// of that user is replaced in place (so With can also demote an owner to a
// follower), otherwise e is appended. Details e leaves empty are kept from
// the existing entry.
//
// With takes user entries only (use [List.InQueue] for queues); a user
// owner takes the record out of its queue.
func (l List) With(e Entry) (List, error) {
	if e.UserID == "" || e.Queue != "" {
		return l, fmt.Errorf("%w: entry without user_id, or naming a queue", ErrInvalid)
	}
	if !e.Role.Valid() {
		return l, fmt.Errorf("%w: entry for %s: %v is not owner or follower", ErrInvalid, e.UserID, e.Role)
	}
	cur := l.items()
	if e.Role == Owner && l.Queue() != "" {
		cur = cur[1:] // the queue's entry comes first
	}
	i := indexOf(cur, e.UserID)
	if i < 0 {
		out := make([]Entry, len(cur), len(cur)+1)
		copy(out, cur)
		return listOf(append(out, e)), nil
	}
	out := slices.Clone(cur)
	old := out[i]
	out[i] = e
	if e.Email == "" && e.GivenName == "" && e.LastName == "" {
		out[i].Email, out[i].GivenName, out[i].LastName = old.Email, old.GivenName, old.LastName
	}
	return listOf(out), nil
}

// Without returns a list without user id's entry. The receiver is returned
// as it is when id is not on it.
func (l List) Without(id UserID) List {
	cur := l.items()
	i := indexOf(cur, id)
	if i < 0 {
		return l
	}
	out := make([]Entry, 0, len(cur)-1)
	out = append(out, cur[:i]...)
	return listOf(append(out, cur[i+1:]...))
}

// OwnersAdded returns the owners of l that are not owners of before, in
// list order: the users to tell that a record was assigned to them
// ([Event].Assigned).
func (l List) OwnersAdded(before List) []UserID {
	var out []UserID
	for _, e := range l.items() {
		if e.Role == Owner && e.Queue == "" && !before.IsOwner(e.UserID) {
			out = append(out, e.UserID)
		}
	}
	return out
}

// Equal reports whether l and m have the same entries, details included, in
// the same order.
func (l List) Equal(m List) bool { return slices.Equal(l.items(), m.items()) }

// SameAccess reports whether l and m give the same users the same roles,
// whatever the order and the details. Two lists that are SameAccess lead
// every decision to the same answer.
func (l List) SameAccess(m List) bool {
	if l.Len() != m.Len() || l.Queue() != m.Queue() {
		return false
	}
	for _, e := range l.items() {
		if e.Queue != "" {
			continue
		}
		r, ok := m.RoleOf(e.UserID)
		if !ok || r != e.Role {
			return false
		}
	}
	return true
}

// sameEntries reports whether l and m hold the same entries, details
// included, whatever their order: a change that only reorders a list
// changes nothing anyone can see.
func sameEntries(l, m List) bool {
	if l.Len() != m.Len() {
		return false
	}
	if l.Queue() != m.Queue() {
		return false
	}
	for _, e := range l.items() {
		if e.Queue != "" {
			continue
		}
		i := indexOf(m.items(), e.UserID)
		if i < 0 || m.items()[i] != e {
			return false
		}
	}
	return true
}

// String formats the list as "[ann:owner bob:follower]", and a queue's
// entry as "queue=support".
func (l List) String() string {
	b := []byte{'['}
	for i, e := range l.items() {
		if i > 0 {
			b = append(b, ' ')
		}
		if e.Queue != "" {
			b = append(b, "queue="...)
			b = append(b, e.Queue...)
			continue
		}
		b = append(b, e.UserID...)
		b = append(b, ':')
		b = append(b, e.Role.String()...)
	}
	return string(append(b, ']'))
}

// MarshalJSON encodes the list as a JSON array of entries; the empty list
// is [].
func (l List) MarshalJSON() ([]byte, error) {
	if l.d == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(l.d.entries)
}

// UnmarshalJSON decodes a JSON array of entries and normalises it as
// [NewList] does. Unknown fields in an entry are an error, and so are
// arrays and objects nested more than 64 levels deep.
func (l *List) UnmarshalJSON(b []byte) error {
	var raw []Entry
	if err := strictjson.Decode(b, &raw); err != nil {
		return err
	}
	v, err := NewList(raw...)
	if err != nil {
		return err
	}
	*l = v
	return nil
}
