// Package seed reads and writes the seed file, the JSON interchange format
// of the ownership library: users, teams and queues (the organisation,
// with its tenants and manager hierarchy), a policy, record types,
// templates, profiles, records with their ownership arrays, and
// assignment rules.
//
// It is a layer above the model: it imports package ownership, and
// ownership does not import it. [Parse] reads a file strictly, reporting
// every problem at once by its path in the file (an
// [*ownership.PathError]), and resolves every record's effective
// ownership, so that [Seed.Decide] answers questions about the file's data
// as the policy would in a running system, for subjects built by the
// seed's organisation ([Seed.Org]) with their tenant, teammates, reports
// and queues. cmd/ownctl is its command line; testdata/teams.json is a
// small CRM of two tenants, a team tree, a manager chain and a queue.
package seed
