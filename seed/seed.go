package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/internal/strictjson"
)

// Seed is the content of a seed file: the JSON interchange format in which
// people write users, policies, templates and records by hand, and in which
// ownership travels between systems (records' "ownership" arrays,
// templates' "default_ownership").
//
//	{
//	  "users":     [{"id": "u1", "login": "ann", "email": "Ann Lee <ann@x.io>", "roles": ["sales_rep"],
//	                 "tenant": "acme", "teams": ["east"], "manager": "u9", "queues": ["support"]}],
//	  "teams":     [{"id": "east", "name": "Sales East", "parent": "sales", "tenant": "acme", "managers": ["u8"]}],
//	  "queues":    [{"id": "support", "name": "Support", "tenant": "acme"}],
//	  "policy":    {"roles": {"sales_rep": {"types": {"contact": {"view": ["own", "unassigned"], "update": "own", "claim": true}}}}},
//	  "types":     {"contract": {"owner_field": {"record": "customer_email", "user": "email", "normalize": "email"}}},
//	  "templates": [{"id": "t1", "type": "document", "mode": "sync_with_parent", "default_ownership": [...]}],
//	  "profiles":  [{"id": "north", "default_ownership": [...]}],
//	  "records":   [{"type": "contact", "id": "c1", "tenant": "acme", "ownership": [{"user_id": "u1", "role": "owner"}]},
//	                {"type": "ticket", "id": "t1", "tenant": "acme", "ownership": [{"queue": "support", "role": "owner"}]},
//	                {"type": "document", "id": "d1", "parent": "contact/c1", "mode": "sync_with_parent"}],
//	  "assignment": [{"rule": "round_robin", "team": ["u1"]}]
//	}
//
// [Parse] reads a seed strictly and resolves every record's effective
// ownership; [Seed.Record] returns it, ready for [ownership.Policy.Decide].
// The users, teams and queues make the seed's organisation
// ([Seed.Org]), from which [Seed.Subject] builds the subjects of
// decisions, with their tenant, teammates, reports and queues.
//
// A Seed never changes once parsed: its methods return copies, so that a
// caller cannot change the answers of another, and it is safe for
// concurrent use. The zero Seed, and a nil *Seed, hold nothing: every
// decision about them is a denial.
type Seed struct {
	users     []ownership.User  // as read, in file order
	teams     []ownership.Team  // as read, in file order
	queues    []ownership.Queue // as read, in file order
	org       *ownership.Org
	policy    *ownership.Policy
	types     map[string]TypeDef
	templates []ownership.Template
	profiles  []ownership.Profile
	// records are as written in the file: a synced record carries no list
	// of its own, and a field-matched record has its owner in its fields.
	records    []ownership.Record
	assignment json.RawMessage // the "assignment" section as read

	userIdx   map[string]int            // position in users, by user id
	directory map[string]ownership.User // copies of the users, by id
	recordIdx map[ownership.Ref]int     // position in records, by ref
	effective map[ownership.Ref]ownership.Record
	matchers  map[string]*ownership.Matcher
}

// TypeDef configures one record type in a seed.
type TypeDef struct {
	// OwnerField, when set, makes the type's records get their owner from
	// a field, matched against the users (see [ownership.Matcher]).
	OwnerField *ownership.OwnerField `json:"owner_field,omitempty"`
}

var seedFields = []string{"users", "teams", "queues", "policy", "types", "templates", "profiles", "records", "assignment"}

// Parse decodes and checks a seed file. It reports every problem at once,
// joined, each naming its path in the file: a [*ownership.PathError],
// which wraps [ownership.ErrInvalid], or for a field value several users
// share an error wrapping [ownership.ErrAmbiguous]. The problems are
// unknown fields, unknown roles or actions, bad scopes, duplicate ids,
// references to users, teams, queues or records that do not exist, parent
// chains, manager hierarchies and team trees that loop, synced records
// without a parent, ambiguous field matches, and references across
// tenants: a user's teams, manager or queues, a team's parent or
// managers, a record's owners, followers, queue, parent or matched owner
// in another tenant than the user, team or record.
// Arrays and objects nested more than 64 levels deep are refused before
// anything else is read, with the path where the limit was reached.
func Parse(data []byte) (*Seed, error) {
	var d strictjson.Decoder
	var raw json.RawMessage
	if err := strictjson.Decode(data, &raw); err != nil {
		return nil, err
	}
	top := d.Object(raw, "", seedFields...)
	if top == nil {
		return nil, d.Err()
	}
	s := &Seed{userIdx: map[string]int{}, recordIdx: map[ownership.Ref]int{}, effective: map[ownership.Ref]ownership.Record{}, matchers: map[string]*ownership.Matcher{}}

	// The policy first: users' roles are checked against it. Its decoder
	// reports what is wrong and leaves it out, so what is left builds.
	var def ownership.PolicyDef
	if raw := top["policy"]; raw != nil {
		d.Add(strictjson.Within("policy", def.UnmarshalJSON(raw)))
	}
	if p, err := ownership.Compile(def); err != nil {
		d.Add(strictjson.Within("policy", err))
		s.policy = &ownership.Policy{}
	} else {
		s.policy = p
	}
	users := s.decodeUsers(&d, top["users"])
	s.decodeOrg(&d, users, top["teams"], top["queues"])
	s.decodeTypes(&d, top["types"])
	s.decodeTemplates(&d, top["templates"])
	s.decodeProfiles(&d, top["profiles"])
	s.decodeRecords(&d, top["records"])
	s.decodeAssignment(&d, top["assignment"])
	s.resolve(&d, !d.Failed())
	if err := d.Err(); err != nil {
		return nil, err
	}
	s.directory = make(map[string]ownership.User, len(s.users))
	for _, u := range s.users {
		s.directory[string(u.ID)] = u.Clone()
	}
	return s, nil
}

// decodeUsers decodes the users into s.users and returns them as they
// stand in the file, index for index (a zero User where an element is not
// an object), for the organisation's paths.
func (s *Seed) decodeUsers(d *strictjson.Decoder, raw json.RawMessage) []ownership.User {
	items := d.Array(raw, "users")
	inFile := make([]ownership.User, len(items))
	for i, r := range items {
		p := strictjson.Index("users", i)
		m := d.Object(r, p, "id", "login", "email", "given_name", "last_name", "roles", "inactive", "skills", "fields", "tenant", "teams", "manager", "queues")
		if m == nil {
			continue
		}
		u := ownership.User{
			ID:        ownership.UserID(d.String(m["id"], strictjson.Sub(p, "id"))),
			Login:     d.String(m["login"], strictjson.Sub(p, "login")),
			Email:     d.String(m["email"], strictjson.Sub(p, "email")),
			GivenName: d.String(m["given_name"], strictjson.Sub(p, "given_name")),
			LastName:  d.String(m["last_name"], strictjson.Sub(p, "last_name")),
			Roles:     d.Strings(m["roles"], strictjson.Sub(p, "roles")),
			Inactive:  d.Bool(m["inactive"], strictjson.Sub(p, "inactive")),
			Skills:    d.Strings(m["skills"], strictjson.Sub(p, "skills")),
			Fields:    d.StringMap(m["fields"], strictjson.Sub(p, "fields")),
			Tenant:    ownership.TenantID(d.String(m["tenant"], strictjson.Sub(p, "tenant"))),
			Teams:     ids[ownership.TeamID](d.Strings(m["teams"], strictjson.Sub(p, "teams"))),
			Manager:   ownership.UserID(d.String(m["manager"], strictjson.Sub(p, "manager"))),
			Queues:    ids[ownership.QueueID](d.Strings(m["queues"], strictjson.Sub(p, "queues"))),
		}
		d.Unique(s.userIdx, string(u.ID), len(s.users), "users", strictjson.Sub(p, "id"))
		for k, role := range u.Roles {
			if !s.policy.HasRole(role) {
				d.Errorf(strictjson.Index(strictjson.Sub(p, "roles"), k), "unknown role %q (the policy defines %s)", role, quoteList(s.policy.RoleNames()))
			}
		}
		s.users = append(s.users, u)
		inFile[i] = u
	}
	return inFile
}

// ids converts decoded strings to ids of one kind.
func ids[T ~string](in []string) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
}

// decodeOrg decodes the teams and queues and builds the organisation of
// users (as they stand in the file) with them. [ownership.NewOrg] names
// its problems by the same paths as the file ("users[3].manager",
// "teams[1].parent"); empty and repeated ids, which the seed reports
// itself in its own words, are left out of its report.
func (s *Seed) decodeOrg(d *strictjson.Decoder, users []ownership.User, rawTeams, rawQueues json.RawMessage) {
	teams := d.Array(rawTeams, "teams")
	def := ownership.OrgDef{Users: users, Teams: make([]ownership.Team, len(teams))}
	seen := map[string]int{}
	for i, r := range teams {
		p := strictjson.Index("teams", i)
		m := d.Object(r, p, "id", "name", "parent", "tenant", "managers")
		if m == nil {
			continue
		}
		t := ownership.Team{
			ID:       ownership.TeamID(d.String(m["id"], strictjson.Sub(p, "id"))),
			Name:     d.String(m["name"], strictjson.Sub(p, "name")),
			Parent:   ownership.TeamID(d.String(m["parent"], strictjson.Sub(p, "parent"))),
			Tenant:   ownership.TenantID(d.String(m["tenant"], strictjson.Sub(p, "tenant"))),
			Managers: ids[ownership.UserID](d.Strings(m["managers"], strictjson.Sub(p, "managers"))),
		}
		d.Unique(seen, string(t.ID), i, "teams", strictjson.Sub(p, "id"))
		s.teams = append(s.teams, t)
		def.Teams[i] = t
	}
	queues := d.Array(rawQueues, "queues")
	def.Queues = make([]ownership.Queue, len(queues))
	clear(seen)
	for i, r := range queues {
		p := strictjson.Index("queues", i)
		m := d.Object(r, p, "id", "name", "tenant")
		if m == nil {
			continue
		}
		q := ownership.Queue{
			ID:     ownership.QueueID(d.String(m["id"], strictjson.Sub(p, "id"))),
			Name:   d.String(m["name"], strictjson.Sub(p, "name")),
			Tenant: ownership.TenantID(d.String(m["tenant"], strictjson.Sub(p, "tenant"))),
		}
		d.Unique(seen, string(q.ID), i, "queues", strictjson.Sub(p, "id"))
		s.queues = append(s.queues, q)
		def.Queues[i] = q
	}
	org, err := ownership.NewOrg(def)
	if err != nil {
		for _, e := range unjoin(err) {
			if pe, ok := e.(*ownership.PathError); ok && strings.HasSuffix(pe.Path, ".id") {
				continue // an empty or repeated id, reported by d.Unique
			}
			d.Add(e)
		}
		return
	}
	s.org = org
}

// unjoin returns the problems a joined error holds, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func (s *Seed) decodeTypes(d *strictjson.Decoder, raw json.RawMessage) {
	if raw == nil {
		return
	}
	m := d.Object(raw, "types")
	for _, t := range slices.Sorted(maps.Keys(m)) {
		p := strictjson.Sub("types", t)
		if !ownership.ValidType(t) {
			d.Errorf("types", "record type %q must be non-empty and without '/' or '*'", t)
			continue
		}
		o := d.Object(m[t], p, "owner_field")
		if o == nil {
			continue
		}
		var def TypeDef
		if o["owner_field"] != nil {
			fp := strictjson.Sub(p, "owner_field")
			f := d.Object(o["owner_field"], fp, "record", "user", "normalize", "case_sensitive_local")
			if f == nil {
				continue
			}
			of := ownership.OwnerField{
				Record:             d.String(f["record"], strictjson.Sub(fp, "record")),
				User:               d.String(f["user"], strictjson.Sub(fp, "user")),
				CaseSensitiveLocal: d.Bool(f["case_sensitive_local"], strictjson.Sub(fp, "case_sensitive_local")),
			}
			norm := d.String(f["normalize"], strictjson.Sub(fp, "normalize"))
			var err error
			if of.Normalize, err = ownership.ParseNormalizer(norm); err != nil {
				d.Errorf(strictjson.Sub(fp, "normalize"), "%q: want exact, casefold or email", norm)
				continue
			}
			if err := of.Validate(); err != nil {
				d.Errorf(fp, "%s", strictjson.Message(err))
				continue
			}
			def.OwnerField = &of
			mt, err := ownership.NewMatcher(of, s.users)
			if err != nil {
				d.Add(fmt.Errorf("%s: %w", fp, err))
				continue
			}
			for _, perr := range mt.Problems() {
				// Lookalikes are warnings: both users still match their
				// own records. Seed.Matcher(t).Problems() lists them.
				if errors.Is(perr, ownership.ErrLookalike) {
					continue
				}
				d.Add(fmt.Errorf("%s: %w", fp, perr))
			}
			s.matchers[t] = mt
		}
		if s.types == nil {
			s.types = map[string]TypeDef{}
		}
		s.types[t] = def
	}
}

// list builds a List from entries decoded at path, checking that every
// user and queue exists.
func (s *Seed) list(d *strictjson.Decoder, es []ownership.Entry, path string) ownership.List {
	for i, e := range es {
		if e.UserID != "" {
			if _, ok := s.userIdx[string(e.UserID)]; !ok {
				d.Errorf(strictjson.Sub(strictjson.Index(path, i), "user_id"), "unknown user %q", e.UserID)
			}
		}
		if e.Queue != "" {
			if _, ok := s.queue(e.Queue); !ok {
				d.Errorf(strictjson.Sub(strictjson.Index(path, i), "queue"), "unknown queue %q", e.Queue)
			}
		}
	}
	l, err := ownership.NewList(es...)
	if err != nil {
		return ownership.List{} // each bad entry was reported with its path
	}
	return l
}

func (s *Seed) decodeTemplates(d *strictjson.Decoder, raw json.RawMessage) {
	seen := map[string]int{}
	for i, r := range d.Array(raw, "templates") {
		p := strictjson.Index("templates", i)
		m := d.Object(r, p, "id", "type", "mode", "default_ownership")
		if m == nil {
			continue
		}
		t := ownership.Template{ID: d.String(m["id"], strictjson.Sub(p, "id")), Type: d.String(m["type"], strictjson.Sub(p, "type"))}
		d.Unique(seen, t.ID, i, "templates", strictjson.Sub(p, "id"))
		if !ownership.ValidType(t.Type) {
			d.Errorf(strictjson.Sub(p, "type"), "record type %q must be non-empty and without '/' or '*'", t.Type)
		}
		t.Mode = decodeMode(d, m["mode"], strictjson.Sub(p, "mode"))
		t.DefaultOwnership = s.list(d, decodeEntries(d, m["default_ownership"], strictjson.Sub(p, "default_ownership")), strictjson.Sub(p, "default_ownership"))
		s.templates = append(s.templates, t)
	}
}

func decodeMode(d *strictjson.Decoder, raw json.RawMessage, path string) ownership.Mode {
	v := d.String(raw, path)
	m, err := ownership.ParseMode(v)
	if err != nil {
		d.Errorf(path, "%q: want independent or sync_with_parent", v)
	}
	return m
}

func (s *Seed) decodeProfiles(d *strictjson.Decoder, raw json.RawMessage) {
	seen := map[string]int{}
	for i, r := range d.Array(raw, "profiles") {
		p := strictjson.Index("profiles", i)
		m := d.Object(r, p, "id", "default_ownership")
		if m == nil {
			continue
		}
		pr := ownership.Profile{ID: d.String(m["id"], strictjson.Sub(p, "id"))}
		d.Unique(seen, pr.ID, i, "profiles", strictjson.Sub(p, "id"))
		pr.DefaultOwnership = s.list(d, decodeEntries(d, m["default_ownership"], strictjson.Sub(p, "default_ownership")), strictjson.Sub(p, "default_ownership"))
		s.profiles = append(s.profiles, pr)
	}
}

func (s *Seed) decodeRecords(d *strictjson.Decoder, raw json.RawMessage) {
	items := d.Array(raw, "records")
	parents := make([]string, len(items))
	for i, r := range items {
		p := strictjson.Index("records", i)
		m := d.Object(r, p, "type", "id", "tenant", "ownership", "parent", "mode", "fields")
		if m == nil {
			s.records = append(s.records, ownership.Record{})
			continue
		}
		rec := ownership.Record{
			Ref:    ownership.Ref{Type: d.String(m["type"], strictjson.Sub(p, "type")), ID: d.String(m["id"], strictjson.Sub(p, "id"))},
			Mode:   decodeMode(d, m["mode"], strictjson.Sub(p, "mode")),
			Fields: d.StringMap(m["fields"], strictjson.Sub(p, "fields")),
			Tenant: ownership.TenantID(d.String(m["tenant"], strictjson.Sub(p, "tenant"))),
		}
		switch {
		case !ownership.ValidType(rec.Ref.Type):
			d.Errorf(strictjson.Sub(p, "type"), "record type %q must be non-empty and without '/' or '*'", rec.Ref.Type)
		case rec.Ref.ID == "":
			d.Errorf(strictjson.Sub(p, "id"), "missing or empty")
		default:
			if j, dup := s.recordIdx[rec.Ref]; dup {
				d.Errorf(strictjson.Sub(p, "id"), "duplicate record %s (also records[%d])", rec.Ref, j)
			} else {
				s.recordIdx[rec.Ref] = i
			}
		}
		if parent := d.String(m["parent"], strictjson.Sub(p, "parent")); parent != "" {
			ref, err := ownership.ParseRef(parent)
			if err != nil {
				d.Errorf(strictjson.Sub(p, "parent"), "%q: want type/id", parent)
			}
			rec.Parent, parents[i] = ref, parent
		}
		if m["ownership"] != nil {
			op := strictjson.Sub(p, "ownership")
			switch {
			case rec.Mode == ownership.SyncWithParent:
				d.Errorf(op, "a record synced with its parent takes its ownership from it; remove the list or make the record independent")
			case s.matchers[rec.Ref.Type] != nil:
				d.Errorf(op, "%s records take their owner from field %q; remove the list", rec.Ref.Type, s.matchers[rec.Ref.Type].Field().Record)
			}
			es := decodeEntries(d, m["ownership"], op)
			rec.Ownership = s.list(d, es, op)
			s.sameTenant(d, es, op, rec.Tenant)
		}
		if rec.Mode == ownership.SyncWithParent && rec.Parent.IsZero() {
			d.Errorf(strictjson.Sub(p, "parent"), "a record synced with its parent needs a parent")
		}
		s.records = append(s.records, rec)
	}
	// References between records, once all are known.
	for i, rec := range s.records {
		if rec.Parent.IsZero() {
			continue
		}
		p := strictjson.Sub(strictjson.Index("records", i), "parent")
		pi, ok := s.recordIdx[rec.Parent]
		if !ok {
			d.Errorf(p, "record %s does not exist", parents[i])
			continue
		}
		if t := s.records[pi].Tenant; t != rec.Tenant {
			d.Errorf(p, "record %s belongs to tenant %q, not %q", rec.Parent, t, rec.Tenant)
		}
		// Walk up: a loop through this record is reported once, here.
		chain := []ownership.Ref{rec.Ref}
		for cur := rec.Parent; !cur.IsZero(); {
			if cur == rec.Ref {
				d.Errorf(p, "parent chain loops: %s", formatChain(append(chain, cur)))
				break
			}
			if slices.Contains(chain, cur) {
				break // a loop above this record, reported at its members
			}
			chain = append(chain, cur)
			j, ok := s.recordIdx[cur]
			if !ok {
				break
			}
			cur = s.records[j].Parent
		}
	}
}

// sameTenant reports the users and the queue of a record's ownership
// list (es, decoded at path) that belong to another tenant than the
// record's. Unknown ones were reported by list.
func (s *Seed) sameTenant(d *strictjson.Decoder, es []ownership.Entry, path string, tenant ownership.TenantID) {
	for i, e := range es {
		p := strictjson.Index(path, i)
		if j, ok := s.userIdx[string(e.UserID)]; ok && e.UserID != "" && s.users[j].Tenant != tenant {
			d.Errorf(strictjson.Sub(p, "user_id"), "user %q belongs to tenant %q, not %q", e.UserID, s.users[j].Tenant, tenant)
		}
		if q, ok := s.queue(e.Queue); ok && e.Queue != "" && q.Tenant != tenant {
			d.Errorf(strictjson.Sub(p, "queue"), "queue %q belongs to tenant %q, not %q", e.Queue, q.Tenant, tenant)
		}
	}
}

func (s *Seed) decodeAssignment(d *strictjson.Decoder, raw json.RawMessage) {
	if raw == nil {
		return
	}
	if _, err := ownership.ParseRules(raw); err != nil {
		d.Add(err)
	} else {
		s.assignment = append(json.RawMessage(nil), raw...)
	}
	// Users named by rules must exist, whatever else is wrong.
	var items []struct {
		Team        []ownership.UserID            `json:"team"`
		Territories map[string][]ownership.UserID `json:"territories"`
	}
	if json.Unmarshal(raw, &items) != nil {
		return // the shape was reported by ownership.ParseRules
	}
	for i, it := range items {
		p := strictjson.Index("assignment", i)
		for k, u := range it.Team {
			if _, ok := s.userIdx[string(u)]; !ok {
				d.Errorf(strictjson.Index(strictjson.Sub(p, "team"), k), "unknown user %q", u)
			}
		}
		for _, t := range slices.Sorted(maps.Keys(it.Territories)) {
			for k, u := range it.Territories[t] {
				if _, ok := s.userIdx[string(u)]; !ok {
					d.Errorf(strictjson.Index(strictjson.Sub(strictjson.Sub(p, "territories"), t), k), "unknown user %q", u)
				}
			}
		}
	}
}

// resolve computes every record's effective ownership: field-matched
// owners, then, when the records are sound (chains), synced copies down
// the parent chains.
func (s *Seed) resolve(d *strictjson.Decoder, chains bool) {
	for i, r := range s.records {
		if mt := s.matchers[r.Ref.Type]; mt != nil {
			applied, err := mt.Apply(r)
			if err != nil {
				d.Add(fmt.Errorf("%s: %w", strictjson.Sub(strictjson.Sub(strictjson.Index("records", i), "fields"), mt.Field().Record), err))
				continue
			}
			r = applied
			if j, ok := s.userIdx[string(r.Ownership.FirstOwner())]; ok {
				if owner, u := r.Ownership.FirstOwner(), s.users[j]; u.Tenant != r.Tenant {
					d.Errorf(strictjson.Sub(strictjson.Sub(strictjson.Index("records", i), "fields"), mt.Field().Record), "matches user %q, of tenant %q, not %q", owner, u.Tenant, r.Tenant)
				}
			}
		}
		r.Fields = maps.Clone(r.Fields)
		s.effective[r.Ref] = r
	}
	if !chains {
		return
	}
	st := seedStore{s}
	for i, r := range s.records {
		if r.Mode != ownership.SyncWithParent {
			continue
		}
		l, err := ownership.Effective(context.Background(), st, s.effective[r.Ref])
		if err != nil {
			d.Add(fmt.Errorf("%s: %w", strictjson.Sub(strictjson.Index("records", i), "parent"), err))
			continue
		}
		e := s.effective[r.Ref]
		e.Ownership = l
		s.effective[r.Ref] = e
	}
}

// seedStore reads a seed's resolved records, for Effective.
type seedStore struct{ s *Seed }

// Get returns a resolved record of the seed.
func (st seedStore) Get(_ context.Context, ref ownership.Ref) (ownership.Record, error) {
	r, ok := st.s.effective[ref]
	if !ok {
		return ownership.Record{}, fmt.Errorf("%w: record %s", ownership.ErrNotFound, ref)
	}
	return r, nil
}

// CompareAndSwap refuses: a seed is read-only.
func (st seedStore) CompareAndSwap(context.Context, ownership.Record) (ownership.Record, error) {
	return ownership.Record{}, fmt.Errorf("%w: a seed is read-only", ownership.ErrInvalid)
}

// Users returns the seed's users, in file order.
func (s *Seed) Users() []ownership.User {
	if s == nil {
		return nil
	}
	out := make([]ownership.User, len(s.users))
	for i, u := range s.users {
		out[i] = u.Clone()
	}
	return out
}

// Teams returns the seed's teams, in file order.
func (s *Seed) Teams() []ownership.Team {
	if s == nil {
		return nil
	}
	out := slices.Clone(s.teams)
	for i := range out {
		out[i].Managers = slices.Clone(out[i].Managers)
	}
	return out
}

// Queues returns the seed's queues, in file order.
func (s *Seed) Queues() []ownership.Queue {
	if s == nil {
		return nil
	}
	return slices.Clone(s.queues)
}

// queue returns the queue with the id.
func (s *Seed) queue(id ownership.QueueID) (ownership.Queue, bool) {
	i := slices.IndexFunc(s.queues, func(q ownership.Queue) bool { return q.ID == id })
	if i < 0 {
		return ownership.Queue{}, false
	}
	return s.queues[i], true
}

// Org returns the seed's organisation: its users with their tenants,
// teams, managers and queues, its teams and its queues. It never changes
// and is safe to share; it is nil only for the zero or a nil Seed, on
// which its methods answer as an empty organisation.
func (s *Seed) Org() *ownership.Org {
	if s == nil {
		return nil
	}
	return s.org
}

// Policy returns the seed's policy, which never changes; a seed without
// a "policy" section has one without roles.
func (s *Seed) Policy() *ownership.Policy {
	if s == nil || s.policy == nil {
		return &ownership.Policy{}
	}
	return s.policy
}

// Types returns the seed's record type definitions, by type.
func (s *Seed) Types() map[string]TypeDef {
	if s == nil || s.types == nil {
		return nil
	}
	out := make(map[string]TypeDef, len(s.types))
	for t, def := range s.types {
		if def.OwnerField != nil {
			f := *def.OwnerField
			def.OwnerField = &f
		}
		out[t] = def
	}
	return out
}

// Templates returns the seed's templates, in file order.
func (s *Seed) Templates() []ownership.Template {
	if s == nil {
		return nil
	}
	return slices.Clone(s.templates)
}

// Profiles returns the seed's profiles, in file order.
func (s *Seed) Profiles() []ownership.Profile {
	if s == nil {
		return nil
	}
	return slices.Clone(s.profiles)
}

// Records returns the seed's records as written in the file, in file
// order: a synced record carries no list of its own, and a field-matched
// record has its owner in its fields. [Seed.Record] returns one with its
// effective ownership.
func (s *Seed) Records() []ownership.Record {
	if s == nil {
		return nil
	}
	out := slices.Clone(s.records)
	for i := range out {
		out[i].Fields = maps.Clone(out[i].Fields)
	}
	return out
}

// Rules returns the seed's assignment rules, decoded afresh on each call
// so that the state of one set (a round robin's turn) is not shared with
// another; nil when the seed has none.
func (s *Seed) Rules() ownership.Rules {
	if s == nil || len(s.assignment) == 0 {
		return nil
	}
	rules, err := ownership.ParseRules(s.assignment)
	if err != nil {
		return nil // not reached: Parse checked the section
	}
	return rules
}

// Record returns the record named by ref with its effective ownership: its
// own list, the list of its nearest independent ancestor when it is synced,
// or the user its owner field matches. The second result is false when the
// seed has no such record.
func (s *Seed) Record(ref ownership.Ref) (ownership.Record, bool) {
	if s == nil {
		return ownership.Record{}, false
	}
	r, ok := s.effective[ref]
	r.Fields = maps.Clone(r.Fields)
	return r, ok
}

// User returns the user with the id.
func (s *Seed) User(id ownership.UserID) (ownership.User, bool) {
	if s == nil {
		return ownership.User{}, false
	}
	u, ok := s.directory[string(id)]
	if !ok {
		return ownership.User{}, false
	}
	return u.Clone(), true
}

// Subject returns the user with the id as the subject of decisions,
// built by the seed's organisation ([ownership.Org.Subject]: its roles,
// tenant, teammates, reports and queues) and bound to the seed's policy.
func (s *Seed) Subject(id ownership.UserID) (ownership.Subject, bool) {
	if s == nil {
		return ownership.Subject{}, false
	}
	subj, ok := s.org.Subject(id)
	if !ok {
		return ownership.Subject{}, false
	}
	return s.policy.Bind(subj), true
}

// Matcher returns the matcher of a field-matched record type.
func (s *Seed) Matcher(recordType string) (*ownership.Matcher, bool) {
	if s == nil {
		return nil, false
	}
	m, ok := s.matchers[recordType]
	return m, ok
}

// Decide answers a question about the seed's data: user id, action a,
// record ref, optionally one field. A user or record the seed does not
// have is a denial ([ownership.ReasonUnknownSubject], [ownership.ReasonNotFound]).
func (s *Seed) Decide(id ownership.UserID, a ownership.Action, ref ownership.Ref, field string) ownership.Decision {
	subj, ok := s.Subject(id)
	if !ok && id != "" {
		return ownership.Decision{Subject: id, Action: a, Record: ref, Field: field, Reason: ownership.ReasonUnknownSubject}
	}
	subj.ID = id
	var r ownership.Record
	var p *ownership.Policy
	if s != nil {
		r = s.effective[ref] // read-only here: no copy needed
		p = s.policy
	}
	if field != "" {
		d := p.DecideField(subj, a, r, field)
		d.Record = ref
		return d
	}
	d := p.Decide(subj, a, r)
	d.Record = ref
	return d
}

// seedJSON is the encoded form of a seed.
type seedJSON struct {
	Users      []userJSON           `json:"users"`
	Teams      []ownership.Team     `json:"teams,omitempty"`
	Queues     []ownership.Queue    `json:"queues,omitempty"`
	Policy     *ownership.Policy    `json:"policy"`
	Types      map[string]TypeDef   `json:"types,omitempty"`
	Templates  []ownership.Template `json:"templates,omitempty"`
	Profiles   []ownership.Profile  `json:"profiles,omitempty"`
	Records    []recordJSON         `json:"records"`
	Assignment json.RawMessage      `json:"assignment,omitempty"`
}

type userJSON ownership.User

type recordJSON struct {
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	Tenant    string            `json:"tenant,omitempty"`
	Parent    string            `json:"parent,omitempty"`
	Mode      string            `json:"mode,omitempty"`
	Ownership *ownership.List   `json:"ownership,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// MarshalJSON encodes the seed in its file format, records as written
// (not resolved). Decoding the result with [Parse] gives an equal
// seed.
func (s *Seed) MarshalJSON() ([]byte, error) {
	if s == nil {
		s = &Seed{}
	}
	out := seedJSON{Teams: s.teams, Queues: s.queues, Policy: s.policy, Types: s.types, Templates: s.templates, Profiles: s.profiles, Users: []userJSON{}, Records: []recordJSON{}}
	if out.Policy == nil {
		out.Policy = &ownership.Policy{}
	}
	for _, u := range s.users {
		out.Users = append(out.Users, userJSON(u))
	}
	for _, r := range s.records {
		rj := recordJSON{Type: r.Ref.Type, ID: r.Ref.ID, Tenant: string(r.Tenant), Parent: r.Parent.String(), Fields: r.Fields}
		if r.Mode != ownership.Independent {
			rj.Mode = r.Mode.String()
		}
		if r.Ownership.Len() > 0 {
			l := r.Ownership
			rj.Ownership = &l
		}
		out.Records = append(out.Records, rj)
	}
	if len(s.assignment) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, s.assignment); err != nil {
			return nil, err
		}
		out.Assignment = buf.Bytes()
	}
	return json.MarshalIndent(out, "", "  ")
}

// decodeEntries decodes an ownership array into entries, checking each:
// a user's entry ({"user_id", "role", details}) or a queue's
// ({"queue": "support", "role": "owner"}), which puts the record in the
// queue. A list holds at most one queue, and a record held by a queue has
// no user owner: the core would drop the queue's entry, so a file that
// says both is asked to choose.
func decodeEntries(d *strictjson.Decoder, raw json.RawMessage, path string) []ownership.Entry {
	var out []ownership.Entry
	var queue ownership.QueueID
	queueAt, ownerAt := -1, -1
	for i, r := range d.Array(raw, path) {
		p := strictjson.Index(path, i)
		m := d.Object(r, p, "user_id", "queue", "role", "email", "given_name", "last_name")
		if m == nil {
			continue
		}
		e := ownership.Entry{
			UserID:    ownership.UserID(d.String(m["user_id"], strictjson.Sub(p, "user_id"))),
			Queue:     ownership.QueueID(d.String(m["queue"], strictjson.Sub(p, "queue"))),
			Email:     d.String(m["email"], strictjson.Sub(p, "email")),
			GivenName: d.String(m["given_name"], strictjson.Sub(p, "given_name")),
			LastName:  d.String(m["last_name"], strictjson.Sub(p, "last_name")),
		}
		role := d.String(m["role"], strictjson.Sub(p, "role"))
		var err error
		if e.Role, err = ownership.ParseRole(role); err != nil {
			d.Errorf(strictjson.Sub(p, "role"), "%q: want owner or follower", role)
		}
		switch {
		case m["queue"] != nil && m["user_id"] != nil:
			d.Errorf(p, "an entry names a user or a queue, not both")
		case m["queue"] != nil && e.Queue == "":
			d.Errorf(strictjson.Sub(p, "queue"), "missing or empty")
		case e.Queue != "":
			switch {
			case err == nil && e.Role != ownership.Owner:
				d.Errorf(strictjson.Sub(p, "role"), "a queue's entry has role owner: the queue holds the record")
			case e.Email != "" || e.GivenName != "" || e.LastName != "":
				d.Errorf(p, "a queue's entry has no user details (email, given_name, last_name)")
			case queue != "" && queue != e.Queue:
				d.Errorf(strictjson.Sub(p, "queue"), "the record is already in queue %q (%s); a record is in one queue at most", queue, strictjson.Index(path, queueAt))
			}
			if queue == "" {
				queue, queueAt = e.Queue, i
			}
		case e.UserID == "":
			d.Errorf(strictjson.Sub(p, "user_id"), "missing or empty")
		case e.Role == ownership.Owner && ownerAt < 0:
			ownerAt = i
		}
		out = append(out, e)
	}
	if queueAt >= 0 && ownerAt >= 0 {
		d.Errorf(strictjson.Sub(strictjson.Index(path, queueAt), "queue"), "queue %q holds records no user owns, and %s is an owner; remove the queue's entry or make the owners followers", queue, strictjson.Index(path, ownerAt))
	}
	return out
}

// formatChain formats a parent chain as "document/a -> document/b".
func formatChain(refs []ownership.Ref) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.String()
	}
	return strings.Join(parts, " -> ")
}
