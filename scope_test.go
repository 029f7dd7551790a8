package ownership

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseScope(t *testing.T) {
	cases := []struct {
		in   string
		want Scope
	}{
		{"none", None}, {"own", Own}, {"owned", Own}, {"unassigned", Unassigned},
		{"others", Others}, {"all", All},
		{"own|unassigned", Own | Unassigned}, {"own,others", Own | Others},
		{"own|unassigned|others", All}, {"none|own", Own},
	}
	for _, c := range cases {
		got, err := ParseScope(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseScope(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	// Only the documented spellings: no other case, no spaces, no
	// singular "other" ("  Own, OTHER " was once accepted).
	for _, bad := range []string{"", "  ", "mine", "own|", "own||x", "everything",
		"Owned", "ALL", "Own", " own", "own ", " own , others ", "  Own, OTHER ", "other", "own|Unassigned"} {
		if got, err := ParseScope(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseScope(%q) = %v, %v; want ErrInvalid", bad, got, err)
		}
	}
}

func TestScopeString(t *testing.T) {
	for s, want := range map[Scope]string{
		None: "None", Own: "Owned", All: "All", Unassigned: "Unassigned", Others: "Others",
		Own | Unassigned: "Own|Unassigned", Unassigned | Others: "Unassigned|Others", Own | Others: "Own|Others",
		Scope(32):           "Scope(0x20)",
		Teammates | Reports: "Teammates|Reports",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}

func TestScopeJSON(t *testing.T) {
	for s := None; s <= All; s++ {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Scope
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("round trip of %v via %s: %v, %v", s, b, back, err)
		}
	}
	for in, want := range map[string]Scope{`"own"`: Own, `["own","unassigned"]`: Own | Unassigned, `[]`: None, `"all"`: All} {
		var s Scope
		if err := json.Unmarshal([]byte(in), &s); err != nil || s != want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", in, s, err, want)
		}
	}
	for _, bad := range []string{`3`, `"mine"`, `["own", 1]`, `{"own":true}`, `null`, `"  Own, OTHER "`, `["Own"]`, `" all"`} {
		var s Scope
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("Unmarshal(%s) accepted %v", bad, s)
		}
	}
	if _, err := json.Marshal(Scope(32)); err == nil {
		t.Error("Marshal of an invalid scope succeeded")
	}
}

func TestScopeHas(t *testing.T) {
	if None.Has(None) || All.Has(None) {
		t.Error("Has(None) must be false: an empty class reaches nothing")
	}
	if !(Own | Unassigned).Has(Unassigned) || (Own | Unassigned).Has(Others) {
		t.Error("Has on a union is wrong")
	}
}

func TestParseAction(t *testing.T) {
	for a := View; a <= ManageOwnership; a++ {
		got, err := ParseAction(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAction(%q) = %v, %v", a.String(), got, err)
		}
		b, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Action
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("text round trip of %v: %v, %v", a, back, err)
		}
	}
	for _, bad := range []string{"", "View", "read", "manage", "edit"} {
		if _, err := ParseAction(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseAction(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := Action(0).MarshalText(); err == nil {
		t.Error("MarshalText of the zero action succeeded")
	}
}

// FuzzParseScope checks that ParseScope never panics and that every scope
// it accepts survives both text forms.
func FuzzParseScope(f *testing.F) {
	// Seeds: every named scope, unions with both separators, case, spaces
	// and junk.
	for _, s := range []string{"none", "own", "owned", "unassigned", "others", "all", "own|unassigned", "own,others", " ALL ", "own|", "|", "x", "own|unassigned|others|none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseScope(in)
		if err != nil {
			return
		}
		if !s.Valid() {
			t.Fatalf("ParseScope(%q) = invalid %v", in, s)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", s, err)
		}
		var back Scope
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Fatalf("JSON round trip of %v via %s: %v, %v", s, b, back, err)
		}
	})
}
