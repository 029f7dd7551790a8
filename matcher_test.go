package ownership

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ownershipkit/ownership/internal/jsontest"
	"github.com/ownershipkit/ownership/internal/strictjson"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizerText(t *testing.T) {
	for _, n := range []Normalizer{NormalizeExact, NormalizeCasefold, NormalizeEmail} {
		b, err := n.MarshalText()
		if err != nil {
			t.Fatalf("%v.MarshalText: %v", n, err)
		}
		var back Normalizer
		if err := back.UnmarshalText(b); err != nil || back != n {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, n)
		}
	}
	if n, err := ParseNormalizer(""); err != nil || n != NormalizeExact {
		t.Errorf(`ParseNormalizer("") = %v, %v; want exact, the zero value`, n, err)
	}
	for _, bad := range []string{"Email", "lower", "exact ", "none"} {
		if _, err := ParseNormalizer(bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("ParseNormalizer(%q) = %v, want an ErrInvalid error quoting it", bad, err)
		}
	}
	if _, err := Normalizer(9).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Normalizer(9).MarshalText() = %v, want ErrInvalid", err)
	}
	if got := Normalizer(9).String(); got != "Normalizer(9)" {
		t.Errorf("Normalizer(9).String() = %q", got)
	}
}

func TestOwnerFieldJSON(t *testing.T) {
	var f OwnerField
	if err := json.Unmarshal([]byte(`{"record": "customer_email", "user": "email", "normalize": "email"}`), &f); err != nil {
		t.Fatal(err)
	}
	want := OwnerField{Record: "customer_email", User: "email", Normalize: NormalizeEmail}
	if f != want {
		t.Errorf("got %+v, want %+v", f, want)
	}
	b, err := json.Marshal(OwnerField{Record: "k", User: "email", Normalize: NormalizeEmail, CaseSensitiveLocal: true})
	if err != nil || string(b) != `{"record":"k","user":"email","normalize":"email","case_sensitive_local":true}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	if b, _ := json.Marshal(OwnerField{Record: "assignee", User: "login"}); string(b) != `{"record":"assignee","user":"login"}` {
		t.Errorf("Marshal of an exact field = %s; the zero normaliser is omitted", b)
	}
	for in, msg := range map[string]string{
		`{"record": "a", "user": "b", "normalise": "email"}`: `unknown field "normalise"`,
		`{"record": "a", "user": "b", "normalize": "mail"}`:  `normalize "mail"`,
		`{"record": "a"}`: "owner_field.user: empty field name",
		`{"user": "b"}`:   "owner_field.record: empty field name",
		`{"record": "a", "user": "b", "case_sensitive_local": true}`: "only the email normaliser",
		`["a", "b"]`: "cannot unmarshal",
		`{"record": "a", "user": "b", "normalize": "casefold", "x": 1}`:                    `unknown field "x"`,
		`{"record": "a", "user": "b", "normalize": "exact", "record": 1}`:                  "duplicate key",
		`{"record": "a", "user": "b", "normalize": "casefold", "case_sensitive_local": 1}`: "cannot unmarshal number",
	} {
		var f OwnerField
		err := json.Unmarshal([]byte(in), &f)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), msg) || !strings.HasPrefix(err.Error(), "ownership: ") {
			t.Errorf("Unmarshal(%s) = %v; want an ErrInvalid error saying %q", in, err, msg)
		}
	}
}

// FuzzOwnerFieldJSON checks that UnmarshalJSON refuses with ErrInvalid,
// and that whatever it accepts is valid, encodes, and decodes again to the
// same value.
func FuzzOwnerFieldJSON(f *testing.F) {
	f.Add(`{"record": "customer_email", "user": "email", "normalize": "email"}`)
	f.Add(`{"record": "k", "user": "email", "normalize": "email", "case_sensitive_local": true}`)
	f.Add(`{"record": "assignee", "user": "login", "normalize": ""}`) // empty is exact
	f.Add(`{"record": "a", "user": "b", "normalize": null}`)          // null leaves the zero value
	for _, in := range jsontest.DeepInputs(`{"record": X, "user": "b"}`, strictjson.MaxDepth) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v OwnerField
		// UnmarshalJSON itself, not json.Unmarshal, whose syntax check
		// comes first and returns the json package's errors.
		if err := v.UnmarshalJSON([]byte(in)); err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "ownership: ") {
				t.Fatalf("UnmarshalJSON(%q) = %v, want an ErrInvalid error", in, err)
			}
			return
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("Unmarshal(%q) accepted %+v, which Validate refuses: %v", in, v, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", v, err)
		}
		var back OwnerField
		if err := json.Unmarshal(b, &back); err != nil || back != v {
			t.Fatalf("%+v encodes as %s, which decodes to %+v, %v", v, b, back, err)
		}
	})
}

func TestOwnerFieldCanonical(t *testing.T) {
	for _, c := range []struct {
		f         OwnerField
		in, want  string
		wantError bool
	}{
		{OwnerField{Record: "r", User: "login"}, "Ann", "Ann", false},
		{OwnerField{Record: "r", User: "login"}, " ann ", " ann ", false},
		{OwnerField{Record: "r", User: "login", Normalize: NormalizeCasefold}, "ANN", "ann", false},
		{OwnerField{Record: "r", User: "login", Normalize: NormalizeCasefold}, "", "", false},
		{OwnerField{Record: "r", User: "email", Normalize: NormalizeEmail}, "Ann <ANN@X.IO>", "ann@x.io", false},
		{OwnerField{Record: "r", User: "email", Normalize: NormalizeEmail, CaseSensitiveLocal: true}, "Ann <ANN@X.IO>", "ANN@x.io", false},
		{OwnerField{Record: "r", User: "email", Normalize: NormalizeEmail}, " \t", "", false},
		{OwnerField{Record: "r", User: "email", Normalize: NormalizeEmail}, "ann", "", true},
		{OwnerField{Record: "r", User: "email", Normalize: 7}, "ann", "", true},
	} {
		got, err := c.f.Canonical(c.in)
		if got != c.want || (err != nil) != c.wantError || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%+v.Canonical(%q) = %q, %v; want %q (error %v)", c.f, c.in, got, err, c.want, c.wantError)
		}
	}
}

// matcherUsers is a directory with the cases a matcher meets: details to
// copy, no email, an email that is no address, an address two users share
// in different spellings, an inactive user.
var matcherUsers = []User{
	{ID: "ann", Login: "ann", Email: "Ann Lee <ann@x.io>", GivenName: "Ann", LastName: "Lee"},
	{ID: "bob", Login: "Bob", Email: "BOB@X.IO", GivenName: "Bob"},
	{ID: "cy", Login: "cy"},
	{ID: "dan", Login: "dan", Email: "dan at x dot io"},
	{ID: "eve", Login: "eve", Email: "eve@x.io"},
	{ID: "eva", Login: "eva", Email: "Eve and Eva <EVE@x.io>"},
	{ID: "ivy", Login: "ivy", Email: "ivy@x.io", Inactive: true},
	{ID: "ed", Login: "ed", Email: "Edward <eve@X.IO>"},
}

var emailField = OwnerField{Record: "customer_email", User: "email", Normalize: NormalizeEmail}

func TestMatcherOwnerOf(t *testing.T) {
	m := MustMatcher(emailField, matcherUsers)
	for _, c := range []struct {
		value string
		want  UserID
		err   error  // a sentinel, or nil
		msg   string // what the error must say
	}{
		{"", "", nil, ""},
		{" \t ", "", nil, ""},
		{"ann@x.io", "ann", nil, ""},
		{"Ann <ANN@X.IO>", "ann", nil, ""},
		{`"ann"@x.io (home)`, "ann", nil, ""},
		{"bob@x.io", "bob", nil, ""},
		{"ivy@x.io", "ivy", nil, ""},
		{"nobody@x.io", "", nil, ""},
		{"ann@y.io", "", nil, ""},
		{"ann", "", ErrInvalid, `email address "ann": missing '@'`},
		{"ann@x.io, bob@x.io", "", ErrInvalid, "more than one address"},
		{"dan at x dot io", "", ErrInvalid, "missing '@'"},
		{"Eve <eve@x.io>", "", ErrAmbiguous, `"Eve <eve@x.io>" matches 3 users by email "eve@x.io": eve, eva, ed`},
	} {
		got, err := m.OwnerOf(c.value)
		if got != c.want || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("OwnerOf(%q) = %q, %v; want %q, %v", c.value, got, err, c.want, c.err)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "ownership: ")) {
			t.Errorf("OwnerOf(%q): error %q, want one that says %q", c.value, err, c.msg)
		}
	}
}

func TestMatcherNormalizers(t *testing.T) {
	users := []User{
		{ID: "u1", Login: "Ann", GivenName: "Ann", LastName: "Lee", Fields: map[string]string{"badge": "B-7"}},
		{ID: "u2", Login: "bob", GivenName: "Bob", LastName: "Ström"},
	}
	for _, c := range []struct {
		f     OwnerField
		value string
		want  UserID
	}{
		{OwnerField{Record: "assignee", User: "login"}, "Ann", "u1"},
		{OwnerField{Record: "assignee", User: "login"}, "ann", ""},
		{OwnerField{Record: "assignee", User: "login"}, "Ann ", ""},
		{OwnerField{Record: "assignee", User: "login", Normalize: NormalizeCasefold}, "ANN", "u1"},
		{OwnerField{Record: "assignee", User: "login", Normalize: NormalizeCasefold}, "BOB", "u2"},
		{OwnerField{Record: "assignee", User: "full_name", Normalize: NormalizeCasefold}, "BOB STRÖM", "u2"},
		{OwnerField{Record: "assignee", User: "full_name", Normalize: NormalizeCasefold}, "bob strom", ""},
		{OwnerField{Record: "assignee", User: "id"}, "u2", "u2"},
		{OwnerField{Record: "assignee", User: "badge"}, "B-7", "u1"},
		{OwnerField{Record: "assignee", User: "badge", Normalize: NormalizeCasefold}, strings.Repeat("b", 1000), ""},
	} {
		m := MustMatcher(c.f, users)
		if got, err := m.OwnerOf(c.value); err != nil || got != c.want {
			t.Errorf("%+v: OwnerOf(%q) = %q, %v; want %q", c.f, c.value, got, err, c.want)
		}
	}
}

func TestMatcherOwnership(t *testing.T) {
	m := MustMatcher(emailField, matcherUsers)
	rec := func(v string) Record {
		r := Record{Ref: MustRef("contract/k1"), Ownership: MustList(Entry{UserID: "bob", Role: Owner})}
		if v != "-" {
			r.Fields = map[string]string{"customer_email": v, "amount": "1000"}
		}
		return r
	}
	l, err := m.Ownership(rec("Ann <ann@x.io>"))
	want := MustList(matcherUsers[0].Entry(Owner))
	if err != nil || !l.Equal(want) {
		t.Errorf("Ownership = %v, %v; want %v", l.Entries(), err, want.Entries())
	}
	for _, v := range []string{"-", "", "nobody@x.io"} {
		if l, err := m.Ownership(rec(v)); err != nil || l.Len() != 0 {
			t.Errorf("Ownership(field %q) = %v, %v; want the empty list: the record's own list is ignored", v, l, err)
		}
	}
	_, err = m.Ownership(rec("Ann <ann@x.io"))
	if !errors.Is(err, ErrInvalid) || err.Error() != `ownership: invalid: contract/k1 field "customer_email": email address "Ann <ann@x.io": missing '>' (at "<ann@x.io")` {
		t.Errorf("Ownership(bad address) error = %v", err)
	}
	_, err = m.Ownership(rec("EVE@x.io"))
	if !errors.Is(err, ErrAmbiguous) || errors.Is(err, ErrInvalid) ||
		err.Error() != `ownership: ambiguous: contract/k1 field "customer_email" "EVE@x.io" matches 3 users by email "eve@x.io": eve, eva, ed; the user field must be unique` {
		t.Errorf("Ownership(shared address) error = %v", err)
	}
	if id, err := m.Owner(rec("bob@X.io")); id != "bob" || err != nil {
		t.Errorf("Owner = %q, %v; want bob", id, err)
	}
	if id, err := m.Owner(rec("eve@x.io")); id != "" || !errors.Is(err, ErrAmbiguous) {
		t.Errorf("Owner(shared) = %q, %v; want \"\" and ErrAmbiguous", id, err)
	}
}

// TestMatcherApplyFailsClosed checks that a record Apply could not resolve
// is denied to everyone, bypass included, even if the error is dropped.
func TestMatcherApplyFailsClosed(t *testing.T) {
	m := MustMatcher(emailField, matcherUsers)
	p := MustPolicy(map[string]RoleDef{
		"admin": {Bypass: true},
		"rep":   {Types: map[string]Permissions{AnyType: {View: All, Update: Own | Unassigned}}},
	})
	for _, v := range []string{"eve@x.io", "not an address"} {
		r := Record{Ref: MustRef("contract/k1"), Fields: map[string]string{"customer_email": v}}
		got, err := m.Apply(r)
		if err == nil {
			t.Fatalf("Apply(%q): no error", v)
		}
		if !cmp.Equal(got, Record{}, cmp.Comparer(List.Equal)) {
			t.Errorf("Apply(%q) = %+v with the error, want the zero Record", v, got)
		}
		for _, s := range []Subject{{ID: "root", Roles: []string{"admin"}}, {ID: "eve", Roles: []string{"rep"}}} {
			if d := p.Decide(s, View, got); d.Allowed || d.Reason != ReasonNotFound {
				t.Errorf("Decide(%v, view, record that failed Apply) = %v, want a not_found denial", s, d)
			}
		}
	}
}

func TestMatcherProblems(t *testing.T) {
	m := MustMatcher(emailField, matcherUsers)
	got := m.Problems()
	want := []struct {
		err error
		msg string
	}{
		{ErrInvalid, `ownership: invalid: users[3].email (dan): email address "dan at x dot io": missing '@' (at "at x dot io")`},
		{ErrAmbiguous, `ownership: ambiguous: 3 users share email "eve@x.io": eve (users[4]), eva (users[5]), ed (users[7]); records with this value have no owner until it is unique`},
	}
	if len(got) != len(want) {
		t.Fatalf("Problems() = %v, want %d problems", got, len(want))
	}
	for i, w := range want {
		if !errors.Is(got[i], w.err) || got[i].Error() != w.msg {
			t.Errorf("Problems()[%d] = %v, want %v", i, got[i], w.msg)
		}
	}
	got[0] = nil
	if m.Problems()[0] == nil {
		t.Error("Problems returns the matcher's own slice")
	}
	custom := MustMatcher(OwnerField{Record: "r", User: "work_email", Normalize: NormalizeEmail}, []User{{ID: "a", Fields: map[string]string{"work_email": "nope"}}})
	if p := custom.Problems(); len(p) != 1 || !strings.Contains(p[0].Error(), "users[0].fields.work_email (a): ") {
		t.Errorf("Problems() with a custom field = %v, want the field's path", p)
	}
	if p := MustMatcher(emailField, matcherUsers[:3]).Problems(); p != nil {
		t.Errorf("Problems() of a clean directory = %v, want nil", p)
	}
}

func TestNewMatcherErrors(t *testing.T) {
	for _, c := range []struct {
		f     OwnerField
		users []User
		msg   string
	}{
		{OwnerField{}, nil, "owner_field.record: empty field name"},
		{OwnerField{Record: "a"}, nil, "owner_field.user: empty field name"},
		{OwnerField{Record: "a", User: "login", Normalize: 3}, nil, "owner_field.normalize: Normalizer(3)"},
		{OwnerField{Record: "a", User: "login", CaseSensitiveLocal: true}, nil, "case_sensitive_local"},
		{emailField, []User{{ID: "a"}, {Email: "x@y"}}, "users[1].id: empty"},
		{emailField, []User{{ID: "a"}, {ID: "b"}, {ID: "a"}}, `users[2].id: "a" is also users[0]`},
	} {
		m, err := NewMatcher(c.f, c.users)
		if m != nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("NewMatcher(%+v) = %v, %v; want an ErrInvalid error saying %q", c.f, m, err, c.msg)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "use NewMatcher for data") {
			t.Errorf("MustMatcher(invalid) panicked with %v, want a hint", r)
		}
	}()
	MustMatcher(OwnerField{}, nil)
}

// TestMatcherZero checks that the zero Matcher and a nil one match nothing
// and say so.
func TestMatcherZero(t *testing.T) {
	r := Record{Ref: MustRef("task/t1"), Fields: map[string]string{"": "x"}}
	for name, m := range map[string]*Matcher{"zero": {}, "nil": nil} {
		if id, err := m.OwnerOf("x"); id != "" || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: OwnerOf = %q, %v; want ErrInvalid", name, id, err)
		}
		if l, err := m.Ownership(r); l.Len() != 0 || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Ownership = %v, %v; want ErrInvalid", name, l, err)
		}
		if got, err := m.Apply(r); !got.Ref.IsZero() || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Apply = %v, %v; want the zero Record and ErrInvalid", name, got.Ref, err)
		}
		if m.Problems() != nil || m.Field() != (OwnerField{}) {
			t.Errorf("%s: Problems or Field not zero", name)
		}
	}
}

// TestMatcherOwnershipFollowsField: a task is owned by whoever it is
// assigned to, so changing the assignee moves the ownership, and with it
// who may edit.
func TestMatcherOwnershipFollowsField(t *testing.T) {
	users := []User{
		{ID: "u1", Login: "ann", Email: "ann@x.io", Roles: []string{"agent"}},
		{ID: "u2", Login: "bob", Email: "bob@x.io", Roles: []string{"agent"}},
	}
	m := MustMatcher(OwnerField{Record: "assignee", User: "login", Normalize: NormalizeCasefold}, users)
	p := MustPolicy(map[string]RoleDef{"agent": {Types: map[string]Permissions{"task": {View: All, Update: Own}}}})
	task := Record{Ref: MustRef("task/t1"), Fields: map[string]string{"assignee": "Ann", "title": "call back"}}
	check := func(want UserID) {
		t.Helper()
		r, err := m.Apply(task)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Ownership.FirstOwner(); got != want {
			t.Errorf("assignee %q: owner %q, want %q", task.Fields["assignee"], got, want)
		}
		for _, u := range users {
			if got := p.CanEdit(u.Subject(), r); got != (u.ID == want) {
				t.Errorf("assignee %q: CanEdit(%s) = %v, want %v", task.Fields["assignee"], u.ID, got, u.ID == want)
			}
		}
	}
	check("u1")
	task.Fields = map[string]string{"assignee": "BOB", "title": "call back"}
	check("u2")
	task.Fields = map[string]string{"title": "call back"}
	check("")
}

// TestMatcherCopiesDirectory checks that the matcher keeps what it needs:
// changing the users afterwards changes nothing.
func TestMatcherCopiesDirectory(t *testing.T) {
	users := []User{{ID: "u1", Email: "ann@x.io", GivenName: "Ann"}}
	m := MustMatcher(emailField, users)
	users[0] = User{ID: "u9", Email: "zed@x.io"}
	r, err := m.Apply(Record{Ref: MustRef("contract/k1"), Fields: map[string]string{"customer_email": "ann@x.io"}})
	if err != nil || r.Ownership.At(0) != (Entry{UserID: "u1", Role: Owner, Email: "ann@x.io", GivenName: "Ann"}) {
		t.Errorf("after the directory changed: %v, %v", r.Ownership.Entries(), err)
	}
}

func TestMatcherConcurrent(t *testing.T) {
	m := MustMatcher(emailField, matcherUsers)
	values := []string{"Ann <ann@x.io>", "eve@x.io", "bad", "bob@x.io", "ANN@X.IO", "", "zed@x.io"}
	type answer struct {
		list string
		err  string
	}
	ask := func(v string) answer {
		r, err := m.Apply(Record{Ref: MustRef("contract/k"), Fields: map[string]string{"customer_email": v}})
		a := answer{list: r.Ownership.String()}
		if err != nil {
			a.err = err.Error()
		}
		return a
	}
	want := make([]answer, len(values))
	for i, v := range values {
		want[i] = ask(v)
	}
	// The answers differ from each other, so that a lookup returning
	// another value's answer is caught.
	if want[0].list != "[ann:owner]" || want[3].list != "[bob:owner]" || want[1].err == "" || want[2].err == "" || want[6].list != "[]" {
		t.Fatalf("serial answers: %+v", want)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				k := (i + j) % len(values)
				if got := ask(values[k]); got != want[k] {
					t.Errorf("goroutine %d: Apply(%q) = %+v, want %+v as in a serial run", i, values[k], got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestMatcherAllocs checks the promise of no allocation on lookups that
// succeed or match nobody, and on a decision about the applied record.
func TestMatcherAllocs(t *testing.T) {
	p := MustPolicy(map[string]RoleDef{"rep": {Types: map[string]Permissions{AnyType: {View: All, Update: Own}}}})
	s := p.Bind(Subject{ID: "ann", Roles: []string{"rep"}})
	em := MustMatcher(emailField, matcherUsers)
	cf := MustMatcher(OwnerField{Record: "customer_email", User: "login", Normalize: NormalizeCasefold}, matcherUsers)
	ex := MustMatcher(OwnerField{Record: "customer_email", User: "login"}, matcherUsers)
	r := Record{Ref: MustRef("contract/k1"), Fields: map[string]string{"customer_email": "Ann Lee <ANN@x.io>"}}
	for name, f := range map[string]func(){
		"email OwnerOf":       func() { em.OwnerOf("Ann G. Lee <ANN@x.io>") },
		"email OwnerOf, none": func() { em.OwnerOf("zed@x.io") },
		"casefold OwnerOf":    func() { cf.OwnerOf("BOB") },
		"exact OwnerOf":       func() { ex.OwnerOf("ann") },
		"Owner":               func() { em.Owner(r) },
		"Ownership":           func() { em.Ownership(r) },
		"Apply and Can": func() {
			a, _ := em.Apply(r)
			if !p.Can(s, Update, a) {
				t.Fatal("ann cannot edit her record")
			}
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}

// fieldGen generates directories whose users spell their addresses in
// varied RFC 5322 forms, and record field values that spell the same
// addresses differently.
type fieldGen struct{ gen }

// genAddrs are the addresses of the generated directory, as local part and
// domain. Spellings vary the case of ASCII letters in the local part and
// of any letter in the domain, so "Ann" and "ann" are one address, as are
// "bücher.de" and "BÜCHER.de"; "ünal" and "Ünal" are not (see
// TestCanonicalEmailLocalFolding).
var genAddrs = [][2]string{
	{"ann", "x.io"}, {"bob", "x.io"}, {"ann", "y.io"}, {"j.smith", "x.io"},
	{"o'neil+crm", "x.io"}, {"j smith", "x.io"}, {"ünal", "bücher.de"}, {"zed", "x.io"},
}

// genKey is the canonical form of a generated address, worked out
// independently of the parser: A-labels are written out.
func genKey(a [2]string) string {
	local := strings.ToLower(a[0])
	if strings.Contains(local, " ") {
		local = `"` + local + `"`
	}
	domain := map[string]string{"bücher.de": "xn--bcher-kva.de"}[a[1]]
	if domain == "" {
		domain = a[1]
	}
	return local + "@" + domain
}

// mixCase upper-cases a random selection of s's letters, only ASCII ones
// if asciiOnly is set.
func (g fieldGen) mixCase(s string, asciiOnly bool) string {
	var b strings.Builder
	for _, r := range s {
		if (!asciiOnly || r < utf8.RuneSelf) && g.r.IntN(2) == 0 {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// spell writes address a in one of many equivalent forms.
func (g fieldGen) spell(a [2]string) string {
	local := g.mixCase(a[0], true)
	if strings.Contains(local, " ") || g.r.IntN(4) == 0 {
		local = `"` + local + `"`
	}
	addr := local + "@" + g.mixCase(a[1], false)
	switch g.r.IntN(9) {
	case 0:
		return addr
	case 1:
		return "<" + addr + ">"
	case 2:
		return "John G. Smith <" + addr + ">"
	case 3:
		return `"Smith, John" <` + addr + ">"
	case 4:
		return addr + " (work)"
	case 5:
		return "(home) " + addr
	case 6:
		return "John\r\n Smith <" + addr + ">"
	case 7:
		return "\t" + addr + " "
	}
	return "(a (nested) comment) John <" + addr + "> (c)"
}

// TestFieldMatchedDecisionsMatchLists checks rule 2 of the design: a
// decision about a field-matched record equals the decision about the same
// record with the matched user as the explicit owner, for random
// directories, policies, subjects, actions, fields and spellings. Values
// that match nobody compare with an unassigned record; values that fail
// must fail with the right sentinel and a record every decision denies.
func TestFieldMatchedDecisionsMatchLists(t *testing.T) {
	g := fieldGen{gen{rand.New(rand.NewPCG(5, 6))}}
	var compared, shared, invalid int
	for range 300 {
		// A directory over the ids subjects use: each user has an address,
		// sometimes one another user has too, or none.
		var users []User
		byKey := map[string][]UserID{}
		for _, id := range genUsers {
			if g.r.IntN(6) == 0 {
				users = append(users, User{ID: id})
				continue
			}
			a := genAddrs[g.r.IntN(len(genAddrs))]
			users = append(users, User{ID: id, Email: g.spell(a), GivenName: string(id)})
			byKey[genKey(a)] = append(byKey[genKey(a)], id)
		}
		m := MustMatcher(OwnerField{Record: "owner_email", User: "email", Normalize: NormalizeEmail}, users)
		defs := g.defs()
		p := MustPolicy(defs)
		for range 20 {
			typ := genTypes[g.r.IntN(len(genTypes))]
			r := g.record(typ) // its random list must be ignored
			var want []UserID
			bad := false
			switch k := g.r.IntN(10); {
			case k == 0: // no field
			case k == 1:
				r.Fields = map[string]string{"owner_email": ""}
			case k == 2:
				bad = true
				r.Fields = map[string]string{"owner_email": []string{"ann", "a@b@c", "Ann <ann@x.io", "ann@x.io, bob@x.io"}[g.r.IntN(4)]}
			default:
				a := genAddrs[g.r.IntN(len(genAddrs))]
				r.Fields = map[string]string{"owner_email": g.spell(a), "amount": "10"}
				want = byKey[genKey(a)]
			}
			applied, err := m.Apply(r)
			switch {
			case bad:
				invalid++
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Apply(%q) error = %v, want ErrInvalid", r.Fields["owner_email"], err)
				}
			case len(want) > 1:
				shared++
				if !errors.Is(err, ErrAmbiguous) {
					t.Fatalf("Apply(%q) error = %v, want ErrAmbiguous (users %v)", r.Fields["owner_email"], err, want)
				}
				for _, id := range want {
					if !strings.Contains(err.Error(), string(id)) {
						t.Fatalf("error %q does not name %s", err, id)
					}
				}
			case err != nil:
				t.Fatalf("Apply(%q): %v", r.Fields["owner_email"], err)
			}
			explicit := r
			explicit.Ownership = List{}
			if len(want) == 1 {
				explicit.Ownership = MustList(Entry{UserID: want[0], Role: Owner})
			}
			if err != nil {
				explicit = Record{} // a failed match is a missing record
			}
			for range 6 {
				s := g.subject()
				a := Action(g.r.IntN(int(ManageOwnership) + 2))
				if got, want := p.Decide(s, a, applied), p.Decide(s, a, explicit); got != want {
					t.Fatalf("field %q: Decide(%v, %v) = %v, want %v as with list %v", r.Fields["owner_email"], s, a, got, want, explicit.Ownership)
				}
				if got, want := p.Can(s, a, applied), refAllowed(defs, s, a, explicit, ""); got != want {
					t.Fatalf("field %q: Can(%v, %v) = %v, reference says %v", r.Fields["owner_email"], s, a, got, want)
				}
				if f := genFields[1+g.r.IntN(len(genFields)-1)]; a == View || a == Update {
					if got, want := p.DecideField(s, a, applied, f), p.DecideField(s, a, explicit, f); got != want {
						t.Fatalf("field %q: DecideField(%v, %v, %s) = %v, want %v", r.Fields["owner_email"], s, a, f, got, want)
					}
				}
				compared++
			}
		}
	}
	if shared == 0 || invalid == 0 {
		t.Fatalf("the generator made %d shared and %d invalid values; it should make both", shared, invalid)
	}
	t.Logf("%d decisions compared (%d records with a shared value, %d with an invalid one)", compared, shared, invalid)
}

// contractSetup is the seed's contract system with owners matched by email:
// account executives edit the amount on every contract, account managers
// only on their own, support reps only view it on others'.
func contractSetup() (*Policy, *Matcher, []User) {
	p := MustPolicy(map[string]RoleDef{
		"account_executive": {Types: map[string]Permissions{"contract": {View: All, Update: All,
			Fields: map[string]FieldRule{"amount": {View: All, Update: All}}}}},
		"account_manager": {Types: map[string]Permissions{"contract": {View: All, Update: All,
			Fields: map[string]FieldRule{"amount": {View: All, Update: Own}}}}},
		"support_rep": {Types: map[string]Permissions{"contract": {View: All, Update: Own,
			Fields: map[string]FieldRule{"amount": {View: Others}}}}},
	})
	users := []User{
		{ID: "eve", Email: "Eve Exec <eve@acme.io>", Roles: []string{"account_executive"}},
		{ID: "amy", Email: "amy@acme.io", Roles: []string{"account_manager"}},
		{ID: "max", Email: "Max Mustermann <MAX@ACME.IO>", Roles: []string{"account_manager"}},
		{ID: "sue", Email: "sue@acme.io (support)", Roles: []string{"support_rep"}},
	}
	m := MustMatcher(OwnerField{Record: "account_manager_email", User: "email", Normalize: NormalizeEmail}, users)
	return p, m, users
}

func TestFieldMatchedFieldPermissions(t *testing.T) {
	p, m, users := contractSetup()
	contracts := map[string]string{
		"k1": `"Adams, Amy" <AMY@acme.io>`,
		"k2": "max@acme.io (Max)",
		"k3": "", // unassigned
		"k4": "Sue <sue@ACME.io>",
	}
	// view, edit per user and contract
	want := map[string]map[string][2]bool{
		"eve": {"k1": {true, true}, "k2": {true, true}, "k3": {true, true}, "k4": {true, true}},
		"amy": {"k1": {true, true}, "k2": {true, false}, "k3": {true, false}, "k4": {true, false}},
		"max": {"k1": {true, false}, "k2": {true, true}, "k3": {true, false}, "k4": {true, false}},
		"sue": {"k1": {true, false}, "k2": {true, false}, "k3": {false, false}, "k4": {false, false}},
	}
	for id, v := range contracts {
		r, err := m.Apply(Record{Ref: Ref{Type: "contract", ID: id}, Fields: map[string]string{"account_manager_email": v, "amount": "1000"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			s := u.Subject()
			got := [2]bool{p.CanViewField(s, r, "amount"), p.CanEditField(s, r, "amount")}
			if w := want[string(u.ID)][id]; got != w {
				t.Errorf("%s on %s (%q): view, edit amount = %v, want %v", u.ID, id, v, got, w)
			}
		}
	}
	// The denial names the owner the field gave, and the field's scope.
	r, _ := m.Apply(Record{Ref: MustRef("contract/k1"), Fields: map[string]string{"account_manager_email": "amy@acme.io"}})
	d := p.DecideField(users[2].Subject(), Update, r, "amount")
	if d.Allowed || d.Reason != ReasonFieldScope || d.Owner != "amy" || d.FieldScope != Own {
		t.Errorf("max editing amy's amount: %v", d)
	}
	// Handing the contract to max moves the right to edit its amount.
	r.Fields = map[string]string{"account_manager_email": "Max <max@acme.io>"}
	r, _ = m.Apply(r)
	if !p.CanEditField(users[2].Subject(), r, "amount") || p.CanEditField(users[1].Subject(), r, "amount") {
		t.Errorf("after the handover: max %v, amy %v; want true, false",
			p.CanEditField(users[2].Subject(), r, "amount"), p.CanEditField(users[1].Subject(), r, "amount"))
	}
}

// benchDirectory returns n users with addresses user<i>@x.io in display
// name form, John Smith among them.
func benchDirectory(n int) []User {
	users := make([]User, n)
	for i := range users {
		users[i] = User{ID: UserID(fmt.Sprintf("u%05d", i)), Login: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("User %d <user%d@x.io>", i, i)}
	}
	users[n/2] = User{ID: "john", Login: "JSmith", Email: "John Smith <john@x.io>"}
	return users
}

var sinkUser UserID

// BenchmarkMatchEmail measures finding the owner of a raw value, "John G.
// Smith <JOHN@x.io>", in an indexed directory of 10,000 users: parsing,
// folding and the map lookup.
func BenchmarkMatchEmail(b *testing.B) {
	m := MustMatcher(emailField, benchDirectory(10_000))
	const v = "John G. Smith <JOHN@x.io>"
	if id, err := m.OwnerOf(v); id != "john" || err != nil {
		b.Fatalf("OwnerOf = %q, %v", id, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sinkUser, _ = m.OwnerOf(v)
	}
}

// BenchmarkMatchEmailParallel measures BenchmarkMatchEmail's lookup from
// many goroutines sharing one Matcher, as a server does.
func BenchmarkMatchEmailParallel(b *testing.B) {
	m := MustMatcher(emailField, benchDirectory(10_000))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var id UserID
		for pb.Next() {
			id, _ = m.OwnerOf("John G. Smith <JOHN@x.io>")
		}
		_ = id
	})
}

// BenchmarkMatchCasefold measures a case-folded login lookup in 10,000
// users.
func BenchmarkMatchCasefold(b *testing.B) {
	m := MustMatcher(OwnerField{Record: "assignee", User: "login", Normalize: NormalizeCasefold}, benchDirectory(10_000))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sinkUser, _ = m.OwnerOf("jsmith")
	}
}

// BenchmarkDecideFieldMatched measures a field check on a field-matched
// record, from the raw record: Apply, then CanEditField's decision.
func BenchmarkDecideFieldMatched(b *testing.B) {
	p, _, users := contractSetup()
	m := MustMatcher(OwnerField{Record: "account_manager_email", User: "email", Normalize: NormalizeEmail}, append(benchDirectory(10_000), users...))
	r := Record{Ref: MustRef("contract/k1"), Fields: map[string]string{"account_manager_email": `"Adams, Amy" <AMY@acme.io>`}}
	s := p.Bind(users[1].Subject())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		a, _ := m.Apply(r)
		sinkBool = p.CanEditField(s, a, "amount")
	}
}

// BenchmarkNewMatcher measures indexing 10,000 users by email.
func BenchmarkNewMatcher(b *testing.B) {
	users := benchDirectory(10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		MustMatcher(emailField, users)
	}
}

// TestMatcherProblemsLookalikes checks that Problems reports users whose
// addresses are different keys but differ only by folding the email
// normaliser does not apply, and nothing else.
func TestMatcherProblemsLookalikes(t *testing.T) {
	for _, c := range []struct {
		name  string
		csl   bool
		users []User
		want  []string // the lookalike problems; nil for none
	}{
		{"long s", false, []User{{ID: "sam", Email: "sam@x.io"}, {ID: "mallory", Email: "ſam@x.io"}}, []string{
			`ownership: lookalike: users' email values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: sam (users[0]) "sam@x.io", mallory (users[1]) "ſam@x.io" = "\u017fam@x.io"; each matches only its own records: check that these are different people and that records name the right one`,
		}},
		{"Kelvin sign", false, []User{{ID: "a", Email: "ann@x.io"}, {ID: "kelvin", Email: "Kelvin <kelvin@x.io>"}, {ID: "k2", Email: "\u212Aelvin@x.io"}}, []string{
			`ownership: lookalike: users' email values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: kelvin (users[1]) "kelvin@x.io", k2 (users[2]) "Kelvin@x.io" = "\u212aelvin@x.io"; each matches only its own records: check that these are different people and that records name the right one`,
		}},
		{"Kelvin sign, case kept", true, []User{{ID: "kelvin", Email: "Kelvin@x.io"}, {ID: "k2", Email: "\u212Aelvin@x.io"}}, []string{
			`ownership: lookalike: users' email values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: kelvin (users[0]) "Kelvin@x.io", k2 (users[1]) "Kelvin@x.io" = "\u212aelvin@x.io"; each matches only its own records: check that these are different people and that records name the right one`,
		}},
		{"three, with a non-ASCII capital", false, []User{{ID: "u1", Email: "ünal@x.io"}, {ID: "u2", Email: "Ünal@x.io"}, {ID: "u3", Email: "bob@x.io"}, {ID: "u4", Email: "u\u0308nal@X.IO"}, {ID: "u5", Email: "ÜNAL@x.io"}}, []string{
			`ownership: lookalike: users' email values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: u1 (users[0]) "ünal@x.io" = "\u00fcnal@x.io", u2 (users[1]) "Ünal@x.io" = "\u00dcnal@x.io", u4 (users[3]) "ünal@x.io" = "\u00fcnal@x.io", u5 (users[4]) "Ünal@x.io" = "\u00dcnal@x.io"; each matches only its own records: check that these are different people and that records name the right one`,
		}},
		{"sharp s and full width", false, []User{{ID: "a", Email: "straße@x.io"}, {ID: "b", Email: "strasse@x.io"}, {ID: "c", Email: "ｊo@x.io"}, {ID: "d", Email: "jo@x.io"}}, []string{
			`ownership: lookalike: users' email values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: a (users[0]) "straße@x.io" = "stra\u00dfe@x.io", b (users[1]) "strasse@x.io"; each matches only its own records: check that these are different people and that records name the right one`,
			`ownership: lookalike: users' email values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: c (users[2]) "ｊo@x.io" = "\uff4ao@x.io", d (users[3]) "jo@x.io"; each matches only its own records: check that these are different people and that records name the right one`,
		}},
		{"final sigma domain", false, []User{{ID: "a", Email: "a@σας.gr"}, {ID: "b", Email: "a@ΣΑΣ.gr"}}, []string{
			`ownership: lookalike: users' email values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: a (users[0]) "a@xn--mxa8ab.gr", b (users[1]) "a@xn--mxa9ab.gr"; each matches only its own records: check that these are different people and that records name the right one`,
		}},
		{"one address in two spellings is shared, not a lookalike", false, []User{{ID: "a", Email: "ann@bücher.de"}, {ID: "b", Email: "ANN@xn--bcher-kva.de"}}, nil},
		{"ASCII case, kept on purpose", true, []User{{ID: "a", Email: "John@x.io"}, {ID: "b", Email: "john@x.io"}}, nil},
		{"distinct addresses", false, []User{{ID: "a", Email: "sam@x.io"}, {ID: "b", Email: "sam@y.io"}, {ID: "c", Email: "用户@例子.广告"}, {ID: "d", Email: "θσερ@εχαμπλε.ψομ"}}, nil},
	} {
		m := MustMatcher(OwnerField{Record: "r", User: "email", Normalize: NormalizeEmail, CaseSensitiveLocal: c.csl}, c.users)
		var got []string
		for _, p := range m.Problems() {
			if errors.Is(p, ErrLookalike) {
				if errors.Is(p, ErrAmbiguous) || errors.Is(p, ErrInvalid) {
					t.Errorf("%s: %v matches another sentinel", c.name, p)
				}
				got = append(got, p.Error())
			}
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s: lookalike problems (-want +got):\n%s", c.name, diff)
		}
		// Each lookalike still owns its own records.
		for _, u := range c.users {
			if owner, err := m.OwnerOf(u.Email); err == nil && owner != u.ID && len(c.want) > 0 {
				t.Errorf("%s: OwnerOf(%q) = %q, want %q", c.name, u.Email, owner, u.ID)
			}
		}
	}
}

// TestMatcherLookalikesKeepOwners checks the defect lookalikes used to
// cause: a user who sets their address to a lookalike of another's neither
// takes that user's records nor leaves them without an owner.
func TestMatcherLookalikesKeepOwners(t *testing.T) {
	for _, c := range []struct{ victim, attacker, record string }{
		{"sam@x.io", "ſam@x.io", "Sam <SAM@x.io>"},
		{"kim@x.io", "\u212Aim@x.io", "kim@x.io"},
		{"a@σασ.gr", "a@σας.gr", "a@ΣΑΣ.gr"},
		{"a@straße.de", "a@STRAẞE.de", "a@xn--strae-oqa.de"},
		{"ünal@x.io", "Ünal@x.io", "u\u0308nal@x.io"},
	} {
		m := MustMatcher(emailField, []User{{ID: "victim", Email: c.victim}, {ID: "attacker", Email: c.attacker}})
		if owner, err := m.OwnerOf(c.record); err != nil || owner != "victim" {
			t.Errorf("victim %q, attacker %q: OwnerOf(%q) = %q, %v; want victim", c.victim, c.attacker, c.record, owner, err)
		}
		if owner, err := m.OwnerOf(c.attacker); err != nil || owner != "attacker" {
			t.Errorf("attacker %q: OwnerOf(%q) = %q, %v; want attacker", c.attacker, c.attacker, owner, err)
		}
		for _, p := range m.Problems() {
			if errors.Is(p, ErrAmbiguous) {
				t.Errorf("victim %q, attacker %q: %v", c.victim, c.attacker, p)
			}
		}
	}
}
