package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// errNotQuery is the complaint about a line that is not a query object.
var errNotQuery = errors.New(`want a JSON object {"user", "action", "record"[, "field"]} with string values`)

// parseQuery reads one query line strictly: one JSON object whose keys are
// exactly user, action, record and field, each at most once, with string
// values, and nothing after it. It scans the line by hand, because batch
// mode reads one per line and a general JSON decoder costs more than the
// decision.
func parseQuery(line string) (query, error) {
	var q query
	p := scanner{s: line}
	p.space()
	if !p.eat('{') {
		return q, errNotQuery
	}
	seen := 0
	for first := true; ; first = false {
		p.space()
		if p.eat('}') {
			if !first && p.last == ',' {
				return q, errNotQuery // a trailing comma
			}
			break
		}
		if !first && p.last != ',' {
			return q, errNotQuery
		}
		key, err := p.str()
		if err != nil {
			return q, err
		}
		p.space()
		if !p.eat(':') {
			return q, errNotQuery
		}
		p.space()
		if p.peek() != '"' {
			return q, fmt.Errorf("%s: want a string", key)
		}
		val, err := p.str()
		if err != nil {
			return q, err
		}
		var dst *string
		var bit int
		switch key {
		case "user":
			dst, bit = &q.User, 1
		case "action":
			dst, bit = &q.Action, 2
		case "record":
			dst, bit = &q.Record, 4
		case "field":
			dst, bit = &q.Field, 8
		default:
			return q, fmt.Errorf("unknown key %q: want user, action, record and field", key)
		}
		if seen&bit != 0 {
			return q, fmt.Errorf("duplicate key %q", key)
		}
		*dst = val
		seen |= bit
		p.space()
		p.last = 0
		if p.eat(',') {
			p.last = ','
		}
	}
	p.space()
	if p.i != len(p.s) {
		return q, errors.New("unexpected data after the query")
	}
	return q, nil
}

// scanner walks a query line.
type scanner struct {
	s    string
	i    int
	last byte // ',' when the previous member ended with a comma
}

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *scanner) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\r' || p.s[p.i] == '\n') {
		p.i++
	}
}

// str reads a JSON string. Strings without escapes are sliced from the
// line; the rare one with escapes is handed to encoding/json.
func (p *scanner) str() (string, error) {
	if !p.eat('"') {
		return "", errNotQuery
	}
	start, escaped := p.i, false
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			raw := p.s[start:p.i]
			p.i++
			if !escaped {
				if !utf8.ValidString(raw) {
					return "", errors.New("a string is not valid UTF-8")
				}
				return raw, nil
			}
			var v string
			if err := json.Unmarshal([]byte(p.s[start-1:p.i]), &v); err != nil {
				return "", errNotQuery
			}
			return v, nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return "", errNotQuery // control characters must be escaped
		default:
			p.i++
		}
	}
	return "", errNotQuery
}
