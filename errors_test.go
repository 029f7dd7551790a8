package ownership_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
	"github.com/ownershipkit/ownership/seed"
)

// failingStore is a store whose reads and writes fail with an error that
// carries the package's prefix itself, as a store built on this package's
// sentinels does.
type failingStore struct{ err error }

func (f failingStore) Get(context.Context, ownership.Ref) (ownership.Record, error) {
	return ownership.Record{}, f.err
}

func (f failingStore) CompareAndSwap(context.Context, ownership.Record) (ownership.Record, error) {
	return ownership.Record{}, f.err
}

func (f failingStore) Children(context.Context, ownership.Ref) iter.Seq2[ownership.Record, error] {
	return func(yield func(ownership.Record, error) bool) { yield(ownership.Record{}, f.err) }
}

func (f failingStore) RecordsOf(context.Context, ownership.UserID) iter.Seq2[ownership.Ref, error] {
	return func(yield func(ownership.Ref, error) bool) { yield(ownership.Ref{}, f.err) }
}

func (f failingStore) CountOwned(context.Context, ownership.UserID, string) (int, error) {
	return 0, f.err
}

// TestErrorPrefixOnce: every error message of the Manager, the policy,
// lists, rules, matchers and seeds says "ownership:" once per problem,
// however many layers wrapped it.
func TestErrorPrefixOnce(t *testing.T) {
	ctx := context.Background()
	var errs []error
	add := func(err error) {
		t.Helper()
		if err == nil {
			t.Errorf("no error (case %d)", len(errs))
			return
		}
		errs = append(errs, err)
	}
	second := func(_ any, err error) error { return err }

	// The Manager over a store that works and one that fails.
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.All, Update: ownership.Own, Claim: true, Reassign: true}}},
	})
	st := memstore.New()
	for _, id := range []ownership.UserID{"ann", "bob"} {
		if err := st.PutUser(ctx, ownership.User{ID: id, Roles: []string{"rep"}}); err != nil {
			t.Fatal(err)
		}
	}
	m := &ownership.Manager{Policy: p, Store: st, Users: st}
	ann := ownership.Subject{ID: "ann", Roles: []string{"rep"}}
	c1 := ownership.MustRef("contact/c1")
	if _, err := m.Create(ctx, ownership.Record{Ref: c1}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "ann"}}); err != nil {
		t.Fatal(err)
	}
	add(second(m.Create(ctx, ownership.Record{Ref: c1}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "ann"}})))
	add(second(m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/c2")}, ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{Role: ownership.Owner}}})))
	add(second(m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/c3")}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "ghost"}})))
	add(second(m.Create(ctx, ownership.Record{Ref: ownership.MustRef("document/d1"), Parent: ownership.MustRef("contact/none"), Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceAPI})))
	add(second(m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/c4")}, ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "ghost", Role: ownership.Owner}}})))
	add(second(m.Claim(ctx, ownership.Subject{ID: "bob", Roles: []string{"rep"}}, c1)))
	add(second(m.Claim(ctx, ann, ownership.MustRef("contact/none"))))
	add(second(m.Reassign(ctx, ann, c1, "ghost")))
	add(second(m.AddOwner(ctx, ann, c1, "ghost")))
	add(second(m.Transfer(ctx, ann, "ann", "ghost", ownership.TransferOptions{})))
	add(second(m.SetMode(ctx, ann, c1, 7)))
	failing := &ownership.Manager{Policy: p, Store: failingStore{ownership.ErrConflict}, Users: st, MaxAttempts: 2}
	broken := &ownership.Manager{Policy: p, Store: failingStore{errors.New("ownership: disk on fire")}, Users: st}
	for _, fm := range []*ownership.Manager{failing, broken} {
		add(second(fm.Claim(ctx, ann, c1)))
		add(second(fm.Propagate(ctx, c1, ownership.PropagateOptions{})))
		add(second(fm.Transfer(ctx, ann, "ann", "bob", ownership.TransferOptions{})))
		add(second(fm.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/c9")}, ownership.Creation{Source: ownership.SourceAPI})))
		add(second(fm.Create(ctx, ownership.Record{Ref: ownership.MustRef("document/d9"), Parent: c1, Mode: ownership.SyncWithParent}, ownership.Creation{Source: ownership.SourceAPI})))
		add(second(ownership.Effective(ctx, fm.Store, ownership.Record{Ref: ownership.MustRef("document/d9"), Parent: c1, Mode: ownership.SyncWithParent})))
	}

	// Policies, lists, rules, owner fields and matchers.
	add(second(ownership.NewPolicy(map[string]ownership.RoleDef{"r": {Types: map[string]ownership.Permissions{"a/b": {}}}})))
	var pol ownership.Policy
	add(pol.UnmarshalJSON([]byte(`{"roles": {"r": {"types": {"t": {"view": "mine"}}}}, "x": 1}`)))
	var l ownership.List
	add(l.UnmarshalJSON([]byte(`[{"user_id": "a", "role": "boss"}]`)))
	add(l.UnmarshalJSON([]byte(`[{"user_id": "", "role": "owner"}]`)))
	add(second(ownership.ParseRules([]byte(`[{"rule": "teleport"}, {"rule": "round_robin", "team": [""]}]`))))
	add(second(ownership.ParseRules([]byte(`{}`))))
	var f ownership.OwnerField
	add(f.UnmarshalJSON([]byte(`{"record": "a", "user": "b", "normalize": "fuzzy"}`)))
	mt := ownership.MustMatcher(ownership.OwnerField{Record: "am", User: "email", Normalize: ownership.NormalizeEmail},
		[]ownership.User{{ID: "a", Email: "team@x.io"}, {ID: "b", Email: "TEAM@x.io"}})
	add(second(mt.Apply(ownership.Record{Ref: c1, Fields: map[string]string{"am": "team@x.io"}})))
	add(second(mt.Apply(ownership.Record{Ref: c1, Fields: map[string]string{"am": "not an address"}})))
	add(second(ownership.InitialOwnership(ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{{UserID: "a", Role: 9}}})))

	// Seeds.
	broken1, err := os.ReadFile("seed/testdata/broken.json")
	if err != nil {
		t.Fatal(err)
	}
	add(second(seed.Parse(broken1)))
	add(second(seed.Parse([]byte(`{"users": [{"id": "a", "email": "Team <team@x.io>"}, {"id": "b", "email": "TEAM@x.io"}],
		"types": {"contract": {"owner_field": {"record": "am", "user": "email", "normalize": "email"}}},
		"records": [{"type": "contract", "id": "k1", "fields": {"am": "team@x.io"}}]}`))))

	// The prefix starts a message or follows ": "; "records[5].ownership:"
	// is a path.
	prefix := regexp.MustCompile(`(^|: )ownership:`)
	for _, err := range errs {
		for _, line := range strings.Split(err.Error(), "\n") {
			if n := len(prefix.FindAllString(line, -1)); n != 1 {
				t.Errorf("%q says \"ownership:\" %d times, want once", line, n)
			}
		}
	}
}
