package ownership

import "fmt"

// Mode says where a record's ownership comes from.
//
// The zero Mode is [Independent].
type Mode uint8

const (
	// Independent records own their list and are edited directly.
	Independent Mode = iota
	// SyncWithParent records carry a read-only copy of their parent's
	// ownership: direct changes are refused with [ErrSynced], and changes
	// to the parent propagate to them.
	SyncWithParent
)

// String returns "independent" or "sync_with_parent".
func (m Mode) String() string {
	switch m {
	case Independent:
		return "independent"
	case SyncWithParent:
		return "sync_with_parent"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode parses "independent" (or "") and "sync_with_parent".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "independent":
		return Independent, nil
	case "sync_with_parent":
		return SyncWithParent, nil
	}
	return 0, fmt.Errorf("%w: mode %q: want \"independent\" or \"sync_with_parent\"", ErrInvalid, s)
}

// MarshalText implements [encoding.TextMarshaler].
func (m Mode) MarshalText() ([]byte, error) {
	if m > SyncWithParent {
		return nil, fmt.Errorf("%w: cannot encode %v", ErrInvalid, m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
