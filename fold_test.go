package ownership

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
		f := foldRune(r)
		if foldRune(f) != f {
			t.Fatalf("foldRune(%U) = %U, which folds to %U", r, f, foldRune(f))
		}
		if !strings.EqualFold(string(r), string(f)) {
			t.Fatalf("foldRune(%U) = %U, which EqualFold does not equate with it", r, f)
		}
		if g := foldRune(unicode.SimpleFold(r)); g != f {
			t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U", r, f, unicode.SimpleFold(r), g)
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
		if got := string(appendFold(nil, in)); got != want {
			t.Errorf("appendFold(%q) = %q, want %q", in, got, want)
		}
	}
	if b, ok := appendFoldMax(nil, "ABCDE", 4); ok {
		t.Errorf("appendFoldMax(ABCDE, 4) = %q, true; want false", b)
	}
	if b, ok := appendFoldMax(nil, "ABCD", 4); !ok || string(b) != "abcd" {
		t.Errorf("appendFoldMax(ABCD, 4) = %q, %v; want abcd, true", b, ok)
	}
	if b, ok := appendFoldMax(nil, "\u212A\u212A", 2); !ok || string(b) != "kk" {
		t.Errorf("appendFoldMax(KK, 2) = %q, %v; want kk, true: the limit is on the output", b, ok)
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
		fa, fb := string(appendFold(nil, a)), string(appendFold(nil, b))
		if again := string(appendFold(nil, fa)); again != fa {
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
