package verifier

import (
	"strings"
	"unicode"

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
	return strings.ToLower(NormalizeName(a)) == strings.ToLower(NormalizeName(b))
}

// FoldName returns a comparison key without diacritics: lower case, đ as d,
// combining marks removed, white space folded. It is for comparing a name
// that a scanner may have damaged, never for identifying a citizen.
func FoldName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(NormalizeName(s))) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LooselySameName reports whether a possibly damaged scanned name can be the
// recorded name: equal after FoldName, where a '?' or U+FFFD in the scanned
// name (what a scanner types for a letter it cannot) stands for any one
// letter of the record.
func LooselySameName(scanned, recorded string) bool {
	s, r := []rune(FoldName(scanned)), []rune(FoldName(recorded))
	if len(s) != len(r) {
		return false
	}
	for i := range s {
		if s[i] != r[i] && s[i] != '?' && s[i] != unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// FirstLetterMatches reports whether two names start with the same letter,
// ignoring case and diacritics: the insurer's 061 "wrong name, first letter
// right" as opposed to 060.
func FirstLetterMatches(a, b string) bool {
	fa, fb := []rune(FoldName(a)), []rune(FoldName(b))
	return len(fa) > 0 && len(fb) > 0 && fa[0] == fb[0]
}
