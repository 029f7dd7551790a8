package sqlstore

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeStrings checks that decodeStrings reads a JSON array of
// strings exactly as json.Unmarshal does, and refuses what it refuses.
func FuzzDecodeStrings(f *testing.F) {
	for _, s := range []string{
		`["rep"]`, `["rep", "admin"]`, ` [ "a" , "b" ] `, `[]`, ` [ ] `, `[""]`, `null`, ``, `[`, `]`,
		`["a"`, `["a",]`, `[,"a"]`, `["a" "b"]`, `["a"]x`, `["a"]]`, `[1]`, `["a", 1]`, `[null]`, `{"a": "b"}`,
		`"a"`, `["a\"b"]`, `["a\\b"]`, `["\u00e9t\u00e9"]`, `["été"]`, "[\"a\tb\"]", "[\"\xff\"]", `["a\x"]`,
		"[\"a\"]\n", `["a","a"]`, `["a\u0000"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := decodeStrings[string](s)
		var want []string
		werr := json.Unmarshal([]byte(s), &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("decodeStrings(%q): error %v, json.Unmarshal: %v", s, err, werr)
		}
		if err != nil {
			return
		}
		if (got == nil) != (want == nil) {
			t.Fatalf("decodeStrings(%q) = %#v, json.Unmarshal %#v", s, got, want)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("decodeStrings(%q) differs from json.Unmarshal (-json +decodeStrings):\n%s", s, diff)
		}
	})
}
