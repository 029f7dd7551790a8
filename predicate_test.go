package ownership

import "testing"

func TestCondSimplifies(t *testing.T) {
	a, b := OwnedBy("a"), FollowedBy("b")
	cases := []struct {
		got  Cond
		want string
	}{
		{Or(), "none"},
		{And(), "all"},
		{Or(a), `owned_by("a")`},
		{Or(a, NoRecords()), `owned_by("a")`},
		{Or(a, AllRecords()), "all"},
		{And(a, NoRecords()), "none"},
		{And(a, AllRecords()), `owned_by("a")`},
		{Or(Or(a, b), IsUnassigned()), `or(owned_by("a"), followed_by("b"), unassigned)`},
		{And(And(a, b), IsSynced()), `and(owned_by("a"), followed_by("b"), synced)`},
		{Not(Not(a)), `owned_by("a")`},
		{Not(AllRecords()), "none"},
		{Not(NoRecords()), "all"},
		{Not(IsSynced()), "not(synced)"},
	}
	for _, c := range cases {
		if got := c.got.String(); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

func TestCondMatch(t *testing.T) {
	r := Record{Ref: MustRef("contact/c1"), Ownership: MustList(own("ann"), follow("bob")), Mode: SyncWithParent}
	cases := []struct {
		c    Cond
		want bool
	}{
		{AllRecords(), true},
		{NoRecords(), false},
		{Cond{}, false},
		{OwnedBy("ann"), true},
		{OwnedBy("bob"), false},
		{FollowedBy("bob"), true},
		{FollowedBy("ann"), false},
		{IsUnassigned(), false},
		{IsSynced(), true},
		{Not(IsUnassigned()), true},
		{And(OwnedBy("ann"), FollowedBy("bob")), true},
		{Or(OwnedBy("zed"), FollowedBy("zed")), false},
		{Cond{Op: OpAnd}, false},   // an empty And built by hand matches nothing
		{Cond{Op: OpNot}, false},   // a malformed Not matches nothing
		{Cond{Op: Op(200)}, false}, // an unknown operator matches nothing
	}
	for _, c := range cases {
		if got := c.c.Match(r); got != c.want {
			t.Errorf("%v.Match = %v, want %v", c.c, got, c.want)
		}
	}
}

func TestPredicateMatchesOnlyItsType(t *testing.T) {
	p := testPolicy(t)
	pred := p.Filter(who("root", "admin"), View, "contact")
	if !pred.Match(rec("contact/c1")) {
		t.Error("admin filter does not match a contact")
	}
	if pred.Match(rec("document/d1")) {
		t.Error("a contact filter matched a document")
	}
	if pred.Match(Record{Ref: Ref{Type: "contact"}}) {
		t.Error("a filter matched a record without id")
	}
	var zero Predicate
	if zero.Match(rec("contact/c1")) || zero.Match(Record{}) {
		t.Error("the zero Predicate matched")
	}
	for _, bad := range []struct {
		s Subject
		a Action
		t string
	}{{who("", "admin"), View, "contact"}, {who("root", "admin"), 0, "contact"}, {who("root", "admin"), View, ""}, {who("root", "admin"), View, "a/b"}} {
		pred := p.Filter(bad.s, bad.a, bad.t)
		if pred.Cond().Op != OpNone || pred.Match(rec("contact/c1")) {
			t.Errorf("Filter(%v, %v, %q) = %v, want none", bad.s, bad.a, bad.t, pred)
		}
	}
}

func TestFilterConditions(t *testing.T) {
	p := testPolicy(t)
	cases := []struct {
		s    Subject
		a    Action
		typ  string
		want string
	}{
		{who("rep1", "sales_rep"), View, "contact", `contact: or(owned_by("rep1"), followed_by("rep1"), unassigned)`},
		{who("rep1", "sales_rep"), Update, "contact", `contact: owned_by("rep1")`},
		{who("rep1", "sales_rep"), Claim, "contact", `contact: and(unassigned, not(synced))`},
		{who("rep1", "sales_rep"), View, "order", `order: none`},
		{who("jm", "journey_manager"), View, "order", `order: or(owned_by("jm"), followed_by("jm"))`},
		{who("jm", "journey_manager"), ManageOwnership, "order", `order: and(owned_by("jm"), not(synced))`},
		{who("root", "admin"), View, "order", `order: all`},
		{who("root", "admin"), Reassign, "order", `order: not(synced)`},
		{who("ae", "end_user"), Update, "contract", `contract: owned_by("ae")`},
		{who("x", "narrowed"), View, "contact", `contact: or(owned_by("x"), followed_by("x"))`},
	}
	for _, c := range cases {
		if got := p.Filter(c.s, c.a, c.typ).String(); got != c.want {
			t.Errorf("Filter(%v, %v, %s) = %s, want %s", c.s, c.a, c.typ, got, c.want)
		}
	}
}

// TestCondOnMalformedTrees checks that conditions built by hand with the
// wrong number of arguments neither panic nor match.
func TestCondOnMalformedTrees(t *testing.T) {
	r := rec("contact/c1", own("ann"))
	for _, c := range []Cond{
		{Op: OpNot},
		{Op: OpNot, Args: []Cond{AllRecords(), AllRecords()}},
		{Op: OpAnd},
		{Op: OpOr},
		{Op: Op(200)},
	} {
		if c.Match(r) {
			t.Errorf("%v matches", c)
		}
		n := Not(c)
		if !n.Match(r) {
			t.Errorf("Not(%v) = %v does not match", c, n)
		}
		_ = n.String()
		_ = And(c, n).Match(r)
		_ = Or(c, n).Match(r)
	}
}

// TestNewPredicate: a predicate built from a condition matches the records
// of its type that the condition matches, and reports what it was built
// from; a Filter predicate reports the condition its table was compiled
// from.
func TestNewPredicate(t *testing.T) {
	c := Or(OwnedBy("ann"), IsUnassigned())
	p := NewPredicate("contact", c)
	if p.Type() != "contact" || p.Cond().String() != c.String() {
		t.Fatalf("got %v, want contact: %v", p, c)
	}
	for _, r := range []Record{
		{Ref: MustRef("contact/1"), Ownership: MustList(Entry{UserID: "ann", Role: Owner})},
		{Ref: MustRef("contact/2")},
		{Ref: MustRef("contact/3"), Ownership: MustList(Entry{UserID: "bob", Role: Owner})},
		{Ref: MustRef("deal/1")},
	} {
		if got, want := p.Match(r), r.Ref.Type == "contact" && c.Match(r); got != want {
			t.Errorf("Match(%v) = %v, want %v", r.Ref, got, want)
		}
	}
	pol := MustPolicy(map[string]RoleDef{"rep": {Types: map[string]Permissions{"contact": {View: Own | Unassigned}}}})
	f := pol.Filter(Subject{ID: "ann", Roles: []string{"rep"}}, View, "contact")
	if f.Type() != "contact" || f.Cond().String() != `or(owned_by("ann"), followed_by("ann"), unassigned)` {
		t.Errorf("Filter: got %v", f)
	}
}
