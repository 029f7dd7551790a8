package inspect

import (
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"

	"github.com/ownershipkit/ownership"
)

// The inputs of the pages, read from the query string. Each returns a
// problem for input that is missing or malformed (400) or names nothing
// (404), so that no page runs on a guess.

// refParam reads the record reference of query parameter name.
func refParam(r *http.Request, name string) (ownership.Ref, *problem) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return ownership.Ref{}, badRequest(fmt.Sprintf("Name a record: %s=type/id.", name))
	}
	ref, err := ownership.ParseRef(s)
	if err != nil || !ref.Valid() {
		return ownership.Ref{}, badRequest(fmt.Sprintf("%s=%q is not a record reference: want type/id.", name, s))
	}
	return ref, nil
}

// loadRecord reads the record that query parameter name refers to.
func (h *Handler) loadRecord(r *http.Request, name string) (ownership.Record, *problem) {
	ref, prob := refParam(r, name)
	if prob != nil {
		return ownership.Record{}, prob
	}
	rec, err := h.cfg.Records.Get(r.Context(), ref)
	switch {
	case errors.Is(err, ownership.ErrNotFound):
		return ownership.Record{}, notFound(fmt.Sprintf("There is no record %s.", ref))
	case err != nil:
		return ownership.Record{}, internal(err)
	}
	return rec, nil
}

// loadUser reads the user of query parameter name.
func (h *Handler) loadUser(r *http.Request, name string) (ownership.User, *problem) {
	id := r.URL.Query().Get(name)
	if id == "" {
		return ownership.User{}, badRequest(fmt.Sprintf("Name a user: %s=id.", name))
	}
	u, err := h.cfg.Users.User(r.Context(), ownership.UserID(id))
	switch {
	case errors.Is(err, ownership.ErrNotFound):
		return ownership.User{}, notFound(fmt.Sprintf("There is no user %q.", id))
	case err != nil:
		return ownership.User{}, internal(err)
	}
	return u, nil
}

// subject returns u as the subject of decisions, bound to the policy:
// from the organisation when the Config has one, or else as
// [ownership.User.Subject] makes it.
func (h *Handler) subject(u ownership.User) (ownership.Subject, *problem) {
	if h.cfg.Org == nil {
		return h.cfg.Policy.Bind(u.Subject()), nil
	}
	s, ok := h.cfg.Org.Subject(u.ID)
	if !ok {
		return ownership.Subject{}, notFound(fmt.Sprintf("User %q is in the directory but not in the organisation, so its teams, hierarchy and queues are unknown.", u.ID))
	}
	return h.cfg.Policy.Bind(s), nil
}

// actionParam reads the action of query parameter name.
func actionParam(r *http.Request, name string) (ownership.Action, *problem) {
	s := r.URL.Query().Get(name)
	a, err := ownership.ParseAction(s)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("%s=%q is not an action: want one of %s.", name, s, actionList))
	}
	return a, nil
}

// actionList names the actions for messages.
const actionList = "view, update, delete, claim, reassign, manage_ownership"

// pageOf collects page n (from 1) of seq, size items, and reports
// whether another page follows.
func pageOf[T any](seq iter.Seq2[T, error], n, size int) (items []T, more bool, err error) {
	skip, i := (n-1)*size, 0
	items = []T{}
	for v, err := range seq {
		if err != nil {
			return nil, false, err
		}
		if i++; i <= skip {
			continue
		}
		if len(items) == size {
			return items, true, nil
		}
		items = append(items, v)
	}
	return items, false, nil
}

// pageParam reads the page number, 1 when absent.
func pageParam(r *http.Request) (int, *problem) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, badRequest(fmt.Sprintf("page=%q is not a page number: want 1 or more.", s))
	}
	return n, nil
}

// actions are the six actions, in the order pages show them.
var actions = []ownership.Action{ownership.View, ownership.Update, ownership.Delete, ownership.Claim, ownership.Reassign, ownership.ManageOwnership}
