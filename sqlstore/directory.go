package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ownershipkit/ownership"
)

// userColumns are the columns that scanUsers reads.
const userColumns = `id, login, email, given_name, last_name, roles, inactive, skills, fields, tenant, teams, manager, queues`

// PutUser adds or replaces a user, whole, with its tenant, teams, manager
// and queues. A user needs an id; its text must be storable (valid UTF-8
// without NUL bytes). PutUser does not check the references to teams,
// queues and the manager, which may be stored in any order: [Store.Org]
// checks the whole organisation.
func (s *Store) PutUser(ctx context.Context, u ownership.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.ID == "" {
		return fmt.Errorf("%w: user without id", ownership.ErrInvalid)
	}
	texts := append([]string{string(u.ID), u.Login, u.Email, u.GivenName, u.LastName}, u.Roles...)
	texts = append(texts, u.Skills...)
	texts = append(texts, string(u.Tenant), string(u.Manager))
	for _, t := range u.Teams {
		texts = append(texts, string(t))
	}
	for _, q := range u.Queues {
		texts = append(texts, string(q))
	}
	for k, v := range u.Fields {
		texts = append(texts, k, v)
	}
	for _, t := range texts {
		if !storable(t) {
			return fmt.Errorf("%w: user %q: %q is not valid UTF-8 text without NUL bytes, which SQL cannot store", ownership.ErrInvalid, u.ID, t)
		}
	}
	roles, err := encodeJSON(u.Roles, len(u.Roles) == 0)
	if err != nil {
		return fmt.Errorf("sqlstore: user %q: roles: %w", u.ID, err)
	}
	skills, err := encodeJSON(u.Skills, len(u.Skills) == 0)
	if err != nil {
		return fmt.Errorf("sqlstore: user %q: skills: %w", u.ID, err)
	}
	fields, err := encodeJSON(u.Fields, len(u.Fields) == 0)
	if err != nil {
		return fmt.Errorf("sqlstore: user %q: fields: %w", u.ID, err)
	}
	teams, err := encodeJSON(u.Teams, len(u.Teams) == 0)
	if err != nil {
		return fmt.Errorf("sqlstore: user %q: teams: %w", u.ID, err)
	}
	queues, err := encodeJSON(u.Queues, len(u.Queues) == 0)
	if err != nil {
		return fmt.Errorf("sqlstore: user %q: queues: %w", u.ID, err)
	}
	return s.inTx(ctx, fmt.Sprintf("put user %q", u.ID), func(tx execer) error {
		_, err := tx.Exec(ctx, s.q(`INSERT INTO ownership_users (`+userColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET
			login = excluded.login, email = excluded.email,
			given_name = excluded.given_name, last_name = excluded.last_name,
			roles = excluded.roles, inactive = excluded.inactive,
			skills = excluded.skills, fields = excluded.fields,
			tenant = excluded.tenant, teams = excluded.teams,
			manager = excluded.manager, queues = excluded.queues`),
			string(u.ID), u.Login, u.Email, u.GivenName, u.LastName, roles, u.Inactive, skills, fields,
			string(u.Tenant), teams, string(u.Manager), queues)
		if err != nil {
			return err
		}
		return s.putMemberships(ctx, tx, u.ID, u.Tenant, u.Teams)
	})
}

// putMemberships makes the rows of ownership_team_members of user id
// those of its teams and tenant, on tx, in the transaction that writes
// the user.
func (s *Store) putMemberships(ctx context.Context, tx execer, id ownership.UserID, tenant ownership.TenantID, teams []ownership.TeamID) error {
	if _, err := tx.Exec(ctx, s.q(`DELETE FROM ownership_team_members WHERE user_id = $1`), string(id)); err != nil {
		return err
	}
	var (
		values strings.Builder
		args   = []any{string(id), string(tenant)}
		seen   = make(map[ownership.TeamID]bool, len(teams))
	)
	for _, t := range teams {
		if seen[t] {
			continue
		}
		seen[t] = true
		args = append(args, string(t))
		if values.Len() > 0 {
			values.WriteString(", ")
		}
		fmt.Fprintf(&values, "(%s, %s, %s)", s.d.placeholder(len(args)), s.d.placeholder(1), s.d.placeholder(2))
	}
	if len(seen) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO ownership_team_members (team_id, user_id, tenant) VALUES `+values.String(), args...)
	return err
}

// scanUsers reads rows of userColumns and closes them.
func scanUsers(rows Rows) ([]ownership.User, error) {
	defer rows.Close()
	var out []ownership.User
	for rows.Next() {
		u, err := scanOneUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// scanOneUser reads the current row of userColumns.
func scanOneUser(rows Rows) (ownership.User, error) {
	var (
		u                                    ownership.User
		roles, skills, fields, teams, queues sql.NullString
	)
	if err := rows.Scan(&u.ID, &u.Login, &u.Email, &u.GivenName, &u.LastName, &roles, &u.Inactive, &skills, &fields,
		&u.Tenant, &teams, &u.Manager, &queues); err != nil {
		return ownership.User{}, err
	}
	for _, c := range []struct {
		col sql.NullString
		v   any
	}{{roles, &u.Roles}, {skills, &u.Skills}, {fields, &u.Fields}, {teams, &u.Teams}, {queues, &u.Queues}} {
		if err := decodeJSON(c.col, c.v); err != nil {
			return ownership.User{}, fmt.Errorf("user %q: %w", u.ID, err)
		}
	}
	return u, nil
}

// User implements [ownership.Directory].
func (s *Store) User(ctx context.Context, id ownership.UserID) (ownership.User, error) {
	if err := ctx.Err(); err != nil {
		return ownership.User{}, err
	}
	if id == "" || !storable(string(id)) {
		return ownership.User{}, fmt.Errorf("%w: user %q", ownership.ErrNotFound, id)
	}
	rows, err := s.conn().Query(ctx, s.q(`SELECT `+userColumns+` FROM ownership_users WHERE id = $1`), string(id))
	if err != nil {
		return ownership.User{}, s.fail(ctx, fmt.Sprintf("user %q", id), err)
	}
	us, err := scanUsers(rows)
	if err != nil {
		return ownership.User{}, s.fail(ctx, fmt.Sprintf("user %q", id), err)
	}
	if len(us) == 0 {
		return ownership.User{}, fmt.Errorf("%w: user %q", ownership.ErrNotFound, id)
	}
	return us[0], nil
}

// fullName is [ownership.User.Field]'s "full_name" in SQL.
const fullName = `CASE WHEN given_name = '' THEN last_name WHEN last_name = '' THEN given_name
	ELSE given_name || ' ' || last_name END`

// UserBy implements [ownership.Directory]: the user whose field, as
// [ownership.User.Field] reads it, equals value exactly. "login" and
// "email" are indexed; other fields are a scan of the users, which suits
// directories of thousands.
func (s *Store) UserBy(ctx context.Context, field, value string) (ownership.User, error) {
	if err := ctx.Err(); err != nil {
		return ownership.User{}, err
	}
	notFound := fmt.Errorf("%w: no user with %s %q", ownership.ErrNotFound, field, value)
	if value == "" || !storable(value) || !storable(field) {
		return ownership.User{}, notFound // Field never reports an empty value
	}
	var cond string
	args := []any{value}
	switch field {
	case "id", "login", "email", "given_name", "last_name":
		cond = field + ` = $1` // a column name from this fixed list, never from the caller
	case "full_name":
		cond = fullName + ` = $1`
	default:
		args = append(args, field)
		if s.d == Postgres {
			cond = `fields ->> $2 = $1`
		} else {
			cond = `EXISTS (SELECT 1 FROM json_each(ownership_users.fields) j WHERE j.key = $2 AND j.type = 'text' AND j.value = $1)`
		}
	}
	rows, err := s.conn().Query(ctx, s.q(`SELECT `+userColumns+` FROM ownership_users WHERE `+cond+` ORDER BY id`), args...)
	if err != nil {
		return ownership.User{}, s.fail(ctx, "user by "+field, err)
	}
	us, err := scanUsers(rows)
	if err != nil {
		return ownership.User{}, s.fail(ctx, "user by "+field, err)
	}
	switch len(us) {
	case 0:
		return ownership.User{}, notFound
	case 1:
		return us[0], nil
	}
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = string(u.ID)
	}
	return ownership.User{}, fmt.Errorf("%w: %s %q is shared by users %s", ownership.ErrAmbiguous, field, value, strings.Join(ids, ", "))
}
