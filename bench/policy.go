package bench

import "github.com/ownershipkit/ownership"

// Policy returns the benchmark policy in the ownership library: the
// README's CRM roles, with delete added to the manager.
func Policy() *ownership.Policy {
	return ownership.MustPolicy(map[string]ownership.RoleDef{
		"admin": {Bypass: true},
		"manager": {Types: map[string]ownership.Permissions{
			ownership.AnyType: {View: ownership.All, Update: ownership.All, Delete: ownership.All, Claim: true, Reassign: true},
		}},
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
		}},
	})
}

// Actions are the actions compared: all six of the model. Their String
// form ("view", "manage_ownership") is the action Casbin is asked about.
var Actions = []ownership.Action{
	ownership.View, ownership.Update, ownership.Delete,
	ownership.Claim, ownership.Reassign, ownership.ManageOwnership,
}
