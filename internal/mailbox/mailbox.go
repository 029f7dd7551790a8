package mailbox

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"github.com/ownershipkit/ownership/internal/sentinel"
)

// The parser is hand-written rather than built
// on net/mail because the matcher needs what net/mail does not give: a
// canonical form that is stable under re-parsing, case folding in the same
// pass, errors that say where the input went wrong, and no allocation on
// the way to a map lookup for ASCII addresses.

// Limits of a canonical address, from RFC 5321 (section 4.5.3.1): a path is
// at most 256 octets with its angle brackets, a local part at most 64.
const (
	// MaxAddress is the longest canonical address, in bytes.
	MaxAddress = 254
	maxLocal   = 64
	maxLabel   = 63 // a domain label, RFC 1035
)

// idnaProfile maps and checks domains that are not plain ASCII host names:
// UTS #46 mapping (case, width, NFC) with nontransitional processing, so
// that ß and ς stay themselves instead of becoming ss and σ as IDNA2003
// had it, the STD3 rules (letters, digits and hyphens), the hyphen, joiner
// and bidi rules of IDNA2008, and DNS lengths. It is idna.Lookup plus
// VerifyDNSLength, spelled out so that a change of idna.Lookup's defaults
// cannot change keys.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
)

// Canonical returns the canonical form of the one email address in s: the
// bare address, its domain in Unicode (UTS #46 nontransitional, NFC) or
// lower-case ASCII, its local part as written but with ASCII letters
// lowered unless caseSensitiveLocal, and NFC applied except to the
// singletons. The root package's CanonicalEmail documents it in full.
// Anything that is not one address is an *Error.
func Canonical(s string, caseSensitiveLocal bool) (string, error) {
	var buf [MaxAddress + 2]byte
	out, err := AppendCanonical(buf[:0], s, caseSensitiveLocal)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// Error is a parse error of an email address, in the manner of net/netip's
// parseAddrError. It wraps the root package's ErrInvalid.
type Error struct {
	in  string // the whole input
	msg string // what is wrong
	at  string // the rest of the input from where it went wrong, or ""
}

// clipLen is how much of the input an error message quotes.
const clipLen = 96

// Clip shortens s for a message, on a rune boundary.
func Clip(s string) string {
	if len(s) <= clipLen {
		return s
	}
	i := clipLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// Detail is the message without the sentinel's prefix, for callers that
// put it in context.
func (e *Error) Detail() string {
	m := "email address " + strconv.Quote(Clip(e.in)) + ": " + e.msg
	if e.at != "" {
		m += " (at " + strconv.Quote(Clip(e.at)) + ")"
	}
	return m
}

// Error returns the message, prefixed as ErrInvalid errors are.
func (e *Error) Error() string { return sentinel.ErrInvalid.Error() + ": " + e.Detail() }

// Unwrap makes the error match ErrInvalid.
func (e *Error) Unwrap() error { return sentinel.ErrInvalid }

// addrParser walks one mailbox. Its methods return *Error, nil on
// success, so that the success path neither allocates nor converts to an
// interface.
type addrParser struct {
	s string
	i int
}

func (p *addrParser) fail(msg string, at int) *Error {
	e := &Error{in: p.s, msg: msg}
	if at >= 0 && at < len(p.s) {
		e.at = p.s[at:]
	}
	return e
}

func (p *addrParser) end() bool { return p.i >= len(p.s) }

// appendCanonicalEmail appends the canonical form of the address in s to
// dst. On error the contents appended so far are garbage; callers discard
// dst.
func AppendCanonical(dst []byte, s string, caseSensitiveLocal bool) ([]byte, *Error) {
	p := addrParser{s: s}
	if err := p.checkChars(); err != nil {
		return dst, err
	}
	if err := p.cfws(); err != nil {
		return dst, err
	}
	if p.end() {
		if s == "" {
			return dst, p.fail("empty", -1)
		}
		return dst, p.fail("no address, only white space or comments", -1)
	}
	lt, gt := angles(s)
	if gt >= 0 && (lt < 0 || gt < lt) {
		return dst, p.fail("'>' without '<'", gt)
	}
	var err *Error
	if lt >= 0 {
		if err = p.phrase(); err != nil {
			return dst, err
		}
		open := p.i
		p.i++ // '<'
		if err = p.cfws(); err != nil {
			return dst, err
		}
		switch {
		case p.end():
			return dst, p.fail("missing '>'", open)
		case s[p.i] == '>':
			return dst, p.fail("empty address", open)
		}
		if dst, err = p.addrSpec(dst, caseSensitiveLocal); err != nil {
			return dst, err
		}
		if err = p.cfws(); err != nil {
			return dst, err
		}
		switch {
		case p.end():
			return dst, p.fail("missing '>'", open)
		case s[p.i] == '@':
			return dst, p.fail("a second '@' (quote a local part that holds one)", p.i)
		case s[p.i] != '>':
			return dst, p.fail("unexpected "+strconv.QuoteRune(rune(s[p.i]))+" in address", p.i)
		}
		p.i++
	} else if dst, err = p.addrSpec(dst, caseSensitiveLocal); err != nil {
		return dst, err
	}
	if err = p.cfws(); err != nil {
		return dst, err
	}
	if !p.end() {
		switch s[p.i] {
		case ',':
			return dst, p.fail("more than one address", p.i)
		case '@':
			return dst, p.fail("a second '@' (quote a local part that holds one)", p.i)
		}
		return dst, p.fail("unexpected text after the address", p.i)
	}
	return dst, nil
}

// checkChars refuses invalid UTF-8 and control characters other than tab,
// carriage return and line feed, which the lexer handles as white space and
// folding. After it, every byte >= 0x80 belongs to a valid rune that is not
// a control character.
func (p *addrParser) checkChars() *Error {
	s := p.s
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < ' ' && c != '\t' && c != '\r' && c != '\n') || c == 0x7f {
				return p.fail("control character "+strconv.QuoteRune(rune(c)), i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return p.fail("invalid UTF-8", i)
		}
		if r < 0xa0 {
			return p.fail("control character "+strconv.QuoteRune(r), i)
		}
		i += size
	}
	return nil
}

// angles returns the positions of the first '<' and the first '>' outside
// quoted strings, comments and domain literals, or -1. Unbalanced quotes
// and comments end the scan; the parser reports them.
func angles(s string) (lt, gt int) {
	lt, gt = -1, -1
	depth := 0 // comment nesting
	for i := 0; i < len(s); i++ {
		c := s[i]
		if depth > 0 {
			switch c {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				depth--
			}
			continue
		}
		switch c {
		case '(':
			depth++
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i >= len(s) {
				return lt, gt
			}
		case '[':
			for i++; i < len(s) && s[i] != ']'; i++ {
			}
			if i >= len(s) {
				return lt, gt
			}
		case '<':
			if lt < 0 {
				lt = i
			}
		case '>':
			if gt < 0 {
				gt = i
			}
		}
	}
	return lt, gt
}

// isAtext reports whether c may appear in an atom (RFC 5322 atext, with
// the bytes of non-ASCII runes as RFC 6532 adds).
func isAtext(c byte) bool { return atext[c] }

// atext is isAtext's table.
var atext = func() (t [256]bool) {
	for c := range 256 {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c >= utf8.RuneSelf:
			t[c] = true
		}
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~" {
		t[c] = true
	}
	return t
}()

// isDotAtom reports whether b is an RFC 5322 dot-atom-text: atoms joined by
// single dots.
func isDotAtom(b []byte) bool {
	if len(b) == 0 || b[0] == '.' || b[len(b)-1] == '.' {
		return false
	}
	for i, c := range b {
		if c == '.' {
			if b[i-1] == '.' {
				return false
			}
		} else if !isAtext(c) {
			return false
		}
	}
	return true
}

// lineBreak consumes a line break at p.i, which must be a fold: CRLF (or a
// bare LF) followed by a space or tab.
func (p *addrParser) lineBreak() *Error {
	at := p.i
	if p.s[p.i] == '\r' {
		p.i++
		if p.end() || p.s[p.i] != '\n' {
			return p.fail("carriage return without line feed", at)
		}
	}
	p.i++ // '\n'
	if p.end() || (p.s[p.i] != ' ' && p.s[p.i] != '\t') {
		return p.fail("line break not followed by a space or tab", at)
	}
	return nil
}

// cfws skips white space, folds and comments.
func (p *addrParser) cfws() *Error {
	for !p.end() {
		switch p.s[p.i] {
		case ' ', '\t':
			p.i++
		case '\r', '\n':
			if err := p.lineBreak(); err != nil {
				return err
			}
		case '(':
			if err := p.comment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// comment skips a comment, nested comments included, starting at its '('.
func (p *addrParser) comment() *Error {
	open, depth := p.i, 0
	for !p.end() {
		switch p.s[p.i] {
		case '(':
			depth++
			p.i++
		case ')':
			depth--
			p.i++
			if depth == 0 {
				return nil
			}
		case '\\':
			p.i++
			if p.end() {
				break
			}
			if c := p.s[p.i]; c == '\r' || c == '\n' {
				return p.fail("line break after '\\'", p.i-1)
			}
			p.i++ // a continuation byte left over is ctext anyway
		case '\r', '\n':
			if err := p.lineBreak(); err != nil {
				return err
			}
		default:
			p.i++
		}
	}
	return p.fail("unclosed comment", open)
}

// Modes of quoted and emit.
const (
	qsSkip = iota // display name: check only
	qsKeep        // local part: as written
	qsFold        // domain literal: ASCII letters lowered
)

// quoted reads a quoted string starting at its '"' and, unless mode is
// qsSkip, appends its content to dst: escapes resolved, folds removed, the
// white space they left kept.
func (p *addrParser) quoted(dst []byte, mode int) ([]byte, *Error) {
	open := p.i
	p.i++
	for !p.end() {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			return dst, nil
		case '\\':
			p.i++
			if p.end() {
				return dst, p.fail("unclosed quoted string", open)
			}
			if c := p.s[p.i]; c == '\r' || c == '\n' {
				return dst, p.fail("line break after '\\'", p.i-1)
			}
			dst = p.emit(dst, mode)
		case '\r', '\n':
			if err := p.lineBreak(); err != nil {
				return dst, err
			}
		default:
			dst = p.emit(dst, mode)
		}
	}
	return dst, p.fail("unclosed quoted string", open)
}

// emit consumes the rune at p.i and appends it to dst as mode says.
func (p *addrParser) emit(dst []byte, mode int) []byte {
	c := p.s[p.i]
	if c < utf8.RuneSelf {
		p.i++
		switch mode {
		case qsSkip:
			return dst
		case qsFold:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
		}
		return append(dst, c)
	}
	_, size := utf8.DecodeRuneInString(p.s[p.i:])
	start := p.i
	p.i += size
	if mode == qsSkip {
		return dst
	}
	return append(dst, p.s[start:p.i]...)
}

// phrase skips a display name, up to the '<' that angles found. Dots may
// appear unquoted (RFC 5322's obs-phrase).
func (p *addrParser) phrase() *Error {
	for {
		if err := p.cfws(); err != nil {
			return err
		}
		if p.end() {
			return p.fail("missing '<'", -1)
		}
		switch c := p.s[p.i]; {
		case c == '<':
			return nil
		case c == '"':
			if _, err := p.quoted(nil, qsSkip); err != nil {
				return err
			}
		case isAtext(c) || c == '.':
			for p.i++; !p.end() && (isAtext(p.s[p.i]) || p.s[p.i] == '.'); p.i++ {
			}
		case c == ',':
			return p.fail(`unquoted ',' in display name (quote the name, as in "Smith, John" <...>)`, p.i)
		case c == ':' || c == ';':
			return p.fail("group syntax (name: addresses;) is not one address", p.i)
		case c == '@':
			return p.fail("unquoted '@' in display name", p.i)
		case c == ')':
			return p.fail("')' without '('", p.i)
		default:
			return p.fail("unexpected "+strconv.QuoteRune(rune(c))+" in display name", p.i)
		}
	}
}

// addrSpec reads local@domain, with white space and comments around its
// parts, and appends its canonical form to dst.
func (p *addrParser) addrSpec(dst []byte, caseSensitiveLocal bool) ([]byte, *Error) {
	start := len(dst)
	if err := p.cfws(); err != nil {
		return dst, err
	}
	if p.end() {
		return dst, p.fail("missing address", -1)
	}
	var err *Error
	localAt := p.i
	switch c := p.s[p.i]; {
	case c == '"':
		if dst, err = p.quoted(dst, qsKeep); err != nil {
			return dst, err
		}
	case isAtext(c):
		if dst, err = p.dotAtom(dst, "local part"); err != nil {
			return dst, err
		}
	case c == '.':
		return dst, p.fail("local part starts with '.'", p.i)
	case c == '@':
		return dst, p.fail("empty local part", p.i)
	default:
		return dst, p.fail("unexpected "+strconv.QuoteRune(rune(c))+" in local part", p.i)
	}
	if len(dst) == start {
		return dst, p.fail("empty local part", localAt)
	}
	dst = canonicalLocal(dst, start, !caseSensitiveLocal)
	if !isDotAtom(dst[start:]) {
		dst = quoteInPlace(dst, start)
	}
	if len(dst)-start > maxLocal {
		return dst, p.fail("local part longer than 64 bytes", localAt)
	}
	if err = p.cfws(); err != nil {
		return dst, err
	}
	if p.end() || p.s[p.i] != '@' {
		if !p.end() && p.s[p.i] == ':' {
			return dst, p.fail("group syntax (name: addresses;) is not one address", p.i)
		}
		return dst, p.fail("missing '@'", p.i)
	}
	p.i++
	dst = append(dst, '@')
	if err = p.cfws(); err != nil {
		return dst, err
	}
	if p.end() {
		return dst, p.fail("empty domain", -1)
	}
	switch c := p.s[p.i]; {
	case c == '[':
		dst, err = p.domainLiteral(dst)
	case isAtext(c):
		dst, err = p.domain(dst)
	case c == '.':
		err = p.fail("domain starts with '.'", p.i)
	case c == '>':
		err = p.fail("empty domain", p.i)
	case c == '@':
		err = p.fail("a second '@' (quote a local part that holds one)", p.i)
	default:
		err = p.fail("unexpected "+strconv.QuoteRune(rune(c))+" in domain", p.i)
	}
	if err != nil {
		return dst, err
	}
	if len(dst)-start > MaxAddress {
		return dst, p.fail("address longer than 254 bytes", -1)
	}
	return dst, nil
}

// dotAtom reads atoms joined by dots and appends them as they are. what
// names the part in messages.
func (p *addrParser) dotAtom(dst []byte, what string) ([]byte, *Error) {
	for {
		j := p.i
		for !p.end() && isAtext(p.s[p.i]) {
			p.i++
		}
		if j == p.i {
			if !p.end() && p.s[p.i] == '.' {
				return dst, p.fail("'..' in "+what, p.i-1)
			}
			return dst, p.fail(what+" ends with '.'", p.i-1)
		}
		dst = append(dst, p.s[j:p.i]...)
		if p.end() || p.s[p.i] != '.' {
			return dst, nil
		}
		dst = append(dst, '.')
		p.i++
	}
}

// domainLiteral reads "[...]" and appends it without its white space,
// ASCII letters lowered (an address literal is ASCII: "IPv6:" and hex
// digits are case-insensitive); anything else is kept as written.
func (p *addrParser) domainLiteral(dst []byte) ([]byte, *Error) {
	open := p.i
	p.i++
	dst = append(dst, '[')
	n := len(dst)
	for !p.end() {
		switch c := p.s[p.i]; {
		case c == ']':
			if len(dst) == n {
				return dst, p.fail("empty domain literal", open)
			}
			p.i++
			return append(dst, ']'), nil
		case c == ' ' || c == '\t':
			p.i++
		case c == '\r' || c == '\n':
			if err := p.lineBreak(); err != nil {
				return dst, err
			}
		case c == '[' || c == '\\':
			return dst, p.fail("unexpected "+strconv.QuoteRune(rune(c))+" in domain literal", p.i)
		default:
			dst = p.emit(dst, qsFold)
		}
	}
	return dst, p.fail("unclosed domain literal", open)
}

// quoteInPlace turns the local part dst[start:] into a quoted string,
// escaping '"' and '\', by shifting it right within dst.
func quoteInPlace(dst []byte, start int) []byte {
	n := 2
	for _, c := range dst[start:] {
		if c == '"' || c == '\\' {
			n++
		}
	}
	old := len(dst)
	for range n {
		dst = append(dst, 0)
	}
	j := len(dst) - 1
	dst[j] = '"'
	j--
	for i := old - 1; i >= start; i-- {
		c := dst[i]
		dst[j] = c
		j--
		if c == '"' || c == '\\' {
			dst[j] = '\\'
			j--
		}
	}
	dst[j] = '"'
	return dst
}

// domain reads a dot-atom domain and appends its canonical form, the ASCII
// form of IDNA, as [CanonicalEmail] describes.
func (p *addrParser) domain(dst []byte) ([]byte, *Error) {
	at, start := p.i, len(dst)
	dst, err := p.dotAtom(dst, "domain")
	if err != nil {
		return dst, err
	}
	switch msg := lowerHostName(dst[start:]); msg {
	case "":
		return dst, nil
	case needIDNA:
	default:
		return dst, p.fail(msg, at)
	}
	a, msg := idnaDomain(p.s[at:p.i])
	if msg != "" {
		return dst, p.fail(msg, at)
	}
	return append(dst[:start], a...), nil
}

// needIDNA is what lowerHostName says of a domain that only IDNA can
// judge.
const needIDNA = "IDNA"

// lowerHostName lowers the ASCII letters of the domain d in place and
// checks it the way idnaProfile would, without allocating: it returns ""
// for a valid host name of letters, digits and hyphens, needIDNA for a
// domain with non-ASCII bytes or an A-label ("xn--"), and otherwise what
// is wrong. d is a dot-atom: it has no empty labels.
func lowerHostName(d []byte) string {
	for _, c := range d {
		if c >= utf8.RuneSelf {
			return needIDNA
		}
	}
	for i, c := range d {
		if 'A' <= c && c <= 'Z' {
			d[i] = c + 'a' - 'A'
		}
	}
	for len(d) > 0 {
		label := d
		if i := bytes.IndexByte(d, '.'); i >= 0 {
			label, d = d[:i], d[i+1:]
		} else {
			d = nil
		}
		if err := checkLabel(label); err != "" {
			return err
		}
	}
	return ""
}

// checkLabel checks one lower-case ASCII label as lowerHostName says.
func checkLabel(label []byte) string {
	if len(label) > maxLabel {
		return "domain label longer than 63 bytes"
	}
	for _, c := range label {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return "domain holds " + strconv.QuoteRune(rune(c)) + ": a host name has only letters, digits and '-'"
		}
	}
	switch {
	case label[0] == '-' || label[len(label)-1] == '-':
		return "domain label " + strconv.Quote(string(label)) + " begins or ends with '-'"
	case len(label) >= 4 && label[2] == '-' && label[3] == '-':
		if label[0] == 'x' && label[1] == 'n' {
			return needIDNA
		}
		return "domain label " + strconv.Quote(string(label)) + ` has "--" in its third and fourth places, which only A-labels ("xn--") may have`
	}
	return ""
}

// idnaDomain maps the domain d, which is not a plain ASCII host name, to
// its ASCII form under idnaProfile, or says what is wrong with it.
func idnaDomain(d string) (string, string) {
	a, err := idnaProfile.ToASCII(d)
	if err != nil {
		return "", "domain is not a valid internationalised domain name (" + strings.TrimPrefix(err.Error(), "idna: ") + ")"
	}
	// The mapping can make separators of non-ASCII full stops (U+3002 and
	// the like), and the profile lets a trailing one and empty labels
	// through; an email domain has neither.
	for label := range strings.SplitSeq(a, ".") {
		switch {
		case label == "":
			return "", "domain has an empty label after IDNA mapping"
		case len(label) > maxLabel:
			return "", "domain label longer than 63 bytes"
		}
	}
	return a, ""
}

// canonicalLocal puts the local part dst[start:], unquoted, in canonical
// form, as [CanonicalEmail] describes: ASCII letters lowered if fold is
// set, non-ASCII text in NFC but for singletons. ASCII local parts are
// handled in place, without allocating.
func canonicalLocal(dst []byte, start int, fold bool) []byte {
	local := dst[start:]
	ascii := true
	for _, c := range local {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		if fold {
			LowerASCII(local)
		}
		return dst
	}
	// Composition first, so that "A" and a combining ring become "Å", as
	// the precomposed letter is, before ASCII letters are lowered; then
	// again, since a lowered letter may compose where its capital did not
	// ("J" and a caron have no precomposed form, "j" and a caron do).
	// (The buffers keep dst, which is often on the caller's stack, away
	// from package norm, which would make it escape.)
	var a, b [4 * maxLocal]byte
	src := append(a[:0], local...)
	out := appendNFCKeepingSingletons(b[:0], src)
	if fold && LowerASCII(out) {
		src = append(src[:0], out...)
		out = appendNFCKeepingSingletons(out[:0], src)
	}
	return append(dst[:start], out...)
}

// LowerASCII lowers the ASCII letters of b in place and reports whether it
// changed any.
func LowerASCII(b []byte) bool {
	changed := false
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
			changed = true
		}
	}
	return changed
}

// appendNFCKeepingSingletons appends src in NFC, except that singletons,
// characters that NFC replaces by one other character (U+212A KELVIN
// SIGN by K), are appended as they are and the text on either side of
// them is normalised on its own. The result is NFC but for those
// characters, and is its own image. src must be valid UTF-8.
func appendNFCKeepingSingletons(dst, src []byte) []byte {
	seg := 0
	for i := 0; i < len(src); {
		if src[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, n := utf8.DecodeRune(src[i:])
		if isSingleton(src[i : i+n]) {
			dst = norm.NFC.Append(dst, src[seg:i]...)
			dst = append(dst, src[i:i+n]...)
			seg = i + n
		}
		i += n
	}
	return norm.NFC.Append(dst, src[seg:]...)
}

// isSingleton reports whether the rune r, UTF-8 encoded, is one that NFC
// replaces by another single rune.
func isSingleton(r []byte) bool {
	d := norm.NFC.Properties(r).Decomposition()
	if d == nil {
		return false
	}
	var buf [64]byte
	c := norm.NFC.Append(buf[:0], d...)
	_, n := utf8.DecodeRune(c)
	return n == len(c) && !bytes.Equal(c, r)
}

// ToUnicode returns the Unicode form of a canonical domain, as the
// normaliser's IDNA profile maps it.
func ToUnicode(domain string) (string, error) { return idnaProfile.ToUnicode(domain) }
