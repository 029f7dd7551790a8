package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/inspect"
	"github.com/ownershipkit/ownership/seed"
)

// browsers are the names a Chromium binary goes by.
var browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// findBrowser returns the path of a Chromium binary, or skips the test
// when there is none, unless OWNERSHIP_REQUIRE_BROWSER is set (as CI sets
// it): then a missing browser fails the test.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browsers {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("no Chromium binary on PATH (looked for %v); install one (Debian: apt-get install chromium)", browsers)
	if os.Getenv("OWNERSHIP_REQUIRE_BROWSER") != "" {
		t.Fatal(msg + "; OWNERSHIP_REQUIRE_BROWSER is set, so the browser tests must run")
	}
	t.Skip(msg + "; set OWNERSHIP_REQUIRE_BROWSER to make this a failure")
	return ""
}

// artifacts returns the directory the screenshots go to:
// $OWNERSHIP_ARTIFACTS/inspector when it is set, else a new temporary
// directory that outlives the test. Either way the log names it.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("OWNERSHIP_ARTIFACTS")
	var err error
	if dir != "" {
		dir = filepath.Join(dir, "inspector")
		err = os.MkdirAll(dir, 0o755)
	} else {
		dir, err = os.MkdirTemp("", "ownership-inspector-")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser starts one headless Chromium for the test and returns a context
// to open tabs from.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1000, 900),
	)
	t.Cleanup(cancelAlloc)
	b, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(b); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	return b
}

// serve mounts the inspector over be under /inspect/, as a host would,
// and returns its URL.
func serve(t *testing.T, s *seed.Seed, be backend) string {
	t.Helper()
	h, err := inspect.New(inspect.Config{
		Policy: s.Policy(), Records: be.records, Users: be.users,
		Authorize: func(r *http.Request) error { return nil }, // the test server is the only client
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/inspect/", http.StripPrefix("/inspect", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/inspect/"
}

// TestInspectorInBrowser clicks through the inspector in Chromium over the
// CRM seed, in a memstore and in SQLite: index, records, a record, one of
// its users, that user's why form; it checks that the pages show what
// Policy.Decide answers, that the keyboard reaches the form, and saves a
// screenshot of each page.
func TestInspectorInBrowser(t *testing.T) {
	b := browser(t)
	dir := artifacts(t)
	s := readSeed(t, "crm")
	for _, be := range []backend{memBackend(t, s), sqliteBackend(t, s)} {
		t.Run(be.name, func(t *testing.T) {
			tab, cancel := chromedp.NewContext(b)
			defer cancel()
			if err := chromedp.Do(tab); err != nil { // opens the tab, for the tab's lifetime
				t.Fatal(err)
			}
			c := &clicker{t: t, ctx: tab, dir: filepath.Join(dir, be.name)}
			if err := os.MkdirAll(c.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			base := serve(t, s, be)
			clickThrough(c, s, base)
			keyboard(c, s, base)
			for _, p := range []struct{ name, target string }{
				{"policy", "policy"},
				{"users", "users"},
				{"synced-error", "record?ref=contact/nosuch"},
			} {
				c.do(chromedp.Navigate(base + p.target))
				c.shot(p.name)
			}
		})
	}
}

// clicker runs browser actions for a test, failing it on the first error.
type clicker struct {
	t   *testing.T
	ctx context.Context
	dir string
}

// stepTimeout bounds one step, so that a selector that matches nothing
// fails the test instead of waiting for the browser's whole deadline.
const stepTimeout = 15 * time.Second

func (c *clicker) do(steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		c.t.Fatal(err)
	}
}

// follow clicks the element sel selects and waits for the page it opens.
func (c *clicker) follow(sel string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("following %s: %v", sel, err)
	}
	if resp.Status != http.StatusOK {
		c.t.Fatalf("following %s: got %d, want 200", sel, resp.Status)
	}
}

func run[T any](c *clicker, a chromedp.Action[T]) T {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		c.t.Fatal(err)
	}
	return v
}

// h1 returns the page's heading.
func (c *clicker) h1() string {
	c.t.Helper()
	return run(c, chromedp.Text(chromedp.CSS("h1")))
}

// shot saves a screenshot of the whole page as name.png.
func (c *clicker) shot(name string) {
	c.t.Helper()
	png := run(c, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(c.dir, name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// texts returns the text of every element sel selects.
func texts(c *clicker, sel string) []string {
	c.t.Helper()
	return run(c, chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll(%q), e => e.textContent.trim())`, sel)))
}

// decide answers as the policy does for a seed user.
func decide(t *testing.T, s *seed.Seed, id ownership.UserID, a ownership.Action, ref string) ownership.Decision {
	t.Helper()
	u, ok := s.User(id)
	r, found := s.Record(ownership.MustRef(ref))
	if !ok || !found {
		t.Fatalf("the seed has no user %s or record %s", id, ref)
	}
	return s.Policy().Decide(u.Subject(), a, r)
}

func clickThrough(c *clicker, s *seed.Seed, base string) {
	t := c.t
	c.do(chromedp.Navigate(base))
	if got := c.h1(); got != "Access inspector" {
		t.Errorf("index: h1 %q", got)
	}
	c.shot("index")

	c.follow(`a[href="records?type=contact"]`)
	if got := c.h1(); got != "Records of type contact, page 1" {
		t.Errorf("records: h1 %q", got)
	}
	c.shot("records")

	c.follow(`a[href="record?ref=contact%2fc3"]`)
	if got := c.h1(); got != "Record contact/c3" {
		t.Fatalf("record: h1 %q", got)
	}
	for _, a := range []ownership.Action{ownership.View, ownership.Update, ownership.Delete, ownership.Claim, ownership.Reassign, ownership.ManageOwnership} {
		var want []string
		for _, u := range s.Users() {
			if decide(t, s, u.ID, a, "contact/c3").Allowed {
				want = append(want, string(u.ID))
			}
		}
		got := texts(c, fmt.Sprintf("#allowed-%s tbody th", a))
		if !slices.Equal(got, want) {
			t.Errorf("record page, %s: shows %v allowed, Decide allows %v", a, got, want)
		}
	}
	c.shot("record")
	c.do(chromedp.EmulateViewport(1000, 1100))
	if err := os.WriteFile(filepath.Join(c.dir, "record-top.png"), run(c, chromedp.CaptureScreenshot()), 0o644); err != nil {
		t.Fatal(err)
	}

	c.follow(`table[id="denied-update"] a[href="user?id=rep1"]`)
	if got := c.h1(); got != "User rep1" {
		t.Fatalf("user: h1 %q", got)
	}
	c.shot("user")

	// The user page's why form: pick the action, type the record, submit.
	c.do(
		chromedp.SetValue(chromedp.ID("user-why-action"), "update"),
		chromedp.SendKeys(chromedp.ID("user-why-ref"), "contact/c3"),
	)
	c.follow(`form[action="why"] button[type="submit"]`)
	checkWhy(c, decide(t, s, "rep1", ownership.Update, "contact/c3"))
	c.shot("why")
}

// checkWhy compares the why page on screen with d.
func checkWhy(c *clicker, d ownership.Decision) {
	c.t.Helper()
	if got := run(c, chromedp.Text(chromedp.ID("explanation"))); got != d.Explain() {
		c.t.Errorf("why page, for the administrator: got %q, want %q", got, d.Explain())
	}
	if got := run(c, chromedp.Text(chromedp.ID("for-subject"))); got != d.ForSubject() {
		c.t.Errorf("why page, for the user: got %q, want %q", got, d.ForSubject())
	}
	verdict := "Denied"
	if d.Allowed {
		verdict = "Allowed"
	}
	if got := run(c, chromedp.Text(chromedp.CSS("#verdict strong"))); got != verdict {
		c.t.Errorf("why page: verdict %q, want %q", got, verdict)
	}
}

// keyboard checks that the why form is reachable and usable with the
// keyboard alone: the first Tab lands on the skip link, further Tabs reach
// the user field, and typing and Enter submit the form.
func keyboard(c *clicker, s *seed.Seed, base string) {
	t := c.t
	c.do(chromedp.Navigate(base + "why"))
	focused := func() string {
		return run(c, chromedp.Evaluate[string](`(document.activeElement.id || document.activeElement.textContent || "").trim()`))
	}
	c.do(chromedp.KeyEvent(kb.Tab))
	if got := focused(); got != "Skip to content" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	var path []string
	for range 12 {
		c.do(chromedp.KeyEvent(kb.Tab))
		path = append(path, focused())
		if path[len(path)-1] == "why-user" {
			break
		}
	}
	if path[len(path)-1] != "why-user" {
		t.Fatalf("Tab never reached the user field; it went %q", path)
	}
	outline := run(c, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`))
	if outline == "none" || outline == "" {
		t.Errorf("the focused field has no visible outline (outline-style %q)", outline)
	}
	c.do(chromedp.KeyEvent("rep2"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if got := focused(); got != "why-ref" {
		t.Fatalf("two Tabs after the user field focus %q, want the record field", got)
	}
	c.do(chromedp.KeyEvent("contact/c1"))
	if _, err := chromedp.RunResponse(c.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	checkWhy(c, decide(t, s, "rep2", ownership.View, "contact/c1"))
	c.shot("why-keyboard")
}
