package sqlstore

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

func TestImport(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		m := outboxManager(t, s, 2)
		old := ownership.MustRef("contact/old")
		if _, err := m.Create(ctx, ownership.Record{Ref: old}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "rep0"}}); err != nil {
			t.Fatal(err)
		}
		gone := ownership.MustRef("contact/gone")
		if _, err := m.Create(ctx, ownership.Record{Ref: gone}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Claim(ctx, rep(0), gone); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, gone); err != nil {
			t.Fatal(err)
		}
		owner := func(u ownership.UserID) ownership.List {
			return ownership.MustList(ownership.Entry{UserID: u, Role: ownership.Owner})
		}
		recs := []ownership.Record{
			{Ref: ownership.MustRef("contact/a"), Ownership: owner("rep1")},
			{Ref: ownership.MustRef("contact/b")},
			{Ref: ownership.MustRef("contact/a"), Ownership: owner("rep0")}, // twice
			{Ref: old, Ownership: owner("rep1")},                            // exists
			{Ref: ownership.Ref{Type: "contact", ID: "bad\x00"}},            // malformed
			{Ref: ownership.MustRef("document/d1"), Parent: ownership.MustRef("contact/a"), Mode: ownership.SyncWithParent, Ownership: owner("rep0")}, // takes a's list
			{Ref: ownership.MustRef("document/d2"), Parent: old, Mode: ownership.SyncWithParent},                                                      // takes old's list
			{Ref: ownership.MustRef("document/d3"), Mode: ownership.SyncWithParent},                                                                   // no parent
			{Ref: gone, Ownership: owner("rep1")}, // created again
		}
		at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		rep, err := s.Import(ctx, slices.Values(recs), ImportOptions{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 5 || rep.Synced != 2 {
			t.Errorf("imported %d, synced %d; want 5 and 2", rep.Imported, rep.Synced)
		}
		want := map[string]error{"contact/a": ownership.ErrInvalid, "contact/old": ownership.ErrConflict, "contact/bad\x00": ownership.ErrInvalid, "document/d3": ownership.ErrInvalid}
		for _, r := range rep.Refused {
			if w, ok := want[r.Ref.String()]; !ok || !errors.Is(r.Err, w) {
				t.Errorf("refused %s: %v, want %v", r.Ref, r.Err, w)
			}
			delete(want, r.Ref.String())
		}
		if len(want) != 0 {
			t.Errorf("not refused: %v", want)
		}
		lists := map[string]string{}
		for _, ref := range []string{"contact/a", "contact/b", "document/d1", "document/d2", "contact/old", "contact/gone"} {
			r, err := s.Get(ctx, ownership.MustRef(ref))
			if err != nil {
				t.Fatal(err)
			}
			lists[ref] = fmt.Sprintf("%s v%d", r.Ownership, r.Version)
		}
		wantLists := map[string]string{
			"contact/a": "[rep1:owner] v1", "contact/b": "[] v1", "contact/old": "[rep0:owner] v1",
			"document/d1": "[rep1:owner] v2", "document/d2": "[rep0:owner] v2",
			"contact/gone": "[rep1:owner] v3", // after the deleted record's two versions
		}
		for ref, w := range wantLists {
			if lists[ref] != w {
				t.Errorf("%s: %s, want %s", ref, lists[ref], w)
			}
		}
		var got []string
		for _, id := range pendingIDs(t, s) {
			got = append(got, id)
		}
		wantEvents := []string{"contact/old@1", "contact/gone@1", "contact/gone@2",
			"contact/a@1", "contact/b@1", "document/d1@1", "document/d2@1", "contact/gone@3", "document/d1@2", "document/d2@2"}
		slices.Sort(got)
		slices.Sort(wantEvents)
		if !slices.Equal(got, wantEvents) {
			t.Errorf("outbox: %q\nwant %q", got, wantEvents)
		}
	})
}

func TestImportWithoutEvents(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		var recs []ownership.Record
		for i := range 12000 { // more than one batch
			recs = append(recs, ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprintf("c%05d", i)},
				Ownership: ownership.MustList(ownership.Entry{UserID: ownership.UserID(fmt.Sprintf("rep%d", i%7)), Role: ownership.Owner})})
		}
		rep, err := s.Import(ctx, slices.Values(recs), ImportOptions{NoEvents: true})
		if err != nil || rep.Imported != len(recs) || len(rep.Refused) != 0 {
			t.Fatalf("import: %+v, %v", rep, err)
		}
		if left := pendingIDs(t, s); len(left) != 0 {
			t.Errorf("%d events written", len(left))
		}
		if n := countRecords(t, s.db); n != len(recs) {
			t.Errorf("%d records stored", n)
		}
		r, err := s.Get(ctx, ownership.MustRef("contact/c11999"))
		if err != nil || !r.Ownership.IsOwner("rep1") {
			t.Errorf("last record: %v %v", r.Ownership, err)
		}
	})
}
