package ownership

import (
	"fmt"
	"testing"
)

// benchPolicy is the CRM set-up used by the benchmarks: a bypass admin, a
// manager with All, sales reps with Own|Unassigned view and Own update,
// support without claim, and journey managers on documents only.
func benchPolicy() *Policy {
	return MustPolicy(map[string]RoleDef{
		"admin":   {Bypass: true},
		"manager": {Types: map[string]Permissions{AnyType: {View: All, Update: All, Delete: All, Claim: true, Reassign: true}}},
		"sales_rep": {Types: map[string]Permissions{
			"contact": {View: Own | Unassigned, Update: Own, Claim: true},
		}},
		"support": {Types: map[string]Permissions{
			"contact": {View: Own | Unassigned, Update: Own},
		}},
		"journey_manager": {Types: map[string]Permissions{
			"document": {View: Own, Update: Own, Delete: Own},
		}},
	})
}

// benchRecord has 8 entries; the subject of the benchmarks is not on it,
// so a check scans the whole list.
func benchRecord() Record {
	var es []Entry
	for i := range 8 {
		role := Follower
		if i%3 == 0 {
			role = Owner
		}
		es = append(es, Entry{UserID: UserID(fmt.Sprintf("user-%02d", i)), Role: role})
	}
	return Record{Ref: Ref{Type: "contact", ID: "c1"}, Ownership: MustList(es...)}
}

var benchSubject = Subject{ID: "user-99", Roles: []string{"journey_manager", "support", "sales_rep"}}

var sinkBool bool

// BenchmarkCanView measures a view check that every role must look at and
// that ends in a denial, the slowest path a non-admin check takes: with a
// Subject bound once per request (the recommended use) and with a Subject
// literal, whose role names are looked up on every check.
func BenchmarkCanView(b *testing.B) { benchCheck(b, View) }

// BenchmarkCanEdit measures an update check over 3 roles and 8 entries.
func BenchmarkCanEdit(b *testing.B) { benchCheck(b, Update) }

func benchCheck(b *testing.B, a Action) {
	p, r := benchPolicy(), benchRecord()
	for _, c := range []struct {
		name string
		s    Subject
	}{{"bound", p.Bind(benchSubject)}, {"literal", benchSubject}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				sinkBool = p.Can(c.s, a, r)
			}
		})
	}
}

var sinkDecision Decision

// BenchmarkDecide measures a full decision with its reason (a denial over
// 3 roles and 8 entries); rendering the sentence is left out.
func BenchmarkDecide(b *testing.B) {
	p, r := benchPolicy(), benchRecord()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sinkDecision = p.Decide(benchSubject, Update, r)
	}
}

// BenchmarkCanViewParallel measures CanView from many goroutines sharing
// one Policy, as a server does.
func BenchmarkCanViewParallel(b *testing.B) {
	p, r := benchPolicy(), benchRecord()
	s := p.Bind(benchSubject)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ok bool
		for pb.Next() {
			ok = p.CanView(s, r)
		}
		_ = ok
	})
}

// BenchmarkFilter1M measures filtering 1,000,000 in-memory records with a
// compiled Predicate (compiling it included).
func BenchmarkFilter1M(b *testing.B) {
	p := benchPolicy()
	recs := make([]Record, 1_000_000)
	for i := range recs {
		var es []Entry
		switch i % 4 {
		case 0: // unassigned
		case 1:
			es = []Entry{{UserID: "user-99", Role: Owner}}
		case 2:
			es = []Entry{{UserID: "user-01", Role: Owner}, {UserID: "user-99", Role: Follower}}
		default:
			es = []Entry{{UserID: "user-01", Role: Owner}, {UserID: "user-02", Role: Follower}, {UserID: "user-03", Role: Follower}}
		}
		recs[i] = Record{Ref: Ref{Type: "contact", ID: fmt.Sprint(i)}, Ownership: MustList(es...)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		pred := p.Filter(benchSubject, View, "contact")
		n := 0
		for i := range recs {
			if pred.Match(recs[i]) {
				n++
			}
		}
		if n != 750_000 {
			b.Fatalf("matched %d, want 750000", n)
		}
	}
}
