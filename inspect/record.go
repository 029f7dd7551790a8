package inspect

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/ownershipkit/ownership"
)

// recordPage is the record page: the record, where its ownership comes
// from, and for each action who may do it and who may not.
type recordPage struct {
	Ref        string      `json:"ref"`
	Type       string      `json:"type"`
	ID         string      `json:"id"`
	Mode       string      `json:"mode"`
	Version    uint64      `json:"version"`
	Parent     string      `json:"parent,omitempty"`
	Tenant     string      `json:"tenant,omitempty"`
	Unassigned bool        `json:"unassigned"`
	Ownership  []entryView `json:"ownership"`
	// Chain is, for a record synced with its parent, the records its
	// ownership comes through, from its parent up to the first
	// independent one.
	Chain   []chainLink    `json:"ownership_from,omitempty"`
	Fields  []fieldView    `json:"fields,omitempty"`
	Actions []actionAccess `json:"actions"`
}

type entryView struct {
	User string `json:"user,omitempty"`
	// Queue is the queue that holds the record, for a queue's entry.
	Queue string `json:"queue,omitempty"`
	Role  string `json:"role"`
}

type fieldView struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type chainLink struct {
	Ref  string `json:"ref"`
	Mode string `json:"mode,omitempty"`
	// Problem says why the chain stops here early: a missing record, a
	// loop, a store error.
	Problem string `json:"problem,omitempty"`
}

// actionAccess is the answer of Policy.WhoIn for one action: complete, or
// an error and no users.
type actionAccess struct {
	Action  string      `json:"action"`
	Error   string      `json:"error,omitempty"`
	Allowed []grantView `json:"allowed"`
	Denied  []denyView  `json:"denied"`
}

type grantView struct {
	User        string `json:"user"`
	Role        string `json:"role"`
	Basis       string `json:"basis"`
	Explanation string `json:"explanation"`
}

type denyView struct {
	User        string `json:"user"`
	Reason      string `json:"reason"`
	Explanation string `json:"explanation"`
}

// maxChain bounds the parent chain that the record page follows.
const maxChain = 64

func (h *Handler) record(r *http.Request) (any, *problem) {
	rec, prob := h.loadRecord(r, "ref")
	if prob != nil {
		return nil, prob
	}
	ctx := r.Context()
	v := recordPage{
		Ref: rec.Ref.String(), Type: rec.Ref.Type, ID: rec.Ref.ID,
		Mode: rec.Mode.String(), Version: rec.Version, Parent: rec.Parent.String(), Tenant: string(rec.Tenant),
		Unassigned: rec.Ownership.Unassigned(), Ownership: []entryView{},
	}
	for e := range rec.Ownership.All() {
		v.Ownership = append(v.Ownership, entryView{User: string(e.UserID), Queue: string(e.Queue), Role: e.Role.String()})
	}
	for _, k := range slices.Sorted(maps.Keys(rec.Fields)) {
		v.Fields = append(v.Fields, fieldView{Name: k, Value: rec.Fields[k]})
	}
	if rec.Mode == ownership.SyncWithParent {
		v.Chain = h.chain(r, rec)
	}
	for _, a := range actions {
		acc := actionAccess{Action: a.String(), Allowed: []grantView{}, Denied: []denyView{}}
		var who ownership.Access
		var err error
		if h.cfg.Org != nil {
			who, err = h.cfg.Org.Who(ctx, h.cfg.Policy, a, rec)
		} else {
			who, err = h.cfg.Policy.WhoIn(ctx, h.cfg.Users, a, rec)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, internal(ctx.Err())
			}
			acc.Error = err.Error()
			v.Actions = append(v.Actions, acc)
			continue
		}
		for _, d := range who.Allowed {
			acc.Allowed = append(acc.Allowed, grantView{User: string(d.Subject), Role: d.DecidingRole, Basis: d.Basis(), Explanation: d.Explain()})
		}
		for _, d := range who.Denied {
			acc.Denied = append(acc.Denied, denyView{User: string(d.Subject), Reason: d.Reason.String(), Explanation: d.Explain()})
		}
		v.Actions = append(v.Actions, acc)
	}
	return v, nil
}

// chain follows a synced record's parents up to the first independent
// one, the record whose list is its effective ownership. A missing
// parent, a loop or a chain longer than maxChain ends it with a problem.
func (h *Handler) chain(r *http.Request, rec ownership.Record) []chainLink {
	var out []chainLink
	seen := map[ownership.Ref]bool{rec.Ref: true}
	for cur := rec; cur.Mode == ownership.SyncWithParent; {
		p := cur.Parent
		switch {
		case p.IsZero():
			return append(out, chainLink{Problem: fmt.Sprintf("%s is synced with its parent but names none", cur.Ref)})
		case seen[p]:
			return append(out, chainLink{Ref: p.String(), Problem: "the chain of parents loops here"})
		case len(out) == maxChain:
			return append(out, chainLink{Ref: p.String(), Problem: fmt.Sprintf("the chain is longer than %d records; not followed further", maxChain)})
		}
		seen[p] = true
		next, err := h.cfg.Records.Get(r.Context(), p)
		if errors.Is(err, ownership.ErrNotFound) {
			return append(out, chainLink{Ref: p.String(), Problem: "this parent does not exist"})
		}
		if err != nil {
			return append(out, chainLink{Ref: p.String(), Problem: err.Error()})
		}
		out = append(out, chainLink{Ref: p.String(), Mode: next.Mode.String()})
		cur = next
	}
	return out
}
