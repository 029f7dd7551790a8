package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/ownhttp"
	"github.com/ownershipkit/ownership/sqlstore"
	"github.com/ownershipkit/ownership/sqlstore/hostsql"
)

// contact is the CRM's own contact, as its API shows it.
type contact struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Owner string `json:"owner,omitempty"`
}

// document is a file of a contact.
type document struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// handler routes the API. Every route but the public web form needs a
// user (the X-User header); each route about one contact is checked
// before its handler runs.
func (c *crm) handler() http.Handler {
	one := ownhttp.PathRef("contact", "id")
	api := http.NewServeMux()
	api.HandleFunc("GET /contacts", c.listContacts)
	api.HandleFunc("POST /contacts", c.createContact)
	api.Handle("GET /contacts/{id}", c.g.Check(ownership.View, c.store, one, c.getContact))
	api.Handle("PUT /contacts/{id}", c.g.Check(ownership.Update, c.store, one, c.updateContact))
	api.Handle("POST /contacts/{id}/claim", c.g.Check(ownership.Claim, c.store, one, c.claim))
	api.Handle("POST /contacts/{id}/reassign", c.g.Check(ownership.Reassign, c.store, one, c.reassign))
	api.Handle("GET /contacts/{id}/documents", c.g.Check(ownership.View, c.store, one, c.listDocuments))
	top := http.NewServeMux()
	top.HandleFunc("POST /forms/contact", c.formContact)
	top.Handle("/", c.g.Middleware(api))
	return top
}

// q rewrites the $n markers of the CRM's statements for SQLite.
func (c *crm) q(query string) string {
	if c.d == sqlstore.SQLite {
		return strings.ReplaceAll(query, "$", "?")
	}
	return query
}

// idOf returns the key of a contact the check found: its id is an
// integer's text form.
func idOf(rec ownership.Record) int64 {
	n, _ := strconv.ParseInt(rec.Ref.ID, 10, 64)
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// invalid is a request the CRM cannot read: ownhttp answers it 400.
func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ownership.ErrInvalid, fmt.Sprintf(format, a...))
}

// listContacts answers a page of the contacts the user may view, filtered
// by the database: ?after=<token>&limit=<n>.
func (c *crm) listContacts(w http.ResponseWriter, r *http.Request) {
	page := hostsql.Page{After: r.URL.Query().Get("after")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			ownhttp.WriteError(w, r, invalid("limit %q", l))
			return
		}
		page.Limit = n
	}
	out := []contact{}
	next, err := c.contacts.List(r.Context(), c.db, ownhttp.Filter(r.Context(), ownership.View, "contact"), page,
		[]string{"id", "name", "email", "owner_id"}, func(scan func(...any) error) error {
			var k contact
			var owner sql.NullString
			err := scan(&k.ID, &k.Name, &k.Email, &owner)
			k.Owner = owner.String
			out = append(out, k)
			return err
		})
	if err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": out, "next": next.After})
}

// read reads the CRM's columns of a contact the user was allowed to see.
func (c *crm) read(r *http.Request, rec ownership.Record) (contact, error) {
	var k contact
	var owner sql.NullString
	err := c.db.QueryRowContext(r.Context(), c.q(`SELECT id, name, email, owner_id FROM contacts WHERE id = $1`), idOf(rec)).
		Scan(&k.ID, &k.Name, &k.Email, &owner)
	if err == sql.ErrNoRows {
		err = fmt.Errorf("%w: %s", ownership.ErrNotFound, rec.Ref)
	}
	k.Owner = owner.String
	return k, err
}

func (c *crm) getContact(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
	k, err := c.read(r, rec)
	if err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

// updateContact changes a contact's name and email, on the ownership
// version the check saw: a contact reassigned in between is a conflict,
// not an update by someone who just lost it.
func (c *crm) updateContact(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
	var in contact
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
		ownhttp.WriteError(w, r, invalid("want a JSON contact with a name"))
		return
	}
	res, err := c.db.ExecContext(r.Context(), c.q(`UPDATE contacts SET name = $1, email = $2 WHERE id = $3 AND ownership_version = $4`),
		in.Name, in.Email, idOf(rec), int64(rec.Version))
	if n, _ := res.RowsAffected(); err == nil && n == 0 {
		err = fmt.Errorf("%w: %s changed hands; read it again", ownership.ErrConflict, rec.Ref)
	}
	if err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	c.getContact(w, r, rec)
}

func (c *crm) claim(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
	s, _ := ownhttp.SubjectFrom(r.Context())
	if _, err := c.m.Claim(r.Context(), s, rec.Ref); err != nil {
		ownhttp.WriteError(w, r, err) // 409 already_assigned for all but the first
		return
	}
	c.getContact(w, r, rec)
}

func (c *crm) reassign(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
	var in struct {
		To ownership.UserID `json:"to"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.To == "" {
		ownhttp.WriteError(w, r, invalid(`want {"to": "<user id>"}`))
		return
	}
	s, _ := ownhttp.SubjectFrom(r.Context())
	if _, err := c.m.Reassign(r.Context(), s, rec.Ref, in.To); err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	c.getContact(w, r, rec)
}

// createContact creates a contact by hand: its creator owns it.
func (c *crm) createContact(w http.ResponseWriter, r *http.Request) {
	var in contact
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
		ownhttp.WriteError(w, r, invalid("want a JSON contact with a name"))
		return
	}
	s, _ := ownhttp.SubjectFrom(r.Context())
	c.create(w, r, in, ownership.Creation{Source: ownership.SourceManual, Creator: ownership.User{ID: s.ID}})
}

// formContact takes a submission of the public web form: the contact is
// unassigned, in the pool the reps claim from.
func (c *crm) formContact(w http.ResponseWriter, r *http.Request) {
	in := contact{Name: r.PostFormValue("name"), Email: r.PostFormValue("email")}
	if in.Name == "" {
		ownhttp.WriteError(w, r, invalid("the form needs a name"))
		return
	}
	c.create(w, r, in, ownership.Creation{Source: ownership.SourceForm})
}

// create inserts the CRM's row and creates its ownership in one
// transaction.
func (c *crm) create(w http.ResponseWriter, r *http.Request, in contact, how ownership.Creation) {
	tx, err := c.db.BeginTx(r.Context(), nil)
	if err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(r.Context(), c.q(`INSERT INTO contacts (name, email) VALUES ($1, $2) RETURNING id`), in.Name, in.Email).Scan(&in.ID)
	if err == nil {
		var rec ownership.Record
		rec, err = c.m.WithStore(c.store.InTx(tx)).Create(r.Context(), ownership.Record{Ref: ownership.Ref{Type: "contact", ID: strconv.FormatInt(in.ID, 10)}}, how)
		in.Owner = string(rec.Ownership.FirstOwner())
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, in)
}

// listDocuments answers the documents of a contact the user may view that
// the user may view (they follow the contact's ownership), with the
// policy's condition in the CRM's own query.
func (c *crm) listDocuments(w http.ResponseWriter, r *http.Request, rec ownership.Record) {
	cond, args, err := c.documents.Where(ownhttp.Filter(r.Context(), ownership.View, "document"), "d", 1)
	if err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	rows, err := c.db.QueryContext(r.Context(), c.q(`SELECT d.id, d.title FROM documents d WHERE d.contact_id = $1 AND `)+cond+` ORDER BY d.id`,
		append([]any{idOf(rec)}, args...)...)
	if err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	defer rows.Close()
	out := []document{}
	for rows.Next() {
		var d document
		if err := rows.Scan(&d.ID, &d.Title); err != nil {
			ownhttp.WriteError(w, r, err)
			return
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		ownhttp.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": out})
}
