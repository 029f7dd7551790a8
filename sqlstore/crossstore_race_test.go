//go:build race

package sqlstore

// raceEnabled scales the cross-store test down under the race detector,
// which slows the SQLite driver (C translated to Go) about twentyfold.
const raceEnabled = true
