package inspect_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/inspect"
	"github.com/ownershipkit/ownership/memstore"
)

// TestHostileInput stores users and records whose ids, names and fields
// are markup, quotes, script URLs and very long strings, and checks that
// every page escapes them: the raw text never reaches the HTML, no link
// runs script, and the JSON carries the values unchanged.
func TestHostileInput(t *testing.T) {
	const (
		markup = `<script>alert("x")</script>`
		quotes = `" onmouseover="alert(1)" x='`
		script = `javascript:alert(document.cookie)`
	)
	long := strings.Repeat("<b>long&", 2000)
	ctx := context.Background()
	st := memstore.New()
	users := []ownership.User{
		{ID: markup, GivenName: quotes, Email: script, Roles: []string{"rep", markup}},
		{ID: script, Login: long, Roles: []string{"rep"}},
		{ID: ownership.UserID(long), Roles: []string{"boss"}},
	}
	for _, u := range users {
		if err := st.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	recs := []ownership.Record{
		{Ref: ownership.Ref{Type: "note", ID: markup}, Ownership: ownership.MustList(ownership.Entry{UserID: markup, Role: ownership.Owner}), Fields: map[string]string{quotes: script}},
		{Ref: ownership.Ref{Type: "note", ID: script}, Ownership: ownership.MustList(ownership.Entry{UserID: script, Role: ownership.Owner})},
		{Ref: ownership.Ref{Type: "note", ID: quotes}, Parent: ownership.Ref{Type: "note", ID: script}, Mode: ownership.SyncWithParent,
			Ownership: ownership.MustList(ownership.Entry{UserID: script, Role: ownership.Owner})},
		{Ref: ownership.Ref{Type: "note", ID: long}},
	}
	for _, r := range recs {
		if _, err := st.CompareAndSwap(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"rep":  {Types: map[string]ownership.Permissions{"note": {View: ownership.Own, Update: ownership.Own}}},
		"boss": {Bypass: true},
	})
	h, err := inspect.New(inspect.Config{Policy: p, Records: st, Users: st, Authorize: allow})
	if err != nil {
		t.Fatal(err)
	}
	targets := []string{"/", "/policy", "/records", "/records?type=note", "/users"}
	for _, r := range recs {
		targets = append(targets, "/record?ref="+url.QueryEscape(r.Ref.String()))
	}
	for _, u := range users {
		id := string(u.ID)
		targets = append(targets, "/user?id="+url.QueryEscape(id),
			"/why?"+url.Values{"user": {id}, "action": {"update"}, "ref": {"note/" + markup}}.Encode(),
			"/why?"+url.Values{"user": {id}, "action": {"view"}, "ref": {"note/" + script}, "field": {quotes}}.Encode())
	}
	targets = append(targets, "/user?id="+url.QueryEscape(markup+"nobody"), "/why?"+url.Values{"user": {script}, "action": {markup}, "ref": {"note/x"}}.Encode())
	for _, target := range targets {
		page := get(t, h, "GET", target, "")
		if page.code != 200 && page.code != 404 && page.code != 400 {
			t.Errorf("%.80s: got %d", target, page.code)
		}
		checkHTML(t, page.body)
		for _, raw := range []string{markup, quotes, "<b>long&", `'alert`} {
			if strings.Contains(page.body, raw) {
				t.Errorf("%.80s: the page holds %q unescaped", target, raw)
			}
		}
		if strings.Contains(page.body, `href="javascript`) || strings.Contains(page.body, `action="javascript`) {
			t.Errorf("%.80s: a link or form runs script", target)
		}
		j := get(t, h, "GET", withFormat(target), "")
		if j.code != page.code {
			t.Errorf("%.80s: JSON got %d, HTML %d", target, j.code, page.code)
		}
	}
	// The escaped values are there, and the JSON holds them as they are.
	page := get(t, h, "GET", "/record?ref="+url.QueryEscape("note/"+markup), "")
	if !strings.Contains(page.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("the record page does not show the escaped id:\n%s", page.body)
	}
	var rec struct {
		ID     string `json:"id"`
		Fields []struct{ Name, Value string }
	}
	decodeJSON(t, h, "/record?ref="+url.QueryEscape("note/"+markup), &rec)
	if rec.ID != markup || len(rec.Fields) != 1 || rec.Fields[0].Name != quotes || rec.Fields[0].Value != script {
		t.Errorf("JSON: got %+v, want the id and field as stored", rec)
	}
}
