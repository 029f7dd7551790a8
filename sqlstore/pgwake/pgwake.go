// Package pgwake wakes a [sqlstore.Relay] the moment a transaction that
// wrote events commits, on PostgreSQL through pgx, instead of at its next
// poll: the schema's trigger notifies the channel "ownership_events" once
// per such transaction, and Listen receives it on a connection of its own.
//
//	wake, err := pgwake.Listen(ctx, db)
//	relay := sqlstore.NewRelay(st, deliver, sqlstore.RelayOptions{Wake: wake, Poll: time.Minute})
//	go relay.Run(ctx)
//
// It is a package of its own because it needs pgx's own connection type,
// which package sqlstore, usable with any database/sql driver, does not
// import.
package pgwake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// Channel is the channel the schema notifies.
const Channel = "ownership_events"

// Listen takes a connection of db's pool (opened with pgx's stdlib driver)
// for as long as ctx lasts, listens on [Channel], and returns a channel
// that receives a value after notifications (several close together may
// give one value). When ctx ends, or the connection breaks, it stops
// sending, and a relay falls back on polling; the channel is never closed,
// so that a relay selecting on it does not spin.
func Listen(ctx context.Context, db *sql.DB) (<-chan struct{}, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgwake: %w", err)
	}
	ready := make(chan error, 1)
	wake := make(chan struct{}, 1)
	go func() {
		defer conn.Close()
		_ = conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				ready <- fmt.Errorf("pgwake: the database is not opened with pgx's stdlib driver (%T)", dc)
				return nil
			}
			pc := c.Conn()
			if _, err := pc.Exec(ctx, "LISTEN "+Channel); err != nil {
				ready <- fmt.Errorf("pgwake: LISTEN: %w", err)
				return nil
			}
			ready <- nil
			for {
				if _, err := pc.WaitForNotification(ctx); err != nil {
					// ctx ended or the connection broke. Either way the
					// connection must not go back to the pool still
					// listening (it would buffer every notification
					// unread): ErrBadConn makes database/sql discard it.
					return driver.ErrBadConn
				}
				select {
				case wake <- struct{}{}:
				default: // a wake-up is already pending
				}
			}
		})
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	return wake, nil
}
