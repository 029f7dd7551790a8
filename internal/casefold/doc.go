// Package casefold is the case folding of the casefold normaliser of
// field-matched ownership, a layer below the root package's Matcher.
// Folding maps a string to one representative of the strings that
// strings.EqualFold takes for equal, so that equal-under-EqualFold becomes
// equal-as-map-keys. The email normaliser does not use it: it folds ASCII
// letters only (see package mailbox).
package casefold
