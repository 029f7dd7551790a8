package ownership

import (
	"fmt"
	"time"
)

// ManagerOptions are the optional parts of a [Manager], for [NewManager].
// The zero value means: no directory, no subscribers, time.Now, 32
// attempts, no assignment rules, and propagation after every change.
type ManagerOptions struct {
	// Users is the directory; see [Manager].Users.
	Users Directory
	// Subscribers receive the committed changes; see [Manager].Subscribers.
	Subscribers []Subscriber
	// Now stamps events; nil means time.Now.
	Now func() time.Time
	// MaxAttempts bounds the attempts of one operation; 0 means 32.
	MaxAttempts int
	// Rules assign owners to incoming records; see [Manager].Rules.
	Rules Rules
	// ManualSync turns off propagation after changes; see
	// [Manager].ManualSync.
	ManualSync bool
}

// NewManager returns a Manager that decides with p and keeps records in s,
// after checking that s offers what the options need, so that a missing
// capability is found when the program starts rather than when an
// operation first runs:
//
//   - propagation after changes (ManualSync unset) needs a store that
//     lists children ([ChildLister]): without it, records synced with a
//     parent would never follow it;
//   - least-loaded assignment needs a store that counts a user's records
//     ([UserRecords]).
//
// A nil policy or store, a nil subscriber or rule, or a negative
// MaxAttempts is an error too, all wrapping [ErrInvalid]. Operations that
// the store or directory cannot support without contradicting the
// options (a transfer without [UserRecords], a reassignment without a
// directory) are listed by [Manager.Unsupported].
func NewManager(p *Policy, s RecordStore, opt ManagerOptions) (*Manager, error) {
	switch {
	case p == nil:
		return nil, fmt.Errorf("%w: NewManager: nil Policy (it would deny everything)", ErrInvalid)
	case s == nil:
		return nil, fmt.Errorf("%w: NewManager: nil store", ErrInvalid)
	case opt.MaxAttempts < 0:
		return nil, fmt.Errorf("%w: NewManager: MaxAttempts %d", ErrInvalid, opt.MaxAttempts)
	}
	if _, ok := s.(ChildLister); !ok && !opt.ManualSync {
		return nil, fmt.Errorf("%w: NewManager: the store cannot list children (ChildLister), so records synced with a parent would never follow it; use a store that can, or set ManualSync", ErrInvalid)
	}
	for i, r := range opt.Rules {
		if r == nil {
			return nil, fmt.Errorf("%w: NewManager: Rules[%d] is nil", ErrInvalid, i)
		}
		if _, ok := s.(UserRecords); !ok && countsLoad(r) {
			return nil, fmt.Errorf("%w: NewManager: rule %s balances load, but the store cannot count a user's records (UserRecords)", ErrInvalid, r.RuleName())
		}
	}
	m := &Manager{Policy: p, Store: s, Users: opt.Users, Subscribers: opt.Subscribers, Now: opt.Now,
		MaxAttempts: opt.MaxAttempts, Rules: opt.Rules, ManualSync: opt.ManualSync}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// countsLoad reports whether rule r needs the store to count records.
func countsLoad(r Rule) bool {
	switch r := r.(type) {
	case *LeastLoaded:
		return true
	case *Skill:
		return r.Strategy == PickLeastLoaded
	}
	return false
}

// Unsupported returns, for each operation that m's store or directory
// cannot support, an error wrapping [ErrInvalid] that names it and what
// it lacks; nil when every operation can run. Called anyway, those
// operations fail with an error wrapping [ErrInvalid].
func (m *Manager) Unsupported() []error {
	if err := m.check(); err != nil {
		return []error{err}
	}
	var out []error
	miss := func(op, lack string) {
		out = append(out, fmt.Errorf("%w: %s needs %s", ErrInvalid, op, lack))
	}
	if m.Users == nil {
		miss("Reassign", "a directory (Manager.Users) to check the new owner")
		miss("Transfer", "a directory (Manager.Users) to check the heir")
	}
	if _, ok := m.Store.(UserRecords); !ok {
		miss("Transfer", "a store that lists a user's records (UserRecords)")
		miss("SyncUserDetails", "a store that lists a user's records (UserRecords)")
	}
	if _, ok := m.Store.(ChildLister); !ok {
		miss("Propagate", "a store that lists children (ChildLister)")
		miss("Reconcile", "a store that lists children (ChildLister)")
	}
	return out
}
