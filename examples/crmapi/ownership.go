package main

// The ownership wiring of the CRM: the policy, the mapping of its
// existing tables, the store, the manager, the guard and the relay. The
// rest of the program is the CRM's own code.

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/ownhttp"
	"github.com/ownershipkit/ownership/sqlstore"
	"github.com/ownershipkit/ownership/sqlstore/hostsql"
)

var policy = ownership.MustPolicy(map[string]ownership.RoleDef{
	"manager": {Types: map[string]ownership.Permissions{"*": {View: ownership.All, Update: ownership.All, Claim: true, Reassign: true}}},
	"sales_rep": {Types: map[string]ownership.Permissions{
		"contact":  {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
		"document": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own}}},
})

// crm holds what the handlers use of the library.
type crm struct {
	db                  *sql.DB
	d                   sqlstore.Dialect
	contacts, documents *hostsql.Table
	store               *hostsql.Store
	outbox              *sqlstore.Store
	m                   *ownership.Manager
	g                   *ownhttp.Guard
}

func wire(ctx context.Context, db *sql.DB, d sqlstore.Dialect, audit *slog.Logger) (*crm, error) {
	c := &crm{db: db, d: d, outbox: sqlstore.New(db, d)}
	if err := c.outbox.Migrate(ctx); err != nil { // the outbox table, ownership_events
		return nil, err
	}
	c.contacts = hostsql.MustTable(hostsql.Mapping{Type: "contact", Table: "contacts", Key: "id", KeyKind: hostsql.KeyInteger,
		OwnerColumn: "owner_id", VersionColumn: "ownership_version"}, d)
	c.documents = hostsql.MustTable(hostsql.Mapping{Type: "document", Table: "documents", Key: "id", KeyKind: hostsql.KeyInteger,
		ParentColumn: "contact_id", Parent: c.contacts}, d)
	var err error
	c.store, err = hostsql.NewStore(db, d, []*hostsql.Table{c.contacts, c.documents}, hostsql.Options{Outbox: true,
		Users: &hostsql.Users{Table: "users", ID: "id", Email: "email", GivenName: "name", Roles: "role"}})
	c.m = &ownership.Manager{Policy: policy, Store: c.store, Users: c.store}
	c.g = &ownhttp.Guard{Policy: policy, Logger: audit, Challenge: `Bearer realm="crm"`,
		Resolve: func(r *http.Request) (ownership.Subject, error) { // in production: the session
			u, err := c.store.User(r.Context(), ownership.UserID(r.Header.Get("X-User")))
			if errors.Is(err, ownership.ErrNotFound) {
				return ownership.Subject{}, nil
			}
			return policy.Bind(u.Subject()), err
		}}
	return c, err
}

// relay tells each user who was just given a contact, at least once.
func (c *crm) relay(notify func(ctx context.Context, user ownership.UserID, e ownership.Event) error) *sqlstore.Relay {
	return sqlstore.NewRelay(c.outbox, func(ctx context.Context, d sqlstore.Delivery) error {
		for _, u := range d.Event.Assigned {
			if err := notify(ctx, u, d.Event); err != nil {
				return err
			}
		}
		return nil
	}, sqlstore.RelayOptions{})
}
