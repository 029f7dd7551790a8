package ownership

import (
	"context"
	"fmt"
	"iter"
	"slices"
)

// Access is the answer of [Policy.Who]: for one record and action, every
// user of a directory who may do it, each with the decision that allows
// it, and every user who may not, each with what they lack.
type Access struct {
	// Allowed are the decisions that allow, in the directory's order.
	Allowed []Decision
	// Denied are the decisions that deny, in the directory's order: their
	// reasons and explanations say what each user would need.
	Denied []Decision
}

// Who answers "who may do a to r, and why": it decides a on r for every
// user that users yields (with [Policy.Decide], so Allowed holds exactly
// the users Decide allows) and splits the decisions. Each allowed
// decision's [Decision.Basis] names what grants the access.
//
// Each user is decided as the subject [User.Subject] makes of it: in its
// tenant, with its queues, but without teams or a hierarchy, which need
// an organisation: [Org.Who] answers with them.
//
// The answer is never partial: an error from users, or a context that
// ends, returns that error and no Access. A directory that cannot list its
// users (no [UserLister]) is an error wrapping [ErrInvalid].
func (p *Policy) Who(ctx context.Context, users iter.Seq2[User, error], a Action, r Record) (Access, error) {
	if users == nil {
		return Access{}, fmt.Errorf("%w: Who: no users to ask about", ErrInvalid)
	}
	return p.WhoReaching(ctx, users, a, r, Reachers{})
}

// Reachers are, for one record, the users whose [Reach] holds one of its
// owners: what [Policy.WhoReaching] needs to know of an organisation, and
// all it needs, to decide for every user as with the user's full reach.
// [Org.Reachers] computes them in memory; a store can compute them in its
// query language.
type Reachers struct {
	// Teammates are the users with an owner of the record among their
	// teammates: the members of the owners' teams, and the managers of
	// those teams and of every team above them.
	Teammates map[UserID]bool
	// Managers are the users with an owner of the record among their
	// reports: the owners' managers, transitively.
	Managers map[UserID]bool
}

// WhoReaching is [Policy.Who] for users whose teams and hierarchy reach
// r's owners as rch says: each user u is decided as if its Reach held r's
// owners as teammates when rch.Teammates[u], as reports when
// rch.Managers[u], and r's queue when u lists it in [User.Queues]. With
// the reachers of an organisation, the answer is the one that deciding
// with every user's full Reach gives.
func (p *Policy) WhoReaching(ctx context.Context, users iter.Seq2[User, error], a Action, r Record, rch Reachers) (Access, error) {
	if users == nil {
		return Access{}, fmt.Errorf("%w: Who: no users to ask about", ErrInvalid)
	}
	w := newWhoer(p, a, r, rch, 0)
	for u, err := range users {
		if err != nil {
			return Access{}, wrapf(err, "listing the users for %s", r.Ref)
		}
		if err := w.add(ctx, &u); err != nil {
			return Access{}, err
		}
	}
	return w.acc, nil
}

// whoer decides one action on one record for user after user.
type whoer struct {
	p      *Policy
	a      Action
	r      Record
	rch    Reachers
	queue  QueueID
	shared [8]Reach
	acc    Access
}

// newWhoer prepares the decisions; hint is the number of users expected,
// or 0.
func newWhoer(p *Policy, a Action, r Record, rch Reachers, hint int) *whoer {
	w := &whoer{p: p, a: a, r: r, rch: rch, queue: r.Ownership.Queue()}
	// A subject's reach matters to a decision only through r's owners and
	// queue, so every user is decided with one of eight shared reaches:
	// the owners as teammates or not, as reports or not, and r's queue as
	// theirs or not. The decision is the one its full reach gives.
	var owners []UserID
	for e := range r.Ownership.All() {
		if e.Role == Owner && e.Queue == "" {
			owners = append(owners, e.UserID)
		}
	}
	for k := range w.shared {
		var t, rep []UserID
		var qs []QueueID
		if k&1 != 0 {
			t = owners
		}
		if k&2 != 0 {
			rep = owners
		}
		if k&4 != 0 && w.queue != "" {
			qs = []QueueID{w.queue}
		}
		w.shared[k] = NewReach(t, rep, qs)
	}
	if hint > 0 {
		// Most users of a directory are denied most records.
		w.acc.Denied = make([]Decision, 0, hint)
	}
	return w
}

// add decides for u.
func (w *whoer) add(ctx context.Context, u *User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := 0
	if w.rch.Teammates[u.ID] {
		k |= 1
	}
	if w.rch.Managers[u.ID] {
		k |= 2
	}
	if w.queue != "" && slices.Contains(u.Queues, w.queue) {
		k |= 4
	}
	// Decide keeps nothing: no copy of the roles.
	d := w.p.Decide(Subject{ID: u.ID, Roles: u.Roles, Tenant: u.Tenant, Reach: w.shared[k]}, w.a, w.r)
	if d.Allowed {
		w.acc.Allowed = append(w.acc.Allowed, d)
	} else {
		w.acc.Denied = append(w.acc.Denied, d)
	}
	return nil
}

// Who answers "who may do a to r, and why" over every user of the
// organisation, as [Policy.Who] does, with each user's teams, hierarchy
// and queues: Allowed holds exactly the users u for which
// p.Decide(o.Subject(u), a, r) allows, and [Decision.Basis] says whether
// through their teammates, their reports or their queue. It works from
// r's owners up (their teams' members and managers, their managers), so
// it does not compute every user's reach.
func (o *Org) Who(ctx context.Context, p *Policy, a Action, r Record) (Access, error) {
	if o == nil {
		return Access{}, fmt.Errorf("%w: Who: no organisation", ErrInvalid)
	}
	w := newWhoer(p, a, r, o.Reachers(r), len(o.order))
	for _, id := range o.order {
		if err := w.add(ctx, o.users[id]); err != nil {
			return Access{}, err
		}
	}
	return w.acc, nil
}

// Reachers returns the users whose reach holds one of r's owners.
func (o *Org) Reachers(r Record) Reachers {
	if o == nil {
		return Reachers{}
	}
	team, reports := map[UserID]bool{}, map[UserID]bool{}
	for e := range r.Ownership.All() {
		if e.Role != Owner || e.Queue != "" {
			continue
		}
		owner := o.users[e.UserID]
		if owner == nil {
			continue
		}
		for _, tid := range owner.Teams {
			t := o.teams[tid]
			for _, m := range t.members {
				team[m] = true
			}
			// The managers of the team and of every team above it.
			for at, hops := t, 0; at != nil && hops <= len(o.teams); at, hops = o.teams[at.Parent], hops+1 {
				for _, m := range at.Managers {
					team[m] = true
				}
				if at.Parent == "" {
					break
				}
			}
		}
		for _, m := range o.Above(e.UserID) {
			reports[m] = true
		}
	}
	return Reachers{Teammates: team, Managers: reports}
}

// UserLister is a [Directory] that can list every user, which
// [Policy.Who] needs to be complete.
type UserLister interface {
	Users(ctx context.Context) iter.Seq2[User, error]
}

// WhoIn is [Policy.Who] over every user of dir, which must list its users
// ([UserLister]): a directory that cannot is an error wrapping
// [ErrInvalid], never a partial answer.
func (p *Policy) WhoIn(ctx context.Context, dir Directory, a Action, r Record) (Access, error) {
	ul, ok := dir.(UserLister)
	if !ok {
		return Access{}, fmt.Errorf("%w: Who: the directory cannot list its users (UserLister), so the answer could not be complete", ErrInvalid)
	}
	return p.Who(ctx, ul.Users(ctx), a, r)
}

// Basis names what grants an allowed decision: "bypass", "owner",
// "follower", "unassigned pool", "queue" (a record held by a queue the
// subject is a member of), "teammates" (owned by someone in the subject's
// teams), "hierarchy" (owned by someone below the subject), "others'
// records" (a role whose scope reaches records owned by anyone else),
// "claim" (an unassigned record and a role that may claim), "queue claim"
// (the same for a record held by the subject's queue), "reassign" (a
// role that may reassign and update it), or "" for a denial.
func (d Decision) Basis() string {
	if !d.Allowed {
		return ""
	}
	switch d.Reason {
	case ReasonBypass:
		return "bypass"
	case ReasonClaimable:
		if d.Queue != "" {
			return "queue claim"
		}
		return "claim"
	case ReasonReassignable:
		return "reassign"
	case ReasonOwnerManages:
		return "owner"
	}
	switch d.Via {
	case Own:
		if d.ListRole == Follower {
			return "follower"
		}
		return "owner"
	case Unassigned:
		if d.Queue != "" {
			return "queue"
		}
		return "unassigned pool"
	case Teammates:
		return "teammates"
	case Reports:
		return "hierarchy"
	}
	return "others' records"
}
