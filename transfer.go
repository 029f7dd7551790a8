package ownership

import (
	"context"
	"errors"
	"fmt"
)

// TransferOptions tune [Manager.Transfer]. The zero value moves every
// record of every type.
type TransferOptions struct {
	// DryRun reports what would move without changing anything.
	DryRun bool
	// Type limits the transfer to records of one type; "" means all.
	Type string
}

// TransferReport says what a transfer moved (or, for a dry run, would
// move) and what it left, and why.
type TransferReport struct {
	Moved   []Ref
	Skipped []TransferSkip
	// Lagging lists moved records whose synced children did not all
	// follow (the error wraps [ErrPropagation]); [Manager.Reconcile]
	// repairs them.
	Lagging []TransferSkip
}

// TransferSkip is a record a transfer left where it was.
type TransferSkip struct {
	Ref Ref
	// Err says why: a denial (see [DenialOf]), or a store error.
	Err error
}

// Transfer moves every record user from appears on to user to, for
// offboarding: each entry of from becomes an entry of to with the same
// role (if to is already on the list, owner wins). Records synced with
// their parent are skipped: they follow the parent's transfer. by needs
// [Reassign] on the records from owns and [ManageOwnership] on those from
// only follows, and to must be able to view each moved record.
//
// Transfer works record by record: a record that cannot move is reported
// in Skipped and the others still move. The store must implement
// [UserRecords] to list from's records. The returned error is for a
// failure that stopped the transfer (a cancelled context, a store that
// cannot list, a target the directory does not know or that is inactive:
// [ReasonUnknownTarget], [ReasonInactiveTarget]); denials of single
// records are never returned as the error.
func (m *Manager) Transfer(ctx context.Context, by Subject, from, to UserID, opt TransferOptions) (TransferReport, error) {
	if err := m.check(); err != nil {
		return TransferReport{}, err
	}
	var rep TransferReport
	ur, ok := m.Store.(UserRecords)
	if !ok {
		return rep, fmt.Errorf("%w: transfer needs a store that implements UserRecords", ErrInvalid)
	}
	if from == "" || to == "" || from == to {
		return rep, fmt.Errorf("%w: transfer from %q to %q", ErrInvalid, from, to)
	}
	if err := m.checkSubject(ctx, by, Reassign, Ref{}); err != nil {
		return rep, err
	}
	if m.Users == nil {
		return rep, fmt.Errorf("%w: transfer needs Manager.Users to check that %s can see the records", ErrInvalid, to)
	}
	target, err := m.target(ctx, by, Ref{}, to)
	if err != nil {
		return rep, err
	}
	var refs []Ref
	for ref, err := range ur.RecordsOf(ctx, from) {
		if err != nil {
			return rep, wrapf(err, "listing the records of %s", from)
		}
		if opt.Type == "" || ref.Type == opt.Type {
			refs = append(refs, ref)
		}
	}
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		moved := false // set by the last run of step
		step := func(r Record) (Record, error) {
			moved = false
			if r.Mode == SyncWithParent {
				return Record{}, Decision{Subject: by.ID, Action: Reassign, Record: r.Ref, Parent: r.Parent, Reason: ReasonSynced}.Err()
			}
			role, on := r.Ownership.RoleOf(from)
			if !on {
				return r, nil // changed since listed: nothing to move
			}
			a := ManageOwnership
			if role == Owner {
				a = Reassign
			}
			if err := m.decide(by, a, r); err != nil {
				return Record{}, err
			}
			next := r
			next.Ownership = swapUser(r.Ownership, from, target)
			if err := m.targetCanView(by, target, next); err != nil {
				return Record{}, err
			}
			moved = true
			return next, nil
		}
		if opt.DryRun {
			r, err := m.Store.Get(ctx, ref)
			if err == nil {
				if _, err = step(r); err == nil && moved {
					rep.Moved = append(rep.Moved, ref)
				}
			}
			if err != nil {
				rep.Skipped = append(rep.Skipped, TransferSkip{Ref: ref, Err: err})
			}
			continue
		}
		_, err := m.change(ctx, by.ID, ref, Reassign, EventTransferred, step)
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return rep, err
		case err != nil:
			rep.Skipped = append(rep.Skipped, TransferSkip{Ref: ref, Err: err})
			continue
		case !moved:
			continue
		}
		rep.Moved = append(rep.Moved, ref)
		if err := m.afterChange(ctx, ref); err != nil {
			rep.Lagging = append(rep.Lagging, TransferSkip{Ref: ref, Err: err})
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
		}
	}
	return rep, nil
}

// swapUser replaces from's entry by one for u with the same role.
func swapUser(l List, from UserID, u User) List {
	out := make([]Entry, 0, l.Len())
	for _, e := range l.items() {
		if e.UserID == from {
			e = u.Entry(e.Role)
		}
		out = append(out, e)
	}
	l, _ = NewList(out...) // entries come from a valid list and a user with an id
	return l
}
