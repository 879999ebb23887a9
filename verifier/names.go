package verifier

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormalizeName returns a name in NFC with runs of white space folded to
// one space and the ends trimmed: the form the service stores and shows.
func NormalizeName(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// SameName reports whether two names are the same person's name as written:
// equal after NFC normalisation, white-space folding and lower-casing. NFD
// and NFC spellings of one name are the same; a lost diacritic is not.
func SameName(a, b string) bool {
	if a == b { // the usual case: the card says what the registry says
		return true
	}
	return strings.EqualFold(NormalizeName(a), NormalizeName(b))
}

// FoldName returns the comparison key of a name, for comparing a name
// that a scanner may have damaged, never for identifying a citizen: NFC first (so NFD input
// folds alike), lower case, diacritics removed, đ → d, runs of white space
// collapsed to one space, no leading or trailing space. U+FFFD becomes
// "?", the mark of a lost character that LooselySameName understands.
// "Nguyễn  Văn Đạt" and "NGUYEN VAN DAT" fold to "nguyen van dat".
func FoldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(norm.NFC.String(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case r == utf8.RuneError:
			r = '?'
		default:
			r = unicode.ToLower(r)
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxLooseRunes bounds the quadratic matching in LooselySameName; real
// names are far shorter.
const maxLooseRunes = 256

// LooselySameName reports whether a scanned name, possibly damaged by a
// keyboard-wedge scanner, can be the recorded name. Both are folded with
// FoldName; then every "?" of the scanned name matches any single
// character of the record except a space (a lost letter never stands for
// a word break). A run of n "?" also matches fewer characters, down to
// n/3, because a decoder may write one "?" per lost UTF-8 byte and a
// Vietnamese letter has up to three. Without "?" the folded names must be
// equal.
func LooselySameName(scanned, recorded string) bool {
	a, b := FoldName(scanned), FoldName(recorded)
	if !strings.Contains(a, "?") {
		return a == b
	}
	ar, br := []rune(a), []rune(b)
	if len(ar) > maxLooseRunes || len(br) > maxLooseRunes {
		return false
	}
	// reach[j]: the pattern consumed so far can match br[:j].
	reach := make([]bool, len(br)+1)
	next := make([]bool, len(br)+1)
	reach[0] = true
	for i := 0; i < len(ar); {
		clear(next)
		if ar[i] != '?' {
			for j := 0; j < len(br); j++ {
				if reach[j] && br[j] == ar[i] {
					next[j+1] = true
				}
			}
			i++
		} else {
			n := 0
			for i < len(ar) && ar[i] == '?' {
				n++
				i++
			}
			lo := (n + 2) / 3
			for j := 0; j <= len(br); j++ {
				if !reach[j] {
					continue
				}
				for m := 1; m <= n && j+m <= len(br) && br[j+m-1] != ' '; m++ {
					if m >= lo {
						next[j+m] = true
					}
				}
			}
		}
		reach, next = next, reach
	}
	return reach[len(br)]
}

// FirstLetterMatches reports whether two names start with the same letter,
// ignoring case and diacritics: the insurer's 061 "wrong name, first letter
// right" as opposed to 060.
func FirstLetterMatches(a, b string) bool {
	fa, fb := []rune(FoldName(a)), []rune(FoldName(b))
	return len(fa) > 0 && len(fb) > 0 && fa[0] == fb[0]
}
