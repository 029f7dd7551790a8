// Package seed reads and writes the seed file, the JSON interchange format
// of the ownership library: users, a policy, record types, templates,
// profiles, records with their ownership arrays, and assignment rules.
//
// It is a layer above the model: it imports package ownership, and
// ownership does not import it. [Parse] reads a file strictly, reporting
// every problem at once by its path in the file (an
// [*ownership.PathError]), and resolves every record's effective
// ownership, so that [Seed.Decide] answers questions about the file's data
// as the policy would in a running system. cmd/ownctl is its command line.
package seed
