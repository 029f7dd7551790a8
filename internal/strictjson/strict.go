package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ownershipkit/ownership/internal/sentinel"
)

// MaxDepth is how deeply arrays and objects may nest in JSON read
// strictly: 64 levels, counting the outermost value as one. No valid seed,
// policy, ownership list or assignment section comes near it, and the cap
// keeps the cost of reading hostile input (tens of thousands of "[") linear
// in its size instead of quadratic.
const MaxDepth = 64

// Decode decodes one JSON value from b into v, refusing what
// encoding/json lets through: object keys that match a field only when
// case is ignored, keys that appear twice in one object (the last would
// silently win), unknown fields, anything after the value, and arrays and
// objects nested more than [MaxDepth] levels deep.
//
// Its errors are *[Error]s, but for an error that wraps ErrInvalid coming
// from a value's own UnmarshalJSON or UnmarshalText, which is returned as
// it is.
func Decode(b []byte, v any) error {
	if err := checkDepth(b); err != nil {
		return err
	}
	if err := checkKeys(b, reflect.TypeOf(v).Elem()); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		switch {
		case errors.Is(err, sentinel.ErrInvalid):
			return err
		case errors.Is(err, io.EOF):
			return &Error{Msg: "empty input: want a JSON value"}
		}
		return &Error{Msg: err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Msg: "unexpected data after the JSON value"}
	}
	return nil
}

// step is one element of the path to a JSON value: a member of an object
// (key) or an element of an array (index, when elem is set).
type step struct {
	key   []byte
	index int
	elem  bool
}

// pathString renders steps as the decoder names paths:
// records[3].ownership[0].role. Paths are only rendered to report a
// problem, so that reading correct input builds none.
func pathString(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		if s.elem {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(s.key)
	}
	return b.String()
}

// checkDepth reports an error naming the path of the first array or
// object in b that is nested deeper than MaxDepth. It is one pass over
// the bytes that allocates nothing unless it fails, and runs before any
// decoding, so that no decoder ever recurses deeper than the cap. It does
// not check syntax: malformed JSON is left for the decoder to report.
func checkDepth(b []byte) error {
	// One frame per open array or object: for an object, the raw key of
	// the current member and whether a key comes next; for an array, the
	// index of the current element.
	type frame struct {
		object  bool
		wantKey bool
		index   int
		key     []byte
	}
	var stack [MaxDepth]frame
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			end := stringEnd(b, i)
			if depth > 0 && stack[depth-1].wantKey {
				stack[depth-1].key, stack[depth-1].wantKey = b[i:end], false
			}
			i = end - 1
		case '[', '{':
			if depth == MaxDepth {
				steps := make([]step, depth)
				for k, f := range stack[:depth] {
					if f.object {
						steps[k] = step{key: rawKey(f.key)}
					} else {
						steps[k] = step{index: f.index, elem: true}
					}
				}
				return Errorf(pathString(steps), "arrays and objects nested more than %d levels deep", MaxDepth)
			}
			stack[depth] = frame{object: c == '{', wantKey: c == '{'}
			depth++
		case ']', '}':
			if depth == 0 {
				return nil // malformed: the decoder says so
			}
			depth--
		case ',':
			if depth > 0 {
				if f := &stack[depth-1]; f.object {
					f.wantKey = true
				} else {
					f.index++
				}
			}
		}
	}
	return nil
}

// stringEnd returns the index just past the JSON string that starts with
// the quote at b[i], or len(b) when it is not closed.
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		j += k
		backslashes := 0
		for m := j - 1; m > i && b[m] == '\\'; m-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j + 1
		}
		j++
	}
}

// rawKey decodes a key as written (quotes and escapes included) for a
// path, falling back to the bytes between the quotes.
func rawKey(raw []byte) []byte {
	var k string
	if json.Unmarshal(raw, &k) == nil {
		return []byte(k)
	}
	return bytes.Trim(raw, `"`)
}

// checkKeys walks the JSON in b along type t and reports the first object
// key that is duplicated, or that is not exactly the name of a field of
// the struct t expects there. Types that decode themselves are checked for
// duplicates only. Malformed JSON is left for the decoder to report.
//
// It scans b itself, in one pass, keeping keys as slices of b: reading
// valid input allocates little beyond the field names of each struct type
// and, for objects with many members, a set of their keys.
func checkKeys(b []byte, t reflect.Type) error {
	w := walker{b: b}
	if err := w.walk(t); err != nil && err != errMalformed {
		return err
	}
	return nil
}

// errMalformed stops a walk at malformed JSON, which the decoder reports.
var errMalformed = errors.New("malformed JSON")

// manyKeys is the number of members above which an object's keys are
// checked for duplicates through a set rather than by comparing each
// with those before it.
const manyKeys = 16

// walker holds what checkKeys needs along the walk: the input and its
// position, the path to the current value (rendered only for an error),
// the keys of the enclosing objects' members so far, and the field names
// of the struct types met.
type walker struct {
	b      []byte
	i      int
	path   []step
	keys   [][]byte
	fields map[reflect.Type]map[string]reflect.Type
}

func (w *walker) errorf(format string, args ...any) error {
	return Errorf(pathString(w.path), format, args...)
}

func (w *walker) structKeys(t reflect.Type) map[string]reflect.Type {
	if keys, ok := w.fields[t]; ok {
		return keys
	}
	if w.fields == nil {
		w.fields = map[reflect.Type]map[string]reflect.Type{}
	}
	keys := structKeys(t)
	w.fields[t] = keys
	return keys
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether values of t unmarshal through their own
// method, which then owns the checking of their keys.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler)
}

// structKeys maps a struct's JSON field names to their types.
func structKeys(t reflect.Type) map[string]reflect.Type {
	keys := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		keys[name] = f.Type
	}
	return keys
}

// space skips white space.
func (w *walker) space() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// peek returns the next byte that is not white space, or 0 at the end.
func (w *walker) peek() byte {
	w.space()
	if w.i < len(w.b) {
		return w.b[w.i]
	}
	return 0
}

// walk checks the next value; t is its Go type, or nil when only
// duplicates are to be found. Nesting was bounded by checkDepth.
func (w *walker) walk(t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (decodesItself(t) || t.Kind() == reflect.Interface) {
		t = nil
	}
	switch w.peek() {
	case '{':
		w.i++
		return w.object(t)
	case '[':
		w.i++
		return w.array(t)
	case '"':
		_, err := w.str()
		return err
	}
	return w.scalar()
}

func (w *walker) object(t reflect.Type) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = w.structKeys(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	if w.peek() == '}' {
		w.i++
		return nil
	}
	start := len(w.keys)
	var seen map[string]bool // once the object has many members
	w.path = append(w.path, step{})
	for {
		if w.peek() != '"' {
			return errMalformed
		}
		key, err := w.str()
		if err != nil {
			return err
		}
		w.path[len(w.path)-1].key = key
		if seen != nil {
			if seen[string(key)] {
				return w.errorf("duplicate key %q", key)
			}
			seen[string(key)] = true
		} else {
			for _, k := range w.keys[start:] {
				if bytes.Equal(k, key) {
					return w.errorf("duplicate key %q", key)
				}
			}
			w.keys = append(w.keys, key)
			if len(w.keys)-start > manyKeys {
				seen = make(map[string]bool, 2*manyKeys)
				for _, k := range w.keys[start:] {
					seen[string(k)] = true
				}
			}
		}
		ft := elem
		if fields != nil {
			var known bool
			if ft, known = fields[string(key)]; !known {
				return w.errorf("unknown field %q", key)
			}
		}
		if w.peek() != ':' {
			return errMalformed
		}
		w.i++
		if err := w.walk(ft); err != nil {
			return err
		}
		switch w.peek() {
		case ',':
			w.i++
			continue
		case '}':
			w.i++
			w.keys = w.keys[:start]
			w.path = w.path[:len(w.path)-1]
			return nil
		}
		return errMalformed
	}
}

func (w *walker) array(t reflect.Type) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	if w.peek() == ']' {
		w.i++
		return nil
	}
	w.path = append(w.path, step{elem: true})
	for i := 0; ; i++ {
		w.path[len(w.path)-1].index = i
		if err := w.walk(elem); err != nil {
			return err
		}
		switch w.peek() {
		case ',':
			w.i++
			continue
		case ']':
			w.i++
			w.path = w.path[:len(w.path)-1]
			return nil
		}
		return errMalformed
	}
}

// str reads the string at w.i and returns its value: a slice of the
// input when it holds no escapes and is valid UTF-8, which is the rule
// for keys; otherwise it is decoded as encoding/json decodes it.
func (w *walker) str() ([]byte, error) {
	start := w.i
	plain := true
	for w.i++; w.i < len(w.b); w.i++ {
		switch c := w.b[w.i]; {
		case c == '"':
			w.i++
			raw := w.b[start:w.i]
			if plain && utf8.Valid(raw) {
				return raw[1 : len(raw)-1], nil
			}
			var v string
			if json.Unmarshal(raw, &v) != nil {
				return nil, errMalformed
			}
			return []byte(v), nil
		case c == '\\':
			plain = false
			w.i++
		case c < 0x20:
			return nil, errMalformed
		}
	}
	return nil, errMalformed
}

// scalar reads a number, true, false or null.
func (w *walker) scalar() error {
	start := w.i
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
		default:
			w.i++
			continue
		}
		break
	}
	switch v := w.b[start:w.i]; string(v) {
	case "true", "false", "null":
		return nil
	default:
		if !validNumber(v) {
			return errMalformed
		}
	}
	return nil
}

// validNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	digits := func() bool {
		n := 0
		for len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
			b, n = b[1:], n+1
		}
		return n > 0
	}
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	switch {
	case len(b) > 0 && b[0] == '0':
		b = b[1:]
	case !digits():
		return false
	}
	if len(b) > 0 && b[0] == '.' {
		b = b[1:]
		if !digits() {
			return false
		}
	}
	if len(b) > 0 && (b[0] == 'e' || b[0] == 'E') {
		b = b[1:]
		if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
			b = b[1:]
		}
		if !digits() {
			return false
		}
	}
	return len(b) == 0
}
