// Package jsontest builds hostile JSON for the tests of every strict
// reader: nesting of each shape at, just past and far past the depth
// limit. It is test support, imported only by _test files.
package jsontest
