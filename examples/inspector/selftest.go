package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// maxPages bounds the self-test's crawl.
const maxPages = 2000

// link is an href in a page.
var link = regexp.MustCompile(`href="([^"#]*)`)

// selfTest fetches every page reachable by links from the root, each as
// HTML and as JSON, and fails unless every one answers 200.
func selfTest(ctx context.Context, root string, out io.Writer) error {
	client := &http.Client{Timeout: 10 * time.Second}
	seen := map[string]bool{root: true}
	queue := []string{root}
	var failed []string
	fetched := 0
	for len(queue) > 0 {
		if len(seen) > maxPages {
			return fmt.Errorf("more than %d pages: the links do not end", maxPages)
		}
		page := queue[0]
		queue = queue[1:]
		body, code, err := fetch(ctx, client, page, "text/html")
		if err != nil {
			return err
		}
		fetched++
		if code != http.StatusOK {
			failed = append(failed, fmt.Sprintf("%s: %d", page, code))
			continue
		}
		if page != root && !strings.HasSuffix(page, ".css") {
			_, jcode, err := fetch(ctx, client, page, "application/json")
			if err != nil {
				return err
			}
			fetched++
			if jcode != http.StatusOK {
				failed = append(failed, fmt.Sprintf("%s as JSON: %d", page, jcode))
			}
		}
		base, _ := url.Parse(page)
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			u, err := base.Parse(html.UnescapeString(m[1]))
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s: bad link %q", page, m[1]))
				continue
			}
			next := u.String()
			if strings.HasPrefix(next, root) && !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	fmt.Fprintf(out, "selftest: %d pages, %d requests (HTML and JSON), %d failed\n", len(seen), fetched, len(failed))
	if len(failed) > 0 {
		return fmt.Errorf("selftest: %d pages failed: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// fetch gets one page, asking for the media type accept.
func fetch(ctx context.Context, client *http.Client, page, accept string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", page, nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}
