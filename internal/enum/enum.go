package enum

import (
	"fmt"
	"strings"

	"github.com/ownershipkit/ownership/internal/sentinel"
)

// Names is the text form of an enumeration T: names[v] is the name of
// value v, and a value without a name (beyond the table, or "") is not
// one of T's values.
type Names[T ~uint8] struct {
	typ   string // the Go type's name, for "Role(7)"
	noun  string // what a value is called in messages: "role"
	names []string
	empty bool // "" parses as the zero value
	want  string
}

// New returns the names of T: typ is its Go name, noun what messages call
// a value, names the table indexed by value.
func New[T ~uint8](typ, noun string, names ...string) *Names[T] {
	n := &Names[T]{typ: typ, noun: noun, names: names}
	var valid []string
	for _, s := range names {
		if s != "" {
			valid = append(valid, s)
		}
	}
	switch {
	case len(valid) > 8:
		n.want = "" // too many to list
	case len(valid) == 1:
		n.want = valid[0]
	default:
		n.want = strings.Join(valid[:len(valid)-1], ", ") + " or " + valid[len(valid)-1]
	}
	return n
}

// EmptyIsZero makes Parse read "" as the zero value, which must have a
// name: for enumerations whose zero value is the default that an omitted
// JSON field means.
func (n *Names[T]) EmptyIsZero() *Names[T] {
	n.empty = true
	return n
}

// Valid reports whether v is one of T's values.
func (n *Names[T]) Valid(v T) bool { return int(v) < len(n.names) && n.names[v] != "" }

// String returns v's name, or "Type(v)" for a value that is not one.
func (n *Names[T]) String(v T) string {
	if n.Valid(v) {
		return n.names[v]
	}
	return fmt.Sprintf("%s(%d)", n.typ, uint8(v))
}

// Parse returns the value named s, exactly as spelled, or an error
// wrapping ErrInvalid that quotes s and lists the names.
func (n *Names[T]) Parse(s string) (T, error) {
	if s == "" && n.empty {
		return 0, nil
	}
	for i, name := range n.names {
		if name != "" && name == s {
			return T(i), nil
		}
	}
	if n.want == "" {
		return 0, fmt.Errorf("%w: unknown %s %q", sentinel.ErrInvalid, n.noun, s)
	}
	return 0, fmt.Errorf("%w: %s %q: want %s", sentinel.ErrInvalid, n.noun, s, n.want)
}

// MarshalText returns v's name, or an error wrapping ErrInvalid for a
// value that is not one, rather than a string that would not parse back.
func (n *Names[T]) MarshalText(v T) ([]byte, error) {
	if !n.Valid(v) {
		return nil, fmt.Errorf("%w: cannot encode %s", sentinel.ErrInvalid, n.String(v))
	}
	return []byte(n.names[v]), nil
}

// UnmarshalText parses b into *v, leaving *v unchanged on error.
func (n *Names[T]) UnmarshalText(v *T, b []byte) error {
	x, err := n.Parse(string(b))
	if err != nil {
		return err
	}
	*v = x
	return nil
}
