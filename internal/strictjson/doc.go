// Package strictjson is the one strict reader of JSON behind every format
// of the library: policies, ownership lists, assignment rules, owner
// fields and seed files.
//
// It sits below the model: [Decode] refuses what encoding/json lets
// through (keys that match only when case is ignored, keys twice in one
// object, unknown fields, data after the value, and arrays and objects
// nested more than [MaxDepth] levels deep, checked in one pass before
// anything is decoded), and a [Decoder] walks accepted input by hand,
// recording every problem at once. Each problem is an [*Error] that names
// its path in the input and wraps the root package's ErrInvalid; the root
// package exports the type as ownership.PathError.
package strictjson
