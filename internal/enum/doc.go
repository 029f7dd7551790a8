// Package enum is the text form shared by the small enumerations of the
// library (Role, Action, Source, Mode, Reason, EventKind, Follow,
// Normalizer): one names table per type, from which String, Valid, Parse,
// MarshalText and UnmarshalText follow, so that every enumeration spells,
// refuses and reports its values the same way. It is a layer below the
// model and knows none of its types.
package enum
