// Package hostsql applies an ownership policy to a host application's own
// tables: a CRM that already has contacts(id, name, ..., owner_id) adopts
// the library without moving its data into sqlstore's tables.
//
// A [Mapping] says, once per record type, which table holds the records,
// which column is their key and of what kind, and where their ownership
// lives: a single owner column (NULL or the empty string is unassigned, the CRM model),
// a table of (record key, user id, role) rows for owners and followers, a
// column holding an email or login matched to the users table
// (field-matched ownership), or the parent row, for records synced with
// their parent (a contact's documents). [NewTable] checks a mapping and
// compiles it into a [Table].
//
// [Table.Where] translates [ownership.Policy.Filter]'s predicate into a
// parameterised SQL condition over the host's columns, true exactly for
// the rows whose record [ownership.Policy.Decide] allows; [Table.List]
// pages through the host's rows with it, by the host's key in its own type
// and order, scanning the host's own columns. [Store] reads and writes
// ownership in the host's owner column by compare-and-swap on a version
// column the host adds, and can write each change's event to sqlstore's
// outbox in the same transaction, for sqlstore's [sqlstore.Relay] to
// deliver.
//
// Identifiers in a mapping are checked (letters, digits and underscores,
// optionally schema-qualified) and quoted; every value in a statement is a
// parameter.
package hostsql
