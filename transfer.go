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
// only follows, and to must be of each moved record's tenant (a record of
// another is skipped, [ReasonUnknownTarget]) and able to view it.
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
	// move decides one record: the record to store, or false when from
	// is no longer on it (changed since listed), or the denial.
	move := func(r Record) (Record, bool, error) {
		if r.Mode == SyncWithParent {
			return Record{}, false, Decision{Subject: by.ID, Action: Reassign, Record: r.Ref, Parent: r.Parent, Reason: ReasonSynced}.Err()
		}
		role, on := r.Ownership.RoleOf(from)
		if !on {
			return r, false, nil
		}
		a := ManageOwnership
		if role == Owner {
			a = Reassign
		}
		if err := m.decide(by, a, r); err != nil {
			return Record{}, false, err
		}
		if err := crossTenant(by.ID, a, r, []userTenant{{target.ID, target.Tenant}}); err != nil {
			return Record{}, false, err
		}
		next := r
		next.Ownership = swapUser(r.Ownership, from, target)
		if err := m.targetCanView(by, target, next); err != nil {
			return Record{}, false, err
		}
		return next, true, nil
	}
	// one moves ref record by record: read, decide and compare-and-swap,
	// again on a conflict.
	one := func(ref Ref) (Record, bool, error) {
		moved := false // set by the last run of step
		if opt.DryRun {
			r, err := m.Store.Get(ctx, ref)
			if err == nil {
				_, moved, err = move(r)
			}
			return Record{}, moved, err
		}
		stored, err := m.change(ctx, by.ID, ref, Reassign, EventTransferred, func(r Record) (Record, error) {
			next, ok, err := move(r)
			moved = ok
			return next, err
		})
		return stored, moved, err
	}
	// done records the outcome for ref, in order, and propagates a move
	// unless the caller knows the record has no synced children.
	done := func(ref Ref, stored Record, moved bool, err error, propagate bool) error {
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return err
		case err != nil:
			rep.Skipped = append(rep.Skipped, TransferSkip{Ref: ref, Err: err})
			return nil
		case !moved:
			return nil
		}
		rep.Moved = append(rep.Moved, ref)
		if opt.DryRun || !propagate {
			return nil
		}
		if err := m.afterChange(ctx, stored); err != nil {
			rep.Lagging = append(rep.Lagging, TransferSkip{Ref: ref, Err: err})
			return ctx.Err()
		}
		return nil
	}
	bs, batched := m.Store.(BatchStore)
	for start := 0; start < len(refs); start += transferBatch {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		part := refs[start:min(start+transferBatch, len(refs))]
		if !batched || opt.DryRun {
			for _, ref := range part {
				stored, moved, err := one(ref)
				if err := done(ref, stored, moved, err, true); err != nil {
					return rep, err
				}
			}
			continue
		}
		if err := m.transferBatch(ctx, bs, by, part, move, one, done); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// transferBatch is the size of the batches a transfer reads and writes
// through a [BatchStore].
const transferBatch = 5000

// transferBatch moves a batch of records through a BatchStore: one read of
// them all, the decisions, one write of those that move; records that
// changed in between go record by record. Outcomes are recorded, and
// events sent, in the batch's order, as record by record.
func (m *Manager) transferBatch(ctx context.Context, bs BatchStore, by Subject, part []Ref,
	move func(Record) (Record, bool, error), one func(Ref) (Record, bool, error),
	done func(Ref, Record, bool, error, bool) error) error {
	recs, err := bs.GetMany(ctx, part)
	if err != nil {
		return wrapf(err, "reading records to transfer")
	}
	byRef := make(map[Ref]Record, len(recs))
	for _, r := range recs {
		byRef[r.Ref] = r
	}
	type outcome struct {
		next  Record
		moved bool
		err   error
	}
	out := make([]outcome, len(part))
	var writes []Record
	var events []Event
	now := m.now()
	for i, ref := range part {
		r, ok := byRef[ref]
		if !ok {
			out[i].err = Decision{Subject: by.ID, Action: Reassign, Record: ref, Reason: ReasonNotFound}.Err()
			continue
		}
		out[i].next, out[i].moved, out[i].err = move(r)
		if out[i].err != nil || !out[i].moved {
			continue
		}
		writes = append(writes, out[i].next)
		events = append(events, Event{Kind: EventTransferred, By: by.ID, Record: ref, Before: r.Ownership,
			After: out[i].next.Ownership, Mode: r.Mode, At: now, Assigned: out[i].next.Ownership.OwnersAdded(r.Ownership)})
	}
	// A failed write may still have committed part of the batch: what
	// was written is reported, sent and propagated before the failure is
	// returned, and the rest of the batch is left where it was.
	written, werr := bs.CompareAndSwapMany(ctx, writes, events)
	stored := make(map[Ref]Record, len(written))
	refs := make([]Ref, 0, len(written))
	for _, r := range written {
		stored[r.Ref] = r
		refs = append(refs, r.Ref)
	}
	hasChildren := make(map[Ref]bool)
	if parents, err := bs.WithSyncedChildren(ctx, refs); err != nil {
		for _, r := range refs {
			hasChildren[r] = true // not known: propagate from every one
		}
	} else {
		for _, p := range parents {
			hasChildren[p] = true
		}
	}
	evByRef := make(map[Ref]Event, len(events))
	for _, e := range events {
		evByRef[e.Record] = e
	}
	for i, ref := range part {
		o := out[i]
		if o.err != nil || !o.moved {
			if err := done(ref, Record{}, o.moved, o.err, true); err != nil {
				return err
			}
			continue
		}
		r, ok := stored[ref]
		if !ok && werr != nil {
			continue // not written: the failure is returned below
		}
		if !ok { // changed since read: decided again, on its own
			s, moved, err := one(ref)
			if err := done(ref, s, moved, err, true); err != nil {
				return err
			}
			continue
		}
		e := evByRef[ref]
		e.After, e.Version = r.Ownership, r.Version
		m.emit(ctx, e)
		if err := done(ref, r, true, nil, hasChildren[ref]); err != nil {
			return err
		}
	}
	if werr != nil {
		return wrapf(werr, "writing transferred records")
	}
	return nil
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
