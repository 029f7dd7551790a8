package ownership

import (
	"context"
	"fmt"
	"testing"
)

// benchOrg is a sales organisation of n users in teams of 50, each user in
// 5 teams, with a manager chain ten deep, and the policy of a team-scoped
// rep: View Own|Teammates|Reports, Update Own|Reports.
func benchOrg(b testing.TB, n int) (*Org, *Policy) {
	teams := n / 10 // 5 memberships per user, 50 members per team
	var def OrgDef
	for t := range teams {
		def.Teams = append(def.Teams, Team{ID: TeamID(fmt.Sprintf("team-%04d", t))})
	}
	for i := range n {
		u := User{ID: UserID(fmt.Sprintf("user-%05d", i)), Roles: []string{"rep"}}
		// Layer k of 5 partitions the users into teams of 50 in its own
		// order (i*mul[k] mod n), so that a user's 5 teams share few
		// members.
		for k, mul := range []int{1, 7, 11, 13, 17} {
			u.Teams = append(u.Teams, TeamID(fmt.Sprintf("team-%04d", k*(teams/5)+(i*mul%n)/50)))
		}
		if i%10 != 0 {
			u.Manager = UserID(fmt.Sprintf("user-%05d", i-1))
		}
		def.Users = append(def.Users, u)
	}
	o, err := NewOrg(def)
	if err != nil {
		b.Fatal(err)
	}
	p := MustPolicy(map[string]RoleDef{
		"rep":   {Types: map[string]Permissions{"contact": {View: Own | Teammates | Reports, Update: Own | Reports}}},
		"admin": {Bypass: true},
	})
	return o, p
}

// BenchmarkCanViewTeams measures a view check for a subject in 5 teams of
// 50 members beside the same check without teams (the floor, in the same
// run): a record owned by a teammate (allowed through the team, the path
// that looks up the reach) and one owned by a stranger (denied after
// looking up every owner). The record has 8 entries, 3 of them owners.
func BenchmarkCanViewTeams(b *testing.B) {
	o, p := benchOrg(b, 1000)
	s, _ := o.Subject("user-00100")
	if n := len(s.Reach.Teammates()); n < 200 {
		b.Fatalf("the subject has %d teammates, want 5 teams of 50", n)
	}
	bound := p.Bind(s)
	teammate := s.Reach.Teammates()[7]
	rec := func(owner UserID) Record {
		es := benchRecord().Ownership.Entries()
		es[3].UserID = owner
		return Record{Ref: Ref{Type: "contact", ID: "c1"}, Ownership: MustList(es...)}
	}
	inTeam, stranger := rec(teammate), rec("user-99999")
	if !p.CanView(bound, inTeam) || p.CanView(bound, stranger) {
		b.Fatal("the set-up does not decide as the benchmark assumes")
	}
	floor := p.Bind(Subject{ID: "user-00100", Roles: []string{"rep"}})
	for _, c := range []struct {
		name string
		s    Subject
		r    Record
	}{
		{"floor-no-teams", floor, stranger},
		{"teammate", bound, inTeam},
		{"stranger", bound, stranger},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkBool = p.CanView(c.s, c.r)
			}
		})
	}
}

// BenchmarkOrgWho measures Org.Who for one record in a directory of
// 10,000 users with teams and a hierarchy: every user decided, with the
// reason.
func BenchmarkOrgWho(b *testing.B) {
	o, p := benchOrg(b, 10_000)
	r := Record{Ref: Ref{Type: "contact", ID: "c1"}, Ownership: MustList(Entry{UserID: "user-04321", Role: Owner}, Entry{UserID: "user-00007", Role: Follower})}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		acc, err := o.Who(ctx, p, View, r)
		if err != nil || len(acc.Allowed)+len(acc.Denied) != 10_000 {
			b.Fatalf("Who: %d+%d, %v", len(acc.Allowed), len(acc.Denied), err)
		}
	}
}

// BenchmarkOrgSubject measures building a subject with its reach (5 teams
// of 50, ten levels of hierarchy): the cost a host pays once per request,
// or once per user with a cache.
func BenchmarkOrgSubject(b *testing.B) {
	o, _ := benchOrg(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		s, ok := o.Subject("user-04320")
		if !ok || s.Reach.IsZero() {
			b.Fatal("no subject")
		}
	}
}
