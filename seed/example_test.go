package seed_test

import (
	"fmt"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/seed"
)

// A seed file carries users, the policy and records; a document synced
// with its contact answers with the contact's owners.
func ExampleParse() {
	s, err := seed.Parse([]byte(`{
	  "users":   [{"id": "u1", "email": "Ann Lee <ann@x.io>", "roles": ["jm"]},
	              {"id": "u2", "roles": ["jm"]}],
	  "policy":  {"roles": {"jm": {"types": {"*": {"view": "own", "update": "own"}}}}},
	  "records": [{"type": "contact", "id": "c1", "ownership": [{"user_id": "u1", "role": "owner"}, {"user_id": "u2", "role": "follower"}]},
	              {"type": "document", "id": "d1", "parent": "contact/c1", "mode": "sync_with_parent"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d1, _ := s.Record(ownership.MustRef("document/d1"))
	fmt.Println(d1.Ownership)
	fmt.Println(s.Decide("u2", ownership.Update, d1.Ref, ""))

	_, err = seed.Parse([]byte(`{"records": [{"type": "contact", "id": "c1", "ownership": [{"user_id": "ghost", "role": "boss"}]}]}`))
	fmt.Println(err)
	// Output:
	// [u1:owner u2:follower]
	// deny follower_read_only: u2 cannot update document/d1: you follow it (its ownership follows its parent contact/c1), and followers have read-only access (your update scope is Owned); ask an owner of contact/c1 to make you an owner, or ask a manager to reassign contact/c1 to you
	// ownership: invalid: records[0].ownership[0].role: "boss": want owner or follower
	// ownership: invalid: records[0].ownership[0].user_id: unknown user "ghost"
}
