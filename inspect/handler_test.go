package inspect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/inspect"
	"github.com/ownershipkit/ownership/memstore"
)

func TestNewRefuses(t *testing.T) {
	f := loadSeed(t, "crm")
	full := inspect.Config{Policy: f.seed.Policy(), Records: f.store, Users: f.store, Authorize: allow}
	for _, c := range []struct {
		name string
		mod  func(*inspect.Config)
		want error
	}{
		{"no authorize hook", func(c *inspect.Config) { c.Authorize = nil }, inspect.ErrNoAuthorize},
		{"no authorize hook, nothing else", func(c *inspect.Config) { *c = inspect.Config{} }, inspect.ErrNoAuthorize},
		{"no policy", func(c *inspect.Config) { c.Policy = nil }, ownership.ErrInvalid},
		{"no records", func(c *inspect.Config) { c.Records = nil }, ownership.ErrInvalid},
		{"no users", func(c *inspect.Config) { c.Users = nil }, ownership.ErrInvalid},
		{"negative page size", func(c *inspect.Config) { c.PageSize = -1 }, ownership.ErrInvalid},
		{"page size too large", func(c *inspect.Config) { c.PageSize = inspect.MaxPageSize + 1 }, ownership.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := full
			c.mod(&cfg)
			h, err := inspect.New(cfg)
			if !errors.Is(err, c.want) || h != nil {
				t.Errorf("got %v, %v; want nil, an error wrapping %v", h, err, c.want)
			}
		})
	}
}

// targets are a request to every page and to the stylesheet.
var targets = []string{
	"/", "/policy", "/records", "/records?type=contact", "/record?ref=contact/c3", "/users", "/user?id=rep1",
	"/why", "/why?user=rep1&action=update&ref=contact/c3", "/style.css", "/nosuch",
}

func TestAuthorizeComesFirst(t *testing.T) {
	f := loadSeed(t, "crm")
	calls := 0
	h := f.handler(t, func(c *inspect.Config) {
		c.Authorize = func(*http.Request) error { calls++; return errNotAdmin }
	})
	for _, method := range []string{"GET", "HEAD", "POST", "DELETE"} {
		for _, target := range targets {
			for _, accept := range []string{"", "application/json"} {
				before := calls
				got := get(t, h, method, target, accept)
				if got.code != http.StatusForbidden {
					t.Errorf("%s %s (Accept %q): got %d, want 403", method, target, accept, got.code)
				}
				if calls != before+1 {
					t.Errorf("%s %s: the hook ran %d times, want once", method, target, calls-before)
				}
				for _, secret := range []string{"rep1", "rep2", "c3", "sales_rep", "Raj"} {
					if strings.Contains(got.body, secret) {
						t.Errorf("%s %s: the refusal shows %q:\n%s", method, target, secret, got.body)
					}
				}
			}
		}
	}
	got := get(t, h, "GET", "/record?ref=contact/c3", "application/json")
	var p struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
	}
	if err := json.Unmarshal([]byte(got.body), &p); err != nil || p.Status != 403 {
		t.Errorf("got %q (%v), want a problem with status 403", got.body, err)
	}
	if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("got Content-Type %q, want application/problem+json", ct)
	}
}

func TestMethods(t *testing.T) {
	h := loadSeed(t, "crm").handler(t)
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		for _, target := range targets {
			got := get(t, h, method, target, "")
			if got.code != http.StatusMethodNotAllowed || got.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: got %d, Allow %q; want 405, Allow GET, HEAD", method, target, got.code, got.header.Get("Allow"))
			}
		}
	}
	for _, target := range targets[:len(targets)-1] {
		got := get(t, h, "HEAD", target, "")
		if got.code != http.StatusOK {
			t.Errorf("HEAD %s: got %d, want 200", target, got.code)
		}
	}
}

// pageCase is one page to fetch, and what its HTML title must be. The
// pages of the teams seed are served with its organisation.
type pageCase struct {
	seed, target, h1 string
}

var pageCases = []pageCase{
	{"crm", "/", "Access inspector"},
	{"crm", "/policy", "Policy"},
	{"crm", "/records", "Records, page 1"},
	{"crm", "/records?type=contact", "Records of type contact, page 1"},
	{"crm", "/record?ref=contact/c3", "Record contact/c3"},
	{"crm", "/users", "Users, page 1"},
	{"crm", "/user?id=rep1", "User rep1"},
	{"crm", "/why", "Why (not)?"},
	{"crm", "/why?user=rep1&action=update&ref=contact/c3", "Why rep1 cannot update contact/c3"},
	{"crm", "/why?user=rep1&action=claim&ref=contact/c2", "Why rep1 may claim contact/c2"},
	{"contracts", "/policy", "Policy"},
	{"contracts", "/record?ref=contract/k1", "Record contract/k1"},
	{"contracts", "/user?id=sue", "User sue"},
	{"contracts", "/why?user=amy&action=update&ref=contract/k2&field=amount", "Why amy cannot update field amount of contract/k2"},
	{"journey", "/record?ref=attachment/a1", "Record attachment/a1"},
	{"journey", "/why?user=695eb58adc6fea533b02a8c1&action=claim&ref=document/d1", "Why 695eb58adc6fea533b02a8c1 cannot claim document/d1"},
	{"journey", "/user?id=695eb58adc6fea533b02a8c2", "User 695eb58adc6fea533b02a8c2"},
	{"teams", "/record?ref=contact/c1", "Record contact/c1"},
	{"teams", "/record?ref=ticket/t1", "Record ticket/t1"},
	{"teams", "/user?id=olga", "User olga"},
	{"teams", "/user?id=dan", "User dan"},
	{"teams", "/why?user=eli&action=view&ref=contact/c1", "Why eli may view contact/c1"},
	{"teams", "/why?user=ada&action=view&ref=contact/g1", "Why ada cannot view contact/g1"},
}

// goldenName names the golden file of a page: its seed and target.
func goldenName(c pageCase) string {
	name := strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "-").Replace(strings.TrimPrefix(c.target, "/"))
	if name == "" {
		name = "index"
	}
	return c.seed + "_" + name + ".json.golden"
}

func TestPages(t *testing.T) {
	fixtures := map[string]fixture{}
	for _, s := range seeds {
		fixtures[s] = loadSeed(t, s)
	}
	for _, c := range pageCases {
		t.Run(c.seed+c.target, func(t *testing.T) {
			f := fixtures[c.seed]
			h := f.handler(t)
			if c.seed == "teams" {
				h = f.handler(t, f.withOrg)
			}
			page := get(t, h, "GET", c.target, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
			if page.code != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
				t.Fatalf("HTML: got %d %s, want 200 text/html:\n%s", page.code, page.header.Get("Content-Type"), page.body)
			}
			checkHTML(t, page.body)
			if got := h1Text(t, page.body); got != c.h1 {
				t.Errorf("h1: got %q, want %q", got, c.h1)
			}
			byQuery := get(t, h, "GET", withFormat(c.target), "")
			byAccept := get(t, h, "GET", c.target, "application/json")
			for _, r := range []response{byQuery, byAccept} {
				if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
					t.Fatalf("JSON: got %d %s, want 200 application/json:\n%s", r.code, r.header.Get("Content-Type"), r.body)
				}
			}
			if byQuery.body != byAccept.body {
				t.Errorf("?format=json and Accept: application/json differ:\n%s\n%s", byQuery.body, byAccept.body)
			}
			golden(t, goldenName(c), byQuery.body)
		})
	}
}

func TestStylesheet(t *testing.T) {
	got := get(t, loadSeed(t, "crm").handler(t), "GET", "/style.css", "")
	if got.code != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "text/css") || !strings.Contains(got.body, ":focus-visible") {
		t.Errorf("got %d %s, want 200 text/css with focus styles", got.code, got.header.Get("Content-Type"))
	}
}

func TestBadInput(t *testing.T) {
	h := loadSeed(t, "crm").handler(t)
	for _, c := range []struct {
		target string
		code   int
		detail string
	}{
		{"/record?ref=contact/c99", 404, "There is no record contact/c99."},
		{"/record", 400, "Name a record: ref=type/id."},
		{"/record?ref=c3", 400, `ref="c3" is not a record reference: want type/id.`},
		{"/user?id=nobody", 404, `There is no user "nobody".`},
		{"/user", 400, "Name a user: id=id."},
		{"/why?user=rep1&action=fly&ref=contact/c3", 400, `action="fly" is not an action: want one of view, update, delete, claim, reassign, manage_ownership.`},
		{"/why?user=nobody&action=view&ref=contact/c3", 404, `There is no user "nobody".`},
		{"/why?user=rep1&action=view&ref=contact/c99", 404, "There is no record contact/c99."},
		{"/why?user=rep1&action=view", 400, "Name a record: ref=type/id."},
		{"/records?page=0", 400, `page="0" is not a page number: want 1 or more.`},
		{"/records?page=x", 400, `page="x" is not a page number: want 1 or more.`},
		{"/records?type=a/b", 400, `type="a/b" is not a record type: it must have neither '/' nor '*'.`},
		{"/users?page=-1", 400, `page="-1" is not a page number: want 1 or more.`},
		{"/policy?format=xml", 400, `format="xml" is not a format: want html or json.`},
		{"/nosuch", 404, "No page here; start from the index."},
	} {
		t.Run(c.target, func(t *testing.T) {
			j := get(t, h, "GET", c.target, "application/json")
			var p struct {
				Type, Title, Detail string
				Status              int
			}
			if err := json.Unmarshal([]byte(j.body), &p); err != nil {
				t.Fatalf("JSON: %v:\n%s", err, j.body)
			}
			if j.code != c.code || p.Status != c.code || p.Detail != c.detail || p.Title == "" || p.Type != "about:blank" {
				t.Errorf("JSON: got %d %+v, want %d with detail %q", j.code, p, c.code, c.detail)
			}
			if ct := j.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("JSON: got Content-Type %q, want application/problem+json", ct)
			}
			page := get(t, h, "GET", c.target, "")
			if page.code != c.code || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
				t.Errorf("HTML: got %d %s, want %d text/html", page.code, page.header.Get("Content-Type"), c.code)
			}
			checkHTML(t, page.body)
			if want := fmt.Sprintf("%s (%d)", p.Title, c.code); h1Text(t, page.body) != want {
				t.Errorf("HTML: h1 %q, want %q", h1Text(t, page.body), want)
			}
		})
	}
}

// recordJSON is the part of the record page that the tests compare with
// the policy.
type recordJSON struct {
	Actions []struct {
		Action  string `json:"action"`
		Error   string `json:"error"`
		Allowed []struct {
			User, Explanation string
		} `json:"allowed"`
		Denied []struct {
			User, Reason, Explanation string
		} `json:"denied"`
	} `json:"actions"`
}

// whyJSON is the part of the why page that the tests compare with the
// policy.
type whyJSON struct {
	Decision struct {
		Allowed     bool   `json:"allowed"`
		Reason      string `json:"reason"`
		Explanation string `json:"explanation"`
		ForSubject  string `json:"for_subject"`
	} `json:"decision"`
}

// userJSON is the reach of the user page.
type userJSON struct {
	Reach []struct {
		Type    string `json:"type"`
		Action  string `json:"action"`
		Records int    `json:"records"`
		Allowed int    `json:"allowed"`
		Filter  string `json:"filter"`
	} `json:"reach"`
}

func decodeJSON(t *testing.T, h http.Handler, target string, v any) {
	t.Helper()
	got := get(t, h, "GET", withFormat(target), "")
	if got.code != 200 {
		t.Fatalf("%s: got %d:\n%s", target, got.code, got.body)
	}
	if err := json.Unmarshal([]byte(got.body), v); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
}

// TestAnswersEqualDecide checks every answer the inspector shows against
// the policy itself: for every seed, user, action and record, the record
// page lists the user as allowed exactly when Decide allows, with Decide's
// explanation; the why page shows Decide's answer in both voices; and the
// user page counts exactly the records Decide allows.
func TestAnswersEqualDecide(t *testing.T) {
	for _, name := range seeds {
		for _, org := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/org=%v", name, org), func(t *testing.T) {
				answersEqualDecide(t, loadSeed(t, name), org)
			})
		}
	}
}

// answersEqualDecide is TestAnswersEqualDecide for one seed, served with
// its organisation or without: the subjects to compare with are then the
// organisation's or User.Subject's.
func answersEqualDecide(t *testing.T, f fixture, org bool) {
	h := f.handler(t)
	subject := func(u ownership.User) ownership.Subject { return u.Subject() }
	if org {
		h = f.handler(t, f.withOrg)
		subject = func(u ownership.User) ownership.Subject {
			s, ok := f.seed.Org().Subject(u.ID)
			if !ok {
				t.Fatalf("the organisation lacks %s", u.ID)
			}
			return s
		}
	}
	p := f.seed.Policy()
	for _, raw := range f.seed.Records() {
		rec, _ := f.seed.Record(raw.Ref)
		var page recordJSON
		decodeJSON(t, h, "/record?ref="+url.QueryEscape(rec.Ref.String()), &page)
		if len(page.Actions) != 6 {
			t.Fatalf("%s: got %d actions, want 6", rec.Ref, len(page.Actions))
		}
		for _, acc := range page.Actions {
			a, err := ownership.ParseAction(acc.Action)
			if err != nil || acc.Error != "" {
				t.Fatalf("%s: action %q, error %q", rec.Ref, acc.Action, acc.Error)
			}
			shown := map[ownership.UserID]string{}
			for _, g := range acc.Allowed {
				shown[ownership.UserID(g.User)] = "allow " + g.Explanation
			}
			for _, d := range acc.Denied {
				shown[ownership.UserID(d.User)] = "deny " + d.Explanation
			}
			for _, id := range f.users() {
				u, _ := f.seed.User(id)
				d := p.Decide(subject(u), a, rec)
				want := "deny " + d.Explain()
				if d.Allowed {
					want = "allow " + d.Explain()
				}
				if shown[id] != want {
					t.Errorf("%s %s %s: the record page shows %q, want %q", id, a, rec.Ref, shown[id], want)
				}
				var why whyJSON
				decodeJSON(t, h, "/why?"+url.Values{"user": {string(id)}, "action": {a.String()}, "ref": {rec.Ref.String()}}.Encode(), &why)
				if why.Decision.Allowed != d.Allowed || why.Decision.Reason != d.Reason.String() ||
					why.Decision.Explanation != d.Explain() || why.Decision.ForSubject != d.ForSubject() {
					t.Errorf("%s %s %s: the why page shows %+v, want %v / %q", id, a, rec.Ref, why.Decision, d, d.ForSubject())
				}
			}
			if len(shown) != len(f.users()) {
				t.Errorf("%s %s: the record page shows %d users, want %d", a, rec.Ref, len(shown), len(f.users()))
			}
		}
	}
	for _, id := range f.users() {
		u, _ := f.seed.User(id)
		var page userJSON
		decodeJSON(t, h, "/user?id="+url.QueryEscape(string(id)), &page)
		for _, row := range page.Reach {
			a, _ := ownership.ParseAction(row.Action)
			var records, allowed int
			for _, raw := range f.seed.Records() {
				rec, _ := f.seed.Record(raw.Ref)
				if rec.Ref.Type != row.Type {
					continue
				}
				records++
				if p.Can(subject(u), a, rec) {
					allowed++
				}
			}
			if row.Records != records || row.Allowed != allowed {
				t.Errorf("%s %s %s: the user page counts %d of %d, want %d of %d", id, row.Action, row.Type, row.Allowed, row.Records, allowed, records)
			}
			if want := p.Filter(subject(u), a, row.Type).String(); row.Filter != want {
				t.Errorf("%s %s %s: filter %q, want %q", id, row.Action, row.Type, row.Filter, want)
			}
		}
	}
}

func TestPaging(t *testing.T) {
	h := loadSeed(t, "crm").handler(t, func(c *inspect.Config) { c.PageSize = 2 })
	type pg struct {
		Records []struct{ Ref string } `json:"records"`
		Users   []struct{ ID string }  `json:"users"`
		Prev    int                    `json:"prev"`
		Next    int                    `json:"next"`
	}
	for _, c := range []struct {
		target     string
		want       []string
		prev, next int
	}{
		{"/records", []string{"contact/c1", "contact/c2"}, 0, 2},
		{"/records?page=2", []string{"contact/c3", "contact/c4"}, 1, 0},
		{"/records?page=3", nil, 2, 0},
		{"/records?type=contact&page=2", []string{"contact/c3", "contact/c4"}, 1, 0},
		{"/records?type=lead", nil, 0, 0},
		{"/users", []string{"mia", "rep1"}, 0, 2},
		{"/users?page=2", []string{"rep2", "root"}, 1, 3},
		{"/users?page=3", []string{"sam"}, 2, 0},
	} {
		var got pg
		decodeJSON(t, h, c.target, &got)
		var refs []string
		for _, r := range got.Records {
			refs = append(refs, r.Ref)
		}
		for _, u := range got.Users {
			refs = append(refs, u.ID)
		}
		if !slices.Equal(refs, c.want) || got.Prev != c.prev || got.Next != c.next {
			t.Errorf("%s: got %v prev %d next %d, want %v prev %d next %d", c.target, refs, got.Prev, got.Next, c.want, c.prev, c.next)
		}
	}
	page := get(t, h, "GET", "/records?type=contact&page=2", "")
	if !strings.Contains(page.body, `href="?type=contact&amp;page=1"`) {
		t.Errorf("page 2 has no link to page 1:\n%s", page.body)
	}
}

// directory is a Directory that cannot list its users.
type directory struct{ st *memstore.Store }

func (d directory) User(ctx context.Context, id ownership.UserID) (ownership.User, error) {
	return d.st.User(ctx, id)
}

func (d directory) UserBy(ctx context.Context, field, value string) (ownership.User, error) {
	return d.st.UserBy(ctx, field, value)
}

// failingUsers is a directory whose listing fails after the first user.
type failingUsers struct{ directory }

var errDirectoryDown = errors.New("the directory went away")

func (d failingUsers) Users(ctx context.Context) iter.Seq2[ownership.User, error] {
	return func(yield func(ownership.User, error) bool) {
		for u, err := range d.st.Users(ctx) {
			if !yield(u, err) {
				return
			}
			yield(ownership.User{}, errDirectoryDown)
			return
		}
	}
}

// TestNeverPartial checks that a directory that cannot list its users, or
// fails while listing them, is shown as an error and never as a partial
// list of who may do what.
func TestNeverPartial(t *testing.T) {
	f := loadSeed(t, "crm")
	for _, c := range []struct {
		name  string
		users ownership.Directory
		want  string
	}{
		{"cannot list", directory{f.store}, "UserLister"},
		{"fails while listing", failingUsers{directory{f.store}}, errDirectoryDown.Error()},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := f.handler(t, func(cfg *inspect.Config) { cfg.Users = c.users })
			var page recordJSON
			decodeJSON(t, h, "/record?ref=contact/c3", &page)
			for _, acc := range page.Actions {
				if !strings.Contains(acc.Error, c.want) || len(acc.Allowed)+len(acc.Denied) != 0 {
					t.Errorf("%s: got error %q with %d users, want an error naming %q and no users", acc.Action, acc.Error, len(acc.Allowed)+len(acc.Denied), c.want)
				}
			}
			html := get(t, h, "GET", "/record?ref=contact/c3", "")
			if !strings.Contains(html.body, "No answer: ") {
				t.Errorf("the HTML page does not show the error:\n%s", html.body)
			}
		})
	}
	h := f.handler(t, func(cfg *inspect.Config) { cfg.Users = directory{f.store} })
	if got := get(t, h, "GET", "/users", "application/json"); got.code != http.StatusNotImplemented || !strings.Contains(got.body, "UserLister") {
		t.Errorf("users of a directory that cannot list: got %d %s, want 501 naming UserLister", got.code, got.body)
	}
	// A user's page needs no listing.
	if got := get(t, h, "GET", "/user?id=rep1", ""); got.code != 200 {
		t.Errorf("user page: got %d, want 200", got.code)
	}
}

// TestUserOutsideOrg: with an organisation, a user of the directory that
// the organisation lacks is a problem on the pages that decide for it,
// never a decision made without its teams, hierarchy and queues.
func TestUserOutsideOrg(t *testing.T) {
	f, other := loadSeed(t, "teams"), loadSeed(t, "crm")
	h := f.handler(t, func(c *inspect.Config) { c.Org = other.seed.Org() })
	for _, target := range []string{"/user?id=olga", "/why?user=olga&action=view&ref=contact/c1"} {
		got := get(t, h, "GET", target, "application/json")
		if got.code != http.StatusNotFound || !strings.Contains(got.body, "not in the organisation") {
			t.Errorf("%s: got %d %s, want 404 saying the user is not in the organisation", target, got.code, got.body)
		}
	}
}
