package ownership

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"testing"
)

// whoUsers yields users with the given roles, in order.
func whoUsers(us ...User) iter.Seq2[User, error] {
	return func(yield func(User, error) bool) {
		for _, u := range us {
			if !yield(u, nil) {
				return
			}
		}
	}
}

// TestWhoMatchesReference checks, over random policies, directories and
// records, that Who's allowed users are exactly those the reference model
// allows, and its denied users all the others.
func TestWhoMatchesReference(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(5, 6))}
	for range 300 {
		defs := g.defs()
		p, err := NewPolicy(defs)
		if err != nil {
			t.Fatal(err)
		}
		var dir []User
		for i, id := range genUsers {
			s := g.subject()
			dir = append(dir, User{ID: id, Roles: s.Roles, Inactive: i == 3})
		}
		for a := View; a <= ManageOwnership; a++ {
			r := g.record(genTypes[g.r.IntN(len(genTypes))])
			acc, err := p.Who(context.Background(), whoUsers(dir...), a, r)
			if err != nil {
				t.Fatal(err)
			}
			var want, got, denied []UserID
			for _, u := range dir {
				if refAllowed(defs, u.Subject(), a, r, "") {
					want = append(want, u.ID)
				}
			}
			for _, d := range acc.Allowed {
				got = append(got, d.Subject)
				if d.Basis() == "" {
					t.Errorf("allowed %v has no basis", d)
				}
			}
			for _, d := range acc.Denied {
				denied = append(denied, d.Subject)
				if d.Basis() != "" || d.Explain() == "" {
					t.Errorf("denied %v: basis %q", d, d.Basis())
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%v on %s %v: Who allows %v, the reference %v", a, r.Ref, r.Ownership, got, want)
			}
			if len(got)+len(denied) != len(dir) {
				t.Fatalf("Who answered for %d of %d users", len(got)+len(denied), len(dir))
			}
		}
	}
}

func TestWhoBasis(t *testing.T) {
	p := testPolicy(t)
	dir := []User{
		{ID: "root", Roles: []string{"admin"}},
		{ID: "boss", Roles: []string{"manager"}},
		{ID: "ann", Roles: []string{"journey_manager"}},
		{ID: "bob", Roles: []string{"journey_manager"}},
		{ID: "sam", Roles: []string{"support"}},
		{ID: "zed", Roles: []string{"journey_manager"}},
	}
	r := rec("contact/c1", own("ann"), follow("bob"))
	acc, err := p.Who(context.Background(), whoUsers(dir...), View, r)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range acc.Allowed {
		got = append(got, fmt.Sprintf("%s:%s", d.Subject, d.Basis()))
	}
	want := []string{"root:bypass", "boss:others' records", "ann:owner", "bob:follower"}
	if !slices.Equal(got, want) {
		t.Errorf("allowed %q, want %q", got, want)
	}
	if len(acc.Denied) != 2 || acc.Denied[0].Reason != ReasonViewScope {
		t.Errorf("denied %v", acc.Denied)
	}
	un := rec("contact/c2")
	acc, _ = p.Who(context.Background(), whoUsers(dir...), View, un)
	if d := acc.Allowed[len(acc.Allowed)-1]; d.Subject != "sam" || d.Basis() != "unassigned pool" {
		t.Errorf("last allowed on an unassigned contact: %s %q", d.Subject, d.Basis())
	}
}

// Who is never partial: an error of the directory ends it with no answer.
func TestWhoIsNeverPartial(t *testing.T) {
	p := testPolicy(t)
	boom := errors.New("directory down")
	users := func(yield func(User, error) bool) {
		if !yield(User{ID: "root", Roles: []string{"admin"}}, nil) {
			return
		}
		yield(User{}, boom)
	}
	acc, err := p.Who(context.Background(), users, View, rec("contact/c1"))
	if !errors.Is(err, boom) || acc.Allowed != nil || acc.Denied != nil {
		t.Errorf("got %v, %v; want the error and no answer", acc, err)
	}
	if _, err := p.WhoIn(context.Background(), plainDirectory{}, View, rec("contact/c1")); !errors.Is(err, ErrInvalid) {
		t.Errorf("WhoIn on a directory that cannot list: %v, want ErrInvalid", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Who(ctx, whoUsers(User{ID: "a"}), View, rec("contact/c1")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// plainDirectory looks users up but cannot list them.
type plainDirectory struct{}

func (plainDirectory) User(context.Context, UserID) (User, error) { return User{}, ErrNotFound }
func (plainDirectory) UserBy(context.Context, string, string) (User, error) {
	return User{}, ErrNotFound
}

// BenchmarkWho measures "who may view this contact, and why" over a
// directory of 10,000 users in memory.
func BenchmarkWho(b *testing.B) {
	p := testPolicy(b)
	roles := []string{"sales_rep", "support", "manager", "journey_manager"}
	dir := make([]User, 10_000)
	for i := range dir {
		dir[i] = User{ID: UserID(fmt.Sprintf("u%05d", i)), Roles: []string{roles[i%len(roles)]}}
	}
	r := rec("contact/c1", own("u00042"), follow("u00043"))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		acc, err := p.Who(context.Background(), whoUsers(dir...), View, r)
		if err != nil || len(acc.Allowed)+len(acc.Denied) != len(dir) {
			b.Fatal(err)
		}
	}
}
