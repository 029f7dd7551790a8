package sqlstore

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
)

// FuzzDecodeStrings checks that decodeStrings reads a JSON array of
// strings exactly as json.Unmarshal does, and refuses what it refuses.
func FuzzDecodeStrings(f *testing.F) {
	for _, s := range []string{
		`["rep"]`, `["rep", "admin"]`, ` [ "a" , "b" ] `, `[]`, ` [ ] `, `[""]`, `null`, ``, `[`, `]`,
		`["a"`, `["a",]`, `[,"a"]`, `["a" "b"]`, `["a"]x`, `["a"]]`, `[1]`, `["a", 1]`, `[null]`, `{"a": "b"}`,
		`"a"`, `["a\"b"]`, `["a\\b"]`, `["\u00e9t\u00e9"]`, `["été"]`, "[\"a\tb\"]", "[\"\xff\"]", `["a\x"]`,
		"[\"a\"]\n", `["a","a"]`, `["a\u0000"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := decodeStrings[string](s)
		var want []string
		werr := json.Unmarshal([]byte(s), &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("decodeStrings(%q): error %v, json.Unmarshal: %v", s, err, werr)
		}
		if err != nil {
			return
		}
		if (got == nil) != (want == nil) {
			t.Fatalf("decodeStrings(%q) = %#v, json.Unmarshal %#v", s, got, want)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("decodeStrings(%q) differs from json.Unmarshal (-json +decodeStrings):\n%s", s, diff)
		}
	})
}

// memberships returns the rows of ownership_team_members as
// "team/user", in order, and checks that each has its user's tenant.
func memberships(t *testing.T, s *Store) []string {
	t.Helper()
	var wrong int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ownership_team_members m
		LEFT JOIN ownership_users u ON u.id = m.user_id WHERE u.id IS NULL OR u.tenant <> m.tenant`).Scan(&wrong); err != nil || wrong != 0 {
		t.Errorf("%d memberships without their user's tenant, %v", wrong, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT team_id, user_id FROM ownership_team_members ORDER BY team_id, user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var team, user string
		if err := rows.Scan(&team, &user); err != nil {
			t.Fatal(err)
		}
		out = append(out, team+"/"+user)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// refuseTeam makes the database refuse a membership of the team
// "refused", after the user's row is written: a PutUser refused half way.
func refuseTeam(t *testing.T, s *Store) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER refuse_team BEFORE INSERT ON ownership_team_members
		WHEN NEW.team_id = 'refused' BEGIN SELECT RAISE(ABORT, 'team refused'); END`}
	if s.d == Postgres {
		stmts = []string{`CREATE FUNCTION refuse_team() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.team_id = 'refused' THEN RAISE EXCEPTION 'team refused'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER refuse_team BEFORE INSERT ON ownership_team_members
			FOR EACH ROW EXECUTE FUNCTION refuse_team()`}
	}
	for _, stmt := range stmts {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPutUserKeepsMemberships checks that PutUser keeps the team
// memberships in step with the user's teams, so that Who follows a move
// from team to team, and that a PutUser refused half way, on its own or
// in the host's transaction, leaves the user and its memberships as they
// were.
func TestPutUserKeepsMemberships(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		for _, tm := range []ownership.TeamID{"t1", "t2"} {
			if err := s.PutTeam(ctx, ownership.Team{ID: tm, Tenant: "acme"}); err != nil {
				t.Fatal(err)
			}
		}
		put := func(st *Store, id ownership.UserID, email string, teams ...ownership.TeamID) error {
			return st.PutUser(ctx, ownership.User{ID: id, Email: email, Roles: []string{"rep"}, Tenant: "acme", Teams: teams})
		}
		for _, u := range []struct {
			id    ownership.UserID
			teams []ownership.TeamID
		}{{"owner", []ownership.TeamID{"t1"}}, {"ann", []ownership.TeamID{"t1"}}, {"bob", []ownership.TeamID{"t2"}}} {
			if err := put(s, u.id, string(u.id)+"@acme", u.teams...); err != nil {
				t.Fatal(err)
			}
		}
		r := ownership.Record{Ref: ownership.MustRef("contact/c1"), Tenant: "acme",
			Ownership: ownership.MustList(ownership.Entry{UserID: "owner", Role: ownership.Owner})}
		if _, err := s.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
		p := ownership.MustPolicy(map[string]ownership.RoleDef{
			"rep": {Types: map[string]ownership.Permissions{"contact": {View: ownership.Own | ownership.Teammates}}},
		})
		check := func(wantMembers []string, wantAllowed ...ownership.UserID) {
			t.Helper()
			if diff := cmp.Diff(wantMembers, memberships(t, s)); diff != "" {
				t.Errorf("memberships (-want +got):\n%s", diff)
			}
			acc, err := s.Who(ctx, p, ownership.View, r.Ref)
			if err != nil {
				t.Fatal(err)
			}
			var allowed []ownership.UserID
			for _, d := range acc.Allowed {
				allowed = append(allowed, d.Subject)
			}
			if diff := cmp.Diff(wantAllowed, allowed); diff != "" {
				t.Errorf("Who allows (-want +got):\n%s", diff)
			}
		}
		check([]string{"t1/ann", "t1/owner", "t2/bob"}, "ann", "owner")

		// Ann moves to t2, Bob to t1 (named twice) and t2.
		if err := put(s, "ann", "ann@acme", "t2"); err != nil {
			t.Fatal(err)
		}
		if err := put(s, "bob", "bob@acme", "t1", "t2", "t1"); err != nil {
			t.Fatal(err)
		}
		check([]string{"t1/bob", "t1/owner", "t2/ann", "t2/bob"}, "bob", "owner")
		// Leaving every team leaves no membership.
		if err := put(s, "bob", "bob@acme"); err != nil {
			t.Fatal(err)
		}
		check([]string{"t1/owner", "t2/ann"}, "owner")
		if err := put(s, "bob", "bob@acme", "t1", "t2"); err != nil {
			t.Fatal(err)
		}
		// A member of another tenant is no teammate.
		if err := s.PutUser(ctx, ownership.User{ID: "cy", Roles: []string{"rep"}, Tenant: "other", Teams: []ownership.TeamID{"t1"}}); err != nil {
			t.Fatal(err)
		}
		check([]string{"t1/bob", "t1/cy", "t1/owner", "t2/ann", "t2/bob"}, "bob", "owner")
		if err := s.PutUser(ctx, ownership.User{ID: "cy", Roles: []string{"rep"}, Tenant: "acme", Teams: []ownership.TeamID{"t2"}}); err != nil {
			t.Fatal(err)
		}
		check([]string{"t1/bob", "t1/owner", "t2/ann", "t2/bob", "t2/cy"}, "bob", "owner")

		// A PutUser refused after the user's row is written changes nothing.
		refuseTeam(t, s)
		before := []string{"t1/bob", "t1/owner", "t2/ann", "t2/bob", "t2/cy"}
		if err := put(s, "bob", "new@acme", "t2", "refused"); err == nil || !strings.Contains(err.Error(), "team refused") {
			t.Fatalf("PutUser with a refused membership: %v, want the database's refusal", err)
		}
		if u, err := s.User(ctx, "bob"); err != nil || u.Email != "bob@acme" || !slices.Equal(u.Teams, []ownership.TeamID{"t1", "t2"}) {
			t.Errorf("after a refused PutUser, bob is %+v, %v; want him as he was", u, err)
		}
		check(before, "bob", "owner")

		// In the host's transaction, the refused PutUser is undone alone:
		// the transaction goes on and commits the rest.
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		host := s.InTx(tx)
		if err := put(host, "ann", "ann@acme", "t1"); err != nil {
			t.Fatal(err)
		}
		if err := put(host, "bob", "new@acme", "refused"); err == nil || !strings.Contains(err.Error(), "team refused") {
			t.Fatalf("PutUser with a refused membership in the host's transaction: %v, want the database's refusal", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if u, err := s.User(ctx, "bob"); err != nil || u.Email != "bob@acme" {
			t.Errorf("after a refused PutUser in a transaction, bob is %+v, %v; want him as he was", u, err)
		}
		check([]string{"t1/ann", "t1/bob", "t1/owner", "t2/bob", "t2/cy"}, "ann", "bob", "owner")
	})
}

// TestMigrationFillsMemberships checks that the migration to schema
// version 5 fills the team memberships from the teams already stored in
// the users' rows, once per team and user.
func TestMigrationFillsMemberships(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		for _, stmt := range []string{
			`DROP TABLE ownership_team_members`,
			`DELETE FROM ownership_schema_migrations WHERE version = 5`,
			`INSERT INTO ownership_users (id, tenant, teams) VALUES
				('ann', 'acme', '["t1", "t2"]'), ('bob', 'acme', '["t2", "t2"]'), ('cy', 'acme', NULL), ('dee', 'acme', '[]'),
				('it''s', 'other', '["t\"3", "ünï"]')`,
		} {
			if _, err := s.db.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		want := []string{`t"3/it's`, "t1/ann", "t2/ann", "t2/bob", "ünï/it's"}
		if diff := cmp.Diff(want, memberships(t, s)); diff != "" {
			t.Errorf("memberships after the migration (-want +got):\n%s", diff)
		}
	})
}
