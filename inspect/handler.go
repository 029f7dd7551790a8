package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"mime"
	"net/http"
	"strings"

	"github.com/ownershipkit/ownership"
)

// ErrNoAuthorize is the error of [New] for a Config without an Authorize
// hook: an inspector shows every user's access, so it is never served
// without the host's own check.
var ErrNoAuthorize = errors.New("ownership: inspect: Config.Authorize is nil; pass the host's administrator check (func(*http.Request) error)")

// Records is what the inspector reads records through: one by reference,
// and every record of a type, in ref order. *memstore.Store implements
// it; for other stores, an adapter of a few lines does.
type Records interface {
	// Get returns the record named by ref, or an error wrapping
	// [ownership.ErrNotFound].
	Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error)
	// All lists every record of recordType ("" for every type), in ref
	// order.
	All(ctx context.Context, recordType string) iter.Seq2[ownership.Record, error]
}

// Page sizes of the lists.
const (
	// DefaultPageSize is the page size of a Config whose PageSize is 0.
	DefaultPageSize = 50
	// MaxPageSize is the largest page size.
	MaxPageSize = 1000
)

// Config is what [New] builds a Handler from. Policy, Records, Users and
// Authorize are required.
type Config struct {
	// Policy decides every answer the inspector shows.
	Policy *ownership.Policy
	// Records reads the records.
	Records Records
	// Users is the user directory. The record page and the user list need
	// it to list its users ([ownership.UserLister]); a directory that
	// cannot is shown as an error there, never as a partial answer.
	Users ownership.Directory
	// Authorize is the host's check that the request comes from an
	// administrator. It is called first, for every request: a non-nil
	// error is answered 403 and nothing is read. It is called from the
	// goroutines of concurrent requests.
	Authorize func(r *http.Request) error
	// PageSize is the number of records or users on one page of a list:
	// 0 means DefaultPageSize; it must not be negative or more than
	// MaxPageSize.
	PageSize int
	// Title names the inspector in the pages' titles and headings; ""
	// means "Access inspector".
	Title string
	// Org, when set, is the organisation of the users: the subjects of
	// decisions come from [ownership.Org.Subject], with their teammates,
	// reports and queues, and the record page's lists of who may act from
	// [ownership.Org.Who], over the organisation's users. Users still
	// finds the users and lists them; a user it has that Org lacks is
	// shown as a problem, never decided without its organisation. When
	// nil, subjects are [ownership.User.Subject] (tenant and queues, no
	// teams or hierarchy).
	Org *ownership.Org
}

// Handler is the inspector; see the package documentation for its pages.
// It is safe for concurrent use: it holds nothing that a request changes.
type Handler struct {
	cfg   Config
	pages map[string]page
}

// page is one route: it builds the content of the page, which the Handler
// writes as JSON or through the named template.
type page struct {
	template string
	build    func(h *Handler, r *http.Request) (any, *problem)
}

// New checks cfg and returns its Handler. A missing Authorize hook is
// [ErrNoAuthorize]; a missing policy, store or directory, or a page size
// out of range, is an error wrapping [ownership.ErrInvalid].
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Authorize == nil:
		return nil, ErrNoAuthorize
	case cfg.Policy == nil:
		return nil, fmt.Errorf("%w: inspect: Config.Policy is nil", ownership.ErrInvalid)
	case cfg.Records == nil:
		return nil, fmt.Errorf("%w: inspect: Config.Records is nil", ownership.ErrInvalid)
	case cfg.Users == nil:
		return nil, fmt.Errorf("%w: inspect: Config.Users is nil", ownership.ErrInvalid)
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return nil, fmt.Errorf("%w: inspect: Config.PageSize %d: want 0 to %d", ownership.ErrInvalid, cfg.PageSize, MaxPageSize)
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Title == "" {
		cfg.Title = "Access inspector"
	}
	h := &Handler{cfg: cfg, pages: map[string]page{
		"/":        {"index", (*Handler).index},
		"/policy":  {"policy", (*Handler).policy},
		"/records": {"records", (*Handler).records},
		"/record":  {"record", (*Handler).record},
		"/users":   {"users", (*Handler).users},
		"/user":    {"user", (*Handler).user},
		"/why":     {"why", (*Handler).why},
	}}
	return h, nil
}

// ServeHTTP authorizes the request, then answers it: a page as HTML or
// JSON, the stylesheet, or a problem.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	asJSON, formatErr := wantsJSON(r)
	if err := h.cfg.Authorize(r); err != nil {
		h.fail(w, asJSON, &problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: "This inspector is for administrators; the request was not authorized."})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		h.fail(w, asJSON, &problem{Status: http.StatusMethodNotAllowed, Title: "Method not allowed", Detail: "The inspector only reads: use GET or HEAD."})
		return
	}
	if r.URL.Path == "/style.css" {
		hdr.Set("Content-Type", "text/css; charset=utf-8")
		w.Write(styleCSS)
		return
	}
	pg, ok := h.pages[r.URL.Path]
	if !ok {
		h.fail(w, asJSON, notFound("No page here; start from the index."))
		return
	}
	if formatErr != nil {
		h.fail(w, asJSON, badRequest(formatErr.Error()))
		return
	}
	v, prob := pg.build(h, r)
	if prob != nil {
		if errors.Is(r.Context().Err(), context.Canceled) {
			return // the client has gone: nobody reads the answer
		}
		h.fail(w, asJSON, prob)
		return
	}
	if asJSON {
		writeJSON(w, http.StatusOK, "application/json", v)
		return
	}
	h.writeHTML(w, http.StatusOK, pg.template, v)
}

// wantsJSON reports whether r asks for JSON: ?format=json, or an Accept
// header that lists application/json and not text/html. An unknown
// format is an error, answered in HTML unless the header asks for JSON.
func wantsJSON(r *http.Request) (bool, error) {
	var jsonOK, htmlOK bool
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json", "application/problem+json":
			jsonOK = true
		case "text/html", "application/xhtml+xml":
			htmlOK = true
		}
	}
	switch f := r.URL.Query().Get("format"); f {
	case "json":
		return true, nil
	case "html":
		return false, nil
	case "":
		return jsonOK && !htmlOK, nil
	default:
		return jsonOK && !htmlOK, fmt.Errorf("format=%q is not a format: want html or json.", f)
	}
}

// writeJSON writes v, indented, with the status.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		contentType = problemType
		b, _ = json.Marshal(internal(err))
	}
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeHTML renders the named page with v into a buffer first, so that a
// template error is a 500 rather than half a page.
func (h *Handler) writeHTML(w http.ResponseWriter, status int, name string, v any) {
	var buf bytes.Buffer
	if err := h.render(&buf, name, v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		if h.render(&buf, "error", internal(err)) != nil {
			http.Error(w, "inspect: cannot render the page", status)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail writes p as problem JSON or as the HTML error page.
func (h *Handler) fail(w http.ResponseWriter, asJSON bool, p *problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if asJSON {
		writeJSON(w, p.Status, problemType, p)
		return
	}
	h.writeHTML(w, p.Status, "error", p)
}
