package ownership

import (
	"testing"
)

// allocRecords are records in every relation a subject can have to them:
// owner, follower, neither on an assigned record, unassigned, synced,
// with a long list, and missing.
func allocRecords() []Record {
	mine := MustList(Entry{UserID: "user-99", Role: Owner}, Entry{UserID: "bob", Role: Follower})
	followed := MustList(Entry{UserID: "bob", Role: Owner}, Entry{UserID: "user-99", Role: Follower})
	return []Record{
		benchRecord(),
		{Ref: MustRef("contact/mine"), Ownership: mine},
		{Ref: MustRef("contact/followed"), Ownership: followed},
		{Ref: MustRef("contact/pool")},
		{Ref: MustRef("document/d1"), Ownership: mine, Mode: SyncWithParent, Parent: MustRef("contact/mine")},
		{Ref: MustRef("deal/x"), Ownership: followed, Fields: map[string]string{"amount": "1"}},
		{Ref: MustRef("ticket/t1"), Ownership: MustList(Entry{Queue: "support", Role: Owner})},
		{Ref: MustRef("contact/other-tenant"), Ownership: followed, Tenant: "globex"},
		{},
	}
}

// TestCheckAllocs holds the promise that a check allocates nothing:
// Can and its View, Edit and Delete forms, Decide, DecideField and the
// field checks, for bound subjects and subject literals, whatever the
// record and the answer.
func TestCheckAllocs(t *testing.T) {
	p := MustPolicy(map[string]RoleDef{
		"admin":   {Bypass: true},
		"manager": {Types: map[string]Permissions{AnyType: {View: All, Update: All, Delete: All, Claim: true, Reassign: true}}},
		"sales_rep": {Types: map[string]Permissions{
			"contact": {View: Own | Unassigned, Update: Own, Claim: true,
				Fields: map[string]FieldRule{"amount": {View: All, Update: Own}}},
		}},
		"journey_manager": {Types: map[string]Permissions{"document": {View: Own, Update: Own, Delete: Own}}},
		"team_rep":        {Types: map[string]Permissions{AnyType: {View: Own | Teammates | Unassigned, Update: Own | Reports, Claim: true, Reassign: true}}},
		"operator":        {Platform: true, Types: map[string]Permissions{AnyType: {View: All}}},
	})
	reach := NewReach([]UserID{"bob", "carl"}, []UserID{"bob"}, []QueueID{"support"})
	subjects := map[string]Subject{
		"team":         p.Bind(Subject{ID: "user-99", Roles: []string{"team_rep"}, Reach: reach}),
		"team literal": {ID: "user-99", Roles: []string{"team_rep", "operator"}, Reach: reach},
		"platform":     p.Bind(Subject{ID: "user-99", Roles: []string{"operator", "team_rep"}, Tenant: "acme", Reach: reach}),
		"bound":        p.Bind(benchSubject),
		"literal":      benchSubject,
		"manager":      p.Bind(Subject{ID: "user-99", Roles: []string{"manager"}}),
		"admin":        {ID: "user-99", Roles: []string{"admin"}},
		"unknown":      {ID: "user-99", Roles: []string{"nobody"}},
		"no id":        {Roles: []string{"manager"}},
	}
	for name, s := range subjects {
		for _, r := range allocRecords() {
			for a := Action(0); a <= ManageOwnership+1; a++ {
				check := func(what string, f func()) {
					t.Helper()
					if n := testing.AllocsPerRun(50, f); n != 0 {
						t.Errorf("%s subject, %v on %v: %s: %v allocs, want 0", name, a, r.Ref, what, n)
					}
				}
				check("Can", func() { sinkBool = p.Can(s, a, r) })
				check("Decide", func() { sinkBool = p.Decide(s, a, r).Allowed })
				check("DecideField", func() { sinkBool = p.DecideField(s, a, r, "amount").Allowed })
			}
			check := func(what string, f func()) {
				t.Helper()
				if n := testing.AllocsPerRun(50, f); n != 0 {
					t.Errorf("%s subject on %v: %s: %v allocs, want 0", name, r.Ref, what, n)
				}
			}
			check("CanView", func() { sinkBool = p.CanView(s, r) })
			check("CanEdit", func() { sinkBool = p.CanEdit(s, r) })
			check("CanDelete", func() { sinkBool = p.CanDelete(s, r) })
			check("CanViewField", func() { sinkBool = p.CanViewField(s, r, "amount") })
			check("CanEditField", func() { sinkBool = p.CanEditField(s, r, "notes") })
		}
	}
}

// TestPredicateMatchAllocs holds the promise that Predicate.Match does
// not allocate, for the compiled predicates Filter returns and for those
// built from a condition tree.
func TestPredicateMatchAllocs(t *testing.T) {
	p := benchPolicy()
	reach := NewReach([]UserID{"bob", "user-01"}, []UserID{"bob"}, []QueueID{"support"})
	var preds []Predicate
	for _, s := range []Subject{p.Bind(benchSubject), benchSubject, {ID: "user-99", Roles: []string{"admin"}},
		{ID: "user-99", Roles: []string{"sales_rep"}, Reach: reach, Tenant: "acme"}} {
		for a := View; a <= ManageOwnership; a++ {
			preds = append(preds, p.Filter(s, a, "contact"), p.Filter(s, a, "document"))
		}
	}
	preds = append(preds, Predicate{},
		NewPredicate("contact", Or(OwnedBy("user-99"), And(IsUnassigned(), Not(IsSynced())), FollowedBy("bob"))),
		NewPredicate("contact", Or(OwnedByAny("bob", "carl"), InQueue("support"), And(InTenant("globex"), IsQueued()))))
	for _, pred := range preds {
		for _, r := range allocRecords() {
			if n := testing.AllocsPerRun(50, func() { sinkBool = pred.Match(r) }); n != 0 {
				t.Errorf("%v: Match(%v): %v allocs, want 0", pred, r.Ref, n)
			}
		}
	}
}
