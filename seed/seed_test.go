package seed

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership/internal/jsontest"

	"github.com/google/go-cmp/cmp"
	"github.com/ownershipkit/ownership"
)

func readSeed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSeedRoundTrip decodes each seed, encodes it (golden file), and
// decodes the encoding again: the second encoding must equal the first.
func TestSeedRoundTrip(t *testing.T) {
	for _, name := range []string{"crm.json", "journey.json", "contracts.json", "teams.json"} {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(readSeed(t, name))
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(name, ".json")+".golden.json", string(out)+"\n")
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("re-decoding the encoding: %v", err)
			}
			out2, err := again.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, out2) {
				t.Fatalf("encode(decode(encode(x))) differs from encode(x):\n%s\n---\n%s", out, out2)
			}
			if diff := cmp.Diff(s.Org().Def(), again.Org().Def()); diff != "" {
				t.Errorf("the organisation changed in the round trip (-before +after):\n%s", diff)
			}
		})
	}
}

func TestSeedResolvesEffectiveOwnership(t *testing.T) {
	j, err := Parse(readSeed(t, "journey.json"))
	if err != nil {
		t.Fatal(err)
	}
	const olga, fred = "695eb58adc6fea533b02a8c1", "695eb58adc6fea533b02a8c2"
	for ref, want := range map[string]string{
		"document/d1":   "[" + olga + ":owner " + fred + ":follower]", // synced with c1
		"attachment/a1": "[" + olga + ":owner " + fred + ":follower]", // synced with d1, which is synced with c1
		"document/d2":   "[695eb58adc6fea533b02a8c3:owner]",
		"order/o1":      "[" + fred + ":owner]", // owner wins
	} {
		r, ok := j.Record(ownership.MustRef(ref))
		if !ok || r.Ownership.String() != want {
			t.Errorf("%s: %s (%v), want %s", ref, r.Ownership, ok, want)
		}
	}
	c, err := Parse(readSeed(t, "contracts.json"))
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{"contract/k1": "[amy:owner]", "contract/k2": "[max:owner]", "contract/k3": "[]", "ticket/t1": "[john:owner]", "ticket/t2": "[]"} {
		r, _ := c.Record(ownership.MustRef(ref))
		if got := r.Ownership.String(); got != want {
			t.Errorf("%s: %s, want %s", ref, got, want)
		}
	}
	cases := []struct {
		user  ownership.UserID
		a     ownership.Action
		ref   string
		field string
		allow bool
		why   ownership.Reason
	}{
		{"eve", ownership.Update, "contract/k1", "amount", true, ownership.ReasonInScope},
		{"amy", ownership.Update, "contract/k1", "amount", true, ownership.ReasonInScope},
		{"max", ownership.Update, "contract/k1", "amount", false, ownership.ReasonFieldScope},
		{"max", ownership.Update, "contract/k1", "notes", true, ownership.ReasonInScope},
		{"sue", ownership.View, "contract/k1", "amount", true, ownership.ReasonInScope},
		{"sue", ownership.Update, "contract/k1", "amount", false, ownership.ReasonUpdateScope},
		{"john", ownership.Update, "ticket/t1", "", true, ownership.ReasonInScope},
		{"john", ownership.Update, "ticket/t2", "", false, ownership.ReasonUpdateScope},
		{"nobody", ownership.View, "contract/k1", "", false, ownership.ReasonUnknownSubject},
		{"eve", ownership.View, "contract/k9", "", false, ownership.ReasonNotFound},
	}
	for _, tc := range cases {
		d := c.Decide(tc.user, tc.a, ownership.MustRef(tc.ref), tc.field)
		if d.Allowed != tc.allow || d.Reason != tc.why {
			t.Errorf("%s %s %s %s: %v, want allowed=%v %v", tc.user, tc.a, tc.ref, tc.field, d, tc.allow, tc.why)
		}
	}
}

// TestSeedErrors checks that one bad file reports every problem at once,
// each with its path (golden file).
func TestSeedErrors(t *testing.T) {
	_, err := Parse(readSeed(t, "broken.json"))
	if !errors.Is(err, ownership.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	golden(t, "broken.errors.golden", err.Error()+"\n")
	for _, path := range []string{
		"extras", "users[0].roles[1]", "users[1].id", "users[2].id", "users[2].colour",
		"policy.roles.sales_rep.types.contact.view", "policy.roles.sales_rep.types.contact.delete", "policy.roles.boss.types",
		"types.contract.owner_field.normalize", "templates[0].mode", "templates[0].default_ownership[0].user_id",
		"records[0].ownership[0].role", "records[1].id", "records[2].parent", "records[3].parent", "records[4].parent",
		"records[5].ownership", "records[6].id", "records[6].parent", "assignment[0].team[1]", "assignment[1].rule",
	} {
		if !strings.Contains(err.Error(), path+":") {
			t.Errorf("no problem reported at %s", path)
		}
	}
}

func TestSeedAmbiguousMatch(t *testing.T) {
	in := `{"users": [{"id": "a", "email": "Team <team@x.io>"}, {"id": "b", "email": "TEAM@x.io"}, {"id": "c", "email": "not an address"}],
		"types": {"contract": {"owner_field": {"record": "am", "user": "email", "normalize": "email"}}},
		"records": [{"type": "contract", "id": "k1", "fields": {"am": "team@x.io"}}]}`
	_, err := Parse([]byte(in))
	if !errors.Is(err, ownership.ErrAmbiguous) {
		t.Fatalf("got %v, want ErrAmbiguous", err)
	}
	for _, want := range []string{"types.contract.owner_field", "a (users[0])", "b (users[1])", "users[2].email", "records[0].fields.am"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

// TestSeedLookalikes checks that lookalike addresses do not fail a seed
// file, since each matches its own user, and that its matcher lists them.
func TestSeedLookalikes(t *testing.T) {
	in := `{"users": [{"id": "sam", "email": "sam@x.io"}, {"id": "long-s", "email": "ſam@x.io"}],
		"types": {"contract": {"owner_field": {"record": "am", "user": "email", "normalize": "email"}}},
		"records": [{"type": "contract", "id": "k1", "fields": {"am": "SAM@x.io"}}, {"type": "contract", "id": "k2", "fields": {"am": "ſam@x.io"}}]}`
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]ownership.UserID{"k1": "sam", "k2": "long-s"} {
		if r, _ := s.Record(ownership.MustRef("contract/" + id)); r.Ownership.FirstOwner() != want {
			t.Errorf("contract/%s is owned by %q, want %q", id, r.Ownership.FirstOwner(), want)
		}
	}
	m, _ := s.Matcher("contract")
	if p := m.Problems(); len(p) != 1 || !errors.Is(p[0], ownership.ErrLookalike) {
		t.Errorf("Problems() = %v, want one lookalike", p)
	}
}

func TestSeedSmallErrors(t *testing.T) {
	for in, want := range map[string]string{
		``:                 "empty input",
		`[]`:               "want an object",
		`{"users": {}}`:    "users: want an array",
		`{"records": [1]}`: "records[0]: want an object",
		`{"policy": []}`:   "policy: want an object",
		`{"users": [{"id": "a", "roles": ["x"]}]}`: `unknown role "x"`,
		`{} {}`: "after",
	} {
		_, err := Parse([]byte(in))
		if !errors.Is(err, ownership.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid mentioning %q", in, err, want)
		}
	}
	s, err := Parse([]byte(`{}`))
	if err != nil || len(s.Records()) != 0 {
		t.Errorf("empty seed: %v", err)
	}
	if d := s.Decide("x", ownership.View, ownership.MustRef("a/b"), ""); d.Allowed {
		t.Error("an empty seed allowed something")
	}
}

// FuzzParse: the decoder never panics, and whatever it accepts encodes
// to a seed that decodes and encodes to the same bytes.
func FuzzParse(f *testing.F) {
	// Seeds: the three model files, the broken one, and small shapes.
	for _, name := range []string{"crm.json", "journey.json", "contracts.json", "teams.json", "broken.json", "teams_broken.json"} {
		f.Add(readSeed(f, name))
	}
	for _, s := range []string{`{}`,
		`{"users":[{"id":"a","tenant":"t","teams":["x"],"manager":"b","queues":["q"]},{"id":"b","tenant":"t"}],"teams":[{"id":"x","tenant":"t","managers":["b"]}],"queues":[{"id":"q","tenant":"t"}],"records":[{"type":"r","id":"1","tenant":"t","ownership":[{"queue":"q","role":"owner"},{"user_id":"a","role":"follower"}]}]}`,
		`{"policy":{"tenant":"t","roles":{"p":{"platform":true}}},"teams":[{"id":"x","parent":"y"},{"id":"y","parent":"x"}]}`, `{"records":[{"type":"a","id":"1","parent":"a/1"}]}`, `{"users":[{"id":"u"}],"records":[{"type":"t","id":"1","ownership":[{"user_id":"u","role":"owner"}]}]}`} {
		f.Add([]byte(s))
	}
	// Nesting at and past the depth limit, where anything goes and where
	// the schema expects a list.
	for _, tmpl := range []string{`X`, `{"records":[{"type":"t","id":"1","fields":{"x":X}}]}`, `{"records":[{"type":"t","id":"1","ownership":X}]}`, `{"assignment":X}`} {
		for _, in := range jsontest.DeepInputs(tmpl, maxDepth) {
			f.Add([]byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		out, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("encoding an accepted seed: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		out2, err := again.MarshalJSON()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("round trip differs:\n%s\n---\n%s", out, out2)
		}
	})
}

// TestStrictJSONKeys: keys that appear twice (the last would silently
// win) and keys that match a field only when case is ignored are errors
// wherever JSON is read.
func TestStrictJSONKeys(t *testing.T) {
	seeds := []string{
		`{"policy": {"roles": {"rep": {"types": {"contact": {"view": "own"}}}, "rep": {"bypass": true}}}}`,
		`{"policy": {"roles": {"rep": {"bypass": false, "bypass": true}}}}`,
		`{"users": [{"id": "u"}], "records": [{"type": "t", "id": "1", "ownership": [{"user_id": "u", "role": "follower", "role": "owner"}]}]}`,
		`{"assignment": [{"RULE": "round_robin", "team": ["u"]}], "users": [{"id": "u"}]}`,
		`{"records": [], "records": []}`,
	}
	for _, in := range seeds {
		if _, err := Parse([]byte(in)); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("Parse(%s) = %v, want ErrInvalid", in, err)
		}
	}
	var p ownership.Policy
	if err := p.UnmarshalJSON([]byte(`{"roles": {"a": {"bypass": false, "bypass": true}}}`)); !errors.Is(err, ownership.ErrInvalid) || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("policy with a duplicate key: %v", err)
	}
	var l ownership.List
	for _, in := range []string{`[{"USER_ID": "a", "role": "owner"}]`, `[{"user_id": "a", "Role": "owner"}]`, `[{"user_id": "a", "user_id": "b", "role": "owner"}]`} {
		if err := l.UnmarshalJSON([]byte(in)); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("List.UnmarshalJSON(%s) = %v, want ErrInvalid", in, err)
		}
	}
	if _, err := ownership.ParseRules([]byte(`[{"rule": "round_robin", "Team": ["a"]}]`)); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("ParseRules with a miscased key: %v", err)
	}
	var f ownership.OwnerField
	if err := f.UnmarshalJSON([]byte(`{"Record": "a", "user": "b"}`)); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("OwnerField with a miscased key: %v", err)
	}
}

// TestSeedAnswersSurviveEdits: changing what a parsed seed returns
// (sorting its users for display, say) does not change the seed.
func TestSeedAnswersSurviveEdits(t *testing.T) {
	s, err := Parse(readSeed(t, "crm.json"))
	if err != nil {
		t.Fatal(err)
	}
	before := s.Decide("rep1", ownership.Delete, ownership.MustRef("contact/c1"), "")
	users, records := s.Users(), s.Records()
	users[0], users[4] = users[4], users[0] // mia <-> root (admin)
	users[1].Roles[0] = "admin"
	records[0].Ownership = ownership.List{}
	records[0].Fields = map[string]string{"x": "y"}
	after := s.Decide("rep1", ownership.Delete, ownership.MustRef("contact/c1"), "")
	if after != before || after.Allowed {
		t.Fatalf("after edits: %v, before: %v", after, before)
	}
	if again := s.Users(); again[1].Roles[0] == "admin" || again[0].ID == users[0].ID {
		t.Error("Users returned the seed's own users")
	}
	if again := s.Records(); again[0].Ownership.Len() == 0 {
		t.Error("Records returned the seed's own records")
	}
	u, _ := s.User("rep1")
	u.Roles[0] = "admin"
	if again, _ := s.User("rep1"); again.Roles[0] != "sales_rep" {
		t.Fatal("User returned the seed's own slice")
	}
}

// TestSeedPathErrors: every problem of a seed file is a *PathError whose
// Path names where it is, and the joined error lists them one by one.
func TestSeedPathErrors(t *testing.T) {
	_, err := Parse(readSeed(t, "broken.json"))
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("got %T, want joined problems", err)
	}
	var paths []string
	for _, e := range joined.Unwrap() {
		var pe *ownership.PathError
		if !errors.As(e, &pe) {
			t.Errorf("%v: got %T, want a *PathError", e, e)
			continue
		}
		if !errors.Is(pe, ownership.ErrInvalid) || !strings.HasSuffix(pe.Error(), pe.Path+": "+pe.Msg) {
			t.Errorf("%#v: message %q", pe, pe.Error())
		}
		paths = append(paths, pe.Path)
	}
	for _, want := range []string{"extras", "policy.roles.boss.types", "policy.roles.sales_rep.types.contact.view", "records[6].parent"} {
		if !slices.Contains(paths, want) {
			t.Errorf("got paths %q, want %s among them", paths, want)
		}
	}
}

// TestValidType: a seed names record types by the model's one rule.
func TestValidType(t *testing.T) {
	for _, typ := range []string{"contact", "a b", "", "*", "c*", "a/b"} {
		seed := `{"records": [{"type": "` + typ + `", "id": "1"}], "templates": [{"id": "t", "type": "` + typ + `"}], "types": {"` + typ + `": {}}}`
		_, err := Parse([]byte(seed))
		if want := ownership.ValidType(typ); (err == nil) != want {
			t.Errorf("a seed with type %q: %v, want valid %v", typ, err, want)
		}
	}
}

// update rewrites the golden files.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestOddSeeds: the zero Seed and a nil *Seed answer, and deny, without
// panicking.
func TestOddSeeds(t *testing.T) {
	for name, s := range map[string]*Seed{"zero": {}, "nil": nil} {
		for _, ref := range []ownership.Ref{{}, {Type: "contact"}, ownership.MustRef("contact/c1"), {Type: "a/b", ID: "c"}} {
			for _, d := range []ownership.Decision{s.Decide("", ownership.View, ref, ""), s.Decide("u1", 200, ref, "f"), s.Decide("u1", ownership.View, ref, "")} {
				if d.Allowed {
					t.Errorf("%s seed: got %v, want a denial", name, d)
				}
			}
			if _, ok := s.Record(ref); ok {
				t.Errorf("%s seed has record %v", name, ref)
			}
		}
		if _, ok := s.Subject("u1"); ok {
			t.Errorf("%s seed has a subject", name)
		}
		if _, ok := s.User("u1"); ok {
			t.Errorf("%s seed has a user", name)
		}
		if _, ok := s.Matcher("contact"); ok {
			t.Errorf("%s seed has a matcher", name)
		}
		if _, err := s.MarshalJSON(); err != nil {
			t.Errorf("%s seed: MarshalJSON: %v", name, err)
		}
	}
}

// TestSeedRules: each call of Rules decodes the assignment section
// afresh, so two managers built from one seed do not share a turn.
func TestSeedRules(t *testing.T) {
	s, err := Parse([]byte(`{"users": [{"id": "a"}, {"id": "b"}], "assignment": [{"rule": "round_robin", "team": ["a", "b"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := s.Rules(), s.Rules()
	if len(r1) != 1 || len(r2) != 1 || r1[0] == r2[0] {
		t.Fatalf("got %v and %v, want one rule each, not shared", r1, r2)
	}
	if empty, _ := Parse([]byte(`{}`)); empty.Rules() != nil {
		t.Error("a seed without assignment has rules")
	}
}

// TestSeedOrgErrors: a seed whose organisation is wrong in every way
// reports every problem at once, each a *PathError at its place in the
// file (golden file): loops in the hierarchy and the team tree, unknown
// teams, queues and managers, references across tenants, and malformed
// queue entries.
func TestSeedOrgErrors(t *testing.T) {
	_, err := Parse(readSeed(t, "teams_broken.json"))
	if !errors.Is(err, ownership.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	golden(t, "teams_broken.errors.golden", err.Error()+"\n")
	var paths []string
	for _, e := range unjoin(err) {
		if pe, ok := e.(*ownership.PathError); ok {
			paths = append(paths, pe.Path)
		}
	}
	for _, want := range []string{
		"users[0].manager",                                                                    // a -> b -> c -> a
		"teams[0].parent",                                                                     // east -> west -> east
		"teams[4].parent",                                                                     // its own parent
		"users[3].manager",                                                                    // their own manager
		"users[0].teams[2]", "users[2].queues[1]", "users[4].manager", "teams[1].managers[1]", // unknown
		"users[3].teams[0]", "users[4].queues[0]", "users[5].manager", "teams[1].managers[0]", "teams[2].parent", // across tenants
		"records[0].ownership[0].user_id", "records[1].ownership[1].user_id", "records[3].ownership[0].queue",
		"records[2].parent", "records[10].fields.am",
		"records[4].ownership[0].queue", "records[5].ownership[0]", "records[6].ownership[0].role", "records[6].ownership[1]",
		"records[7].ownership[1].queue", "records[8].ownership[0].queue", "records[9].ownership[0].queue",
		"teams[3].id", "teams[5].id", "teams[5].nickname", "queues[2].id",
	} {
		if !slices.Contains(paths, want) {
			t.Errorf("no problem reported at %s", want)
		}
	}
	// An empty or repeated id is reported once, in the seed's words.
	for _, p := range []string{"teams[3].id", "teams[5].id", "queues[2].id"} {
		if n := strings.Count(err.Error(), p+":"); n != 1 {
			t.Errorf("%s reported %d times, want once", p, n)
		}
	}
}

// TestSeedOrg: the seed's decisions are those of its policy for the
// subjects its organisation builds, for every user, record and action;
// and the CRM of teams.json answers as its comments say.
func TestSeedOrg(t *testing.T) {
	s, err := Parse(readSeed(t, "teams.json"))
	if err != nil {
		t.Fatal(err)
	}
	org := s.Org()
	if got := len(org.Def().Teams); got != len(s.Teams()) || got != 4 || len(s.Queues()) != 1 {
		t.Fatalf("org %v: teams %v, queues %v", org, s.Teams(), s.Queues())
	}
	for _, u := range s.Users() {
		subj, ok := org.Subject(u.ID)
		if !ok {
			t.Fatalf("the organisation lacks %s", u.ID)
		}
		for _, raw := range s.Records() {
			r, _ := s.Record(raw.Ref)
			for _, a := range []ownership.Action{ownership.View, ownership.Update, ownership.Delete, ownership.Claim, ownership.Reassign, ownership.ManageOwnership} {
				got, want := s.Decide(u.ID, a, r.Ref, ""), s.Policy().Decide(subj, a, r)
				if got != want {
					t.Errorf("%s %s %s: seed %v, policy with the org's subject %v", u.ID, a, r.Ref, got, want)
				}
			}
		}
	}
	for _, c := range []struct {
		user   ownership.UserID
		a      ownership.Action
		ref    string
		reason ownership.Reason
		basis  string
	}{
		{"eli", ownership.View, "contact/c1", ownership.ReasonInScope, "teammates"},  // raj is in sales-east too
		{"wu", ownership.View, "contact/c1", ownership.ReasonViewScope, ""},          // sales-west is not sales-east
		{"olga", ownership.View, "contact/c3", ownership.ReasonInScope, "teammates"}, // she manages sales, above sales-west
		{"vera", ownership.Update, "contact/c1", ownership.ReasonInScope, "hierarchy"},
		{"wes", ownership.View, "contact/c1", ownership.ReasonViewScope, ""}, // raj reports to dan, not wes
		{"sue", ownership.Claim, "ticket/t1", ownership.ReasonClaimable, "queue claim"},
		{"sam", ownership.Claim, "ticket/t1", ownership.ReasonNotQueueMember, ""},
		{"gia", ownership.View, "contact/c1", ownership.ReasonOtherTenant, ""},
		{"ada", ownership.View, "contact/g1", ownership.ReasonOtherTenant, ""}, // bypass stays in its tenant
		{"pat", ownership.View, "contact/g1", ownership.ReasonInScope, "others' records"},
		{"pat", ownership.Update, "contact/c1", ownership.ReasonUpdateScope, ""}, // the platform role grants views only
	} {
		d := s.Decide(c.user, c.a, ownership.MustRef(c.ref), "")
		if d.Reason != c.reason || d.Basis() != c.basis {
			t.Errorf("%s %s %s: %v (basis %q), want %v (basis %q)", c.user, c.a, c.ref, d, d.Basis(), c.reason, c.basis)
		}
	}
	// Returned teams are copies.
	teams := s.Teams()
	teams[0].Managers[0] = "eli"
	if again := s.Teams(); again[0].Managers[0] != "olga" {
		t.Error("Teams returned the seed's own slice")
	}
}
