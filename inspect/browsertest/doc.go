// Package browsertest drives the access inspector in a headless Chromium:
// its tests click through the pages over a memstore and over SQLite, and
// save a screenshot of each page. It is a module of its own so that the
// core module does not depend on a browser driver.
package browsertest
