package inspect_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkHTML parses a page and checks what every page must have: one h1,
// headings that never skip a level, a skip link to the main content, a
// label for every input and select, a scope on every th, and no link or
// form target that runs script.
func checkHTML(t *testing.T, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	for _, problem := range htmlProblems(doc) {
		t.Error(problem)
	}
}

// htmlProblems lists what checkHTML finds wrong with doc.
func htmlProblems(doc *html.Node) []string {
	var (
		problems  []string
		h1s, last int
		labels    = map[string]bool{}
		controls  []string
		skip, mn  bool
	)
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attr := func(k string) (string, bool) {
			for _, a := range n.Attr {
				if a.Key == k {
					return a.Val, true
				}
			}
			return "", false
		}
		switch n.Data {
		case "h1", "h2", "h3", "h4", "h5", "h6":
			level := int(n.Data[1] - '0')
			if level == 1 {
				h1s++
			}
			if level > last+1 {
				problems = append(problems, fmt.Sprintf("heading %s follows h%d: a level is skipped", n.Data, last))
			}
			last = level
		case "label":
			if f, ok := attr("for"); ok {
				labels[f] = true
			}
		case "input", "select", "textarea":
			if typ, _ := attr("type"); typ == "hidden" {
				continue
			}
			id, _ := attr("id")
			controls = append(controls, id)
		case "th":
			if s, ok := attr("scope"); !ok || (s != "col" && s != "row") {
				problems = append(problems, "a th without scope col or row")
			}
		case "a":
			href, _ := attr("href")
			if href == "#main" && !skip {
				skip = true
			}
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(href)), "javascript:") {
				problems = append(problems, fmt.Sprintf("a link runs script: %q", href))
			}
		case "form":
			action, _ := attr("action")
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(action)), "javascript:") {
				problems = append(problems, fmt.Sprintf("a form runs script: %q", action))
			}
		case "main":
			if id, _ := attr("id"); id == "main" {
				mn = true
			}
		case "script":
			problems = append(problems, "the page has a script element")
		}
	}
	if h1s != 1 {
		problems = append(problems, fmt.Sprintf("got %d h1 elements, want 1", h1s))
	}
	for _, id := range controls {
		if id == "" || !labels[id] {
			problems = append(problems, fmt.Sprintf("form control %q has no label", id))
		}
	}
	if !skip || !mn {
		problems = append(problems, "no skip link to main#main")
	}
	return problems
}

// h1Text returns the text of the page's first h1.
func h1Text(t *testing.T, page string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "h1" {
			var b strings.Builder
			for c := range n.Descendants() {
				if c.Type == html.TextNode {
					b.WriteString(c.Data)
				}
			}
			return b.String()
		}
	}
	return ""
}
