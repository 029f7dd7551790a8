package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	"github.com/ownershipkit/ownership"
)

// PutTeam adds or replaces a team, whole: its tenant, name, parent and
// managers. A team needs an id; its text must be storable (valid UTF-8
// without NUL bytes). The parent and the managers are not checked here,
// so that an organisation can be stored in any order: [Store.Org] checks
// the whole of it.
func (s *Store) PutTeam(ctx context.Context, t ownership.Team) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.ID == "" {
		return fmt.Errorf("%w: team without id", ownership.ErrInvalid)
	}
	texts := []string{string(t.ID), string(t.Tenant), t.Name, string(t.Parent)}
	for _, m := range t.Managers {
		texts = append(texts, string(m))
	}
	for _, x := range texts {
		if !storable(x) {
			return fmt.Errorf("%w: team %q: %q is not valid UTF-8 text without NUL bytes, which SQL cannot store", ownership.ErrInvalid, t.ID, x)
		}
	}
	managers, err := encodeJSON(t.Managers, len(t.Managers) == 0)
	if err != nil {
		return fmt.Errorf("sqlstore: team %q: managers: %w", t.ID, err)
	}
	_, err = s.conn().Exec(ctx, s.q(`INSERT INTO ownership_teams (id, tenant, name, parent, managers)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, name = excluded.name,
			parent = excluded.parent, managers = excluded.managers`),
		string(t.ID), string(t.Tenant), t.Name, string(t.Parent), managers)
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("put team %q", t.ID), err)
	}
	return nil
}

// PutQueue adds or replaces a queue, whole. A queue needs an id; its text
// must be storable.
func (s *Store) PutQueue(ctx context.Context, q ownership.Queue) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if q.ID == "" {
		return fmt.Errorf("%w: queue without id", ownership.ErrInvalid)
	}
	for _, x := range []string{string(q.ID), string(q.Tenant), q.Name} {
		if !storable(x) {
			return fmt.Errorf("%w: queue %q: %q is not valid UTF-8 text without NUL bytes, which SQL cannot store", ownership.ErrInvalid, q.ID, x)
		}
	}
	_, err := s.conn().Exec(ctx, s.q(`INSERT INTO ownership_queues (id, tenant, name) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, name = excluded.name`),
		string(q.ID), string(q.Tenant), q.Name)
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("put queue %q", q.ID), err)
	}
	return nil
}

// Teams returns every team, in id order.
func (s *Store) Teams(ctx context.Context) ([]ownership.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := teamsIn(ctx, s.conn())
	if err != nil {
		return nil, s.fail(ctx, "teams", err)
	}
	return out, nil
}

// Queues returns every queue, in id order.
func (s *Store) Queues(ctx context.Context) ([]ownership.Queue, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := queuesIn(ctx, s.conn())
	if err != nil {
		return nil, s.fail(ctx, "queues", err)
	}
	return out, nil
}

func teamsIn(ctx context.Context, c execer) ([]ownership.Team, error) {
	rows, err := c.Query(ctx, `SELECT id, tenant, name, parent, managers FROM ownership_teams ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ownership.Team
	for rows.Next() {
		var (
			t        ownership.Team
			managers sql.NullString
		)
		if err := rows.Scan(&t.ID, &t.Tenant, &t.Name, &t.Parent, &managers); err != nil {
			return nil, err
		}
		if err := decodeJSON(managers, &t.Managers); err != nil {
			return nil, fmt.Errorf("team %q: managers: %w", t.ID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func queuesIn(ctx context.Context, c execer) ([]ownership.Queue, error) {
	rows, err := c.Query(ctx, `SELECT id, tenant, name FROM ownership_queues ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ownership.Queue
	for rows.Next() {
		var q ownership.Queue
		if err := rows.Scan(&q.ID, &q.Tenant, &q.Name); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// snapshot runs fn on one consistent view of the database: a read-only
// transaction at REPEATABLE READ on PostgreSQL (every statement sees the
// same committed data), a transaction on SQLite, or the host's
// transaction for a store bound to one.
func (s *Store) snapshot(ctx context.Context, what string, fn func(c execer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.host != nil {
		if err := fn(s.host); err != nil {
			return s.fail(ctx, what, err)
		}
		return nil
	}
	var opts *sql.TxOptions
	if s.d == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fail(ctx, what, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(sqlConn[*sql.Tx]{tx}); err != nil {
		return fail(ctx, what, err)
	}
	if err := tx.Commit(); err != nil {
		return fail(ctx, what, err)
	}
	return nil
}

// Org loads the whole organisation, users (in id order), teams and queues,
// from one consistent view of the database, and checks it with
// [ownership.NewOrg], whose error (every problem found, wrapping
// [ownership.ErrInvalid]) it returns as it is. Build it once and keep it
// while the organisation does not change: [ownership.Org.Subject] makes
// the subjects of decisions and listings from it.
func (s *Store) Org(ctx context.Context) (*ownership.Org, error) {
	var def ownership.OrgDef
	err := s.snapshot(ctx, "load the organisation", func(c execer) error {
		rows, err := c.Query(ctx, `SELECT `+userColumns+` FROM ownership_users ORDER BY id`)
		if err != nil {
			return err
		}
		if def.Users, err = scanUsers(rows); err != nil {
			return err
		}
		if def.Teams, err = teamsIn(ctx, c); err != nil {
			return err
		}
		def.Queues, err = queuesIn(ctx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ownership.NewOrg(def)
}

// reach kinds in the result of reachersQuery.
const (
	reachTeam    = 1
	reachManager = 2
)

// reachersQuery returns, for the record $1/$2, the users whose reach
// holds one of its user owners (owners missing from the directory reach
// nobody, as in [ownership.Org.Reachers]): kind 1 for the members of the
// owners' teams (of the owners' tenant, as a team's members are) and the
// managers of those teams and of every team above them; kind 2 for the
// owners' managers, transitively. A team's members and managers are
// users of its tenant, as [ownership.NewOrg] requires.
//
// Every step is an index lookup: the owners' teams and the teams'
// members (with their tenant, and only users have memberships) in
// ownership_team_members, by user and by team; the teams above
// by id, the managers of a team from its own row, the managers above an
// owner by user id. The recursions use UNION, which drops a row already
// found, so a loop in the data (a team its own ancestor, a manager chain
// that comes back) ends them instead of running forever.
func (d Dialect) reachersQuery() string {
	// managers is a team's managers as a table x, each in the column
	// manager of x.
	managers, manager := "jsonb_array_elements_text(tm.managers) x(id)", "x.id"
	if d == SQLite {
		managers, manager = "json_each(tm.managers) x", "x.value"
	}
	q := `WITH RECURSIVE owners(id) AS (
			SELECT u.id FROM ownership_entries e JOIN ownership_users u ON u.id = e.user_id
			WHERE e.record_type = $1 AND e.record_id = $2 AND e.role = 2
		), owner_teams(id, tenant) AS (
			SELECT DISTINCT tm.id, tm.tenant FROM owners o
			JOIN ownership_team_members m ON m.user_id = o.id
			JOIN ownership_teams tm ON tm.id = m.team_id
		), up(id) AS (
			SELECT id FROM owner_teams
			UNION
			SELECT tm.parent FROM ownership_teams tm JOIN up ON tm.id = up.id WHERE tm.parent <> ''
		), above(id) AS (
			SELECT u.manager FROM ownership_users u JOIN owners o ON u.id = o.id WHERE u.manager <> ''
			UNION
			SELECT u.manager FROM ownership_users u JOIN above a ON u.id = a.id WHERE u.manager <> ''
		)
		SELECT 1, m.user_id FROM owner_teams ot
			JOIN ownership_team_members m ON m.team_id = ot.id AND m.tenant = ot.tenant
		UNION
		SELECT 1, u.id FROM up JOIN ownership_teams tm ON tm.id = up.id
			CROSS JOIN ` + managers + `
			JOIN ownership_users u ON u.id = ` + manager + ` AND u.tenant = tm.tenant
		UNION
		SELECT 2, id FROM above`
	return d.rebind(q)
}

// reachers computes [ownership.Reachers] of the record ref on c.
func (s *Store) reachers(ctx context.Context, c execer, ref ownership.Ref) (ownership.Reachers, error) {
	rch := ownership.Reachers{Teammates: map[ownership.UserID]bool{}, Managers: map[ownership.UserID]bool{}}
	rows, err := c.Query(ctx, s.d.reachersQuery(), ref.Type, ref.ID)
	if err != nil {
		return rch, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind int
			id   ownership.UserID
		)
		if err := rows.Scan(&kind, &id); err != nil {
			return rch, err
		}
		switch kind {
		case reachTeam:
			rch.Teammates[id] = true
		case reachManager:
			rch.Managers[id] = true
		}
	}
	return rch, rows.Err()
}

// Reachers returns the users whose reach holds one of the owners of the
// record ref, computed by the database ([ownership.Org.Reachers] computes
// them in memory): what [ownership.Policy.WhoReaching] needs to decide
// for every user as with the user's full reach. An unknown record is an
// error wrapping [ownership.ErrNotFound].
func (s *Store) Reachers(ctx context.Context, ref ownership.Ref) (ownership.Reachers, error) {
	var rch ownership.Reachers
	err := s.snapshot(ctx, "reachers of "+ref.String(), func(c execer) error {
		if _, err := s.getIn(ctx, c, ref); err != nil {
			return err
		}
		var err error
		rch, err = s.reachers(ctx, c, ref)
		return err
	})
	return rch, err
}

// Who answers "who may do a to the record ref, and why" from the
// database, as [ownership.Org.Who] answers from an organisation in
// memory: the record, the users whose teams and hierarchy reach its
// owners (recursive queries over the teams and the manager hierarchy) and
// the users are read from one consistent view of the database, and
// [ownership.Policy.WhoReaching] decides for each user with its full
// reach, teams, hierarchy and queues.
//
// The users asked about are those of the record's tenant and those of
// other tenants that hold one of p's platform roles: nobody else can be
// allowed (only a platform role crosses tenants), and an answer about
// one tenant's record names no other tenant's users. Allowed is exactly
// the users u for which p.Decide(org.Subject(u), a, r) allows, org being
// [Store.Org]; both lists are in id order.
//
// The answer is never partial: any error (an unknown record wraps
// [ownership.ErrNotFound]) returns that error and no Access.
func (s *Store) Who(ctx context.Context, p *ownership.Policy, a ownership.Action, ref ownership.Ref) (ownership.Access, error) {
	if p == nil {
		return ownership.Access{}, fmt.Errorf("%w: Who: no policy", ownership.ErrInvalid)
	}
	var platform []string
	for _, name := range p.RoleNames() {
		if def, ok := p.Role(name); ok && def.Platform {
			platform = append(platform, name)
		}
	}
	var acc ownership.Access
	err := s.snapshot(ctx, "who may "+a.String()+" "+ref.String(), func(c execer) error {
		r, err := s.getIn(ctx, c, ref)
		if err != nil {
			return err
		}
		rch, err := s.reachers(ctx, c, ref)
		if err != nil {
			return err
		}
		query, args := s.tenantUsersQuery(r.Tenant, platform)
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		acc, err = p.WhoReaching(ctx, scanDeciders(rows), a, r, rch)
		return err
	})
	if err != nil {
		return ownership.Access{}, err
	}
	return acc, nil
}

// deciderColumns are the columns of a user that a decision reads, given
// the record's reachers: what scanDeciders reads.
const deciderColumns = `id, roles, tenant, queues`

// tenantUsersQuery selects deciderColumns, in id order, of the users of
// tenant t and those holding one of the roles platform.
func (s *Store) tenantUsersQuery(t ownership.TenantID, platform []string) (string, []any) {
	q := `SELECT ` + deciderColumns + ` FROM ownership_users WHERE tenant = ` + s.d.placeholder(1)
	args := []any{string(t)}
	if len(platform) > 0 {
		w := &whereBuilder{d: s.d, offset: 1}
		set := w.set(platform)
		args = append(args, w.args...)
		if s.d == Postgres {
			q += ` OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(ownership_users.roles) x WHERE x ` + set + `)`
		} else {
			q += ` OR EXISTS (SELECT 1 FROM json_each(ownership_users.roles) x WHERE x.value ` + set + `)`
		}
	}
	return q + ` ORDER BY id`, args
}

// scanDeciders yields the users of rows of deciderColumns, one by one,
// with only those fields, and an error if reading one fails. Users share
// the decoded lists of equal JSON texts (most users of a directory hold
// the same roles and queues): [ownership.Policy.WhoReaching] only reads
// them.
func scanDeciders(rows Rows) iter.Seq2[ownership.User, error] {
	return func(yield func(ownership.User, error) bool) {
		roleLists := map[string][]string{}
		queueLists := map[string][]ownership.QueueID{}
		for rows.Next() {
			var (
				u             ownership.User
				roles, queues sql.NullString
			)
			err := rows.Scan(&u.ID, &roles, &u.Tenant, &queues)
			if err == nil {
				if u.Roles, err = decodeShared(roleLists, roles); err != nil {
					err = fmt.Errorf("user %q: roles: %w", u.ID, err)
				}
			}
			if err == nil {
				if u.Queues, err = decodeShared(queueLists, queues); err != nil {
					err = fmt.Errorf("user %q: queues: %w", u.ID, err)
				}
			}
			if err != nil {
				yield(ownership.User{}, err)
				return
			}
			if !yield(u, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(ownership.User{}, err)
		}
	}
}

// decodeShared decodes the JSON array of strings col (NULL is nil) once
// per distinct text, keeping the lists in seen, which it lets grow to a
// bound only.
func decodeShared[T ~string](seen map[string][]T, col sql.NullString) ([]T, error) {
	if !col.Valid {
		return nil, nil
	}
	if l, ok := seen[col.String]; ok {
		return l, nil
	}
	l, err := decodeStrings[T](col.String)
	if err != nil {
		return nil, err
	}
	if len(seen) < 1024 {
		seen[col.String] = l
	}
	return l, nil
}
