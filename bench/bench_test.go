package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/ownershipkit/ownership"
)

// query is one check: Users[user] asks for Actions[action] on record rec.
type query struct{ user, action, rec int }

// checkQueries returns 1,024 checks drawn from every user, every action
// and the records of BenchmarkCheck, the same on every run, so that a
// check benchmark averages over the allowed and denied paths of every
// role instead of timing one path that may favour either library.
func checkQueries() []query {
	rng := rand.New(rand.NewPCG(7, 7))
	qs := make([]query, 1024)
	for i := range qs {
		qs[i] = query{rng.IntN(len(Users)), rng.IntN(len(Actions)), rng.IntN(checkSize)}
	}
	return qs
}

var sinkBool bool

// BenchmarkCheck measures one check as a host makes it, averaged over
// 1,024 checks of every user and action on 1,000 contacts and documents:
// ownership with a Subject bound once per user (the recommended use),
// ownership with a Subject literal whose roles are looked up on every
// check, and Casbin's Enforce on an enforcer built once.
func BenchmarkCheck(b *testing.B) {
	recs := Records(checkSize)
	qs := checkQueries()
	b.Run("ownership", func(b *testing.B) { benchCheckOwnership(b, recs, qs, true) })
	b.Run("ownership-literal", func(b *testing.B) { benchCheckOwnership(b, recs, qs, false) })
	b.Run("casbin", func(b *testing.B) {
		c := newCasbin(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			q := &qs[i&1023]
			ok, err := c.Enforce(Users[q.user].ID, &recs[q.rec], Actions[q.action])
			if err != nil {
				b.Fatal(err)
			}
			sinkBool = ok
		}
	})
}

func benchCheckOwnership(b *testing.B, recs []Record, qs []query, bind bool) {
	p := Policy()
	owned := make([]ownership.Record, len(recs))
	for i := range recs {
		owned[i] = recs[i].Ownership()
	}
	subs := make([]ownership.Subject, len(Users))
	for i, u := range Users {
		subs[i] = ownership.Subject{ID: ownership.UserID(u.ID), Roles: u.Roles}
		if bind {
			subs[i] = p.Bind(subs[i])
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		q := &qs[i&1023]
		sinkBool = p.Can(subs[q.user], Actions[q.action], owned[q.rec])
	}
}

// BenchmarkFilter measures filtering 100,000 contacts down to those a
// sales rep may view, as a list page does in memory: ownership compiles a
// Predicate once per list and matches it per record; Casbin enforces per
// record, one call at a time or in one BatchEnforce call.
func BenchmarkFilter(b *testing.B) {
	recs := Contacts(filterSize)
	p := Policy()
	s := p.Bind(ownership.Subject{ID: filterUser, Roles: userRoles(filterUser)})
	owned := make([]ownership.Record, len(recs))
	want := 0
	for i := range recs {
		owned[i] = recs[i].Ownership()
		if p.CanView(s, owned[i]) {
			want++
		}
	}
	check := func(b *testing.B, n int) {
		if n != want {
			b.Fatalf("%d contacts visible, want %d", n, want)
		}
	}
	b.Run("ownership", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			pred := p.Filter(s, ownership.View, "contact")
			n := 0
			for i := range owned {
				if pred.Match(owned[i]) {
					n++
				}
			}
			check(b, n)
		}
	})
	b.Run("casbin", func(b *testing.B) {
		c := newCasbin(b)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			n := 0
			for i := range recs {
				ok, err := c.Enforce(filterUser, &recs[i], ownership.View)
				if err != nil {
					b.Fatal(err)
				}
				if ok {
					n++
				}
			}
			check(b, n)
		}
	})
	b.Run("casbin-batch", func(b *testing.B) {
		c := newCasbin(b)
		reqs := make([][]any, len(recs))
		for i := range recs {
			reqs[i] = []any{c.ctx[ownership.View], filterUser, &recs[i], "view"}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			oks, err := c.Enforcer.BatchEnforce(reqs)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, ok := range oks {
				if ok {
					n++
				}
			}
			check(b, n)
		}
	})
}

// userRoles returns the roles of the user with the given id.
func userRoles(id string) []string {
	for _, u := range Users {
		if u.ID == id {
			return u.Roles
		}
	}
	return nil
}
