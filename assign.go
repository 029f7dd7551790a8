package ownership

import (
	"github.com/ownershipkit/ownership/internal/enum"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/ownershipkit/ownership/internal/strictjson"
)

// A Rule picks the first owner of a new record that arrives unassigned (a
// form submission, an import without owners). Rules are evaluated in a
// [Rules] chain at creation; the first rule that picks an owner wins, and
// a rule that does not apply falls through to the next.
//
// Every rule only picks users who are active and who could view the record
// once they own it ([Candidate] checks both).
type Rule interface {
	// RuleName names the rule in events and errors.
	RuleName() string
	// Pick returns the chosen owner, or "" to fall through.
	Pick(ctx context.Context, env AssignEnv, r Record) (UserID, error)
}

// AssignEnv is what rules consult: the policy (for the view check), the
// directory, and the store's owned-record counts (for least-loaded
// picks). [Manager] fills it from its own fields.
type AssignEnv struct {
	Policy *Policy
	Users  Directory
	Counts UserRecords // may be nil when no rule balances load
}

// Candidate reports whether user id may own r: the user is in the
// directory, active, and could view r as its owner. Directory errors other
// than not-found are returned.
func (env AssignEnv) Candidate(ctx context.Context, id UserID, r Record) (bool, error) {
	if env.Users == nil || id == "" {
		return false, nil
	}
	u, err := env.Users.User(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, wrapf(err, "looking up %s", id)
	}
	if u.Inactive {
		return false, nil
	}
	r.Ownership = replaceOwners(r.Ownership, u.Entry(Owner))
	return env.Policy.Can(u.Subject(), View, r), nil
}

// Rules is a chain of rules, evaluated in order. A nil rule in the chain,
// or a nil pointer to one of this package's rules, is an error wrapping
// [ErrInvalid] when the chain runs.
type Rules []Rule

// Assign runs the chain on r and returns the first owner picked and the
// name of the rule that picked it; both are "" when no rule applies and
// the record stays in the unassigned pool.
func (rs Rules) Assign(ctx context.Context, env AssignEnv, r Record) (UserID, string, error) {
	for i, rule := range rs {
		if err := ctx.Err(); err != nil {
			return "", "", err
		}
		if rule == nil {
			return "", "", fmt.Errorf("%w: assignment rule %d is nil", ErrInvalid, i)
		}
		u, err := rule.Pick(ctx, env, r)
		if err != nil {
			return "", "", wrapf(err, "assignment rule %s", rule.RuleName())
		}
		if u != "" {
			return u, rule.RuleName(), nil
		}
	}
	return "", "", nil
}

// RoundRobin gives records to the members of a team in turn, passing over
// members who are not candidates for the record. It is fair under
// concurrency: the turn moves by compare-and-swap past the member chosen,
// so with a stable team, the counts of any two members differ by at most
// one. A RoundRobin must not be copied after first use.
type RoundRobin struct {
	Name string
	Team []UserID

	next atomic.Uint64 // the position the next turn starts from
}

// RuleName returns r.Name, or "round_robin".
func (r *RoundRobin) RuleName() string {
	if r == nil {
		return "round_robin"
	}
	return nameOr(r.Name, "round_robin")
}

// Pick implements [Rule].
func (r *RoundRobin) Pick(ctx context.Context, env AssignEnv, rec Record) (UserID, error) {
	if r == nil {
		return "", errNilRule("RoundRobin")
	}
	return turn(ctx, env, rec, &r.next, r.Team)
}

// turn picks the first candidate of team from the position in next and
// moves next past it.
func turn(ctx context.Context, env AssignEnv, rec Record, next *atomic.Uint64, team []UserID) (UserID, error) {
	n := uint64(len(team))
	if n == 0 {
		return "", nil
	}
	for {
		start := next.Load()
		for k := range n {
			u := team[(start+k)%n]
			ok, err := env.Candidate(ctx, u, rec)
			if err != nil {
				return "", err
			}
			if !ok {
				continue
			}
			if next.CompareAndSwap(start, start+k+1) {
				return u, nil
			}
			break // another pick took this turn: start over from the new one
		}
		if next.Load() == start {
			return "", nil // nobody is a candidate
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
}

// Territory assigns by a record field (country, region, postcode): the
// territory with the longest prefix of the field's value wins, compared
// without regard to case and surrounding space, and its first candidate
// gets the record (later users of a territory are its backups). A value
// in no territory falls through.
type Territory struct {
	Name string
	// Field is the record field holding the territory value.
	Field string
	// Territories maps a value prefix to its users, in order of preference.
	Territories map[string][]UserID
}

// RuleName returns t.Name, or "territory".
func (t *Territory) RuleName() string {
	if t == nil {
		return "territory"
	}
	return nameOr(t.Name, "territory")
}

// Pick implements [Rule].
func (t *Territory) Pick(ctx context.Context, env AssignEnv, rec Record) (UserID, error) {
	if t == nil {
		return "", errNilRule("Territory")
	}
	v := strings.ToUpper(strings.TrimSpace(rec.Fields[t.Field]))
	if v == "" {
		return "", nil
	}
	best, found := "", false
	for prefix := range t.Territories {
		p := strings.ToUpper(strings.TrimSpace(prefix))
		if strings.HasPrefix(v, p) && (!found || len(p) > len(best) || len(p) == len(best) && prefix < best) {
			best, found = prefix, true
		}
	}
	if !found {
		return "", nil
	}
	for _, u := range t.Territories[best] {
		ok, err := env.Candidate(ctx, u, rec)
		if err != nil || ok {
			return u, err
		}
	}
	return "", nil
}

// Strategy is how a [Skill] rule chooses among several matching users.
// The zero Strategy is [PickRoundRobin].
type Strategy uint8

// The strategies.
const (
	// PickRoundRobin gives the matching members the records in turn.
	PickRoundRobin Strategy = iota
	// PickLeastLoaded gives the record to the matching member who owns
	// the fewest records of its type.
	PickLeastLoaded
)

var strategyNames = enum.New[Strategy]("Strategy", "pick strategy", "round_robin", "least_loaded").EmptyIsZero()

// String returns "round_robin", "least_loaded", or "Strategy(n)".
func (s Strategy) String() string { return strategyNames.String(s) }

// Valid reports whether s is one of the strategies.
func (s Strategy) Valid() bool { return strategyNames.Valid(s) }

// ParseStrategy parses "round_robin" (or "") and "least_loaded".
func ParseStrategy(s string) (Strategy, error) { return strategyNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler].
func (s Strategy) MarshalText() ([]byte, error) { return strategyNames.MarshalText(s) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (s *Strategy) UnmarshalText(b []byte) error { return strategyNames.UnmarshalText(s, b) }

// Skill matches the record's tags (a comma-separated record field) with
// the members' skills, ignoring case, and chooses among the members who
// have one of the tags by round robin (the default) or least load. A
// record without a matching member falls through. A Skill must not be
// copied after first use.
type Skill struct {
	Name string
	// Field is the record field holding the tags, as "billing, de".
	Field string
	Team  []UserID
	// Strategy chooses among the matching members; the zero value is
	// PickRoundRobin. A value that is not a Strategy makes Pick fail with
	// ErrInvalid, rather than fall back on round robin.
	Strategy Strategy

	next atomic.Uint64
}

// RuleName returns s.Name, or "skill".
func (s *Skill) RuleName() string {
	if s == nil {
		return "skill"
	}
	return nameOr(s.Name, "skill")
}

// Pick implements [Rule].
func (s *Skill) Pick(ctx context.Context, env AssignEnv, rec Record) (UserID, error) {
	if s == nil {
		return "", errNilRule("Skill")
	}
	if !s.Strategy.Valid() {
		return "", fmt.Errorf("%w: rule %s: %v is not a pick strategy", ErrInvalid, s.RuleName(), s.Strategy)
	}
	var tags []string
	for _, t := range strings.Split(rec.Fields[s.Field], ",") {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 || env.Users == nil {
		return "", nil
	}
	var skilled []UserID
	for _, id := range s.Team {
		u, err := env.Users.User(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return "", wrapf(err, "looking up %s", id)
		}
		if slices.ContainsFunc(u.Skills, func(sk string) bool { return slices.Contains(tags, strings.ToLower(strings.TrimSpace(sk))) }) {
			skilled = append(skilled, id)
		}
	}
	if s.Strategy == PickLeastLoaded {
		return leastLoaded(ctx, env, rec, skilled, rec.Ref.Type)
	}
	return turn(ctx, env, rec, &s.next, skilled)
}

// LeastLoaded gives the record to the candidate who owns the fewest
// records of a type (the record's own type when Type is ""), by the
// store's count; ties go to the earlier member of the team. Concurrent
// creations may pick the same member: counts are read, not reserved.
type LeastLoaded struct {
	Name string
	Team []UserID
	Type string
}

// RuleName returns l.Name, or "least_loaded".
func (l *LeastLoaded) RuleName() string {
	if l == nil {
		return "least_loaded"
	}
	return nameOr(l.Name, "least_loaded")
}

// Pick implements [Rule].
func (l *LeastLoaded) Pick(ctx context.Context, env AssignEnv, rec Record) (UserID, error) {
	if l == nil {
		return "", errNilRule("LeastLoaded")
	}
	t := l.Type
	if t == "" {
		t = rec.Ref.Type
	}
	return leastLoaded(ctx, env, rec, l.Team, t)
}

func leastLoaded(ctx context.Context, env AssignEnv, rec Record, team []UserID, recordType string) (UserID, error) {
	if env.Counts == nil {
		return "", fmt.Errorf("%w: least-loaded assignment needs a store that counts owned records", ErrInvalid)
	}
	var best UserID
	bestN := -1
	for _, u := range team {
		ok, err := env.Candidate(ctx, u, rec)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		n, err := env.Counts.CountOwned(ctx, u, recordType)
		if err != nil {
			return "", wrapf(err, "counting the records of %s", u)
		}
		if bestN < 0 || n < bestN {
			best, bestN = u, n
		}
	}
	return best, nil
}

// errNilRule is the error of Pick on a nil pointer to a rule: it picks
// nobody, and says so rather than falling through silently.
func errNilRule(kind string) error {
	return fmt.Errorf("%w: nil *%s rule", ErrInvalid, kind)
}

func nameOr(name, def string) string {
	if name != "" {
		return name
	}
	return def
}

// ruleJSON is the JSON form of one rule in an "assignment" section.
type ruleJSON struct {
	Rule        string              `json:"rule"`
	Name        string              `json:"name,omitempty"`
	Field       string              `json:"field,omitempty"`
	Team        []UserID            `json:"team,omitempty"`
	Territories map[string][]UserID `json:"territories,omitempty"`
	Pick        string              `json:"pick,omitempty"`
	Type        string              `json:"type,omitempty"`
}

// ParseRules decodes an "assignment" section: a JSON array of rules such as
//
//	[{"rule": "territory", "field": "country", "territories": {"DE": ["u1"], "FR": ["u2"]}},
//	 {"rule": "skill", "field": "tags", "team": ["u1", "u2"], "pick": "least_loaded"},
//	 {"rule": "round_robin", "team": ["u1", "u2", "u3"]},
//	 {"rule": "least_loaded", "team": ["u1", "u2"], "type": "contact"}]
//
// Decoding is strict; each problem is an error wrapping [ErrInvalid] that
// names its path ("assignment[2].team"), all of them joined. Arrays and
// objects nested more than 64 levels deep are refused.
func ParseRules(data []byte) (Rules, error) {
	var raw []json.RawMessage
	if err := strictjson.Decode(data, &raw); err != nil {
		if e, ok := err.(*strictjson.Error); ok && e.Path == "" {
			e.Msg = "want an array of rules: " + e.Msg
		}
		return nil, err
	}
	var rules Rules
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, strictjson.Errorf(path, format, args...))
	}
	for i, msg := range raw {
		path := strictjson.Index("assignment", i)
		var j ruleJSON
		if err := strictjson.Decode(msg, &j); err != nil {
			errs = append(errs, strictjson.Within(path, err))
			continue
		}
		needTeam := func() bool {
			if len(j.Team) == 0 {
				bad(path+".team", "a %s rule needs a team", j.Rule)
				return false
			}
			for k, u := range j.Team {
				if u == "" {
					bad(fmt.Sprintf("%s.team[%d]", path, k), "empty user id")
					return false
				}
			}
			return true
		}
		needField := func() bool {
			if j.Field == "" {
				bad(path+".field", "a %s rule needs the record field to read", j.Rule)
				return false
			}
			return true
		}
		unused := func(names ...string) bool {
			set := map[string]bool{"field": j.Field != "", "team": len(j.Team) > 0, "territories": len(j.Territories) > 0, "pick": j.Pick != "", "type": j.Type != ""}
			ok := true
			for _, n := range names {
				if set[n] {
					bad(path+"."+n, "not used by a %s rule", j.Rule)
					ok = false
				}
			}
			return ok
		}
		switch j.Rule {
		case "round_robin":
			if needTeam() && unused("field", "territories", "pick", "type") {
				rules = append(rules, &RoundRobin{Name: j.Name, Team: j.Team})
			}
		case "least_loaded":
			if needTeam() && unused("field", "territories", "pick") {
				rules = append(rules, &LeastLoaded{Name: j.Name, Team: j.Team, Type: j.Type})
			}
		case "skill":
			strategy, perr := ParseStrategy(j.Pick)
			if perr != nil {
				bad(path+".pick", "%q: want %s or %s", j.Pick, PickRoundRobin, PickLeastLoaded)
			}
			if needField() && needTeam() && unused("territories", "type") && perr == nil {
				rules = append(rules, &Skill{Name: j.Name, Field: j.Field, Team: j.Team, Strategy: strategy})
			}
		case "territory":
			ok := needField() && unused("team", "pick", "type")
			if len(j.Territories) == 0 {
				bad(path+".territories", "a territory rule needs territories")
				ok = false
			}
			for _, k := range slices.Sorted(maps.Keys(j.Territories)) {
				if strings.TrimSpace(k) == "" {
					bad(path+".territories", "empty territory prefix")
					ok = false
				}
				if len(j.Territories[k]) == 0 || slices.Contains(j.Territories[k], "") {
					bad(path+".territories."+k, "want one or more user ids")
					ok = false
				}
			}
			if ok {
				rules = append(rules, &Territory{Name: j.Name, Field: j.Field, Territories: j.Territories})
			}
		case "":
			bad(path+".rule", "missing: want round_robin, territory, skill or least_loaded")
		default:
			bad(path+".rule", "%q: want round_robin, territory, skill or least_loaded", j.Rule)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}
