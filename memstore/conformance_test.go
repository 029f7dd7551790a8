package memstore_test

import (
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
	"github.com/ownershipkit/ownership/storetest"
)

// TestConformance holds memstore, the reference store, to the contract
// every backend keeps.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ownership.Store { return memstore.New() })
}
