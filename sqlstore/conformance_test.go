package sqlstore

import (
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/storetest"
)

// TestConformanceSQLite holds the SQLite store to the contract of every
// store, each check in a new database file.
func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ownership.Store { return openSQLite(t) })
}

// TestConformancePostgres holds the PostgreSQL store to the same
// contract, each check in a new schema.
func TestConformancePostgres(t *testing.T) {
	dsn := postgresDSN(t)
	storetest.Run(t, func(t *testing.T) ownership.Store { return openPostgres(t, dsn) })
}
