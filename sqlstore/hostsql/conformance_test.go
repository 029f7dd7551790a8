package hostsql

import (
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/storetest"
)

// conformanceSchema has one table per record type the applicable checks
// of storetest use, each with a text key and an owner column; contacts
// belong to accounts and documents to contacts (independent records with
// a parent column), and users are the directory.
var conformanceSchema = []string{
	`CREATE TABLE contacts (id TEXT PRIMARY KEY, account_id TEXT, owner_id TEXT, v BIGINT NOT NULL DEFAULT 0)`,
	`CREATE TABLE orders (id TEXT PRIMARY KEY, owner_id TEXT, v BIGINT NOT NULL DEFAULT 0)`,
	`CREATE TABLE documents (id TEXT PRIMARY KEY, contact_id TEXT, owner_id TEXT, v BIGINT NOT NULL DEFAULT 0)`,
	`CREATE TABLE accounts (id TEXT PRIMARY KEY, owner_id TEXT, v BIGINT NOT NULL DEFAULT 0)`,
	`CREATE TABLE users (id TEXT PRIMARY KEY, login TEXT, email TEXT)`,
}

// openConformance returns a Store over a new database with conformanceSchema.
func openConformance(t *testing.T, tdb testDB) *Store {
	t.Helper()
	execAll(t, tdb, conformanceSchema...)
	d := tdb.d
	accounts := MustTable(Mapping{Type: "account", Table: "accounts", Key: "id", OwnerColumn: "owner_id", VersionColumn: "v"}, d)
	contacts := MustTable(Mapping{Type: "contact", Table: "contacts", Key: "id", OwnerColumn: "owner_id", VersionColumn: "v",
		ParentColumn: "account_id", Parent: accounts}, d)
	tables := []*Table{
		accounts, contacts,
		MustTable(Mapping{Type: "order", Table: "orders", Key: "id", OwnerColumn: "owner_id", VersionColumn: "v"}, d),
		MustTable(Mapping{Type: "document", Table: "documents", Key: "id", OwnerColumn: "owner_id", VersionColumn: "v",
			ParentColumn: "contact_id", Parent: contacts}, d),
	}
	s, err := NewStore(tdb.db, d, tables, Options{Users: &Users{Table: "users", ID: "id", Login: "login", Email: "email"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the checks of storetest that a store of single
// owner columns can pass. The others need what one owner column cannot
// hold, and the store refuses it (TestRefusals): followers or several
// owners (RoundTrip, RecordsOf, CountOwned, ConcurrentCompareAndSwap,
// HostileIDs, Delete), modes and fields (RoundTrip, Copies, Children),
// arbitrary record types (RefOrder), and a writable directory with
// skills and fields (Users, UserBy, HostileUsers): the host's users table
// is the host's to write.
func TestConformance(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		storetest.RunSubset(t, func(t *testing.T) ownership.Store {
			var fresh testDB
			switch tdb.name {
			case "sqlite":
				fresh = testDB{tdb.name, tdb.d, openSQLite(t)}
			default:
				fresh = testDB{tdb.name, tdb.d, openPostgres(t, postgresDSN(t))}
			}
			return openConformance(t, fresh)
		}, "Empty", "Versions", "Invalid", "EarlyStop", "Cancelled", "CancelledDuringIteration", "ConcurrentCreate")
	})
}
