package inspect

import (
	"net/http"

	"github.com/ownershipkit/ownership"
)

// whyPage is the "why can't U do A to R" page: the question as asked,
// and once asked, the decision.
type whyPage struct {
	User   string `json:"user"`
	Action string `json:"action"`
	Ref    string `json:"ref"`
	Field  string `json:"field,omitempty"`
	// Decision is nil until all of user, action and ref are given.
	Decision *decisionView `json:"decision,omitempty"`
}

// decisionView is a Decision as the inspector shows it: every part, and
// both voices.
type decisionView struct {
	Allowed      bool   `json:"allowed"`
	Reason       string `json:"reason"`
	Basis        string `json:"basis,omitempty"`
	DecidingRole string `json:"deciding_role,omitempty"`
	Class        string `json:"class,omitempty"`
	// Scope is the union of the subject's scopes for the action.
	Scope      string `json:"scope"`
	FieldScope string `json:"field_scope,omitempty"`
	Owner      string `json:"owner,omitempty"`
	ListRole   string `json:"list_role,omitempty"`
	Parent     string `json:"parent,omitempty"`
	// Explanation is the administrator's sentence (Decision.Explain).
	Explanation string `json:"explanation"`
	// ForSubject is the end user's sentence (Decision.ForSubject).
	ForSubject string `json:"for_subject"`
}

func viewOf(d ownership.Decision) *decisionView {
	v := &decisionView{
		Allowed: d.Allowed, Reason: d.Reason.String(), Basis: d.Basis(), DecidingRole: d.DecidingRole,
		Scope: d.Scope.String(), Owner: string(d.Owner), Parent: d.Parent.String(),
		Explanation: d.Explain(), ForSubject: d.ForSubject(),
	}
	if d.Class != ownership.None {
		v.Class = d.Class.String()
	}
	if d.Field != "" {
		v.FieldScope = d.FieldScope.String()
	}
	if d.ListRole != 0 {
		v.ListRole = d.ListRole.String()
	}
	return v
}

func (h *Handler) why(r *http.Request) (any, *problem) {
	q := r.URL.Query()
	v := whyPage{User: q.Get("user"), Action: q.Get("action"), Ref: q.Get("ref"), Field: q.Get("field")}
	if v.User == "" && v.Action == "" && v.Ref == "" && v.Field == "" {
		return v, nil // the empty form
	}
	u, prob := h.loadUser(r, "user")
	if prob != nil {
		return nil, prob
	}
	a, prob := actionParam(r, "action")
	if prob != nil {
		return nil, prob
	}
	rec, prob := h.loadRecord(r, "ref")
	if prob != nil {
		return nil, prob
	}
	subj, prob := h.subject(u)
	if prob != nil {
		return nil, prob
	}
	var d ownership.Decision
	if v.Field != "" {
		d = h.cfg.Policy.DecideField(subj, a, rec, v.Field)
	} else {
		d = h.cfg.Policy.Decide(subj, a, rec)
	}
	v.Decision = viewOf(d)
	return v, nil
}
