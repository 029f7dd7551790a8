package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// assignEnv builds a directory of sales reps (r1..r4, r3 inactive), one
// support user (s1, who cannot view others' contacts but may be handed
// one) and an auditor (a1, who cannot view contacts at all).
func assignEnv(t testing.TB) (ownership.AssignEnv, *memstore.Store) {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	users := []ownership.User{
		{ID: "r1", Roles: []string{"sales_rep"}, Skills: []string{"billing", "German"}},
		{ID: "r2", Roles: []string{"sales_rep"}, Skills: []string{"billing"}},
		{ID: "r3", Roles: []string{"sales_rep"}, Skills: []string{"german"}, Inactive: true},
		{ID: "r4", Roles: []string{"sales_rep"}, Skills: []string{"french"}},
		{ID: "s1", Roles: []string{"support"}},
		{ID: "a1", Roles: []string{"auditor"}},
	}
	for _, u := range users {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return ownership.AssignEnv{Policy: crmPolicy(), Users: st, Counts: st}, st
}

func lead(fields map[string]string) ownership.Record {
	return ownership.Record{Ref: ownership.MustRef("contact/new"), Fields: fields}
}

func TestRoundRobin(t *testing.T) {
	env, _ := assignEnv(t)
	ctx := context.Background()
	rr := &ownership.RoundRobin{Team: []ownership.UserID{"r1", "r2", "r3", "a1", "ghost", "r4"}}
	var got []ownership.UserID
	for range 7 {
		u, err := rr.Pick(ctx, env, lead(nil))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u)
	}
	// r3 is inactive, a1 could not view the contact, ghost does not exist.
	want := []ownership.UserID{"r1", "r2", "r4", "r1", "r2", "r4", "r1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	none := &ownership.RoundRobin{Team: []ownership.UserID{"r3", "a1"}}
	if u, err := none.Pick(ctx, env, lead(nil)); u != "" || err != nil {
		t.Errorf("team without candidates: %q, %v; want fall through", u, err)
	}
	if u, _ := (&ownership.RoundRobin{}).Pick(ctx, env, lead(nil)); u != "" {
		t.Errorf("empty team picked %q", u)
	}
}

// TestRoundRobinFairUnderConcurrency: many goroutines assign at once; the
// counts of the eligible members differ by at most one.
func TestRoundRobinFairUnderConcurrency(t *testing.T) {
	env, _ := assignEnv(t)
	rr := &ownership.RoundRobin{Name: "pool", Team: []ownership.UserID{"r1", "r2", "r3", "r4", "s1"}}
	const n = 1000
	counts := map[ownership.UserID]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 16 {
				u, err := rr.Pick(context.Background(), env, lead(nil))
				if err != nil || u == "" {
					t.Errorf("pick: %q, %v", u, err)
					return
				}
				mu.Lock()
				counts[u]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counts["r3"] != 0 {
		t.Errorf("inactive member got %d", counts["r3"])
	}
	lo, hi := n, 0
	for _, u := range []ownership.UserID{"r1", "r2", "r4", "s1"} {
		lo, hi = min(lo, counts[u]), max(hi, counts[u])
	}
	if hi-lo > 1 {
		t.Errorf("counts %v differ by %d, want at most 1", counts, hi-lo)
	}
}

func TestTerritory(t *testing.T) {
	env, _ := assignEnv(t)
	tr := &ownership.Territory{Field: "postcode", Territories: map[string][]ownership.UserID{
		"1":   {"r1"},
		"10":  {"r2"},
		"104": {"r3", "r4"}, // r3 is inactive: r4 backs up
		"2":   {"a1"},       // a1 cannot view contacts
		"fr":  {"r4"},
	}}
	cases := []struct {
		value string
		want  ownership.UserID
	}{
		{"19999", "r1"}, {"10115", "r2"}, {"10437", "r4"}, {" 10437 ", "r4"},
		{"FR-75", "r4"}, {"fr-13", "r4"}, {"20095", ""}, {"99999", ""}, {"", ""},
	}
	for _, c := range cases {
		got, err := tr.Pick(context.Background(), env, lead(map[string]string{"postcode": c.value}))
		if err != nil || got != c.want {
			t.Errorf("postcode %q: %q, %v; want %q", c.value, got, err, c.want)
		}
	}
}

func TestSkill(t *testing.T) {
	env, st := assignEnv(t)
	ctx := context.Background()
	team := []ownership.UserID{"r1", "r2", "r3", "r4"}
	rr := &ownership.Skill{Field: "tags", Team: team}
	var got []ownership.UserID
	for range 4 {
		u, err := rr.Pick(ctx, env, lead(map[string]string{"tags": "Billing, vip"}))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u)
	}
	if diff := cmp.Diff([]ownership.UserID{"r1", "r2", "r1", "r2"}, got); diff != "" {
		t.Errorf("billing by round robin (-want +got):\n%s", diff)
	}
	if u, _ := rr.Pick(ctx, env, lead(map[string]string{"tags": "german"})); u != "r1" {
		t.Errorf("german: %q, want r1 (r3 is inactive)", u)
	}
	for _, tags := range []string{"", "  , ", "spanish"} {
		if u, _ := rr.Pick(ctx, env, lead(map[string]string{"tags": tags})); u != "" {
			t.Errorf("tags %q picked %q, want fall through", tags, u)
		}
	}
	// Least loaded among the skilled: r1 owns two contacts, r2 none.
	for _, id := range []string{"x1", "x2"} {
		if _, err := st.CompareAndSwap(ctx, ownership.Record{Ref: ownership.Ref{Type: "contact", ID: id}, Ownership: ownership.MustList(ownership.Entry{UserID: "r1", Role: ownership.Owner})}); err != nil {
			t.Fatal(err)
		}
	}
	ll := &ownership.Skill{Field: "tags", Team: team, Strategy: ownership.PickLeastLoaded}
	if u, _ := ll.Pick(ctx, env, lead(map[string]string{"tags": "billing"})); u != "r2" {
		t.Errorf("least loaded billing: %q, want r2", u)
	}
}

func TestLeastLoaded(t *testing.T) {
	env, st := assignEnv(t)
	ctx := context.Background()
	own := func(u ownership.UserID, ref string) {
		t.Helper()
		if _, err := st.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef(ref), Ownership: ownership.MustList(ownership.Entry{UserID: u, Role: ownership.Owner})}); err != nil {
			t.Fatal(err)
		}
	}
	own("r1", "contact/1")
	own("r1", "contact/2")
	own("r2", "contact/3")
	own("r4", "contact/4")
	own("r4", "order/9") // another type does not count
	ll := &ownership.LeastLoaded{Team: []ownership.UserID{"r1", "r3", "r2", "r4"}}
	if u, err := ll.Pick(ctx, env, lead(nil)); u != "r2" || err != nil {
		t.Errorf("got %q, %v; want r2 (tie with r4, earlier in the team; r3 inactive)", u, err)
	}
	if _, err := ll.Pick(ctx, ownership.AssignEnv{Policy: env.Policy, Users: env.Users}, lead(nil)); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("without counts: %v, want ErrInvalid", err)
	}
}

func TestParseRules(t *testing.T) {
	rules, err := ownership.ParseRules([]byte(`[
		{"rule": "territory", "name": "dach", "field": "country", "territories": {"DE": ["r1"], "AT": ["r2"]}},
		{"rule": "skill", "field": "tags", "team": ["r1", "r2"], "pick": "least_loaded"},
		{"rule": "round_robin", "name": "pool", "team": ["r1", "r2", "r4"]},
		{"rule": "least_loaded", "team": ["r1", "r2"], "type": "contact"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rules {
		names = append(names, r.RuleName())
	}
	if diff := cmp.Diff([]string{"dach", "skill", "pool", "least_loaded"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if s, ok := rules[1].(*ownership.Skill); !ok || s.Strategy != ownership.PickLeastLoaded {
		t.Errorf("skill rule: %#v", rules[1])
	}

	_, err = ownership.ParseRules([]byte(`[
		{"rule": "round_robin"},
		{"rule": "territory", "field": "country", "territories": {"DE": []}},
		{"rule": "skill", "field": "tags", "team": ["r1"], "pick": "random"},
		{"rule": "teleport"},
		{"rule": "round_robin", "team": ["r1", ""]},
		{"rule": "least_loaded", "team": ["r1"], "field": "x"},
		{"rule": "round_robin", "team": ["r1"], "colour": "red"},
		{}
	]`))
	if !errors.Is(err, ownership.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	for _, path := range []string{"assignment[0].team", "assignment[1].territories.DE", "assignment[2].pick", "assignment[3].rule", "assignment[4].team[1]", "assignment[5].field", "assignment[6]", "assignment[7].rule"} {
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error does not name %s:\n%v", path, err)
		}
	}
	for _, bad := range []string{`{}`, `[1]`, `nope`} {
		if _, err := ownership.ParseRules([]byte(bad)); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("ParseRules(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}

// FuzzParseRules checks that the rules decoder never panics and that every
// rule it accepts has a name.
func FuzzParseRules(f *testing.F) {
	// Seeds: each rule kind, an empty chain, and broken shapes.
	for _, s := range []string{
		`[{"rule":"round_robin","team":["a"]}]`,
		`[{"rule":"territory","field":"c","territories":{"DE":["a"]}}]`,
		`[{"rule":"skill","field":"t","team":["a"],"pick":"least_loaded"}]`,
		`[{"rule":"least_loaded","team":["a","b"],"type":"contact"}]`,
		`[]`, `[{}]`, `{"rule":1}`, `[{"rule":"territory","territories":{"":[""]}}]`,
	} {
		f.Add([]byte(s))
	}
	// Nesting at the depth limit (64 levels) and past it, in a team.
	for _, depth := range []int{62, 63, 256} {
		f.Add([]byte(`[{"rule":"round_robin","team":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}]`))
		f.Add([]byte(`[{"rule":"round_robin","team":` + strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth) + `}]`))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ownership.ParseRules(data)
		if err != nil {
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for _, r := range rules {
			if r.RuleName() == "" {
				t.Fatalf("rule without name: %#v", r)
			}
		}
	})
}

func TestManagerAssignsFormSubmissions(t *testing.T) {
	env, st := assignEnv(t)
	ctx := context.Background()
	rec := &recorder{}
	m := &ownership.Manager{Policy: env.Policy, Store: st, Users: st, Subscribers: []ownership.Subscriber{rec},
		Rules: ownership.Rules{
			&ownership.Territory{Name: "dach", Field: "country", Territories: map[string][]ownership.UserID{"DE": {"r1"}, "AT": {"r2"}}},
			&ownership.RoundRobin{Name: "pool", Team: []ownership.UserID{"r4"}},
		}}
	create := func(id, country string, src ownership.Source, entries ...ownership.Entry) ownership.Record {
		t.Helper()
		r, err := m.Create(ctx, ownership.Record{Ref: ownership.Ref{Type: "contact", ID: id}, Fields: map[string]string{"country": country}}, ownership.Creation{Source: src, Entries: entries, Creator: ownership.User{ID: "r2"}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cases := []struct {
		r    ownership.Record
		want string
		rule string
	}{
		{create("f1", "DE", ownership.SourceForm), "[r1:owner]", "dach"},
		{create("f2", "US", ownership.SourceForm), "[r4:owner]", "pool"},
		{create("i1", "AT", ownership.SourceImport), "[r2:owner]", "dach"},
		{create("i2", "AT", ownership.SourceImport, ownership.Entry{UserID: "r4", Role: ownership.Owner}), "[r4:owner]", ""},
		{create("m1", "DE", ownership.SourceManual), "[r2:owner]", ""},
	}
	events := rec.all()
	for i, c := range cases {
		if got := c.r.Ownership.String(); got != c.want {
			t.Errorf("%s: %s, want %s", c.r.Ref, got, c.want)
		}
		if events[i].Rule != c.rule {
			t.Errorf("%s: event names rule %q, want %q", c.r.Ref, events[i].Rule, c.rule)
		}
		if c.rule != "" && len(events[i].Assigned) != 1 {
			t.Errorf("%s: automatic assignment tells nobody: %+v", c.r.Ref, events[i])
		}
	}
	// With every rule falling through, the record stays in the pool.
	m.Rules = ownership.Rules{&ownership.Territory{Field: "country", Territories: map[string][]ownership.UserID{"DE": {"r1"}}}}
	if r := create("f3", "US", ownership.SourceForm); !r.Ownership.Unassigned() {
		t.Errorf("unmatched submission: %s, want unassigned", r.Ownership)
	}
}

func ExampleRules() {
	ctx := context.Background()
	store := memstore.New()
	for _, u := range []ownership.User{
		{ID: "dora", Roles: []string{"sales_rep"}},
		{ID: "emil", Roles: []string{"sales_rep"}},
		{ID: "fay", Roles: []string{"sales_rep"}},
	} {
		_ = store.PutUser(ctx, u)
	}
	rules, err := ownership.ParseRules([]byte(`[
		{"rule": "territory", "name": "germany", "field": "country", "territories": {"DE": ["dora"]}},
		{"rule": "round_robin", "name": "rest", "team": ["emil", "fay"]}
	]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &ownership.Manager{
		Policy: ownership.MustPolicy(map[string]ownership.RoleDef{
			"sales_rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
		}),
		Store: store, Users: store, Rules: rules,
		Subscribers: []ownership.Subscriber{ownership.SubscriberFunc(func(_ context.Context, e ownership.Event) {
			if e.Rule != "" {
				fmt.Printf("%s -> %v by rule %s\n", e.Record, e.Assigned, e.Rule)
			}
		})},
	}
	for i, country := range []string{"DE", "US", "FR", "DE", "BR"} {
		_, _ = m.Create(ctx, ownership.Record{Ref: ownership.Ref{Type: "contact", ID: fmt.Sprint("lead-", i)}, Fields: map[string]string{"country": country}},
			ownership.Creation{Source: ownership.SourceForm})
	}
	// A form submission no rule routes stays in the pool, to be claimed.
	m.Rules = rules[:1]
	_, _ = m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/lead-5"), Fields: map[string]string{"country": "JP"}}, ownership.Creation{Source: ownership.SourceForm})
	r, err := m.Claim(ctx, ownership.Subject{ID: "fay", Roles: []string{"sales_rep"}}, ownership.MustRef("contact/lead-5"))
	fmt.Println("claimed from the pool:", r.Ownership, err)
	// Output:
	// contact/lead-0 -> [dora] by rule germany
	// contact/lead-1 -> [emil] by rule rest
	// contact/lead-2 -> [fay] by rule rest
	// contact/lead-3 -> [dora] by rule germany
	// contact/lead-4 -> [emil] by rule rest
	// claimed from the pool: [fay:owner] <nil>
}

// TestSkillStrategyIsTyped checks that a strategy that is not one of the
// two is refused, not taken for round robin.
func TestSkillStrategyIsTyped(t *testing.T) {
	s := &ownership.Skill{Field: "tags", Team: []ownership.UserID{"a"}, Strategy: ownership.Strategy(7)}
	rec := ownership.Record{Ref: ownership.MustRef("contact/c1"), Fields: map[string]string{"tags": "x"}}
	if _, err := s.Pick(context.Background(), ownership.AssignEnv{}, rec); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("Pick with Strategy(7): %v, want ErrInvalid", err)
	}
	if _, err := ownership.ParseRules([]byte(`[{"rule": "skill", "field": "tags", "team": ["a"], "pick": "least_laoded"}]`)); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("a misspelt pick: %v, want ErrInvalid", err)
	}
}
