package inspect

import (
	"maps"
	"net/http"
	"slices"

	"github.com/ownershipkit/ownership"
)

// userPage is the user page: who the user is and what they reach.
type userPage struct {
	User  userView   `json:"user"`
	Roles []roleView `json:"roles"`
	// Reach has one row per record type and action (view, update).
	Reach []reachRow `json:"reach"`
}

type userView struct {
	ID       string   `json:"id"`
	Login    string   `json:"login,omitempty"`
	Email    string   `json:"email,omitempty"`
	Name     string   `json:"name,omitempty"`
	Roles    []string `json:"roles"`
	Inactive bool     `json:"inactive,omitempty"`
	// The user's place in the organisation, each when set.
	Tenant  string   `json:"tenant,omitempty"`
	Teams   []string `json:"teams,omitempty"`
	Manager string   `json:"manager,omitempty"`
	Queues  []string `json:"queues,omitempty"`
}

type roleView struct {
	Name string `json:"name"`
	// Defined reports whether the policy defines the role: a role it does
	// not define gives nothing.
	Defined bool `json:"defined"`
	Bypass  bool `json:"bypass,omitempty"`
}

// reachRow counts, for one record type and action, the records in each
// class (for this user and action) and how many of them the user may
// reach, with the predicate that selects those records.
type reachRow struct {
	Type    string       `json:"type"`
	Action  string       `json:"action"`
	Records int          `json:"records"`
	Allowed int          `json:"allowed"`
	Classes []classCount `json:"classes"`
	Filter  string       `json:"filter"`
}

type classCount struct {
	Class   string `json:"class"`
	Records int    `json:"records"`
	Allowed int    `json:"allowed"`
}

// reachActions are the actions the user page counts.
var reachActions = []ownership.Action{ownership.View, ownership.Update}

// classes are the record classes in the order the user page shows them;
// a record without a class (a decision that stopped before classifying,
// such as an invalid mode, or another tenant's record) counts as
// "unclassified".
var classes = [...]classSlot{{ownership.Own, "own"}, {ownership.Unassigned, "unassigned"}, {ownership.Others, "others"}, {ownership.None, "unclassified"}}

// classSlot is a record class and its name on the user page.
type classSlot struct {
	s    ownership.Scope
	name string
}

func userOf(u ownership.User) userView {
	name, _ := u.Field("full_name")
	return userView{ID: string(u.ID), Login: u.Login, Email: u.Email, Name: name, Roles: append([]string{}, u.Roles...), Inactive: u.Inactive,
		Tenant: string(u.Tenant), Teams: strs(u.Teams), Manager: string(u.Manager), Queues: strs(u.Queues)}
}

// strs converts ids to strings.
func strs[T ~string](ids []T) []string {
	var out []string
	for _, id := range ids {
		out = append(out, string(id))
	}
	return out
}

func (h *Handler) user(r *http.Request) (any, *problem) {
	u, prob := h.loadUser(r, "id")
	if prob != nil {
		return nil, prob
	}
	p := h.cfg.Policy
	v := userPage{User: userOf(u), Roles: []roleView{}, Reach: []reachRow{}}
	for _, name := range u.Roles {
		def, ok := p.Role(name)
		v.Roles = append(v.Roles, roleView{Name: name, Defined: ok, Bypass: def.Bypass})
	}
	subj, prob := h.subject(u)
	if prob != nil {
		return nil, prob
	}
	// counts[type][action index][class index]: records, allowed.
	type tally struct{ records, allowed [len(classes)]int }
	counts := map[string]*[2]tally{}
	for _, t := range h.policyTypes() {
		counts[t] = new([2]tally)
	}
	for rec, err := range h.cfg.Records.All(r.Context(), "") {
		if err != nil {
			return nil, internal(err)
		}
		c := counts[rec.Ref.Type]
		if c == nil {
			c = new([2]tally)
			counts[rec.Ref.Type] = c
		}
		for ai, a := range reachActions {
			d := p.Decide(subj, a, rec)
			// Teammates and Reports narrow Others: counted there.
			class := d.Class &^ (ownership.Teammates | ownership.Reports)
			ci := slices.IndexFunc(classes[:], func(c classSlot) bool { return c.s == class })
			if ci < 0 {
				ci = len(classes) - 1
			}
			c[ai].records[ci]++
			if d.Allowed {
				c[ai].allowed[ci]++
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		for ai, a := range reachActions {
			c := counts[t][ai]
			row := reachRow{Type: t, Action: a.String(), Classes: []classCount{}, Filter: p.Filter(subj, a, t).String()}
			for ci, cl := range classes {
				if cl.s == ownership.None && c.records[ci] == 0 {
					continue
				}
				row.Classes = append(row.Classes, classCount{Class: cl.name, Records: c.records[ci], Allowed: c.allowed[ci]})
				row.Records += c.records[ci]
				row.Allowed += c.allowed[ci]
			}
			v.Reach = append(v.Reach, row)
		}
	}
	return v, nil
}

// policyTypes returns the record types the policy names: in grants (but
// not "*") and in declarations.
func (h *Handler) policyTypes() []string {
	def := h.cfg.Policy.Def()
	set := map[string]bool{}
	for _, rd := range def.Roles {
		for t := range rd.Types {
			if t != ownership.AnyType {
				set[t] = true
			}
		}
	}
	for t := range def.Types {
		set[t] = true
	}
	return slices.Sorted(maps.Keys(set))
}
