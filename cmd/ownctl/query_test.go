package main

import (
	"encoding/json"
	"testing"
)

func TestParseQuery(t *testing.T) {
	good := map[string]query{
		`{"user":"u","action":"view","record":"contact/c1"}`:                     {User: "u", Action: "view", Record: "contact/c1"},
		` { "user" : "u" , "action":"view", "record":"a/b", "field":"amount" } `: {User: "u", Action: "view", Record: "a/b", Field: "amount"},
		`{"user":"\u00e9\"q","action":"view","record":"contact/it's -- 100%"}`:   {User: "é\"q", Action: "view", Record: "contact/it's -- 100%"},
		`{}`: {},
	}
	for in, want := range good {
		got, err := parseQuery(in)
		if err != nil || got != want {
			t.Errorf("parseQuery(%s) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{
		``, `[]`, `{`, `{"user":"u",}`, `{"user":"u" "action":"v"}`, `{"user":7}`, `{"USER":"u"}`,
		`{"user":"u","user":"v"}`, `{"user":"u"} x`, `{"user":"a` + "\n" + `b"}`, `{"user":"\x"}`, `{,}`, `{"user":null}`,
	} {
		if q, err := parseQuery(in); err == nil {
			t.Errorf("parseQuery(%q) accepted %+v", in, q)
		}
	}
}

// FuzzParseQuery: the hand-written query scanner never panics, and
// whatever it accepts, encoding/json reads to the same values.
func FuzzParseQuery(f *testing.F) {
	// Seeds: a plain query, spacing, escapes, and broken shapes.
	for _, s := range []string{
		`{"user":"u","action":"view","record":"contact/c1"}`,
		` { "user" : "u" , "field":"f" } `, `{"user":"\u00e9\"\\"}`, `{"user":"u",}`, `{"a":1}`, `{`, `{}x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := parseQuery(in)
		if err != nil {
			return
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			t.Fatalf("parseQuery accepted %q, which encoding/json refuses: %v", in, err)
		}
		want := query{User: m["user"], Action: m["action"], Record: m["record"], Field: m["field"]}
		if q != want {
			t.Fatalf("parseQuery(%q) = %+v, encoding/json reads %+v", in, q, want)
		}
	})
}
