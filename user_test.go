package ownership

import "testing"

func TestUserField(t *testing.T) {
	u := User{ID: "u1", Login: "ann", Email: "Ann Lee <ann@x.io>", GivenName: "Ann", LastName: "Lee", Fields: map[string]string{"team": "north"}}
	for name, want := range map[string]string{
		"id": "u1", "login": "ann", "email": "Ann Lee <ann@x.io>", "given_name": "Ann",
		"last_name": "Lee", "full_name": "Ann Lee", "team": "north", "missing": "",
	} {
		got, ok := u.Field(name)
		if got != want || ok != (want != "") {
			t.Errorf("Field(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if got, _ := (User{LastName: "Lee"}).Field("full_name"); got != "Lee" {
		t.Errorf("full_name without given name = %q", got)
	}
	e := u.Entry(Follower)
	if e != (Entry{UserID: "u1", Role: Follower, Email: "Ann Lee <ann@x.io>", GivenName: "Ann", LastName: "Lee"}) {
		t.Errorf("Entry = %+v", e)
	}
	s := u.Subject()
	s.Roles = append(s.Roles, "x")
	if len(u.Roles) != 0 {
		t.Error("Subject shares the user's roles")
	}
}

func TestUserClone(t *testing.T) {
	u := User{ID: "u1", Roles: []string{"a"}, Skills: []string{"s"}, Fields: map[string]string{"team": "north"}}
	c := u.Clone()
	c.Roles[0], c.Skills[0], c.Fields["team"] = "x", "x", "x"
	if u.Roles[0] != "a" || u.Skills[0] != "s" || u.Fields["team"] != "north" {
		t.Errorf("Clone shares storage with the original: %+v", u)
	}
}
