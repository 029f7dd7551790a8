// Package storetest checks that a storage backend keeps the contract of
// [ownership.Store], the contract the in-memory reference store
// (memstore) defines by example:
//
//   - versions start at 1 on create and grow by one per write; a create of
//     an existing record, or a write at a stale version, fails with
//     [ownership.ErrConflict] and changes nothing;
//   - unknown records and users are [ownership.ErrNotFound]; malformed
//     references are [ownership.ErrInvalid];
//   - records and users handed in or out are copies;
//   - Children, RecordsOf and CountOwned follow every write, and listings
//     come in ref order (type, then id, compared as bytes);
//   - iterators stop when the loop stops and report a cancelled context;
//   - UserBy matches exactly and reports ambiguity naming the users;
//   - concurrent compare-and-swaps lose no update;
//   - a record's tenant and the queue that holds it (its list's first
//     entry) are kept; of many claims of one queued record, one wins;
//   - ids full of quotes, wildcards, comment markers, backslashes, slashes
//     and non-ASCII text are stored and found as they are.
//
// A backend's test calls [Run] with a function that opens a new, empty
// store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) ownership.Store { return memstore.New() })
//	}
package storetest

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ownershipkit/ownership"
)

// UserWriter adds or replaces a user in a store's directory. [Run] needs it
// to fill the directory; the directory checks are skipped for a store
// without it.
type UserWriter interface {
	PutUser(ctx context.Context, u ownership.User) error
}

// Deleter removes a record, and is not an error when there is none. When
// the store implements it, [Run] checks that a deletion leaves the indexes.
type Deleter interface {
	Delete(ctx context.Context, ref ownership.Ref) error
}

// Run runs the conformance checks as subtests of t. open is called once per
// subtest and must return a new, empty store; it may register cleanups on
// the *testing.T it is given.
func Run(t *testing.T, open func(t *testing.T) ownership.Store) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

// checks are the conformance checks, in the order Run runs them.
var checks = []struct {
	name string
	run  func(t *testing.T, s ownership.Store)
}{
	{"Empty", testEmpty},
	{"Versions", testVersions},
	{"Invalid", testInvalid},
	{"RoundTrip", testRoundTrip},
	{"TenantsAndQueues", testTenantsAndQueues},
	{"Copies", testCopies},
	{"Children", testChildren},
	{"RecordsOf", testRecordsOf},
	{"CountOwned", testCountOwned},
	{"RefOrder", testRefOrder},
	{"Delete", testDelete},
	{"EarlyStop", testEarlyStop},
	{"Cancelled", testCancelled},
	{"CancelledDuringIteration", testCancelledDuringIteration},
	{"Users", testUsers},
	{"UserBy", testUserBy},
	{"ConcurrentCompareAndSwap", testConcurrentCAS},
	{"ConcurrentCreate", testConcurrentCreate},
	{"DeleteRecreateRace", testDeleteRecreateRace},
	{"ClaimQueuedRace", testClaimQueuedRace},
	{"HostileIDs", testHostileIDs},
	{"HostileUsers", testHostileUsers},
}

// ctx is the context of every call that is not about cancellation.
var ctx = context.Background()

// recordCmp compares records by value: lists by their entries, and nil
// and empty field maps as equal.
var recordCmp = cmp.Options{
	cmp.Comparer(func(a, b ownership.List) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

func own(u string) ownership.Entry {
	return ownership.Entry{UserID: ownership.UserID(u), Role: ownership.Owner}
}

func follow(u string) ownership.Entry {
	return ownership.Entry{UserID: ownership.UserID(u), Role: ownership.Follower}
}

func ref(typ, id string) ownership.Ref { return ownership.Ref{Type: typ, ID: id} }

// put stores r and fails the test on error.
func put(t *testing.T, s ownership.Store, r ownership.Record) ownership.Record {
	t.Helper()
	out, err := s.CompareAndSwap(ctx, r)
	if err != nil {
		t.Fatalf("CompareAndSwap(%s at v%d): %v", r.Ref, r.Version, err)
	}
	return out
}

// get reads ref and fails the test on error.
func get(t *testing.T, s ownership.Store, ref ownership.Ref) ownership.Record {
	t.Helper()
	r, err := s.Get(ctx, ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	return r
}

// collect drains seq, failing the test on the first error.
func collect[T any](t *testing.T, what string, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out = append(out, v)
	}
	return out
}

func refStrings(refs []ownership.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.String()
	}
	return out
}

func recordRefs(recs []ownership.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Ref.String()
	}
	return out
}

func children(t *testing.T, s ownership.Store, parent ownership.Ref) []string {
	t.Helper()
	return recordRefs(collect(t, "Children("+parent.String()+")", s.Children(ctx, parent)))
}

func recordsOf(t *testing.T, s ownership.Store, u ownership.UserID) []string {
	t.Helper()
	return refStrings(collect(t, "RecordsOf("+string(u)+")", s.RecordsOf(ctx, u)))
}

func countOwned(t *testing.T, s ownership.Store, u ownership.UserID, typ string) int {
	t.Helper()
	n, err := s.CountOwned(ctx, u, typ)
	if err != nil {
		t.Fatalf("CountOwned(%q, %q): %v", u, typ, err)
	}
	return n
}

func userWriter(t *testing.T, s ownership.Store) UserWriter {
	t.Helper()
	w, ok := s.(UserWriter)
	if !ok {
		t.Skipf("%T does not implement storetest.UserWriter: directory checks skipped", s)
	}
	return w
}

func putUser(t *testing.T, w UserWriter, u ownership.User) {
	t.Helper()
	if err := w.PutUser(ctx, u); err != nil {
		t.Fatalf("PutUser(%q): %v", u.ID, err)
	}
}

// wantErr fails the test unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want one wrapping %v", what, err, target)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
