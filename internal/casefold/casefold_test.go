package casefold

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestFoldRune checks every rune: its fold is in its EqualFold orbit, is the
// same for the whole orbit, and folds to itself.
func TestFoldRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		f := Rune(r)
		if Rune(f) != f {
			t.Fatalf("Rune(%U) = %U, which folds to %U", r, f, Rune(f))
		}
		if !strings.EqualFold(string(r), string(f)) {
			t.Fatalf("Rune(%U) = %U, which EqualFold does not equate with it", r, f)
		}
		if g := Rune(unicode.SimpleFold(r)); g != f {
			t.Fatalf("Rune(%U) = %U but Rune(%U) = %U", r, f, unicode.SimpleFold(r), g)
		}
	}
}

func TestAppendFold(t *testing.T) {
	for in, want := range map[string]string{
		"":               "",
		"Ann LEE":        "ann lee",
		"ΣΑΣ σας":        "σασ σασ",
		"\u212Aelvin":    "kelvin", // casefold keeps EqualFold's folding, unlike email
		"ſam":            "sam",
		"straße STRASSE": "straße strasse", // no full folding: ß is not ss
		"İstanbul":       "İstanbul",       // EqualFold has no simple fold for İ
		"ǅ ǆ Ǆ":          "ǆ ǆ ǆ",
		"a\xffB":         "a\xffb", // bytes that are not UTF-8 stay
	} {
		if got := string(Append(nil, in)); got != want {
			t.Errorf("Append(%q) = %q, want %q", in, got, want)
		}
	}
	if b, ok := AppendMax(nil, "ABCDE", 4); ok {
		t.Errorf("AppendMax(ABCDE, 4) = %q, true; want false", b)
	}
	if b, ok := AppendMax(nil, "ABCD", 4); !ok || string(b) != "abcd" {
		t.Errorf("AppendMax(ABCD, 4) = %q, %v; want abcd, true", b, ok)
	}
	if b, ok := AppendMax(nil, "\u212A\u212A", 2); !ok || string(b) != "kk" {
		t.Errorf("AppendMax(KK, 2) = %q, %v; want kk, true: the limit is on the output", b, ok)
	}
}

// FuzzCasefold checks that folded strings are equal exactly when
// strings.EqualFold says the strings are, and that folding is idempotent.
func FuzzCasefold(f *testing.F) {
	f.Add("Ann", "aNN")        // ASCII
	f.Add("σας", "ΣΑΣ")        // final sigma
	f.Add("\u212A", "k")       // Kelvin sign
	f.Add("İ", "i")            // no simple fold
	f.Add("straße", "STRASSE") // no full folding
	f.Add("a\xff", "A\xfe")    // not UTF-8
	f.Fuzz(func(t *testing.T, a, b string) {
		fa, fb := string(Append(nil, a)), string(Append(nil, b))
		if again := string(Append(nil, fa)); again != fa {
			t.Fatalf("fold(%q) = %q, but fold(%q) = %q", a, fa, fa, again)
		}
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return // EqualFold reads bad bytes as U+FFFD; folding keeps them
		}
		if (fa == fb) != strings.EqualFold(a, b) {
			t.Fatalf("fold(%q) = %q, fold(%q) = %q, EqualFold = %v", a, fa, b, fb, strings.EqualFold(a, b))
		}
	})
}
