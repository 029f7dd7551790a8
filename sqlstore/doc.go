// Package sqlstore stores records, ownership lists and users in PostgreSQL
// or SQLite, and filters list queries in the database: [Where] turns the
// [ownership.Predicate] that [ownership.Policy.Filter] compiles into a
// parameterised SQL condition, so that [Store.List] returns one page of
// exactly the records a subject may reach, found through indexes rather
// than by loading every record into memory.
//
// A [Store] implements [ownership.Store] (records by compare-and-swap,
// children, records of a user, the user directory) and the conformance
// suite of package storetest. It lists its users ([Store.Users], so it is
// an [ownership.UserLister] for [ownership.Policy.WhoIn]) and its synced
// records ([Store.Synced], the listing [ownership.Manager.Reconcile] needs
// to repair the whole store). It works over a *sql.DB opened by the host;
// this package imports no driver. PostgreSQL is spoken through pgx's
// database/sql driver, whose array parameters some statements use; SQLite
// through modernc's:
//
//	import _ "github.com/jackc/pgx/v5/stdlib" // sql.Open("pgx", "postgres://...")
//	import _ "modernc.org/sqlite"             // sql.Open("sqlite", "file:app.db?...")
//
// then
//
//	st := sqlstore.New(db, sqlstore.Postgres)
//	if err := st.Migrate(ctx); err != nil { ... }
//	recs, next, err := st.List(ctx, policy, subject, ownership.View, "contact", sqlstore.Page{})
//
// SQLite allows one writer at a time: open it with a busy timeout and
// immediate transactions, as in
// "file:app.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate",
// so that concurrent writers wait for each other instead of failing with
// SQLITE_BUSY.
//
// Text is stored as it is, compared byte by byte (PostgreSQL columns use
// the "C" collation), so listings come in the same order as from memstore.
// Text that SQL cannot hold (a NUL byte, invalid UTF-8) is refused with
// [ownership.ErrInvalid] on write and found nowhere on read.
//
// # Tenants, queues and the organisation
//
// A record's tenant and the queue that holds it are columns of its row,
// and every index a listing reads leads with the tenant: a subject's
// listing begins "tenant = $1" and reads only its tenant's rows (a
// subject with a platform role spans tenants, and its condition names
// them). Propagation copies a parent's list, queue included, to the
// synced descendants of the parent's tenant only, and a record synced
// with a parent of another tenant is refused.
//
// Users keep their tenant, teams, manager and queues ([Store.PutUser]);
// teams and queues have their own tables ([Store.PutTeam],
// [Store.PutQueue]). [Store.Org] loads and checks the whole organisation,
// to build subjects with [ownership.Org.Subject]; [Store.Who] answers who
// may act on a record with recursive queries over the teams and the
// manager hierarchy, as [ownership.Org.Who] does in memory.
package sqlstore
