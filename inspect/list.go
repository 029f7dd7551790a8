package inspect

import (
	"fmt"
	"net/http"

	"github.com/ownershipkit/ownership"
)

// indexPage is the index: the pages, and the record types to list.
type indexPage struct {
	Title string      `json:"title"`
	Pages []indexLink `json:"pages"`
	// Types are the record types the policy names, each with a link to
	// its records.
	Types []string `json:"types"`
}

type indexLink struct {
	Href  string `json:"href"`
	Title string `json:"title"`
	About string `json:"about"`
}

func (h *Handler) index(*http.Request) (any, *problem) {
	return indexPage{
		Title: h.cfg.Title,
		Pages: []indexLink{
			{"policy", "Policy", "Every role's scopes, claim and reassign, bypass and field rules, per record type."},
			{"records", "Records", "Every record, with its owners; each links to who may do what to it."},
			{"users", "Users", "Every user of the directory; each links to what the user can reach."},
			{"why", "Why (not)?", "Ask why a user may or may not do an action to a record."},
		},
		Types: h.policyTypes(),
	}, nil
}

// pager is the position of one page in a list.
type pager struct {
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
	// Prev and Next are the numbers of the neighbouring pages, 0 when
	// there is none.
	Prev int `json:"prev,omitempty"`
	Next int `json:"next,omitempty"`
}

// pager returns the position of page n, which more pages follow or not.
func (h *Handler) pager(n int, more bool) pager {
	p := pager{Page: n, PageSize: h.cfg.PageSize}
	if n > 1 {
		p.Prev = n - 1
	}
	if more {
		p.Next = n + 1
	}
	return p
}

// recordsPage is one page of the records of a type, or of every type.
type recordsPage struct {
	Type    string       `json:"type,omitempty"`
	Records []recordItem `json:"records"`
	pager
}

type recordItem struct {
	Ref       string   `json:"ref"`
	Mode      string   `json:"mode"`
	Parent    string   `json:"parent,omitempty"`
	Owners    []string `json:"owners"`
	Followers []string `json:"followers"`
}

// usersPage is one page of the users of the directory.
type usersPage struct {
	Users []userView `json:"users"`
	pager
}

func ids(us []ownership.UserID) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = string(u)
	}
	return out
}

func (h *Handler) records(r *http.Request) (any, *problem) {
	n, prob := pageParam(r)
	if prob != nil {
		return nil, prob
	}
	t := r.URL.Query().Get("type")
	if t != "" && !ownership.ValidType(t) {
		return nil, badRequest(fmt.Sprintf("type=%q is not a record type: it must have neither '/' nor '*'.", t))
	}
	recs, more, err := pageOf(h.cfg.Records.All(r.Context(), t), n, h.cfg.PageSize)
	if err != nil {
		return nil, internal(err)
	}
	v := recordsPage{Type: t, Records: []recordItem{}, pager: h.pager(n, more)}
	for _, rec := range recs {
		v.Records = append(v.Records, recordItem{
			Ref: rec.Ref.String(), Mode: rec.Mode.String(), Parent: rec.Parent.String(),
			Owners: ids(rec.Ownership.Owners()), Followers: ids(rec.Ownership.Followers()),
		})
	}
	return v, nil
}

func (h *Handler) users(r *http.Request) (any, *problem) {
	n, prob := pageParam(r)
	if prob != nil {
		return nil, prob
	}
	ul, ok := h.cfg.Users.(ownership.UserLister)
	if !ok {
		return nil, &problem{Status: http.StatusNotImplemented, Title: "Cannot list users",
			Detail: "The directory cannot list its users (it is not an ownership.UserLister); open a user's page by id instead."}
	}
	us, more, err := pageOf(ul.Users(r.Context()), n, h.cfg.PageSize)
	if err != nil {
		return nil, internal(err)
	}
	v := usersPage{Users: []userView{}, pager: h.pager(n, more)}
	for _, u := range us {
		v.Users = append(v.Users, userOf(u))
	}
	return v, nil
}
