package storetest

import (
	"testing"

	"github.com/ownershipkit/ownership"
)

// RunSubset runs only the named checks of [Run] (its subtest names, such
// as "Versions"), for a store that by design cannot hold what the others
// store: one that keeps a single owner in a column of the host's table
// holds no followers, fields or modes, and refuses them. The store must
// still implement [ownership.Store]. An unknown name fails the test, so
// that a renamed check is not skipped in silence.
func RunSubset(t *testing.T, open func(t *testing.T) ownership.Store, names ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, c := range checks {
		if want[c.name] {
			delete(want, c.name)
			t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
		}
	}
	for n := range want {
		t.Errorf("storetest.RunSubset: no check named %q", n)
	}
}
