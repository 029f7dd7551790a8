package ownership

import (
	"encoding"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// enumType is what every enumeration of the package offers.
type enumType interface {
	~uint8
	fmt.Stringer
	encoding.TextMarshaler
	Valid() bool
}

// testEnum checks one enumeration over all 256 values: a valid value
// round-trips through String and parse and through MarshalText and
// UnmarshalText; any other value is "Type(n)", refuses to encode, and its
// String does not parse. Invalid text is an ErrInvalid error that leaves
// the target unchanged. count is the number of valid values.
func testEnum[T enumType, P interface {
	*T
	encoding.TextUnmarshaler
}](t *testing.T, typ string, count int, parse func(string) (T, error)) {
	t.Helper()
	valid := 0
	for i := range 256 {
		v := T(i)
		b, err := v.MarshalText()
		if !v.Valid() {
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Errorf("%s(%d).MarshalText() = %q, %v; want ErrInvalid", typ, i, b, err)
			}
			if got, want := v.String(), fmt.Sprintf("%s(%d)", typ, i); got != want {
				t.Errorf("%s(%d).String() = %q, want %q", typ, i, got, want)
			}
			if got, err := parse(v.String()); err == nil {
				t.Errorf("Parse%s(%q) = %v, want an error", typ, v.String(), got)
			}
			continue
		}
		valid++
		if got, err := parse(v.String()); err != nil || got != v {
			t.Errorf("Parse%s(%q) = %v, %v; want %v", typ, v.String(), got, err, v)
		}
		if err != nil || string(b) != v.String() {
			t.Errorf("%v.MarshalText() = %q, %v; want %q", v, b, err, v.String())
		}
		var back T
		if err := P(&back).UnmarshalText(b); err != nil || back != v {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, v)
		}
	}
	if valid != count {
		t.Errorf("%s has %d valid values, want %d", typ, valid, count)
	}
	for _, bad := range []string{"x", "Owner", " view", "view ", "VIEW", strings.Repeat("a", 300)} {
		if v, err := parse(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse%s(%q) = %v, %v; want ErrInvalid", typ, bad, v, err)
		}
		back := T(1)
		if err := P(&back).UnmarshalText([]byte(bad)); !errors.Is(err, ErrInvalid) || back != T(1) {
			t.Errorf("UnmarshalText(%q) = %v, %v; want ErrInvalid and no change", bad, back, err)
		}
	}
}

// TestEnums runs testEnum over every enumeration of the package.
func TestEnums(t *testing.T) {
	testEnum[Role](t, "Role", 2, ParseRole)
	testEnum[Action](t, "Action", 6, ParseAction)
	testEnum[Source](t, "Source", 4, ParseSource)
	testEnum[Mode](t, "Mode", 2, ParseMode)
	testEnum[Reason](t, "Reason", 31, ParseReason)
	testEnum[EventKind](t, "EventKind", 12, ParseEventKind)
	testEnum[Follow](t, "Follow", 3, ParseFollow)
	testEnum[Normalizer](t, "Normalizer", 3, ParseNormalizer)
	testEnum[Strategy](t, "Strategy", 2, ParseStrategy)
}
