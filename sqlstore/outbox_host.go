package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ownershipkit/ownership"
)

// AppendEvent writes e to the outbox, the table ownership_events that
// [Store.Migrate] creates, through tx: the transaction of the write that e
// reports, so that the event exists exactly when the write commits. It is
// for stores that keep ownership in the host's own tables (such as the
// hostsql package) and want a [Relay] on the same database to deliver
// their events with the Store's own.
//
// e's Version must be the version the write gave the record: it and
// e.Record make the event's id, which the outbox keeps unique.
func AppendEvent(ctx context.Context, tx *sql.Tx, d Dialect, e ownership.Event) error {
	if !d.valid() {
		return fmt.Errorf("%w: sqlstore: %v", ownership.ErrInvalid, d)
	}
	if tx == nil {
		return fmt.Errorf("%w: sqlstore: AppendEvent needs a transaction", ownership.ErrInvalid)
	}
	if !e.Record.Valid() || !storableRef(e.Record) || e.Version == 0 {
		return fmt.Errorf("%w: sqlstore: event of %q at version %d", ownership.ErrInvalid, e.Record, e.Version)
	}
	return (&Store{d: d}).appendEvent(ctx, sqlConn[*sql.Tx]{tx}, e)
}

// Savepoint runs fn inside the host's transaction tx, in a savepoint that
// is rolled back when fn fails, also when ctx has ended part way, so that
// a failed write leaves the transaction as it was and usable. It is how
// [Store.InTx] writes, for stores over the host's own tables (such as the
// hostsql package). A transaction the database aborted (serialization
// failure, deadlock, an earlier failed statement) gives an error wrapping
// [ErrTxAborted]; a context that ended gives its error; what names the
// write in messages.
func Savepoint(ctx context.Context, tx *sql.Tx, what string, fn func() error) error {
	if tx == nil {
		return fmt.Errorf("%w: sqlstore: Savepoint needs a transaction", ownership.ErrInvalid)
	}
	return savepoint(ctx, sqlConn[*sql.Tx]{tx}, what, fn)
}
