package ownership

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEventJSON: an event encoded with encoding/json, as an outbox or a
// webhook carries it, decodes back to the same event, for every kind.
func TestEventJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)
	before := MustList(Entry{UserID: "ann", Role: Owner, Email: "ann@x.io"}, Entry{UserID: "bob", Role: Follower})
	after := MustList(Entry{UserID: "cat", Role: Owner, GivenName: "Cat", LastName: "Ng"})
	for k := EventCreated; k.Valid(); k++ {
		e := Event{Kind: k, By: "ann", Record: MustRef("document/d1"), Before: before, After: after,
			Mode: SyncWithParent, Version: 7, At: at, Assigned: []UserID{"cat"}, Rule: "round_robin"}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("Marshal(%v event): %v", k, err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if diff := cmp.Diff(e, back, cmp.Comparer(List.Equal)); diff != "" {
			t.Errorf("round trip of %s (-want +got):\n%s", b, diff)
		}
	}
	// The zero event's lists and mode encode too.
	var zero, back Event
	zero.Kind = EventSynced
	b, err := json.Marshal(zero)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Kind != EventSynced || back.Before.Len() != 0 {
		t.Errorf("round trip of %s: %+v, %v", b, back, err)
	}
}
