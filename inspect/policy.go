package inspect

import (
	"maps"
	"net/http"
	"slices"

	"github.com/ownershipkit/ownership"
)

// policyPage is the policy matrix: for every role, its grant for every
// record type the policy names and for any other type ("*").
type policyPage struct {
	// Types are the record types the policy names, then "*".
	Types []string   `json:"types"`
	Roles []roleRows `json:"roles"`
	// Declared are the record types that declare their fields.
	Declared []declaredType `json:"declared_types"`
}

type roleRows struct {
	Name   string `json:"name"`
	Bypass bool   `json:"bypass"`
	// Grants has one row per type of policyPage.Types the role has a
	// grant for, its own or through its "*" grant; empty for a bypass
	// role.
	Grants []grantRow `json:"grants"`
}

// grantRow is what one role may do on one record type.
type grantRow struct {
	Type string `json:"type"`
	// From is the type of the grant that applies: Type itself, or "*"
	// when the role has no grant of its own for Type.
	From     string          `json:"from"`
	View     ownership.Scope `json:"view"`
	Update   ownership.Scope `json:"update"`
	Delete   ownership.Scope `json:"delete"`
	Claim    bool            `json:"claim"`
	Reassign bool            `json:"reassign"`
	Fields   []fieldRuleRow  `json:"fields"`
}

type fieldRuleRow struct {
	Field  string          `json:"field"`
	View   ownership.Scope `json:"view"`
	Update ownership.Scope `json:"update"`
}

type declaredType struct {
	Type   string   `json:"type"`
	Fields []string `json:"fields"`
}

func (h *Handler) policy(*http.Request) (any, *problem) {
	p := h.cfg.Policy
	v := policyPage{Types: append(h.policyTypes(), ownership.AnyType), Roles: []roleRows{}, Declared: []declaredType{}}
	for _, name := range p.RoleNames() {
		def, _ := p.Role(name)
		rr := roleRows{Name: name, Bypass: def.Bypass, Grants: []grantRow{}}
		for _, t := range v.Types {
			from := t
			g, ok := def.Types[t]
			if !ok && t != ownership.AnyType {
				from = ownership.AnyType
				g, ok = def.Types[ownership.AnyType]
			}
			if !ok {
				continue
			}
			row := grantRow{Type: t, From: from, View: g.View, Update: g.Update, Delete: g.Delete, Claim: g.Claim, Reassign: g.Reassign, Fields: []fieldRuleRow{}}
			for _, f := range slices.Sorted(maps.Keys(g.Fields)) {
				row.Fields = append(row.Fields, fieldRuleRow{Field: f, View: g.Fields[f].View, Update: g.Fields[f].Update})
			}
			rr.Grants = append(rr.Grants, row)
		}
		v.Roles = append(v.Roles, rr)
	}
	def := p.Def()
	for _, t := range slices.Sorted(maps.Keys(def.Types)) {
		v.Declared = append(v.Declared, declaredType{Type: t, Fields: def.Types[t].Fields})
	}
	return v, nil
}
