package seed

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership/internal/jsontest"

	"github.com/ownershipkit/ownership"

	"github.com/ownershipkit/ownership/internal/strictjson"
)

// maxDepth is the depth limit of every strict reader of JSON.
const maxDepth = strictjson.MaxDepth

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
	{"seed", `{"users":[{"id":"u","teams":X}]}`, `users[0].teams`},
	{"seed", `{"users":[{"id":"u","manager":X}]}`, `users[0].manager`},
	{"seed", `{"teams":[{"id":"t","managers":X}]}`, `teams[0].managers`},
	{"seed", `{"teams":X}`, `teams`},
	{"seed", `{"queues":[{"id":"q","tenant":X}]}`, `queues[0].tenant`},
	{"seed", `{"records":[{"type":"t","id":"1","tenant":X}]}`, `records[0].tenant`},
	{"seed", `{"records":[{"type":"t","id":"1","ownership":[{"queue":X}]}]}`, `records[0].ownership[0].queue`},
	{"seed", `{"policy":{"tenant":X}}`, `policy.tenant`},
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
		_, err := Parse(b)
		return err
	case "policy":
		var p ownership.Policy
		return p.UnmarshalJSON(b)
	case "list":
		var l ownership.List
		return l.UnmarshalJSON(b)
	case "rules":
		_, err := ownership.ParseRules(b)
		return err
	case "owner_field":
		var f ownership.OwnerField
		return f.UnmarshalJSON(b)
	}
	panic("unknown reader " + reader)
}

// TestDepthLimit: arrays and objects nested deeper than maxDepth, in any
// position of any strict reader, are an error wrapping ErrInvalid that
// names the path where the limit was reached.
func TestDepthLimit(t *testing.T) {
	for _, pos := range deepPositions {
		for _, n := range jsontest.Nestings {
			before, _, _ := strings.Cut(pos.in, "X")
			open := jsontest.OpenAt(before)
			want := pos.path
			for level := 0; level < maxDepth-open; level++ {
				want += n.Step(level)
			}
			want = strings.TrimPrefix(want, ".")
			want = fmt.Sprintf(": %s: arrays and objects nested more than %d levels deep", want, maxDepth)
			in := strings.Replace(pos.in, "X", n.Nest(100_000), 1)
			err := readStrictly(pos.reader, in)
			if !errors.Is(err, ownership.ErrInvalid) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s %s with %s nested 100,000 deep:\n got %v\nwant ErrInvalid ending %q", pos.reader, pos.in, n.Name, err, want)
			}
		}
	}
}

// TestDepthLimitBoundary: maxDepth levels are read (and judged on their
// content); one more is the depth error.
func TestDepthLimitBoundary(t *testing.T) {
	for _, n := range jsontest.Nestings {
		var l ownership.List
		if err := l.UnmarshalJSON([]byte(n.Nest(maxDepth))); err == nil || strings.Contains(err.Error(), "nested") {
			t.Errorf("%s %d deep: %v, want an error about the content", n.Name, maxDepth, err)
		}
		if err := l.UnmarshalJSON([]byte(n.Nest(maxDepth + 1))); !errors.Is(err, ownership.ErrInvalid) || !strings.Contains(err.Error(), "nested more than 64 levels") {
			t.Errorf("%s %d deep: %v, want the depth error", n.Name, maxDepth+1, err)
		}
	}
	// A seed as deep as the limit allows is still checked in full.
	in := `{"records":[{"type":"t","id":"1","fields":{"x":` + jsontest.Nestings[0].Nest(maxDepth-4) + `}}]}`
	if _, err := Parse([]byte(in)); !errors.Is(err, ownership.ErrInvalid) || !strings.Contains(err.Error(), "records[0].fields.x: want a string, got an array") {
		t.Errorf("seed %d deep: %v", maxDepth, err)
	}
}

// hostileInputs are about size bytes of input built to be expensive for a
// strict reader: nesting far past the limit (rejected early), nesting
// past the limit after size bytes of valid records (found by the first,
// linear scan), and many nests just inside the limit (read in full, one
// problem each).
func hostileInputs(size int) map[string][]byte {
	records := func(value string) string {
		var b strings.Builder
		b.WriteString(`{"records":[`)
		for i := 0; b.Len() < size; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"type":"t","id":"%d","fields":{"x":%s}}`, i, value)
		}
		return b.String()
	}
	out := map[string][]byte{}
	for _, n := range jsontest.Nestings {
		out["deep_"+n.Name] = []byte(`{"records":[{"type":"t","id":"1","fields":{"x":` + n.Nest(size/6) + `}}]}`)
		out["wide_"+n.Name] = []byte(records(n.Nest(maxDepth-4)) + "]}")
	}
	out["deep_last"] = []byte(records(`"v"`) + "," + jsontest.Nestings[0].Nest(size/10) + "]}")
	return out
}

// TestHostileInputAllocation: reading 1 MB of hostile input allocates
// less than 50 MB, whatever its shape (it once took gigabytes).
func TestHostileInputAllocation(t *testing.T) {
	const limit = 50 << 20
	for name, in := range hostileInputs(1 << 20) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Parse(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > limit {
			t.Errorf("%s: reading %d bytes allocated %d MB, want under %d MB", name, len(in), n>>20, limit>>20)
		}
	}
}

// bigSeed is a valid seed of about size bytes: users, a policy and
// records with fields and ownership lists.
func bigSeed(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"policy":{"roles":{"rep":{"types":{"contact":{"view":["own","unassigned"],"update":"own","claim":true}}}}},"users":[`)
	const users = 50
	for i := range users {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"u%d","login":"user%d","email":"user%d@example.com","roles":["rep"],"fields":{"region":"EU"}}`, i, i, i)
	}
	b.WriteString(`],"records":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"type":"contact","id":"c%d","fields":{"name":"Contact %d","country":"DE"},"ownership":[{"user_id":"u%d","role":"owner"},{"user_id":"u%d","role":"follower"}]}`,
			i, i, i%users, (i+1)%users)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func TestBigSeed(t *testing.T) {
	if _, err := Parse(bigSeed(100 << 10)); err != nil {
		t.Fatal(err)
	}
}

var benchSizes = []struct {
	name string
	size int
}{{"10KB", 10 << 10}, {"100KB", 100 << 10}, {"1MB", 1 << 20}}

// BenchmarkParseHostile reads hostile input of growing size; time and
// bytes per operation grow (at most) linearly with it.
func BenchmarkParseHostile(b *testing.B) {
	for _, size := range benchSizes {
		inputs := hostileInputs(size.size)
		for _, name := range []string{"deep_arrays", "deep_objects", "deep_mixed", "deep_last", "wide_arrays", "wide_objects", "wide_mixed"} {
			in := inputs[name]
			b.Run(name+"/"+size.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in)))
				for range b.N {
					if _, err := Parse(in); err == nil {
						b.Fatal("hostile input accepted")
					}
				}
			})
		}
	}
}

// BenchmarkParseLarge reads valid seeds of growing size.
func BenchmarkParseLarge(b *testing.B) {
	for _, size := range benchSizes {
		in := bigSeed(size.size)
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for range b.N {
				if _, err := Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
