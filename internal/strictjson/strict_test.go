package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership/internal/jsontest"

	"github.com/ownershipkit/ownership/internal/sentinel"
)

// TestCheckDepth: brackets inside strings do not count, escaped quotes do
// not end a string, and the path names keys as decoded.
func TestCheckDepth(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1)
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
		var e *Error
		if err := checkDepth([]byte(in)); !errors.As(err, &e) || !strings.HasPrefix(e.Path, want+"[0][0]") {
			t.Errorf("checkDepth(%.40q...) = %v, want a path starting %s", in, e, want)
		}
	}
}

// TestErrors: every problem is an *Error that wraps ErrInvalid and names
// its path, and Within moves joined problems under a path of their own.
func TestErrors(t *testing.T) {
	type entry struct {
		UserID string `json:"user_id"`
	}
	for in, want := range map[string]*Error{
		`[{"user_id": "a", "user_id": "b"}]`: {Path: "[0].user_id", Msg: `duplicate key "user_id"`},
		`[{"USER_ID": "a"}]`:                 {Path: "[0].USER_ID", Msg: `unknown field "USER_ID"`},
		`[] []`:                              {Msg: "unexpected data after the JSON value"},
		``:                                   {Msg: "empty input: want a JSON value"},
	} {
		var v []entry
		err := Decode([]byte(in), &v)
		var e *Error
		if !errors.As(err, &e) || *e != *want || !errors.Is(err, sentinel.ErrInvalid) {
			t.Errorf("Decode(%q) = %#v, want %#v", in, err, want)
		}
	}
	var d Decoder
	d.Object(json.RawMessage(`[]`), "", "a")
	d.Errorf("[1].b", "bad")
	err := Within("records", d.Err())
	for _, want := range []string{"ownership: invalid: records: want an object, got an array", "ownership: invalid: records[1].b: bad"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to hold %q", err, want)
		}
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 2 {
		t.Errorf("got %d problems, want 2", n)
	}
}

// FuzzStrictJSON compares the hand-written scanners with encoding/json:
// checkDepth refuses exactly the valid JSON nested deeper than MaxDepth,
// and on what Decode accepts, members and elements split objects and
// arrays into the keys and values encoding/json finds.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a": [1, "]", {"b": null}], "c\"d": "\u00e9", "e": -1.5e3}`, `[true, false, null, "x", 0]`,
		`{"a":1,"a":2}`, `[1 2]`, `{"a" 1}`, `"[[["`, ` [ [ ] , { } ] `,
	} {
		f.Add([]byte(s))
	}
	for _, in := range jsontest.DeepInputs(`{"a":[X]}`, MaxDepth) {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if json.Valid(data) {
			deep := depthOf(data) > MaxDepth
			if err := checkDepth(data); (err != nil) != deep {
				t.Fatalf("checkDepth(%q) = %v, nested %d deep", data, err, depthOf(data))
			}
		}
		var raw json.RawMessage
		if err := Decode(data, &raw); err != nil {
			return
		}
		switch bytes.TrimSpace(raw)[0] {
		case '{':
			var want map[string]json.RawMessage
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if got := members(raw); !reflect.DeepEqual(got, want) {
				t.Fatalf("members(%q) = %q, encoding/json finds %q", raw, got, want)
			}
		case '[':
			var want []json.RawMessage
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			got, ok := elements(raw)
			if !ok || len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
				t.Fatalf("elements(%q) = %q, %v, encoding/json finds %q", raw, got, ok, want)
			}
		}
	})
}

// depthOf returns how deeply arrays and objects nest in valid JSON,
// as encoding/json's tokenizer sees it.
func depthOf(data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
			deepest = max(deepest, depth)
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
}

// TestCheckDepthAllocs: the depth check allocates nothing on input it
// accepts, however large.
func TestCheckDepthAllocs(t *testing.T) {
	in := []byte(`{"records": [` + strings.Repeat(`{"type": "t", "id": "1", "fields": {"x": [[["v"]]]}},`, 1000) + `{}]}`)
	if n := testing.AllocsPerRun(20, func() {
		if checkDepth(in) != nil {
			t.Fatal("refused")
		}
	}); n != 0 {
		t.Errorf("checkDepth: %v allocs, want 0", n)
	}
}
