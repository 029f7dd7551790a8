package bench

import (
	"fmt"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/ownershipkit/ownership"
)

// CasbinModel is the benchmark policy's model in Casbin: RBAC for the
// subject's roles (g) and ABAC for ownership, with one policy section and
// one matcher per action (p and m for view, p2 and m2 for update, and so
// on, in the order of [Actions]).
//
// A policy line grants a role, on a record type ("*" for every type), one
// record class ("own", "unassigned", "others", or "*" for all three): the
// scopes of the ownership library, one line per class. The class is the
// one thing Casbin cannot look up in its own tables, since it depends on
// the record's list; the registered function recordClass computes it, by
// rule 3 of the design, from the record passed in the request.
//
// Casbin scans every line of a section until one allows, evaluating the
// matcher on each; a section per action means that a check scans the two
// to four lines of its action instead of all twelve, which halves the
// time of a check. Each matcher tests the type, then the role, then the
// class, so that govaluate, which short-circuits && and ||, rejects a line
// for another type before it calls g, and a line for another role before
// it calls recordClass.
const CasbinModel = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, typ, cls
p2 = sub, typ, cls
p3 = sub, typ, cls
p4 = sub, typ, cls
p5 = sub, typ, cls
p6 = sub, typ, cls

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (p.typ == "*" || p.typ == recordType(r.obj)) && g(r.sub, p.sub) && (p.cls == "*" || p.cls == recordClass(r.obj, r.sub, r.act))
m2 = (p2.typ == "*" || p2.typ == recordType(r.obj)) && g(r.sub, p2.sub) && (p2.cls == "*" || p2.cls == recordClass(r.obj, r.sub, r.act))
m3 = (p3.typ == "*" || p3.typ == recordType(r.obj)) && g(r.sub, p3.sub) && (p3.cls == "*" || p3.cls == recordClass(r.obj, r.sub, r.act))
m4 = (p4.typ == "*" || p4.typ == recordType(r.obj)) && g(r.sub, p4.sub) && (p4.cls == "*" || p4.cls == recordClass(r.obj, r.sub, r.act))
m5 = (p5.typ == "*" || p5.typ == recordType(r.obj)) && g(r.sub, p5.sub) && (p5.cls == "*" || p5.cls == recordClass(r.obj, r.sub, r.act))
m6 = (p6.typ == "*" || p6.typ == recordType(r.obj)) && g(r.sub, p6.sub) && (p6.cls == "*" || p6.cls == recordClass(r.obj, r.sub, r.act))
`

// CasbinPolicy is the benchmark policy as Casbin policy lines: role,
// record type, action, class. [NewCasbin] files each line under its
// action's section, and a line for action "*" (the bypass role) under
// every section. Within a section the lines keep this order, which is the
// order Casbin scans them.
var CasbinPolicy = [][]string{
	{"admin", "*", "*", "*"},

	{"sales_rep", "contact", "view", "own"},
	{"sales_rep", "contact", "view", "unassigned"},
	{"sales_rep", "contact", "update", "own"},
	{"sales_rep", "contact", "claim", "unassigned"},
	{"sales_rep", "contact", "manage_ownership", "own"},

	{"manager", "*", "view", "*"},
	{"manager", "*", "update", "*"},
	{"manager", "*", "delete", "*"},
	{"manager", "*", "claim", "unassigned"},
	{"manager", "*", "reassign", "*"},
	{"manager", "*", "manage_ownership", "own"},
}

// Casbin is the benchmark policy in a Casbin enforcer, with the request
// context that selects each action's section. It is not safe for
// concurrent use while its policy changes, like the plain
// [casbin.Enforcer] it holds.
type Casbin struct {
	// Enforcer holds the model and the policy.
	Enforcer *casbin.Enforcer
	ctx      [ownership.ManageOwnership + 1]casbin.EnforceContext
}

// NewCasbin builds the enforcer once: the model, the policy lines and one
// grouping line per (user, role) of users. Logging is off; there is no
// adapter, so nothing is saved.
func NewCasbin(users []User) (*Casbin, error) {
	m, err := model.NewModelFromString(CasbinModel)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	e.EnableLog(false)
	e.EnableAutoSave(false)
	e.AddFunction("recordType", recordType)
	e.AddFunction("recordClass", recordClass)
	c := &Casbin{Enforcer: e}
	for i, a := range Actions {
		suffix := ""
		if i > 0 {
			suffix = fmt.Sprint(i + 1)
		}
		c.ctx[a] = casbin.EnforceContext{RType: "r", PType: "p" + suffix, EType: "e", MType: "m" + suffix}
		for _, l := range CasbinPolicy {
			if l[2] != "*" && l[2] != a.String() {
				continue
			}
			if _, err := e.AddNamedPolicy("p"+suffix, l[0], l[1], l[3]); err != nil {
				return nil, err
			}
		}
	}
	var links [][]string
	for _, u := range users {
		for _, role := range u.Roles {
			links = append(links, []string{u.ID, role})
		}
	}
	if _, err := e.AddGroupingPolicies(links); err != nil {
		return nil, err
	}
	return c, nil
}

// Enforce reports whether user may perform a on r: one call of
// [casbin.Enforcer.Enforce] on the action's section. An action outside
// [Actions] is denied.
func (c *Casbin) Enforce(user string, r *Record, a ownership.Action) (bool, error) {
	if !a.Valid() {
		return false, nil
	}
	return c.Enforcer.Enforce(c.ctx[a], user, r, a.String())
}

// recordType returns the type of the *Record passed as r.obj.
func recordType(args ...any) (any, error) {
	r, ok := args[0].(*Record)
	if !ok {
		return nil, fmt.Errorf("recordType: want *Record, got %T", args[0])
	}
	return r.Type, nil
}

// recordClass returns the class ("own", "unassigned" or "others") of
// record r.obj for subject r.sub and action r.act: own if the subject is
// an owner, or for view a follower; otherwise unassigned if the record
// has no owner; otherwise others.
func recordClass(args ...any) (any, error) {
	r, ok := args[0].(*Record)
	sub, ok1 := args[1].(string)
	act, ok2 := args[2].(string)
	if !ok || !ok1 || !ok2 {
		return nil, fmt.Errorf("recordClass: want (*Record, string, string), got (%T, %T, %T)", args[0], args[1], args[2])
	}
	for _, id := range r.Owners {
		if id == sub {
			return "own", nil
		}
	}
	if act == "view" {
		for _, id := range r.Followers {
			if id == sub {
				return "own", nil
			}
		}
	}
	if len(r.Owners) == 0 {
		return "unassigned", nil
	}
	return "others", nil
}
