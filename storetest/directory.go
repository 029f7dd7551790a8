package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ownershipkit/ownership"
)

// testUsers: users come back as they went in, are replaced whole by a
// second PutUser, and are copies.
func testUsers(t *testing.T, s ownership.Store) {
	w := userWriter(t, s)
	ann := ownership.User{
		ID: "u1", Login: "ann", Email: "Ann Lee <ann@x.io>", GivenName: "Ann", LastName: "Lee",
		Roles:  []string{"sales_rep", "admin"},
		Skills: []string{"es", "de"},
		Fields: map[string]string{"team": "north", "territory": "Île-de-France"},
	}
	putUser(t, w, ann)
	putUser(t, w, ownership.User{ID: "u2", Inactive: true})
	got, err := s.User(ctx, "u1")
	if err != nil {
		t.Fatalf("User(u1): %v", err)
	}
	if diff := cmp.Diff(ann, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("User(u1) (-want +got):\n%s", diff)
	}
	if got, err := s.User(ctx, "u2"); err != nil || !got.Inactive {
		t.Errorf("User(u2): got %+v, %v, want an inactive user", got, err)
	}
	_, err = s.User(ctx, "u3")
	wantErr(t, "User(u3)", err, ownership.ErrNotFound)
	_, err = s.User(ctx, "U1")
	wantErr(t, "User(U1): ids are case-sensitive", err, ownership.ErrNotFound)
	wantErr(t, "PutUser without id", w.PutUser(ctx, ownership.User{Login: "x"}), ownership.ErrInvalid)

	// Copies: neither the caller's slices and maps nor returned ones
	// share anything with the store.
	ann.Roles[0], ann.Fields["team"] = "changed", "changed"
	got.Roles[1], got.Skills[0], got.Fields["team"] = "changed", "changed", "changed"
	again, _ := s.User(ctx, "u1")
	if again.Roles[0] != "sales_rep" || again.Roles[1] != "admin" || again.Skills[0] != "es" || again.Fields["team"] != "north" {
		t.Errorf("a caller changed a stored user: %+v", again)
	}

	// A second PutUser replaces the user whole.
	putUser(t, w, ownership.User{ID: "u1", Login: "ann2"})
	got, _ = s.User(ctx, "u1")
	if diff := cmp.Diff(ownership.User{ID: "u1", Login: "ann2"}, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("User(u1) after replacement (-want +got):\n%s", diff)
	}
	if _, err := s.UserBy(ctx, "login", "ann"); err == nil {
		t.Errorf("UserBy(login, ann) still finds the replaced user")
	}
}

// testUserBy: UserBy compares the named field exactly (case, spaces and
// wildcards included), and several matches are ErrAmbiguous (never
// ErrConflict) naming the users.
func testUserBy(t *testing.T, s ownership.Store) {
	w := userWriter(t, s)
	for _, u := range []ownership.User{
		{ID: "u1", Login: "ann", Email: "ann@x.io", GivenName: "Ann", LastName: "Lee", Fields: map[string]string{"team": "north", "desk": "a%"}},
		{ID: "u2", Login: "bob", Email: "bob@x.io", GivenName: "Bob", Fields: map[string]string{"team": "north", "desk": "abc"}},
		{ID: "u3", Login: "a_n", Email: "ANN@x.io", LastName: "Lee", Fields: map[string]string{"team": "south"}},
		{ID: "u4", Login: "cat", Email: "cat@x.io", Fields: map[string]string{"email": "shadow@x.io", "login": "shadow"}},
	} {
		putUser(t, w, u)
	}
	found := []struct{ field, value, want string }{
		{"id", "u2", "u2"},
		{"login", "ann", "u1"},
		{"login", "a_n", "u3"},
		{"email", "ann@x.io", "u1"},
		{"email", "ANN@x.io", "u3"},
		{"given_name", "Bob", "u2"},
		{"full_name", "Ann Lee", "u1"},
		{"full_name", "Bob", "u2"},
		{"full_name", "Lee", "u3"},
		{"team", "south", "u3"},
		{"desk", "a%", "u1"},
		{"desk", "abc", "u2"},
		// Named fields win over Fields entries of the same name.
		{"email", "cat@x.io", "u4"},
	}
	for _, c := range found {
		u, err := s.UserBy(ctx, c.field, c.value)
		if err != nil || string(u.ID) != c.want {
			t.Errorf("UserBy(%q, %q): got %q, %v, want %s", c.field, c.value, u.ID, err, c.want)
		}
	}
	notFound := []struct{ field, value string }{
		{"login", "Ann"},     // case matters
		{"login", "ann "},    // spaces matter
		{"login", "a%"},      // no wildcards
		{"login", "a_b"},     // no wildcards
		{"login", "_nn"},     // no wildcards
		{"desk", "a_c"},      // no wildcards in Fields either
		{"desk", "%"},        // no wildcards in Fields either
		{"email", "ann@x"},   // no prefixes
		{"full_name", "Ann"}, // Ann has a last name
		{"full_name", " Lee"},
		{"team", "east"},
		{"nosuchfield", "x"},
		{"login", ""}, // an empty value never matches
		{"given_name", ""},
		{"email", "shadow@x.io"}, // Fields cannot shadow a named field
		{"login", "shadow"},
	}
	for _, c := range notFound {
		u, err := s.UserBy(ctx, c.field, c.value)
		if !errors.Is(err, ownership.ErrNotFound) {
			t.Errorf("UserBy(%q, %q): got %q, %v, want ErrNotFound", c.field, c.value, u.ID, err)
		}
	}
	for _, c := range []struct {
		field, value string
		ids          []string
	}{
		{"team", "north", []string{"u1", "u2"}},
		{"last_name", "Lee", []string{"u1", "u3"}},
	} {
		_, err := s.UserBy(ctx, c.field, c.value)
		// Ambiguity is a fact about the directory, not a lost race: it must
		// not look like ErrConflict, which callers retry on.
		wantErr(t, "UserBy("+c.field+", "+c.value+")", err, ownership.ErrAmbiguous)
		if errors.Is(err, ownership.ErrConflict) {
			t.Errorf("UserBy(%q, %q): error %v wraps ErrConflict; an ambiguous lookup is not a compare-and-swap failure", c.field, c.value, err)
		}
		if err != nil && !containsAll(err.Error(), c.ids...) {
			t.Errorf("UserBy(%q, %q): error %q does not name %v", c.field, c.value, err, c.ids)
		}
	}
}
