package ownership

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership/internal/jsontest"
	"github.com/ownershipkit/ownership/internal/strictjson"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testPolicy has one role per situation the decision rules distinguish,
// drawn from the three seed models.
func testPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := NewPolicy(map[string]RoleDef{
		"admin":   {Bypass: true},
		"manager": {Types: map[string]Permissions{AnyType: {View: All, Update: All, Delete: All, Claim: true, Reassign: true}}},
		// CRM: owned + unassigned view, owned update, may claim.
		"sales_rep": {Types: map[string]Permissions{"contact": {View: Own | Unassigned, Update: Own, Claim: true}}},
		// CRM: like a rep, without claim.
		"support": {Types: map[string]Permissions{"contact": {View: Own | Unassigned, Update: Own}}},
		// Journey platform: owners and followers only.
		"journey_manager": {Types: map[string]Permissions{AnyType: {View: Own, Update: Own, Delete: Own}}},
		// A role whose contact grant replaces its "*" grant.
		"narrowed": {Types: map[string]Permissions{
			AnyType:   {View: All, Update: All},
			"contact": {View: Own},
		}},
		// May reassign, but updates only its own records.
		"reassigner": {Types: map[string]Permissions{"contact": {View: All, Update: Own, Reassign: true}}},
		// Updates everything, without reassign.
		"editor": {Types: map[string]Permissions{"contact": {View: All, Update: All}}},
		// Followers reach unassigned records through Unassigned.
		"pool_editor": {Types: map[string]Permissions{"contact": {View: Unassigned, Update: Unassigned}}},
		// Contract system: own/other per field.
		"account_executive": {Types: map[string]Permissions{"contract": {View: All, Update: All,
			Fields: map[string]FieldRule{"amount": {View: All, Update: All}}}}},
		"account_manager": {Types: map[string]Permissions{"contract": {View: All, Update: All,
			Fields: map[string]FieldRule{"amount": {View: All, Update: Own}}}}},
		"support_rep": {Types: map[string]Permissions{"contract": {View: All, Update: Own,
			Fields: map[string]FieldRule{"amount": {View: Others}}}}},
		"end_user": {Types: map[string]Permissions{"contract": {View: All, Update: Own}}},
		// A grant that grants nothing: owners may still manage ownership.
		"empty_grant": {Types: map[string]Permissions{"contact": {}}},
		// HubSpot's team view: own and teammates' records; updates reach
		// the records of the people who report to the subject.
		"team_rep": {Types: map[string]Permissions{"contact": {View: Own | Teammates, Update: Own | Reports, Reassign: true}}},
		// A support agent working a queue of tickets.
		"queue_agent": {Types: map[string]Permissions{"ticket": {View: Own | Unassigned, Update: Own, Claim: true}}},
		// The host's operator: views every tenant's records.
		"operator": {Platform: true, Types: map[string]Permissions{AnyType: {View: All}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rec(ref string, es ...Entry) Record {
	return Record{Ref: MustRef(ref), Ownership: MustList(es...)}
}

func synced(r Record) Record {
	r.Mode = SyncWithParent
	r.Parent = MustRef("contact/c1")
	return r
}

func own(u UserID) Entry    { return Entry{UserID: u, Role: Owner} }
func follow(u UserID) Entry { return Entry{UserID: u, Role: Follower} }

func who(id UserID, roles ...string) Subject { return Subject{ID: id, Roles: roles} }

// in returns s in tenant t.
func in(t TenantID, s Subject) Subject {
	s.Tenant = t
	return s
}

// reaching returns s with a reach: teammates, reports and queues.
func reaching(s Subject, team, reports []UserID, queues ...QueueID) Subject {
	s.Reach = NewReach(team, reports, queues)
	return s
}

func queued(q QueueID) Entry { return Entry{Queue: q, Role: Owner} }

func tenant(t TenantID, r Record) Record {
	r.Tenant = t
	return r
}

type decideCase struct {
	name   string
	s      Subject
	a      Action
	r      Record
	field  string
	allow  bool
	reason Reason
	role   string // the role that allowed, when allow
}

// decideCases walks the decision rules of the design clause by clause.
var decideCases = []decideCase{
	// Rule 1: deny unknown subjects, actions, missing records.
	{name: "no subject id", s: who("", "admin"), a: View, r: rec("contact/c1"), reason: ReasonNoSubject},
	{name: "zero action", s: who("ann", "admin"), a: 0, r: rec("contact/c1"), reason: ReasonUnknownAction},
	{name: "action out of range", s: who("ann", "admin"), a: ManageOwnership + 1, r: rec("contact/c1"), reason: ReasonUnknownAction},
	{name: "missing record", s: who("ann", "admin"), a: View, r: Record{}, reason: ReasonNotFound},
	{name: "record without id", s: who("ann", "admin"), a: View, r: Record{Ref: Ref{Type: "contact"}}, reason: ReasonNotFound},
	{name: "record type with slash", s: who("ann", "admin"), a: View, r: Record{Ref: Ref{Type: "a/b", ID: "1"}}, reason: ReasonNotFound},
	{name: "no roles", s: who("ann"), a: View, r: rec("contact/c1"), reason: ReasonNoRoles},
	{name: "unknown role", s: who("ann", "ghost"), a: View, r: rec("contact/c1"), reason: ReasonUnknownRole},
	{name: "unknown role beside a known one", s: who("ann", "ghost", "manager"), a: View, r: rec("contact/c1", own("bob")), allow: true, reason: ReasonInScope, role: "manager"},
	{name: "no grant for the type", s: who("ann", "sales_rep"), a: View, r: rec("invoice/i1"), reason: ReasonNoGrant},

	// Rule 3: classes.
	{name: "owner views through Own", s: who("ann", "journey_manager"), a: View, r: rec("contact/c1", own("ann")), allow: true, reason: ReasonInScope, role: "journey_manager"},
	{name: "follower views through Own", s: who("ann", "journey_manager"), a: View, r: rec("contact/c1", own("bob"), follow("ann")), allow: true, reason: ReasonInScope, role: "journey_manager"},
	{name: "follower cannot update through Own", s: who("ann", "journey_manager"), a: Update, r: rec("contact/c1", own("bob"), follow("ann")), reason: ReasonFollowerReadOnly},
	{name: "follower cannot delete through Own", s: who("ann", "journey_manager"), a: Delete, r: rec("contact/c1", own("bob"), follow("ann")), reason: ReasonFollowerReadOnly},
	{name: "follower updates through Others", s: who("ann", "editor"), a: Update, r: rec("contact/c1", own("bob"), follow("ann")), allow: true, reason: ReasonInScope, role: "editor"},
	{name: "follower of unassigned updates through Unassigned", s: who("ann", "pool_editor"), a: Update, r: rec("contact/c1", follow("ann")), allow: true, reason: ReasonInScope, role: "pool_editor"},
	{name: "follower of unassigned is Own for view, not Unassigned", s: who("ann", "pool_editor"), a: View, r: rec("contact/c1", follow("ann")), reason: ReasonViewScope},
	{name: "follower of unassigned views through Own", s: who("ann", "journey_manager"), a: View, r: rec("contact/c1", follow("ann")), allow: true, reason: ReasonInScope, role: "journey_manager"},
	{name: "unassigned reached through Unassigned", s: who("ann", "sales_rep"), a: View, r: rec("contact/c1"), allow: true, reason: ReasonInScope, role: "sales_rep"},
	{name: "followers only is unassigned", s: who("ann", "sales_rep"), a: View, r: rec("contact/c1", follow("bob")), allow: true, reason: ReasonInScope, role: "sales_rep"},
	{name: "unassigned not reached through Own", s: who("ann", "journey_manager"), a: View, r: rec("contact/c1"), reason: ReasonViewScope},
	{name: "unassigned update needs Unassigned", s: who("ann", "sales_rep"), a: Update, r: rec("contact/c1"), reason: ReasonUpdateScope},
	{name: "others not reached through Own|Unassigned", s: who("ann", "sales_rep"), a: View, r: rec("contact/c3", own("rep2")), reason: ReasonViewScope},
	{name: "others' update needs Others", s: who("ann", "sales_rep"), a: Update, r: rec("contact/c3", own("rep2")), reason: ReasonUpdateScope},
	{name: "others' delete needs Others", s: who("ann", "journey_manager"), a: Delete, r: rec("contact/c3", own("rep2")), reason: ReasonDeleteScope},
	{name: "co-owner is Own", s: who("ann", "journey_manager"), a: Delete, r: rec("contact/c1", own("bob"), own("ann")), allow: true, reason: ReasonInScope, role: "journey_manager"},
	{name: "owner and follower entries: owner wins", s: who("ann", "journey_manager"), a: Update, r: rec("contact/c1", follow("ann"), own("ann")), allow: true, reason: ReasonInScope, role: "journey_manager"},
	{name: "Own not in scope denies the owner", s: who("ann", "pool_editor"), a: Update, r: rec("contact/c1", own("ann")), reason: ReasonUpdateScope},

	// Rule 4: roles one by one; a type grant replaces "*".
	{name: "any role may allow", s: who("ann", "support", "manager"), a: Update, r: rec("contact/c3", own("rep2")), allow: true, reason: ReasonInScope, role: "manager"},
	{name: "first allowing role is named", s: who("ann", "sales_rep", "manager"), a: View, r: rec("contact/c1"), allow: true, reason: ReasonInScope, role: "sales_rep"},
	{name: "type grant replaces the * grant", s: who("ann", "narrowed"), a: View, r: rec("contact/c3", own("rep2")), reason: ReasonViewScope},
	{name: "type grant replaces the * grant for update too", s: who("ann", "narrowed"), a: Update, r: rec("contact/c1", own("ann")), reason: ReasonUpdateScope},
	{name: "* grant applies to other types", s: who("ann", "narrowed"), a: Update, r: rec("order/o1", own("rep2")), allow: true, reason: ReasonInScope, role: "narrowed"},

	// Rule 5: bypass, fields.
	{name: "bypass views", s: who("root", "admin"), a: View, r: rec("contact/c3", own("rep2")), allow: true, reason: ReasonBypass, role: "admin"},
	{name: "bypass deletes", s: who("root", "admin"), a: Delete, r: rec("invoice/i1", own("rep2")), allow: true, reason: ReasonBypass, role: "admin"},
	{name: "bypass claims an assigned record", s: who("root", "admin"), a: Claim, r: rec("contact/c3", own("rep2")), allow: true, reason: ReasonBypass, role: "admin"},
	{name: "bypass manages ownership", s: who("root", "admin"), a: ManageOwnership, r: rec("contact/c3", own("rep2")), allow: true, reason: ReasonBypass, role: "admin"},
	{name: "bypass edits any field", s: who("root", "admin"), a: Update, r: rec("contract/k1", own("am2")), field: "amount", allow: true, reason: ReasonBypass, role: "admin"},
	{name: "executive edits amount on others' contracts", s: who("ae", "account_executive"), a: Update, r: rec("contract/k1", own("am2")), field: "amount", allow: true, reason: ReasonInScope, role: "account_executive"},
	{name: "manager edits amount on own contract", s: who("am1", "account_manager"), a: Update, r: rec("contract/k1", own("am1")), field: "amount", allow: true, reason: ReasonInScope, role: "account_manager"},
	{name: "manager cannot edit amount on others'", s: who("am1", "account_manager"), a: Update, r: rec("contract/k1", own("am2")), field: "amount", reason: ReasonFieldScope},
	{name: "field without a rule follows the record", s: who("am1", "account_manager"), a: Update, r: rec("contract/k1", own("am2")), field: "notes", allow: true, reason: ReasonInScope, role: "account_manager"},
	{name: "support views amount on others'", s: who("sr", "support_rep"), a: View, r: rec("contract/k1", own("am2")), field: "amount", allow: true, reason: ReasonInScope, role: "support_rep"},
	{name: "support cannot view amount on own (View Other only)", s: who("sr", "support_rep"), a: View, r: rec("contract/k1", own("sr")), field: "amount", reason: ReasonFieldScope},
	{name: "support cannot edit amount: omitted field scope is None", s: who("sr", "support_rep"), a: Update, r: rec("contract/k1", own("sr")), field: "amount", reason: ReasonFieldScope},
	{name: "field rule cannot widen the record scope", s: who("sr", "support_rep"), a: Update, r: rec("contract/k1", own("am2")), field: "notes", reason: ReasonUpdateScope},
	{name: "end user edits own contract", s: who("eu", "end_user"), a: Update, r: rec("contract/k1", own("eu")), allow: true, reason: ReasonInScope, role: "end_user"},
	{name: "end user views others' contract", s: who("eu", "end_user"), a: View, r: rec("contract/k2", own("am2")), allow: true, reason: ReasonInScope, role: "end_user"},
	{name: "end user cannot edit others' contract", s: who("eu", "end_user"), a: Update, r: rec("contract/k2", own("am2")), reason: ReasonUpdateScope},
	{name: "delete with a field follows the record", s: who("am1", "account_manager"), a: Delete, r: rec("contract/k1", own("am1")), field: "amount", reason: ReasonDeleteScope},
	{name: "bypass deletes with a field", s: who("root", "admin"), a: Delete, r: rec("contract/k1"), field: "amount", allow: true, reason: ReasonBypass, role: "admin"},
	{name: "claim with a field follows the record", s: who("ann", "sales_rep"), a: Claim, r: rec("contact/c1"), field: "phone", allow: true, reason: ReasonClaimable, role: "sales_rep"},

	// Rule 6: ownership changes.
	{name: "claim unassigned", s: who("ann", "sales_rep"), a: Claim, r: rec("contact/c1"), allow: true, reason: ReasonClaimable, role: "sales_rep"},
	{name: "claim followers-only record", s: who("ann", "sales_rep"), a: Claim, r: rec("contact/c1", follow("bob")), allow: true, reason: ReasonClaimable, role: "sales_rep"},
	{name: "claim assigned", s: who("ann", "sales_rep"), a: Claim, r: rec("contact/c3", own("rep2")), reason: ReasonAlreadyAssigned},
	{name: "claim own record", s: who("ann", "sales_rep"), a: Claim, r: rec("contact/c3", own("ann")), reason: ReasonAlreadyAssigned},
	{name: "claim without permission", s: who("ann", "support"), a: Claim, r: rec("contact/c1"), reason: ReasonNoClaimPermission},
	{name: "reassign by manager", s: who("boss", "manager"), a: Reassign, r: rec("contact/c3", own("rep2")), allow: true, reason: ReasonReassignable, role: "manager"},
	{name: "reassign own record", s: who("ann", "reassigner"), a: Reassign, r: rec("contact/c3", own("ann")), allow: true, reason: ReasonReassignable, role: "reassigner"},
	{name: "reassign without permission", s: who("ann", "sales_rep"), a: Reassign, r: rec("contact/c3", own("ann")), reason: ReasonNoReassignPermission},
	{name: "reassign others' record with update Own", s: who("ann", "reassigner"), a: Reassign, r: rec("contact/c3", own("rep2")), reason: ReasonReassignOutOfScope},
	{name: "reassign needs update from the same role", s: who("ann", "reassigner", "editor"), a: Reassign, r: rec("contact/c3", own("rep2")), reason: ReasonReassignOutOfScope},
	{name: "follower cannot reassign through Own", s: who("ann", "reassigner"), a: Reassign, r: rec("contact/c3", own("rep2"), follow("ann")), reason: ReasonReassignOutOfScope},
	{name: "owner manages ownership", s: who("ann", "journey_manager"), a: ManageOwnership, r: rec("contact/c1", own("ann")), allow: true, reason: ReasonOwnerManages, role: "journey_manager"},
	{name: "owner manages through an empty grant", s: who("ann", "empty_grant"), a: ManageOwnership, r: rec("contact/c1", own("ann")), allow: true, reason: ReasonOwnerManages, role: "empty_grant"},
	{name: "follower cannot manage ownership", s: who("ann", "journey_manager"), a: ManageOwnership, r: rec("contact/c1", own("bob"), follow("ann")), reason: ReasonNotOwner},
	{name: "manager who is not an owner cannot manage ownership", s: who("boss", "manager"), a: ManageOwnership, r: rec("contact/c1", own("bob")), reason: ReasonNotOwner},
	{name: "owner without a grant for the type cannot manage", s: who("ann", "sales_rep"), a: ManageOwnership, r: rec("order/o1", own("ann")), reason: ReasonNoGrant},
	{name: "owner with unknown roles only cannot manage", s: who("ann", "ghost"), a: ManageOwnership, r: rec("order/o1", own("ann")), reason: ReasonUnknownRole},
	{name: "synced refuses claim by bypass", s: who("root", "admin"), a: Claim, r: synced(rec("document/d1")), reason: ReasonSynced},
	{name: "synced refuses reassign", s: who("boss", "manager"), a: Reassign, r: synced(rec("document/d1", own("bob"))), reason: ReasonSynced},
	{name: "synced refuses manage by owner", s: who("ann", "journey_manager"), a: ManageOwnership, r: synced(rec("document/d1", own("ann"))), reason: ReasonSynced},
	{name: "synced refuses manage by bypass", s: who("root", "admin"), a: ManageOwnership, r: synced(rec("document/d1", own("ann"))), reason: ReasonSynced},
	{name: "synced record is viewed through its copy", s: who("ann", "journey_manager"), a: View, r: synced(rec("document/d1", own("ann"))), allow: true, reason: ReasonInScope, role: "journey_manager"},
	{name: "synced record is updated through its copy", s: who("ann", "journey_manager"), a: Update, r: synced(rec("document/d1", own("ann"))), allow: true, reason: ReasonInScope, role: "journey_manager"},
	{name: "bypass updates a synced record", s: who("root", "admin"), a: Update, r: synced(rec("document/d1")), allow: true, reason: ReasonBypass, role: "admin"},
	// Denials on a synced record point at the parent, where the ownership
	// can change.
	{name: "synced record owned by someone else", s: who("ann", "journey_manager"), a: View, r: synced(rec("document/d1", own("bob"))), reason: ReasonViewScope},
	{name: "synced unassigned record", s: who("ann", "support"), a: Update, r: synced(rec("contact/c9")), reason: ReasonUpdateScope},
	{name: "follower of a synced record", s: who("ann", "journey_manager"), a: Update, r: synced(rec("document/d1", own("bob"), follow("ann"))), reason: ReasonFollowerReadOnly},
	{name: "synced record, field out of scope", s: who("am1", "account_manager"), a: Update, r: synced(rec("contract/k1", own("am2"))), field: "amount", reason: ReasonFieldScope},

	// Teammates and Reports narrow Others.
	{name: "teammate's record is in view", s: reaching(who("ann", "team_rep"), []UserID{"ann", "bob"}, nil), a: View, r: rec("contact/c3", own("bob")), allow: true, reason: ReasonInScope, role: "team_rep"},
	{name: "one owner in the team is enough", s: reaching(who("ann", "team_rep"), []UserID{"bob"}, nil), a: View, r: rec("contact/c3", own("zed"), own("bob")), allow: true, reason: ReasonInScope, role: "team_rep"},
	{name: "record outside the team is not", s: reaching(who("ann", "team_rep"), []UserID{"bob"}, nil), a: View, r: rec("contact/c3", own("zed")), reason: ReasonViewScope},
	{name: "a follower teammate does not count", s: reaching(who("ann", "team_rep"), []UserID{"bob"}, nil), a: View, r: rec("contact/c3", own("zed"), follow("bob")), reason: ReasonViewScope},
	{name: "unassigned is not a teammate's", s: reaching(who("ann", "team_rep"), []UserID{"bob"}, nil), a: View, r: rec("contact/c3", follow("bob")), reason: ReasonViewScope},
	{name: "team scope without a reach reaches nobody", s: who("ann", "team_rep"), a: View, r: rec("contact/c3", own("bob")), reason: ReasonViewScope},
	{name: "report's record is in update scope", s: reaching(who("boss", "team_rep"), nil, []UserID{"rep1"}), a: Update, r: rec("contact/c3", own("rep1")), allow: true, reason: ReasonInScope, role: "team_rep"},
	{name: "teammate's record is not in update scope", s: reaching(who("ann", "team_rep"), []UserID{"bob"}, nil), a: Update, r: rec("contact/c3", own("bob")), reason: ReasonUpdateScope},
	{name: "a manager reassigns a report's record", s: reaching(who("boss", "team_rep"), nil, []UserID{"rep1"}), a: Reassign, r: rec("contact/c3", own("rep1")), allow: true, reason: ReasonReassignable, role: "team_rep"},
	{name: "a manager cannot reassign a peer's record", s: reaching(who("boss", "team_rep"), nil, []UserID{"rep1"}), a: Reassign, r: rec("contact/c3", own("peer")), reason: ReasonReassignOutOfScope},

	// Queues: unassigned to their members, someone else's to the rest.
	{name: "member views a queued ticket", s: reaching(who("ann", "queue_agent"), nil, nil, "support"), a: View, r: rec("ticket/t1", queued("support")), allow: true, reason: ReasonInScope, role: "queue_agent"},
	{name: "member claims a queued ticket", s: reaching(who("ann", "queue_agent"), nil, nil, "support"), a: Claim, r: rec("ticket/t1", queued("support")), allow: true, reason: ReasonClaimable, role: "queue_agent"},
	{name: "non-member does not see a queued ticket", s: reaching(who("ann", "queue_agent"), nil, nil, "billing"), a: View, r: rec("ticket/t1", queued("support")), reason: ReasonViewScope},
	{name: "non-member cannot claim a queued ticket", s: who("ann", "queue_agent"), a: Claim, r: rec("ticket/t1", queued("support")), reason: ReasonNotQueueMember},
	{name: "member cannot update a queued ticket before claiming it", s: reaching(who("ann", "queue_agent"), nil, nil, "support"), a: Update, r: rec("ticket/t1", queued("support")), reason: ReasonUpdateScope},
	{name: "member without the claim permission", s: reaching(who("ann", "support"), nil, nil, "support"), a: Claim, r: rec("contact/c1", queued("support")), reason: ReasonNoClaimPermission},
	{name: "non-member without the claim permission", s: who("ann", "support"), a: Claim, r: rec("contact/c1", queued("support")), reason: ReasonNoClaimPermission},
	{name: "a queued ticket is not unassigned to a manager", s: who("boss", "manager"), a: Claim, r: rec("ticket/t1", queued("support")), reason: ReasonNotQueueMember},

	// Tenants: no role crosses them but a platform role.
	{name: "same tenant decides as usual", s: in("acme", who("ann", "sales_rep")), a: View, r: tenant("acme", rec("contact/c1")), allow: true, reason: ReasonInScope, role: "sales_rep"},
	{name: "another tenant's record is out of reach", s: in("acme", who("ann", "sales_rep")), a: View, r: tenant("globex", rec("contact/c1")), reason: ReasonOtherTenant},
	{name: "bypass does not cross tenants", s: in("acme", who("root", "admin")), a: View, r: tenant("globex", rec("contact/c1")), reason: ReasonOtherTenant},
	{name: "a subject without a tenant is not every tenant's", s: who("root", "admin"), a: Delete, r: tenant("globex", rec("contact/c1")), reason: ReasonOtherTenant},
	{name: "a platform role crosses tenants", s: in("acme", who("op", "operator", "admin")), a: View, r: tenant("globex", rec("contact/c1", own("bob"))), allow: true, reason: ReasonInScope, role: "operator"},
	{name: "only the platform role crosses", s: in("acme", who("op", "operator", "admin")), a: Delete, r: tenant("globex", rec("contact/c1", own("bob"))), reason: ReasonDeleteScope},
	{name: "a platform role never claims across tenants", s: in("acme", who("op", "operator", "manager")), a: Claim, r: tenant("globex", rec("contact/c1")), reason: ReasonOtherTenant},
}

func TestDecideRules(t *testing.T) {
	p := testPolicy(t)
	for _, c := range decideCases {
		t.Run(c.name, func(t *testing.T) {
			var d Decision
			if c.field != "" {
				d = p.DecideField(c.s, c.a, c.r, c.field)
			} else {
				d = p.Decide(c.s, c.a, c.r)
			}
			if d.Allowed != c.allow || d.Reason != c.reason {
				t.Fatalf("got %v, want allowed=%v reason=%v", d, c.allow, c.reason)
			}
			if c.allow && d.DecidingRole != c.role {
				t.Errorf("got role %q, want %q", d.DecidingRole, c.role)
			}
			if err := d.Err(); (err == nil) != c.allow {
				t.Errorf("Err() = %v, want nil iff allowed", err)
			}
			if c.field == "" {
				if got := p.Can(c.s, c.a, c.r); got != c.allow {
					t.Errorf("Can = %v, want %v", got, c.allow)
				}
			}
		})
	}
}

// TestExplanationsGolden pins the sentence of every case in
// testdata/decisions.golden; run with -update to rewrite it.
func TestExplanationsGolden(t *testing.T) {
	p := testPolicy(t)
	var b strings.Builder
	for _, c := range decideCases {
		d := p.Decide(c.s, c.a, c.r)
		if c.field != "" {
			d = p.DecideField(c.s, c.a, c.r, c.field)
		}
		b.WriteString(c.name + "\n\t" + d.String() + "\n")
	}
	golden(t, "decisions.golden", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestTroubleshootingSentences checks that each row of the CRM's
// troubleshooting table has its own reason and a sentence naming the
// remedy the row gives.
func TestTroubleshootingSentences(t *testing.T) {
	p := testPolicy(t)
	rows := []struct {
		d    Decision
		want Reason
		says []string
	}{
		{p.Decide(who("rep1", "sales_rep"), View, rec("contact/c3", own("rep2"))), ReasonViewScope, []string{"owned by rep2", "view scope is Own|Unassigned", "reassign", "widen your view scope"}},
		{p.Decide(who("rep1", "sales_rep"), Update, rec("contact/c3", own("rep2"))), ReasonUpdateScope, []string{"owned by rep2", "update scope is Owned", "reassign", "widen your update scope"}},
		{p.Decide(who("rep1", "sales_rep"), Claim, rec("contact/c3", own("rep2"))), ReasonAlreadyAssigned, []string{"already assigned to rep2"}},
		{p.Decide(who("rep1", "support"), Claim, rec("contact/c3")), ReasonNoClaimPermission, []string{"claim permission"}},
		{p.Decide(who("rep1", "sales_rep"), Reassign, rec("contact/c3", own("rep1"))), ReasonNoReassignPermission, []string{"request the reassign permission", "manager"}},
		{p.Decide(who("rep1", "reassigner"), Reassign, rec("contact/c3", own("rep2"))), ReasonReassignOutOfScope, []string{"owned by rep2", "owner or a manager"}},
	}
	seen := map[Reason]bool{}
	for _, r := range rows {
		if r.d.Reason != r.want {
			t.Errorf("got %v, want reason %v", r.d, r.want)
		}
		if seen[r.d.Reason] {
			t.Errorf("reason %v used by two rows", r.d.Reason)
		}
		seen[r.d.Reason] = true
		for _, s := range r.says {
			if !strings.Contains(r.d.Explain(), s) {
				t.Errorf("%v: explanation %q does not say %q", r.want, r.d.Explain(), s)
			}
		}
	}
}

func TestZeroPolicyDeniesEverything(t *testing.T) {
	var zero Policy
	var nilPolicy *Policy
	for _, p := range []*Policy{&zero, nilPolicy} {
		for a := View; a <= ManageOwnership; a++ {
			d := p.Decide(who("ann", "admin"), a, rec("contact/c1", own("ann")))
			if d.Allowed || d.Reason != ReasonUnknownRole {
				t.Errorf("%v on a zero policy: got %v, want deny unknown_role", a, d)
			}
			if p.Can(who("ann", "admin"), a, rec("contact/c1", own("ann"))) {
				t.Errorf("Can(%v) on a zero policy = true", a)
			}
			if p.Filter(who("ann", "admin"), a, "contact").Match(rec("contact/c1", own("ann"))) {
				t.Errorf("Filter(%v) on a zero policy matched", a)
			}
		}
		if got := p.Bind(who("ann", "admin")); p.Can(got, View, rec("contact/c1")) {
			t.Error("bound subject on a zero policy allowed")
		}
	}
}

func TestZeroDecisionIsDenial(t *testing.T) {
	var d Decision
	if d.Allowed || d.Err() == nil {
		t.Fatalf("zero Decision: got allowed=%v err=%v, want a denial", d.Allowed, d.Err())
	}
}

func TestDecisionErr(t *testing.T) {
	p := testPolicy(t)
	err := p.Decide(who("root", "admin"), Claim, synced(rec("document/d1"))).Err()
	for _, target := range []error{ErrDenied, ErrSynced} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %v) = false", err, target)
		}
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = true", err)
	}
	d, ok := DenialOf(err)
	if !ok || d.Reason != ReasonSynced {
		t.Errorf("DenialOf = %v, %v; want the synced decision", d, ok)
	}
	if !strings.HasPrefix(err.Error(), "ownership: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
	if err := p.Decide(who("ann", "sales_rep"), Claim, rec("contact/c3", own("bob"))).Err(); !errors.Is(err, ErrConflict) {
		t.Errorf("already assigned: errors.Is(%v, ErrConflict) = false", err)
	}
	if err := p.Decide(who("ann", "sales_rep"), View, Record{}).Err(); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing record: errors.Is(%v, ErrNotFound) = false", err)
	}
}

func TestBindFallsBack(t *testing.T) {
	p, other := testPolicy(t), testPolicy(t)
	r := rec("contact/c3", own("rep2"))
	s := p.Bind(who("boss", "manager"))
	if !p.CanEdit(s, r) {
		t.Fatal("bound manager cannot edit")
	}
	// The same binding used with another policy is looked up again.
	if !other.CanEdit(s, r) {
		t.Error("bound subject checked against another policy: got deny")
	}
	// Replacing the roles of a bound subject drops the binding.
	s2 := s
	s2.Roles = []string{"sales_rep"}
	if p.CanEdit(s2, r) {
		t.Error("subject whose roles were replaced kept the manager's binding")
	}
	// Replacing the id drops it too.
	s3 := s
	s3.ID = "rep2"
	s3.Roles = s.Roles
	if p.Can(s, ManageOwnership, r) {
		t.Error("bound manager who is not an owner may manage")
	}
	if !p.Can(s3, ManageOwnership, r) {
		t.Error("bound subject renamed to the owner cannot manage: the stale binding was used")
	}
	// Editing the roles in place drops it as well.
	s5 := p.Bind(who("root", "admin"))
	s5.Roles[0] = "sales_rep"
	if p.CanEdit(s5, r) || p.Filter(s5, Update, "contact").Match(r) {
		t.Error("a bound admin whose role was edited to sales_rep kept the admin's answers")
	}
	s4 := p.Bind(who("rep2", "journey_manager"))
	if !p.Can(s4, ManageOwnership, r) {
		t.Error("bound owner cannot manage")
	}
}

// TestBindBound checks that binding a bound subject again is free, and
// that a bound subject whose roles were edited is bound afresh.
func TestBindBound(t *testing.T) {
	p := testPolicy(t)
	s := p.Bind(who("boss", "manager"))
	if n := testing.AllocsPerRun(100, func() { s = p.Bind(s) }); n != 0 {
		t.Errorf("Bind of a bound subject: got %v allocations, want 0", n)
	}
	if s.boundTo(p) == nil {
		t.Fatal("Bind of a bound subject lost the binding")
	}
	edited := p.Bind(who("root", "admin"))
	edited.Roles[0] = "sales_rep"
	again := p.Bind(edited)
	if again.boundTo(p) == nil || p.CanEdit(again, rec("contact/c3", own("rep2"))) {
		t.Error("an edited bound subject bound again kept the admin's answers")
	}
}

func TestNewPolicyErrors(t *testing.T) {
	cases := []struct {
		name  string
		roles map[string]RoleDef
		want  string
	}{
		{"empty role name", map[string]RoleDef{"": {Bypass: true}}, "empty role name"},
		{"bypass with types", map[string]RoleDef{"a": {Bypass: true, Types: map[string]Permissions{"x": {}}}}, "roles.a"},
		{"empty type", map[string]RoleDef{"a": {Types: map[string]Permissions{"": {}}}}, "roles.a.types"},
		{"type with slash", map[string]RoleDef{"a": {Types: map[string]Permissions{"x/y": {}}}}, "roles.a.types"},
		{"type with star", map[string]RoleDef{"a": {Types: map[string]Permissions{"x*": {}}}}, "roles.a.types"},
		{"bad scope", map[string]RoleDef{"a": {Types: map[string]Permissions{"x": {View: 32}}}}, "roles.a.types.x.view"},
		{"bad field scope", map[string]RoleDef{"a": {Types: map[string]Permissions{"x": {Fields: map[string]FieldRule{"f": {Update: 33}}}}}}, "roles.a.types.x.fields.f"},
		{"empty field name", map[string]RoleDef{"a": {Types: map[string]Permissions{"x": {Fields: map[string]FieldRule{"": {}}}}}}, "fields"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewPolicy(c.roles)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an ErrInvalid naming %q", err, c.want)
			}
		})
	}
}

func TestPolicyIsACopy(t *testing.T) {
	fields := map[string]FieldRule{"amount": {View: All, Update: All}}
	defs := map[string]RoleDef{"r": {Types: map[string]Permissions{"contract": {View: All, Update: All, Fields: fields}}}}
	p := MustPolicy(defs)
	fields["amount"] = FieldRule{}
	defs["r"] = RoleDef{}
	if !p.CanEditField(who("ann", "r"), rec("contract/k1", own("bob")), "amount") {
		t.Fatal("changing the definitions after NewPolicy changed the policy")
	}
}

func TestPolicyJSON(t *testing.T) {
	in := `{"roles": {
		"admin": {"bypass": true},
		"manager": {"types": {"*": {"view": "all", "update": "all", "delete": "all", "claim": true, "reassign": true}}},
		"sales_rep": {"types": {"contact": {"view": ["own", "unassigned"], "update": "own", "claim": true}}},
		"account_manager": {"types": {"contract": {"view": "all", "update": "own", "fields": {"amount": {"view": "all", "update": "own"}}}}}
	}}`
	var p Policy
	if err := p.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	def, ok := p.Role("sales_rep")
	if !ok {
		t.Fatal("sales_rep missing")
	}
	want := RoleDef{Types: map[string]Permissions{"contact": {View: Own | Unassigned, Update: Own, Claim: true}}}
	if diff := cmp.Diff(want, def); diff != "" {
		t.Errorf("sales_rep (-want +got):\n%s", diff)
	}
	out, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var again Policy
	if err := again.UnmarshalJSON(out); err != nil {
		t.Fatalf("re-decoding %s: %v", out, err)
	}
	for _, n := range p.RoleNames() {
		a, _ := p.Role(n)
		b, _ := again.Role(n)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("role %s changed in a round trip (-before +after):\n%s", n, diff)
		}
	}
	golden(t, "policy.json.golden", string(out)+"\n")

	bad := []struct{ in, want string }{
		{`{"roles": {"a": {"types": {"x": {"view": "everything"}}}}}`, "everything"},
		{`{"roles": {"a": {"typo": true}}}`, "typo"},
		{`{"roles": {"a": {"types": {"x": {"view": 3}}}}}`, "scope"},
		{`{"roles": {}} trailing`, "after"},
		{`{"roles": {"a": {"bypass": true, "types": {"x": {}}}}}`, "bypass"},
	}
	for _, c := range bad {
		var p Policy
		err := p.UnmarshalJSON([]byte(c.in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("UnmarshalJSON(%s) = %v, want an ErrInvalid mentioning %q", c.in, err, c.want)
		}
	}
}

// FuzzPolicyJSON checks that decoding a policy never panics and that what
// it accepts re-encodes to a policy with the same roles and grants.
func FuzzPolicyJSON(f *testing.F) {
	// Seeds: the design's example policy, field rules, and broken shapes.
	for _, s := range []string{
		`{"roles":{"admin":{"bypass":true},"manager":{"types":{"*":{"view":"all","update":"all","delete":"all","claim":true,"reassign":true}}},"sales_rep":{"types":{"contact":{"view":["own","unassigned"],"update":"own","claim":true}}}}}`,
		`{"roles":{"am":{"types":{"contract":{"view":"all","update":"own","fields":{"amount":{"view":"all","update":"own"}}}}}}}`,
		`{"roles":{}}`, `{}`, `{"roles":{"a":{"types":{"x/y":{}}}}}`, `{"roles":{"a":{"bypass":true,"types":{"x":{}}}}}`,
	} {
		f.Add([]byte(s))
	}
	for _, tmpl := range []string{`X`, `{"roles":{"r":{"types":{"t":{"view":X}}}}}`} {
		for _, in := range jsontest.DeepInputs(tmpl, strictjson.MaxDepth) {
			f.Add([]byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Policy
		if err := p.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		var back Policy
		if err := back.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if diff := cmp.Diff(p.RoleNames(), back.RoleNames()); diff != "" {
			t.Fatalf("roles changed:\n%s", diff)
		}
		for _, n := range p.RoleNames() {
			a, _ := p.Role(n)
			b, _ := back.Role(n)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("role %s changed in a round trip:\n%s", n, diff)
			}
		}
	})
}

// TestSyncedDenialsPointAtTheParent checks that no denial on a synced
// record advises changing the record itself, which is refused.
func TestSyncedDenialsPointAtTheParent(t *testing.T) {
	p := testPolicy(t)
	for _, c := range decideCases {
		if c.allow || c.r.Mode != SyncWithParent || c.reason == ReasonSynced {
			continue
		}
		d := p.DecideField(c.s, c.a, c.r, c.field)
		if c.field == "" {
			d = p.Decide(c.s, c.a, c.r)
		}
		e := d.Explain()
		if d.Parent != c.r.Parent || !strings.Contains(e, c.r.Parent.String()) {
			t.Errorf("%s: %q does not name the parent %s", c.name, e, c.r.Parent)
		}
		for _, bad := range []string{"reassign it to you", "claim it ", "ask an owner to make you"} {
			if strings.Contains(e, bad) {
				t.Errorf("%s: %q advises %q on a synced record", c.name, e, bad)
			}
		}
	}
}

// TestDeclaredFieldsFailClosed checks that a record type that declares
// its fields denies every other field name, case, space and invisible
// variants of a restricted field included, for every role.
func TestDeclaredFieldsFailClosed(t *testing.T) {
	p, err := Compile(PolicyDef{
		Roles: map[string]RoleDef{
			"admin": {Bypass: true},
			"account_manager": {Types: map[string]Permissions{"contract": {View: All, Update: All,
				Fields: map[string]FieldRule{"amount": {View: All, Update: Own}}}}},
		},
		Types: map[string]RecordType{"contract": {Fields: []string{"amount", "notes"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	am := p.Bind(who("am1", "account_manager"))
	k := rec("contract/k1", own("am2"))
	cases := []struct {
		s      Subject
		field  string
		allow  bool
		reason Reason
	}{
		{am, "amount", false, ReasonFieldScope},
		{am, "notes", true, ReasonInScope},
		{am, "Amount", false, ReasonUndeclaredField},
		{am, "AMOUNT", false, ReasonUndeclaredField},
		{am, "amount ", false, ReasonUndeclaredField},
		{am, " amount", false, ReasonUndeclaredField},
		{am, "amount\u200b", false, ReasonUndeclaredField},
		{am, "\ufeffamount", false, ReasonUndeclaredField},
		{am, "amount\x00", false, ReasonUndeclaredField},
		{am, "ａｍｏｕｎｔ", false, ReasonUndeclaredField},
		{am, "phone", false, ReasonUndeclaredField},
		{who("root", "admin"), "Amount", false, ReasonUndeclaredField},
		{who("root", "admin"), "amount", true, ReasonBypass},
	}
	for _, c := range cases {
		for _, a := range []Action{View, Update} {
			d := p.DecideField(c.s, a, k, c.field)
			want := c.allow || (a == View && c.reason == ReasonFieldScope)
			if a == View && c.reason == ReasonFieldScope {
				// amount's view scope is All
			} else if d.Reason != c.reason {
				t.Errorf("%s %s %q: got %v, want %v", c.s.ID, a, c.field, d.Reason, c.reason)
			}
			if d.Allowed != want {
				t.Errorf("%s %s %q: allowed %v, want %v", c.s.ID, a, c.field, d.Allowed, want)
			}
			if got := p.CanEditField(c.s, k, c.field); a == Update && got != want {
				t.Errorf("CanEditField(%q) = %v, want %v", c.field, got, want)
			}
		}
	}
	// Other types declare nothing, so their fields follow the record.
	if !p.CanEditField(who("root", "admin"), rec("order/o1"), "Anything") {
		t.Error("a type that declares no fields should not restrict field names")
	}
	// The declaration round-trips through JSON.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Policy
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if got, ok := q.Type("contract"); !ok || !slices.Equal(got.Fields, []string{"amount", "notes"}) {
		t.Errorf("after a JSON round trip: %v %v", got, ok)
	}
	if q.CanEditField(who("root", "admin"), k, "Amount") {
		t.Error("after a JSON round trip the undeclared field is allowed")
	}
}

func TestCompileErrors(t *testing.T) {
	grant := map[string]RoleDef{"am": {Types: map[string]Permissions{"contract": {View: All,
		Fields: map[string]FieldRule{"amount": {View: All}}}}}}
	cases := map[string]PolicyDef{
		"rule for an undeclared field": {Roles: grant, Types: map[string]RecordType{"contract": {Fields: []string{"notes"}}}},
		"empty field name":             {Types: map[string]RecordType{"contract": {Fields: []string{""}}}},
		"field declared twice":         {Types: map[string]RecordType{"contract": {Fields: []string{"a", "a"}}}},
		"any type declared":            {Types: map[string]RecordType{AnyType: {Fields: []string{"a"}}}},
		"type with a slash":            {Types: map[string]RecordType{"a/b": {}}},
		"empty type":                   {Types: map[string]RecordType{"": {}}},
	}
	for name, def := range cases {
		if _, err := Compile(def); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	for _, src := range []string{
		`{"roles":{},"types":{"contract":{"fields":["a","a"]}}}`,
		`{"roles":{},"types":{"contract":{"fields":"a"}}}`,
		`{"roles":{},"types":{"contract":{"field":["a"]}}}`,
		`{"roles":{},"types":{"contract":[]}}`,
	} {
		var p Policy
		if err := json.Unmarshal([]byte(src), &p); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", src, err)
		}
	}
}

// TestBoundToAZeroPolicyDecodedInPlace checks that a subject bound to a
// zero Policy that is decoded into afterwards neither panics nor answers
// differently from Decide.
func TestBoundToAZeroPolicyDecodedInPlace(t *testing.T) {
	p := &Policy{}
	s := p.Bind(who("ann", "manager"))
	if err := json.Unmarshal([]byte(`{"roles":{"manager":{"types":{"contact":{"view":"all"},"order":{"view":"all"}}}}}`), p); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"contact/c1", "order/o1", "invoice/i1"} {
		r := rec(ref, own("bob"))
		want := p.Decide(s, View, r).Allowed
		if got := p.CanView(s, r); got != want {
			t.Errorf("%s: CanView %v, Decide %v", ref, got, want)
		}
		if got := p.Filter(s, View, r.Ref.Type).Match(r); got != want {
			t.Errorf("%s: Filter %v, Decide %v", ref, got, want)
		}
	}
}

// TestForSubjectGolden pins the end-user sentence of every case in
// testdata/subject_explanations.golden, and checks that none names a user
// other than the subject, or the parent of a synced record.
func TestForSubjectGolden(t *testing.T) {
	p := testPolicy(t)
	users := map[UserID]bool{}
	for _, c := range decideCases {
		users[c.s.ID] = true
		for e := range c.r.Ownership.All() {
			users[e.UserID] = true
		}
	}
	var b strings.Builder
	for _, c := range decideCases {
		d := p.Decide(c.s, c.a, c.r)
		if c.field != "" {
			d = p.DecideField(c.s, c.a, c.r, c.field)
		}
		msg := d.ForSubject()
		b.WriteString(c.name + "\n\t" + d.Reason.String() + ": " + msg + "\n")
		for u := range users {
			if u != "" && u != c.s.ID && containsWord(msg, string(u)) {
				t.Errorf("%s: %q names user %s", c.name, msg, u)
			}
		}
		if !c.r.Parent.IsZero() && strings.Contains(msg, c.r.Parent.String()) {
			t.Errorf("%s: %q names the parent", c.name, msg)
		}
	}
	golden(t, "subject_explanations.golden", b.String())
}

// TestForSubjectEveryReason checks that every reason has a sentence of its
// own for the subject, that names nobody else.
func TestForSubjectEveryReason(t *testing.T) {
	for r := Reason(1); r < reasonEnd; r++ {
		for _, class := range []Scope{Own, Unassigned, Others} {
			d := Decision{Allowed: r.Allows(), Reason: r, Subject: "ann", Action: Update, Record: MustRef("contact/c1"),
				Field: "amount", Class: class, Owner: "bob", Target: "carl", Parent: MustRef("account/a1")}
			msg := d.ForSubject()
			if msg == "" || strings.Contains(msg, "You may not do this") && !r.Allows() {
				t.Errorf("%v: no sentence of its own: %q", r, msg)
			}
			for _, other := range []string{"bob", "carl", "account/a1", "ann"} {
				if containsWord(msg, other) {
					t.Errorf("%v: %q names %s", r, msg, other)
				}
			}
		}
	}
}

// containsWord reports whether w occurs in s as a whole word.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isWordByte(s[j-1])
		after := j+len(w) == len(s) || !isWordByte(s[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '/' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
