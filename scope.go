package ownership

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ownershipkit/ownership/internal/enum"
	"github.com/ownershipkit/ownership/internal/strictjson"
)

// Scope is a set of record classes that an action may reach. A record
// falls in exactly one of the first three classes for a given subject and
// action:
//
//   - [Own]: the subject is an owner of the record (for [View], an owner or
//     a follower);
//   - [Unassigned]: otherwise, when the record has no owner, or is held
//     by a queue the subject is a member of;
//   - [Others]: otherwise (someone else, or a queue the subject is not a
//     member of, owns it).
//
// Two classes narrow Others, for a subject with a [Reach]: a record in
// Others is also in [Teammates] when one of its owners is in the subject's
// teams (HubSpot's "team only" view), and in [Reports] when one of its
// owners is below the subject in the manager hierarchy (Salesforce's role
// hierarchy). A scope reaches a record when it holds one of its classes.
//
// Scopes combine with |. The zero Scope is [None], which reaches nothing.
type Scope uint8

// The record classes, each a Scope of one class.
const (
	Own Scope = 1 << iota
	Unassigned
	Others
	// Teammates: owned by another user in the subject's teams (for a
	// team's managers, also in the teams below it).
	Teammates
	// Reports: owned by another user below the subject in the manager
	// hierarchy, directly or through others.
	Reports
)

// Named scopes.
const (
	None Scope = 0
	// All reaches every record; Teammates and Reports are parts of Others.
	All Scope = Own | Unassigned | Others
)

// every is the union of every class.
const every = All | Teammates | Reports

// Owned is [Own] under a second name.
//
// Deprecated: use Own; a scope of the one class has one name. (Own's
// String is still "Owned", the word explanations use.)
const Owned = Own

// Has reports whether s includes every class of c.
func (s Scope) Has(c Scope) bool { return s&c == c && c != 0 }

// Valid reports whether s holds only the five classes.
func (s Scope) Valid() bool { return s&^every == 0 }

// reaches reports whether s holds one of the classes c.
func (s Scope) reaches(c Scope) bool { return s&c != 0 }

var className = [...]string{"own", "unassigned", "others", "teammates", "reports"}

// String returns "None", "Owned", "All", or the classes joined by "|", as
// in "Own|Unassigned" or "Own|Teammates". It is the form used in explanations.
func (s Scope) String() string {
	switch s {
	case None:
		return "None"
	case Own:
		return "Owned"
	case All:
		return "All"
	}
	if !s.Valid() {
		return fmt.Sprintf("Scope(%#x)", uint8(s))
	}
	var b strings.Builder
	for i, n := range className {
		if s&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(strings.ToUpper(n[:1]) + n[1:])
		}
	}
	return b.String()
}

// ParseScope parses the text form of a scope, exactly as spelled: "none",
// "own" (or "owned"), "unassigned", "others", "teammates", "reports", "all",
// or class names joined by "|" or "," such as "own|unassigned" or
// "own|teammates|reports". Names are lower case and take no
// spaces: "Own", " own" and "own, others" are errors, so that a policy
// file has one spelling of each scope.
func ParseScope(text string) (Scope, error) {
	if text == "" {
		return 0, fmt.Errorf("%w: empty scope: want none, own, unassigned, others, teammates, reports, all or a union such as own|unassigned", ErrInvalid)
	}
	var s Scope
	for _, part := range strings.Split(strings.ReplaceAll(text, ",", "|"), "|") {
		c, err := parseScopeName(part)
		if err != nil {
			return 0, fmt.Errorf("%w: scope %q: %v", ErrInvalid, text, err)
		}
		s |= c
	}
	return s, nil
}

func parseScopeName(n string) (Scope, error) {
	switch n {
	case "none":
		return None, nil
	case "own", "owned":
		return Own, nil
	case "unassigned":
		return Unassigned, nil
	case "others":
		return Others, nil
	case "teammates":
		return Teammates, nil
	case "reports":
		return Reports, nil
	case "all":
		return All, nil
	}
	return 0, fmt.Errorf("unknown class %q: want none, own, unassigned, others, teammates, reports or all", n)
}

// MarshalJSON encodes None, Own and All and single classes as a string
// ("none", "own", "all", "unassigned", "others", "teammates",
// "reports") and
// other unions as an array of class names (["own","unassigned"]).
func (s Scope) MarshalJSON() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w: cannot encode %v", ErrInvalid, s)
	}
	switch s {
	case None:
		return []byte(`"none"`), nil
	case All:
		return []byte(`"all"`), nil
	}
	var names []string
	for i, n := range className {
		if s&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	if len(names) == 1 {
		return json.Marshal(names[0])
	}
	return json.Marshal(names)
}

// UnmarshalJSON decodes a string accepted by [ParseScope] or an array of
// such strings (their union; [] is None).
func (s *Scope) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var parts []string
		if err := json.Unmarshal(b, &parts); err != nil {
			return fmt.Errorf("%w: scope %s: want a string or an array of strings", ErrInvalid, b)
		}
		var v Scope
		for _, p := range parts {
			c, err := ParseScope(p)
			if err != nil {
				return err
			}
			v |= c
		}
		*s = v
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("%w: scope %s: want a string or an array of strings", ErrInvalid, b)
	}
	v, err := ParseScope(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Action is what a subject asks to do with a record. The zero Action is
// invalid and every decision about it is a denial.
type Action uint8

// The actions.
const (
	// View reads the record. Followers reach their records through Own.
	View Action = iota + 1
	// Update changes the record's content. Only owners reach Own.
	Update
	// Delete removes the record. Only owners reach Own.
	Delete
	// Claim makes the subject the owner of an unassigned record.
	Claim
	// Reassign moves the record to another owner.
	Reassign
	// ManageOwnership adds or removes owners and followers.
	ManageOwnership
)

var actionNames = enum.New[Action]("Action", "action", "", "view", "update", "delete", "claim", "reassign", "manage_ownership")

// String returns the action's name as spelled in policies and on the
// command line ("view", "manage_ownership"), or "Action(n)".
func (a Action) String() string { return actionNames.String(a) }

// Valid reports whether a is one of the six actions.
func (a Action) Valid() bool { return actionNames.Valid(a) }

// changesOwnership reports whether a changes a record's ownership list,
// which a record in sync-with-parent mode refuses.
func (a Action) changesOwnership() bool { return a >= Claim && a <= ManageOwnership }

// ParseAction parses an action name: view, update, delete, claim, reassign
// or manage_ownership, exactly as spelled.
func ParseAction(s string) (Action, error) { return actionNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the Actions is an error rather than a string that would not parse.
func (a Action) MarshalText() ([]byte, error) { return actionNames.MarshalText(a) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (a *Action) UnmarshalText(b []byte) error { return actionNames.UnmarshalText(a, b) }

// Permissions are what one role may do on one record type.
//
// The zero Permissions grant nothing, but a role that has them for a type
// still counts as having a grant for it (which matters only for
// [ManageOwnership], where owners act through any grant).
type Permissions struct {
	// View, Update and Delete are the scopes of those actions.
	View   Scope `json:"view,omitempty"`
	Update Scope `json:"update,omitempty"`
	Delete Scope `json:"delete,omitempty"`
	// Claim lets the role take unassigned records.
	Claim bool `json:"claim,omitempty"`
	// Reassign lets the role move records it may update to another owner.
	Reassign bool `json:"reassign,omitempty"`
	// Fields narrows View and Update for single fields. A field without a
	// rule follows the record-level scopes.
	Fields map[string]FieldRule `json:"fields,omitempty"`
}

// FieldRule narrows the record-level View and Update scopes for one field:
// a field action is allowed only when both the record-level scope and the
// field's scope reach the record. A scope the rule leaves zero is None:
// a rule that names a field but not an action denies that action on it.
type FieldRule struct {
	View   Scope `json:"view,omitempty"`
	Update Scope `json:"update,omitempty"`
}

// scope returns the record-level scope of action a (View, Update or
// Delete); other actions have none.
func (p *Permissions) scope(a Action) Scope {
	switch a {
	case View:
		return p.View
	case Update:
		return p.Update
	case Delete:
		return p.Delete
	}
	return None
}

// validate checks every scope; path prefixes the messages.
func (p *Permissions) validate(path string) error {
	for _, c := range []struct {
		name string
		s    Scope
	}{{"view", p.View}, {"update", p.Update}, {"delete", p.Delete}} {
		if !c.s.Valid() {
			return strictjson.Errorf(path+"."+c.name, "%v is not a scope", c.s)
		}
	}
	for name, f := range p.Fields {
		if name == "" {
			return strictjson.Errorf(path+".fields", "empty field name")
		}
		if !f.View.Valid() || !f.Update.Valid() {
			return strictjson.Errorf(path+".fields."+name, "invalid scope")
		}
	}
	return nil
}
