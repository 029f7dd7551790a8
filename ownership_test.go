package ownership

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership/internal/jsontest"
	"github.com/ownershipkit/ownership/internal/strictjson"

	"github.com/google/go-cmp/cmp"
)

func TestNewListNormalises(t *testing.T) {
	cases := []struct {
		name string
		in   []Entry
		want []Entry
	}{
		{"empty", nil, nil},
		{"owner wins over an earlier follower, keeping the first position",
			[]Entry{follow("ann"), own("bob"), own("ann")},
			[]Entry{own("ann"), own("bob")}},
		{"owner wins over a later follower",
			[]Entry{own("ann"), follow("ann")},
			[]Entry{own("ann")}},
		{"duplicates collapse, order of first appearance is kept",
			[]Entry{follow("c"), follow("a"), follow("c"), own("b")},
			[]Entry{follow("c"), follow("a"), own("b")}},
		{"details are filled from later entries",
			[]Entry{{UserID: "ann", Role: Follower}, {UserID: "ann", Role: Follower, Email: "ann@x.io", GivenName: "Ann"}},
			[]Entry{{UserID: "ann", Role: Follower, Email: "ann@x.io", GivenName: "Ann"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := NewList(c.in...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, l.Entries()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewListErrors(t *testing.T) {
	for _, in := range [][]Entry{
		{{UserID: "", Role: Owner}},
		{{UserID: "ann", Role: 0}},
		{own("bob"), {UserID: "ann", Role: 7}},
	} {
		if _, err := NewList(in...); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewList(%v) = %v, want ErrInvalid", in, err)
		}
	}
}

func TestListQueries(t *testing.T) {
	l := MustList(own("ann"), follow("bob"), own("cy"), follow("dee"))
	if diff := cmp.Diff([]UserID{"ann", "cy"}, l.Owners()); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]UserID{"bob", "dee"}, l.Followers()); diff != "" {
		t.Errorf("Followers (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		id   UserID
		role Role
		ok   bool
	}{{"ann", Owner, true}, {"bob", Follower, true}, {"zed", 0, false}, {"", 0, false}} {
		if r, ok := l.RoleOf(c.id); r != c.role || ok != c.ok {
			t.Errorf("RoleOf(%q) = %v, %v; want %v, %v", c.id, r, ok, c.role, c.ok)
		}
	}
	if l.Unassigned() {
		t.Error("a list with owners is unassigned")
	}
	if !MustList(follow("bob")).Unassigned() || !(List{}).Unassigned() {
		t.Error("followers-only and empty lists must be unassigned")
	}
	if got := l.FirstOwner(); got != "ann" {
		t.Errorf("FirstOwner = %q, want ann", got)
	}
	if got := l.String(); got != "[ann:owner bob:follower cy:owner dee:follower]" {
		t.Errorf("String = %q", got)
	}
	n := 0
	for range l.All() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("All did not stop when asked: %d", n)
	}
}

func TestListWithWithoutCopyOnWrite(t *testing.T) {
	orig := MustList(Entry{UserID: "ann", Role: Owner, Email: "ann@x.io"}, follow("bob"))
	before := orig.Entries()

	added, err := orig.With(follow("cy"))
	if err != nil {
		t.Fatal(err)
	}
	demoted, err := orig.With(follow("ann"))
	if err != nil {
		t.Fatal(err)
	}
	removed := orig.Without("bob")

	if diff := cmp.Diff(before, orig.Entries()); diff != "" {
		t.Fatalf("With/Without changed the receiver (-before +after):\n%s", diff)
	}
	if got := added.String(); got != "[ann:owner bob:follower cy:follower]" {
		t.Errorf("With(new) = %s", got)
	}
	if got := demoted.String(); got != "[ann:follower bob:follower]" {
		t.Errorf("With(existing) = %s", got)
	}
	if got := demoted.At(0).Email; got != "ann@x.io" {
		t.Errorf("With kept email %q, want ann@x.io", got)
	}
	if got := removed.String(); got != "[ann:owner]" {
		t.Errorf("Without = %s", got)
	}
	if got := orig.Without("zed"); !got.Equal(orig) {
		t.Errorf("Without(absent) = %s, want the list unchanged", got)
	}
	if got := removed.Without("ann"); got.Len() != 0 || !got.Unassigned() {
		t.Errorf("removing the last entry: %s", got)
	}
	if _, err := orig.With(Entry{UserID: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("With(invalid role) = %v, want ErrInvalid", err)
	}
	if _, err := orig.With(Entry{Role: Owner}); !errors.Is(err, ErrInvalid) {
		t.Errorf("With(no user) = %v, want ErrInvalid", err)
	}
	// RoleOf sees entries added by With (the hash index follows the list).
	if r, ok := added.RoleOf("cy"); !ok || r != Follower {
		t.Errorf("RoleOf after With = %v, %v", r, ok)
	}
}

func TestListSameAccess(t *testing.T) {
	a := MustList(own("ann"), follow("bob"))
	b := MustList(Entry{UserID: "bob", Role: Follower, Email: "b@x.io"}, own("ann"))
	if !a.SameAccess(b) {
		t.Error("same users and roles in another order are not SameAccess")
	}
	if a.Equal(b) {
		t.Error("lists in another order are Equal")
	}
	if a.SameAccess(MustList(own("ann"), own("bob"))) {
		t.Error("a role change is SameAccess")
	}
}

func TestListJSON(t *testing.T) {
	in := `[{"user_id":"695eb58adc6fea533b02a8c2","role":"owner"},{"user_id":"695eb58adc6fea533b02a8c3","role":"follower","email":"x@y.io"},{"user_id":"695eb58adc6fea533b02a8c3","role":"owner"}]`
	var l List
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"user_id":"695eb58adc6fea533b02a8c2","role":"owner"},{"user_id":"695eb58adc6fea533b02a8c3","role":"owner","email":"x@y.io"}]`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
	if out, _ := json.Marshal(List{}); string(out) != "[]" {
		t.Errorf("empty list = %s, want []", out)
	}
	for _, bad := range []string{
		`[{"user_id":"a","role":"boss"}]`,
		`[{"user_id":"","role":"owner"}]`,
		`[{"user_id":"a","role":"owner","extra":1}]`,
		`{"user_id":"a"}`,
		`[{"user_id":"a"}]`,
	} {
		var l List
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("Unmarshal(%s) accepted %v", bad, l)
		}
	}
}

func TestRoleText(t *testing.T) {
	for _, r := range []Role{Owner, Follower} {
		b, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Role
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("round trip of %v: %v, %v", r, back, err)
		}
	}
	if _, err := Role(0).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("MarshalText(0) = %v, want ErrInvalid", err)
	}
	for _, s := range []string{"", "Owner", "admin"} {
		if _, err := ParseRole(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRole(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

// FuzzListJSON checks that decoding an ownership array never panics, that
// what it accepts is normalised (one entry per user, valid roles), and that
// it survives a round trip unchanged.
func FuzzListJSON(f *testing.F) {
	// Seeds: the journey platform's seed form, duplicates, details, junk.
	for _, s := range []string{
		`[{"user_id":"695eb58adc6fea533b02a8c2","role":"owner"},{"user_id":"695eb58adc6fea533b02a8c3","role":"follower"}]`,
		`[{"user_id":"a","role":"follower"},{"user_id":"a","role":"owner"}]`,
		`[{"user_id":"a","role":"owner","email":"a@x.io","given_name":"A","last_name":"B"}]`,
		`[]`, `null`, `[{"user_id":"","role":"owner"}]`, `[{"user_id":"a","role":"boss"}]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	for _, tmpl := range []string{`X`, `[{"user_id":X,"role":"owner"}]`} {
		for _, in := range jsontest.DeepInputs(tmpl, strictjson.MaxDepth) {
			f.Add([]byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var l List
		if err := json.Unmarshal(data, &l); err != nil {
			return
		}
		seen := map[UserID]bool{}
		for e := range l.All() {
			if e.UserID == "" || !e.Role.Valid() || seen[e.UserID] {
				t.Fatalf("accepted a list that is not normalised: %v", l)
			}
			seen[e.UserID] = true
		}
		out, err := json.Marshal(l)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", l, err)
		}
		var back List
		if err := json.Unmarshal(out, &back); err != nil || !back.Equal(l) {
			t.Fatalf("round trip of %s: %v, %v", out, back, err)
		}
	})
}

// TestDependenciesRunOneWay: the root package, the model, imports only
// internal packages of the module; the layers above it (seed, memstore,
// the command) import it, never the other way round.
func TestDependenciesRunOneWay(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const module = "github.com/ownershipkit/ownership/"
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, module) && !strings.HasPrefix(pkg, module+"internal/") {
			t.Errorf("the root package depends on %s", pkg)
		}
	}
}
