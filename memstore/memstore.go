// Package memstore is the embedded default store of the ownership library:
// records and users in memory, safe for concurrent use, with versions
// enforced by compare-and-swap exactly as a database store does.
//
// It is meant for tests of consuming services, for small applications and
// for the examples. Every record handed in or out is a copy: changing it
// never changes the store.
package memstore

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/ownershipkit/ownership"
)

// Store holds records and users in memory. The zero Store is empty and
// ready to use. A Store is safe for concurrent use by any number of
// goroutines; it never calls back into the host while holding its lock.
type Store struct {
	mu       sync.RWMutex                                    // guards the maps below
	records  map[ownership.Ref]ownership.Record              // by ref; values are private copies
	children map[ownership.Ref]map[ownership.Ref]struct{}    // parent -> children
	byUser   map[ownership.UserID]map[ownership.Ref]struct{} // user -> records they appear on
	users    map[ownership.UserID]ownership.User             // by id
	// gone holds the last version of each deleted record, so that a record
	// created again continues from it: a writer still holding a version
	// of the deleted record cannot overwrite the new one.
	gone map[ownership.Ref]uint64
}

// New returns an empty store.
func New() *Store { return &Store{} }

var _ ownership.Store = (*Store)(nil)

// init allocates the maps; s.mu must be held for writing.
func (s *Store) init() {
	if s.records == nil {
		s.records = make(map[ownership.Ref]ownership.Record)
		s.children = make(map[ownership.Ref]map[ownership.Ref]struct{})
		s.byUser = make(map[ownership.UserID]map[ownership.Ref]struct{})
		s.users = make(map[ownership.UserID]ownership.User)
		s.gone = make(map[ownership.Ref]uint64)
	}
}

// clone copies the parts of r that are shared by reference. The List is
// immutable and needs no copy.
func clone(r ownership.Record) ownership.Record {
	r.Fields = maps.Clone(r.Fields)
	return r
}

// Get implements [ownership.RecordStore].
func (s *Store) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return ownership.Record{}, err
	}
	s.mu.RLock()
	r, ok := s.records[ref]
	s.mu.RUnlock()
	if !ok {
		return ownership.Record{}, fmt.Errorf("%w: record %s", ownership.ErrNotFound, ref)
	}
	return clone(r), nil
}

// CompareAndSwap implements [ownership.RecordStore]. An invalid reference
// or parent reference, or a Mode out of range, is an error wrapping
// [ownership.ErrInvalid].
func (s *Store) CompareAndSwap(ctx context.Context, r ownership.Record) (ownership.Record, error) {
	if err := ctx.Err(); err != nil {
		return ownership.Record{}, err
	}
	if !r.Ref.Valid() {
		return ownership.Record{}, fmt.Errorf("%w: record reference %q/%q", ownership.ErrInvalid, r.Ref.Type, r.Ref.ID)
	}
	if !r.Parent.IsZero() && !r.Parent.Valid() {
		return ownership.Record{}, fmt.Errorf("%w: parent reference of %s", ownership.ErrInvalid, r.Ref)
	}
	if r.Mode > ownership.SyncWithParent {
		return ownership.Record{}, fmt.Errorf("%w: %s: %v", ownership.ErrInvalid, r.Ref, r.Mode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	old, exists := s.records[r.Ref]
	switch {
	case !exists && r.Version != 0:
		return ownership.Record{}, fmt.Errorf("%w: record %s at version %d no longer exists", ownership.ErrConflict, r.Ref, r.Version)
	case exists && r.Version == 0:
		return ownership.Record{}, fmt.Errorf("%w: record %s already exists", ownership.ErrConflict, r.Ref)
	case exists && old.Version != r.Version:
		return ownership.Record{}, fmt.Errorf("%w: record %s is at version %d, not %d", ownership.ErrConflict, r.Ref, old.Version, r.Version)
	}
	stored := clone(r)
	stored.Version = r.Version + 1
	if !exists {
		stored.Version = s.gone[r.Ref] + 1
		delete(s.gone, r.Ref)
	}
	if exists {
		s.reindex(old, stored)
	} else {
		s.index(stored)
	}
	s.records[r.Ref] = stored
	return clone(stored), nil
}

// Delete removes a record; it is not an error if there is none. A record
// created again under the same ref continues the deleted one's versions.
func (s *Store) Delete(ctx context.Context, ref ownership.Ref) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.records[ref]; ok {
		s.unindex(old)
		delete(s.records, ref)
		s.gone[ref] = old.Version
	}
	return nil
}

// index adds r to the secondary indexes; s.mu must be held for writing.
func (s *Store) index(r ownership.Record) {
	if !r.Parent.IsZero() {
		addTo(s.children, r.Parent, r.Ref)
	}
	for e := range r.Ownership.All() {
		if e.Queue == "" { // a queue's entry is no user's
			addTo(s.byUser, e.UserID, r.Ref)
		}
	}
}

// reindex moves a record from old's index entries to r's, touching only
// what changed, so that rewriting a record keeps the index maps still;
// s.mu must be held for writing.
func (s *Store) reindex(old, r ownership.Record) {
	if old.Parent != r.Parent {
		if !old.Parent.IsZero() {
			removeFrom(s.children, old.Parent, r.Ref)
		}
		if !r.Parent.IsZero() {
			addTo(s.children, r.Parent, r.Ref)
		}
	}
	for e := range old.Ownership.All() {
		if _, still := r.Ownership.RoleOf(e.UserID); !still {
			removeFrom(s.byUser, e.UserID, r.Ref)
		}
	}
	for e := range r.Ownership.All() {
		if _, was := old.Ownership.RoleOf(e.UserID); !was && e.Queue == "" {
			addTo(s.byUser, e.UserID, r.Ref)
		}
	}
}

// unindex removes r from the secondary indexes; s.mu must be held for
// writing.
func (s *Store) unindex(r ownership.Record) {
	if !r.Parent.IsZero() {
		removeFrom(s.children, r.Parent, r.Ref)
	}
	for e := range r.Ownership.All() {
		removeFrom(s.byUser, e.UserID, r.Ref)
	}
}

func addTo[K comparable](m map[K]map[ownership.Ref]struct{}, k K, ref ownership.Ref) {
	set := m[k]
	if set == nil {
		set = make(map[ownership.Ref]struct{})
		m[k] = set
	}
	set[ref] = struct{}{}
}

func removeFrom[K comparable](m map[K]map[ownership.Ref]struct{}, k K, ref ownership.Ref) {
	if set := m[k]; set != nil {
		delete(set, ref)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// sortedRefs returns the refs of set in text order; s.mu must be held.
func sortedRefs(set map[ownership.Ref]struct{}) []ownership.Ref {
	refs := slices.Collect(maps.Keys(set))
	slices.SortFunc(refs, func(a, b ownership.Ref) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return refs
}

// Children implements [ownership.ChildLister]. It lists a snapshot taken
// when iteration starts, in ref order.
func (s *Store) Children(ctx context.Context, parent ownership.Ref) iter.Seq2[ownership.Record, error] {
	return func(yield func(ownership.Record, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(ownership.Record{}, err)
			return
		}
		s.mu.RLock()
		refs := sortedRefs(s.children[parent])
		recs := make([]ownership.Record, 0, len(refs))
		for _, ref := range refs {
			recs = append(recs, clone(s.records[ref]))
		}
		s.mu.RUnlock()
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				yield(ownership.Record{}, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// RecordsOf implements [ownership.UserRecords]. It lists a snapshot taken
// when iteration starts, in ref order.
func (s *Store) RecordsOf(ctx context.Context, user ownership.UserID) iter.Seq2[ownership.Ref, error] {
	return func(yield func(ownership.Ref, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(ownership.Ref{}, err)
			return
		}
		s.mu.RLock()
		refs := sortedRefs(s.byUser[user])
		s.mu.RUnlock()
		for _, ref := range refs {
			if err := ctx.Err(); err != nil {
				yield(ownership.Ref{}, err)
				return
			}
			if !yield(ref, nil) {
				return
			}
		}
	}
}

// CountOwned implements [ownership.UserRecords].
func (s *Store) CountOwned(ctx context.Context, user ownership.UserID, recordType string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for ref := range s.byUser[user] {
		if recordType != "" && ref.Type != recordType {
			continue
		}
		if s.records[ref].Ownership.IsOwner(user) {
			n++
		}
	}
	return n, nil
}

// All lists every record of recordType ("" for all types), in ref order,
// from a snapshot taken when iteration starts.
func (s *Store) All(ctx context.Context, recordType string) iter.Seq2[ownership.Record, error] {
	return func(yield func(ownership.Record, error) bool) {
		s.mu.RLock()
		set := make(map[ownership.Ref]struct{}, len(s.records))
		for ref := range s.records {
			if recordType == "" || ref.Type == recordType {
				set[ref] = struct{}{}
			}
		}
		refs := sortedRefs(set)
		recs := make([]ownership.Record, len(refs))
		for i, ref := range refs {
			recs[i] = clone(s.records[ref])
		}
		s.mu.RUnlock()
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				yield(ownership.Record{}, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// PutUser adds or replaces a user. A user needs an id.
func (s *Store) PutUser(ctx context.Context, u ownership.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.ID == "" {
		return fmt.Errorf("%w: user without id", ownership.ErrInvalid)
	}
	u = u.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.users[u.ID] = u
	return nil
}

// User implements [ownership.Directory].
func (s *Store) User(ctx context.Context, id ownership.UserID) (ownership.User, error) {
	if err := ctx.Err(); err != nil {
		return ownership.User{}, err
	}
	s.mu.RLock()
	u, ok := s.users[id]
	s.mu.RUnlock()
	if !ok {
		return ownership.User{}, fmt.Errorf("%w: user %q", ownership.ErrNotFound, id)
	}
	return u.Clone(), nil
}

// UserBy implements [ownership.Directory] with a scan of the users; it is
// meant for directories of thousands, not millions.
func (s *Store) UserBy(ctx context.Context, field, value string) (ownership.User, error) {
	if err := ctx.Err(); err != nil {
		return ownership.User{}, err
	}
	s.mu.RLock()
	var found []ownership.User
	for _, u := range s.users {
		if v, ok := u.Field(field); ok && v == value {
			found = append(found, u)
		}
	}
	s.mu.RUnlock()
	switch len(found) {
	case 0:
		return ownership.User{}, fmt.Errorf("%w: no user with %s %q", ownership.ErrNotFound, field, value)
	case 1:
		return found[0].Clone(), nil
	}
	ids := make([]string, len(found))
	for i, u := range found {
		ids[i] = string(u.ID)
	}
	slices.Sort(ids)
	return ownership.User{}, fmt.Errorf("%w: %s %q is shared by users %s", ownership.ErrAmbiguous, field, value, strings.Join(ids, ", "))
}

// Users lists every user, by id.
func (s *Store) Users(ctx context.Context) iter.Seq2[ownership.User, error] {
	return func(yield func(ownership.User, error) bool) {
		s.mu.RLock()
		us := slices.Collect(maps.Values(s.users))
		s.mu.RUnlock()
		slices.SortFunc(us, func(a, b ownership.User) int { return strings.Compare(string(a.ID), string(b.ID)) })
		for _, u := range us {
			if err := ctx.Err(); err != nil {
				yield(ownership.User{}, err)
				return
			}
			if !yield(u.Clone(), nil) {
				return
			}
		}
	}
}
