package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ownershipkit/ownership"
)

// Delivery is one attempt to deliver an event of the outbox.
type Delivery struct {
	Event ownership.Event
	// ID is the event's stable id ([ownership.Event.ID]). A relay delivers
	// at least once: an event whose delivery succeeded but whose success
	// was not recorded (the process stopped in between) comes again, with
	// the same ID. Consumers that must act once remember the IDs they
	// handled.
	ID string
	// Attempt counts the deliveries of this event, from 1.
	Attempt int
}

// RelayOptions tune a [Relay]. The zero value means the defaults.
type RelayOptions struct {
	// Batch is how many events one round claims; 0 means 100, and more
	// than 1,000 means 1,000.
	Batch int
	// Lease is how long a claim holds its events. A relay that stops
	// while holding some lets another deliver them once the lease ends;
	// deliveries still running when it ends are cancelled through their
	// context. 0 means one minute.
	Lease time.Duration
	// MaxAttempts is how many failed deliveries make an event dead; 0
	// means 10.
	MaxAttempts int
	// Backoff returns the wait after the attempt-th failure; nil means 1s
	// doubling up to 10 minutes.
	Backoff func(attempt int) time.Duration
	// Poll is how long Run waits for new events when nothing wakes it; 0
	// means one second.
	Poll time.Duration
	// Wake, if not nil, makes Run look for events at once when it
	// receives (for instance a PostgreSQL LISTEN on the channel
	// "ownership_events", which the schema notifies on every commit that
	// wrote events).
	Wake <-chan struct{}
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnError, if not nil, receives the errors of Run's rounds (a
	// database that went away, say), which Run otherwise waits out.
	OnError func(error)
}

// A Relay delivers the events of a Store's outbox to a function, at least
// once, in version order per record, with retries and backoff, and gives
// up on an event (marks it dead) after MaxAttempts failures.
//
// Any number of relays, in any number of processes, may run on one
// database at once: each round claims a batch of events under a lease
// (PostgreSQL: FOR UPDATE SKIP LOCKED, so relays never wait for each
// other; SQLite: one writer at a time), and an event is claimed only when
// no earlier event of its record is still pending, so that the events of a
// record are delivered one after the other, in order. A Relay is safe for
// concurrent use.
type Relay struct {
	s       *Store
	deliver func(context.Context, Delivery) error
	opt     RelayOptions
}

// NewRelay returns a relay that delivers the events of s's outbox to
// deliver. A delivery fails when deliver returns an error (or panics): the
// event is tried again after a backoff, and later events of its record
// wait for it.
func NewRelay(s *Store, deliver func(context.Context, Delivery) error, opt RelayOptions) *Relay {
	if opt.Batch <= 0 {
		opt.Batch = 100
	}
	opt.Batch = min(opt.Batch, 1000) // one parameter per event when recording outcomes
	if opt.Lease <= 0 {
		opt.Lease = time.Minute
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	if opt.Backoff == nil {
		opt.Backoff = defaultBackoff
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Relay{s: s, deliver: deliver, opt: opt}
}

// defaultBackoff waits 1s after the first failure, doubling up to 10
// minutes.
func defaultBackoff(attempt int) time.Duration {
	d := time.Second
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// Run delivers events until ctx ends, and then returns ctx.Err(). After a
// round that found events it starts the next at once; otherwise it waits
// for Wake or Poll.
func (r *Relay) Run(ctx context.Context) error {
	for {
		n, err := r.DeliverOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && r.opt.OnError != nil {
			r.opt.OnError(err)
		}
		if n > 0 && err == nil {
			continue
		}
		t := time.NewTimer(r.opt.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-r.opt.Wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// claimed is an event a round holds.
type claimed struct {
	seq      int64
	id       string
	payload  string
	attempts int
}

// DeliverOnce runs one round: it claims up to Batch events that are due,
// delivers them one by one, and records each outcome. It returns how many
// events it claimed.
func (r *Relay) DeliverOnce(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	token, err := newToken()
	if err != nil {
		return 0, err
	}
	now := r.opt.Now()
	until := now.Add(r.opt.Lease)
	batch, err := r.claim(ctx, token, now, until)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	// Deliveries must end with the lease, after which another relay may
	// deliver the same events. (A timeout, not the deadline until: the
	// clock may be a test's.)
	dctx, cancel := context.WithTimeout(ctx, r.opt.Lease)
	defer cancel()
	var done []int64
	var undelivered []int64
	for i, c := range batch {
		if dctx.Err() != nil {
			for _, rest := range batch[i:] {
				undelivered = append(undelivered, rest.seq)
			}
			break
		}
		var e ownership.Event
		derr := json.Unmarshal([]byte(c.payload), &e)
		if derr != nil {
			derr = fmt.Errorf("the stored event is damaged: %v", derr)
		} else {
			derr = r.call(dctx, Delivery{Event: e, ID: c.id, Attempt: c.attempts})
		}
		if derr == nil {
			done = append(done, c.seq)
			continue
		}
		if err := r.failed(ctx, token, c, derr); err != nil {
			// Record what was delivered before giving up the round, so
			// that it is not delivered again once the lease ends.
			return len(batch), errors.Join(err, r.finish(ctx, token, done))
		}
	}
	if err := r.finish(ctx, token, done); err != nil {
		return len(batch), err
	}
	if err := r.release(ctx, token, undelivered); err != nil {
		return len(batch), err
	}
	return len(batch), nil
}

// call delivers d, turning a panic of the deliver function into an error.
func (r *Relay) call(ctx context.Context, d Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("delivery panicked: %v", p)
		}
	}()
	return r.deliver(ctx, d)
}

// claim leases the batch of events that are due and head their record's
// queue.
func (r *Relay) claim(ctx context.Context, token string, now, until time.Time) ([]claimed, error) {
	lock := ""
	if r.s.d == Postgres {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := r.s.conn().Query(ctx, r.s.q(`UPDATE ownership_events
		SET leased_until = $1, lease = $2, attempts = attempts + 1
		WHERE seq IN (
			SELECT e.seq FROM ownership_events e
			WHERE e.state = 0 AND e.available_at <= $3 AND e.leased_until <= $3
			AND NOT EXISTS (SELECT 1 FROM ownership_events p
				WHERE p.state = 0 AND p.record_type = e.record_type AND p.record_id = e.record_id AND p.seq < e.seq)
			ORDER BY e.seq LIMIT $4`+lock+`)
		RETURNING seq, event_id, payload, attempts`), micros(until), token, micros(now), r.opt.Batch)
	if err != nil {
		return nil, r.s.fail(ctx, "claim events", err)
	}
	defer rows.Close()
	var out []claimed
	for rows.Next() {
		var c claimed
		if err := rows.Scan(&c.seq, &c.id, &c.payload, &c.attempts); err != nil {
			return nil, r.s.fail(ctx, "claim events", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, r.s.fail(ctx, "claim events", err)
	}
	slices.SortFunc(out, func(a, b claimed) int { return int(a.seq - b.seq) })
	return out, nil
}

// finish marks the delivered events of a round, in one statement.
func (r *Relay) finish(ctx context.Context, token string, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	in, args := seqList(r.s.d, seqs, 3)
	_, err := r.s.conn().Exec(ctx, r.s.q(`UPDATE ownership_events
		SET state = 1, done_at = $1, leased_until = 0, lease = '', last_error = ''
		WHERE lease = $2 AND state = 0 AND seq IN (`)+in+`)`, append([]any{micros(r.opt.Now()), token}, args...)...)
	if err != nil {
		return r.s.fail(ctx, "record deliveries", err)
	}
	return nil
}

// release gives back the events a round claimed but had no time to try,
// without counting an attempt.
func (r *Relay) release(ctx context.Context, token string, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	in, args := seqList(r.s.d, seqs, 2)
	_, err := r.s.conn().Exec(ctx, r.s.q(`UPDATE ownership_events
		SET leased_until = 0, lease = '', attempts = attempts - 1
		WHERE lease = $1 AND state = 0 AND seq IN (`)+in+`)`, append([]any{token}, args...)...)
	if err != nil {
		return r.s.fail(ctx, "release events", err)
	}
	return nil
}

// failed records a failed delivery: the event waits for its backoff, or
// is dead after MaxAttempts.
func (r *Relay) failed(ctx context.Context, token string, c claimed, cause error) error {
	now := r.opt.Now()
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	msg = strings.ToValidUTF8(strings.ReplaceAll(msg, "\x00", ""), "?")
	var err error
	if c.attempts >= r.opt.MaxAttempts {
		_, err = r.s.conn().Exec(ctx, r.s.q(`UPDATE ownership_events
			SET state = 2, done_at = $1, leased_until = 0, lease = '', last_error = $2
			WHERE seq = $3 AND lease = $4 AND state = 0`), micros(now), msg, c.seq, token)
	} else {
		_, err = r.s.conn().Exec(ctx, r.s.q(`UPDATE ownership_events
			SET available_at = $1, leased_until = 0, lease = '', last_error = $2
			WHERE seq = $3 AND lease = $4 AND state = 0`), micros(now.Add(r.opt.Backoff(c.attempts))), msg, c.seq, token)
	}
	if err != nil {
		return r.s.fail(ctx, "record a failed delivery", err)
	}
	return nil
}

// seqList returns the markers of seqs as parameters numbered from first,
// comma-separated, and the arguments.
func seqList(d Dialect, seqs []int64, first int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(seqs))
	for i, s := range seqs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.placeholder(first + i))
		args[i] = s
	}
	return b.String(), args
}

// newToken returns a random lease token.
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("sqlstore: lease token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Propagating returns a delivery function for a [Relay] that first brings
// the event's record in line with its parent (if it is synced with it) and
// its synced descendants in line with it, and then calls deliver. Both
// steps change nothing when the records already match, so running them
// again is harmless. Since the event of every change is delivered at
// least once, a propagation that a crash cut short is resumed by the relay
// (or, failing that, by [ownership.Manager.Reconcile]).
//
// m must work on the relay's store. The events of the records it repairs
// go to the outbox like any others.
func Propagating(m *ownership.Manager, deliver func(context.Context, Delivery) error) func(context.Context, Delivery) error {
	return func(ctx context.Context, d Delivery) error {
		ref := d.Event.Record
		r, err := m.Store.Get(ctx, ref)
		switch {
		case errors.Is(err, ownership.ErrNotFound):
			return deliver(ctx, d) // deleted since: nothing to follow
		case err != nil:
			return err
		}
		if r.Mode == ownership.SyncWithParent {
			if _, err := m.Reconcile(ctx, func(yield func(ownership.Record, error) bool) { yield(r, nil) }); err != nil {
				return fmt.Errorf("resuming the sync of %s: %w", ref, err)
			}
		}
		if _, err := m.Propagate(ctx, ref, ownership.PropagateOptions{}); err != nil {
			return fmt.Errorf("resuming the propagation from %s: %w", ref, err)
		}
		return deliver(ctx, d)
	}
}
