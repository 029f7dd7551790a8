package casefold

import (
	"unicode"
	"unicode/utf8"
)

// Rune returns the representative of r's case-folding orbit, the runes
// [strings.EqualFold] takes for r: the lower case of the orbit's smallest
// rune when that lower case is in the orbit, else the smallest rune. Every
// rune of an orbit gets the same representative, which is in the orbit,
// so folding is idempotent and equal folds mean EqualFold.
//
// The detour through the smallest rune is needed because unicode.ToLower
// alone splits orbits (it leaves final sigma ς apart from σ) and leaves
// them (it maps U+0130 İ to i, which EqualFold does not).
func Rune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	lower := unicode.ToLower(least)
	if lower == least {
		return least
	}
	for f := unicode.SimpleFold(least); f != least; f = unicode.SimpleFold(f) {
		if f == lower {
			return lower
		}
	}
	return least
}

// Append appends s case-folded rune by rune; bytes that are not UTF-8
// are copied as they are.
func Append(dst []byte, s string) []byte {
	dst, _ = AppendMax(dst, s, len(s)*utf8.UTFMax)
	return dst
}

// AppendMax is appendFold that gives up, reporting false, once the
// output is longer than limit bytes: such a value cannot match any key of
// a matcher, and stopping keeps the output in the caller's stack buffer.
func AppendMax(dst []byte, s string, limit int) ([]byte, bool) {
	start := len(dst)
	for i := 0; i < len(s); {
		if len(dst)-start > limit {
			return dst, false
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, Rune(r))
		}
		i += size
	}
	return dst, len(dst)-start <= limit
}
