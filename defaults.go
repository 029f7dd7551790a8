package ownership

import (
	"fmt"
	"slices"

	"github.com/ownershipkit/ownership/internal/enum"
)

// Source says how a record came to be, which decides its first owners.
// The zero Source is invalid: a creation must say where it comes from.
type Source uint8

// The creation sources.
const (
	// SourceManual: a user created the record by hand. The creator becomes
	// an owner, on top of the template's and profile's defaults.
	SourceManual Source = iota + 1
	// SourceForm: a form submission. It has no creator; the record is
	// unassigned (default followers are kept, default owners are not)
	// unless an assignment rule picks an owner.
	SourceForm
	// SourceAPI: an API call that names the owners and followers. The
	// given entries join the defaults, owner winning where a user is in
	// both.
	SourceAPI
	// SourceImport: an import that carries its ownership. The given entries
	// are taken as they are; defaults do not apply.
	SourceImport
)

var sourceNames = enum.New[Source]("Source", "creation source", "", "manual", "form", "api", "import")

// String returns "manual", "form", "api", "import", or "Source(n)".
func (s Source) String() string { return sourceNames.String(s) }

// Valid reports whether s is one of the four sources.
func (s Source) Valid() bool { return sourceNames.Valid(s) }

// ParseSource parses a source name: manual, form, api or import.
func ParseSource(s string) (Source, error) { return sourceNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the Sources is an error rather than a string that would not parse.
func (s Source) MarshalText() ([]byte, error) { return sourceNames.MarshalText(s) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (s *Source) UnmarshalText(b []byte) error { return sourceNames.UnmarshalText(s, b) }

// Template describes how records of a type are created from it: the
// default ownership they inherit, and for child records such as documents
// whether their ownership is independent or synced with their parent.
type Template struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Mode is the ownership mode of records created from the template.
	Mode Mode `json:"mode,omitempty"`
	// DefaultOwnership is where the ownership of new records starts.
	DefaultOwnership List `json:"default_ownership"`
}

// Profile carries default ownership that new records inherit, like a
// template does, for every record created under it (a team, a business
// unit). A profile's defaults come before the template's.
type Profile struct {
	ID               string `json:"id"`
	DefaultOwnership List   `json:"default_ownership"`
}

// Creation describes a new record's origin, from which [InitialOwnership]
// derives its first ownership list.
type Creation struct {
	// Source is how the record came to be. Required.
	Source Source
	// Creator is the user creating the record by hand. Required for
	// SourceManual; ignored for the others.
	Creator User
	// Template and Profile carry default ownership; either may be nil.
	Template *Template
	Profile  *Profile
	// Entries are the owners and followers given by an API call or an
	// import.
	Entries []Entry
}

// InitialOwnership returns the ownership list a record starts with:
//
//   - manual: the profile's and template's defaults, plus the creator as
//     an owner (owner wins over a default follower entry of the creator);
//   - form: the defaults' followers only, so the record is unassigned;
//   - API: the defaults and the given entries together;
//   - import: the given entries only.
//
// In every case owner wins: a user who would be both owner and follower
// (given twice, or given as a follower while a default makes them an
// owner, or the other way round) is an owner.
//
// A bad source, a manual creation without creator, or an invalid entry is
// an error wrapping [ErrInvalid].
func InitialOwnership(c Creation) (List, error) {
	var defaults []Entry
	if c.Source != SourceImport {
		if c.Profile != nil {
			defaults = append(defaults, c.Profile.DefaultOwnership.items()...)
		}
		if c.Template != nil {
			defaults = append(defaults, c.Template.DefaultOwnership.items()...)
		}
	}
	switch c.Source {
	case SourceManual:
		if c.Creator.ID == "" {
			return List{}, fmt.Errorf("%w: manual creation without a creator", ErrInvalid)
		}
		return NewList(append(slices.Clip(defaults), c.Creator.Entry(Owner))...)
	case SourceForm:
		var followers []Entry
		for _, e := range defaults {
			if e.Role == Follower {
				followers = append(followers, e)
			}
		}
		l, err := NewList(followers...)
		if err != nil {
			return List{}, err
		}
		// A default owner who is also a default follower must not come
		// back as an owner through normalisation.
		return l, nil
	case SourceAPI:
		for i, e := range c.Entries {
			if err := checkEntry(e, fmt.Sprintf("entries[%d]", i)); err != nil {
				return List{}, err
			}
		}
		return NewList(append(slices.Clip(defaults), c.Entries...)...)
	case SourceImport:
		for i, e := range c.Entries {
			if err := checkEntry(e, fmt.Sprintf("entries[%d]", i)); err != nil {
				return List{}, err
			}
		}
		return NewList(c.Entries...)
	}
	return List{}, fmt.Errorf("%w: creation source %v", ErrInvalid, c.Source)
}
