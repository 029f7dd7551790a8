package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ownershipkit/ownership"
)

// The outbox. Every change an [ownership.Manager] commits through a Store
// is written with its [ownership.Event], in the same transaction, to the
// table ownership_events (see [Store.CompareAndSwapEvent]): a change
// exists exactly when its event does, whether the process stops right
// after the commit or the host's transaction rolls back. A [Relay] then
// delivers the events.

// Event states in the outbox.
const (
	statePending   = 0
	stateDelivered = 1
	stateDead      = 2
)

// appendEvent writes e to the outbox, in the transaction of the write it
// reports.
func (s *Store) appendEvent(ctx context.Context, tx execer, e ownership.Event) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%w: event of %s: %v", ownership.ErrInvalid, e.Record, err)
	}
	_, err = tx.Exec(ctx, s.q(`INSERT INTO ownership_events (event_id, record_type, record_id, version, payload)
		VALUES ($1, $2, $3, $4, $5)`), e.ID(), e.Record.Type, e.Record.ID, int64(e.Version), string(payload))
	return err
}

// appendEvents writes events to the outbox with multi-row INSERTs.
func (s *Store) appendEvents(ctx context.Context, tx execer, events []ownership.Event) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(events))
	for _, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("%w: event of %s: %v", ownership.ErrInvalid, e.Record, err)
		}
		rows = append(rows, []any{e.ID(), e.Record.Type, e.Record.ID, int64(e.Version), string(payload)})
	}
	return s.insertRows(ctx, tx, `INSERT INTO ownership_events (event_id, record_type, record_id, version, payload) VALUES `, rows)
}

// micros is t in Unix microseconds, the outbox's unit of time.
func micros(t time.Time) int64 { return t.UnixMicro() }

// EventState is where an event stands in the outbox.
type EventState uint8

// The states of an event.
const (
	// Pending events wait for delivery, or for their next attempt.
	Pending EventState = statePending
	// Delivered events were handled; [Store.PruneEvents] removes them.
	Delivered EventState = stateDelivered
	// Dead events failed [RelayOptions.MaxAttempts] times and are no
	// longer tried; [Store.Redeliver] puts one back.
	Dead EventState = stateDead
)

// String returns "pending", "delivered", "dead" or "EventState(n)".
func (st EventState) String() string {
	switch st {
	case Pending:
		return "pending"
	case Delivered:
		return "delivered"
	case Dead:
		return "dead"
	}
	return fmt.Sprintf("EventState(%d)", uint8(st))
}

// OutboxEvent is an event as the outbox holds it.
type OutboxEvent struct {
	Event ownership.Event
	State EventState
	// Attempts counts the deliveries tried.
	Attempts int
	// LastError is the error of the last failed attempt, or "".
	LastError string
}

// OutboxEvents returns up to limit events of the outbox in state st, in the
// order they were written: dead events for an administrator to look at, or
// pending ones to see a backlog.
func (s *Store) OutboxEvents(ctx context.Context, st EventState, limit int) ([]OutboxEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if st > Dead {
		return nil, fmt.Errorf("%w: %v", ownership.ErrInvalid, st)
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.conn().Query(ctx, s.q(`SELECT payload, state, attempts, last_error FROM ownership_events
		WHERE state = $1 ORDER BY seq LIMIT $2`), int(st), limit)
	if err != nil {
		return nil, s.fail(ctx, "outbox events", err)
	}
	defer rows.Close()
	var out []OutboxEvent
	for rows.Next() {
		var (
			payload string
			e       OutboxEvent
			state   int
		)
		if err := rows.Scan(&payload, &state, &e.Attempts, &e.LastError); err != nil {
			return nil, s.fail(ctx, "outbox events", err)
		}
		if err := json.Unmarshal([]byte(payload), &e.Event); err != nil {
			return nil, fmt.Errorf("sqlstore: outbox events: a stored event is damaged: %v", err)
		}
		e.State = EventState(state)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "outbox events", err)
	}
	return out, nil
}

// Redeliver puts a dead event back in the queue, to be tried again from
// its first attempt. An event that is not dead is left as it is; an
// unknown id is an error wrapping [ownership.ErrNotFound].
func (s *Store) Redeliver(ctx context.Context, eventID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	res, err := s.conn().Exec(ctx, s.q(`UPDATE ownership_events
		SET state = 0, attempts = 0, available_at = 0, leased_until = 0, lease = '', done_at = 0
		WHERE event_id = $1 AND state = 2`), eventID)
	if err != nil {
		return s.fail(ctx, "redeliver "+eventID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(ctx, "redeliver "+eventID, err)
	} else if n > 0 {
		return nil
	}
	var one int
	err = s.conn().QueryRow(ctx, s.q(`SELECT 1 FROM ownership_events WHERE event_id = $1`), eventID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: event %s", ownership.ErrNotFound, eventID)
	}
	if err != nil {
		return s.fail(ctx, "redeliver "+eventID, err)
	}
	return nil
}

// PruneEvents deletes the delivered events that were delivered before
// cutoff, and returns how many. Dead events stay until redelivered.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	res, err := s.conn().Exec(ctx, s.q(`DELETE FROM ownership_events WHERE state = 1 AND done_at < $1`), micros(cutoff))
	if err != nil {
		return 0, s.fail(ctx, "prune events", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.fail(ctx, "prune events", err)
	}
	return n, nil
}
