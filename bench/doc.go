// Package bench measures the ownership library against Casbin on the same
// policy and the same data.
//
// The policy is the CRM one of the top-level README: an admin who bypasses
// ownership, a manager with the All scope on every record type (and claim
// and reassign), and a sales rep who views Own|Unassigned contacts, updates
// Own contacts and may claim unassigned ones. [Policy] builds it for the
// ownership library and [NewCasbin] for Casbin; the equivalence test
// proves that both give the same decision for every subject, action and
// record of the data set before any figure is worth reading.
//
// The package lives in its own module so that the core module never
// depends on Casbin.
package bench
