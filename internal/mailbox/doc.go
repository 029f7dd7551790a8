// Package mailbox parses one RFC 5322 mailbox ("John G. Smith
// <JOHN@x.io>") into its canonical bare address: the email normaliser of
// field-matched ownership, a layer below the root package's Matcher, which
// exports it as CanonicalEmail.
package mailbox
