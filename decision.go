package ownership

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ownershipkit/ownership/internal/enum"
)

// Reason is the code of the rule that decided a [Decision]. Codes are
// stable and spelled in snake_case in text and JSON ("view_scope"), so
// hosts may log them, count them and branch on them.
type Reason uint8

// Reasons for an allowed decision.
const (
	// ReasonBypass: a role of the subject bypasses ownership.
	ReasonBypass Reason = iota + 1
	// ReasonInScope: the record's class is in a role's scope for the action
	// (and the field's scope, for a field).
	ReasonInScope
	// ReasonClaimable: the record is unassigned and a role grants claim.
	ReasonClaimable
	// ReasonReassignable: a role grants reassign and may update the record.
	ReasonReassignable
	// ReasonOwnerManages: the subject owns the record and has a role with a
	// grant for its type.
	ReasonOwnerManages

	// firstDenial separates allowing from denying reasons.
	firstDenial
)

// Reasons for a denial.
const (
	// ReasonUnknownAction: the action is not one of the six.
	ReasonUnknownAction Reason = firstDenial + iota
	// ReasonNoSubject: the request names no user.
	ReasonNoSubject
	// ReasonUnknownSubject: the user is not in the directory.
	ReasonUnknownSubject
	// ReasonNotFound: the record does not exist.
	ReasonNotFound
	// ReasonInvalidField: DecideField was asked about an empty field name.
	ReasonInvalidField
	// ReasonNoRoles: the subject has no roles.
	ReasonNoRoles
	// ReasonUnknownRole: none of the subject's roles exists in the policy.
	ReasonUnknownRole
	// ReasonNoGrant: no role of the subject has a grant for the record type.
	ReasonNoGrant
	// ReasonViewScope: no view scope reaches the record ("can't see").
	ReasonViewScope
	// ReasonUpdateScope: no update scope reaches the record ("can't edit").
	ReasonUpdateScope
	// ReasonDeleteScope: no delete scope reaches the record.
	ReasonDeleteScope
	// ReasonFollowerReadOnly: the subject follows the record, and followers
	// cannot update or delete through Own.
	ReasonFollowerReadOnly
	// ReasonFieldScope: the record-level scope allows, but the field's rule
	// does not.
	ReasonFieldScope
	// ReasonAlreadyAssigned: a claim of a record that has an owner.
	ReasonAlreadyAssigned
	// ReasonNoClaimPermission: no role grants claim.
	ReasonNoClaimPermission
	// ReasonNoReassignPermission: no role grants reassign.
	ReasonNoReassignPermission
	// ReasonReassignOutOfScope: a role grants reassign but cannot update
	// this record (the subject does not own it and lacks update scope).
	ReasonReassignOutOfScope
	// ReasonNotOwner: only owners (or a bypass role) manage ownership.
	ReasonNotOwner
	// ReasonSynced: the record's ownership is synced from its parent, so
	// it cannot be changed directly, not even by a bypass role.
	ReasonSynced
	// ReasonTargetCannotView: a reassignment or transfer to a user who
	// could not view the record afterwards.
	ReasonTargetCannotView
	// ReasonUnknownTarget: a reassignment or transfer to a user who is not
	// in the directory. It is a denial, not [ErrNotFound]: the record
	// exists, the target does not.
	ReasonUnknownTarget
	// ReasonInactiveTarget: a reassignment or transfer to a user who is
	// inactive and takes no new records.
	ReasonInactiveTarget
	// ReasonUndeclaredField: DecideField was asked about a field that the
	// record type does not declare (see [RecordType]).
	ReasonUndeclaredField
	// ReasonInvalidMode: the record's Mode is neither [Independent] nor
	// [SyncWithParent], so where its ownership comes from is unknown.
	ReasonInvalidMode
	// ReasonOtherTenant: the record belongs to another tenant than the
	// subject (or the policy), and no platform role of the subject crosses
	// tenants. To the subject it is a missing record.
	ReasonOtherTenant
	// ReasonNotQueueMember: a claim of a record held by a queue the
	// subject is not a member of.
	ReasonNotQueueMember

	reasonEnd
)

var reasonNames = enum.New[Reason]("Reason", "reason", reasonName[:]...)

var reasonName = [...]string{
	ReasonBypass:               "bypass",
	ReasonInScope:              "in_scope",
	ReasonClaimable:            "claimable",
	ReasonReassignable:         "reassignable",
	ReasonOwnerManages:         "owner_manages",
	ReasonUnknownAction:        "unknown_action",
	ReasonNoSubject:            "no_subject",
	ReasonUnknownSubject:       "unknown_subject",
	ReasonNotFound:             "not_found",
	ReasonInvalidField:         "invalid_field",
	ReasonNoRoles:              "no_roles",
	ReasonUnknownRole:          "unknown_role",
	ReasonNoGrant:              "no_grant",
	ReasonViewScope:            "view_scope",
	ReasonUpdateScope:          "update_scope",
	ReasonDeleteScope:          "delete_scope",
	ReasonFollowerReadOnly:     "follower_read_only",
	ReasonFieldScope:           "field_scope",
	ReasonAlreadyAssigned:      "already_assigned",
	ReasonNoClaimPermission:    "no_claim_permission",
	ReasonNoReassignPermission: "no_reassign_permission",
	ReasonReassignOutOfScope:   "reassign_out_of_scope",
	ReasonNotOwner:             "not_owner",
	ReasonSynced:               "synced",
	ReasonTargetCannotView:     "target_cannot_view",
	ReasonUnknownTarget:        "unknown_target",
	ReasonInactiveTarget:       "inactive_target",
	ReasonUndeclaredField:      "undeclared_field",
	ReasonInvalidMode:          "invalid_mode",
	ReasonOtherTenant:          "other_tenant",
	ReasonNotQueueMember:       "not_queue_member",
}

// String returns the reason's code, such as "view_scope", or "Reason(n)".
func (r Reason) String() string { return reasonNames.String(r) }

// Allows reports whether the reason is one for an allowed decision.
func (r Reason) Allows() bool { return r > 0 && r < firstDenial }

// Valid reports whether r is one of the reasons.
func (r Reason) Valid() bool { return reasonNames.Valid(r) }

// ParseReason parses a reason code, such as "view_scope".
func ParseReason(s string) (Reason, error) { return reasonNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the Reasons is an error rather than a string that would not parse.
func (r Reason) MarshalText() ([]byte, error) { return reasonNames.MarshalText(r) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (r *Reason) UnmarshalText(b []byte) error { return reasonNames.UnmarshalText(r, b) }

// Decision is the answer to one question "may S do A on R?": whether it is
// allowed, the [Reason] code, and what the explanation needs. The zero
// Decision is a denial.
type Decision struct {
	Allowed bool
	Reason  Reason
	Subject UserID
	Action  Action
	Record  Ref
	// Field is the field asked about, or "".
	Field string
	// DecidingRole is the name of the policy role that allowed the
	// action, or "" for a denial.
	DecidingRole string
	// Class is the record's class for the subject and action (Own,
	// Unassigned or Others, with Teammates and Reports when they narrow
	// Others), or None when the decision came before it (an unknown
	// action, a missing record).
	Class Scope
	// Via is, for a decision allowed by a scope, the class of the record
	// through which the deciding role's scope reached it: Own,
	// Unassigned, Others, Teammates or Reports, in that order of preference.
	Via Scope
	// Scope is the union of the subject's scopes for the action on the
	// record's type (for Reassign: the update scopes of the roles that
	// grant reassign).
	Scope Scope
	// FieldScope is the union of the field rules' scopes met for Field.
	FieldScope Scope
	// Owner is the record's first owner, or "" when it is unassigned.
	Owner UserID
	// Queue is the queue that holds the record, or "".
	Queue QueueID
	// Tenant is the record's tenant, for [ReasonOtherTenant].
	Tenant TenantID
	// ListRole is the subject's role on the record's ownership list,
	// [Owner] or [Follower], or zero when the subject is not on it.
	ListRole Role
	// Parent is, for a record synced with its parent, the parent whose
	// ownership the record follows: the explanation of a denial then
	// points there, where the ownership can change. It is zero for an
	// independent record.
	Parent Ref
	// Target is the user a reassignment or transfer was to move the record
	// to, for ReasonTargetCannotView.
	Target UserID
}

// Err returns nil for an allowed decision, and otherwise an error that
// wraps [ErrDenied] (and also [ErrSynced] for a synced record, [ErrNotFound]
// for a missing one) and whose message is the explanation. [DenialOf]
// recovers the decision from it.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return &DeniedError{Decision: d}
}

// DeniedError is the error form of a denial; see [Decision.Err].
//
// A nil *DeniedError stands for the zero Decision: a denial without a
// reason.
type DeniedError struct {
	Decision Decision
}

// decision returns e's decision, the zero Decision for a nil e.
func (e *DeniedError) decision() Decision {
	if e == nil {
		return Decision{}
	}
	return e.Decision
}

// Error returns the decision's explanation.
func (e *DeniedError) Error() string { return "ownership: " + e.decision().Explain() }

// Is makes errors.Is match ErrDenied, and ErrSynced or ErrNotFound when the
// reason says so.
func (e *DeniedError) Is(target error) bool {
	reason := e.decision().Reason
	switch target {
	case ErrDenied:
		return true
	case ErrSynced:
		return reason == ReasonSynced
	case ErrNotFound:
		return reason == ReasonNotFound || reason == ReasonUnknownSubject
	case ErrConflict:
		return reason == ReasonAlreadyAssigned
	}
	return false
}

// DenialOf returns the decision carried by err, if err wraps a
// [DeniedError]. A nil *DeniedError carries the zero Decision, a denial.
func DenialOf(err error) (Decision, bool) {
	var de *DeniedError
	if errors.As(err, &de) {
		return de.decision(), true
	}
	return Decision{}, false
}

// String returns "allow" or "deny", the reason code and the explanation,
// as in "deny view_scope: rep1 cannot view contact/c3: ...".
func (d Decision) String() string {
	verdict := "deny"
	if d.Allowed {
		verdict = "allow"
	}
	return verdict + " " + d.Reason.String() + ": " + d.Explain()
}

// Explain returns one sentence that says why, and for a denial what would
// change the answer.
func (d Decision) Explain() string {
	who := string(d.Subject)
	if who == "" {
		who = "the caller"
	}
	what := d.Action.String()
	if d.Action == ManageOwnership {
		what = "manage the ownership of"
	}
	target := d.Record.String()
	switch {
	case target == "" && (d.Reason == ReasonUnknownTarget || d.Reason == ReasonInactiveTarget):
		target = "records to " + string(d.Target) // a transfer
	case target == "":
		target = "a record with no reference"
	}
	if d.Field != "" {
		target = "field " + d.Field + " of " + target
	}
	if d.Allowed {
		return fmt.Sprintf("%s may %s %s: %s", who, what, target, d.allowWhy())
	}
	return fmt.Sprintf("%s cannot %s %s: %s", who, what, target, d.denyWhy())
}

// source names where the record's ownership can be changed: the record
// itself ("it"), or the parent it is synced with.
func (d Decision) source() string {
	if d.Parent.IsZero() {
		return "it"
	}
	return d.Parent.String()
}

// ForSubject returns the explanation for the subject themselves, to show
// to an end user: one sentence that says what they may ask for, in the
// second person. Unlike [Decision.Explain], it never names another user
// (an owner, a reassignment target) and never names another record (the
// parent of a synced record, which the subject may not be allowed to
// see), so it is safe to show whatever the decision. It does not by
// itself hide whether a record exists: answer a view denial as a missing
// record, as the ownhttp package does.
func (d Decision) ForSubject() string {
	what := d.Record.Type
	if what == "" {
		what = "record"
	}
	this := "this " + what
	verb := d.Action.String()
	if d.Action == ManageOwnership {
		verb = "manage the owners and followers of"
	}
	if d.Allowed {
		if d.Field != "" {
			return fmt.Sprintf("You may %s field %s of %s.", verb, d.Field, this)
		}
		return fmt.Sprintf("You may %s %s.", verb, this)
	}
	// it is where ownership can change: the record, or (synced) the record
	// it belongs to, left unnamed.
	it := "it"
	if !d.Parent.IsZero() {
		it = "the record it belongs to"
	}
	switch d.Reason {
	case ReasonUnknownAction:
		return "This action is not known."
	case ReasonNoSubject:
		return "You are not signed in."
	case ReasonUnknownSubject:
		return "Your account is not known here; ask an administrator."
	case ReasonNotFound, ReasonOtherTenant:
		// Another tenant's record is, to the subject, a missing one.
		return fmt.Sprintf("This %s does not exist, or you may not see it.", what)
	case ReasonNotQueueMember:
		return fmt.Sprintf("%s waits in a queue you are not a member of; ask to join that queue, or ask a manager to assign it to you.", capitalize(this))
	case ReasonInvalidField:
		return "Name the field to check."
	case ReasonUndeclaredField:
		return fmt.Sprintf("A %s has no field %q.", what, d.Field)
	case ReasonNoRoles:
		return "Your account has no role yet; ask an administrator for one."
	case ReasonUnknownRole:
		return "Your roles are not set up here; ask an administrator."
	case ReasonNoGrant:
		return fmt.Sprintf("You have no access to %s records; ask an administrator for it.", what)
	case ReasonViewScope, ReasonUpdateScope, ReasonDeleteScope, ReasonFieldScope:
		act := verb
		if d.Reason == ReasonFieldScope {
			act = verb + " field " + d.Field + " of"
		}
		switch {
		case d.Class&Others != 0 && d.Scope&(Teammates|Reports)&^d.Class != 0:
			return fmt.Sprintf("You may not %s %s: it belongs to someone %s; ask a manager to make you the owner of %s, or for wider %s access.", act, this, d.outside(), it, verb)
		case d.Class&Others != 0:
			return fmt.Sprintf("You may not %s %s; ask a manager to make you the owner of %s, or for wider %s access.", act, this, it, verb)
		case d.Class == Unassigned && d.Queue != "":
			return fmt.Sprintf("You may not %s %s while it waits in your queue; claim %s if you may, or ask for %s access to unassigned records.", act, this, it, verb)
		case d.Class == Unassigned:
			return fmt.Sprintf("You may not %s %s while it is unassigned; claim %s if you may, or ask for %s access to unassigned records.", act, this, it, verb)
		}
		return fmt.Sprintf("You may not %s %s; ask an administrator for %s access to your own records.", act, this, verb)
	case ReasonFollowerReadOnly:
		if it != "it" {
			return fmt.Sprintf("You follow %s, and followers may only view it; ask an owner of %s to make you an owner.", this, it)
		}
		return fmt.Sprintf("You follow %s, and followers may only view it; ask an owner to make you an owner.", this)
	case ReasonAlreadyAssigned:
		if d.ListRole == Owner {
			return fmt.Sprintf("You already own %s.", this)
		}
		return fmt.Sprintf("%s is already assigned to someone else; ask a manager to reassign it to you.", capitalize(this))
	case ReasonNoClaimPermission:
		return fmt.Sprintf("You may not claim %s records; ask a manager to assign this one to you.", what)
	case ReasonNoReassignPermission:
		return fmt.Sprintf("You may not reassign %s records; ask a manager to reassign this one.", what)
	case ReasonReassignOutOfScope:
		return fmt.Sprintf("You may reassign only the %s records you may update; ask its owner or a manager.", what)
	case ReasonNotOwner:
		if it != "it" {
			return fmt.Sprintf("Only the owners of %s or an administrator may change who owns and follows %s; ask one of them.", it, this)
		}
		return fmt.Sprintf("Only the owners of %s or an administrator may change who owns and follows it; ask one of them.", this)
	case ReasonSynced:
		return fmt.Sprintf("%s takes its owners from the record it belongs to; change them there.", capitalize(this))
	case ReasonTargetCannotView:
		return fmt.Sprintf("The person you picked could not see %s; pick someone whose role can.", this)
	case ReasonInvalidMode:
		return fmt.Sprintf("%s is stored in a way this application cannot read; ask an administrator to repair it.", capitalize(this))
	case ReasonUnknownTarget:
		return "The person you picked is not known; pick an existing user."
	case ReasonInactiveTarget:
		return "The person you picked is inactive; pick an active user."
	}
	return "You may not do this."
}

// outside says which of the subject's Teammates and Reports classes the
// record is not in, of those its scope holds, naming nobody.
func (d Decision) outside() string {
	switch missing := d.Scope & (Teammates | Reports) &^ d.Class; missing {
	case Teammates:
		return "outside your teams"
	case Reports:
		return "who does not report to you"
	}
	return "outside your teams who does not report to you"
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// state describes the record as the subject sees it; for a synced record,
// through its parent.
func (d Decision) state() string { return d.through(d.ownState()) }

// through adds to the description of a synced record's ownership the
// parent it comes from.
func (d Decision) through(state string) string {
	if d.Parent.IsZero() {
		return state
	}
	return state + " (its ownership follows its parent " + d.Parent.String() + ")"
}

func (d Decision) ownState() string {
	switch {
	case d.Class == Own:
		if d.ListRole == Owner {
			return "you own it"
		}
		return "you follow it"
	case d.Class == Unassigned && d.Queue != "":
		return "it is held by queue " + string(d.Queue) + " (you are a member)"
	case d.Class == Unassigned:
		return "it is unassigned"
	case d.Class&Others != 0 && d.Owner == "" && d.Queue != "":
		return "it is held by queue " + string(d.Queue) + " (you are not a member)"
	case d.Class&Others != 0:
		who := "someone else"
		if d.Owner != "" {
			who = string(d.Owner)
		}
		var rel []string
		if d.Class&Teammates != 0 {
			rel = append(rel, "in your teams")
		}
		if d.Class&Reports != 0 {
			rel = append(rel, "below you in the hierarchy")
		}
		var missing Scope // what a denial's scope looked for in vain
		if !d.Allowed {
			missing = d.Scope & (Teammates | Reports) &^ d.Class
		}
		if missing&Teammates != 0 {
			rel = append(rel, "outside your teams")
		}
		if missing&Reports != 0 {
			rel = append(rel, "not below you in the hierarchy")
		}
		if len(rel) > 0 {
			return "it is owned by " + who + " (" + strings.Join(rel, "; ") + ")"
		}
		return "it is owned by " + who
	}
	return "its ownership is unknown"
}

func (d Decision) allowWhy() string {
	switch d.Reason {
	case ReasonBypass:
		return "role " + d.DecidingRole + " bypasses ownership"
	case ReasonInScope:
		if d.Field != "" {
			return fmt.Sprintf("%s, and role %s's %s scope covers it, for the record and for field %s", d.state(), d.DecidingRole, d.Action, d.Field)
		}
		return fmt.Sprintf("%s, and role %s's %s scope covers it", d.state(), d.DecidingRole, d.Action)
	case ReasonClaimable:
		if d.Queue != "" {
			return "it is held by queue " + string(d.Queue) + ", of which you are a member, and role " + d.DecidingRole + " may claim"
		}
		return "it is unassigned and role " + d.DecidingRole + " may claim"
	case ReasonReassignable:
		return fmt.Sprintf("role %s may reassign, and it may update this record (%s)", d.DecidingRole, d.state())
	case ReasonOwnerManages:
		return "you own it, and owners manage its owners and followers"
	}
	return "allowed"
}

func (d Decision) denyWhy() string {
	what := d.Record.Type
	if what == "" {
		what = "record"
	}
	switch d.Reason {
	case ReasonUnknownAction:
		return "the action is unknown; use view, update, delete, claim, reassign or manage_ownership"
	case ReasonNoSubject:
		return "the request names no user; pass the signed-in user's id"
	case ReasonUnknownSubject:
		return "the user is not in the directory; check the id or add the user"
	case ReasonNotFound:
		return "the record does not exist; check the reference"
	case ReasonOtherTenant:
		if d.Action == Claim {
			return fmt.Sprintf("it belongs to tenant %q, and your tenant or the policy's is another; no role claims across tenants, a platform role included, since a claim would put you on another tenant's record", d.Tenant)
		}
		return fmt.Sprintf("it belongs to tenant %q, and your tenant or the policy's is another; only a platform role crosses tenants", d.Tenant)
	case ReasonNotQueueMember:
		return fmt.Sprintf("it is held by queue %s, of which you are not a member; ask to join queue %s, or ask a manager to assign it to you", d.Queue, d.Queue)
	case ReasonInvalidField:
		return "a field-level check needs a field name"
	case ReasonNoRoles:
		return "you have no roles; ask an administrator to assign you one"
	case ReasonUnknownRole:
		return "none of your roles exists in the policy; ask an administrator to fix your role assignment"
	case ReasonNoGrant:
		return fmt.Sprintf("none of your roles grants anything on %s records; ask an administrator for a role with access to them", what)
	case ReasonViewScope, ReasonUpdateScope, ReasonDeleteScope:
		return fmt.Sprintf("%s and your %s scope is %s; %s", d.state(), d.Action, d.Scope, d.scopeRemedy(""))
	case ReasonFollowerReadOnly:
		if d.Parent.IsZero() {
			return fmt.Sprintf("you follow it, and followers have read-only access (your %s scope is %s); ask an owner to make you an owner, or ask a manager to reassign it to you", d.Action, d.Scope)
		}
		return fmt.Sprintf("%s, and followers have read-only access (your %s scope is %s); ask an owner of %s to make you an owner, or ask a manager to reassign %s to you", d.through("you follow it"), d.Action, d.Scope, d.Parent, d.Parent)
	case ReasonFieldScope:
		return fmt.Sprintf("%s and your %s scope for field %s is %s; %s", d.state(), d.Action, d.Field, d.FieldScope, d.scopeRemedy(d.Field))
	case ReasonAlreadyAssigned:
		if d.ListRole == Owner {
			return "you already own it; only unassigned records can be claimed"
		}
		return fmt.Sprintf("it is already assigned to %s; only unassigned records can be claimed, so ask %s or a manager to reassign it", d.Owner, d.Owner)
	case ReasonNoClaimPermission:
		if d.Queue != "" {
			return d.ownState() + ", but none of your roles may claim; ask an administrator for the claim permission, or a manager to assign it to you"
		}
		return "it is unassigned, but none of your roles may claim; ask an administrator for the claim permission, or a manager to assign it to you"
	case ReasonNoReassignPermission:
		return "none of your roles may reassign; request the reassign permission, or ask a manager to reassign it"
	case ReasonReassignOutOfScope:
		return fmt.Sprintf("%s and the update scope of your roles that may reassign is %s; only its owner or a manager with update scope All can reassign it", d.state(), d.Scope)
	case ReasonNotOwner:
		if !d.Parent.IsZero() {
			return fmt.Sprintf("%s; only the owners of %s or an administrator may change where its ownership comes from", d.state(), d.Parent)
		}
		if d.Owner != "" {
			return fmt.Sprintf("only its owners or an administrator may change its owners and followers; ask %s or an administrator", d.Owner)
		}
		return "only its owners or an administrator may change its owners and followers; claim it first, or ask an administrator"
	case ReasonUnknownTarget:
		return fmt.Sprintf("%s is not in the directory; pick an existing user", d.Target)
	case ReasonInactiveTarget:
		return fmt.Sprintf("%s is inactive and takes no new records; pick an active user", d.Target)
	case ReasonUndeclaredField:
		return fmt.Sprintf("%s records have no field %q; use a field the record type declares", what, d.Field)
	case ReasonInvalidMode:
		return "its ownership mode is neither independent nor sync_with_parent; fix the record's mode"
	case ReasonTargetCannotView:
		return fmt.Sprintf("%s could not view it afterwards (their view scope is %s); pick a user whose role may view it, or widen that role's view scope", d.Target, d.Scope)
	case ReasonSynced:
		if !d.Parent.IsZero() {
			return fmt.Sprintf("its ownership is synced from its parent %s; change the ownership of %s instead, or switch it to independent ownership", d.Parent, d.Parent)
		}
		return "its ownership is synced from its parent; change the parent's ownership instead, or switch it to independent ownership"
	}
	return "denied"
}

// article returns "a view", "an update", "a delete".
func article(a Action) string {
	if a == Update {
		return "an update"
	}
	return "a " + a.String()
}

// scopeRemedy says what to ask for so that scope s reaches the record's
// class.
func (d Decision) scopeRemedy(field string) string {
	on := ""
	if field != "" {
		on = " for field " + field
	}
	it := d.source()
	switch d.Class &^ (Teammates | Reports) {
	case Others:
		return fmt.Sprintf("ask a manager to reassign %s to you, or to widen your %s scope%s to All", it, d.Action, on)
	case Unassigned:
		if d.Action == View || d.Action == Update {
			return fmt.Sprintf("claim %s if your role may, or ask for %s scope%s that includes Unassigned", it, article(d.Action), on)
		}
		return fmt.Sprintf("ask for %s scope%s that includes Unassigned", article(d.Action), on)
	case Own:
		return fmt.Sprintf("ask an administrator for %s scope%s that includes Own", article(d.Action), on)
	}
	return "ask an administrator to widen your scope"
}
