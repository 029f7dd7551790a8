package ownership

import "testing"

// TestOtherTenantLooksMissing: without a platform role, every question
// about another tenant's record is answered other_tenant, whatever the
// record holds (a synced copy, an unknown mode, an undeclared field), and
// the decision carries nothing of the record but its reference: no
// owner, queue, class or parent of another tenant.
func TestOtherTenantLooksMissing(t *testing.T) {
	p, err := Compile(PolicyDef{
		Roles: map[string]RoleDef{
			"admin":   {Bypass: true},
			"manager": {Types: map[string]Permissions{AnyType: {View: All, Update: All, Delete: All, Claim: true, Reassign: true}}},
		},
		Types: map[string]RecordType{"contract": {Fields: []string{"amount"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	globex := func(r Record) Record { r.Tenant = "globex"; return r }
	records := map[string]Record{
		"plain":        globex(rec("contact/c1", own("zed"))),
		"queued":       globex(rec("ticket/t1", queued("support"))),
		"synced":       globex(synced(rec("document/d1", own("zed")))),
		"unknown mode": globex(Record{Ref: MustRef("contact/c2"), Mode: SyncWithParent + 1, Ownership: MustList(own("zed"))}),
		"contract":     globex(rec("contract/k1", own("zed"))),
	}
	subjects := map[string]Subject{
		"manager":        in("acme", who("ann", "manager")),
		"bypass":         in("acme", who("root", "admin")),
		"bound bypass":   p.Bind(in("acme", who("root", "admin"))),
		"without tenant": who("root", "admin", "manager"),
	}
	for sn, s := range subjects {
		for rn, r := range records {
			for a := View; a <= ManageOwnership; a++ {
				for _, field := range []string{"", "amount", "Amount"} {
					d := p.Decide(s, a, r)
					if field != "" {
						d = p.DecideField(s, a, r, field)
					}
					if d.Allowed || d.Reason != ReasonOtherTenant {
						t.Errorf("%s, %v, %s, field %q: got %v, want other_tenant", sn, a, rn, field, d)
						continue
					}
					if d.Owner != "" || d.Queue != "" || d.Class != None || !d.Parent.IsZero() || d.ListRole != 0 {
						t.Errorf("%s, %v, %s, field %q: the denial tells of the record: %+v", sn, a, rn, field, d)
					}
				}
			}
		}
	}
}
