// Package sentinel holds the sentinel errors that the internal packages
// return and the root package exports, so that both can wrap one value
// without an import cycle, as os exports internal/oserror's.
package sentinel
