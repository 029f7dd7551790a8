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
