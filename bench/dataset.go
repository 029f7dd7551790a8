package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/ownershipkit/ownership"
)

// The sizes of the data the benchmarks use, and the subject of
// BenchmarkFilter.
const (
	// checkSize is the number of records BenchmarkCheck draws from.
	checkSize = 1000
	// filterSize is the number of contacts BenchmarkFilter goes through.
	filterSize = 100_000
	// filterUser is the subject of BenchmarkFilter: a sales rep, whose
	// view scope is Own|Unassigned, so that the answer depends on every
	// record's list.
	filterUser = "rep01"
)

// User is a subject of the data set: an id and role names.
type User struct {
	ID    string
	Roles []string
}

// Users are the subjects the benchmarks and the equivalence test ask for:
// every role of the policy, a user with two roles, a user without roles
// and a user whose only role the policy does not define.
var Users = []User{
	{ID: "admin", Roles: []string{"admin"}},
	{ID: "mgr1", Roles: []string{"manager"}},
	{ID: "mgr2", Roles: []string{"manager", "sales_rep"}},
	{ID: "rep01", Roles: []string{"sales_rep"}},
	{ID: "rep02", Roles: []string{"sales_rep"}},
	{ID: "rep03", Roles: []string{"sales_rep"}},
	{ID: "rep04", Roles: []string{"sales_rep"}},
	{ID: "rep05", Roles: []string{"sales_rep"}},
	{ID: "guest", Roles: nil},
	{ID: "intern", Roles: []string{"intern"}},
}

// entrants are the ids that appear on ownership lists: most subjects, plus
// users of the host who never ask in the benchmarks (they only make lists
// longer and make records belong to someone else).
var entrants = []string{
	"mgr1", "mgr2", "rep01", "rep02", "rep03", "rep04", "rep05",
	"ext01", "ext02", "ext03", "ext04", "ext05", "ext06",
}

// Record is a record as a host application keeps it: a type, an id and
// the ids of its owners and followers, disjoint and without repeats. It is
// what Casbin's matcher gets; the ownership library gets the same data as
// an [ownership.Record] built by [Record.Ownership].
type Record struct {
	Type      string
	ID        string
	Owners    []string
	Followers []string
}

// Ownership converts r to the ownership library's form, building and
// normalising its list once, as a host does when it loads the record.
func (r *Record) Ownership() ownership.Record {
	es := make([]ownership.Entry, 0, len(r.Owners)+len(r.Followers))
	for _, id := range r.Owners {
		es = append(es, ownership.Entry{UserID: ownership.UserID(id), Role: ownership.Owner})
	}
	for _, id := range r.Followers {
		es = append(es, ownership.Entry{UserID: ownership.UserID(id), Role: ownership.Follower})
	}
	return ownership.Record{
		Ref:       ownership.Ref{Type: r.Type, ID: r.ID},
		Ownership: ownership.MustList(es...),
	}
}

// Records returns n records, the same for the same n on every run: four
// contacts for every document, so that the type of a grant matters; a
// quarter of them unassigned, half with one owner, a quarter with two; one
// to four followers each, so that a list holds one to six entries. Some
// unassigned records are followed by the subject, which puts them in its
// Own class for view only.
func Records(n int) []Record { return generate(n, true) }

// Contacts returns n contacts whose lists are drawn as in [Records]: the
// list a host filters for a list page.
func Contacts(n int) []Record { return generate(n, false) }

func generate(n int, documents bool) []Record {
	rng := rand.New(rand.NewPCG(2024, 11))
	recs := make([]Record, n)
	for i := range recs {
		r := &recs[i]
		r.Type, r.ID = "contact", fmt.Sprintf("c%06d", i)
		if documents && i%5 == 4 {
			r.Type, r.ID = "document", fmt.Sprintf("d%06d", i)
		}
		var owners int
		switch k := rng.IntN(4); {
		case k == 0:
			owners = 0
		case k == 3:
			owners = 2
		default:
			owners = 1
		}
		followers := 1 + rng.IntN(4)
		perm := rng.Perm(len(entrants))
		for j := range owners + followers {
			id := entrants[perm[j]]
			if j < owners {
				r.Owners = append(r.Owners, id)
			} else {
				r.Followers = append(r.Followers, id)
			}
		}
	}
	return recs
}
