package ownership

import "testing"

// TestBoundSubjectEditedAfterwards: a bound Subject whose ID, roles,
// tenant or reach is changed afterwards answers as the edited Subject
// would unbound: Can, Decide and Filter never give the old answer.
func TestBoundSubjectEditedAfterwards(t *testing.T) {
	p := MustPolicy(map[string]RoleDef{
		"admin":    {Bypass: true},
		"team_rep": {Types: map[string]Permissions{"contact": {View: Own | Teammates | Unassigned}}},
		"operator": {Platform: true, Types: map[string]Permissions{AnyType: {View: All}}},
	})
	base := Subject{ID: "ann", Roles: []string{"admin", "team_rep"}, Tenant: "acme", Reach: NewReach([]UserID{"bob"}, nil, []QueueID{"support"})}
	records := []Record{
		{Ref: MustRef("contact/c1"), Tenant: "acme", Ownership: MustList(own("bob"))},
		{Ref: MustRef("contact/c2"), Tenant: "acme", Ownership: MustList(queued("support"))},
		{Ref: MustRef("contact/c3"), Tenant: "globex", Ownership: MustList(own("ann"))},
		{Ref: MustRef("contact/c4"), Tenant: "acme", Ownership: MustList(own("ann"))},
	}
	edits := map[string]func(s *Subject){
		"id":              func(s *Subject) { s.ID = "zed" },
		"role in place":   func(s *Subject) { s.Roles[0] = "team_rep" },
		"roles appended":  func(s *Subject) { s.Roles = append(s.Roles[:1:1], "operator") },
		"roles cut":       func(s *Subject) { s.Roles = s.Roles[1:] },
		"tenant":          func(s *Subject) { s.Tenant = "globex" },
		"no tenant":       func(s *Subject) { s.Tenant = "" },
		"reach":           func(s *Subject) { s.Reach = Reach{} },
		"reach elsewhere": func(s *Subject) { s.Reach = NewReach([]UserID{"zed"}, nil, []QueueID{"billing"}) },
	}
	for name, edit := range edits {
		bound := p.Bind(base)
		edit(&bound)
		plain := Subject{ID: bound.ID, Roles: append([]string(nil), bound.Roles...), Tenant: bound.Tenant, Reach: bound.Reach}
		for _, r := range records {
			for a := View; a <= ManageOwnership; a++ {
				want := p.Decide(plain, a, r)
				if got := p.Decide(bound, a, r); got != want {
					t.Errorf("%s: Decide(%v, %v) = %v, want %v", name, a, r.Ref, got, want)
				}
				if got := p.Can(bound, a, r); got != want.Allowed {
					t.Errorf("%s: Can(%v, %v) = %v, want %v", name, a, r.Ref, got, want.Allowed)
				}
				if got := p.Filter(bound, a, "contact").Match(r); got != want.Allowed {
					t.Errorf("%s: Filter(%v).Match(%v) = %v, want %v", name, a, r.Ref, got, want.Allowed)
				}
				if got := p.Can(p.Bind(bound), a, r); got != want.Allowed {
					t.Errorf("%s: rebound Can(%v, %v) != %v", name, a, r.Ref, want.Allowed)
				}
			}
		}
	}
}
