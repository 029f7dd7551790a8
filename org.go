package ownership

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ownershipkit/ownership/internal/strictjson"
)

// This file holds the organisation around the users: tenants, teams with
// their parents and managers, the manager hierarchy and queues. The CRMs
// this models: HubSpot's team view scope (with parent and child teams),
// Salesforce's role hierarchy and queues, and the tenants of every SaaS
// CRM.

// TenantID names a tenant. Records, users, teams, queues and policies of
// one tenant never meet those of another: no decision, filter, listing or
// ownership change crosses tenants, bypass roles included; only a role
// marked [RoleDef.Platform] does. The empty TenantID is the tenant of a
// host that has only one.
type TenantID string

// TeamID names a [Team].
type TeamID string

// QueueID names a [Queue].
type QueueID string

// Team is a group of users, as in HubSpot's teams or Dynamics 365's
// business units. Users list their teams ([User.Teams]); a team may have a
// parent team, and its managers reach the records of its members and of
// the members of its child teams, transitively.
type Team struct {
	ID     TeamID   `json:"id"`
	Name   string   `json:"name,omitempty"`
	Parent TeamID   `json:"parent,omitempty"`
	Tenant TenantID `json:"tenant,omitempty"`
	// Managers reach the records of the members of the team and of every
	// team below it; they need not be members themselves.
	Managers []UserID `json:"managers,omitempty"`
}

// Queue is a named pool that can hold records instead of a user, as in
// Salesforce's queues: to its members (users that list it in
// [User.Queues]) a record it holds is unassigned, so their scopes over
// unassigned records reach it and they may claim it out of the queue; to
// everyone else it is a record owned by someone else.
type Queue struct {
	ID     QueueID  `json:"id"`
	Name   string   `json:"name,omitempty"`
	Tenant TenantID `json:"tenant,omitempty"`
}

// Reach is what a subject's place in the organisation adds to its own
// records: the users whose records count as its teammates' (class
// [Teammates]), the users below the subject in the manager hierarchy (class
// [Reports]), and the queues it is a member of. [Org.Subject] computes it;
// [NewReach] builds one from data a host keeps elsewhere.
//
// A Reach is immutable and safe for concurrent use. The zero Reach reaches
// nobody and no queue.
type Reach struct {
	d *reachData
}

type reachData struct {
	// ids answers "teammate? report?" for an owner in one lookup.
	ids    *idSet
	queues []QueueID
}

// Bits of idSet values: the id is a teammate, a report.
const (
	inTeam uint8 = 1 << iota
	inReports
)

// idSet maps user ids to bits, looked up by the hashes that lists keep
// beside their entries (idHash without its lowest bit), so that a check
// never hashes a string.
type idSet struct {
	byHash map[uint64]idBits
	more   map[UserID]uint8 // ids whose hash another id of the set has
}

type idBits struct {
	id   UserID
	bits uint8
}

// add sets bits for each non-empty id of ids in s, creating s if needed.
func (s *idSet) add(ids []UserID, bits uint8) *idSet {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if s == nil {
			s = &idSet{byHash: make(map[uint64]idBits, len(ids))}
		}
		h := idHash(id) &^ 1
		switch cur, ok := s.byHash[h]; {
		case !ok:
			s.byHash[h] = idBits{id, bits}
		case cur.id == id:
			s.byHash[h] = idBits{id, cur.bits | bits}
		default:
			if s.more == nil {
				s.more = map[UserID]uint8{}
			}
			s.more[id] |= bits
		}
	}
	return s
}

// get returns the bits of id, whose idHash without its lowest bit is h.
func (s *idSet) get(id UserID, h uint64) uint8 {
	if s == nil {
		return 0
	}
	if cur, ok := s.byHash[h]; ok && cur.id == id {
		return cur.bits
	}
	return s.more[id]
}

// with returns, sorted, the ids that have one of bits.
func (s *idSet) with(bits uint8) []UserID {
	if s == nil {
		return nil
	}
	var out []UserID
	for _, v := range s.byHash {
		if v.bits&bits != 0 {
			out = append(out, v.id)
		}
	}
	for id, b := range s.more {
		if b&bits != 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// NewReach returns the reach of a subject whose team covers the users
// teammates, below whom are the users reports, and who is a member of the
// queues. Empty ids are ignored.
func NewReach(teammates, reports []UserID, queues []QueueID) Reach {
	d := &reachData{ids: (*idSet)(nil).add(teammates, inTeam).add(reports, inReports)}
	for _, q := range queues {
		if q != "" && !slices.Contains(d.queues, q) {
			d.queues = append(d.queues, q)
		}
	}
	if d.ids == nil && d.queues == nil {
		return Reach{}
	}
	return Reach{d: d}
}

// IsZero reports whether r reaches nobody and no queue.
func (r Reach) IsZero() bool { return r.d == nil }

// Teammates returns, sorted, the users whose records are in the subject's
// [Team] class.
func (r Reach) Teammates() []UserID {
	if r.d == nil {
		return nil
	}
	return r.d.ids.with(inTeam)
}

// Reports returns, sorted, the users below the subject in the manager
// hierarchy: the users whose records are in its [Reports] class.
func (r Reach) Reports() []UserID {
	if r.d == nil {
		return nil
	}
	return r.d.ids.with(inReports)
}

// Queues returns the queues the subject is a member of.
func (r Reach) Queues() []QueueID {
	if r.d == nil {
		return nil
	}
	return slices.Clone(r.d.queues)
}

func (r Reach) inQueue(q QueueID) bool { return r.d != nil && slices.Contains(r.d.queues, q) }

// OrgDef is the whole definition of an organisation: its users (with
// their teams, manager, queues and tenant), teams and queues. [NewOrg]
// checks it; its JSON form is the one seed files use.
type OrgDef struct {
	Users  []User  `json:"users,omitempty"`
	Teams  []Team  `json:"teams,omitempty"`
	Queues []Queue `json:"queues,omitempty"`
}

// UnmarshalJSON decodes an organisation's definition strictly: unknown
// or miscased fields, keys given twice and nesting deeper than 64 levels
// are errors wrapping [ErrInvalid], each naming its path. It does not
// check what [NewOrg] checks.
func (def *OrgDef) UnmarshalJSON(b []byte) error {
	type plain OrgDef // without this method
	var v plain
	if err := strictjson.Decode(b, &v); err != nil {
		return err
	}
	*def = OrgDef(v)
	return nil
}

// Org is a checked organisation: it answers who is in whose team, who
// reports to whom and who belongs to which queue, and builds the subjects
// of decisions with their [Reach]. An Org never changes once built and is
// safe for concurrent use.
type Org struct {
	users   map[UserID]*User
	order   []UserID
	teams   map[TeamID]*orgTeam
	queues  map[QueueID]Queue
	direct  map[UserID][]UserID // direct reports, in user order
	members map[QueueID][]UserID
	manages map[UserID][]TeamID // the teams each user manages, in team order
}

type orgTeam struct {
	Team
	children []TeamID
	members  []UserID
}

// NewOrg checks def and builds the organisation. Every problem is reported
// at once, each naming its place in def ("users[3].manager",
// "teams[1].parent"): an empty or repeated id, a reference to an unknown
// user, team or queue, a reference across tenants, and a loop in the
// manager hierarchy or in the team tree (a data error: a loop is never
// followed). The error wraps [ErrInvalid].
func NewOrg(def OrgDef) (*Org, error) {
	o := &Org{users: map[UserID]*User{}, teams: map[TeamID]*orgTeam{}, queues: map[QueueID]Queue{}, direct: map[UserID][]UserID{}, members: map[QueueID][]UserID{}}
	var errs []error
	bad := func(path, format string, args ...any) { errs = append(errs, strictjson.Errorf(path, format, args...)) }
	for i, q := range def.Queues {
		path := strictjson.Index("queues", i)
		switch _, dup := o.queues[q.ID]; {
		case q.ID == "":
			bad(path+".id", "empty queue id")
		case dup:
			bad(path+".id", "queue %q is defined twice", q.ID)
		default:
			o.queues[q.ID] = q
		}
	}
	for i, t := range def.Teams {
		path := strictjson.Index("teams", i)
		switch _, dup := o.teams[t.ID]; {
		case t.ID == "":
			bad(path+".id", "empty team id")
		case dup:
			bad(path+".id", "team %q is defined twice", t.ID)
		default:
			t.Managers = slices.Clone(t.Managers)
			o.teams[t.ID] = &orgTeam{Team: t}
		}
	}
	accepted := make([]bool, len(def.Users))
	for i, u := range def.Users {
		path := strictjson.Index("users", i)
		switch _, dup := o.users[u.ID]; {
		case u.ID == "":
			bad(path+".id", "empty user id")
		case dup:
			bad(path+".id", "user %q is defined twice", u.ID)
		default:
			c := u.Clone()
			o.users[u.ID] = &c
			o.order = append(o.order, u.ID)
			accepted[i] = true
		}
	}
	for i, t := range def.Teams {
		path := strictjson.Index("teams", i)
		if t.Parent != "" {
			switch p, ok := o.teams[t.Parent]; {
			case !ok:
				bad(path+".parent", "unknown team %q", t.Parent)
			case p.Tenant != t.Tenant:
				bad(path+".parent", "team %q belongs to tenant %q, not %q", t.Parent, p.Tenant, t.Tenant)
			case t.Parent == t.ID:
				bad(path+".parent", "team %q is its own parent", t.ID)
			}
		}
		for j, m := range t.Managers {
			switch u, ok := o.users[m]; {
			case !ok:
				bad(strictjson.Index(path+".managers", j), "unknown user %q", m)
			case u.Tenant != t.Tenant:
				bad(strictjson.Index(path+".managers", j), "user %q belongs to tenant %q, not %q", m, u.Tenant, t.Tenant)
			}
		}
	}
	for i, u := range def.Users {
		if !accepted[i] {
			continue
		}
		path := strictjson.Index("users", i)
		checkMemberships(bad, path+".teams", "team", u.Teams, u.Tenant, func(id TeamID) (TenantID, bool) {
			t, ok := o.teams[id]
			if !ok {
				return "", false
			}
			return t.Tenant, true
		}, func(id TeamID) { o.teams[id].members = append(o.teams[id].members, u.ID) })
		checkMemberships(bad, path+".queues", "queue", u.Queues, u.Tenant, func(id QueueID) (TenantID, bool) {
			q, ok := o.queues[id]
			return q.Tenant, ok
		}, func(id QueueID) { o.members[id] = append(o.members[id], u.ID) })
		if u.Manager != "" {
			switch m, ok := o.users[u.Manager]; {
			case !ok:
				bad(path+".manager", "unknown user %q", u.Manager)
			case u.Manager == u.ID:
				bad(path+".manager", "user %q is their own manager", u.ID)
			case m.Tenant != u.Tenant:
				bad(path+".manager", "user %q belongs to tenant %q, not %q", u.Manager, m.Tenant, u.Tenant)
			default:
				o.direct[u.Manager] = append(o.direct[u.Manager], u.ID)
			}
		}
	}
	errs = append(errs, o.loops(def)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	o.manages = map[UserID][]TeamID{}
	for _, t := range def.Teams {
		if t.Parent != "" {
			p := o.teams[t.Parent]
			p.children = append(p.children, t.ID)
		}
		for _, m := range t.Managers {
			if !slices.Contains(o.manages[m], t.ID) {
				o.manages[m] = append(o.manages[m], t.ID)
			}
		}
	}
	return o, nil
}

// checkMemberships checks a user's list of teams or queues (kind), at
// path, for a user of tenant: each must exist (tenantOf says whether, and
// its tenant), be in the user's tenant, and be listed once; add records
// each good one.
func checkMemberships[K ~string](bad func(path, format string, args ...any), path, kind string, ids []K, tenant TenantID, tenantOf func(K) (TenantID, bool), add func(K)) {
	for j, id := range ids {
		at := strictjson.Index(path, j)
		switch t, ok := tenantOf(id); {
		case !ok:
			bad(at, "unknown %s %q", kind, id)
		case t != tenant:
			bad(at, "%s %q belongs to tenant %q, not %q", kind, id, t, tenant)
		case slices.Index(ids, id) != j:
			bad(at, "%s %q is listed twice", kind, id)
		default:
			add(id)
		}
	}
}

// loops reports every loop in the manager hierarchy and in the team tree,
// once per loop, at the first member of the loop in def's order.
func (o *Org) loops(def OrgDef) []error {
	var errs []error
	users := make([]UserID, len(def.Users))
	for i, u := range def.Users {
		users[i] = u.ID
	}
	findLoops(users, func(id UserID) UserID {
		if u := o.users[id]; u != nil && u.Manager != id { // a user its own manager is reported apart
			return u.Manager
		}
		return ""
	}, func(loop []UserID, first int) {
		errs = append(errs, strictjson.Errorf(strictjson.Index("users", first)+".manager", "the manager hierarchy loops: %s", loopText(loop, users[first])))
	})
	teams := make([]TeamID, len(def.Teams))
	for i, t := range def.Teams {
		teams[i] = t.ID
	}
	findLoops(teams, func(id TeamID) TeamID {
		if t := o.teams[id]; t != nil && t.Parent != id { // a team its own parent is reported apart
			return t.Parent
		}
		return ""
	}, func(loop []TeamID, first int) {
		errs = append(errs, strictjson.Errorf(strictjson.Index("teams", first)+".parent", "the team tree loops: %s", loopText(loop, teams[first])))
	})
	return errs
}

// findLoops follows next (to "" at the end of a chain) from every id of
// order, and calls report once per loop with the loop and the index in
// order of its first member there. Each id is walked once.
func findLoops[K ~string](order []K, next func(K) K, report func(loop []K, first int)) {
	seen := map[K]bool{}
	for _, start := range order {
		var chain []K
		at := map[K]int{}
		for id := start; id != "" && !seen[id]; id = next(id) {
			if k, ok := at[id]; ok {
				loop := chain[k:]
				first := len(order)
				for _, m := range loop {
					if i := slices.Index(order, m); i >= 0 && i < first {
						first = i
					}
				}
				report(loop, first)
				break
			}
			at[id] = len(chain)
			chain = append(chain, id)
		}
		for _, id := range chain {
			seen[id] = true
		}
	}
}

// loopText formats a loop from its first member: "a -> b -> a".
func loopText[T ~string](loop []T, first T) string {
	k := slices.Index(loop, first)
	var b strings.Builder
	for i := range len(loop) + 1 {
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(string(loop[(k+i)%len(loop)]))
	}
	return b.String()
}

// User returns a copy of the user with id id, and false if there is none.
func (o *Org) User(id UserID) (User, bool) {
	if o == nil {
		return User{}, false
	}
	u, ok := o.users[id]
	if !ok {
		return User{}, false
	}
	return u.Clone(), true
}

// Team returns the team with id id, and false if there is none.
func (o *Org) Team(id TeamID) (Team, bool) {
	if o == nil {
		return Team{}, false
	}
	t, ok := o.teams[id]
	if !ok {
		return Team{}, false
	}
	c := t.Team
	c.Managers = slices.Clone(c.Managers)
	return c, true
}

// Queue returns the queue with id id, and false if there is none.
func (o *Org) Queue(id QueueID) (Queue, bool) {
	if o == nil {
		return Queue{}, false
	}
	q, ok := o.queues[id]
	return q, ok
}

// Subject returns user id as the subject of decisions: its roles, tenant
// and [Reach]. It computes the reach, which costs time in the size of
// the subject's teams and of the hierarchy below it: build it once per
// request, or cache it (with [Policy.Bind]) per user. An unknown user is
// the zero Subject and false: every decision about it is a denial.
func (o *Org) Subject(id UserID) (Subject, bool) {
	if o == nil {
		return Subject{}, false
	}
	u, ok := o.users[id]
	if !ok {
		return Subject{}, false
	}
	return Subject{ID: u.ID, Roles: slices.Clone(u.Roles), Tenant: u.Tenant, Reach: o.Reach(id)}, true
}

// Reach returns the reach of user id: the members of its teams, and for
// the teams it manages, of every team below them; every user below it in
// the manager hierarchy; and its queues. An unknown user reaches nobody.
func (o *Org) Reach(id UserID) Reach {
	if o == nil {
		return Reach{}
	}
	u, ok := o.users[id]
	if !ok {
		return Reach{}
	}
	var team []UserID
	for _, t := range u.Teams {
		team = append(team, o.teams[t].members...)
	}
	for _, t := range o.managed(id) {
		team = append(team, o.teams[t].members...)
	}
	return NewReach(team, o.below(id), u.Queues)
}

// managed returns the teams user id manages and every team below them.
func (o *Org) managed(id UserID) []TeamID {
	var out []TeamID
	seen := map[TeamID]bool{}
	var walk func(TeamID)
	walk = func(t TeamID) {
		if seen[t] {
			return
		}
		seen[t] = true
		out = append(out, t)
		for _, c := range o.teams[t].children {
			walk(c)
		}
	}
	for _, tid := range o.manages[id] {
		walk(tid)
	}
	return out
}

// below returns every user below id in the manager hierarchy.
func (o *Org) below(id UserID) []UserID {
	var out []UserID
	queue := slices.Clone(o.direct[id])
	seen := map[UserID]bool{id: true}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, u)
		queue = append(queue, o.direct[u]...)
	}
	return out
}

// Above returns the managers of user id, nearest first.
func (o *Org) Above(id UserID) []UserID {
	if o == nil {
		return nil
	}
	var out []UserID
	for u := o.users[id]; u != nil && u.Manager != ""; u = o.users[u.Manager] {
		out = append(out, u.Manager)
	}
	return out
}

// Members returns the members of queue q, in user order.
func (o *Org) Members(q QueueID) []UserID {
	if o == nil {
		return nil
	}
	return slices.Clone(o.members[q])
}

// Def returns the definition o was built from (copies, in its order).
func (o *Org) Def() OrgDef {
	var def OrgDef
	if o == nil {
		return def
	}
	for _, id := range o.order {
		def.Users = append(def.Users, o.users[id].Clone())
	}
	for _, id := range slices.Sorted(maps.Keys(o.teams)) {
		t, _ := o.Team(id)
		def.Teams = append(def.Teams, t)
	}
	for _, id := range slices.Sorted(maps.Keys(o.queues)) {
		def.Queues = append(def.Queues, o.queues[id])
	}
	return def
}

// String describes o by its sizes: "org(12 users, 3 teams, 2 queues)".
func (o *Org) String() string {
	if o == nil {
		return "org(nil)"
	}
	return fmt.Sprintf("org(%d users, %d teams, %d queues)", len(o.users), len(o.teams), len(o.queues))
}
