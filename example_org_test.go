package ownership_test

import (
	"context"
	"fmt"

	"github.com/ownershipkit/ownership"
)

// A sales organisation as HubSpot and Salesforce model it: reps see their
// own and their teammates' contacts, managers update what their reports
// own, and a queue holds the contacts nobody has taken yet.
func ExampleOrg() {
	org, err := ownership.NewOrg(ownership.OrgDef{
		Teams:  []ownership.Team{{ID: "east"}, {ID: "west"}},
		Queues: []ownership.Queue{{ID: "inbound"}},
		Users: []ownership.User{
			{ID: "dir", Roles: []string{"rep"}},
			{ID: "ann", Roles: []string{"rep"}, Manager: "dir", Teams: []ownership.TeamID{"east"}, Queues: []ownership.QueueID{"inbound"}},
			{ID: "bob", Roles: []string{"rep"}, Manager: "dir", Teams: []ownership.TeamID{"east"}},
			{ID: "cat", Roles: []string{"rep"}, Manager: "dir", Teams: []ownership.TeamID{"west"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"rep": {Types: map[string]ownership.Permissions{"contact": {
			View:   ownership.Own | ownership.Unassigned | ownership.Teammates | ownership.Reports,
			Update: ownership.Own | ownership.Reports,
			Claim:  true,
		}}},
	})
	bobs := ownership.Record{Ref: ownership.MustRef("contact/c1"), Ownership: ownership.MustList(ownership.Entry{UserID: "bob", Role: ownership.Owner})}
	for _, id := range []ownership.UserID{"ann", "cat", "dir"} {
		s, _ := org.Subject(id)
		fmt.Println(p.Decide(s, ownership.View, bobs).Explain())
	}

	inbound := ownership.Record{Ref: ownership.MustRef("contact/c2"), Ownership: ownership.MustList(ownership.Entry{Queue: "inbound", Role: ownership.Owner})}
	acc, err := org.Who(context.Background(), p, ownership.Claim, inbound)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range acc.Allowed {
		fmt.Printf("%s may claim it: %s\n", d.Subject, d.Basis())
	}
	// Output:
	// ann may view contact/c1: it is owned by bob (in your teams), and role rep's view scope covers it
	// cat cannot view contact/c1: it is owned by bob (outside your teams; not below you in the hierarchy) and your view scope is Own|Unassigned|Teammates|Reports; ask a manager to reassign it to you, or to widen your view scope to All
	// dir may view contact/c1: it is owned by bob (below you in the hierarchy), and role rep's view scope covers it
	// ann may claim it: queue claim
}
