package ownership

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ownershipkit/ownership/internal/casefold"
	"github.com/ownershipkit/ownership/internal/enum"
	"github.com/ownershipkit/ownership/internal/mailbox"
	"github.com/ownershipkit/ownership/internal/strictjson"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Normalizer says how field-matched ownership compares a record's field
// with a user's field: two values match when their normal forms are equal.
// Its text form, in JSON too, is "exact", "casefold" or "email".
//
// The zero Normalizer is [NormalizeExact].
type Normalizer uint8

const (
	// NormalizeExact compares values byte for byte.
	NormalizeExact Normalizer = iota
	// NormalizeCasefold compares values as [strings.EqualFold] does:
	// Unicode simple case folding, rune by rune. Bytes that are not UTF-8
	// compare exactly.
	//
	// It is meant for identifiers that are not email addresses (logins,
	// team names) and folds more than ASCII case: "ſam" (long s) matches
	// "sam", and "\u212Aim" (Kelvin sign) matches "kim". Use it on a field
	// users cannot set for themselves, or that the directory keeps unique
	// under the same folding; otherwise a user could name themselves so
	// as to share another's value and leave that user's records without
	// an owner ([ErrAmbiguous]). For addresses use NormalizeEmail, which
	// folds only what mail systems fold.
	NormalizeCasefold
	// NormalizeEmail compares the email addresses the values hold, as
	// [CanonicalEmail] gives them: "John G. Smith <JOHN@x.io>" matches
	// "john@x.io", and "ann@bücher.de" matches "ann@xn--bcher-kva.de"; the
	// local part folds ASCII case only, so "ſam@x.io" does not match
	// "sam@x.io". A value that is not one address matches nobody.
	NormalizeEmail
)

var normalizerNames = enum.New[Normalizer]("Normalizer", "normalize", "exact", "casefold", "email").EmptyIsZero()

// String returns "exact", "casefold", "email", or "Normalizer(n)".
func (n Normalizer) String() string { return normalizerNames.String(n) }

// Valid reports whether n is one of the three normalisers.
func (n Normalizer) Valid() bool { return normalizerNames.Valid(n) }

// ParseNormalizer parses "exact", "casefold" or "email". The empty string
// is [NormalizeExact], the zero value, as an omitted JSON field is.
func ParseNormalizer(s string) (Normalizer, error) { return normalizerNames.Parse(s) }

// MarshalText implements [encoding.TextMarshaler]. A value that is not
// one of the Normalizers is an error rather than a string that would not parse.
func (n Normalizer) MarshalText() ([]byte, error) { return normalizerNames.MarshalText(n) }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (n *Normalizer) UnmarshalText(b []byte) error { return normalizerNames.UnmarshalText(n, b) }

// OwnerField configures field-matched ownership for one record type: the
// owner of a record is the user whose User field, normalised, equals the
// record's Record field, normalised. In a seed file it is a type's
// "owner_field":
//
//	{"record": "customer_email", "user": "email", "normalize": "email"}
//
// The zero OwnerField is invalid: it names no fields.
type OwnerField struct {
	// Record is the name of the record field, a key of [Record.Fields].
	Record string `json:"record"`
	// User is the name of the user field, as [User.Field] understands it:
	// "id", "login", "email", "given_name", "last_name", "full_name", or a
	// key of the user's Fields. Use a field that is unique per user.
	User string `json:"user"`
	// Normalize says how values compare; zero is exact.
	Normalize Normalizer `json:"normalize,omitempty"`
	// CaseSensitiveLocal makes the email normaliser keep the case of the
	// local part (the domain is folded regardless). False, the default,
	// folds its ASCII letters: RFC 5321 lets a server tell John@ from
	// john@, but nearly none does, and directories and inbound mail
	// disagree on case. Other letters are never folded. It is an error
	// with any other normaliser.
	CaseSensitiveLocal bool `json:"case_sensitive_local,omitempty"`
}

// Validate reports what is wrong with f, as an error wrapping [ErrInvalid],
// or nil.
func (f OwnerField) Validate() error {
	switch {
	case f.Record == "":
		return fmt.Errorf("%w: owner_field.record: empty field name", ErrInvalid)
	case f.User == "":
		return fmt.Errorf("%w: owner_field.user: empty field name", ErrInvalid)
	case !f.Normalize.Valid():
		return fmt.Errorf("%w: owner_field.normalize: %v is not exact, casefold or email", ErrInvalid, f.Normalize)
	case f.CaseSensitiveLocal && f.Normalize != NormalizeEmail:
		return fmt.Errorf("%w: owner_field.case_sensitive_local: only the email normaliser has a local part, not %v", ErrInvalid, f.Normalize)
	}
	return nil
}

// ownerFieldJSON has OwnerField's fields without its methods.
type ownerFieldJSON OwnerField

// UnmarshalJSON decodes {"record", "user", "normalize",
// "case_sensitive_local"} strictly (unknown fields are errors, and so is
// nesting more than 64 levels deep) and validates it.
func (f *OwnerField) UnmarshalJSON(b []byte) error {
	var v OwnerField
	if err := strictjson.Decode(b, (*ownerFieldJSON)(&v)); err != nil {
		return err
	}
	if err := v.Validate(); err != nil {
		return err
	}
	*f = v
	return nil
}

// blank reports whether v holds no value: it is empty or, for the email
// normaliser, only white space. A blank value matches nobody and is not
// an error.
func (f *OwnerField) blank(v string) bool {
	if f.Normalize != NormalizeEmail {
		return v == ""
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// Canonical returns value's normal form under f, the key that a [Matcher]
// compares: value itself for exact, case-folded for casefold, the bare
// address of [CanonicalEmail] for email. A blank value (empty, or only
// white space for email) gives "" and no error: it matches nobody. A value
// that is not one address under email is an error wrapping [ErrInvalid].
func (f OwnerField) Canonical(value string) (string, error) {
	if f.blank(value) {
		return "", nil
	}
	switch f.Normalize {
	case NormalizeExact:
		return value, nil
	case NormalizeCasefold:
		return string(casefold.Append(nil, value)), nil
	case NormalizeEmail:
		return CanonicalEmail(value, f.CaseSensitiveLocal)
	}
	return "", f.Validate()
}

// Matcher derives records' owners from a field, as an [OwnerField] says, by
// looking the field's value up in an index of a user directory built once
// by [NewMatcher]. A record's owner is the one user whose field value has
// the same normal form as the record's; when the field changes, so does
// the owner (a task is owned by whoever it is assigned to).
//
// A lookup answers one of four ways:
//
//   - the record's field is absent or blank, or its value matches no user:
//     the record is unassigned (an empty [List]), and that is no error;
//   - the value matches one user: that user owns it;
//   - under the email normaliser, the value is not one address: an error
//     wrapping [ErrInvalid] that quotes it and says why;
//   - the value matches two or more users: an error wrapping
//     [ErrAmbiguous] that names them. The record matches nobody rather
//     than all of them; fix the directory, which [Matcher.Problems] lists
//     up front.
//
// Every user with the field is indexed, inactive users too: they keep the
// records that name them. Each indexed user also gets a prebuilt
// one-owner List, so that [Matcher.Ownership] and [Matcher.Apply] allocate
// nothing; that costs a few hundred bytes per user.
//
// A Matcher never changes once built and is safe for concurrent use. To
// follow directory changes, build a new one and swap it in.
//
// The zero Matcher, and a nil *Matcher, match nothing: every lookup is an
// error wrapping [ErrInvalid].
type Matcher struct {
	field OwnerField
	// index maps a normal form to a slot: i >= 0 is lists[i]; -1-g is
	// shared[g], a value several users have.
	index    map[string]int
	lists    []List // one per uniquely matched user, that user as sole owner
	shared   []sharedValue
	maxKey   int // the longest key, in bytes
	problems []error
}

// sharedValue is a normal form that several users have.
type sharedValue struct {
	key   string
	users []UserID // in directory order
	pos   []int    // their indexes in the users given to NewMatcher
}

// NewMatcher validates f and indexes users by their normalised field f.User.
// Users without the field are left out. Users whose field is not an address
// (under email), values several users share and lookalike addresses do not
// fail it: they are reported by [Matcher.Problems], and records that hit a
// shared value fail with [ErrAmbiguous].
//
// An invalid f, a user without an id, or two users with one id is an
// error wrapping [ErrInvalid].
func NewMatcher(f OwnerField, users []User) (*Matcher, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	m := &Matcher{field: f, index: make(map[string]int, len(users))}
	type problem struct {
		pos int
		err error
	}
	var problems []problem
	seen := make(map[UserID]int, len(users))
	owner := make([]int, 0, len(users)) // lists[i] belongs to users[owner[i]]
	unicodeKeys := false                // under email: some key is not plain ASCII
	for i, u := range users {
		if u.ID == "" {
			return nil, fmt.Errorf("%w: users[%d].id: empty", ErrInvalid, i)
		}
		if j, dup := seen[u.ID]; dup {
			return nil, fmt.Errorf("%w: users[%d].id: %q is also users[%d]", ErrInvalid, i, u.ID, j)
		}
		seen[u.ID] = i
		v, ok := u.Field(f.User)
		if !ok || f.blank(v) {
			continue
		}
		key, err := f.Canonical(v)
		if err != nil {
			var ae *mailbox.Error
			if errors.As(err, &ae) {
				err = fmt.Errorf("%w: %s (%s): %s", ErrInvalid, userFieldPath(i, f.User), u.ID, ae.Detail())
			}
			problems = append(problems, problem{i, err})
			continue
		}
		m.maxKey = max(m.maxKey, len(key))
		if f.Normalize == NormalizeEmail && !plainKey(key) {
			unicodeKeys = true
		}
		slot, dup := m.index[key]
		switch {
		case !dup:
			m.index[key] = len(m.lists)
			m.lists = append(m.lists, listOf([]Entry{u.Entry(Owner)}))
			owner = append(owner, i)
		case slot >= 0:
			first := owner[slot]
			m.index[key] = -1 - len(m.shared)
			m.shared = append(m.shared, sharedValue{key: key, users: []UserID{users[first].ID, u.ID}, pos: []int{first, i}})
		default:
			s := &m.shared[-1-slot]
			s.users = append(s.users, u.ID)
			s.pos = append(s.pos, i)
		}
	}
	for _, s := range m.shared {
		names := make([]string, len(s.users))
		for k, id := range s.users {
			names[k] = fmt.Sprintf("%s (users[%d])", id, s.pos[k])
		}
		problems = append(problems, problem{s.pos[0], fmt.Errorf("%w: %d users share %s %q: %s; records with this value have no owner until it is unique",
			ErrAmbiguous, len(s.users), f.User, s.key, strings.Join(names, ", "))})
	}
	// Lookalikes need a key that is not plain ASCII; a directory without
	// one, the common case, costs nothing more.
	var keyed []keyedUser
	if unicodeKeys {
		for i, u := range users {
			if v, ok := u.Field(f.User); ok && !f.blank(v) {
				if key, err := f.Canonical(v); err == nil {
					keyed = append(keyed, keyedUser{key, u.ID, i})
				}
			}
		}
	}
	for _, g := range lookalikes(keyed, f.CaseSensitiveLocal) {
		names := make([]string, len(g))
		for k, u := range g {
			// The ASCII quoting too, where it differs, since the
			// point is that the two look alike.
			names[k] = fmt.Sprintf("%s (users[%d]) %q", u.id, u.pos, u.key)
			if q, a := fmt.Sprintf("%q", u.key), fmt.Sprintf("%+q", u.key); q != a {
				names[k] += " = " + a
			}
		}
		problems = append(problems, problem{g[0].pos, fmt.Errorf("%w: users' %s values differ only by Unicode case or compatibility folding, which the email normaliser does not apply: %s; each matches only its own records: check that these are different people and that records name the right one",
			ErrLookalike, f.User, strings.Join(names, ", "))})
	}
	slices.SortStableFunc(problems, func(a, b problem) int { return cmp.Compare(a.pos, b.pos) })
	for _, p := range problems {
		m.problems = append(m.problems, p.err)
	}
	return m, nil
}

// userFieldPath names user i's field in a seed file's terms, as in
// "users[3].email" or "users[3].fields.team".
func userFieldPath(i int, name string) string {
	switch name {
	case "id", "login", "email", "given_name", "last_name", "full_name":
		return fmt.Sprintf("users[%d].%s", i, name)
	}
	return fmt.Sprintf("users[%d].fields.%s", i, name)
}

// MustMatcher is like [NewMatcher] but panics on an invalid configuration.
// It is meant for hard-coded directories in tests and examples.
func MustMatcher(f OwnerField, users []User) *Matcher {
	m, err := NewMatcher(f, users)
	if err != nil {
		panic(err.Error() + " (MustMatcher is for hard-coded directories; use NewMatcher for data)")
	}
	return m
}

// Field returns the configuration m was built with.
func (m *Matcher) Field() OwnerField {
	if m == nil {
		return OwnerField{}
	}
	return m.field
}

// Problems returns, in directory order, what makes the directory unfit for
// matching: each value that several users share (wrapping [ErrAmbiguous],
// naming the users and their positions), each user whose field is not an
// address under the email normaliser (wrapping [ErrInvalid]), and, under
// the email normaliser, each set of users whose addresses are different
// keys but differ only by folding the normaliser deliberately does not
// apply (wrapping [ErrLookalike], naming the users, their positions and
// their addresses): Unicode full case folding and compatibility (NFKC)
// mapping of the local part, such as "ſam@x.io" (long s) and "sam@x.io",
// "\u212Aelvin@x.io" (Kelvin sign) and "kelvin@x.io", "straße@x.io" and
// "strasse@x.io", and the like for the Unicode form of the domain
// ("a@σας.gr" and "a@σασ.gr"). Lookalikes still match one user each; they
// are reported so that an administrator can check them. Under
// CaseSensitiveLocal, addresses that differ only by ASCII case are not
// reported: that difference is configured. Problems is nil for a directory
// without problems. The slice is a copy.
func (m *Matcher) Problems() []error {
	if m == nil {
		return nil
	}
	return slices.Clone(m.problems)
}

// errZeroMatcher is returned by the lookups of a Matcher not built by
// NewMatcher.
var errZeroMatcher = fmt.Errorf("%w: zero Matcher: build one with NewMatcher", ErrInvalid)

// noSlot is the slot of a value that matches nobody.
const noSlot = int(^uint(0) >> 1)

// lookup returns the slot of value's normal form, or noSlot. It allocates
// nothing: the normal form is built in a stack buffer and the map is
// indexed with m[string(b)], which Go does not copy. (An email's normal
// form always fits the buffer; a case-folded one fits unless the directory
// has keys longer than the buffer, and a fold that outgrows every key
// stops early.)
func (m *Matcher) lookup(value string) (int, *mailbox.Error) {
	f := &m.field
	if f.blank(value) {
		return noSlot, nil
	}
	var (
		slot int
		ok   bool
	)
	switch f.Normalize {
	case NormalizeExact:
		slot, ok = m.index[value]
	case NormalizeCasefold:
		var buf [256]byte
		b, fits := casefold.AppendMax(buf[:0], value, m.maxKey)
		if fits {
			slot, ok = m.index[string(b)]
		}
	case NormalizeEmail:
		var buf [mailbox.MaxAddress + 2]byte
		b, err := mailbox.AppendCanonical(buf[:0], value, f.CaseSensitiveLocal)
		if err != nil {
			return noSlot, err
		}
		slot, ok = m.index[string(b)]
	}
	if !ok {
		return noSlot, nil
	}
	return slot, nil
}

// maxNamed is how many users an ambiguity error on a record names.
const maxNamed = 5

func (m *Matcher) ambiguous(value, where string, s *sharedValue) error {
	names := s.users
	more := ""
	if len(names) > maxNamed {
		names = names[:maxNamed]
		more = fmt.Sprintf(" and %d more", len(s.users)-maxNamed)
	}
	ids := make([]string, len(names))
	for i, id := range names {
		ids[i] = string(id)
	}
	if where != "" {
		where += " "
	}
	return fmt.Errorf("%w: %s%q matches %d users by %s %q: %s%s; the user field must be unique",
		ErrAmbiguous, where, mailbox.Clip(value), len(s.users), m.field.User, s.key, strings.Join(ids, ", "), more)
}

// where names a record's field in messages: `contract/k1 field "customer_email"`.
func (m *Matcher) where(r *Record) string {
	return fmt.Sprintf("%v field %q", r.Ref, m.field.Record)
}

// OwnerOf returns the user that value, a raw field value such as
// "John G. Smith <JOHN@x.io>", names: "" when it is blank or matches
// nobody. The errors are those described on [Matcher]. OwnerOf allocates
// nothing unless it fails.
func (m *Matcher) OwnerOf(value string) (UserID, error) {
	if m == nil || m.index == nil {
		return "", errZeroMatcher
	}
	slot, aerr := m.lookup(value)
	switch {
	case aerr != nil:
		return "", aerr
	case slot == noSlot:
		return "", nil
	case slot >= 0:
		return m.lists[slot].FirstOwner(), nil
	}
	return "", m.ambiguous(value, "", &m.shared[-1-slot])
}

// Owner returns the owner of r derived from its field, "" when r is
// unassigned. It is [Matcher.OwnerOf] on the field, with errors that name
// the record and the field.
func (m *Matcher) Owner(r Record) (UserID, error) {
	l, err := m.Ownership(r)
	return l.FirstOwner(), err
}

// Ownership returns r's effective ownership derived from its field: a
// [List] with the matched user as the only owner, the entry's details
// taken from the directory ([User.Entry]); the empty List when r is
// unassigned. The errors are those described on [Matcher], and name the
// record and the field. r.Ownership is ignored. Ownership allocates nothing
// unless it fails.
func (m *Matcher) Ownership(r Record) (List, error) {
	if m == nil || m.index == nil {
		return List{}, errZeroMatcher
	}
	v := r.Fields[m.field.Record]
	slot, aerr := m.lookup(v)
	switch {
	case aerr != nil:
		return List{}, fmt.Errorf("%w: %s: %s", ErrInvalid, m.where(&r), aerr.Detail())
	case slot == noSlot:
		return List{}, nil
	case slot >= 0:
		return m.lists[slot], nil
	}
	return List{}, m.ambiguous(v, m.where(&r), &m.shared[-1-slot])
}

// Apply returns r with its Ownership replaced by the one derived from its
// field, ready for [Policy.Decide] and the other checks, whatever r's
// [Mode]. Apply allocates nothing unless it fails.
//
// On error Apply returns the zero Record, about which every decision is a
// denial, so that a caller who drops the error still fails closed; r's own
// list, stale or empty, would not.
func (m *Matcher) Apply(r Record) (Record, error) {
	l, err := m.Ownership(r)
	if err != nil {
		return Record{}, err
	}
	r.Ownership = l
	return r, nil
}

// keyedUser is a user's normal form under the email normaliser.
type keyedUser struct {
	key string
	id  UserID
	pos int // in the users given to NewMatcher
}

// lookalikes groups users whose email keys differ but have one
// lookalikeKey, in directory order, leaving out groups whose keys differ
// only by ASCII case when the local part's case is kept on purpose.
//
// Keys that are plain ASCII fold to themselves, or differ from each other
// only by ASCII case, so every group has a key that is not; the lookalike
// keys of those come first, and the others are only looked up in them,
// which keeps a large ASCII directory from building a second index.
func lookalikes(users []keyedUser, caseSensitiveLocal bool) [][]keyedUser {
	first := map[string]int{} // lookalike key: a user, or -1 before one; -2-g for groups[g]
	for _, u := range users {
		if !plainKey(u.key) {
			first[lookalikeKey(u.key)] = -1
		}
	}
	if len(first) == 0 {
		return nil
	}
	var groups [][]keyedUser
	for i, u := range users {
		k := lookalikeKey(u.key)
		switch j, ok := first[k]; {
		case !ok:
		case j == -1:
			first[k] = i
		case j >= 0:
			first[k] = -2 - len(groups)
			groups = append(groups, []keyedUser{users[j], u})
		default:
			groups[-2-j] = append(groups[-2-j], u)
		}
	}
	out := groups[:0]
	for _, g := range groups {
		for _, u := range g[1:] {
			a, b := g[0].key, u.key
			if caseSensitiveLocal {
				a, b = string(appendLowerASCII(nil, a)), string(appendLowerASCII(nil, b))
			}
			if a != b {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// lookalikeKey returns what the email key k becomes with the folding the
// email normaliser does not apply: the local part in NFKC with full
// Unicode case folding (as Unicode's NFKC_Casefold, without removing
// default ignorables), and likewise the Unicode form of the domain, which
// also merges what transitional IDNA would (ß and ss, ς and σ). Keys that
// are plain ASCII fold ASCII letters only and allocate nothing unless they
// have capitals.
func lookalikeKey(k string) string {
	if plainKey(k) {
		return strings.ToLower(k)
	}
	at := strings.LastIndexByte(k, '@')
	local, domain := k[:at], k[at+1:]
	if u, err := mailbox.ToUnicode(domain); err == nil {
		domain = u
	}
	return nfkcFold(local) + "@" + nfkcFold(domain)
}

// appendLowerASCII appends s with its ASCII letters lowered.
func appendLowerASCII(dst []byte, s string) []byte {
	start := len(dst)
	dst = append(dst, s...)
	mailbox.LowerASCII(dst[start:])
	return dst
}

// plainKey reports whether the email key k is ASCII without A-labels, so
// that only ASCII case folding can change it.
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			return false
		}
	}
	return !strings.Contains(k, "xn--")
}

// nfkcFold returns s in NFKC with full Unicode case folding, in NFKC
// again, since folding can undo it.
func nfkcFold(s string) string {
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
}

// CanonicalEmail returns the canonical form of the one email address in s,
// which is how [NormalizeEmail] compares values: "John G. Smith
// <JOHN@X.io>", "<john@x.io>" and "john@x.io (work)" all give
// "john@x.io".
//
// s must be exactly one RFC 5322 mailbox: an address ("local@domain"),
// optionally in angle brackets after a display name, with comments and
// white space (including folded lines) around its parts. The display name
// and the comments are dropped. Obsolete syntax is refused except for dots
// in unquoted display names ("John G. Smith"), which mail clients still
// write. UTF-8 is accepted where RFC 6532 allows it.
//
// The canonical form is the bare address. Its parts are compared as mail
// systems compare them, and no further: where they disagree, two
// addresses are kept apart, because a false split leaves a record
// unassigned, visibly, while a false merge gives one user's records to
// another or makes them ownerless.
//
// The domain is an IDNA domain name (UTS #46 with nontransitional
// processing, which treats ß and ς as IDNA2008 does) in its ASCII form:
// "BÜCHER.de", "bücher.de" and "XN--BCHER-KVA.de" all give
// "xn--bcher-kva.de". The ASCII form, not the Unicode one, is canonical
// because it is what DNS uses and every mail server accepts, because RFC
// 5321's length limits apply to it, and because an A-label has exactly
// one spelling, so keys compare byte for byte. Nontransitional processing
// keeps "ς" (final sigma) apart from "σ" and "ß" apart from "ss":
// "σας.gr" and "σασ.gr" are different domains, as are "straße.de" and
// "strasse.de" ("STRAẞE.de", with a capital sharp s, is "strasse.de" under
// UTS #46). A domain that IDNA refuses (a character outside letters,
// digits and '-' such as '_', a label that begins or ends with '-' or has
// "--" in its third and fourth places without being an A-label, an
// A-label that does not decode to a valid U-label, a label longer than 63
// bytes, an empty label after mapping) makes the address invalid. Domain
// literals ("[192.0.2.1]") are kept with ASCII letters in lower case and
// white space removed.
//
// The local part is kept as written but for two things. ASCII letters are
// lowered unless caseSensitiveLocal is set: mail systems treat John@ and
// john@ as one mailbox, but not ſam@ and sam@ or a Kelvin sign K and k, so
// no other case folding is applied. Non-ASCII text is put in Unicode
// normalisation form C, so that a composed "é" and an "e" followed by a
// combining accent are equal; characters that NFC would replace by another
// single character, the aliases such as U+212A KELVIN SIGN (K), U+2126
// OHM SIGN (Ω), U+212B ANGSTROM SIGN (Å) and the CJK compatibility
// ideographs, are kept as written, since NFC would make them equal to the
// letter they look like. [Matcher.Problems] reports directory addresses
// that differ only by the folding left out here. A quoted local part loses
// its quotes when it does not need them ("john.smith"@x.io is
// john.smith@x.io) and is otherwise quoted with the fewest escapes.
//
// The canonical form of a canonical form is itself.
//
// Anything that is not one address is an error wrapping [ErrInvalid] that
// quotes s and says what is wrong and where: an empty value, a missing '@',
// a second address, unbalanced quotes, comments or brackets, text after the
// address, an empty or over-long part (more than 64 bytes of local part or
// 254 of address, counted in the canonical form), a domain IDNA refuses,
// control characters or invalid UTF-8.
func CanonicalEmail(s string, caseSensitiveLocal bool) (string, error) {
	return mailbox.Canonical(s, caseSensitiveLocal)
}
