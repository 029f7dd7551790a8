package inspect

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/ownershipkit/ownership"
)

// The pages' templates and stylesheet are embedded, so that the Handler
// serves them without files.
var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed templates/style.css
	styleCSS []byte
)

// templates holds each page's template, parsed with the layout once.
var templates = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"scope": func(s ownership.Scope) string { return s.String() },
		"join":  strings.Join,
		"title": pageTitle,
		"actions": func() []string {
			out := make([]string, len(actions))
			for i, a := range actions {
				out[i] = a.String()
			}
			return out
		},
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"index", "policy", "records", "record", "users", "user", "why", "error"} {
		t := template.Must(layout.Clone())
		out[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return out
}()

// layoutData is what the layout renders: the inspector's name and the
// page's content.
type layoutData struct {
	Inspector string
	Page      any
}

// render writes the named page with v through the layout.
func (h *Handler) render(w io.Writer, name string, v any) error {
	t, ok := templates[name]
	if !ok {
		return fmt.Errorf("inspect: no template %q", name)
	}
	return t.ExecuteTemplate(w, "layout.html", layoutData{Inspector: h.cfg.Title, Page: v})
}

// pageTitle is the title and single h1 of a page.
func pageTitle(v any) string {
	switch v := v.(type) {
	case indexPage:
		return v.Title
	case policyPage:
		return "Policy"
	case recordsPage:
		if v.Type != "" {
			return fmt.Sprintf("Records of type %s, page %d", v.Type, v.Page)
		}
		return fmt.Sprintf("Records, page %d", v.Page)
	case recordPage:
		return "Record " + v.Ref
	case usersPage:
		return fmt.Sprintf("Users, page %d", v.Page)
	case userPage:
		return "User " + v.User.ID
	case whyPage:
		if v.Decision != nil {
			what := v.Action + " " + v.Ref
			if v.Field != "" {
				what = v.Action + " field " + v.Field + " of " + v.Ref
			}
			if v.Decision.Allowed {
				return fmt.Sprintf("Why %s may %s", v.User, what)
			}
			return fmt.Sprintf("Why %s cannot %s", v.User, what)
		}
		return "Why (not)?"
	case *problem:
		return fmt.Sprintf("%s (%d)", v.Title, v.Status)
	}
	return "Inspector"
}
