package sqlstore

import (
	"slices"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// An import that waits for a Delete of the same ref to commit must still
// continue that record's versions, as CompareAndSwap does.
func TestImportAfterConcurrentDeleteContinuesVersions(t *testing.T) {
	s := openPostgres(t, postgresDSN(t))
	ref := ownership.MustRef("contact/x")
	r, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if r, err = s.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("before delete: v%d", r.Version)
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(tx).Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	done := make(chan ImportReport)
	go func() {
		rep, err := s.Import(ctx, slices.Values([]ownership.Record{{Ref: ref}}), ImportOptions{NoEvents: true})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	time.Sleep(300 * time.Millisecond) // the import's INSERT now waits on the delete
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rep := <-done
	got, err := s.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("import report %+v; record now at v%d", rep, got.Version)
	if got.Version <= r.Version {
		t.Fatalf("re-created at v%d, not after the deleted record's v%d: a writer holding v%d of the deleted record can overwrite it", got.Version, r.Version, got.Version)
	}
}
