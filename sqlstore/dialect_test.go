package sqlstore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ownershipkit/ownership"
)

// TestDialectText: the dialects round-trip through String and
// ParseDialect and through MarshalText and UnmarshalText; every other
// value is "Dialect(n)" and refuses to encode, and other spellings are
// ErrInvalid, as for the core package's enumerations.
func TestDialectText(t *testing.T) {
	valid := 0
	for i := range 256 {
		d := Dialect(i)
		b, err := d.MarshalText()
		if !d.valid() {
			if !errors.Is(err, ownership.ErrInvalid) || d.String() != fmt.Sprintf("Dialect(%d)", i) {
				t.Errorf("Dialect(%d): MarshalText() = %q, %v; String() = %q", i, b, err, d)
			}
			if _, err := ParseDialect(d.String()); err == nil {
				t.Errorf("ParseDialect(%q) succeeded", d)
			}
			continue
		}
		valid++
		var back Dialect
		if err != nil || back.UnmarshalText(b) != nil || back != d {
			t.Errorf("text round trip of %v: %q, %v, %v", d, b, err, back)
		}
		if got, err := ParseDialect(d.String()); err != nil || got != d {
			t.Errorf("ParseDialect(%q) = %v, %v; want %v", d, got, err, d)
		}
	}
	if valid != 2 {
		t.Errorf("got %d dialects, want 2", valid)
	}
	for _, bad := range []string{"", "Postgres", "postgresql", " sqlite"} {
		back := SQLite
		if err := back.UnmarshalText([]byte(bad)); !errors.Is(err, ownership.ErrInvalid) || back != SQLite {
			t.Errorf("UnmarshalText(%q) = %v, %v; want ErrInvalid and no change", bad, back, err)
		}
	}
}
