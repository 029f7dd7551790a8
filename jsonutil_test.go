package ownership

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Nesting shapes of hostile input: n levels of arrays, of objects, and of
// the two alternating.
var nestings = []struct {
	name string
	nest func(n int) string
	step func(level int) string // the path step that enters a level
}{
	{"arrays", func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) },
		func(int) string { return "[0]" }},
	{"objects", func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) },
		func(int) string { return ".a" }},
	{"mixed", func(n int) string {
		var b strings.Builder
		for i := range n {
			if i%2 == 0 {
				b.WriteString("[")
			} else {
				b.WriteString(`{"a":`)
			}
		}
		b.WriteString("1")
		for i := n - 1; i >= 0; i-- {
			if i%2 == 0 {
				b.WriteString("]")
			} else {
				b.WriteString("}")
			}
		}
		return b.String()
	}, func(level int) string {
		if level%2 == 0 {
			return "[0]"
		}
		return ".a"
	}},
}

// openAt counts the arrays and objects open at the end of s, which holds
// no brackets inside strings.
func openAt(s string) int {
	return strings.Count(s, "[") + strings.Count(s, "{") - strings.Count(s, "]") - strings.Count(s, "}")
}

// deepPositions are the places of the strict readers where hostile
// nesting can be put, X marking it, with the path the error names there.
var deepPositions = []struct {
	reader, in, path string
}{
	{"seed", `X`, ``},
	{"seed", `{"users":[{"id":"u","fields":{"f":X}}]}`, `users[0].fields.f`},
	{"seed", `{"users":[{"id":"u","roles":X}]}`, `users[0].roles`},
	{"seed", `{"users":[{"id":"u","inactive":X}]}`, `users[0].inactive`},
	{"seed", `{"policy":X}`, `policy`},
	{"seed", `{"policy":{"roles":{"r":{"types":{"t":{"view":X}}}}}}`, `policy.roles.r.types.t.view`},
	{"seed", `{"policy":{"roles":{"r":{"types":{"t":{"fields":{"f":{"update":X}}}}}}}}`, `policy.roles.r.types.t.fields.f.update`},
	{"seed", `{"types":{"t":{"owner_field":X}}}`, `types.t.owner_field`},
	{"seed", `{"types":{"t":{"owner_field":{"record":X}}}}`, `types.t.owner_field.record`},
	{"seed", `{"templates":[{"id":"t","default_ownership":X}]}`, `templates[0].default_ownership`},
	{"seed", `{"profiles":[{"id":"p","default_ownership":[{"user_id":X}]}]}`, `profiles[0].default_ownership[0].user_id`},
	{"seed", `{"records":[{"type":"t","id":"1","fields":{"x":X}}]}`, `records[0].fields.x`},
	{"seed", `{"records":[{"type":"t","id":"1","ownership":X}]}`, `records[0].ownership`},
	{"seed", `{"records":[{"type":"t","id":"1","parent":X}]}`, `records[0].parent`},
	{"seed", `{"records":[{"type":"t","id":"1"},{"type":"t","id":"2","mode":X}]}`, `records[1].mode`},
	{"seed", `{"assignment":X}`, `assignment`},
	{"seed", `{"assignment":[{"rule":"territory","field":"c","territories":{"DE":X}}]}`, `assignment[0].territories.DE`},
	{"seed", `{"unknown":X}`, `unknown`},
	{"policy", `X`, ``},
	{"policy", `{"roles":{"r":{"types":{"t":{"view":X}}}}}`, `roles.r.types.t.view`},
	{"policy", `{"roles":{"r":{"bypass":X}}}`, `roles.r.bypass`},
	{"list", `X`, ``},
	{"list", `[{"user_id":"a","role":X}]`, `[0].role`},
	{"rules", `X`, ``},
	{"rules", `[{"rule":"round_robin","team":X}]`, `[0].team`},
	{"owner_field", `{"record":X}`, `record`},
}

// readStrictly reads in with the named strict reader.
func readStrictly(reader, in string) error {
	b := []byte(in)
	switch reader {
	case "seed":
		_, err := ParseSeed(b)
		return err
	case "policy":
		var p Policy
		return p.UnmarshalJSON(b)
	case "list":
		var l List
		return l.UnmarshalJSON(b)
	case "rules":
		_, err := ParseRules(b)
		return err
	case "owner_field":
		var f OwnerField
		return f.UnmarshalJSON(b)
	}
	panic("unknown reader " + reader)
}

// TestDepthLimit: arrays and objects nested deeper than maxDepth, in any
// position of any strict reader, are an error wrapping ErrInvalid that
// names the path where the limit was reached.
func TestDepthLimit(t *testing.T) {
	for _, pos := range deepPositions {
		for _, n := range nestings {
			before, _, _ := strings.Cut(pos.in, "X")
			open := openAt(before)
			want := pos.path
			for level := 0; level < maxDepth-open; level++ {
				want += n.step(level)
			}
			want = strings.TrimPrefix(want, ".")
			want = fmt.Sprintf(": %s: arrays and objects nested more than %d levels deep", want, maxDepth)
			in := strings.Replace(pos.in, "X", n.nest(100_000), 1)
			err := readStrictly(pos.reader, in)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s %s with %s nested 100,000 deep:\n got %v\nwant ErrInvalid ending %q", pos.reader, pos.in, n.name, err, want)
			}
		}
	}
}

// TestDepthLimitBoundary: maxDepth levels are read (and judged on their
// content); one more is the depth error.
func TestDepthLimitBoundary(t *testing.T) {
	for _, n := range nestings {
		var l List
		if err := l.UnmarshalJSON([]byte(n.nest(maxDepth))); err == nil || strings.Contains(err.Error(), "nested") {
			t.Errorf("%s %d deep: %v, want an error about the content", n.name, maxDepth, err)
		}
		if err := l.UnmarshalJSON([]byte(n.nest(maxDepth + 1))); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nested more than 64 levels") {
			t.Errorf("%s %d deep: %v, want the depth error", n.name, maxDepth+1, err)
		}
	}
	// A seed as deep as the limit allows is still checked in full.
	in := `{"records":[{"type":"t","id":"1","fields":{"x":` + nestings[0].nest(maxDepth-4) + `}}]}`
	if _, err := ParseSeed([]byte(in)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "records[0].fields.x: want a string, got an array") {
		t.Errorf("seed %d deep: %v", maxDepth, err)
	}
}

// TestCheckDepth: brackets inside strings do not count, escaped quotes do
// not end a string, and the path names keys as decoded.
func TestCheckDepth(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1)
	for _, in := range []string{
		`["` + deep + `"]`,
		`{"` + deep + `": "` + deep + `"}`,
		`["\"` + deep + `\\\"` + deep + `"]`,
		`]]]]` + deep, // malformed: left to the decoder
		``, `"`, `"\`, `[`,
	} {
		if err := checkDepth([]byte(in)); err != nil {
			t.Errorf("checkDepth(%.40q...) = %v, want nil", in, err)
		}
	}
	for in, want := range map[string]string{
		`{"a\"b": ` + deep:                    `a"b[0]`,
		`{"x": 1, "y": [1, "]", ` + deep:      `y[2]`,
		`["\\", {"k": "v", "\u00e9": ` + deep: `[1].é`,
	} {
		err := checkDepth([]byte(in))
		if err == nil || !strings.HasPrefix(err.Error(), want+"[0][0]") {
			t.Errorf("checkDepth(%.40q...) = %v, want a path starting %s", in, err, want)
		}
	}
}
