package ownership

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Seed is the content of a seed file: the JSON interchange format in which
// people write users, policies, templates and records by hand, and in which
// ownership travels between systems (records' "ownership" arrays,
// templates' "default_ownership").
//
//	{
//	  "users":     [{"id": "u1", "login": "ann", "email": "Ann Lee <ann@x.io>", "roles": ["sales_rep"]}],
//	  "policy":    {"roles": {"sales_rep": {"types": {"contact": {"view": ["own", "unassigned"], "update": "own", "claim": true}}}}},
//	  "types":     {"contract": {"owner_field": {"record": "customer_email", "user": "email", "normalize": "email"}}},
//	  "templates": [{"id": "t1", "type": "document", "mode": "sync_with_parent", "default_ownership": [...]}],
//	  "profiles":  [{"id": "north", "default_ownership": [...]}],
//	  "records":   [{"type": "contact", "id": "c1", "ownership": [{"user_id": "u1", "role": "owner"}]},
//	                {"type": "document", "id": "d1", "parent": "contact/c1", "mode": "sync_with_parent"}],
//	  "assignment": [{"rule": "round_robin", "team": ["u1"]}]
//	}
//
// [ParseSeed] reads a seed strictly and resolves every record's effective
// ownership; [Seed.Record] returns it, ready for [Policy.Decide].
//
// The exported fields are the seed as read, for inspection and for
// [Seed.MarshalJSON]. The answers of [Seed.Record], [Seed.User],
// [Seed.Subject] and [Seed.Decide] come from copies taken when parsing, so
// changing the fields does not change them, and a Seed is safe for
// concurrent use.
type Seed struct {
	Users     []User
	Policy    *Policy
	Types     map[string]TypeDef
	Templates []Template
	Profiles  []Profile
	// Records are as written in the file: a synced record carries no list
	// of its own, and a field-matched record has its owner in its fields.
	Records []Record
	// Assignment is the raw "assignment" section; Rules is it decoded.
	Assignment json.RawMessage
	Rules      Rules

	policy    *Policy
	users     map[string]int  // position in Users while parsing, by user id
	directory map[string]User // copies of the users, by id
	records   map[Ref]int
	effective map[Ref]Record
	matchers  map[string]*Matcher
}

// TypeDef configures one record type in a seed.
type TypeDef struct {
	// OwnerField, when set, makes the type's records get their owner from
	// a field, matched against the users (see [Matcher]).
	OwnerField *OwnerField `json:"owner_field,omitempty"`
}

var seedFields = []string{"users", "policy", "types", "templates", "profiles", "records", "assignment"}

// ParseSeed decodes and checks a seed file. It reports every problem at
// once, joined, each an error wrapping [ErrInvalid] (or [ErrAmbiguous] for
// a field value several users share) that names its path in the file:
// unknown fields, unknown roles or actions, bad scopes, duplicate ids,
// references to users or records that do not exist, parent chains that
// loop, synced records without a parent, and ambiguous field matches.
// Arrays and objects nested more than 64 levels deep are refused before
// anything else is read, with the path where the limit was reached.
func ParseSeed(data []byte) (*Seed, error) {
	var d decoder
	var raw json.RawMessage
	if err := decodeStrict(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: seed: %v", ErrInvalid, err)
	}
	top := d.object(raw, "", seedFields...)
	if top == nil {
		return nil, d.err()
	}
	s := &Seed{users: map[string]int{}, records: map[Ref]int{}, effective: map[Ref]Record{}, matchers: map[string]*Matcher{}}

	// The policy first: users' roles are checked against it.
	// The decoder reports what is wrong and leaves it out, so what is left
	// builds.
	defs := d.policy(orEmptyObject(top["policy"]), "policy")
	if p, err := Compile(defs); err != nil {
		d.errs = append(d.errs, fmt.Errorf("policy: %w", err))
		s.Policy = &Policy{}
	} else {
		s.Policy = p
	}
	s.policy = s.Policy
	s.decodeUsers(&d, top["users"])
	s.decodeTypes(&d, top["types"])
	s.decodeTemplates(&d, top["templates"])
	s.decodeProfiles(&d, top["profiles"])
	s.decodeRecords(&d, top["records"])
	s.decodeAssignment(&d, top["assignment"])
	s.resolve(&d, len(d.errs) == 0)
	if err := d.err(); err != nil {
		return nil, err
	}
	s.directory = make(map[string]User, len(s.Users))
	for _, u := range s.Users {
		s.directory[string(u.ID)] = u.Clone()
	}
	return s, nil
}

func orEmptyObject(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage(`{"roles": {}}`)
	}
	return raw
}

func (s *Seed) decodeUsers(d *decoder, raw json.RawMessage) {
	for i, r := range d.array(raw, "users") {
		p := index("users", i)
		m := d.object(r, p, "id", "login", "email", "given_name", "last_name", "roles", "inactive", "skills", "fields")
		if m == nil {
			continue
		}
		u := User{
			ID:        UserID(d.str(m["id"], sub(p, "id"))),
			Login:     d.str(m["login"], sub(p, "login")),
			Email:     d.str(m["email"], sub(p, "email")),
			GivenName: d.str(m["given_name"], sub(p, "given_name")),
			LastName:  d.str(m["last_name"], sub(p, "last_name")),
			Roles:     d.strs(m["roles"], sub(p, "roles")),
			Inactive:  d.boolean(m["inactive"], sub(p, "inactive")),
			Skills:    d.strs(m["skills"], sub(p, "skills")),
			Fields:    d.strMap(m["fields"], sub(p, "fields")),
		}
		d.unique(s.users, string(u.ID), len(s.Users), "users", sub(p, "id"))
		for k, role := range u.Roles {
			if !s.Policy.HasRole(role) {
				d.errf(index(sub(p, "roles"), k), "unknown role %q (the policy defines %s)", role, quoteList(s.Policy.RoleNames()))
			}
		}
		s.Users = append(s.Users, u)
	}
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

func (s *Seed) decodeTypes(d *decoder, raw json.RawMessage) {
	if raw == nil {
		return
	}
	m := d.object(raw, "types")
	for _, t := range slices.Sorted(maps.Keys(m)) {
		p := sub("types", t)
		if t == "" || strings.ContainsAny(t, "/*") {
			d.errf("types", "record type %q must be non-empty and without '/' or '*'", t)
			continue
		}
		o := d.object(m[t], p, "owner_field")
		if o == nil {
			continue
		}
		var def TypeDef
		if o["owner_field"] != nil {
			fp := sub(p, "owner_field")
			f := d.object(o["owner_field"], fp, "record", "user", "normalize", "case_sensitive_local")
			if f == nil {
				continue
			}
			of := OwnerField{
				Record:             d.str(f["record"], sub(fp, "record")),
				User:               d.str(f["user"], sub(fp, "user")),
				CaseSensitiveLocal: d.boolean(f["case_sensitive_local"], sub(fp, "case_sensitive_local")),
			}
			norm := d.str(f["normalize"], sub(fp, "normalize"))
			var err error
			if of.Normalize, err = ParseNormalizer(norm); err != nil {
				d.errf(sub(fp, "normalize"), "%q: want exact, casefold or email", norm)
				continue
			}
			if err := of.Validate(); err != nil {
				d.errf(fp, "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
				continue
			}
			def.OwnerField = &of
			mt, err := NewMatcher(of, s.Users)
			if err != nil {
				d.errs = append(d.errs, fmt.Errorf("%s: %w", fp, err))
				continue
			}
			for _, perr := range mt.Problems() {
				// Lookalikes are warnings: both users still match their
				// own records. Seed.Matcher(t).Problems() lists them.
				if errors.Is(perr, ErrLookalike) {
					continue
				}
				d.errs = append(d.errs, fmt.Errorf("%s: %w", fp, perr))
			}
			s.matchers[t] = mt
		}
		if s.Types == nil {
			s.Types = map[string]TypeDef{}
		}
		s.Types[t] = def
	}
}

// list builds a List from entries decoded at path, checking that every
// user exists.
func (s *Seed) list(d *decoder, es []Entry, path string) List {
	for i, e := range es {
		if e.UserID != "" {
			if _, ok := s.users[string(e.UserID)]; !ok {
				d.errf(sub(index(path, i), "user_id"), "unknown user %q", e.UserID)
			}
		}
	}
	l, err := NewList(es...)
	if err != nil {
		return List{} // each bad entry was reported with its path
	}
	return l
}

func (s *Seed) decodeTemplates(d *decoder, raw json.RawMessage) {
	seen := map[string]int{}
	for i, r := range d.array(raw, "templates") {
		p := index("templates", i)
		m := d.object(r, p, "id", "type", "mode", "default_ownership")
		if m == nil {
			continue
		}
		t := Template{ID: d.str(m["id"], sub(p, "id")), Type: d.str(m["type"], sub(p, "type"))}
		d.unique(seen, t.ID, i, "templates", sub(p, "id"))
		if t.Type == "" || strings.ContainsAny(t.Type, "/*") {
			d.errf(sub(p, "type"), "record type %q must be non-empty and without '/' or '*'", t.Type)
		}
		t.Mode = d.mode(m["mode"], sub(p, "mode"))
		t.DefaultOwnership = s.list(d, d.entries(m["default_ownership"], sub(p, "default_ownership")), sub(p, "default_ownership"))
		s.Templates = append(s.Templates, t)
	}
}

func (d *decoder) mode(raw json.RawMessage, path string) Mode {
	v := d.str(raw, path)
	m, err := ParseMode(v)
	if err != nil {
		d.errf(path, "%q: want independent or sync_with_parent", v)
	}
	return m
}

func (s *Seed) decodeProfiles(d *decoder, raw json.RawMessage) {
	seen := map[string]int{}
	for i, r := range d.array(raw, "profiles") {
		p := index("profiles", i)
		m := d.object(r, p, "id", "default_ownership")
		if m == nil {
			continue
		}
		pr := Profile{ID: d.str(m["id"], sub(p, "id"))}
		d.unique(seen, pr.ID, i, "profiles", sub(p, "id"))
		pr.DefaultOwnership = s.list(d, d.entries(m["default_ownership"], sub(p, "default_ownership")), sub(p, "default_ownership"))
		s.Profiles = append(s.Profiles, pr)
	}
}

func (s *Seed) decodeRecords(d *decoder, raw json.RawMessage) {
	items := d.array(raw, "records")
	parents := make([]string, len(items))
	for i, r := range items {
		p := index("records", i)
		m := d.object(r, p, "type", "id", "ownership", "parent", "mode", "fields")
		if m == nil {
			s.Records = append(s.Records, Record{})
			continue
		}
		rec := Record{
			Ref:    Ref{Type: d.str(m["type"], sub(p, "type")), ID: d.str(m["id"], sub(p, "id"))},
			Mode:   d.mode(m["mode"], sub(p, "mode")),
			Fields: d.strMap(m["fields"], sub(p, "fields")),
		}
		switch {
		case rec.Ref.Type == "" || strings.ContainsAny(rec.Ref.Type, "/*"):
			d.errf(sub(p, "type"), "record type %q must be non-empty and without '/' or '*'", rec.Ref.Type)
		case rec.Ref.ID == "":
			d.errf(sub(p, "id"), "missing or empty")
		default:
			if j, dup := s.records[rec.Ref]; dup {
				d.errf(sub(p, "id"), "duplicate record %s (also records[%d])", rec.Ref, j)
			} else {
				s.records[rec.Ref] = i
			}
		}
		if parent := d.str(m["parent"], sub(p, "parent")); parent != "" {
			ref, err := ParseRef(parent)
			if err != nil {
				d.errf(sub(p, "parent"), "%q: want type/id", parent)
			}
			rec.Parent, parents[i] = ref, parent
		}
		if m["ownership"] != nil {
			op := sub(p, "ownership")
			switch {
			case rec.Mode == SyncWithParent:
				d.errf(op, "a record synced with its parent takes its ownership from it; remove the list or make the record independent")
			case s.matchers[rec.Ref.Type] != nil:
				d.errf(op, "%s records take their owner from field %q; remove the list", rec.Ref.Type, s.matchers[rec.Ref.Type].Field().Record)
			}
			rec.Ownership = s.list(d, d.entries(m["ownership"], op), op)
		}
		if rec.Mode == SyncWithParent && rec.Parent.IsZero() {
			d.errf(sub(p, "parent"), "a record synced with its parent needs a parent")
		}
		s.Records = append(s.Records, rec)
	}
	// References between records, once all are known.
	for i, rec := range s.Records {
		if rec.Parent.IsZero() {
			continue
		}
		p := sub(index("records", i), "parent")
		if _, ok := s.records[rec.Parent]; !ok {
			d.errf(p, "record %s does not exist", parents[i])
			continue
		}
		// Walk up: a loop through this record is reported once, here.
		chain := []Ref{rec.Ref}
		for cur := rec.Parent; !cur.IsZero(); {
			if cur == rec.Ref {
				d.errf(p, "parent chain loops: %s", formatChain(append(chain, cur)))
				break
			}
			if slices.Contains(chain, cur) {
				break // a loop above this record, reported at its members
			}
			chain = append(chain, cur)
			j, ok := s.records[cur]
			if !ok {
				break
			}
			cur = s.Records[j].Parent
		}
	}
}

func (s *Seed) decodeAssignment(d *decoder, raw json.RawMessage) {
	if raw == nil {
		return
	}
	rules, err := ParseRules(raw)
	if err != nil {
		d.errs = append(d.errs, err)
	} else {
		s.Assignment, s.Rules = append(json.RawMessage(nil), raw...), rules
	}
	// Users named by rules must exist, whatever else is wrong.
	var items []struct {
		Team        []UserID            `json:"team"`
		Territories map[string][]UserID `json:"territories"`
	}
	if json.Unmarshal(raw, &items) != nil {
		return // the shape was reported by ParseRules
	}
	for i, it := range items {
		p := index("assignment", i)
		for k, u := range it.Team {
			if _, ok := s.users[string(u)]; !ok {
				d.errf(index(sub(p, "team"), k), "unknown user %q", u)
			}
		}
		for _, t := range slices.Sorted(maps.Keys(it.Territories)) {
			for k, u := range it.Territories[t] {
				if _, ok := s.users[string(u)]; !ok {
					d.errf(index(sub(sub(p, "territories"), t), k), "unknown user %q", u)
				}
			}
		}
	}
}

// resolve computes every record's effective ownership: field-matched
// owners, then, when the records are sound (chains), synced copies down
// the parent chains.
func (s *Seed) resolve(d *decoder, chains bool) {
	for i, r := range s.Records {
		if mt := s.matchers[r.Ref.Type]; mt != nil {
			applied, err := mt.Apply(r)
			if err != nil {
				d.errs = append(d.errs, fmt.Errorf("%s: %w", sub(sub(index("records", i), "fields"), mt.Field().Record), err))
				continue
			}
			r = applied
		}
		r.Fields = maps.Clone(r.Fields)
		s.effective[r.Ref] = r
	}
	if !chains {
		return
	}
	st := seedStore{s}
	for i, r := range s.Records {
		if r.Mode != SyncWithParent {
			continue
		}
		l, err := Effective(context.Background(), st, s.effective[r.Ref])
		if err != nil {
			d.errs = append(d.errs, fmt.Errorf("%s: %w", sub(index("records", i), "parent"), err))
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
func (st seedStore) Get(_ context.Context, ref Ref) (Record, error) {
	r, ok := st.s.effective[ref]
	if !ok {
		return Record{}, fmt.Errorf("%w: record %s", ErrNotFound, ref)
	}
	return r, nil
}

// CompareAndSwap refuses: a seed is read-only.
func (st seedStore) CompareAndSwap(context.Context, Record) (Record, error) {
	return Record{}, fmt.Errorf("%w: a seed is read-only", ErrInvalid)
}

// Record returns the record named by ref with its effective ownership: its
// own list, the list of its nearest independent ancestor when it is synced,
// or the user its owner field matches. The second result is false when the
// seed has no such record.
func (s *Seed) Record(ref Ref) (Record, bool) {
	r, ok := s.effective[ref]
	r.Fields = maps.Clone(r.Fields)
	return r, ok
}

// User returns the user with the id.
func (s *Seed) User(id UserID) (User, bool) {
	u, ok := s.directory[string(id)]
	if !ok {
		return User{}, false
	}
	return u.Clone(), true
}

// Subject returns the user with the id as a subject bound to the seed's
// policy.
func (s *Seed) Subject(id UserID) (Subject, bool) {
	u, ok := s.User(id)
	if !ok {
		return Subject{}, false
	}
	return s.policy.Bind(u.Subject()), true
}

// Matcher returns the matcher of a field-matched record type.
func (s *Seed) Matcher(recordType string) (*Matcher, bool) {
	m, ok := s.matchers[recordType]
	return m, ok
}

// Decide answers a question about the seed's data: user id, action a,
// record ref, optionally one field. A user or record the seed does not
// have is a denial ([ReasonUnknownSubject], [ReasonNotFound]).
func (s *Seed) Decide(id UserID, a Action, ref Ref, field string) Decision {
	subj, ok := s.Subject(id)
	if !ok && id != "" {
		return Decision{Subject: id, Action: a, Record: ref, Field: field, Reason: ReasonUnknownSubject}
	}
	subj.ID = id
	r, ok := s.effective[ref] // read-only here: no copy needed
	if !ok {
		r = Record{}
	}
	if field != "" {
		d := s.policy.DecideField(subj, a, r, field)
		d.Record = ref
		return d
	}
	d := s.policy.Decide(subj, a, r)
	d.Record = ref
	return d
}

// seedJSON is the encoded form of a seed.
type seedJSON struct {
	Users      []userJSON         `json:"users"`
	Policy     *Policy            `json:"policy"`
	Types      map[string]TypeDef `json:"types,omitempty"`
	Templates  []Template         `json:"templates,omitempty"`
	Profiles   []Profile          `json:"profiles,omitempty"`
	Records    []recordJSON       `json:"records"`
	Assignment json.RawMessage    `json:"assignment,omitempty"`
}

type userJSON User

type recordJSON struct {
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	Parent    string            `json:"parent,omitempty"`
	Mode      string            `json:"mode,omitempty"`
	Ownership *List             `json:"ownership,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// MarshalJSON encodes the seed in its file format, records as written
// (not resolved). Decoding the result with [ParseSeed] gives an equal
// seed.
func (s *Seed) MarshalJSON() ([]byte, error) {
	out := seedJSON{Policy: s.Policy, Types: s.Types, Templates: s.Templates, Profiles: s.Profiles, Users: []userJSON{}, Records: []recordJSON{}}
	if out.Policy == nil {
		out.Policy = &Policy{}
	}
	for _, u := range s.Users {
		out.Users = append(out.Users, userJSON(u))
	}
	for _, r := range s.Records {
		rj := recordJSON{Type: r.Ref.Type, ID: r.Ref.ID, Parent: r.Parent.String(), Fields: r.Fields}
		if r.Mode != Independent {
			rj.Mode = r.Mode.String()
		}
		if r.Ownership.Len() > 0 {
			l := r.Ownership
			rj.Ownership = &l
		}
		out.Records = append(out.Records, rj)
	}
	if len(s.Assignment) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, s.Assignment); err != nil {
			return nil, err
		}
		out.Assignment = buf.Bytes()
	}
	return json.MarshalIndent(out, "", "  ")
}
