package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Decoder reads JSON that [Decode] has accepted (into a json.RawMessage)
// while keeping the path of every value, so that it can report every
// problem of a file at once, each an [*Error] named by its path
// ("records[3].ownership[0].role"). Its methods return zero values after
// recording an error, and decoding goes on. The zero Decoder is ready to
// use.
type Decoder struct {
	errs []error
}

// Errorf records a problem at path.
func (d *Decoder) Errorf(path, format string, args ...any) {
	d.errs = append(d.errs, Errorf(path, format, args...))
}

// Add records err, a problem found by other means, unless it is nil. The
// problems of a joined error are recorded one by one.
func (d *Decoder) Add(err error) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			d.Add(e)
		}
		return
	}
	if err != nil {
		d.errs = append(d.errs, err)
	}
}

// Failed reports whether a problem has been recorded.
func (d *Decoder) Failed() bool { return len(d.errs) > 0 }

// Err returns every recorded problem joined, or nil.
func (d *Decoder) Err() error { return errors.Join(d.errs...) }

// Kind names the kind of JSON value raw holds, for messages: "an object",
// "an array", "a string", "a boolean", "null", "a number" or "nothing".
func Kind(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// Object decodes an object and reports members not in allowed (unless
// allowed is empty). It returns nil (and records an error) when raw is not
// an object.
func (d *Decoder) Object(raw json.RawMessage, path string, allowed ...string) map[string]json.RawMessage {
	m := members(raw)
	if m == nil {
		d.Errorf(path, "want an object, got %s", Kind(raw))
		return nil
	}
	if allowed != nil {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !slices.Contains(allowed, k) {
				d.Errorf(Sub(path, k), "unknown field (want one of %s)", strings.Join(allowed, ", "))
			}
		}
	}
	return m
}

// The Decoder reads JSON that Decode has accepted: well-formed, no
// deeper than MaxDepth, no key twice in an object. So members and elements
// split it by hand, the values slices of the input, instead of having
// encoding/json check and copy each level again.

// members splits an object into its members, or returns nil when raw is
// not an object.
func members(raw []byte) map[string]json.RawMessage {
	i := skipSpace(raw, 0)
	if i == len(raw) || raw[i] != '{' {
		return nil
	}
	m := map[string]json.RawMessage{}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] == '"'; {
		end := stringEnd(raw, i)
		key := stringValue(raw[i:end])
		i = skipSpace(raw, end)
		if i == len(raw) || raw[i] != ':' {
			return m // not reached for accepted input
		}
		start := skipSpace(raw, i+1)
		i = valueEnd(raw, start)
		m[key] = raw[start:i:i]
		if i = skipSpace(raw, i); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return m
}

// elements splits an array into its elements; ok is false when raw is not
// an array.
func elements(raw []byte) (elems []json.RawMessage, ok bool) {
	i := skipSpace(raw, 0)
	if i == len(raw) || raw[i] != '[' {
		return nil, false
	}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != ']'; {
		end := valueEnd(raw, i)
		if end == i {
			break // not reached for accepted input
		}
		elems = append(elems, raw[i:end:end])
		if i = skipSpace(raw, end); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return elems, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if i == len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// stringValue decodes a JSON string: the bytes between the quotes when
// there is nothing to unescape or replace, else as encoding/json does.
func stringValue(raw []byte) string {
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// Array decodes an array; null and absence (a nil raw) are an empty
// array.
func (d *Decoder) Array(raw json.RawMessage, path string) []json.RawMessage {
	if raw == nil || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	a, ok := elements(raw)
	if !ok {
		d.Errorf(path, "want an array, got %s", Kind(raw))
		return nil
	}
	return a
}

// String decodes a string; null and absence are "".
func (d *Decoder) String(raw json.RawMessage, path string) string {
	if raw == nil {
		return ""
	}
	switch b := bytes.TrimSpace(raw); {
	case len(b) > 0 && b[0] == '"':
		return stringValue(b)
	case string(b) == "null":
		return ""
	}
	d.Errorf(path, "want a string, got %s", Kind(raw))
	return ""
}

// Bool decodes true or false; null and absence are false.
func (d *Decoder) Bool(raw json.RawMessage, path string) bool {
	if raw == nil {
		return false
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true
	case "false", "null":
		return false
	}
	d.Errorf(path, "want true or false, got %s", Kind(raw))
	return false
}

// Strings decodes an array of strings.
func (d *Decoder) Strings(raw json.RawMessage, path string) []string {
	var out []string
	for i, r := range d.Array(raw, path) {
		out = append(out, d.String(r, Index(path, i)))
	}
	return out
}

// StringMap decodes an object of strings; absence is nil.
func (d *Decoder) StringMap(raw json.RawMessage, path string) map[string]string {
	if raw == nil {
		return nil
	}
	m := d.Object(raw, path)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out[k] = d.String(m[k], Sub(path, k))
	}
	return out
}

// Unique records in seen that the item at index i of section has id,
// reporting an empty id, or one an earlier item has, at path.
func (d *Decoder) Unique(seen map[string]int, id string, i int, section, path string) {
	j, dup := seen[id]
	switch {
	case id == "":
		d.Errorf(path, "missing or empty")
	case dup:
		d.Errorf(path, "duplicate id %q (also %s[%d])", id, section, j)
	default:
		seen[id] = i
	}
}
