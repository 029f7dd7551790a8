package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ownershipkit/ownership"
)

// benchUsersVar names the environment variable that sets how many users
// BenchmarkWho stores (10,000 by default).
const benchUsersVar = "OWNERSHIP_BENCH_USERS"

// storeBenchOrg stores an organisation of n users in one tenant: teams of
// 50, each user in 5 of them (layered so that a user's teams share few
// members), managers ten levels deep, the role "rep".
func storeBenchOrg(b *testing.B, s *Store, n int) {
	b.Helper()
	teams := max(5, n/10)
	for t := range teams {
		if err := s.PutTeam(ctx, ownership.Team{ID: ownership.TeamID(fmt.Sprintf("team-%05d", t)), Tenant: "acme"}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		u := ownership.User{ID: ownership.UserID(fmt.Sprintf("user-%05d", i)), Roles: []string{"rep"}, Tenant: "acme"}
		for k, mul := range []int{1, 7, 11, 13, 17} {
			u.Teams = append(u.Teams, ownership.TeamID(fmt.Sprintf("team-%05d", k*(teams/5)+(i*mul%n)/50%(teams/5))))
		}
		if i%10 != 0 {
			u.Manager = ownership.UserID(fmt.Sprintf("user-%05d", i-1))
		}
		if err := s.PutUser(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
}

// floorWho is the least a "who" must do, written by hand: read the
// tenant's users and decide for each with its roles, without teams or a
// hierarchy.
func floorWho(s *Store, p *ownership.Policy, r ownership.Record) (int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, roles FROM ownership_users WHERE tenant = $1`), string(r.Tenant))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	allowed := 0
	for rows.Next() {
		var id string
		var roles sql.NullString
		if err := rows.Scan(&id, &roles); err != nil {
			return 0, err
		}
		subj := ownership.Subject{ID: ownership.UserID(id), Tenant: r.Tenant}
		if roles.Valid {
			if err := json.Unmarshal([]byte(roles.String), &subj.Roles); err != nil {
				return 0, err
			}
		}
		if p.Decide(subj, ownership.View, r).Allowed {
			allowed++
		}
	}
	return allowed, rows.Err()
}

// BenchmarkWho measures Store.Who, who may view one contact, over a
// directory of OWNERSHIP_BENCH_USERS users with teams and a hierarchy,
// beside the hand-written floor that reads the users and decides without
// them, timed in the same iterations. It reports both and their ratio.
func BenchmarkWho(b *testing.B) {
	n := 10_000
	if v := os.Getenv(benchUsersVar); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 50 {
			b.Fatalf("%s=%q: want at least 50 users", benchUsersVar, v)
		}
	}
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Teammates | ownership.Reports}}},
	})
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(fmt.Sprintf("%s/users=%d", dialect, n), func(b *testing.B) {
			var s *Store
			if dialect == "sqlite" {
				s = openSQLite(b)
			} else {
				s = openPostgres(b, postgresDSN(b))
			}
			storeBenchOrg(b, s, n)
			r := ownership.Record{Ref: ownership.MustRef("contact/c1"), Tenant: "acme",
				Ownership: ownership.MustList(ownership.Entry{UserID: ownership.UserID(fmt.Sprintf("user-%05d", n/2+3)), Role: ownership.Owner})}
			if _, err := s.CompareAndSwap(ctx, r); err != nil {
				b.Fatal(err)
			}
			var lib, floor time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				acc, err := s.Who(ctx, p, ownership.View, r.Ref)
				if err != nil || len(acc.Allowed)+len(acc.Denied) != n || len(acc.Allowed) < 2 {
					b.Fatalf("Who: %d allowed, %d denied, %v", len(acc.Allowed), len(acc.Denied), err)
				}
				lib += time.Since(start)
				start = time.Now()
				if _, err := floorWho(s, p, r); err != nil {
					b.Fatal(err)
				}
				floor += time.Since(start)
			}
			b.ReportMetric(float64(lib.Microseconds())/1000/float64(b.N), "lib-ms/op")
			b.ReportMetric(float64(floor.Microseconds())/1000/float64(b.N), "floor-ms/op")
			b.ReportMetric(float64(lib)/float64(floor), "lib/floor")
		})
	}
}
