package ownership

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseRef(t *testing.T) {
	for in, want := range map[string]Ref{
		"contact/c1":              {"contact", "c1"},
		"document/a/b":            {"document", "a/b"},
		"contact/it's -- 100%":    {"contact", "it's -- 100%"},
		"contact/ünïcødé":         {"contact", "ünïcødé"},
		"contact/695eb58adc6fea5": {"contact", "695eb58adc6fea5"},
	} {
		got, err := ParseRef(in)
		if err != nil || got != want {
			t.Errorf("ParseRef(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, bad := range []string{"", "contact", "/c1", "contact/", "/"} {
		if _, err := ParseRef(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRef(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestRefJSON(t *testing.T) {
	type wrap struct {
		Parent Ref `json:"parent"`
	}
	b, err := json.Marshal(wrap{Parent: MustRef("contact/c1")})
	if err != nil || string(b) != `{"parent":"contact/c1"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"parent":""}`), &w); err != nil || !w.Parent.IsZero() {
		t.Errorf("empty parent: %v, %v", w.Parent, err)
	}
	if err := json.Unmarshal([]byte(`{"parent":"nope"}`), &w); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad parent: %v, want ErrInvalid", err)
	}
	if _, err := (Ref{Type: "a/b", ID: "c"}).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("MarshalText of a type with a slash: %v, want ErrInvalid", err)
	}
}

// FuzzParseRef checks that ParseRef never panics and that String is its
// inverse on everything it accepts.
func FuzzParseRef(f *testing.F) {
	// Seeds: plain, slash in the id, empty parts, quotes and SQL-ish text,
	// non-ASCII.
	for _, s := range []string{"contact/c1", "document/a/b", "/x", "x/", "", "a'b/--%", "kontakt/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ParseRef(in)
		if err != nil {
			return
		}
		if !r.Valid() {
			t.Fatalf("ParseRef(%q) = invalid %#v", in, r)
		}
		back, err := ParseRef(r.String())
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %#v, %v", in, back, err)
		}
	})
}

func TestMode(t *testing.T) {
	for _, m := range []Mode{Independent, SyncWithParent} {
		b, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Mode
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("round trip of %v: %v, %v", m, back, err)
		}
	}
	if m, err := ParseMode(""); err != nil || m != Independent {
		t.Errorf("ParseMode(\"\") = %v, %v; want independent", m, err)
	}
	if _, err := ParseMode("sync"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseMode(sync) = %v, want ErrInvalid", err)
	}
}

// TestValidType: one rule names record types, and only a policy's grants
// may also name AnyType.
func TestValidType(t *testing.T) {
	for typ, want := range map[string]bool{"contact": true, "a b": true, "": false, "*": false, "c*": false, "a/b": false} {
		if got := ValidType(typ); got != want {
			t.Errorf("ValidType(%q) = %v, want %v", typ, got, want)
		}
		grant := map[string]RoleDef{"r": {Types: map[string]Permissions{typ: {View: All}}}}
		if _, err := NewPolicy(grant); (err == nil) != (want || typ == AnyType) {
			t.Errorf("a grant for type %q: %v", typ, err)
		}
		def := PolicyDef{Types: map[string]RecordType{typ: {}}}
		if _, err := Compile(def); (err == nil) != want {
			t.Errorf("a declared type %q: %v, want valid %v", typ, err, want)
		}
	}
}
