package ownership_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

// This file calls every exported function and method of the package and
// of memstore with the odd values a caller can build (zero values, nil
// pointers and maps where the type documents them as usable, enum values
// out of range, malformed condition trees, managers missing their parts)
// and checks that none panics and that each fails closed: an error
// wrapping ErrInvalid, or a denial with a reason, never an allow.

// panicCase is one call. run makes the call and checks its result.
type panicCase struct {
	name string
	// skip, when set, says why the case is not run yet.
	skip string
	run  func(t *testing.T)
}

// runPanicCases runs each case in its own subtest and turns a panic into
// a failure that names the call.
func runPanicCases(t *testing.T, cases []panicCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("%s panicked: %v\n%s", c.name, v, debug.Stack())
				}
			}()
			c.run(t)
		})
	}
}

// wantInvalid fails unless err wraps ErrInvalid and says where it comes
// from.
func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("err = %v, want one wrapping ErrInvalid", err)
		return
	}
	if msg := err.Error(); len(msg) < len("ownership:") || msg[:len("ownership:")] != "ownership:" {
		t.Errorf("err = %q, want a message starting with \"ownership:\"", msg)
	}
}

// wantFailed fails unless err is an error: ErrInvalid, or a denial.
func wantFailed(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("err = nil, want an error")
		return
	}
	if !errors.Is(err, ownership.ErrInvalid) && !errors.Is(err, ownership.ErrDenied) {
		t.Errorf("err = %v, want ErrInvalid or ErrDenied", err)
	}
}

// wantDenied fails unless d is a denial with a reason and an explanation.
func wantDenied(t *testing.T, d ownership.Decision) {
	t.Helper()
	if d.Allowed {
		t.Errorf("decision %v allows, want a denial", d)
	}
	if d.Reason == 0 || d.Reason.Allows() {
		t.Errorf("decision reason %v, want a denial reason", d.Reason)
	}
	if d.Explain() == "" {
		t.Errorf("decision %v has no explanation", d.Reason)
	}
}

// Odd values of every enum.
var (
	badActions = []ownership.Action{0, 7, 200, 255}
	badScopes  = []ownership.Scope{32, 0x80, 255}
	badRoles   = []ownership.Role{0, 3, 255}
	badModes   = []ownership.Mode{2, 9, 255}
	badSources = []ownership.Source{0, 5, 255}
	badReasons = []ownership.Reason{0, 32, 100, 255}
	badKinds   = []ownership.EventKind{0, 13, 99, 255}
	badOps     = []ownership.Op{9, 99, 255}
	badNorms   = []ownership.Normalizer{3, 9, 255}
	badFollows = []ownership.Follow{3, 99}
)

// Odd records: no reference, invalid references, invalid modes, and
// records that look valid but are synced without a parent.
func oddRecords() []ownership.Record {
	l := ownership.MustList(ownership.Entry{UserID: "u1", Role: ownership.Owner})
	rs := []ownership.Record{
		{},
		{Ownership: l},
		{Ref: ownership.Ref{Type: "contact"}, Ownership: l},
		{Ref: ownership.Ref{ID: "c1"}, Ownership: l},
		{Ref: ownership.Ref{Type: "a/b", ID: "c1"}, Ownership: l},
		{Ref: ownership.Ref{Type: "contact", ID: "c1"}, Mode: ownership.SyncWithParent, Ownership: l},
	}
	for _, m := range badModes {
		rs = append(rs, ownership.Record{Ref: ownership.Ref{Type: "contact", ID: "c1"}, Mode: m, Ownership: l})
	}
	return rs
}

// rawConds are hand-built trees the builders never make.
func rawConds() []ownership.Cond {
	cs := []ownership.Cond{
		{},
		{Op: ownership.OpNot},
		{Op: ownership.OpNot, Args: []ownership.Cond{{Op: ownership.OpAll}, {Op: ownership.OpAll}}},
		{Op: ownership.OpAnd},
		{Op: ownership.OpOr},
		{Op: ownership.OpAnd, Args: []ownership.Cond{{Op: ownership.OpNot}}},
		{Op: ownership.OpOwnedBy},
		{Op: ownership.OpFollowedBy},
		{Op: ownership.OpOwnedBy, User: "u1", Args: []ownership.Cond{{Op: 99}}},
		{Op: ownership.OpAll, Args: []ownership.Cond{{Op: ownership.OpNone}}},
	}
	for _, o := range badOps {
		cs = append(cs, ownership.Cond{Op: o}, ownership.Cond{Op: o, Args: []ownership.Cond{{Op: ownership.OpAll}}})
	}
	return cs
}

// panicPolicy has a role of each kind; "admin" bypasses ownership.
func panicPolicy() *ownership.Policy {
	return ownership.MustPolicy(map[string]ownership.RoleDef{
		"admin": {Bypass: true},
		"rep": {Types: map[string]ownership.Permissions{
			ownership.AnyType: {View: ownership.All, Update: ownership.All, Delete: ownership.All, Claim: true, Reassign: true},
		}},
	})
}

func TestNoPanicEnums(t *testing.T) {
	var cases []panicCase
	for _, a := range badActions {
		cases = append(cases, panicCase{fmt.Sprintf("Action(%d)", a), "", func(t *testing.T) {
			_ = a.String()
			if a.Valid() {
				t.Errorf("%v.Valid() = true", a)
			}
			_, err := a.MarshalText()
			wantInvalid(t, err)
		}})
	}
	for _, s := range badScopes {
		cases = append(cases, panicCase{fmt.Sprintf("Scope(%d)", s), "", func(t *testing.T) {
			_ = s.String()
			_ = s.Has(s)
			_ = ownership.All.Has(s)
			if s.Valid() {
				t.Errorf("%v.Valid() = true", s)
			}
			_, err := s.MarshalJSON()
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("MarshalJSON: %v, want ErrInvalid", err)
			}
		}})
	}
	for _, r := range badRoles {
		cases = append(cases, panicCase{fmt.Sprintf("Role(%d)", r), "", func(t *testing.T) {
			_ = r.String()
			if r.Valid() {
				t.Errorf("%v.Valid() = true", r)
			}
			_, err := r.MarshalText()
			wantInvalid(t, err)
		}})
	}
	for _, m := range badModes {
		cases = append(cases, panicCase{fmt.Sprintf("Mode(%d)", m), "", func(t *testing.T) {
			_ = m.String()
			_, err := m.MarshalText()
			wantInvalid(t, err)
		}})
	}
	for _, s := range badSources {
		cases = append(cases, panicCase{fmt.Sprintf("Source(%d)", s), "", func(t *testing.T) {
			_ = s.String()
			_, err := s.MarshalText()
			wantInvalid(t, err)
		}})
	}
	for _, r := range badReasons {
		cases = append(cases, panicCase{fmt.Sprintf("Reason(%d)", r), "", func(t *testing.T) {
			_ = r.String()
			_ = r.Allows()
			_, err := r.MarshalText()
			wantInvalid(t, err)
		}})
	}
	for _, k := range badKinds {
		cases = append(cases, panicCase{fmt.Sprintf("EventKind(%d)", k), "", func(t *testing.T) {
			_ = k.String()
			_, err := k.MarshalText()
			wantInvalid(t, err)
		}})
	}
	for _, o := range badOps {
		cases = append(cases, panicCase{fmt.Sprintf("Op(%d)", o), "", func(t *testing.T) { _ = o.String() }})
	}
	for _, n := range badNorms {
		cases = append(cases, panicCase{fmt.Sprintf("Normalizer(%d)", n), "", func(t *testing.T) {
			_ = n.String()
			if n.Valid() {
				t.Errorf("%v.Valid() = true", n)
			}
			_, err := n.MarshalText()
			wantInvalid(t, err)
			f := ownership.OwnerField{Record: "r", User: "email", Normalize: n}
			wantInvalid(t, f.Validate())
			_, err = f.Canonical("x")
			wantInvalid(t, err)
		}})
	}
	// The parsers, on nothing.
	cases = append(cases, panicCase{"Parse*(\"\")", "", func(t *testing.T) {
		for name, err := range map[string]error{
			"ParseAction": second(ownership.ParseAction("")),
			"ParseScope":  second(ownership.ParseScope("")),
			"ParseRole":   second(ownership.ParseRole("")),
			"ParseSource": second(ownership.ParseSource("")),
			"ParseReason": second(ownership.ParseReason("")),
			"ParseRef":    second(ownership.ParseRef("")),
			"ParseRules":  second(ownership.ParseRules(nil)),
		} {
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("%s(\"\") = %v, want ErrInvalid", name, err)
			}
		}
		if _, err := ownership.ParseMode(""); err != nil {
			t.Errorf("ParseMode(\"\") = %v; \"\" is independent", err)
		}
		if _, err := ownership.ParseNormalizer(""); err != nil {
			t.Errorf("ParseNormalizer(\"\") = %v; \"\" is exact", err)
		}
		_, err := ownership.CanonicalEmail("", false)
		wantInvalid(t, err)
	}})
	cases = append(cases, panicCase{"UnmarshalText(empty)", "", func(t *testing.T) {
		var a ownership.Action
		var r ownership.Role
		var m ownership.Mode
		var s ownership.Source
		var re ownership.Reason
		var n ownership.Normalizer
		var ref ownership.Ref
		var sc ownership.Scope
		var l ownership.List
		for name, err := range map[string]error{
			"Action.UnmarshalText": a.UnmarshalText(nil),
			"Role.UnmarshalText":   r.UnmarshalText(nil),
			"Source.UnmarshalText": s.UnmarshalText(nil),
			"Reason.UnmarshalText": re.UnmarshalText(nil),
			"Mode.UnmarshalText":   m.UnmarshalText([]byte("x")),
			"Normalizer":           n.UnmarshalText([]byte("x")),
			"Ref.UnmarshalText":    ref.UnmarshalText([]byte("x")),
			"Scope.UnmarshalJSON":  sc.UnmarshalJSON(nil),
			"List.UnmarshalJSON":   l.UnmarshalJSON(nil),
		} {
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("%s = %v, want ErrInvalid", name, err)
			}
		}
	}})
	runPanicCases(t, cases)
}

func second[T any](_ T, err error) error { return err }

func TestNoPanicValues(t *testing.T) {
	var cases []panicCase
	add := func(name, skip string, run func(t *testing.T)) {
		cases = append(cases, panicCase{name, skip, run})
	}
	add("Ref zero and invalid", "", func(t *testing.T) {
		for _, r := range []ownership.Ref{{}, {Type: "a/b", ID: "x"}, {Type: "a"}, {ID: "x"}} {
			_ = r.String()
			_ = r.IsZero()
			if r.Valid() {
				t.Errorf("%#v.Valid() = true", r)
			}
			if _, err := r.MarshalText(); !r.IsZero() {
				wantInvalid(t, err)
			}
		}
	})
	add("List zero", "", func(t *testing.T) {
		var l ownership.List
		_ = l.Len()
		_ = l.Entries()
		_ = l.Owners()
		_ = l.Followers()
		_ = l.FirstOwner()
		_ = l.IsOwner("")
		_, _ = l.RoleOf("")
		_ = l.Unassigned()
		_ = l.String()
		_ = l.Equal(ownership.List{})
		_ = l.SameAccess(ownership.List{})
		_ = l.Without("")
		for range l.All() {
		}
		if _, err := l.MarshalJSON(); err != nil {
			t.Error(err)
		}
	})
	add("List.With bad entries", "", func(t *testing.T) {
		var l ownership.List
		_, err := l.With(ownership.Entry{})
		wantInvalid(t, err)
		for _, r := range badRoles {
			_, err := l.With(ownership.Entry{UserID: "u1", Role: r})
			wantInvalid(t, err)
		}
	})
	add("NewList bad entries", "", func(t *testing.T) {
		if _, err := ownership.NewList(); err != nil {
			t.Error(err)
		}
		if _, err := ownership.NewList(nil...); err != nil {
			t.Error(err)
		}
		_, err := ownership.NewList(ownership.Entry{})
		wantInvalid(t, err)
		for _, r := range badRoles {
			_, err := ownership.NewList(ownership.Entry{UserID: "u1", Role: r})
			wantInvalid(t, err)
		}
	})
	add("User zero", "", func(t *testing.T) {
		var u ownership.User
		_ = u.Clone()
		_, _ = u.Field("")
		_, _ = u.Field("full_name")
		_ = u.Subject()
		for _, r := range badRoles {
			_ = u.Entry(r)
		}
	})
	add("Decision zero and odd", "", func(t *testing.T) {
		ds := []ownership.Decision{{}}
		for _, r := range badReasons {
			for _, a := range badActions {
				ds = append(ds, ownership.Decision{Reason: r, Action: a, Class: 255, Scope: 255, FieldScope: 255, ListRole: 255, Field: "f", Parent: ownership.Ref{Type: "a/b"}})
			}
		}
		for r := ownership.Reason(0); r < 255; r++ {
			ds = append(ds, ownership.Decision{Reason: r, Class: 255, Action: 200})
		}
		for _, d := range ds {
			_ = d.String()
			_ = d.Explain()
			err := d.Err()
			if err == nil {
				t.Errorf("%v.Err() = nil for a denial", d.Reason)
				continue
			}
			if !errors.Is(err, ownership.ErrDenied) {
				t.Errorf("%v.Err() = %v, want ErrDenied", d.Reason, err)
			}
			_ = err.Error()
			if got, ok := ownership.DenialOf(err); !ok || got.Allowed {
				t.Errorf("DenialOf(%v) = %v, %v", err, got, ok)
			}
		}
	})
	add("DeniedError zero", "", func(t *testing.T) {
		e := &ownership.DeniedError{}
		_ = e.Error()
		for _, target := range []error{ownership.ErrDenied, ownership.ErrSynced, ownership.ErrNotFound, ownership.ErrConflict, nil} {
			_ = e.Is(target)
		}
		if !errors.Is(e, ownership.ErrDenied) {
			t.Error("zero DeniedError is not ErrDenied")
		}
	})
	add("DeniedError nil", "", func(t *testing.T) {
		var e *ownership.DeniedError
		_ = e.Error()
		for _, target := range []error{ownership.ErrDenied, ownership.ErrSynced, ownership.ErrNotFound, ownership.ErrConflict, nil} {
			_ = e.Is(target)
		}
		if !errors.Is(e, ownership.ErrDenied) {
			t.Error("nil *DeniedError is not ErrDenied")
		}
	})
	add("DenialOf", "", func(t *testing.T) {
		if _, ok := ownership.DenialOf(nil); ok {
			t.Error("DenialOf(nil) reports a denial")
		}
		var nilDenied *ownership.DeniedError
		for _, err := range []error{nilDenied, fmt.Errorf("x: %w", nilDenied), errors.Join(nil, nilDenied)} {
			d, ok := ownership.DenialOf(err)
			if !ok || d.Allowed {
				t.Errorf("DenialOf(%#v) = %v, %v; want a denial", err, d, ok)
			}
		}
	})
	add("Event and subscribers", "", func(t *testing.T) {
		var f ownership.SubscriberFunc
		f.HandleEvent(context.Background(), ownership.Event{})
		if _, err := json.Marshal(ownership.Event{}); err == nil {
			t.Error("an Event without kind encodes")
		}
	})
	add("InitialOwnership zero Creation", "", func(t *testing.T) {
		_, err := ownership.InitialOwnership(ownership.Creation{})
		wantInvalid(t, err)
		for _, s := range badSources {
			_, err := ownership.InitialOwnership(ownership.Creation{Source: s, Template: &ownership.Template{}, Profile: &ownership.Profile{}})
			wantInvalid(t, err)
		}
		_, err = ownership.InitialOwnership(ownership.Creation{Source: ownership.SourceManual})
		wantInvalid(t, err)
		for _, s := range []ownership.Source{ownership.SourceAPI, ownership.SourceImport} {
			_, err = ownership.InitialOwnership(ownership.Creation{Source: s, Entries: []ownership.Entry{{}}})
			wantInvalid(t, err)
			_, err = ownership.InitialOwnership(ownership.Creation{Source: s, Entries: []ownership.Entry{{UserID: "u1"}}})
			wantInvalid(t, err)
		}
		for s := ownership.SourceForm; s <= ownership.SourceImport; s++ {
			if _, err := ownership.InitialOwnership(ownership.Creation{Source: s}); err != nil {
				t.Errorf("%v with nothing: %v", s, err)
			}
		}
	})
	add("Effective nil store", "", func(t *testing.T) {
		ctx := context.Background()
		for _, r := range oddRecords() {
			_, err := ownership.Effective(ctx, nil, r)
			wantInvalid(t, err)
		}
	})
	add("Effective odd records", "", func(t *testing.T) {
		ctx := context.Background()
		st := memstore.New()
		for _, r := range oddRecords() {
			_, err := ownership.Effective(ctx, st, r)
			wantInvalid(t, err)
		}
	})
	runPanicCases(t, cases)
}

func TestNoPanicCond(t *testing.T) {
	recs := append(oddRecords(), ownership.Record{Ref: ownership.MustRef("contact/c1")})
	var cases []panicCase
	for i, c := range rawConds() {
		cases = append(cases, panicCase{fmt.Sprintf("Cond[%d]", i), "", func(t *testing.T) {
			_ = c.String()
			_ = c.Op.String()
			for _, r := range recs {
				m := c.Match(r)
				if got := ownership.Not(c).Match(r); got == m {
					t.Errorf("Not(%v).Match = %v, want %v", c, got, !m)
				}
				if got := ownership.And(c).Match(r); got != m {
					t.Errorf("And(%v).Match = %v, want %v", c, got, m)
				}
				if got := ownership.Or(c).Match(r); got != m {
					t.Errorf("Or(%v).Match = %v, want %v", c, got, m)
				}
				if got := ownership.And(c, ownership.AllRecords()).Match(r); got != m {
					t.Errorf("And(%v, all).Match = %v, want %v", c, got, m)
				}
				if got := ownership.Or(c, ownership.NoRecords()).Match(r); got != m {
					t.Errorf("Or(%v, none).Match = %v, want %v", c, got, m)
				}
			}
			p := ownership.NewPredicate("contact", c)
			_ = p.String()
			for _, r := range recs {
				if p.Match(r) && !r.Ref.Valid() {
					t.Errorf("%v matches a record with reference %#v", p, r.Ref)
				}
			}
		}})
	}
	cases = append(cases, panicCase{"builders on zero values", "", func(t *testing.T) {
		for _, c := range []ownership.Cond{ownership.And(), ownership.Or(), ownership.And(nil...), ownership.Or(nil...),
			ownership.OwnedBy(""), ownership.FollowedBy(""), ownership.IsSynced(), ownership.IsUnassigned(),
			ownership.AllRecords(), ownership.NoRecords(), ownership.Not(ownership.Cond{})} {
			_ = c.String()
			for _, r := range recs {
				_ = c.Match(r)
			}
		}
		for _, r := range recs {
			if ownership.OwnedBy("").Match(r) || ownership.FollowedBy("").Match(r) {
				t.Errorf("the empty user owns or follows %v", r.Ref)
			}
		}
	}})
	cases = append(cases, panicCase{"Predicate zero", "", func(t *testing.T) {
		var p ownership.Predicate
		_ = p.String()
		for _, r := range recs {
			if p.Match(r) {
				t.Errorf("zero Predicate matches %#v", r.Ref)
			}
		}
	}})
	runPanicCases(t, cases)
}

func TestNoPanicPolicy(t *testing.T) {
	var nilPolicy *ownership.Policy
	policies := map[string]*ownership.Policy{"nil": nilPolicy, "zero": {}, "real": panicPolicy()}
	subjects := []ownership.Subject{{}, {ID: "u1"}, {Roles: []string{"admin"}}, {ID: "u1", Roles: []string{"", "nope"}},
		{ID: "u1", Roles: []string{"admin"}}, {ID: "u1", Roles: []string{"rep"}}}
	actions := append([]ownership.Action{ownership.View, ownership.Update, ownership.ManageOwnership}, badActions...)
	var cases []panicCase
	for pname, p := range policies {
		cases = append(cases, panicCase{pname + " Policy accessors", "", func(t *testing.T) {
			_ = p.RoleNames()
			_, _ = p.Role("")
			_ = p.HasRole("")
			_, _ = p.Type("")
			_ = p.Def()
			if _, err := p.MarshalJSON(); err != nil {
				t.Error(err)
			}
		}})
		cases = append(cases, panicCase{pname + " Policy decisions", "", func(t *testing.T) {
			for _, s := range subjects {
				for _, bound := range []ownership.Subject{s, p.Bind(s), panicPolicy().Bind(s)} {
					for _, a := range actions {
						for _, r := range oddRecords() {
							// Odd records are denied everything except a
							// synced but otherwise valid record, which
							// may be viewed.
							mayAllow := r.Ref.Valid() && r.Mode == ownership.SyncWithParent && a.Valid() && a <= ownership.Delete
							d := p.Decide(bound, a, r)
							if !mayAllow {
								wantDenied(t, d)
							}
							if got := p.Can(bound, a, r); got != d.Allowed {
								t.Errorf("Can(%v, %v, %#v) = %v, Decide %v", bound.ID, a, r.Ref, got, d)
							}
							for _, field := range []string{"", "f"} {
								fd := p.DecideField(bound, a, r, field)
								if field == "" || !mayAllow {
									wantDenied(t, fd)
								}
							}
							_ = p.CanView(bound, r)
							_ = p.CanEdit(bound, r)
							_ = p.CanDelete(bound, r)
							_ = p.CanViewField(bound, r, "")
							_ = p.CanEditField(bound, r, "f")
						}
						for _, typ := range []string{"", "*", "a/b", "contact"} {
							pred := p.Filter(bound, a, typ)
							_ = pred.String()
							for _, r := range oddRecords() {
								mayAllow := r.Ref.Valid() && r.Mode == ownership.SyncWithParent && a.Valid() && a <= ownership.Delete
								if pred.Match(r) && !mayAllow {
									t.Errorf("Filter(%v, %v, %q) matches %#v (mode %v)", bound.ID, a, typ, r.Ref, r.Mode)
								}
							}
						}
					}
				}
			}
		}})
	}
	cases = append(cases, panicCase{"nil Policy UnmarshalJSON", "", func(t *testing.T) {
		wantInvalid(t, nilPolicy.UnmarshalJSON([]byte(`{"roles":{}}`)))
	}})
	cases = append(cases, panicCase{"zero Policy UnmarshalJSON", "", func(t *testing.T) {
		var p ownership.Policy
		wantInvalid(t, p.UnmarshalJSON(nil))
		wantInvalid(t, p.UnmarshalJSON([]byte(`null`)))
	}})
	cases = append(cases, panicCase{"Compile odd definitions", "", func(t *testing.T) {
		if _, err := ownership.Compile(ownership.PolicyDef{}); err != nil {
			t.Errorf("Compile(zero) = %v", err)
		}
		if _, err := ownership.NewPolicy(nil); err != nil {
			t.Errorf("NewPolicy(nil) = %v", err)
		}
		for _, s := range badScopes {
			_, err := ownership.NewPolicy(map[string]ownership.RoleDef{"r": {Types: map[string]ownership.Permissions{"t": {View: s}}}})
			wantInvalid(t, err)
			_, err = ownership.NewPolicy(map[string]ownership.RoleDef{"r": {Types: map[string]ownership.Permissions{"t": {Fields: map[string]ownership.FieldRule{"f": {Update: s}}}}}})
			wantInvalid(t, err)
		}
		for _, def := range []ownership.PolicyDef{
			{Roles: map[string]ownership.RoleDef{"": {}}},
			{Roles: map[string]ownership.RoleDef{"r": {Types: map[string]ownership.Permissions{"": {}}}}},
			{Roles: map[string]ownership.RoleDef{"r": {Types: map[string]ownership.Permissions{"t": {Fields: map[string]ownership.FieldRule{"": {}}}}}}},
			{Types: map[string]ownership.RecordType{"": {}}},
			{Types: map[string]ownership.RecordType{"t": {Fields: []string{""}}}},
		} {
			_, err := ownership.Compile(def)
			wantInvalid(t, err)
		}
	}})
	runPanicCases(t, cases)
}

func TestNoPanicRules(t *testing.T) {
	ctx := context.Background()
	envs := []ownership.AssignEnv{{}, {Policy: panicPolicy(), Users: memstore.New(), Counts: memstore.New()}}
	rec := ownership.Record{Ref: ownership.MustRef("contact/c1"), Fields: map[string]string{"": "x"}}
	zeroRules := []ownership.Rule{&ownership.RoundRobin{}, &ownership.Territory{}, &ownership.Skill{}, &ownership.LeastLoaded{}}
	nilRules := []ownership.Rule{(*ownership.RoundRobin)(nil), (*ownership.Territory)(nil), (*ownership.Skill)(nil), (*ownership.LeastLoaded)(nil)}
	var cases []panicCase
	for _, r := range zeroRules {
		cases = append(cases, panicCase{fmt.Sprintf("zero %T", r), "", func(t *testing.T) {
			_ = r.RuleName()
			for _, env := range envs {
				for _, x := range []ownership.Record{{}, rec} {
					if u, err := r.Pick(ctx, env, x); u != "" {
						t.Errorf("zero %T picks %q (%v)", r, u, err)
					}
				}
			}
		}})
	}
	for _, r := range nilRules {
		cases = append(cases, panicCase{fmt.Sprintf("nil %T", r), "", func(t *testing.T) {
			_ = r.RuleName()
			u, err := r.Pick(ctx, envs[1], rec)
			if u != "" {
				t.Errorf("nil %T picks %q", r, u)
			}
			wantInvalid(t, err)
			_, _, err = ownership.Rules{r}.Assign(ctx, envs[1], rec)
			wantInvalid(t, err)
		}})
	}
	cases = append(cases, panicCase{"Rules with a nil rule", "", func(t *testing.T) {
		u, _, err := ownership.Rules{nil}.Assign(ctx, envs[1], rec)
		if u != "" {
			t.Errorf("a nil rule picks %q", u)
		}
		wantInvalid(t, err)
	}})
	cases = append(cases, panicCase{"Rules zero", "", func(t *testing.T) {
		var rs ownership.Rules
		for _, env := range envs {
			if u, name, err := rs.Assign(ctx, env, ownership.Record{}); u != "" || name != "" || err != nil {
				t.Errorf("nil Rules assign %q, %q, %v", u, name, err)
			}
		}
	}})
	cases = append(cases, panicCase{"AssignEnv zero", "", func(t *testing.T) {
		for _, env := range envs {
			for _, id := range []ownership.UserID{"", "u1"} {
				if ok, _ := env.Candidate(ctx, id, ownership.Record{}); ok {
					t.Errorf("%q is a candidate for a missing record", id)
				}
			}
		}
	}})
	runPanicCases(t, cases)
}

func TestNoPanicMatcherAndSeed(t *testing.T) {
	var nilMatcher *ownership.Matcher
	matchers := map[string]*ownership.Matcher{"nil": nilMatcher, "zero": {}}
	var cases []panicCase
	for name, m := range matchers {
		cases = append(cases, panicCase{name + " Matcher", "", func(t *testing.T) {
			_ = m.Field()
			_ = m.Problems()
			for _, r := range oddRecords() {
				_, err := m.Owner(r)
				wantInvalid(t, err)
				_, err = m.Ownership(r)
				wantInvalid(t, err)
				got, err := m.Apply(r)
				wantInvalid(t, err)
				if !got.Ref.IsZero() {
					t.Errorf("Apply failed but returned %v", got.Ref)
				}
			}
			_, err := m.OwnerOf("")
			wantInvalid(t, err)
		}})
	}
	cases = append(cases, panicCase{"NewMatcher zero", "", func(t *testing.T) {
		_, err := ownership.NewMatcher(ownership.OwnerField{}, nil)
		wantInvalid(t, err)
		_, err = ownership.NewMatcher(ownership.OwnerField{Record: "r", User: "id"}, []ownership.User{{}})
		wantInvalid(t, err)
		var f ownership.OwnerField
		wantInvalid(t, f.Validate())
		_, _ = f.Canonical("")
		wantInvalid(t, f.UnmarshalJSON(nil))
	}})
	runPanicCases(t, cases)
}

// cannedRecords lists rs as a store's listing would, for odd values that
// a store must not hold.
func cannedRecords(rs ...ownership.Record) iter.Seq2[ownership.Record, error] {
	return func(yield func(ownership.Record, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestNoPanicManager(t *testing.T) {
	ctx := context.Background()
	ref := ownership.MustRef("contact/c1")
	admin := ownership.Subject{ID: "root", Roles: []string{"admin"}}

	// newStore holds an independent record, owned by u1, and the users.
	newStore := func(t *testing.T) *memstore.Store {
		st := memstore.New()
		for _, u := range []ownership.User{{ID: "root", Roles: []string{"admin"}}, {ID: "u1", Roles: []string{"rep"}}, {ID: "u2", Roles: []string{"rep"}}} {
			if err := st.PutUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.CompareAndSwap(ctx, ownership.Record{Ref: ref, Ownership: ownership.MustList(ownership.Entry{UserID: "u1", Role: ownership.Owner})}); err != nil {
			t.Fatal(err)
		}
		return st
	}
	// allOps calls every operation of m, with sensible arguments, and
	// returns the errors by operation.
	allOps := func(m *ownership.Manager) map[string]error {
		errs := map[string]error{}
		_, errs["Create"] = m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/new")}, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: "u1"}})
		_, errs["Claim"] = m.Claim(ctx, admin, ref)
		_, errs["Reassign"] = m.Reassign(ctx, admin, ref, "u2")
		_, errs["AddOwner"] = m.AddOwner(ctx, admin, ref, "u2")
		_, errs["AddFollower"] = m.AddFollower(ctx, admin, ref, "u2")
		_, errs["Remove"] = m.Remove(ctx, admin, ref, "u2")
		_, errs["SetOwnership"] = m.SetOwnership(ctx, admin, ref, ownership.List{})
		_, errs["SetMode"] = m.SetMode(ctx, admin, ref, ownership.Independent)
		_, errs["Propagate"] = m.Propagate(ctx, ref, ownership.PropagateOptions{})
		_, errs["Reconcile"] = m.Reconcile(ctx, cannedRecords())
		_, errs["SyncUserDetails"] = m.SyncUserDetails(ctx, ownership.User{ID: "u1"})
		_, errs["Transfer"] = m.Transfer(ctx, admin, "u1", "u2", ownership.TransferOptions{})
		return errs
	}
	var cases []panicCase
	add := func(name, skip string, run func(t *testing.T)) {
		cases = append(cases, panicCase{name, skip, run})
	}
	add("zero Manager", "", func(t *testing.T) {
		for op, err := range allOps(&ownership.Manager{}) {
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("%s on a zero Manager: %v, want ErrInvalid", op, err)
			}
		}
	})
	add("nil Manager", "", func(t *testing.T) {
		for op, err := range allOps(nil) {
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("%s on a nil *Manager: %v, want ErrInvalid", op, err)
			}
		}
	})
	add("Manager without Policy", "", func(t *testing.T) {
		m := &ownership.Manager{Store: newStore(t)}
		for op, err := range allOps(m) {
			switch op {
			case "Create", "Propagate", "Reconcile", "SyncUserDetails":
				continue // not decided by the policy
			}
			wantFailed(t, err)
		}
	})
	add("Manager without Users", "", func(t *testing.T) {
		m := &ownership.Manager{Store: newStore(t), Policy: panicPolicy()}
		errs := allOps(m)
		wantInvalid(t, errs["Reassign"])
		wantInvalid(t, errs["Transfer"])
	})
	add("Manager with a nil subscriber", "", func(t *testing.T) {
		for _, sub := range []ownership.Subscriber{nil, ownership.SubscriberFunc(nil)} {
			st := newStore(t)
			m := &ownership.Manager{Store: st, Users: st, Policy: panicPolicy(), Subscribers: []ownership.Subscriber{sub}}
			for _, err := range allOps(m) {
				wantInvalid(t, err)
			}
			if r, err := st.Get(ctx, ownership.MustRef("contact/new")); err == nil {
				t.Errorf("Create stored %v although it could not report it", r.Ref)
			}
		}
	})
	add("Manager.Create odd records", "", func(t *testing.T) {
		st := newStore(t)
		m := &ownership.Manager{Store: st, Users: st, Policy: panicPolicy()}
		c := ownership.Creation{Source: ownership.SourceForm}
		for _, r := range oddRecords() {
			if r.Ref.Valid() && r.Mode == ownership.SyncWithParent {
				continue // a valid synced record without parent: tested below
			}
			if r.Ref.Valid() {
				r.Ref.ID += "-new" // not the stored contact/c1
			}
			_, err := m.Create(ctx, r, c)
			wantInvalid(t, err)
		}
		_, err := m.Create(ctx, ownership.Record{Ref: ownership.MustRef("doc/d1"), Mode: ownership.SyncWithParent}, c)
		wantInvalid(t, err)
		for _, mode := range badModes {
			_, err := m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/t1")}, ownership.Creation{Source: ownership.SourceForm, Template: &ownership.Template{Mode: mode}})
			wantInvalid(t, err)
		}
	})
	add("Manager.Create odd creations", "", func(t *testing.T) {
		st := newStore(t)
		m := &ownership.Manager{Store: st, Users: st, Policy: panicPolicy()}
		r := ownership.Record{Ref: ownership.MustRef("contact/n1")}
		for _, c := range []ownership.Creation{{}, {Source: 200}, {Source: ownership.SourceManual},
			{Source: ownership.SourceAPI, Entries: []ownership.Entry{{}}}, {Source: ownership.SourceImport, Entries: []ownership.Entry{{UserID: "u1", Role: 9}}}} {
			_, err := m.Create(ctx, r, c)
			wantFailed(t, err)
		}
		// Nil Template and Profile are documented as usable.
		if _, err := m.Create(ctx, r, ownership.Creation{Source: ownership.SourceForm, Template: nil, Profile: nil}); err != nil {
			t.Errorf("Create with nil template and profile: %v", err)
		}
	})
	add("Manager with odd Rules", "", func(t *testing.T) {
		for _, rs := range []ownership.Rules{{nil}, {(*ownership.RoundRobin)(nil)}, {(*ownership.Territory)(nil)}, {(*ownership.Skill)(nil)}, {(*ownership.LeastLoaded)(nil)}} {
			st := newStore(t)
			m := &ownership.Manager{Store: st, Users: st, Policy: panicPolicy(), Rules: rs}
			_, err := m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/f1"), Fields: map[string]string{"": "x"}}, ownership.Creation{Source: ownership.SourceForm})
			wantInvalid(t, err)
		}
		for _, rs := range []ownership.Rules{{&ownership.RoundRobin{}}, {&ownership.Territory{}}, {&ownership.Skill{}}} {
			st := newStore(t)
			m := &ownership.Manager{Store: st, Users: st, Policy: panicPolicy(), Rules: rs}
			if _, err := m.Create(ctx, ownership.Record{Ref: ownership.MustRef("contact/f1")}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
				t.Errorf("zero %T: %v", rs[0], err)
			}
		}
	})
	add("Manager operations with zero arguments", "", func(t *testing.T) {
		st := newStore(t)
		m := &ownership.Manager{Store: st, Users: st, Policy: panicPolicy()}
		for _, by := range []ownership.Subject{{}, {ID: "ghost"}, {ID: "u1", Roles: []string{"nope"}}} {
			_, err := m.Claim(ctx, by, ref)
			wantFailed(t, err)
			_, err = m.Reassign(ctx, by, ref, "u2")
			wantFailed(t, err)
			_, err = m.AddOwner(ctx, by, ref, "u2")
			wantFailed(t, err)
			_, err = m.Remove(ctx, by, ref, "u1")
			wantFailed(t, err)
			_, err = m.SetOwnership(ctx, by, ref, ownership.List{})
			wantFailed(t, err)
			_, err = m.SetMode(ctx, by, ref, ownership.Independent)
			wantFailed(t, err)
			// Transfer reports the denials of single records in Skipped.
			rep, err := m.Transfer(ctx, by, "u1", "u2", ownership.TransferOptions{})
			if err == nil && (len(rep.Moved) > 0 || len(rep.Skipped) == 0) {
				t.Errorf("Transfer by %#v: %+v", by, rep)
			}
		}
		for _, r := range []ownership.Ref{{}, {Type: "a/b", ID: "x"}, {Type: "contact"}} {
			_, err := m.Claim(ctx, admin, r)
			wantFailed(t, err)
			_, err = m.SetMode(ctx, admin, r, ownership.SyncWithParent)
			wantFailed(t, err)
			_, err = m.Propagate(ctx, r, ownership.PropagateOptions{})
			wantInvalid(t, err)
		}
		_, err := m.Reassign(ctx, admin, ref, "")
		wantFailed(t, err)
		_, err = m.AddOwner(ctx, admin, ref, "")
		wantInvalid(t, err)
		_, err = m.AddFollower(ctx, admin, ref, "")
		wantInvalid(t, err)
		_, err = m.Transfer(ctx, admin, "", "", ownership.TransferOptions{})
		wantInvalid(t, err)
		_, err = m.SyncUserDetails(ctx, ownership.User{})
		wantInvalid(t, err)
		for _, mode := range badModes {
			_, err := m.SetMode(ctx, admin, ref, mode)
			wantInvalid(t, err)
		}
		for _, f := range badFollows {
			_, err := m.Propagate(ctx, ref, ownership.PropagateOptions{Follow: f})
			wantInvalid(t, err)
		}
		_, err = m.Reconcile(ctx, nil)
		wantInvalid(t, err)
		// Records that are not synced are passed over; the synced one
		// is independent in the store.
		if rep, err := m.Reconcile(ctx, cannedRecords(oddRecords()...)); err != nil || len(rep.Changed) > 0 {
			t.Errorf("Reconcile of odd records: %+v, %v", rep, err)
		}
	})
	runPanicCases(t, cases)
}

func TestNoPanicMemstore(t *testing.T) {
	ctx := context.Background()
	var cases []panicCase
	add := func(name, skip string, run func(t *testing.T)) {
		cases = append(cases, panicCase{name, skip, run})
	}
	add("zero Store reads", "", func(t *testing.T) {
		var s memstore.Store
		if _, err := s.Get(ctx, ownership.Ref{}); !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("Get(zero) = %v", err)
		}
		if _, err := s.User(ctx, ""); !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("User(\"\") = %v", err)
		}
		if _, err := s.CountOwned(ctx, "", ""); err != nil {
			t.Error(err)
		}
		if err := s.Delete(ctx, ownership.Ref{}); err != nil {
			t.Error(err)
		}
		for range s.All(ctx, "") {
		}
		for range s.Children(ctx, ownership.Ref{}) {
		}
		for range s.RecordsOf(ctx, "") {
		}
		for range s.Users(ctx) {
		}
	})
	add("zero Store UserBy", "", func(t *testing.T) {
		var s memstore.Store
		if _, err := s.UserBy(ctx, "", ""); !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("UserBy(\"\", \"\") = %v", err)
		}
	})
	add("zero Store writes", "", func(t *testing.T) {
		var s memstore.Store
		wantInvalid(t, s.PutUser(ctx, ownership.User{}))
		for _, r := range oddRecords() {
			if r.Ref.Valid() && r.Mode <= ownership.SyncWithParent {
				continue
			}
			_, err := s.CompareAndSwap(ctx, r)
			wantInvalid(t, err)
		}
		_, err := s.CompareAndSwap(ctx, ownership.Record{Ref: ownership.MustRef("a/b"), Parent: ownership.Ref{Type: "x"}})
		wantInvalid(t, err)
	})
	add("Delete then write", "", func(t *testing.T) {
		var s memstore.Store
		r := ownership.Record{Ref: ownership.MustRef("a/b")}
		if _, err := s.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, r.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	})
	runPanicCases(t, cases)
}

// FuzzCond builds condition trees from bytes, well-formed through the
// builders or hand-built, and checks that nothing panics and that Not, And
// and Or mean what they say on every tree.
func FuzzCond(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{6, 0})
	f.Add([]byte{7, 0, 2, 1})
	f.Add([]byte{16 + 7, 0, 16 + 6, 2, 0})
	f.Add([]byte{8, 2, 2, 0, 3, 1, 4})
	f.Add([]byte{16 + 8, 3, 16 + 7, 0, 16 + 6, 0, 99})
	users := []ownership.UserID{"", "u1", "u2"}
	recs := []ownership.Record{
		{},
		{Ref: ownership.MustRef("contact/c1")},
		{Ref: ownership.MustRef("contact/c2"), Ownership: ownership.MustList(ownership.Entry{UserID: "u1", Role: ownership.Owner})},
		{Ref: ownership.MustRef("contact/c3"), Ownership: ownership.MustList(ownership.Entry{UserID: "u1", Role: ownership.Follower})},
		{Ref: ownership.MustRef("contact/c4"), Mode: ownership.SyncWithParent, Ownership: ownership.MustList(
			ownership.Entry{UserID: "u2", Role: ownership.Owner}, ownership.Entry{UserID: "u1", Role: ownership.Follower})},
		{Ref: ownership.MustRef("contact/c5"), Mode: 9},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// build reads one tree. A byte's low nibble is the operator, and
		// bit 4 says whether to build it by hand (malformed trees
		// included) rather than through the builders.
		var build func(depth int) ownership.Cond
		build = func(depth int) ownership.Cond {
			if len(data) == 0 || depth > 8 {
				return ownership.Cond{}
			}
			b := data[0]
			data = data[1:]
			raw, op := b&16 != 0, ownership.Op(b&15)
			if b >= 32 {
				op = ownership.Op(b) // out of range
			}
			n := 0
			if len(data) > 0 {
				n = int(data[0] % 4)
				data = data[1:]
			}
			switch op {
			case ownership.OpOwnedBy, ownership.OpFollowedBy:
				u := users[n%len(users)]
				if raw {
					return ownership.Cond{Op: op, User: u}
				}
				if op == ownership.OpOwnedBy {
					return ownership.OwnedBy(u)
				}
				return ownership.FollowedBy(u)
			case ownership.OpNot, ownership.OpAnd, ownership.OpOr:
				args := make([]ownership.Cond, n)
				for i := range args {
					args[i] = build(depth + 1)
				}
				if raw {
					return ownership.Cond{Op: op, Args: args}
				}
				switch op {
				case ownership.OpNot:
					if n == 0 {
						return ownership.Not(ownership.Cond{})
					}
					return ownership.Not(args[0])
				case ownership.OpAnd:
					return ownership.And(args...)
				}
				return ownership.Or(args...)
			case ownership.OpUnassigned:
				return ownership.IsUnassigned()
			case ownership.OpSynced:
				return ownership.IsSynced()
			case ownership.OpAll:
				return ownership.AllRecords()
			case ownership.OpNone:
				return ownership.NoRecords()
			}
			return ownership.Cond{Op: op}
		}
		c := build(0)
		d := build(0)
		_ = c.String()
		_ = ownership.NewPredicate("contact", c).String()
		for _, r := range recs {
			mc, md := c.Match(r), d.Match(r)
			if got := ownership.Not(c).Match(r); got == mc {
				t.Fatalf("Not(%v).Match(%v) = %v, want %v", c, r.Ref, got, !mc)
			}
			if got := ownership.Not(ownership.Not(c)).Match(r); got != mc {
				t.Fatalf("Not(Not(%v)).Match(%v) = %v, want %v", c, r.Ref, got, mc)
			}
			if got := ownership.And(c, d).Match(r); got != (mc && md) {
				t.Fatalf("And(%v, %v).Match(%v) = %v, want %v", c, d, r.Ref, got, mc && md)
			}
			if got := ownership.Or(c, d).Match(r); got != (mc || md) {
				t.Fatalf("Or(%v, %v).Match(%v) = %v, want %v", c, d, r.Ref, got, mc || md)
			}
			p := ownership.NewPredicate("contact", c)
			want := mc && r.Ref.Valid() && r.Mode <= ownership.SyncWithParent
			if got := p.Match(r); got != want {
				t.Fatalf("Predicate{%v}.Match(%v) = %v, want %v", c, r.Ref, got, want)
			}
		}
	})
}
