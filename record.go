package ownership

import (
	"fmt"
	"strings"
)

// Ref names a record: its type ("contact", "document") and its id within
// that type. Its text form is "type/id"; the type never contains a slash,
// the id may.
//
// The zero Ref names no record.
type Ref struct {
	Type string
	ID   string
}

// ParseRef parses "type/id". Both parts must be non-empty.
func ParseRef(s string) (Ref, error) {
	t, id, ok := strings.Cut(s, "/")
	if !ok {
		return Ref{}, fmt.Errorf("%w: record reference %q: want type/id", ErrInvalid, s)
	}
	if t == "" {
		return Ref{}, fmt.Errorf("%w: record reference %q: empty type", ErrInvalid, s)
	}
	if id == "" {
		return Ref{}, fmt.Errorf("%w: record reference %q: empty id", ErrInvalid, s)
	}
	return Ref{Type: t, ID: id}, nil
}

// MustRef is like [ParseRef] but panics on error. It is meant for
// hard-coded references in tests and examples.
func MustRef(s string) Ref {
	r, err := ParseRef(s)
	if err != nil {
		panic(err.Error() + " (MustRef is for hard-coded references; use ParseRef for data)")
	}
	return r
}

// ValidType reports whether t can name a record type: it is not empty and
// has neither '/', which separates type and id in a [Ref], nor '*', which
// grants spell [AnyType] with. It is the one rule for type names in
// policies, seed files and templates.
func ValidType(t string) bool { return t != "" && !strings.ContainsAny(t, "/*") }

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r.Type == "" && r.ID == "" }

// Valid reports whether r has a type without a slash and an id.
func (r Ref) Valid() bool {
	return r.Type != "" && r.ID != "" && !strings.Contains(r.Type, "/")
}

// String returns "type/id", or "" for the zero Ref.
func (r Ref) String() string {
	if r.IsZero() {
		return ""
	}
	return r.Type + "/" + r.ID
}

// MarshalText implements [encoding.TextMarshaler]. The zero Ref encodes as
// the empty string; any other invalid Ref is an error.
func (r Ref) MarshalText() ([]byte, error) {
	if r.IsZero() {
		return []byte{}, nil
	}
	if !r.Valid() {
		return nil, fmt.Errorf("%w: cannot encode record reference %q/%q", ErrInvalid, r.Type, r.ID)
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. The empty string
// decodes to the zero Ref.
func (r *Ref) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = Ref{}
		return nil
	}
	v, err := ParseRef(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Record is what the policy decides about: a typed record with its
// ownership list, the parent it may belong to, how it gets its ownership,
// and its version for compare-and-swap.
//
// For a record in [SyncWithParent] mode, Ownership holds the copy of the
// parent's list that propagation keeps up to date; see [Mode].
//
// A Record with a zero Ref is a missing record: every decision about it is
// a denial. So is every decision about a record whose Mode is neither
// [Independent] nor [SyncWithParent] ([ReasonInvalidMode]).
type Record struct {
	Ref       Ref
	Ownership List
	// Parent is the record this one belongs to (a document's contact), or
	// the zero Ref.
	Parent Ref
	// Mode says whether the ownership is the record's own or its parent's.
	Mode Mode
	// Version increases with every stored change; stores use it for
	// compare-and-swap. Zero means "never stored".
	Version uint64
	// Fields holds named values of the record, used by field-matched
	// ownership. It may be nil.
	Fields map[string]string
	// Tenant is the tenant the record belongs to; see [TenantID].
	Tenant TenantID
}
