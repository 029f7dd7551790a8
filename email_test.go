package ownership

import (
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// emailCases are spellings of addresses with their canonical forms, case
// folded in the local part. Each says what it tests.
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
	// Unicode (RFC 6532): folded, never IDNA-mapped or normalised.
	{"Jörg@BÜCHER.de", "jörg@bücher.de"},
	{"ann@xn--BCHER-KVA.de", "ann@xn--bcher-kva.de"}, // an A-label stays an A-label
	{"\u212Aim@x.io", "kim@x.io"},                    // KELVIN SIGN folds with k
	{"ΣΑΣ@x.gr", "σασ@x.gr"},
	{"σας@x.gr", "σασ@x.gr"}, // final sigma folds with sigma, as EqualFold says
	{"用户@例子.广告", "用户@例子.广告"},
	// Domain literals.
	{"j@[192.0.2.1]", "j@[192.0.2.1]"},
	{"j@[ IPv6:2001:DB8::1 ]", "j@[ipv6:2001:db8::1]"},
	{"j@localhost", "j@localhost"},
}

func TestCanonicalEmail(t *testing.T) {
	for _, c := range emailCases {
		got, err := CanonicalEmail(c.in, false)
		if err != nil || got != c.want {
			t.Errorf("CanonicalEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCanonicalEmailCaseSensitiveLocal(t *testing.T) {
	for in, want := range map[string]string{
		"John@X.IO":                 "John@x.io",
		"JOHN G. Smith <JOHN@x.io>": "JOHN@x.io",
		`"John Smith"@X.io`:         `"John Smith"@x.io`,
		`"John"@X.io`:               "John@x.io",
		"\u212Aim@\u212A.io":        "\u212Aim@k.io",
	} {
		got, err := CanonicalEmail(in, true)
		if err != nil || got != want {
			t.Errorf("CanonicalEmail(%q, true) = %q, %v; want %q", in, got, err, want)
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
	{"a@" + strings.Repeat("b", 250) + ".io", "address longer than 254 bytes"},
}

func TestCanonicalEmailErrors(t *testing.T) {
	for _, c := range emailErrors {
		got, err := CanonicalEmail(c.in, false)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("CanonicalEmail(%q) = %q, %v; want an ErrInvalid error", c.in, got, err)
			continue
		}
		msg := err.Error()
		prefix := "ownership: invalid: email address " + strconv.Quote(clip(c.in)) + ": "
		if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, c.msg) {
			t.Errorf("CanonicalEmail(%q): got error %q, want %q followed by %q", c.in, msg, prefix, c.msg)
		}
	}
}

// TestCanonicalEmailLimits checks the lengths right at the limits.
func TestCanonicalEmailLimits(t *testing.T) {
	local := strings.Repeat("a", 64)
	domain := strings.Repeat("b", maxAddress-len(local)-1-3) + ".io"
	in := local + "@" + strings.ToUpper(domain)
	got, err := CanonicalEmail(in, false)
	if err != nil || len(got) != maxAddress {
		t.Errorf("CanonicalEmail(254 bytes) = %d bytes, %v; want 254 bytes", len(got), err)
	}
	long := strings.Repeat("x", 10_000)
	_, err = CanonicalEmail(long+" <j@x.io>", false)
	if err != nil {
		t.Errorf("a 10,000-byte display name: %v", err)
	}
	_, err = CanonicalEmail(long, false)
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error on a 10,000-byte value = %d bytes: it should quote a clipped input", len(err.Error()))
	}
}

// TestAppendCanonicalEmailAllocs checks that normalising into a buffer
// allocates nothing.
func TestAppendCanonicalEmailAllocs(t *testing.T) {
	var buf [maxAddress + 2]byte
	for _, in := range []string{"John G. Smith <JOHN@x.io>", `"Smith, John" (c) <"j s"@[1.2.3.4]>`, "Jörg@BÜCHER.de"} {
		n := testing.AllocsPerRun(100, func() {
			if _, err := appendCanonicalEmail(buf[:0], in, false); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("appendCanonicalEmail(%q): %v allocs, want 0", in, n)
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
		out, err := CanonicalEmail(in, csl)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || out != "" {
				t.Fatalf("CanonicalEmail(%q) = %q, %v; want \"\" and an ErrInvalid error", in, out, err)
			}
			if !strings.HasPrefix(err.Error(), "ownership: invalid: email address "+strconv.Quote(clip(in))+": ") {
				t.Fatalf("CanonicalEmail(%q): error %q does not quote the input", in, err)
			}
			return
		}
		if len(out) > maxAddress || !utf8.ValidString(out) {
			t.Fatalf("CanonicalEmail(%q) = %q: too long or not UTF-8", in, out)
		}
		for _, spelling := range []string{out, "<" + out + ">", "Some Name <" + out + ">", out + " (comment)", "\"N, M\"\r\n <" + out + ">"} {
			again, err := CanonicalEmail(spelling, csl)
			if err != nil || again != out {
				t.Fatalf("CanonicalEmail(%q) = %q, but CanonicalEmail(%q) = %q, %v", in, out, spelling, again, err)
			}
		}
		at := strings.LastIndexByte(out, '@')
		if d := out[at+1:]; d != string(appendFold(nil, d)) {
			t.Fatalf("CanonicalEmail(%q) = %q: domain not folded", in, out)
		}
		if !csl {
			if kept, err := CanonicalEmail(in, true); err != nil || string(appendFold(nil, kept)) != out {
				t.Fatalf("CanonicalEmail(%q): %q folded, but %q, %v with the case kept", in, out, kept, err)
			}
		}
		// net/mail as a second opinion, where it accepts the input too:
		// the same address, up to case and quoting.
		a, merr := mail.ParseAddress(in)
		if merr != nil || csl {
			return
		}
		local := out[:at]
		if strings.HasPrefix(local, `"`) {
			local = unquoteLocal(local)
		}
		theirs := a.Address
		if strings.HasSuffix(theirs, "]") {
			theirs = strings.Map(func(r rune) rune {
				if r == ' ' || r == '\t' {
					return -1
				}
				return r
			}, theirs)
		}
		if mine := local + out[at:]; !strings.EqualFold(mine, theirs) {
			t.Fatalf("CanonicalEmail(%q) = %q, net/mail says %q", in, out, a.Address)
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
