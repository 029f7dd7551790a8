package mailbox

import (
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ownershipkit/ownership/internal/sentinel"
)

// emailCases are spellings of addresses with their canonical forms, ASCII
// case folded in the local part. Each says what it tests.
var emailCases = []struct {
	in, want string
}{
	// The forms the seed names.
	{"john@x.io", "john@x.io"},
	{"John Smith <john@x.io>", "john@x.io"},
	{"John G. Smith <JOHN@x.io>", "john@x.io"},   // dots in an unquoted name (obs-phrase)
	{`"Smith, John" <JOHN@X.IO>`, "john@x.io"},   // a comma, quoted
	{"john@x.io (work)", "john@x.io"},            // a trailing comment
	{"<john@x.io>", "john@x.io"},                 // angle address, no name
	{`"john.smith"@x.io`, "john.smith@x.io"},     // quotes it does not need are dropped
	{`"john"@x.io`, "john@x.io"},                 // likewise
	{`"john smith"@x.io`, `"john smith"@x.io`},   // a space needs them
	{`"John  Smith"@X.IO`, `"john  smith"@x.io`}, // white space in quotes is kept as it is
	{`"a\"b"@x.io`, `"a\"b"@x.io`},               // an escaped quote stays escaped
	{`"a\\b"@x.io`, `"a\\b"@x.io`},               // an escaped backslash too
	{`"a\b"@x.io`, "ab@x.io"},                    // a needless escape is resolved
	{`"a@b"@x.io`, `"a@b"@x.io`},                 // '@' in a quoted local part
	{`"a.b."@x.io`, `"a.b."@x.io`},               // a trailing dot needs quotes
	{`"j\ d"@x.io`, `"j d"@x.io`},                // an escaped space
	// Comments and white space.
	{"(home) john@x.io (work)", "john@x.io"},
	{"(outer (inner) outer) <john@x.io>", "john@x.io"}, // nested comments
	{`John (the \) man) <john@x.io>`, "john@x.io"},     // an escaped parenthesis in a comment
	{"john(c1)@(c2)x.io(c3)", "john@x.io"},             // comments between the parts
	{"j @ x.io", "j@x.io"},                             // white space around '@'
	{"< john@x.io >", "john@x.io"},                     // and inside the brackets
	{"  john@x.io  ", "john@x.io"},
	{"\tjohn@x.io\t", "john@x.io"},
	{"John\r\n Smith <john@x.io>", "john@x.io"},     // a folded line (CRLF, space)
	{"John\n\tSmith\t<john@x.io>", "john@x.io"},     // a bare LF fold and tabs
	{"\"John\r\n Smith\" <john@x.io>", "john@x.io"}, // a fold inside a quoted name
	{"\"a\r\n b\"@x.io", `"a b"@x.io`},              // a fold inside a quoted local part: CRLF goes, the space stays
	// Display names of all kinds.
	{`John "Johnny" Smith <j@x.io>`, "j@x.io"},
	{`"" <j@x.io>`, "j@x.io"},
	{`"j@x.io" <j@x.io>`, "j@x.io"},
	{"=?UTF-8?Q?J=C3=B6rg?= <j@x.io>", "j@x.io"}, // an RFC 2047 word is an atom
	{"Jörg Müller <jm@x.io>", "jm@x.io"},
	{"(only a comment) <j@x.io>", "j@x.io"},
	// Case.
	{"john@X.IO", "john@x.io"},
	{"JOHN@x.io", "john@x.io"},
	{"john+Tag@x.io", "john+tag@x.io"}, // sub-addresses are kept: a different mailbox
	{"j.o.h.n@x.io", "j.o.h.n@x.io"},   // so are dots
	{"!#$%&'*+-/=?^_`{|}~@x.io", "!#$%&'*+-/=?^_`{|}~@x.io"},
	// Unicode domains (RFC 6532, UTS #46 nontransitional): the ASCII form.
	{"Jörg@BÜCHER.de", "jörg@xn--bcher-kva.de"},      // a U-label becomes its A-label
	{"ann@bücher.de", "ann@xn--bcher-kva.de"},        // in either case
	{"ann@bu\u0308cher.de", "ann@xn--bcher-kva.de"},  // or decomposed
	{"ann@xn--bcher-kva.de", "ann@xn--bcher-kva.de"}, // an A-label stays itself
	{"ann@XN--BCHER-KVA.de", "ann@xn--bcher-kva.de"}, // in lower case
	{"ann@xn--BCHER-KVA.DE", "ann@xn--bcher-kva.de"}, // mixed case
	{"用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v"},        // the local part stays Unicode
	{"δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp"},
	{"θσερ@εχαμπλε.ψομ", "θσερ@xn--mxahbxey0c.xn--xxaf0a"},
	{"a@σας.gr", "a@xn--mxa8ab.gr"},       // final sigma is itself
	{"a@σασ.gr", "a@xn--mxa9ab.gr"},       // not σ
	{"a@ΣΑΣ.gr", "a@xn--mxa9ab.gr"},       // capital sigma is σ
	{"a@straße.de", "a@xn--strae-oqa.de"}, // ß is itself
	{"a@STRAẞE.de", "a@strasse.de"},       // capital sharp s is ss (UTS #46)
	{"a@ｘ.ｉｏ", "a@x.io"},                  // full-width letters are mapped
	{"a@x\u3002io", "a@x.io"},             // as is the ideographic full stop
	{"a@\u212A.io", "a@k.io"},             // and the Kelvin sign, in a domain
	// Unicode local parts: ASCII case only, NFC, aliases kept.
	{"\u212Aim@x.io", "\u212Aim@x.io"}, // KELVIN SIGN is not k
	{"ſam@x.io", "ſam@x.io"},           // LONG S is not s
	{"ΣΑΣ@x.gr", "ΣΑΣ@x.gr"},           // no Unicode case folding
	{"σας@x.gr", "σας@x.gr"},           // final sigma is not σ
	{"Straße@x.de", "straße@x.de"},     // nor ß ss
	{"jo\u0308rg@x.io", "jörg@x.io"},   // NFC: o and a combining diaeresis are ö
	{"A\u030Asa@x.io", "Åsa@x.io"},     // a composed capital is not lowered
	{"J\u030C@x.io", "ǰ@x.io"},         // j and a caron compose after lowering
	{"\u212Bsa@x.io", "\u212Bsa@x.io"}, // ANGSTROM SIGN stays: NFC would make it Å
	{"a\u037Eb@x.io", "a\u037Eb@x.io"}, // GREEK QUESTION MARK stays: NFC would make it ';'
	{"\"Jo\u0308rg S\"@x.io", `"jörg s"@x.io`},
	// Domain literals.
	{"j@[192.0.2.1]", "j@[192.0.2.1]"},
	{"j@[ IPv6:2001:DB8::1 ]", "j@[ipv6:2001:db8::1]"},
	{"j@localhost", "j@localhost"},
}

func TestCanonical(t *testing.T) {
	for _, c := range emailCases {
		got, err := Canonical(c.in, false)
		if err != nil || got != c.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCanonicalCaseSensitiveLocal(t *testing.T) {
	for in, want := range map[string]string{
		"John@X.IO":                 "John@x.io",
		"JOHN G. Smith <JOHN@x.io>": "JOHN@x.io",
		`"John Smith"@X.io`:         `"John Smith"@x.io`,
		`"John"@X.io`:               "John@x.io",
		"\u212Aim@\u212A.io":        "\u212Aim@k.io",
		"J\u030C@x.io":              "J\u030C@x.io", // no precomposed capital
		"A\u030Asa@BÜCHER.de":       "Åsa@xn--bcher-kva.de",
	} {
		got, err := Canonical(in, true)
		if err != nil || got != want {
			t.Errorf("Canonical(%q, true) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// emailErrors are values that are not one address, with what the error
// must say.
var emailErrors = []struct {
	in, msg string
}{
	{"", "empty"},
	{"   ", "no address, only white space or comments"},
	{"(just a comment)", "no address, only white space or comments"},
	{"john", "missing '@'"},
	{"John Smith", `missing '@' (at "Smith")`},
	{`"john"smith@x.io`, "missing '@'"},
	{"@x.io", "empty local part"},
	{`""@x.io`, "empty local part"},
	{"john@", "empty domain"},
	{"<>", `empty address (at "<>")`},
	{"John <>", "empty address"},
	{"John < >", "empty address"},
	{"<john@>", "empty domain"},
	{"a@b@c", `a second '@' (quote a local part that holds one) (at "@c")`},
	{"<a@b@c>", "a second '@'"},
	{"a@x.io, b@x.io", `more than one address (at ", b@x.io")`},
	{"A <a@x.io>, B <b@x.io>", "more than one address"},
	{"Smith, John <j@x.io>", `unquoted ',' in display name`},
	{"Team: a@x.io;", "group syntax"},
	{"Team: <a@x.io>;", "group syntax"},
	{"John <j@x.io", `missing '>' (at "<j@x.io")`},
	{"John j@x.io>", `'>' without '<' (at ">")`},
	{"John <<j@x.io>>", `unexpected '<' in local part`},
	{"John <j@x.io> <k@x.io>", "unexpected text after the address"},
	{"<j@x.io k>", `unexpected 'k' in address`},
	{`"John <j@x.io>`, `unclosed quoted string (at "\"John <j@x.io>")`},
	{`"j@x.io`, "unclosed quoted string"},
	{"John (Smith <j@x.io>", `unclosed comment (at "(Smith <j@x.io>")`},
	{"John Smith) <j@x.io>", "')' without '('"},
	{"john@x.io)", "unexpected text after the address"},
	{"john@x.io junk", `unexpected text after the address (at "junk")`},
	{"John <j@x.io> Smith", "unexpected text after the address"},
	{"john@x.io <john@x.io>", "unquoted '@' in display name"},
	{"John [Sales] <j@x.io>", "unexpected '[' in display name"},
	{".john@x.io", "local part starts with '.'"},
	{"john.@x.io", `local part ends with '.' (at ".@x.io")`},
	{"jo..hn@x.io", "'..' in local part"},
	{"j@.x.io", "domain starts with '.'"},
	{"j@x.io.", "domain ends with '.'"},
	{"j@x..io", "'..' in domain"},
	{"j@x_y.io", `domain holds '_': a host name has only letters, digits and '-' (at "x_y.io")`},
	{"j@x.io!", "domain holds '!'"},
	{"j@-x.io", `domain label "-x" begins or ends with '-'`},
	{"j@x-.io", `domain label "x-" begins or ends with '-'`},
	{"j@ab--cd.io", `domain label "ab--cd" has "--" in its third and fourth places`},
	{"j@" + strings.Repeat("b", 64) + ".io", "domain label longer than 63 bytes"},
	{"j@" + strings.Repeat("ü", 60) + ".de", "domain is not a valid internationalised domain name"}, // its A-label is too long
	{"j@xn--abc.io", "domain is not a valid internationalised domain name"},                         // not Punycode of a valid label
	{"j@xn--a.io", "domain is not a valid internationalised domain name"},
	{"j@x.io\u3002", "domain has an empty label after IDNA mapping"}, // a trailing ideographic full stop
	{"j@x\u3002\u3002io", "domain is not a valid internationalised domain name"},
	{"j@a\u200db.io", "domain is not a valid internationalised domain name"}, // a joiner out of context
	{"j@a\u05d0.io", "domain is not a valid internationalised domain name"},  // left-to-right and right-to-left in one label
	{"j@x\uff20y.io", "domain is not a valid internationalised domain name"}, // a full-width '@'
	{"j@x.io\u00a0", "domain is not a valid internationalised domain name"},  // a no-break space
	{"j@[1.2.3.4", "unclosed domain literal"},
	{"j@[]", "empty domain literal"},
	{`j@[a\]]`, `unexpected '\\' in domain literal`},
	{"j@x.io\n", "line break not followed by a space or tab"},
	{"John\r\n<j@x.io>", "line break not followed by a space or tab"},
	{"john\r@x.io", "carriage return without line feed"},
	{`"a\` + "\r\n" + ` b"@x.io`, "line break after '\\'"},
	{"jo\x00hn@x.io", `control character '\x00'`},
	{"jo\x7fhn@x.io", `control character '\x7f'`},
	{"\u0085j@x.io", `control character '\u0085'`},
	{"j\xffx@x.io", "invalid UTF-8"},
	{strings.Repeat("a", 65) + "@x.io", "local part longer than 64 bytes"},
	{`"` + strings.Repeat("a", 63) + ` "@x.io`, "local part longer than 64 bytes"}, // 66 bytes with its quotes
	{"a@" + strings.Repeat("bb.", 84) + "io", "address longer than 254 bytes"},
}

func TestCanonicalErrors(t *testing.T) {
	for _, c := range emailErrors {
		got, err := Canonical(c.in, false)
		if !errors.Is(err, sentinel.ErrInvalid) {
			t.Errorf("Canonical(%q) = %q, %v; want an ErrInvalid error", c.in, got, err)
			continue
		}
		msg := err.Error()
		prefix := "ownership: invalid: email address " + strconv.Quote(Clip(c.in)) + ": "
		if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, c.msg) {
			t.Errorf("Canonical(%q): got error %q, want %q followed by %q", c.in, msg, prefix, c.msg)
		}
	}
}

// TestCanonicalLimits checks the lengths right at the limits.
func TestCanonicalLimits(t *testing.T) {
	local := strings.Repeat("a", 64)
	label := strings.Repeat("b", 63)
	domain := label + "." + label + "." + strings.Repeat("c", MaxAddress-len(local)-1-2*64-3) + ".io"
	in := local + "@" + strings.ToUpper(domain)
	got, err := Canonical(in, false)
	if err != nil || len(got) != MaxAddress {
		t.Errorf("Canonical(254 bytes) = %d bytes, %v; want 254 bytes", len(got), err)
	}
	long := strings.Repeat("x", 10_000)
	_, err = Canonical(long+" <j@x.io>", false)
	if err != nil {
		t.Errorf("a 10,000-byte display name: %v", err)
	}
	_, err = Canonical(long, false)
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error on a 10,000-byte value = %d bytes: it should quote a clipped input", len(err.Error()))
	}
}

// TestAppendCanonicalAllocs checks that normalising an ASCII address
// into a buffer allocates nothing. (Non-ASCII local parts and domains go
// through package norm and package idna, which allocate.)
func TestAppendCanonicalAllocs(t *testing.T) {
	var buf [MaxAddress + 2]byte
	for _, in := range []string{"John G. Smith <JOHN@x.io>", `"Smith, John" (c) <"j s"@[1.2.3.4]>`, "Jörg Müller <JOERG@BUECHER.de>"} {
		n := testing.AllocsPerRun(100, func() {
			if _, err := AppendCanonical(buf[:0], in, false); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("AppendCanonical(%q): %v allocs, want 0", in, n)
		}
	}
}

// FuzzNormalizeEmail checks the email normaliser on any input: it never
// panics; what it accepts it accepts again unchanged (idempotence), in
// every spelling the matcher meets, with either case option; what it
// refuses is an ErrInvalid error that quotes the input; and where net/mail
// accepts the same input, both find the same address.
func FuzzNormalizeEmail(f *testing.F) {
	for _, c := range emailCases {
		f.Add(c.in, false)
	}
	for _, c := range emailErrors {
		f.Add(c.in, false)
	}
	f.Add("JOHN G. Smith <JOHN@x.io>", true) // the local part keeps its case
	f.Add(`"a\"B"@x.io (c)`, true)           // escapes with case kept
	f.Add("(a(b(c)d)e) x@y", false)          // deep comments
	f.Add("\"\\\u00e9\"@x", false)           // an escaped non-ASCII rune
	f.Add("x@[\r\n a]", false)               // a fold in a domain literal
	f.Fuzz(func(t *testing.T, in string, csl bool) {
		out, err := Canonical(in, csl)
		if err != nil {
			if !errors.Is(err, sentinel.ErrInvalid) || out != "" {
				t.Fatalf("Canonical(%q) = %q, %v; want \"\" and an ErrInvalid error", in, out, err)
			}
			if !strings.HasPrefix(err.Error(), "ownership: invalid: email address "+strconv.Quote(Clip(in))+": ") {
				t.Fatalf("Canonical(%q): error %q does not quote the input", in, err)
			}
			return
		}
		if len(out) > MaxAddress || !utf8.ValidString(out) {
			t.Fatalf("Canonical(%q) = %q: too long or not UTF-8", in, out)
		}
		for _, spelling := range []string{out, "<" + out + ">", "Some Name <" + out + ">", out + " (comment)", "\"N, M\"\r\n <" + out + ">"} {
			again, err := Canonical(spelling, csl)
			if err != nil || again != out {
				t.Fatalf("Canonical(%q) = %q, but Canonical(%q) = %q, %v", in, out, spelling, again, err)
			}
		}
		at := strings.LastIndexByte(out, '@')
		if d := out[at+1:]; !strings.HasPrefix(d, "[") && (d != strings.ToLower(d) || !isASCIIString(d)) {
			t.Fatalf("Canonical(%q) = %q: domain not in lower-case ASCII", in, out)
		}
		if !csl {
			// Keeping the case and folding it after gives the folded form.
			if kept, err := Canonical(in, true); err != nil {
				t.Fatalf("Canonical(%q) = %q, but %v with the case kept", in, out, err)
			} else if again, err := Canonical(kept, false); err != nil || again != out {
				t.Fatalf("Canonical(%q): %q folded, %q with the case kept, which folds to %q, %v", in, out, kept, again, err)
			}
		}
		// net/mail as a second opinion, where it accepts the input too:
		// the same address, once its parts are in canonical form.
		a, merr := mail.ParseAddress(in)
		if merr != nil || csl {
			return
		}
		local := out[:at]
		if strings.HasPrefix(local, `"`) {
			local = unquoteLocal(local)
		}
		tat := strings.LastIndexByte(a.Address, '@')
		theirLocal := string(canonicalLocal([]byte(a.Address[:tat]), 0, true))
		theirDomain, err := Canonical("x@"+a.Address[tat+1:], false)
		if theirLocal != local || err != nil || theirDomain[1:] != out[at:] {
			t.Fatalf("Canonical(%q) = %q, net/mail says %q", in, out, a.Address)
		}
	})
}

// unquoteLocal undoes the quoting of a canonical local part.
func unquoteLocal(q string) string {
	var b strings.Builder
	for i := 1; i < len(q)-1; i++ {
		if q[i] == '\\' {
			i++
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// TestCanonicalEquivalence checks which addresses are one key: those
// that mail systems and DNS treat as one mailbox, and no others.
func TestCanonicalEquivalence(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		csl   bool // case_sensitive_local
		equal bool
		why   string
	}{
		{"ann@bücher.de", "ann@xn--bcher-kva.de", false, true, "a U-label and its A-label"},
		{"ann@BÜCHER.DE", "ann@XN--BCHER-KVA.de", false, true, "in any case"},
		{"ann@bu\u0308cher.de", "ann@bücher.de", false, true, "decomposed and composed domain"},
		{"ann@bücher.de", "ann@xn--bcher-kva.de", true, true, "domains ignore case_sensitive_local"},
		{"a@σας.gr", "a@σασ.gr", false, false, "final sigma and sigma in a domain (nontransitional)"},
		{"a@xn--mxa8ab.gr", "a@σασ.gr", false, false, "the final-sigma A-label and the sigma U-label"},
		{"a@ΣΑΣ.gr", "a@σασ.gr", false, true, "capital and small sigma in a domain"},
		{"a@STRAẞE.de", "a@straße.de", false, false, "capital sharp s and sharp s in a domain"},
		{"a@straße.de", "a@strasse.de", false, false, "sharp s and ss in a domain (nontransitional)"},
		{"a@xn--zca.de", "a@ß.de", false, true, "an A-label for ß"},
		{"ſam@x.io", "sam@x.io", false, false, "long s and s in a local part"},
		{"\u212Aelvin@x.io", "kelvin@x.io", false, false, "Kelvin sign and k in a local part"},
		{"\u212Aelvin@x.io", "Kelvin@x.io", true, false, "Kelvin sign and K, case kept"},
		{"\u212Aelvin@x.io", "Kelvin@x.io", false, false, "Kelvin sign and K, case folded"},
		{"\u2126m@x.io", "Ωm@x.io", false, false, "ohm sign and omega"},
		{"Ünal@x.io", "ünal@x.io", false, false, "non-ASCII case in a local part"},
		{"σας@x.io", "σασ@x.io", false, false, "final sigma in a local part"},
		{"straße@x.io", "strasse@x.io", false, false, "ß and ss in a local part"},
		{"ｊohn@x.io", "john@x.io", false, false, "full-width j in a local part"},
		{"ﬁle@x.io", "file@x.io", false, false, "a ligature in a local part"},
		{"JOHN@x.io", "john@x.io", false, true, "ASCII case in a local part"},
		{"JOHN@x.io", "john@x.io", true, false, "ASCII case, case kept"},
		{"jo\u0308rg@x.io", "jörg@x.io", false, true, "NFD and NFC local parts"},
		{"jo\u0308rg@x.io", "jörg@x.io", true, true, "NFD and NFC local parts, case kept"},
		{"\"jo\u0308rg\"@x.io", "jörg@x.io", false, true, "NFD quoted and NFC bare"},
		{"A\u030Asa@x.io", "Åsa@x.io", false, true, "A with a combining ring and Å"},
		{"Åsa@x.io", "åsa@x.io", false, false, "Å and å"},
	} {
		ka, erra := Canonical(c.a, c.csl)
		kb, errb := Canonical(c.b, c.csl)
		if erra != nil || errb != nil {
			t.Errorf("%s: Canonical(%q) = %v, Canonical(%q) = %v", c.why, c.a, erra, c.b, errb)
			continue
		}
		if (ka == kb) != c.equal {
			t.Errorf("%s: %q is %q and %q is %q, want equal = %v", c.why, c.a, ka, c.b, kb, c.equal)
		}
	}
}

// FuzzHostName checks that the allocation-free check of ASCII domains
// agrees with IDNA on every ASCII domain it decides.
func FuzzHostName(f *testing.F) {
	for _, d := range []string{"x.io", "X-Y.IO", "ab--cd.io", "xn--bcher-kva.de", "XN--ZCA.de", "-a.b", "a-.b", "a_b.c", "1.2.3.4", "a!b.c", strings.Repeat("a", 63) + ".b", strings.Repeat("a", 64) + ".b"} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if !isASCIIString(d) || !isDotAtom([]byte(d)) {
			return
		}
		b := []byte(d)
		msg := lowerHostName(b)
		if msg == needIDNA {
			return
		}
		a, imsg := idnaDomain(d)
		if (msg == "") != (imsg == "") || (msg == "" && a != string(b)) {
			t.Fatalf("domain %q: fast check gives %q, %q; IDNA gives %q, %q", d, b, msg, a, imsg)
		}
	})
}
