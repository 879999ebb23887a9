package scanner

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// This file repairs the text a keyboard-wedge scanner delivers (docs/domain.md
// §8). Such a scanner "types" the payload; only ASCII survives every
// keyboard layout, so Vietnamese letters arrive
//   - as mojibake: the UTF-8 bytes read one by one as Windows-1252 or
//     Latin-1 characters ("Nguyá»…n" for "Nguyễn");
//   - replaced by "?" or U+FFFD, or dropped;
//   - rewritten by a Vietnamese input method (Telex) left on, or as raw
//     Telex keystrokes ("Nguyeenx") when the input method was off.
// Only the first kind can be undone exactly. The rest is either guessed
// (Telex) or left visibly damaged ("?"), and the result is flagged so the
// population record, not the scan, decides the name.

// textState says what repair found in one text field.
type textState struct {
	repaired bool // the text was changed back towards what was encoded
	exact    bool // the repair was a mechanical reversal, no guess involved
	lossy    bool // damage remains ("?", dropped letters, stray bytes)
}

// repairName cleans a person's name: NFC, runs of spaces collapsed,
// mojibake reversed, Telex keystrokes composed, damage detected.
func repairName(s string) (string, textState) {
	if plainText(s, true) {
		// Nothing to repair, and of what textLooksLossy looks for plain
		// text can only hold "?" (checkRepairSkip checks it): one quick
		// search instead of a pass over the characters.
		return s, textState{lossy: strings.IndexByte(s, '?') >= 0 || nameWordLooksLossy(s)}
	}
	out, st := repairTextFull(s, true)
	if nameLooksLossy(out) {
		st.lossy = true
	}
	return out, st
}

// repairAddress is repairName for an address: the same repairs, but only
// "?" and leftover mojibake count as damage, since an address legitimately
// holds digits, punctuation and abbreviations.
func repairAddress(s string) (string, textState) {
	if plainText(s, false) { // as in repairName
		return s, textState{lossy: strings.IndexByte(s, '?') >= 0}
	}
	out, st := repairTextFull(s, false)
	if textLooksLossy(out) {
		st.lossy = true
	}
	return out, st
}

// repairText returns s cleaned and repaired, and what the repair found.
// Nearly every scan is plain text already (valid, NFC, single spaces,
// Vietnamese letters and ASCII), which every step of the repair would
// leave as it is; plainText recognises that in one pass without
// allocating, so the clean case costs no repair work.
func repairText(s string, telex bool) (string, textState) {
	if plainText(s, telex) {
		return s, textState{}
	}
	return repairTextFull(s, telex)
}

// repairTextFull is the repair itself; repairText skips it for text it
// would not change (FuzzPlainTextNeedsNoRepair checks that it would not).
func repairTextFull(s string, telex bool) (string, textState) {
	var st textState
	// Collapse only ASCII white space here: U+0085 and U+00A0 are Unicode
	// spaces but also the Latin-1/Windows-1252 reading of UTF-8
	// continuation bytes, which the mojibake repair needs intact.
	s = joinFields(norm.NFC.String(s), isCollapsedSpace)
	if s == "" {
		return s, st
	}
	if !isASCII(s) {
		if r, exact, ok := unMojibake(s); ok {
			s, st.repaired, st.exact = r, true, exact
		}
	} else if telex {
		if r, ok := composeTelex(s); ok {
			s, st.repaired = r, true
		}
	}
	// U+FFFD and "?" both mean "a character was lost here"; one marker
	// keeps display and loose matching simple.
	s = strings.ReplaceAll(s, "\uFFFD", "?")
	return joinFields(s, unicode.IsSpace), st
}

// isCollapsedSpace is the white space repairTextFull collapses before
// the mojibake repair (see there why not unicode.IsSpace).
func isCollapsedSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// plainText reports whether s is text on which repairText(s, telex) has
// nothing to do: it returns s itself and an empty textState. It accepts
// only what no step of the repair acts on:
//   - printable ASCII and the precomposed Vietnamese letters (isVietLetter).
//     Such text is valid UTF-8 and NFC (all of these have NFC_QC=Yes and
//     none is a combining mark), holds no U+FFFD, and none of these
//     letters is the Windows-1252 or Latin-1 reading of a UTF-8
//     continuation byte, so unMojibake is not even attempted;
//   - words separated by single spaces, none leading or trailing, and no
//     other white space (tabs, CR/LF, \v, \f, U+00A0…), so neither
//     collapsing step changes anything;
//   - when telex and the text is all ASCII, no word that composeTelex
//     would look at (telexSign).
//
// Anything else is left to the full repair, which may still find nothing.
func plainText(s string, telex bool) bool {
	ascii := true
	afterSpace := true // at the start a space would be leading
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if afterSpace {
					return false
				}
				afterSpace = true
			case c < '!' || c == 0x7F:
				return false
			default:
				afterSpace = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isVietLetter(r) { // also refuses invalid UTF-8 and U+FFFD
			return false
		}
		ascii, afterSpace = false, false
		i += size
	}
	if afterSpace && s != "" {
		return false // a trailing space
	}
	if ascii && telex {
		for w := range strings.SplitSeq(s, " ") {
			if telexSign(w) {
				return false
			}
		}
	}
	return true
}

// joinFields returns strings.Join(strings.FieldsFunc(s, sep), " "), the
// fields of s separated by single spaces, but returns s itself, without
// allocating, when it is already in that form.
func joinFields(s string, sep func(rune) bool) string {
	joined := true
	afterSep := true // at the start a separator would be leading
	for _, r := range s {
		if sep(r) {
			if afterSep || r != ' ' {
				joined = false
				break
			}
			afterSep = true
		} else {
			afterSep = false
		}
	}
	if joined && !(afterSep && s != "") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	start := -1 // where the current field began, -1 between fields
	for i, r := range s {
		switch {
		case !sep(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[start:i]) // the original bytes, as FieldsFunc keeps them
			start = -1
		}
	}
	if start >= 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[start:])
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// nameLooksLossy reports clear damage in a name: a lost character ("?"),
// a character no Vietnamese name holds (leftover mojibake), or a word
// without any vowel ("Vn" for "Văn" whose "ă" was dropped). A name merely
// written without diacritics is not flagged: it may be how it was entered.
func nameLooksLossy(s string) bool {
	return textLooksLossy(s) || nameWordLooksLossy(s)
}

// nameWordLooksLossy is the word part of nameLooksLossy: a character no
// name holds, or a word without a vowel. It goes word by word as
// strings.Fields splits them, without building them.
func nameWordLooksLossy(s string) bool {
	inWord, hasVowel := false, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if inWord && !hasVowel {
				return true
			}
			inWord, hasVowel = false, false
			continue
		}
		inWord = true
		switch {
		case isVowel(r):
			hasVowel = true
		case isVietLetter(r) || r == '-' || r == '\'' || r == '.':
		default:
			return true
		}
	}
	return inWord && !hasVowel
}

// textLooksLossy reports a lost character or a leftover mojibake
// character (Latin-1 symbols, C1 controls, Windows-1252 specials that no
// Vietnamese text uses).
func textLooksLossy(s string) bool {
	for _, r := range s {
		switch {
		case r == '?' || r == utf8.RuneError:
			return true
		case r >= 0x80 && r <= 0xBF, r < 0x20, r == 0x7F:
			return true
		case isMojibakeSymbol(r):
			return true
		}
	}
	return false
}

// mojibakeSymbols are the Windows-1252 specials that no Vietnamese text
// uses, so that finding one after the repair means leftover mojibake.
const mojibakeSymbols = "ƒ„†‡ˆ‰Š‹ŒŽšœžŸ€™"

// isMojibakeSymbol reports whether r is one of mojibakeSymbols, as a
// switch: it runs for every character of every address scanned.
func isMojibakeSymbol(r rune) bool {
	switch r {
	case 'ƒ', '„', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 'Ž', 'š', 'œ', 'ž', 'Ÿ', '€', '™':
		return true
	}
	return false
}

// isVietLetter reports whether r is a letter of the Vietnamese alphabet
// (with or without diacritics) or of the ASCII alphabet (f, j, w, z
// occur in minority and foreign names).
func isVietLetter(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	case r >= 0x1EA0 && r <= 0x1EF9: // Latin Extended Additional: ạ…ỹ
		return true
	}
	// The letters of vietLetters, as a switch: this runs for every
	// non-ASCII character of every name and address scanned.
	switch r {
	case 'à', 'á', 'â', 'ã', 'è', 'é', 'ê', 'ì', 'í', 'ò', 'ó', 'ô', 'õ', 'ù', 'ú', 'ý',
		'À', 'Á', 'Â', 'Ã', 'È', 'É', 'Ê', 'Ì', 'Í', 'Ò', 'Ó', 'Ô', 'Õ', 'Ù', 'Ú', 'Ý',
		'ă', 'Ă', 'đ', 'Đ', 'ĩ', 'Ĩ', 'ũ', 'Ũ', 'ơ', 'Ơ', 'ư', 'Ư':
		return true
	}
	return false
}

// vietLetters are the Vietnamese letters outside ASCII and outside
// U+1EA0–U+1EF9.
const vietLetters = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝăĂđĐĩĨũŨơƠưƯ"

// isVowel reports whether r is a Vietnamese vowel letter, any case,
// any diacritics.
func isVowel(r rune) bool {
	if r >= utf8.RuneSelf {
		// Every non-ASCII Vietnamese letter but đ is a vowel with
		// diacritics (TestIsVowelMatchesDecomposition checks it against
		// baseLetter), so no decomposition is needed here.
		return isVietLetter(r) && r != 'đ' && r != 'Đ'
	}
	switch unicode.ToLower(r) {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// vietBase maps every non-ASCII Vietnamese letter to its base letter.
var vietBase = map[rune]rune{}

func init() {
	for _, r := range vietLetters {
		vietBase[r] = decomposeBase(r)
	}
	for r := rune(0x1EA0); r <= 0x1EF9; r++ {
		vietBase[r] = decomposeBase(r)
	}
}

// baseLetter strips every diacritic from a letter: "ễ" → "e", "đ" → "d".
func baseLetter(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	if b, ok := vietBase[r]; ok {
		return b
	}
	return decomposeBase(r)
}

func decomposeBase(r rune) rune {
	switch r {
	case 'đ':
		return 'd'
	case 'Đ':
		return 'D'
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Bytes(buf[:n])
	b, _ := utf8.DecodeRune(d)
	return b
}

// ---- mojibake ----

// The five bytes Windows-1252 leaves undefined. A decoder turns them into
// U+FFFD (golang.org/x/text, most browsers), "?" or nothing; Latin-1 turns
// them into C1 controls, which reverse exactly. All five occur inside
// Vietnamese letters: Á (C3 81), Í (C3 8D), Ý (C3 9D), Đ (C4 90), ề ọ ỏ Ố ờ
// (E1 BB 81/8D/8F/90/9D), so they are worth guessing back.
var undefined1252 = []byte{0x81, 0x8D, 0x8F, 0x90, 0x9D}

var droppedBytes = []byte{0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xA0}

// Slot values for bytes that were lost on the way.
const (
	slotLost     = -1 // U+FFFD: some byte stood here
	slotQuestion = -2 // "?": the same, or a real question mark
)

// unMojibake reverses UTF-8 that was decoded as Windows-1252 or Latin-1.
// It first tries the whole text, then word by word (so a half-garbled
// field still gets its garbled words back). It reports whether every
// repaired character was recovered without guessing.
func unMojibake(s string) (out string, exact, ok bool) {
	if !hasContinuationRune(s) {
		return s, false, false // the common case: genuine text
	}
	if r, ex, good := unMojibakeRun(s); good {
		return r, ex, true
	}
	words := strings.Split(s, " ")
	exact, changed := true, false
	for i, w := range words {
		if isASCII(w) {
			continue
		}
		if r, ex, good := unMojibakeRun(w); good {
			words[i], changed = r, true
			exact = exact && ex
		}
	}
	if !changed {
		return s, false, false
	}
	return strings.Join(words, " "), exact, true
}

// hasContinuationRune reports whether s holds a character that stands for
// a UTF-8 continuation byte (0x80–0xBF) in Windows-1252 or Latin-1. Every
// mojibake repair needs one (the "strong" evidence of unMojibakeRun), and
// Vietnamese text has none but a few punctuation marks.
func hasContinuationRune(s string) bool {
	for _, r := range s {
		if r < 0x80 || r > 0xFF && r < 0x152 || r > 0x2122 {
			continue
		}
		if r <= 0xBF {
			return true
		}
		if b, ok := charmap.Windows1252.EncodeRune(r); ok && b >= 0x80 && b <= 0xBF {
			return true
		}
	}
	return false
}

// unMojibakeRun reverses one run of mojibake; it fails unless the result
// is valid UTF-8 made of Vietnamese letters and contains at least one
// character recovered from bytes that all arrived intact (so a genuine
// "Lã" is never "repaired" from a guessed missing byte). Repairs twice at
// most, for text that went through two wrong decodings.
func unMojibakeRun(s string) (string, bool, bool) {
	if out, exact, ok := unMojibakeOnce(s, repairedRuneOK); ok {
		return out, exact, true
	}
	// Garbled twice: the first reversal gives mojibake again, made of
	// single-byte characters, which the second reversal must accept.
	mid, exact, ok := unMojibakeOnce(s, singleByteRune)
	if !ok {
		return s, false, false
	}
	out, ex, ok := unMojibakeOnce(mid, repairedRuneOK)
	if !ok {
		return s, false, false
	}
	return out, exact && ex, true
}

// singleByteRune reports whether r is a Windows-1252 or Latin-1
// character, i.e. possibly one byte of a further layer of mojibake.
func singleByteRune(r rune) bool {
	if r <= 0xFF {
		return true
	}
	_, ok := charmap.Windows1252.EncodeRune(r)
	return ok
}

func unMojibakeOnce(s string, accept func(rune) bool) (string, bool, bool) {
	slots := make([]int, 0, len(s))
	for _, r := range s {
		switch {
		case r == '?':
			slots = append(slots, slotQuestion)
		case r < utf8.RuneSelf:
			slots = append(slots, int(r))
		case r == utf8.RuneError:
			slots = append(slots, slotLost)
		default:
			if b, ok := charmap.Windows1252.EncodeRune(r); ok {
				slots = append(slots, int(b))
			} else if r <= 0xFF { // Latin-1 reading of 0x80–0x9F
				slots = append(slots, int(r))
			} else {
				return "", false, false // not a single-byte character: not mojibake
			}
		}
	}
	chars, strong, inferred, ok := decodeSlots(slots, accept)
	if !ok || !strong {
		return "", false, false
	}
	text, exact := resolve(chars)
	return norm.NFC.String(text), exact && !inferred, true
}

// decodeSlots decodes bytes (some lost) as UTF-8, keeping the characters
// accept allows. Each output position is the set of characters it may have
// been: one when every byte arrived, several when a lost byte had to be
// guessed. strong reports that at least one multi-byte character arrived
// whole; inferred that some lost byte was filled in.
func decodeSlots(slots []int, accept func(rune) bool) (chars [][]rune, strong, inferred, ok bool) {
	chars = make([][]rune, 0, len(slots))
	for i := 0; i < len(slots); {
		b := slots[i]
		if b < 0 { // a lost byte outside any sequence: keep the loss visible
			chars = append(chars, []rune{'?'})
			i++
			continue
		}
		if b < utf8.RuneSelf {
			chars = append(chars, []rune{rune(b)})
			i++
			continue
		}
		n := seqLen(byte(b))
		if n == 0 {
			return nil, false, false, false
		}
		var opts [3][]byte
		soft := 0
		j := i + 1
		for k := 0; k < n; k++ {
			if j < len(slots) {
				c := slots[j]
				switch {
				case c >= 0x80 && c <= 0xBF:
					opts[k] = []byte{byte(c)}
					j++
					continue
				case c < 0:
					opts[k] = undefined1252
					j++
					soft++
					continue
				case c == ' ': // a no-break space (0xA0) that became a space
					opts[k] = []byte{0xA0}
					j++
					soft++
					continue
				}
			}
			// The byte was dropped: an undefined one, or a trailing
			// no-break space trimmed as white space.
			opts[k] = droppedBytes
			soft++
		}
		if soft > 1 {
			return nil, false, false, false
		}
		cands := seqCandidates(byte(b), opts[:n], accept)
		if len(cands) == 0 {
			return nil, false, false, false
		}
		if soft == 0 {
			strong = true
		} else {
			inferred = true
		}
		chars = append(chars, cands)
		i = j
	}
	return chars, strong, inferred, true
}

// seqLen returns how many continuation bytes a UTF-8 lead byte needs, or
// 0 when b cannot start a character.
func seqLen(b byte) int {
	switch {
	case b >= 0xC2 && b <= 0xDF:
		return 1
	case b >= 0xE0 && b <= 0xEF:
		return 2
	case b >= 0xF0 && b <= 0xF4:
		return 3
	}
	return 0
}

// seqCandidates returns the acceptable characters the lead byte and the
// continuation options can encode.
func seqCandidates(lead byte, opts [][]byte, accept func(rune) bool) []rune {
	var out []rune
	var buf [4]byte
	buf[0] = lead
	var walk func(k int)
	walk = func(k int) {
		if k == len(opts) {
			r, size := utf8.DecodeRune(buf[:k+1])
			if r != utf8.RuneError && size == k+1 && accept(r) && !containsRune(out, r) {
				out = append(out, r)
			}
			return
		}
		for _, c := range opts[k] {
			buf[k+1] = c
			walk(k + 1)
		}
	}
	walk(0)
	return out
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// repairedRuneOK reports whether a recovered multi-byte character is one
// Vietnamese text plausibly contains: a Vietnamese letter, a combining
// Vietnamese diacritic (text that was NFD before it was garbled), or
// general punctuation such as the en dash of "Bà Rịa–Vũng Tàu".
func repairedRuneOK(r rune) bool {
	switch {
	case isVietLetter(r):
		return true
	case r >= 0x2010 && r <= 0x2027:
		return true
	}
	switch r {
	case 0x0300, 0x0301, 0x0302, 0x0303, 0x0306, 0x0309, 0x031B, 0x0323:
		return true
	}
	return false
}

// resolve picks one character per position. Where a lost byte left
// several candidates, it keeps those that fit the word's letter case and
// Vietnamese syllable structure; if that still leaves a choice, the
// position becomes "?" and the result is not exact.
func resolve(chars [][]rune) (string, bool) {
	out := make([]rune, len(chars))
	exact := true
	for i, c := range chars {
		out[i] = c[0]
		if len(c) > 1 {
			exact = false
			out[i] = 0 // to decide
		}
	}
	if exact {
		return string(out), true
	}
	// Decide word by word.
	for start := 0; start < len(out); {
		end := start
		for end < len(out) && (out[end] == 0 || isVietLetter(out[end]) || isCombining(out[end])) {
			end++
		}
		if end == start {
			start++
			continue
		}
		decideWord(out[start:end], chars[start:end], out)
		start = end
	}
	return string(out), false
}

func isCombining(r rune) bool { return r >= 0x0300 && r <= 0x036F }

// letterCase reports whether the letters after the first of each word
// are lowercase (title or lower case text) and whether they are upper
// case (capitals), ignoring undecided (0) positions.
func letterCase(text []rune) (lower, upper bool) {
	first := true
	for _, r := range text {
		switch {
		case r == 0:
			first = false
		case !unicode.IsLetter(r):
			first = true
		case first:
			first = false
		default:
			lower = lower || unicode.IsLower(r)
			upper = upper || unicode.IsUpper(r)
		}
	}
	return lower, upper
}

// initialsUpper reports whether text has other words and every decided
// word starts with a capital, as names are written, so that an undecided
// initial is a capital too.
func initialsUpper(text []rune) bool {
	words := 0
	start := true
	for _, r := range text {
		switch {
		case r == 0:
			start = false
		case !unicode.IsLetter(r):
			start = true
		case start:
			if !unicode.IsUpper(r) {
				return false
			}
			words++
			start = false
		}
	}
	return words > 0
}

// decideWord fills the undecided (0) positions of word from cands. The
// letter case of the word, or failing that of the whole text, rules out
// candidates: inside a title-case word the letter is lowercase.
func decideWord(word []rune, cands [][]rune, text []rune) {
	lower, upper := letterCase(word)
	if !lower && !upper {
		lower, upper = letterCase(text)
	}
	titled := initialsUpper(text)
	opts := make([][]rune, len(word))
	combos := 1
	for i, r := range word {
		if r != 0 {
			opts[i] = []rune{r}
			continue
		}
		var keep []rune
		for _, c := range cands[i] {
			if i > 0 && (lower && !upper && unicode.IsUpper(c) || upper && !lower && unicode.IsLower(c)) {
				continue
			}
			if i == 0 && titled && unicode.IsLower(c) {
				continue
			}
			keep = append(keep, c)
		}
		if len(keep) == 0 {
			keep = cands[i]
		}
		opts[i] = keep
		combos *= len(keep)
	}
	// Enumerate combinations (bounded) and keep the plausible syllables.
	var plausible [][]rune
	if combos <= 64 {
		cur := make([]rune, len(word))
		var walk func(k int)
		walk = func(k int) {
			if k == len(word) {
				if plausibleSyllable(string(cur)) {
					plausible = append(plausible, append([]rune(nil), cur...))
				}
				return
			}
			for _, c := range opts[k] {
				cur[k] = c
				walk(k + 1)
			}
		}
		walk(0)
	}
	for i := range word {
		if word[i] != 0 {
			continue
		}
		switch {
		case len(opts[i]) == 1:
			word[i] = opts[i][0]
		case len(plausible) > 0 && agree(plausible, i):
			word[i] = plausible[0][i]
		default:
			word[i] = '?'
		}
	}
}

func agree(words [][]rune, i int) bool {
	for _, w := range words[1:] {
		if w[i] != words[0][i] {
			return false
		}
	}
	return true
}

// ---- Vietnamese syllable structure ----

var (
	initials = []string{"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
		"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""}
	finals = []string{"ch", "ng", "nh", "c", "m", "n", "p", "t", ""}
	nuclei = map[string]bool{}
)

func init() {
	for _, n := range strings.Fields(`a ă â e ê i o ô ơ u ư y
		ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ uy ưa ưi ươ ưu yê
		iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu`) {
		nuclei[n] = true
	}
}

// plausibleSyllable reports whether word is shaped like one Vietnamese
// syllable (initial consonant, vowel nucleus, final consonant), with a
// tone a syllable ending in c, ch, p or t can carry (only sắc or nặng).
// It is used only to choose between candidate letters, never to reject.
func plausibleSyllable(word string) bool {
	tone := rune(0)
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(word)) {
		switch r {
		case 0x0300, 0x0301, 0x0303, 0x0309, 0x0323:
			if tone != 0 {
				return false
			}
			tone = r
		default:
			b.WriteRune(r)
		}
	}
	base := norm.NFC.String(b.String())
	for _, ini := range initials {
		if !strings.HasPrefix(base, ini) {
			continue
		}
		rest := base[len(ini):]
		for _, fin := range finals {
			if !strings.HasSuffix(rest, fin) || len(rest) == len(fin) {
				continue
			}
			nuc := rest[:len(rest)-len(fin)]
			if !nuclei[nuc] || nuc == "y" && fin != "" {
				continue
			}
			stop := fin == "c" || fin == "ch" || fin == "p" || fin == "t"
			if stop && tone != 0 && tone != 0x0301 && tone != 0x0323 {
				continue
			}
			return true
		}
	}
	return false
}

// ---- Telex ----

// Telex tone keys and the combining marks they add.
var telexTones = map[rune]rune{'s': 0x0301, 'f': 0x0300, 'r': 0x0309, 'x': 0x0303, 'j': 0x0323}

// composeTelex turns raw Telex keystrokes left in an ASCII name
// ("Nguyeenx Vawn Ddatj") into Vietnamese ("Nguyễn Văn Đạt"). Only words
// that show a Telex sign are touched: a doubled "dd", "aa", "ee", "oo", a
// "w", "f" or "j" (letters no Vietnamese word has), or a final s, r, x
// after a vowel (native words end in a vowel or c, ch, m, n, ng, nh, p, t).
// It is a guess: the caller flags the name as degraded.
func composeTelex(s string) (string, bool) {
	words := strings.Split(s, " ")
	changed := false
	for i, w := range words {
		if !telexSign(w) {
			continue
		}
		if c := telexWord(w); c != w {
			words[i], changed = c, true
		}
	}
	return strings.Join(words, " "), changed
}

func telexSign(w string) bool {
	if !isASCII(w) {
		// Only ASCII text reaches composeTelex, but stay exact: lowering
		// may still give ASCII (the Kelvin sign K lowers to k).
		w = strings.ToLower(w)
	}
	// From here on letters are compared lowered byte by byte, which for
	// ASCII is strings.ToLower without building a string.
	if len(w) < 2 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := lowerASCII(w[i]); c < 'a' || c > 'z' {
			return false // digits, punctuation: not a Telex-typed word
		}
	}
	for i := 0; i < len(w); i++ {
		switch c := lowerASCII(w[i]); {
		case c == 'w' || c == 'f' || c == 'j':
			return true
		case i > 0 && lowerASCII(w[i-1]) == c && (c == 'd' || c == 'a' || c == 'e' || c == 'o'):
			return true // dd, aa, ee, oo
		}
	}
	switch lowerASCII(w[len(w)-1]) {
	case 's', 'r', 'x':
		for i := 0; i < len(w)-1; i++ {
			switch lowerASCII(w[i]) {
			case 'a', 'e', 'i', 'o', 'u', 'y':
				return true
			}
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// telexWord composes one Telex-typed word.
func telexWord(w string) string {
	out := make([]rune, 0, len(w))
	var tone rune
	for _, c := range w {
		lc := unicode.ToLower(c)
		n := len(out)
		var prev rune
		if n > 0 {
			prev = out[n-1]
		}
		switch {
		case lc == 'd' && (prev == 'd' || prev == 'D'):
			out[n-1] = caseLike('đ', prev)
		case (lc == 'a' || lc == 'e' || lc == 'o') && unicode.ToLower(prev) == lc:
			out[n-1] = caseLike(map[rune]rune{'a': 'â', 'e': 'ê', 'o': 'ô'}[lc], prev)
		case lc == 'w':
			if !telexHorn(out) {
				out = append(out, caseLike('ư', c))
			}
		case telexTones[lc] != 0 && hasVowel(out):
			tone = telexTones[lc]
		default:
			out = append(out, c)
		}
	}
	if tone != 0 {
		out = placeTone(out, tone)
	}
	return norm.NFC.String(string(out))
}

func caseLike(r, like rune) rune {
	if unicode.IsUpper(like) {
		return unicode.ToUpper(r)
	}
	return r
}

func hasVowel(rs []rune) bool {
	for _, r := range rs {
		if isVowel(r) {
			return true
		}
	}
	return false
}

// telexHorn applies a "w" to the last a, o or u of the word (ươ for uo);
// it reports false when there is none, and the w is then "ư" by itself.
func telexHorn(out []rune) bool {
	for i := len(out) - 1; i >= 0; i-- {
		switch unicode.ToLower(out[i]) {
		case 'a':
			out[i] = caseLike('ă', out[i])
			return true
		case 'o':
			out[i] = caseLike('ơ', out[i])
			if i > 0 && unicode.ToLower(out[i-1]) == 'u' {
				out[i-1] = caseLike('ư', out[i-1])
			}
			return true
		case 'u':
			out[i] = caseLike('ư', out[i])
			return true
		}
	}
	return false
}

// placeTone puts a tone mark on the vowel that carries it: the one with a
// shape diacritic (ơ in ươ, ê in iê); else the last vowel when a final
// consonant follows; else the middle of three vowels or the first of two
// (the traditional placement: hòa, mùa, ngoài). "qu" and "gi" count as
// initials.
func placeTone(out []rune, mark rune) []rune {
	first, last := -1, -1
	for i, r := range out {
		if isVowel(r) {
			if first < 0 {
				first = i
			}
			last = i
		} else if first >= 0 {
			break
		}
	}
	if first < 0 {
		return out
	}
	if last > first && first > 0 {
		p, f := unicode.ToLower(out[first-1]), unicode.ToLower(out[first])
		if p == 'q' && f == 'u' || p == 'g' && f == 'i' {
			first++
		}
	}
	at := -1
	for i := first; i <= last; i++ {
		if strings.ContainsRune("ăâêôơưĂÂÊÔƠƯ", out[i]) {
			at = i
		}
	}
	switch {
	case at >= 0:
	case last < len(out)-1:
		at = last
	case last-first == 2:
		at = first + 1
	default:
		at = first
	}
	res := make([]rune, 0, len(out)+1)
	res = append(res, out[:at+1]...)
	res = append(res, mark)
	return append(res, out[at+1:]...)
}

// untelex undoes an input method's rewriting of text that must be ASCII
// (hexadecimal, MRZ): each Vietnamese letter goes back to the keystrokes
// that made it ("â" → "aa", "đ" → "dd", "à" → "af"), tone key right after
// its vowel. toneAtEnd moves each tone key to the end of its letter run
// instead, where the input method may have taken it from.
func untelex(s string, toneAtEnd bool) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	var pendingTone []rune
	flush := func() {
		for _, t := range pendingTone {
			b.WriteRune(t)
		}
		pendingTone = pendingTone[:0]
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			if toneAtEnd && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				flush()
			}
			b.WriteRune(r)
			continue
		}
		upper := unicode.IsUpper(r)
		key := func(k rune) rune {
			if upper {
				return unicode.ToUpper(k)
			}
			return k
		}
		if r == 'đ' || r == 'Đ' {
			b.WriteRune(key('d'))
			b.WriteRune(key('d'))
			continue
		}
		var base, shape, tone rune
		for _, m := range norm.NFD.String(string(r)) {
			switch m {
			case 0x0302:
				shape = 'c' // circumflex: the vowel typed twice
			case 0x0306, 0x031B:
				shape = 'w'
			case 0x0301:
				tone = 's'
			case 0x0300:
				tone = 'f'
			case 0x0309:
				tone = 'r'
			case 0x0303:
				tone = 'x'
			case 0x0323:
				tone = 'j'
			default:
				if base == 0 {
					base = m
				}
			}
		}
		if base == 0 || base >= utf8.RuneSelf {
			b.WriteRune(r) // not Telex output: leave it for the caller to refuse
			continue
		}
		b.WriteRune(base)
		switch shape {
		case 'c':
			b.WriteRune(base)
		case 'w':
			b.WriteRune(key('w'))
		}
		if tone != 0 {
			if toneAtEnd {
				pendingTone = append(pendingTone, key(tone))
			} else {
				b.WriteRune(key(tone))
			}
		}
	}
	flush()
	return b.String()
}
