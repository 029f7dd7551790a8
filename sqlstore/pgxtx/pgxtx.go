// Package pgxtx binds a [sqlstore.Store] to a host's pgx transaction, so
// that the host's own changes and the ownership changes commit or roll
// back together, as [sqlstore.Store.InTx] does for a *sql.Tx:
//
//	tx, err := conn.Begin(ctx) // a *pgx.Conn, or a pgxpool.Pool
//	...
//	_, err = tx.Exec(ctx, `INSERT INTO contacts ...`)
//	_, err = manager.WithStore(st.InConn(pgxtx.Conn(tx))).Create(ctx, rec, creation)
//	...
//	err = tx.Commit(ctx)
//
// Each write runs in a savepoint of tx, a conflict is retried within it,
// and a transaction the database aborted gives [sqlstore.ErrTxAborted],
// all as with InTx. The store's database (the *sql.DB it was made with)
// must be the database tx is on.
//
// It is a package of its own because package sqlstore, usable with any
// database/sql driver, does not import pgx.
package pgxtx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ownershipkit/ownership/sqlstore"
)

// Conn returns tx as the connection of [sqlstore.Store.InConn].
//
// Conn panics if tx is nil, a mistake in the program.
func Conn(tx pgx.Tx) sqlstore.Conn {
	if tx == nil {
		panic("pgxtx: Conn: nil pgx.Tx (begin one with conn.Begin first)")
	}
	return conn{tx}
}

type conn struct{ tx pgx.Tx }

func (c conn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tag, err := c.tx.Exec(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return result{tag}, nil
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rs, err := c.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return rows{rs}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{c.tx.QueryRow(ctx, query, args...)}
}

// mapErr gives the errors that sqlstore.Conn names database/sql's
// sentinels, keeping pgx's own in the chain.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows) && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", sql.ErrNoRows, err)
	case errors.Is(err, pgx.ErrTxClosed):
		return fmt.Errorf("%w: %w", sql.ErrTxDone, err)
	}
	return err
}

// result is a command tag as a sql.Result.
type result struct{ tag pgconn.CommandTag }

func (r result) RowsAffected() (int64, error) { return r.tag.RowsAffected(), nil }

func (result) LastInsertId() (int64, error) {
	return 0, errors.New("pgxtx: LastInsertId is not supported by PostgreSQL")
}

type rows struct{ rs pgx.Rows }

func (r rows) Next() bool             { return r.rs.Next() }
func (r rows) Scan(dest ...any) error { return mapErr(r.rs.Scan(dest...)) }
func (r rows) Err() error             { return mapErr(r.rs.Err()) }

func (r rows) Close() error {
	r.rs.Close()
	return mapErr(r.rs.Err())
}

type row struct{ r pgx.Row }

func (r row) Scan(dest ...any) error { return mapErr(r.r.Scan(dest...)) }
