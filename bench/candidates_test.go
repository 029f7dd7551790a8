package bench

import (
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/ownershipkit/ownership"
)

// The Casbin models that were measured against CasbinModel before it was
// chosen, kept so that the choice can be checked: each is tested for the
// same decisions as the ownership library and measured on the queries of
// BenchmarkCheck by BenchmarkCasbinModels.

// oneSectionModel is CasbinModel with a single policy section: the action
// is a column of every line, "*" for the bypass role. It is the model most
// Casbin users would write, and it scans all twelve lines on a denial.
const oneSectionModel = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, typ, act, cls

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (p.act == r.act || p.act == "*") && (p.typ == "*" || p.typ == recordType(r.obj)) && g(r.sub, p.sub) && (p.cls == "*" || p.cls == recordClass(r.obj, r.sub, r.act))
`

// domainsModel keeps ownership in Casbin itself, as RBAC with domains: a
// grouping line g2 per (user, relation, record), the relation being owner
// or follower, and a line g3 per assigned record, all of which the host
// must keep in sync with every change of ownership. The matcher derives
// the record class from them; the request carries the record's id and
// type as strings.
const domainsModel = `
[request_definition]
r = sub, obj, typ, act

[policy_definition]
p = sub, typ, act, cls

[role_definition]
g = _, _
g2 = _, _, _
g3 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (p.act == r.act || p.act == "*") && (p.typ == "*" || p.typ == r.typ) && g(r.sub, p.sub) && (p.cls == "*" || p.cls == "own" && (g2(r.sub, "owner", r.obj) || r.act == "view" && g2(r.sub, "follower", r.obj)) || p.cls == "unassigned" && !g3(r.obj, "assigned") && !(r.act == "view" && g2(r.sub, "follower", r.obj)) || p.cls == "others" && g3(r.obj, "assigned") && !g2(r.sub, "owner", r.obj) && !(r.act == "view" && g2(r.sub, "follower", r.obj)))
`

// enforceFunc asks an enforcer whether user may perform a on r.
type enforceFunc func(user string, r *Record, a ownership.Action) (bool, error)

// candidate is a Casbin model and the way to load it with the policy and
// recs and to ask it.
type candidate struct {
	name  string
	build func(tb testing.TB, recs []Record) enforceFunc
}

var candidates = []candidate{
	{"sections-per-action", func(tb testing.TB, _ []Record) enforceFunc {
		return newCasbin(tb).Enforce // CasbinModel, the one chosen
	}},
	{"one-section", func(tb testing.TB, _ []Record) enforceFunc {
		e := newEnforcer(tb, oneSectionModel)
		e.AddFunction("recordType", recordType)
		e.AddFunction("recordClass", recordClass)
		_, err := e.AddPolicies(CasbinPolicy)
		must(tb, err)
		return func(user string, r *Record, a ownership.Action) (bool, error) {
			return e.Enforce(user, r, a.String())
		}
	}},
	{"rbac-with-domains", func(tb testing.TB, recs []Record) enforceFunc {
		e := newEnforcer(tb, domainsModel)
		_, err := e.AddPolicies(CasbinPolicy)
		must(tb, err)
		var rel, assigned [][]string
		for _, r := range recs {
			for _, id := range r.Owners {
				rel = append(rel, []string{id, "owner", r.ID})
			}
			for _, id := range r.Followers {
				rel = append(rel, []string{id, "follower", r.ID})
			}
			if len(r.Owners) > 0 {
				assigned = append(assigned, []string{r.ID, "assigned"})
			}
		}
		_, err = e.AddNamedGroupingPolicies("g2", rel)
		must(tb, err)
		_, err = e.AddNamedGroupingPolicies("g3", assigned)
		must(tb, err)
		return func(user string, r *Record, a ownership.Action) (bool, error) {
			return e.Enforce(user, r.ID, r.Type, a.String())
		}
	}},
}

// newEnforcer returns an enforcer of model text with the grouping lines
// of Users and logging off.
func newEnforcer(tb testing.TB, text string) *casbin.Enforcer {
	tb.Helper()
	m, err := model.NewModelFromString(text)
	must(tb, err)
	e, err := casbin.NewEnforcer(m)
	must(tb, err)
	e.EnableLog(false)
	e.EnableAutoSave(false)
	for _, u := range Users {
		for _, role := range u.Roles {
			_, err := e.AddGroupingPolicy(u.ID, role)
			must(tb, err)
		}
	}
	return e
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// TestCandidates checks every candidate model against the ownership
// library on the records of BenchmarkCheck: all of them, or every 10th
// under the race detector and with -short.
func TestCandidates(t *testing.T) {
	p, recs := Policy(), Records(checkSize)
	step := 1
	if raceEnabled || testing.Short() {
		step = 10
	}
	for _, c := range candidates {
		t.Run(c.name, func(t *testing.T) {
			enforce := c.build(t, recs)
			for _, u := range Users {
				s := p.Bind(ownership.Subject{ID: ownership.UserID(u.ID), Roles: u.Roles})
				for _, a := range Actions {
					for i := 0; i < len(recs); i += step {
						want := p.Can(s, a, recs[i].Ownership())
						got, err := enforce(u.ID, &recs[i], a)
						if err != nil {
							t.Fatal(err)
						}
						if got != want {
							t.Fatalf("%s %v, %v on %s/%s: casbin says %v, ownership %v", u.ID, u.Roles, a, recs[i].Type, recs[i].ID, got, want)
						}
					}
				}
			}
		})
	}
}

// BenchmarkCasbinModels measures the candidate Casbin models on the
// queries of BenchmarkCheck.
func BenchmarkCasbinModels(b *testing.B) {
	recs, qs := Records(checkSize), checkQueries()
	for _, c := range candidates {
		b.Run(c.name, func(b *testing.B) {
			enforce := c.build(b, recs)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				q := &qs[i&1023]
				ok, err := enforce(Users[q.user].ID, &recs[q.rec], Actions[q.action])
				if err != nil {
					b.Fatal(err)
				}
				sinkBool = ok
			}
		})
	}
}
