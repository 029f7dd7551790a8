package hostsql_test

import (
	"fmt"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
	"github.com/ownershipkit/ownership/sqlstore/hostsql"
)

// A CRM keeps the owner of each contact in contacts.owner_id (NULL when
// unassigned). A manager's policy reaches the contacts of the other reps
// only: the condition keeps unassigned rows out, where "NOT (owner_id =
// $1)" would drop them only by accident of NULL.
func ExampleTable_Where() {
	contacts := hostsql.MustTable(hostsql.Mapping{Type: "contact", Table: "contacts", Key: "id",
		KeyKind: hostsql.KeyInteger, OwnerColumn: "owner_id"}, sqlstore.Postgres)
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"auditor": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Others}}},
	})
	pred := p.Filter(ownership.Subject{ID: "max", Roles: []string{"auditor"}}, ownership.View, "contact")
	cond, args, err := contacts.Where(pred, "c", 0)
	fmt.Println(pred)
	fmt.Println(cond)
	fmt.Println(args, err)
	// Output:
	// contact: and(not(unassigned), not(or(owned_by("max"), followed_by("max"))))
	// ((NOT COALESCE(((c."owner_id" IS NULL OR c."owner_id" = '')), FALSE) AND NOT COALESCE(((c."owner_id" IS NOT NULL AND c."owner_id" = $1)), FALSE)))
	// [max] <nil>
}
