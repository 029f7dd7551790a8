package ownership

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Manager changes ownership safely while many users work at once. Each
// operation reads the record, asks the policy, computes the new list and
// writes it by compare-and-swap; when another writer got there first, it
// reads again and decides again, up to MaxAttempts times. Every committed
// change is reported to the Subscribers after the write.
//
// A Manager holds no mutable state of its own: it is safe for concurrent
// use as long as its fields are not changed after first use.
//
// A nil *Manager, a zero Manager and one without a Store refuse every
// operation with an error wrapping [ErrInvalid].
type Manager struct {
	// Policy decides every operation. A nil Policy denies everything.
	Policy *Policy
	// Store holds the records. Required.
	Store RecordStore
	// Users, when set, is used to refuse subjects that are not in the
	// directory, to fill user details into new entries, and to check that
	// the target of a reassignment or transfer can see the record. Without
	// it, reassignments and transfers are refused.
	Users Directory
	// Subscribers receive an Event for every committed change, in the
	// process, right after the write. A process that stops between the
	// write and the call loses the call, and inside the host's transaction
	// the call comes before the host commits or rolls back: for
	// notifications that must not be lost, use a Store that keeps events
	// with the writes ([EventStore], such as sqlstore's outbox) and its
	// relay. A nil Subscriber (or nil SubscriberFunc) among them is a
	// configuration error: every operation refuses to run, before writing
	// anything.
	Subscribers []Subscriber
	// Now returns the time stamped on events; nil means time.Now.
	Now func() time.Time
	// MaxAttempts bounds the read-decide-write attempts of one operation
	// under contention; 0 means 32.
	MaxAttempts int
	// Rules assign an owner to records created from a form or an import
	// that arrive unassigned; with none, or when no rule applies, they stay
	// in the unassigned pool. Least-loaded rules count through Store, which
	// must then implement [UserRecords].
	Rules Rules
	// ManualSync turns off the propagation that follows every change to a
	// record: by default, when Store implements [ChildLister], the synced
	// children of a changed record follow it at once (see
	// [Manager.Propagate]).
	ManualSync bool
	// Org, when set, is the organisation: Enqueue refuses a queue it does
	// not define or that belongs to another tenant than the record.
	Org *Org
}

// check reports a Manager that cannot run an operation: one that is nil,
// has no Store, or has a nil subscriber, which would fail only after the
// write it was to report.
func (m *Manager) check() error {
	if m == nil {
		return fmt.Errorf("%w: nil *Manager", ErrInvalid)
	}
	if m.Store == nil {
		return fmt.Errorf("%w: Manager.Store is nil", ErrInvalid)
	}
	for i, s := range m.Subscribers {
		if f, ok := s.(SubscriberFunc); s == nil || ok && f == nil {
			return fmt.Errorf("%w: Manager.Subscribers[%d] is nil", ErrInvalid, i)
		}
	}
	return nil
}

// afterChange propagates a committed change of rec, as just stored, to its
// synced children, unless ManualSync is set or the store cannot list
// children.
func (m *Manager) afterChange(ctx context.Context, rec Record) error {
	if m.ManualSync {
		return nil
	}
	if _, ok := m.Store.(ChildLister); !ok {
		return nil
	}
	ref := rec.Ref
	var err error
	if ds, ok := m.Store.(DescendantSyncer); ok {
		_, err = m.bulkPropagate(ctx, ds, ref, &rec) // starts from rec: no read
	} else {
		_, err = m.Propagate(ctx, ref, PropagateOptions{})
	}
	if err != nil {
		return wrapKindf(ErrPropagation, err, "%s changed, but not all its synced children followed; run Propagate or Reconcile", ref)
	}
	return nil
}

// propagated returns the result of an operation on ref, after propagating
// it when it succeeded.
func (m *Manager) propagated(ctx context.Context) func(Record, error) (Record, error) {
	return func(r Record, err error) (Record, error) {
		if err != nil {
			return r, err
		}
		return r, m.afterChange(ctx, r)
	}
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) maxAttempts() int {
	if m.MaxAttempts > 0 {
		return m.MaxAttempts
	}
	return 32
}

// emit sends e to every subscriber. It is called after the write and
// with no lock held.
func (m *Manager) emit(ctx context.Context, e Event) {
	for _, s := range m.Subscribers {
		s.HandleEvent(ctx, e)
	}
}

// checkSubject denies a subject that has no id or is not in the
// directory.
func (m *Manager) checkSubject(ctx context.Context, by Subject, a Action, ref Ref) error {
	_, _, err := m.subjectEntry(ctx, by, a, ref, Owner)
	return err
}

// subjectEntry is checkSubject that also returns an entry for the subject
// with role r, with the details the one directory lookup found, and the
// subject's tenant: the directory's, or without one the Subject's.
func (m *Manager) subjectEntry(ctx context.Context, by Subject, a Action, ref Ref, r Role) (Entry, TenantID, error) {
	if by.ID == "" {
		return Entry{}, "", Decision{Subject: by.ID, Action: a, Record: ref, Reason: ReasonNoSubject}.Err()
	}
	if m.Users == nil {
		return Entry{UserID: by.ID, Role: r}, by.Tenant, nil
	}
	u, err := m.Users.User(ctx, by.ID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Entry{}, "", Decision{Subject: by.ID, Action: a, Record: ref, Reason: ReasonUnknownSubject}.Err()
		}
		return Entry{}, "", wrapf(err, "looking up %s", by.ID)
	}
	return u.Entry(r), u.Tenant, nil
}

// entryFor returns an entry for user id with role r, carrying the user's
// details from the directory when there is one, and the user's tenant.
func (m *Manager) entryFor(ctx context.Context, id UserID, r Role) (Entry, TenantID, error) {
	if id == "" {
		return Entry{}, "", fmt.Errorf("%w: empty user id", ErrInvalid)
	}
	if m.Users == nil {
		return Entry{UserID: id, Role: r}, "", nil
	}
	u, err := m.Users.User(ctx, id)
	if err != nil {
		return Entry{}, "", wrapf(err, "user %s", id)
	}
	return u.Entry(r), u.Tenant, nil
}

// fillDetails checks that every user on l is in the directory and copies
// their details from it, replacing whatever details the caller gave: the
// directory is the source of truth for emails and names. It also returns
// the users' tenants, in list order (a queue's entry has none).
func (m *Manager) fillDetails(ctx context.Context, l List) (List, []userTenant, error) {
	if m.Users == nil || l.Len() == 0 {
		return l, nil, nil
	}
	out := make([]Entry, 0, l.Len())
	var tenants []userTenant
	for _, e := range l.items() {
		if e.Queue != "" {
			out = append(out, e)
			continue
		}
		filled, t, err := m.entryFor(ctx, e.UserID, e.Role)
		if err != nil {
			return List{}, nil, err
		}
		out = append(out, filled)
		tenants = append(tenants, userTenant{e.UserID, t})
	}
	l, err := NewList(out...)
	return l, tenants, err
}

// userTenant is a user of a list and its tenant.
type userTenant struct {
	id     UserID
	tenant TenantID
}

// crossTenant returns the denial of putting a user of another tenant on
// r's list (as an unknown target: to r's tenant, the user does not
// exist), or nil.
func crossTenant(by UserID, a Action, r Record, users []userTenant) error {
	for _, u := range users {
		if u.tenant != r.Tenant {
			return Decision{Subject: by, Action: a, Record: r.Ref, Reason: ReasonUnknownTarget, Target: u.id}.Err()
		}
	}
	return nil
}

// change is the read-decide-write loop of every operation on an existing
// record. fn receives the current record and returns the record to store,
// or an error (a denial) that ends the operation. A result that changes
// nothing (see unchanged) is not written, takes no version and emits
// nothing.
//
// a is the action the operation performs, named by the denial when the
// record does not exist.
func (m *Manager) change(ctx context.Context, by UserID, ref Ref, a Action, kind EventKind, fn func(Record) (Record, error)) (Record, error) {
	if m.Store == nil {
		return Record{}, fmt.Errorf("%w: Manager.Store is nil", ErrInvalid)
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Record{}, err
		}
		cur, err := m.Store.Get(ctx, ref)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return Record{}, Decision{Subject: by, Action: a, Record: ref, Reason: ReasonNotFound}.Err()
			}
			return Record{}, wrapf(err, "reading %s", ref)
		}
		next, err := fn(cur)
		if err != nil {
			return Record{}, err
		}
		if unchanged(kind, cur, next) {
			return cur, nil
		}
		next.Version = cur.Version
		stored, err := m.write(ctx, next, Event{
			Kind: kind, By: by, Record: ref, Before: cur.Ownership,
			Assigned: next.Ownership.OwnersAdded(cur.Ownership),
		})
		if err == nil {
			return stored, nil
		}
		if !errors.Is(err, ErrConflict) {
			return Record{}, wrapf(err, "writing %s", ref)
		}
		if attempt >= m.maxAttempts() {
			return Record{}, wrapf(err, "%s changed %d times while %v was being applied; try again", ref, attempt, kind)
		}
		runtime.Gosched()
	}
}

// write stores r by compare-and-swap and then tells the subscribers, with
// e completed from the write (list after, mode, version, time). A store
// that keeps events ([EventStore]) stores e in the same transaction.
func (m *Manager) write(ctx context.Context, r Record, e Event) (Record, error) {
	e.After, e.Mode, e.At = r.Ownership, r.Mode, m.now()
	var stored Record
	var err error
	if es, ok := m.Store.(EventStore); ok {
		stored, err = es.CompareAndSwapEvent(ctx, r, e)
	} else {
		stored, err = m.Store.CompareAndSwap(ctx, r)
	}
	if err != nil {
		return Record{}, err
	}
	e.After, e.Version = stored.Ownership, stored.Version
	m.emit(ctx, e)
	return stored, nil
}

// WithStore returns a copy of m that works on s: for instance a store
// bound to the host's transaction, so that the host's own writes and the
// ownership changes commit or roll back together.
func (m *Manager) WithStore(s RecordStore) *Manager {
	c := *m
	c.Store = s
	return &c
}

// unchanged reports whether writing next over cur would change nothing
// that matters to kind of change. Mode and parent always matter. For the
// operations that decide access, only access matters: a list that is
// merely reordered, or whose copied user details differ, gives every user
// the same role, so it is not written. Detail syncing and propagation
// keep copies faithful, so for them the details matter too; the order
// never does.
func unchanged(kind EventKind, cur, next Record) bool {
	if next.Mode != cur.Mode || next.Parent != cur.Parent {
		return false
	}
	if kind == EventDetailsSynced || kind == EventSynced {
		return sameEntries(next.Ownership, cur.Ownership)
	}
	return next.Ownership.SameAccess(cur.Ownership)
}

// decide asks the policy and returns the denial as an error.
func (m *Manager) decide(by Subject, a Action, r Record) error {
	return m.Policy.Decide(by, a, r).Err()
}

// Create stores a new record with its initial ownership, derived from c by
// [InitialOwnership]. A template in c sets the record's mode and must be
// for the record's type. A record in [SyncWithParent] mode takes a copy of
// its parent's ownership instead, and its parent must exist.
//
// The policy has no create action: who may create records is the host's
// decision. Create refuses a record that exists with an error wrapping
// [ErrConflict], and an invalid reference, a Mode (the record's or the
// template's) out of range, or a creation [InitialOwnership] refuses with
// one wrapping [ErrInvalid].
func (m *Manager) Create(ctx context.Context, r Record, c Creation) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	if !r.Ref.Valid() {
		return Record{}, fmt.Errorf("%w: create: record reference %q/%q", ErrInvalid, r.Ref.Type, r.Ref.ID)
	}
	if t := c.Template; t != nil {
		if t.Type != "" && t.Type != r.Ref.Type {
			return Record{}, fmt.Errorf("%w: create %s: template %s is for %s records", ErrInvalid, r.Ref, t.ID, t.Type)
		}
		r.Mode = t.Mode
	}
	if r.Mode > SyncWithParent {
		return Record{}, fmt.Errorf("%w: create %s: %v", ErrInvalid, r.Ref, r.Mode)
	}
	if c.Source == SourceManual && m.Users != nil && c.Creator.ID != "" {
		u, err := m.Users.User(ctx, c.Creator.ID)
		if err != nil {
			return Record{}, wrapf(err, "create %s: creator", r.Ref)
		}
		c.Creator = u
	}
	l, err := InitialOwnership(c)
	if err != nil {
		return Record{}, wrapf(err, "create %s", r.Ref)
	}
	if r.Mode == SyncWithParent {
		if r.Parent.IsZero() {
			return Record{}, fmt.Errorf("%w: create %s: a record synced with its parent needs a parent", ErrInvalid, r.Ref)
		}
		parent, err := m.Store.Get(ctx, r.Parent)
		if err != nil {
			return Record{}, wrapf(err, "create %s: parent %s", r.Ref, r.Parent)
		}
		if parent.Tenant != r.Tenant {
			return Record{}, fmt.Errorf("%w: create %s: its parent %s belongs to another tenant; ownership never crosses tenants", ErrInvalid, r.Ref, r.Parent)
		}
		l = parent.Ownership
	}
	var rule string
	if len(m.Rules) > 0 && (c.Source == SourceForm || c.Source == SourceImport) && r.Mode != SyncWithParent && l.Unassigned() {
		env := AssignEnv{Policy: m.Policy, Users: m.Users}
		env.Counts, _ = m.Store.(UserRecords)
		probe := r
		probe.Ownership = l
		owner, name, err := m.Rules.Assign(ctx, env, probe)
		if err != nil {
			return Record{}, wrapf(err, "create %s", r.Ref)
		}
		if owner != "" {
			if l, err = l.With(Entry{UserID: owner, Role: Owner}); err != nil {
				return Record{}, err
			}
			rule = name
		}
	}
	var tenants []userTenant
	if l, tenants, err = m.fillDetails(ctx, l); err != nil {
		return Record{}, wrapf(err, "create %s", r.Ref)
	}
	for _, u := range tenants {
		if u.tenant != r.Tenant {
			return Record{}, fmt.Errorf("%w: create %s: user %s belongs to another tenant; ownership never crosses tenants", ErrInvalid, r.Ref, u.id)
		}
	}
	r.Ownership, r.Version = l, 0
	stored, err := m.write(ctx, r, Event{
		Kind: EventCreated, By: c.Creator.ID, Record: r.Ref,
		Assigned: l.OwnersAdded(List{}), Rule: rule,
	})
	if err != nil {
		return Record{}, wrapf(err, "create %s", r.Ref)
	}
	if stored.Mode == SyncWithParent {
		// The parent may have changed between the copy and the write, and
		// its propagation may not have seen this record yet: check again.
		if _, err := m.syncOne(ctx, nil, stored.Ref, syncRule{}); err != nil {
			return stored, wrapKindf(ErrPropagation, err, "%s was created, but may lag behind its parent; run Reconcile", stored.Ref)
		}
		return m.Store.Get(ctx, stored.Ref)
	}
	return stored, nil
}

// Claim makes by the owner of an unassigned record, keeping its followers.
// When another user claims it first, Claim is denied with
// [ReasonAlreadyAssigned] (the error wraps both [ErrDenied] and
// [ErrConflict]). A user of another tenant never claims, not even
// through a platform role: [ReasonOtherTenant].
func (m *Manager) Claim(ctx context.Context, by Subject, ref Ref) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	e, tenant, err := m.subjectEntry(ctx, by, Claim, ref, Owner)
	if err != nil {
		return Record{}, err
	}
	return m.propagated(ctx)(m.change(ctx, by.ID, ref, Claim, EventClaimed, func(r Record) (Record, error) {
		if err := m.decide(by, Claim, r); err != nil {
			return Record{}, err
		}
		if tenant != r.Tenant {
			// A platform role may claim across tenants, but the claim
			// would put a user of another tenant on the list.
			return Record{}, Decision{Subject: by.ID, Action: Claim, Record: r.Ref, Reason: ReasonOtherTenant, Tenant: r.Tenant}.Err()
		}
		l, err := r.Ownership.With(e)
		r.Ownership = l
		return r, err
	}))
}

// Reassign makes to the only owner of the record; the previous owners are
// removed and followers stay. by needs [Reassign] on the record. to must be
// in the directory and in the record's tenant ([ReasonUnknownTarget]
// otherwise), active
// ([ReasonInactiveTarget]) and able to view the record once it is theirs
// ([ReasonTargetCannotView]); these denials come after by's own, so that
// a user who may not reassign the record learns nothing about to.
func (m *Manager) Reassign(ctx context.Context, by Subject, ref Ref, to UserID) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	if err := m.checkSubject(ctx, by, Reassign, ref); err != nil {
		return Record{}, err
	}
	if m.Users == nil {
		return Record{}, fmt.Errorf("%w: reassign needs Manager.Users to check that %s can see %s", ErrInvalid, to, ref)
	}
	target, targetErr := m.target(ctx, by, ref, to)
	if targetErr != nil && !isDenial(targetErr) {
		return Record{}, targetErr
	}
	return m.propagated(ctx)(m.change(ctx, by.ID, ref, Reassign, EventReassigned, func(r Record) (Record, error) {
		if err := m.decide(by, Reassign, r); err != nil {
			return Record{}, err
		}
		if targetErr != nil {
			return Record{}, targetErr
		}
		if err := crossTenant(by.ID, Reassign, r, []userTenant{{target.ID, target.Tenant}}); err != nil {
			return Record{}, err
		}
		next := r
		next.Ownership = replaceOwners(r.Ownership, target.Entry(Owner))
		if err := m.targetCanView(by, target, next); err != nil {
			return Record{}, err
		}
		return next, nil
	}))
}

// target looks up the user a record is to move to. A user the directory
// does not know, or an inactive one, is a denial ([ReasonUnknownTarget],
// [ReasonInactiveTarget]) made by by on ref, not a missing record.
func (m *Manager) target(ctx context.Context, by Subject, ref Ref, to UserID) (User, error) {
	deny := func(r Reason) error {
		return Decision{Subject: by.ID, Action: Reassign, Record: ref, Reason: r, Target: to}.Err()
	}
	if to == "" {
		return User{}, deny(ReasonUnknownTarget)
	}
	u, err := m.Users.User(ctx, to)
	switch {
	case errors.Is(err, ErrNotFound):
		return User{}, deny(ReasonUnknownTarget)
	case err != nil:
		return User{}, wrapf(err, "looking up %s", to)
	case u.Inactive:
		return User{}, deny(ReasonInactiveTarget)
	}
	return u, nil
}

// isDenial reports whether err is a policy denial.
func isDenial(err error) bool {
	_, ok := DenialOf(err)
	return ok
}

// targetCanView refuses a change after which the new owner could not see
// the record.
func (m *Manager) targetCanView(by Subject, target User, next Record) error {
	d := m.Policy.Decide(target.Subject(), View, next)
	if d.Allowed {
		return nil
	}
	return Decision{Subject: by.ID, Action: Reassign, Record: next.Ref, Reason: ReasonTargetCannotView,
		Target: target.ID, Scope: d.Scope, Class: d.Class}.Err()
}

// replaceOwners returns l without its owners, with e first.
func replaceOwners(l List, e Entry) List {
	out := []Entry{e}
	for _, x := range l.items() {
		if x.Role != Owner && x.UserID != e.UserID {
			out = append(out, x)
		}
	}
	return listOf(out)
}

// Enqueue puts the record in queue q, as Salesforce changes a record's
// owner to a queue: its owners are removed, its followers stay, and the
// queue's members may then claim it ([Manager.Claim]). by needs
// [Reassign] on the record. With [Manager.Org] set, a queue the
// organisation does not define, or of another tenant than the record, is
// an error wrapping [ErrInvalid]; without it, the host checks its queues.
func (m *Manager) Enqueue(ctx context.Context, by Subject, ref Ref, q QueueID) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	if q == "" {
		return Record{}, fmt.Errorf("%w: enqueue %s: empty queue", ErrInvalid, ref)
	}
	if err := m.checkSubject(ctx, by, Reassign, ref); err != nil {
		return Record{}, err
	}
	return m.propagated(ctx)(m.change(ctx, by.ID, ref, Reassign, EventQueued, func(r Record) (Record, error) {
		if err := m.decide(by, Reassign, r); err != nil {
			return Record{}, err
		}
		if m.Org != nil {
			if queue, ok := m.Org.Queue(q); !ok || queue.Tenant != r.Tenant {
				return Record{}, fmt.Errorf("%w: enqueue %s: the organisation has no queue %q in the record's tenant", ErrInvalid, ref, q)
			}
		}
		l, err := r.Ownership.InQueue(q)
		r.Ownership = l
		return r, err
	}))
}

// AddOwner adds user as an owner, or makes a follower an owner. by needs
// [ManageOwnership] on the record.
func (m *Manager) AddOwner(ctx context.Context, by Subject, ref Ref, user UserID) (Record, error) {
	return m.setRole(ctx, by, ref, user, Owner, EventOwnerAdded)
}

// AddFollower adds user as a follower. Owner wins: adding an owner as a
// follower changes nothing (to step an owner down, [Manager.Remove] them
// and add them again, or [Manager.SetOwnership]). by needs
// [ManageOwnership] on the record.
func (m *Manager) AddFollower(ctx context.Context, by Subject, ref Ref, user UserID) (Record, error) {
	return m.setRole(ctx, by, ref, user, Follower, EventFollowerAdded)
}

func (m *Manager) setRole(ctx context.Context, by Subject, ref Ref, user UserID, role Role, kind EventKind) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	if err := m.checkSubject(ctx, by, ManageOwnership, ref); err != nil {
		return Record{}, err
	}
	e, t, err := m.entryFor(ctx, user, role)
	if err != nil {
		return Record{}, err
	}
	return m.propagated(ctx)(m.change(ctx, by.ID, ref, ManageOwnership, kind, func(r Record) (Record, error) {
		if err := m.decide(by, ManageOwnership, r); err != nil {
			return Record{}, err
		}
		if m.Users != nil {
			if err := crossTenant(by.ID, ManageOwnership, r, []userTenant{{user, t}}); err != nil {
				return Record{}, err
			}
		}
		if cur, ok := r.Ownership.RoleOf(user); ok && (cur == role || cur == Owner) {
			return r, nil // owner wins: adding an owner as a follower changes nothing
		}
		l, err := r.Ownership.With(e)
		r.Ownership = l
		return r, err
	}))
}

// Remove takes user off the record's list. Removing the last owner leaves
// the record unassigned. by needs [ManageOwnership] on the record.
func (m *Manager) Remove(ctx context.Context, by Subject, ref Ref, user UserID) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	if err := m.checkSubject(ctx, by, ManageOwnership, ref); err != nil {
		return Record{}, err
	}
	return m.propagated(ctx)(m.change(ctx, by.ID, ref, ManageOwnership, EventRemoved, func(r Record) (Record, error) {
		if err := m.decide(by, ManageOwnership, r); err != nil {
			return Record{}, err
		}
		r.Ownership = r.Ownership.Without(user)
		return r, nil
	}))
}

// SetOwnership replaces the record's list with l, filling user details from
// the directory. by needs [ManageOwnership] on the record.
func (m *Manager) SetOwnership(ctx context.Context, by Subject, ref Ref, l List) (Record, error) {
	if err := m.check(); err != nil {
		return Record{}, err
	}
	if err := m.checkSubject(ctx, by, ManageOwnership, ref); err != nil {
		return Record{}, err
	}
	l, tenants, err := m.fillDetails(ctx, l)
	if err != nil {
		return Record{}, err
	}
	return m.propagated(ctx)(m.change(ctx, by.ID, ref, ManageOwnership, EventOwnershipSet, func(r Record) (Record, error) {
		if err := m.decide(by, ManageOwnership, r); err != nil {
			return Record{}, err
		}
		if err := crossTenant(by.ID, ManageOwnership, r, tenants); err != nil {
			return Record{}, err
		}
		r.Ownership = l
		return r, nil
	}))
}
