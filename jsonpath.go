package ownership

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// decoder reads JSON strictly while keeping the path of every value, so
// that it can report every problem of a file at once, each named by its
// path ("records[3].ownership[0].role"). Its methods return zero values
// after recording an error, and decoding goes on.
type decoder struct {
	errs []error
}

func (d *decoder) errf(path, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("%w: %s: %s", ErrInvalid, path, fmt.Sprintf(format, args...)))
}

// err returns every recorded problem joined, or nil.
func (d *decoder) err() error { return errors.Join(d.errs...) }

func kind(raw json.RawMessage) string {
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

// object decodes an object and reports fields not in allowed. It returns
// nil (and records an error) when raw is not an object.
func (d *decoder) object(raw json.RawMessage, path string, allowed ...string) map[string]json.RawMessage {
	m := members(raw)
	if m == nil {
		d.errf(path, "want an object, got %s", kind(raw))
		return nil
	}
	if allowed != nil {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !slices.Contains(allowed, k) {
				d.errf(sub(path, k), "unknown field (want one of %s)", strings.Join(allowed, ", "))
			}
		}
	}
	return m
}

// The decoder reads JSON that decodeStrict has accepted: well-formed, no
// deeper than maxDepth, no key twice in an object. So members and elements
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

// sub appends a field name to a path.
func sub(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// array decodes an array; null and absence are an empty array.
func (d *decoder) array(raw json.RawMessage, path string) []json.RawMessage {
	if raw == nil || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	a, ok := elements(raw)
	if !ok {
		d.errf(path, "want an array, got %s", kind(raw))
		return nil
	}
	return a
}

// str decodes a string; absence is "".
func (d *decoder) str(raw json.RawMessage, path string) string {
	if raw == nil {
		return ""
	}
	switch b := bytes.TrimSpace(raw); {
	case len(b) > 0 && b[0] == '"':
		return stringValue(b)
	case string(b) == "null":
		return ""
	}
	d.errf(path, "want a string, got %s", kind(raw))
	return ""
}

// boolean decodes true or false; absence is false.
func (d *decoder) boolean(raw json.RawMessage, path string) bool {
	if raw == nil {
		return false
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true
	case "false", "null":
		return false
	}
	d.errf(path, "want true or false, got %s", kind(raw))
	return false
}

// strs decodes an array of strings.
func (d *decoder) strs(raw json.RawMessage, path string) []string {
	var out []string
	for i, r := range d.array(raw, path) {
		out = append(out, d.str(r, index(path, i)))
	}
	return out
}

// strMap decodes an object of strings.
func (d *decoder) strMap(raw json.RawMessage, path string) map[string]string {
	if raw == nil {
		return nil
	}
	m := d.object(raw, path)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out[k] = d.str(m[k], sub(path, k))
	}
	return out
}

// scope decodes a scope; absence is None.
func (d *decoder) scope(raw json.RawMessage, path string) Scope {
	if raw == nil {
		return None
	}
	var s Scope
	if err := s.UnmarshalJSON(raw); err != nil {
		d.errf(path, "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return s
}

// entries decodes an ownership array into entries, checking each.
func (d *decoder) entries(raw json.RawMessage, path string) []Entry {
	var out []Entry
	for i, r := range d.array(raw, path) {
		p := index(path, i)
		m := d.object(r, p, "user_id", "role", "email", "given_name", "last_name")
		if m == nil {
			continue
		}
		e := Entry{
			UserID:    UserID(d.str(m["user_id"], sub(p, "user_id"))),
			Email:     d.str(m["email"], sub(p, "email")),
			GivenName: d.str(m["given_name"], sub(p, "given_name")),
			LastName:  d.str(m["last_name"], sub(p, "last_name")),
		}
		if e.UserID == "" {
			d.errf(sub(p, "user_id"), "missing or empty")
		}
		role := d.str(m["role"], sub(p, "role"))
		var err error
		if e.Role, err = ParseRole(role); err != nil {
			d.errf(sub(p, "role"), "%q: want owner or follower", role)
		}
		out = append(out, e)
	}
	return out
}

// policy decodes {"roles": {...}} into role definitions.
func (d *decoder) policy(raw json.RawMessage, path string) PolicyDef {
	m := d.object(raw, path, "roles", "types")
	if m == nil {
		return PolicyDef{}
	}
	var pd PolicyDef
	if m["types"] != nil {
		tp := sub(path, "types")
		tm := d.object(m["types"], tp)
		for _, t := range slices.Sorted(maps.Keys(tm)) {
			o := d.object(tm[t], sub(tp, t), "fields")
			if o == nil {
				continue
			}
			if pd.Types == nil {
				pd.Types = map[string]RecordType{}
			}
			var td RecordType
			if o["fields"] != nil {
				td.Fields = d.strs(o["fields"], sub(sub(tp, t), "fields"))
				if td.Fields == nil {
					td.Fields = []string{}
				}
			}
			pd.Types[t] = td
		}
	}
	rolesPath := sub(path, "roles")
	rm := d.object(m["roles"], rolesPath)
	if rm == nil {
		return pd
	}
	defs := make(map[string]RoleDef, len(rm))
	for _, name := range slices.Sorted(maps.Keys(rm)) {
		rp := sub(rolesPath, name)
		if strings.TrimSpace(name) == "" {
			d.errf(rolesPath, "empty role name")
		}
		o := d.object(rm[name], rp, "bypass", "types")
		if o == nil {
			continue
		}
		def := RoleDef{Bypass: d.boolean(o["bypass"], sub(rp, "bypass"))}
		if o["types"] != nil {
			tp := sub(rp, "types")
			tm := d.object(o["types"], tp)
			if def.Bypass && len(tm) > 0 {
				d.errf(tp, "a bypass role may do everything; remove its types")
				tm = nil
			}
			for _, t := range slices.Sorted(maps.Keys(tm)) {
				if t == "" || (t != AnyType && strings.ContainsAny(t, "/*")) {
					d.errf(tp, "record type %q must be non-empty, without '/' or '*', or exactly %q", t, AnyType)
					continue
				}
				if def.Types == nil {
					def.Types = map[string]Permissions{}
				}
				def.Types[t] = d.permissions(tm[t], sub(tp, t))
			}
		}
		defs[name] = def
	}
	pd.Roles = defs
	return pd
}

func (d *decoder) permissions(raw json.RawMessage, path string) Permissions {
	m := d.object(raw, path, "view", "update", "delete", "claim", "reassign", "fields")
	if m == nil {
		return Permissions{}
	}
	p := Permissions{
		View:     d.scope(m["view"], sub(path, "view")),
		Update:   d.scope(m["update"], sub(path, "update")),
		Delete:   d.scope(m["delete"], sub(path, "delete")),
		Claim:    d.boolean(m["claim"], sub(path, "claim")),
		Reassign: d.boolean(m["reassign"], sub(path, "reassign")),
	}
	if m["fields"] != nil {
		fp := sub(path, "fields")
		fm := d.object(m["fields"], fp)
		for _, f := range slices.Sorted(maps.Keys(fm)) {
			if f == "" {
				d.errf(fp, "empty field name")
				continue
			}
			o := d.object(fm[f], sub(fp, f), "view", "update")
			if o == nil {
				continue
			}
			if p.Fields == nil {
				p.Fields = map[string]FieldRule{}
			}
			p.Fields[f] = FieldRule{View: d.scope(o["view"], sub(sub(fp, f), "view")), Update: d.scope(o["update"], sub(sub(fp, f), "update"))}
		}
	}
	return p
}

// unique records that the item at index i of section has id, reporting an
// empty id or one an earlier item has, at path.
func (d *decoder) unique(seen map[string]int, id string, i int, section, path string) {
	j, dup := seen[id]
	switch {
	case id == "":
		d.errf(path, "missing or empty")
	case dup:
		d.errf(path, "duplicate id %q (also %s[%d])", id, section, j)
	default:
		seen[id] = i
	}
}
