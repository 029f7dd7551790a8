package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// The schema, one migration per version. A migration is a list of
// statements that are each idempotent (IF NOT EXISTS), so that a migration
// interrupted or raced by another process can simply run again. New
// versions are appended; a published migration never changes.
//
// In the statement texts, {key} is the type of a column that is sorted or
// compared (text compared byte by byte, as Go compares strings), {text} of
// one that is only shown, {json} of a JSON document, {bool} of a
// boolean, and {seq} the column definition of an ever-increasing integer
// primary key whose values are never reused. A statement that begins with
// "-- postgres" runs on PostgreSQL only, one that begins with "-- sqlite"
// on SQLite only.
//
// ownership_records holds one row per record. has_owner is the
// denormalised "the list names an owner", kept in the same transaction as
// the entries, so that "unassigned" is a column test with a partial index
// rather than a subquery.
//
// ownership_entries holds one row per entry of a list: position keeps the
// list's order, the primary key keeps one entry per user (the list's own
// rule). The by-user index serves "owned by", "followed by", RecordsOf and
// CountOwned: its order (user, type, id) is ref order, so a user's owned
// records of one type come out of it already sorted by id, the order of a
// page; role is its last column, tested inside the index.
var migrations = [...][]string{
	1: {
		`CREATE TABLE IF NOT EXISTS ownership_records (
			type        {key} NOT NULL,
			id          {key} NOT NULL,
			parent_type {key} NOT NULL DEFAULT '',
			parent_id   {key} NOT NULL DEFAULT '',
			mode        SMALLINT NOT NULL DEFAULT 0,
			version     BIGINT NOT NULL CHECK (version > 0),
			has_owner   {bool} NOT NULL,
			fields      {json},
			PRIMARY KEY (type, id)
		)`,
		`CREATE INDEX IF NOT EXISTS ownership_records_parent
			ON ownership_records (parent_type, parent_id, type, id) WHERE parent_type <> ''`,
		`CREATE INDEX IF NOT EXISTS ownership_records_unassigned
			ON ownership_records (type, id) WHERE NOT has_owner`,
		`CREATE TABLE IF NOT EXISTS ownership_entries (
			record_type {key} NOT NULL,
			record_id   {key} NOT NULL,
			user_id     {key} NOT NULL,
			position    INTEGER NOT NULL,
			role        SMALLINT NOT NULL CHECK (role IN (1, 2)),
			email       {text} NOT NULL DEFAULT '',
			given_name  {text} NOT NULL DEFAULT '',
			last_name   {text} NOT NULL DEFAULT '',
			PRIMARY KEY (record_type, record_id, user_id),
			FOREIGN KEY (record_type, record_id) REFERENCES ownership_records (type, id) ON DELETE CASCADE
		)`,
		`CREATE INDEX IF NOT EXISTS ownership_entries_user
			ON ownership_entries (user_id, record_type, record_id, role)`,
		`CREATE TABLE IF NOT EXISTS ownership_users (
			id         {key} NOT NULL PRIMARY KEY,
			login      {text} NOT NULL DEFAULT '',
			email      {text} NOT NULL DEFAULT '',
			given_name {text} NOT NULL DEFAULT '',
			last_name  {text} NOT NULL DEFAULT '',
			roles      {json},
			inactive   {bool} NOT NULL DEFAULT FALSE,
			skills     {json},
			fields     {json}
		)`,
		`CREATE INDEX IF NOT EXISTS ownership_users_login ON ownership_users (login) WHERE login <> ''`,
		`CREATE INDEX IF NOT EXISTS ownership_users_email ON ownership_users (email) WHERE email <> ''`,
	},
	// The last version of each deleted record, so that a record created
	// again continues from it and a writer still holding a version of the
	// deleted record cannot overwrite the new one.
	2: {
		`CREATE TABLE IF NOT EXISTS ownership_tombstones (
			type    {key} NOT NULL,
			id      {key} NOT NULL,
			version BIGINT NOT NULL,
			PRIMARY KEY (type, id)
		)`,
	},
	// The outbox: one row per committed change, written in the change's
	// transaction, delivered by a Relay. seq orders the events of one
	// record (a record's writes are serialised by its row lock, so its
	// events get increasing seqs); event_id is the event's stable id.
	// state: 0 pending, 1 delivered, 2 dead (given up). Times are Unix
	// microseconds: available_at is when a pending event may next be tried
	// (backoff), leased_until until when a relay holds it, lease the
	// token of that relay's claim. The partial indexes keep the pending
	// events, the queue the relay reads, small and apart from the rest.
	3: {
		`CREATE TABLE IF NOT EXISTS ownership_events (
			seq          {seq},
			event_id     {key} NOT NULL UNIQUE,
			record_type  {key} NOT NULL,
			record_id    {key} NOT NULL,
			version      BIGINT NOT NULL,
			payload      {text} NOT NULL,
			state        SMALLINT NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
			attempts     INTEGER NOT NULL DEFAULT 0,
			available_at BIGINT NOT NULL DEFAULT 0,
			leased_until BIGINT NOT NULL DEFAULT 0,
			lease        {key} NOT NULL DEFAULT '',
			last_error   {text} NOT NULL DEFAULT '',
			done_at      BIGINT NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX IF NOT EXISTS ownership_events_pending
			ON ownership_events (seq) WHERE state = 0`,
		`CREATE INDEX IF NOT EXISTS ownership_events_record
			ON ownership_events (record_type, record_id, seq) WHERE state = 0`,
		`CREATE INDEX IF NOT EXISTS ownership_events_done
			ON ownership_events (done_at) WHERE state <> 0`,
		// Relays LISTEN on ownership_events; the trigger wakes them when
		// a transaction that wrote events commits, at no cost to the
		// writer (a notification is sent once per transaction).
		`-- postgres
		CREATE OR REPLACE FUNCTION ownership_events_notify() RETURNS trigger
		LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('ownership_events', ''); RETURN NULL; END $$`,
		`-- postgres
		DROP TRIGGER IF EXISTS ownership_events_notify ON ownership_events`,
		`-- postgres
		CREATE TRIGGER ownership_events_notify AFTER INSERT ON ownership_events
		FOR EACH STATEMENT EXECUTE FUNCTION ownership_events_notify()`,
	},
	// Tenants, queues and the organisation. A record's tenant and the
	// queue that holds it are columns of its row (the queue is not an
	// entry: ownership_entries holds users only, and a record is in one
	// queue at most); has_owner stays "the list is not unassigned", so it
	// is true for a record a queue holds. Every index that a listing or a
	// filter reads leads with the tenant, so that a tenant's queries never
	// touch another's rows: the scan of a type in id order, the
	// unassigned pool and the queued records. (The entries' by-user index
	// needs no tenant: a user belongs to one tenant, so a user's entries
	// are that tenant's rows.) Users gain their tenant, teams (a JSON
	// array), manager and queues (a JSON array); teams and queues get
	// tables of their own. SQLite has no ADD COLUMN IF NOT EXISTS: there,
	// the version check in Migrate's transaction is what keeps a column
	// from being added twice.
	4: {
		`-- postgres
		ALTER TABLE ownership_records ADD COLUMN IF NOT EXISTS tenant {key} NOT NULL DEFAULT ''`,
		`-- postgres
		ALTER TABLE ownership_records ADD COLUMN IF NOT EXISTS queue {key} NOT NULL DEFAULT ''`,
		`-- sqlite
		ALTER TABLE ownership_records ADD COLUMN tenant {key} NOT NULL DEFAULT ''`,
		`-- sqlite
		ALTER TABLE ownership_records ADD COLUMN queue {key} NOT NULL DEFAULT ''`,
		`DROP INDEX IF EXISTS ownership_records_unassigned`,
		`CREATE INDEX IF NOT EXISTS ownership_records_tenant
			ON ownership_records (tenant, type, id)`,
		`CREATE INDEX IF NOT EXISTS ownership_records_unassigned
			ON ownership_records (tenant, type, id) WHERE NOT has_owner`,
		`CREATE INDEX IF NOT EXISTS ownership_records_queued
			ON ownership_records (tenant, type, queue, id) WHERE queue <> ''`,
		// The walk down a parent's synced descendants stays in one tenant:
		// with the tenant in front of the parent, the walk's every step is
		// one index range, and no planner is tempted by the tenant's whole
		// listing index instead.
		`CREATE INDEX IF NOT EXISTS ownership_records_tenant_parent
			ON ownership_records (tenant, parent_type, parent_id, type, id) WHERE parent_type <> ''`,
		`-- postgres
		ALTER TABLE ownership_users ADD COLUMN IF NOT EXISTS tenant {key} NOT NULL DEFAULT ''`,
		`-- postgres
		ALTER TABLE ownership_users ADD COLUMN IF NOT EXISTS teams {json}`,
		`-- postgres
		ALTER TABLE ownership_users ADD COLUMN IF NOT EXISTS manager {key} NOT NULL DEFAULT ''`,
		`-- postgres
		ALTER TABLE ownership_users ADD COLUMN IF NOT EXISTS queues {json}`,
		`-- sqlite
		ALTER TABLE ownership_users ADD COLUMN tenant {key} NOT NULL DEFAULT ''`,
		`-- sqlite
		ALTER TABLE ownership_users ADD COLUMN teams {json}`,
		`-- sqlite
		ALTER TABLE ownership_users ADD COLUMN manager {key} NOT NULL DEFAULT ''`,
		`-- sqlite
		ALTER TABLE ownership_users ADD COLUMN queues {json}`,
		`CREATE INDEX IF NOT EXISTS ownership_users_tenant ON ownership_users (tenant, id)`,
		`CREATE INDEX IF NOT EXISTS ownership_users_manager ON ownership_users (manager) WHERE manager <> ''`,
		`CREATE TABLE IF NOT EXISTS ownership_teams (
			id       {key} NOT NULL PRIMARY KEY,
			tenant   {key} NOT NULL DEFAULT '',
			name     {text} NOT NULL DEFAULT '',
			parent   {key} NOT NULL DEFAULT '',
			managers {json}
		)`,
		`CREATE INDEX IF NOT EXISTS ownership_teams_tenant ON ownership_teams (tenant, id)`,
		`CREATE INDEX IF NOT EXISTS ownership_teams_parent ON ownership_teams (parent) WHERE parent <> ''`,
		`CREATE TABLE IF NOT EXISTS ownership_queues (
			id     {key} NOT NULL PRIMARY KEY,
			tenant {key} NOT NULL DEFAULT '',
			name   {text} NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX IF NOT EXISTS ownership_queues_tenant ON ownership_queues (tenant, id)`,
	},
	// Team membership as rows, one per team and member, with the
	// member's tenant, so that "the members of a team" (of its tenant)
	// and "the teams of a user" are index lookups rather than a scan of
	// every user's teams array, and need no join with the users, whose
	// one tenant would make the join a cross product to a planner. PutUser
	// keeps the rows in step with ownership_users.teams (which stays the
	// user's list, in its order) and tenant, in the same transaction; the
	// migration fills them from the arrays already stored. The manager
	// index of version 4 serves the walk down a hierarchy; the walk up
	// reads users by id.
	5: {
		`CREATE TABLE IF NOT EXISTS ownership_team_members (
			team_id {key} NOT NULL,
			user_id {key} NOT NULL,
			tenant  {key} NOT NULL,
			PRIMARY KEY (team_id, user_id)
		)`,
		`CREATE INDEX IF NOT EXISTS ownership_team_members_user ON ownership_team_members (user_id, team_id)`,
		`-- postgres
		INSERT INTO ownership_team_members (team_id, user_id, tenant)
		SELECT DISTINCT t.id, u.id, u.tenant FROM ownership_users u CROSS JOIN LATERAL jsonb_array_elements_text(u.teams) t(id)
		WHERE jsonb_typeof(u.teams) = 'array'
		ON CONFLICT DO NOTHING`,
		`-- sqlite
		INSERT INTO ownership_team_members (team_id, user_id, tenant)
		SELECT DISTINCT t.value, u.id, u.tenant FROM ownership_users u, json_each(u.teams) t
		WHERE t.type = 'text'
		ON CONFLICT DO NOTHING`,
	},
}

// SchemaVersion is the version of the schema that [Store.Migrate] creates.
const SchemaVersion = 5

// A compile-time check that SchemaVersion is the last migration.
var _ = [1]struct{}{}[len(migrations)-1-SchemaVersion]

// ddl fills in the column types of a migration statement for d.
func (d Dialect) ddl(stmt string) string {
	var r *strings.Replacer
	if d == Postgres {
		r = strings.NewReplacer("{key}", `TEXT COLLATE "C"`, "{text}", "TEXT", "{json}", "JSONB", "{bool}", "BOOLEAN",
			"{seq}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
	} else {
		// SQLite compares text byte by byte (BINARY) unless told otherwise.
		r = strings.NewReplacer("{key}", "TEXT", "{text}", "TEXT", "{json}", "TEXT", "{bool}", "BOOLEAN",
			"{seq}", "INTEGER PRIMARY KEY AUTOINCREMENT")
	}
	return r.Replace(stmt)
}

// migrationLock is the key of the PostgreSQL advisory lock that serialises
// concurrent Migrate calls (from several processes starting at once).
const migrationLock = 0x6f776e6572736870 // "ownershp"

// Migrate brings the database schema to [SchemaVersion], in one
// transaction, and records the version in the table
// ownership_schema_migrations. It is idempotent: on an up-to-date schema it
// changes nothing. A schema newer than this package knows is an error, so
// that an old binary does not write to tables it does not understand.
func (s *Store) Migrate(ctx context.Context) error {
	return s.inTx(ctx, "migrate", func(tx execer) error {
		if s.d == Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ownership_schema_migrations (version INTEGER NOT NULL PRIMARY KEY)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM ownership_schema_migrations`).Scan(&current); err != nil {
			return err
		}
		if current > SchemaVersion {
			return fmt.Errorf("the database schema is at version %d, newer than this package's %d: upgrade the package", current, SchemaVersion)
		}
		for v := current + 1; v <= SchemaVersion; v++ {
			for _, stmt := range migrations[v] {
				if strings.HasPrefix(stmt, "-- postgres") && s.d != Postgres || strings.HasPrefix(stmt, "-- sqlite") && s.d != SQLite {
					continue
				}
				if _, err := tx.Exec(ctx, s.d.ddl(stmt)); err != nil {
					return fmt.Errorf("version %d: %w", v, err)
				}
			}
			if _, err := tx.Exec(ctx, s.d.rebind(`INSERT INTO ownership_schema_migrations (version) VALUES ($1) ON CONFLICT (version) DO NOTHING`), v); err != nil {
				return err
			}
		}
		return nil
	})
}
