package ownhttp

import (
	"context"

	"github.com/ownershipkit/ownership"
)

// Filter returns the predicate that selects the records of recordType that
// the subject of the request whose context is ctx may reach with action
// a: [ownership.Policy.Filter] for the bound subject, ready to match in
// memory or to translate its Cond into a WHERE clause. Without the
// middleware it matches nothing.
func Filter(ctx context.Context, a ownership.Action, recordType string) ownership.Predicate {
	st := stateOf(ctx)
	if st == nil || st.subject.ID == "" || st.guard == nil {
		return ownership.NewPredicate(recordType, ownership.NoRecords())
	}
	return st.guard.Policy.Filter(st.subject, a, recordType)
}
