package ownership

import (
	"context"
	"fmt"
	"iter"
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
// The answer is never partial: an error from users, or a context that
// ends, returns that error and no Access. A directory that cannot list its
// users (no [UserLister]) is an error wrapping [ErrInvalid].
func (p *Policy) Who(ctx context.Context, users iter.Seq2[User, error], a Action, r Record) (Access, error) {
	var acc Access
	if users == nil {
		return Access{}, fmt.Errorf("%w: Who: no users to ask about", ErrInvalid)
	}
	for u, err := range users {
		if err != nil {
			return Access{}, wrapf(err, "listing the users for %s", r.Ref)
		}
		if err := ctx.Err(); err != nil {
			return Access{}, err
		}
		d := p.Decide(Subject{ID: u.ID, Roles: u.Roles}, a, r) // Decide keeps nothing: no copy of the roles
		if d.Allowed {
			acc.Allowed = append(acc.Allowed, d)
		} else {
			acc.Denied = append(acc.Denied, d)
		}
	}
	return acc, nil
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
// "follower", "unassigned pool", "others' records" (a role whose scope
// reaches records owned by someone else), "claim" (an unassigned record
// and a role that may claim), "reassign" (a role that may reassign and
// update it), or "" for a denial.
func (d Decision) Basis() string {
	if !d.Allowed {
		return ""
	}
	switch d.Reason {
	case ReasonBypass:
		return "bypass"
	case ReasonClaimable:
		return "claim"
	case ReasonReassignable:
		return "reassign"
	case ReasonOwnerManages:
		return "owner"
	}
	switch d.Class {
	case Own:
		if d.ListRole == Follower {
			return "follower"
		}
		return "owner"
	case Unassigned:
		return "unassigned pool"
	}
	return "others' records"
}
