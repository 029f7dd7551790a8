package jsontest

import "strings"

// Nesting is a shape of hostile input.
type Nesting struct {
	Name string
	Nest func(n int) string     // n levels of the shape around a scalar
	Step func(level int) string // the path step that enters a level
}

// Nestings are the shapes of hostile input: n levels of arrays, of
// objects, and of the two alternating.
var Nestings = []Nesting{
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

// OpenAt counts the arrays and objects open at the end of s, which holds
// no brackets inside strings.
func OpenAt(s string) int {
	return strings.Count(s, "[") + strings.Count(s, "{") - strings.Count(s, "]") - strings.Count(s, "}")
}

// DeepInputs puts nesting of each shape in place of the X of template:
// at the depth limit, one level past it, and four times the limit (kept small,
// as the fuzzing engine mutates and minimises seed inputs byte by byte).
func DeepInputs(template string, limit int) []string {
	before, _, _ := strings.Cut(template, "X")
	open := OpenAt(before)
	var out []string
	for _, n := range Nestings {
		for _, depth := range []int{limit - open, limit + 1 - open, 4 * limit} {
			out = append(out, strings.Replace(template, "X", n.Nest(depth), 1))
		}
	}
	return out
}
