package bench

import (
	"sync"
	"testing"

	"github.com/ownershipkit/ownership"
)

// The equivalence tests prove that the two libraries implement the same
// policy on the benchmark data: for every user, every action and every
// record the benchmarks use, they give the same decision. The figures are
// worth nothing without them.

// TestEquivalenceCheck covers the records of BenchmarkCheck: 1,000
// contacts and documents, every user, every action.
func TestEquivalenceCheck(t *testing.T) {
	n := agree(t, Records(checkSize), func(string, ownership.Action) int { return 1 })
	if want := len(Users) * len(Actions) * checkSize; n != want {
		t.Errorf("checked %d decisions, want %d", n, want)
	}
}

// TestEquivalenceFilter covers the 100,000 contacts of BenchmarkFilter:
// every user and every action, 6,000,000 decisions on both cores. Under
// the race detector, which makes Casbin several times slower, and with
// -short, it still checks every contact for the user and action that
// BenchmarkFilter measures, and every 50th contact for the others.
func TestEquivalenceFilter(t *testing.T) {
	stride := 1
	if raceEnabled || testing.Short() {
		stride = 50
	}
	agree(t, Contacts(filterSize), func(u string, a ownership.Action) int {
		if u == filterUser && a == ownership.View {
			return 1
		}
		return stride
	})
}

// agree fails t unless both libraries decide alike for every user, every
// action and every step-th record, with step given per user and action;
// it returns the number of decisions it compared. Users are spread over
// two goroutines, as many as the machine has cores.
func agree(t *testing.T, recs []Record, step func(user string, a ownership.Action) int) int {
	t.Helper()
	p, c := Policy(), newCasbin(t)
	owned := make([]ownership.Record, len(recs))
	for i := range recs {
		owned[i] = recs[i].Ownership()
	}
	type count struct{ checked, allowed int }
	counts := make([]count, len(Users))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for ui, u := range Users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s := p.Bind(ownership.Subject{ID: ownership.UserID(u.ID), Roles: u.Roles})
			for _, a := range Actions {
				for i := 0; i < len(recs); i += step(u.ID, a) {
					want := p.Can(s, a, owned[i])
					got, err := c.Enforce(u.ID, &recs[i], a)
					if err != nil {
						t.Errorf("%s %v on %s/%s: %v", u.ID, a, recs[i].Type, recs[i].ID, err)
						return
					}
					if got != want {
						t.Errorf("%s %v, %v on %s/%s %v: casbin says %v, ownership %v",
							u.ID, u.Roles, a, recs[i].Type, recs[i].ID, owned[i].Ownership, got, want)
						return
					}
					counts[ui].checked++
					if want {
						counts[ui].allowed++
					}
				}
			}
		}()
	}
	wg.Wait()
	var total count
	for _, n := range counts {
		total.checked += n.checked
		total.allowed += n.allowed
	}
	t.Logf("%d decisions agree, %d of them allowed", total.checked, total.allowed)
	return total.checked
}

// TestDataCovers makes sure the data exercises every path of the policy:
// for each action some decisions allow and some deny, and the user of
// BenchmarkFilter meets records of every class.
func TestDataCovers(t *testing.T) {
	p := Policy()
	recs := Records(checkSize)
	for _, a := range Actions {
		var allowed, denied int
		for _, u := range Users {
			s := p.Bind(ownership.Subject{ID: ownership.UserID(u.ID), Roles: u.Roles})
			for i := range recs {
				if p.Can(s, a, recs[i].Ownership()) {
					allowed++
				} else {
					denied++
				}
			}
		}
		if allowed == 0 || denied == 0 {
			t.Errorf("%v: %d allowed, %d denied; want some of each", a, allowed, denied)
		}
	}
	classes := map[string]int{}
	for _, r := range Contacts(filterSize) {
		for _, a := range []string{"view", "update"} {
			cl, err := recordClass(&r, filterUser, a)
			if err != nil {
				t.Fatal(err)
			}
			classes[a+" "+cl.(string)]++
		}
	}
	for _, k := range []string{"view own", "view unassigned", "view others", "update own", "update unassigned", "update others"} {
		if classes[k] == 0 {
			t.Errorf("no contact is %q for %s", k, filterUser)
		}
	}
	t.Logf("classes of the contacts for %s: %v", filterUser, classes)
}

func newCasbin(tb testing.TB) *Casbin {
	tb.Helper()
	c, err := NewCasbin(Users)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
