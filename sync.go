package ownership

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/ownershipkit/ownership/internal/enum"
)

// Mode says where a record's ownership comes from.
//
// The zero Mode is [Independent].
type Mode uint8

const (
	// Independent records own their list and are edited directly.
	Independent Mode = iota
	// SyncWithParent records carry a read-only copy of their parent's
	// ownership: direct changes are refused with [ErrSynced], and changes
	// to the parent propagate to them.
	SyncWithParent
)

var modeNames = enum.New[Mode]("Mode", "mode", "independent", "sync_with_parent").EmptyIsZero()

// String returns "independent", "sync_with_parent", or "Mode(n)".
func (m Mode) String() string { return modeNames.String(m) }

// Valid reports whether m is [Independent] or [SyncWithParent].
func (m Mode) Valid() bool { return modeNames.Valid(m) }

// ParseMode parses "independent" (or "") and "sync_with_parent".
func ParseMode(s string) (Mode, error) { return modeNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the Modes is an error rather than a string that would not parse.
func (m Mode) MarshalText() ([]byte, error) { return modeNames.MarshalText(m) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (m *Mode) UnmarshalText(b []byte) error { return modeNames.UnmarshalText(m, b) }

// Follow selects the children that follow a parent's ownership in
// [Manager.Propagate].
type Follow uint8

const (
	// FollowSynced: children in SyncWithParent mode (the default).
	FollowSynced Follow = iota
	// FollowSameOwner: synced children, and independent children whose
	// ownership gave the same access as the parent's previous ownership
	// (PropagateOptions.Before): records that were the parent owner's
	// follow the parent to its new owner, others keep theirs.
	FollowSameOwner
	// FollowAll: every child; independent children get the parent's list
	// as their own and stay independent.
	FollowAll
)

var followNames = enum.New[Follow]("Follow", "follow option", "synced", "same_owner", "all").EmptyIsZero()

// String returns "synced", "same_owner", "all", or "Follow(n)".
func (f Follow) String() string { return followNames.String(f) }

// Valid reports whether f is one of the three options.
func (f Follow) Valid() bool { return followNames.Valid(f) }

// ParseFollow parses "synced" (or ""), "same_owner" or "all".
func ParseFollow(s string) (Follow, error) { return followNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the Follows is an error rather than a string that would not parse.
func (f Follow) MarshalText() ([]byte, error) { return followNames.MarshalText(f) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (f *Follow) UnmarshalText(b []byte) error { return followNames.UnmarshalText(f, b) }

// PropagateOptions tune [Manager.Propagate]. The zero value propagates to
// the synced children and their synced descendants.
type PropagateOptions struct {
	Follow Follow
	// Before is the parent's ownership before the change, for
	// FollowSameOwner.
	Before List
	// DryRun lists the children that would change without changing them.
	DryRun bool
}

// SyncReport says which records a sync operation changed (or, for a dry
// run, would change).
type SyncReport struct {
	Changed []Ref
	// Unchanged counts the records that already matched.
	Unchanged int
}

// syncStore is what propagation needs from the store.
type syncStore interface {
	RecordStore
	ChildLister
}

func (m *Manager) syncStore() (syncStore, error) {
	ss, ok := m.Store.(syncStore)
	if !ok {
		return nil, fmt.Errorf("%w: syncing needs a store that implements ChildLister", ErrInvalid)
	}
	return ss, nil
}

// Effective returns the effective ownership of a record: its own list, or
// for a record synced with its parent, the list of its nearest independent
// ancestor. A loop in the parent chain, a synced record without a parent,
// or a parent that does not exist is an error that names the refs.
//
// A nil rs, a record with an invalid Ref, a record or ancestor whose
// Mode is neither [Independent] nor [SyncWithParent], and a parent of
// another tenant are errors wrapping [ErrInvalid]: their ownership is
// unknown.
func Effective(ctx context.Context, rs RecordStore, r Record) (List, error) {
	src, err := ownershipSource(ctx, rs, r)
	return src.Ownership, err
}

// ownershipSource returns the record whose own list is r's effective
// ownership: r itself when it is independent, else its nearest
// independent ancestor, as read.
func ownershipSource(ctx context.Context, rs RecordStore, r Record) (Record, error) {
	if rs == nil {
		return Record{}, fmt.Errorf("%w: Effective needs a RecordStore", ErrInvalid)
	}
	if !r.Ref.Valid() {
		return Record{}, fmt.Errorf("%w: effective ownership of record reference %q/%q", ErrInvalid, r.Ref.Type, r.Ref.ID)
	}
	var chain []Ref
	for {
		if r.Mode > SyncWithParent {
			return Record{}, fmt.Errorf("%w: %s has %v, neither independent nor sync_with_parent", ErrInvalid, r.Ref, r.Mode)
		}
		if r.Mode != SyncWithParent {
			break
		}
		chain = append(chain, r.Ref)
		if r.Parent.IsZero() {
			return Record{}, fmt.Errorf("%w: %s is synced with its parent but has none", ErrInvalid, r.Ref)
		}
		if slices.Contains(chain, r.Parent) {
			return Record{}, fmt.Errorf("%w: parent chain loops: %s", ErrInvalid, formatChain(append(chain, r.Parent)))
		}
		parent, err := rs.Get(ctx, r.Parent)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return Record{}, fmt.Errorf("%w: %s is synced with its parent %s, which does not exist", ErrNotFound, r.Ref, r.Parent)
			}
			return Record{}, wrapf(err, "reading %s, parent of %s", r.Parent, r.Ref)
		}
		if parent.Tenant != r.Tenant {
			return Record{}, fmt.Errorf("%w: %s is synced with its parent %s, of another tenant; ownership never crosses tenants", ErrInvalid, r.Ref, r.Parent)
		}
		r = parent
	}
	return r, nil
}

func formatChain(refs []Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, " -> ")
}

// Propagate makes the children of parent follow its current ownership, and
// then their synced descendants, level by level. Each child is written by
// compare-and-swap from a fresh read of the child and then of its parent,
// and whether an independent child follows (FollowSameOwner) is decided
// again on that fresh read, so neither a later change of the parent nor a
// change made to the child since it was listed is overwritten. Children
// that already match (the same entries, in any order) are not written:
// running Propagate twice changes nothing the second time. A propagation
// stopped half-way (a failing store, a cancelled context) converges when
// run again; [Manager.Reconcile] repairs any drift.
//
// A dry run reports exactly the records the same run would change, synced
// descendants of following independent children included, and changes
// nothing.
//
// The Manager propagates by itself after each change it makes to a record
// with children, unless ManualSync is set. A parent that is not a valid
// reference is an error wrapping [ErrInvalid].
func (m *Manager) Propagate(ctx context.Context, parent Ref, opt PropagateOptions) (SyncReport, error) {
	if err := m.check(); err != nil {
		return SyncReport{}, err
	}
	if !parent.Valid() {
		return SyncReport{}, fmt.Errorf("%w: propagate: record reference %q/%q", ErrInvalid, parent.Type, parent.ID)
	}
	var rep SyncReport
	ss, err := m.syncStore()
	if err != nil {
		return rep, err
	}
	if opt.Follow > FollowAll {
		return rep, fmt.Errorf("%w: propagate %s: follow option %d", ErrInvalid, parent, opt.Follow)
	}
	if ds, ok := m.Store.(DescendantSyncer); ok && opt.Follow == FollowSynced && !opt.DryRun {
		return m.bulkPropagate(ctx, ds, parent, nil)
	}
	return m.propagateEach(ctx, ss, parent, opt)
}

// propagateEach is Propagate record by record: each child read, decided
// and written by compare-and-swap on its own.
func (m *Manager) propagateEach(ctx context.Context, ss syncStore, parent Ref, opt PropagateOptions) (SyncReport, error) {
	var rep SyncReport
	var plan *overlay // a dry run's writes, read back by later levels
	if opt.DryRun {
		plan = &overlay{RecordStore: ss, recs: map[Ref]Record{}}
	}
	seen := map[Ref]bool{parent: true}
	level := []Ref{parent}
	first := true
	for len(level) > 0 {
		var next []Ref
		for _, p := range level {
			for child, err := range ss.Children(ctx, p) {
				if err != nil {
					return rep, wrapf(err, "listing the children of %s", p)
				}
				// Whether the child follows is decided again on the fresh
				// read in syncOne; the listing only spares reading children
				// that did not follow when listed. An independent record
				// met again (a parent chain that loops through it) does not
				// follow, so it ends the walk like any other.
				if child.Mode != SyncWithParent && (!first || opt.Follow == FollowSynced ||
					opt.Follow == FollowSameOwner && !child.Ownership.SameAccess(opt.Before)) {
					continue
				}
				if seen[child.Ref] {
					return rep, fmt.Errorf("%w: parent chain loops at %s (child of %s)", ErrInvalid, child.Ref, p)
				}
				seen[child.Ref] = true
				res, err := m.syncOne(ctx, plan, child.Ref, syncRule{parent: p, first: first, opt: opt})
				if errors.Is(err, ErrNotFound) && isGone(ctx, ss, child.Ref) {
					continue // deleted since listed: nothing to follow
				}
				if err != nil {
					return rep, err
				}
				switch res {
				case syncSkipped:
					continue
				case syncChanged:
					rep.Changed = append(rep.Changed, child.Ref)
				default:
					rep.Unchanged++
				}
				next = append(next, child.Ref)
			}
		}
		level, first = next, false
	}
	return rep, nil
}

// bulkPropagate propagates the effective ownership of parent to its synced
// descendants through a store that does it set-based. Records that
// changed during a run (another propagation got there first) are run
// again, with parent's list read afresh, so a later change is never
// overtaken. first, if not nil, is parent as just written, which spares
// the first read.
func (m *Manager) bulkPropagate(ctx context.Context, ds DescendantSyncer, parent Ref, first *Record) (SyncReport, error) {
	var rep SyncReport
	changed := map[Ref]bool{}
	for attempt := 1; ; attempt++ {
		var root Record
		if attempt == 1 && first != nil {
			root = *first
		} else {
			var err error
			if root, err = m.Store.Get(ctx, parent); err != nil && !errors.Is(err, ErrNotFound) {
				return rep, wrapf(err, "reading %s", parent)
			} else if err != nil {
				root = Record{} // gone
			}
		}
		src, err := ownershipSource(ctx, m.Store, root)
		if root.Ref.IsZero() {
			err = fmt.Errorf("%w: %s", ErrNotFound, parent)
		}
		if err != nil && attempt == 1 {
			// The record is gone, or its own ownership cannot be told (its
			// parent is gone, its chain loops): record by record, each
			// child says what it lacks, exactly as without set-based
			// syncing.
			ss, _ := m.Store.(syncStore)
			if ss == nil {
				return rep, err
			}
			return m.propagateEach(ctx, ss, parent, PropagateOptions{})
		}
		if err != nil {
			return rep, err
		}
		res, err := ds.SyncDescendants(ctx, parent, src, m.now())
		for _, e := range res.Events {
			m.emit(ctx, e)
			if !changed[e.Record] {
				changed[e.Record] = true
				rep.Changed = append(rep.Changed, e.Record)
			}
		}
		if err != nil {
			return rep, wrapf(err, "propagating %s", parent)
		}
		// The last run saw every descendant; those written by an earlier
		// run count as changed, once.
		rep.Unchanged = max(0, res.Unchanged+len(res.Events)-len(rep.Changed))
		if res.Conflicts == 0 {
			return rep, nil
		}
		if attempt >= m.maxAttempts() {
			return rep, fmt.Errorf("%w: %d descendants of %s kept changing while they were synced; run Propagate again", ErrConflict, res.Conflicts, parent)
		}
	}
}

// isGone reports whether ref no longer exists, to tell a child deleted
// during a propagation from one whose parent is missing.
func isGone(ctx context.Context, rs RecordStore, ref Ref) bool {
	_, err := rs.Get(ctx, ref)
	return errors.Is(err, ErrNotFound)
}

// syncRule says which records follow in one step of a propagation.
type syncRule struct {
	// parent is the record being propagated from; the zero Ref (for
	// Reconcile) accepts any parent.
	parent Ref
	// first is set for the direct children of the propagated record: only
	// they follow when independent, per opt.Follow.
	first bool
	opt   PropagateOptions
}

// target returns the list record r should hold, and false when r does not
// follow. It decides on r as just read, never on a listing.
func (rule syncRule) target(ctx context.Context, rs RecordStore, r Record) (List, bool, error) {
	if !rule.parent.IsZero() && r.Parent != rule.parent {
		return List{}, false, nil // moved to another parent since listed
	}
	if r.Mode == SyncWithParent {
		l, err := Effective(ctx, rs, r)
		return l, err == nil, err
	}
	if !rule.first {
		return List{}, false, nil
	}
	switch rule.opt.Follow {
	case FollowAll:
	case FollowSameOwner:
		if !r.Ownership.SameAccess(rule.opt.Before) {
			return List{}, false, nil // not (or no longer) the parent owner's
		}
	default:
		return List{}, false, nil
	}
	parent, err := rs.Get(ctx, r.Parent)
	if err != nil {
		return List{}, false, wrapf(err, "reading %s, parent of %s", r.Parent, r.Ref)
	}
	if parent.Tenant != r.Tenant {
		return List{}, false, nil // ownership never crosses tenants
	}
	return parent.Ownership, true, nil
}

// syncResult is what syncOne did to a record.
type syncResult uint8

const (
	syncUnchanged syncResult = iota // it follows and already matched
	syncChanged                     // it follows and was (or would be) written
	syncSkipped                     // it does not follow
)

// syncOne brings one record in line with its parent, as rule says. With
// a plan (a dry run) the write goes to the plan instead of the store. It
// needs only the RecordStore.
func (m *Manager) syncOne(ctx context.Context, plan *overlay, ref Ref, rule syncRule) (syncResult, error) {
	if plan != nil {
		r, err := plan.Get(ctx, ref)
		if err != nil {
			return syncSkipped, err
		}
		l, follows, err := rule.target(ctx, plan, r)
		switch {
		case err != nil:
			return syncSkipped, err
		case !follows:
			return syncSkipped, nil
		case sameEntries(l, r.Ownership):
			return syncUnchanged, nil
		}
		r.Ownership = l
		plan.recs[ref] = r
		return syncChanged, nil
	}
	res := syncSkipped
	_, err := m.change(ctx, "", ref, ManageOwnership, EventSynced, func(r Record) (Record, error) {
		l, follows, err := rule.target(ctx, m.Store, r)
		switch {
		case err != nil:
			return Record{}, err
		case !follows:
			res = syncSkipped
			return r, nil
		case sameEntries(l, r.Ownership):
			res = syncUnchanged
			return r, nil
		}
		res = syncChanged
		r.Ownership = l
		return r, nil
	})
	return res, err
}

// overlay is a RecordStore that reads a dry run's planned writes in place
// of the stored records, so that a dry run sees what the real run would.
type overlay struct {
	RecordStore
	recs map[Ref]Record
}

// Get returns the planned record of ref, or the stored one.
func (o *overlay) Get(ctx context.Context, ref Ref) (Record, error) {
	if r, ok := o.recs[ref]; ok {
		return r, nil
	}
	return o.RecordStore.Get(ctx, ref)
}

// Reconcile checks every synced record among records against its
// effective ownership and repairs those that drifted (after a propagation
// that was interrupted, or a write that bypassed the Manager). Independent
// records are passed over. Pass the store's full listing to repair
// everything. Records are repaired from their nearest independent
// ancestor, so the order of the listing does not matter. A nil records is
// an error wrapping [ErrInvalid]; pass an empty sequence to check nothing.
func (m *Manager) Reconcile(ctx context.Context, records iter.Seq2[Record, error]) (SyncReport, error) {
	if err := m.check(); err != nil {
		return SyncReport{}, err
	}
	if records == nil {
		return SyncReport{}, fmt.Errorf("%w: reconcile: nil sequence of records", ErrInvalid)
	}
	var rep SyncReport
	ss, err := m.syncStore()
	if err != nil {
		return rep, err
	}
	for r, err := range records {
		if err != nil {
			return rep, wrapf(err, "listing records to reconcile")
		}
		if r.Mode != SyncWithParent {
			continue
		}
		res, err := m.syncOne(ctx, nil, r.Ref, syncRule{})
		if errors.Is(err, ErrNotFound) && isGone(ctx, ss, r.Ref) {
			continue // deleted since listed
		}
		if err != nil {
			return rep, err
		}
		switch res {
		case syncChanged:
			rep.Changed = append(rep.Changed, r.Ref)
		case syncUnchanged:
			rep.Unchanged++
		}
	}
	return rep, nil
}

// SetMode switches a record between independent and synced ownership.
// Switching to [SyncWithParent] replaces its list with a copy of its
// parent's effective ownership (the record needs a parent). Switching a
// synced record to [Independent] gives it its parent's current effective
// ownership as its own, not the copy it carried, which may lag behind.
//
// by must be allowed [ManageOwnership] on the record as an independent
// record with its effective ownership: an owner of the parent's current
// list (for a synced record) or of the record's own list, or a bypass
// role. A user who has just lost the parent cannot detach its documents,
// even before they follow. The decision and the new list come from one
// reading of the parent chain; a change of the record in between fails the
// write, which is decided again, and a change of the parent after that
// reading orders after the switch (the record is independent by then, so
// it no longer follows).
func (m *Manager) SetMode(ctx context.Context, by Subject, ref Ref, mode Mode) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	if mode > SyncWithParent {
		return Record{}, fmt.Errorf("%w: mode %v", ErrInvalid, mode)
	}
	if err := m.checkSubject(ctx, by, ManageOwnership, ref); err != nil {
		return Record{}, err
	}
	rec, err := m.change(ctx, by.ID, ref, ManageOwnership, EventModeChanged, func(r Record) (Record, error) {
		asIndependent := r
		asIndependent.Mode = Independent
		if r.Mode == SyncWithParent {
			l, err := Effective(ctx, m.Store, r)
			if err != nil {
				return Record{}, err
			}
			asIndependent.Ownership = l
		}
		if err := m.decide(by, ManageOwnership, asIndependent); err != nil {
			if d, ok := DenialOf(err); ok && r.Mode == SyncWithParent {
				d.Parent = r.Parent // the list decided on is the parent's
				return Record{}, d.Err()
			}
			return Record{}, err
		}
		if mode == Independent {
			return asIndependent, nil
		}
		if r.Parent.IsZero() {
			return Record{}, fmt.Errorf("%w: %s has no parent to sync with", ErrInvalid, r.Ref)
		}
		probe := r
		probe.Mode = SyncWithParent
		l, err := Effective(ctx, m.Store, probe)
		if err != nil {
			return Record{}, err
		}
		r.Ownership, r.Mode = l, SyncWithParent
		return r, nil
	})
	if err != nil {
		return Record{}, err
	}
	return rec, m.afterChange(ctx, rec)
}

// SyncUserDetails copies u's email and names onto every entry of u, on
// every record the store lists for u. Each record is updated by
// compare-and-swap from a fresh read, so concurrent ownership changes are
// kept; a record that no longer lists u is passed over. The store must
// implement [UserRecords].
func (m *Manager) SyncUserDetails(ctx context.Context, u User) (SyncReport, error) {
	if err := m.check(); err != nil {
		return SyncReport{}, err
	}
	var rep SyncReport
	ur, ok := m.Store.(UserRecords)
	if !ok {
		return rep, fmt.Errorf("%w: syncing user details needs a store that implements UserRecords", ErrInvalid)
	}
	if u.ID == "" {
		return rep, fmt.Errorf("%w: user without id", ErrInvalid)
	}
	var refs []Ref
	for ref, err := range ur.RecordsOf(ctx, u.ID) {
		if err != nil {
			return rep, wrapf(err, "listing the records of %s", u.ID)
		}
		refs = append(refs, ref)
	}
	for _, ref := range refs {
		changed := false
		_, err := m.change(ctx, "", ref, ManageOwnership, EventDetailsSynced, func(r Record) (Record, error) {
			role, ok := r.Ownership.RoleOf(u.ID)
			changed = false
			if !ok {
				return r, nil
			}
			want := u.Entry(role)
			i := indexOf(r.Ownership.items(), u.ID)
			if r.Ownership.At(i) == want {
				return r, nil
			}
			entries := r.Ownership.Entries()
			entries[i] = want
			r.Ownership, changed = listOf(entries), true
			return r, nil
		})
		if errors.Is(err, ErrNotFound) {
			continue // deleted since listed
		}
		if err != nil {
			return rep, err
		}
		if changed {
			rep.Changed = append(rep.Changed, ref)
		} else {
			rep.Unchanged++
		}
	}
	return rep, nil
}
