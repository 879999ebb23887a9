package scanner

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The clean-scan fast paths (plainText, joinFields, splitPipes, the
// rewritten helpers) must give exactly what the full work gives, for any
// input: these tests compare them with the full repair and with the
// standard library or the straightforward versions they replace.

// repairSeeds are the texts the other tests feed the repair (clean,
// mojibake, Telex, NFD, lost characters, odd white space), whole and
// field by field, so that both fuzz targets start from every shape of
// damage the repair knows.
func repairSeeds(t testing.TB) []string {
	const addr = "Thôn 3, Xã Thái Bình"
	letters := "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
	payloads := []string{
		cccdExample,
		norm.NFD.String(cccdExample),
		as1252(t, cccdExample),
		asLatin1(t, cccdExample),
		as1252(t, as1252(t, cccdExample)),
		as1252(t, cccdWith("008095001234", "Nguyễn Tiến Đạt", "Nam", addr)),
		as1252(t, cccdWith("008195001234", "Trần Thị Ngọc", "Nữ", addr)),
		as1252(t, cccdWith("008095001234", "Phan Công Ốc", "Nam", addr)),
		as1252(t, cccdWith("008195001234", "Lê Thị Ánh", "Nữ", addr)),
		cccdWith("008195001234", strings.ReplaceAll(as1252(t, "Vũ Thị Hà"), "\u00a0", " "), "Nữ", addr),
		cccdWith("008095001234", strings.ReplaceAll(as1252(t, "Nguyễn Tiến Đạt"), "\uFFFD", "?"), "Nam", addr),
		cccdWith("008095001234", strings.ReplaceAll(as1252(t, "Nguyễn Tiến Đạt"), "\uFFFD", ""), "Nam", addr),
		cccdWith("008095001234", "Nguy?n V?n An", "Nam", "Th?n 3"),
		cccdWith("008095001234", "Nguy\uFFFDn Văn An", "Nam", addr),
		cccdWith("008095001234", "Nguyeenx Vawn Ddatj", "Nam", addr),
		cccdWith("008195001234", "TRAANF THIJ HUWOWNG", "Nuwx", addr),
		cccdWith("008095001234", "  Nguyễn   Văn  An ", "Nam", addr),
		bhytExample,
		imeTelex(bhytExample),
		mrzExample,
	}
	var out []string
	for _, p := range payloads {
		out = append(out, p)
		out = append(out, strings.Split(p, "|")...)
	}
	return append(out,
		"Nguyen Van An", "Nguyn Vn An", "Lã Thị Hà", "ĐẶNG VĂN Ý", "Ksor H'Bia", "Bà Rịa–Vũng Tàu", "Café ©",
		"Nguyễn\tVăn", "Nguyễn\u00a0Văn", "Nguyễn\vVăn", "Nguyễn\u0085Văn", "Nguyễn\u3000Văn", "\u212Aaa", "Ná»¯",
		letters, strings.ToUpper(letters), as1252(t, letters), asLatin1(t, letters), "",
	)
}

// checkRepairSkip fails unless repairText(s, telex) is the full repair
// and, when plainText says s needs none, the full repair indeed returns
// s itself with nothing found (no "repaired", "exact" or "lossy" flag to
// lose). The damage checks run on the result either way.
func checkRepairSkip(t *testing.T, s string, telex bool) {
	t.Helper()
	want, wantSt := repairTextFull(s, telex)
	if got, st := repairText(s, telex); got != want || st != wantSt {
		t.Errorf("repairText(%q, %v) = %q, %+v; the full repair gives %q, %+v", s, telex, got, st, want, wantSt)
	}
	if !plainText(s, telex) {
		return
	}
	if want != s || wantSt != (textState{}) {
		t.Errorf("plainText(%q, %v) = true, but the full repair gives %q, %+v", s, telex, want, wantSt)
	}
	// repairName and repairAddress then look only for "?".
	if got, want := strings.Contains(s, "?"), textLooksLossy(s); got != want {
		t.Errorf("plainText(%q, %v) = true and it holds a \"?\": %v, but textLooksLossy gives %v", s, telex, got, want)
	}
}

// checkRepairers fails unless repairName and repairAddress give what
// the full repair and the damage checks give.
func checkRepairers(t *testing.T, s string) {
	t.Helper()
	out, st := repairTextFull(s, true)
	st.lossy = st.lossy || nameLooksLossy(out)
	if got, gotSt := repairName(s); got != out || gotSt != st {
		t.Errorf("repairName(%q) = %q, %+v; want %q, %+v", s, got, gotSt, out, st)
	}
	out, st = repairTextFull(s, false)
	st.lossy = st.lossy || textLooksLossy(out)
	if got, gotSt := repairAddress(s); got != out || gotSt != st {
		t.Errorf("repairAddress(%q) = %q, %+v; want %q, %+v", s, got, gotSt, out, st)
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		in    string
		telex bool
		want  bool
	}{
		{"Nguyễn Văn An", true, true},
		{"ĐẶNG VĂN Ý", true, true},
		{"Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang", false, true},
		{"Nguyen Van An", true, true},
		{"Nguy?n V?n An", true, true}, // damage, but nothing the repair changes
		{"", true, true},
		{"Nguyeenx Vawn Ddatj", false, true}, // addresses are not Telex-composed
		{"Nguyeenx Vawn Ddatj", true, false},
		{"Ksor H'Bia", true, false}, // "Ksor" ends like a Telex tone key
		{norm.NFD.String("Nguyễn"), true, false},
		{as1252(t, "Nguyễn"), true, false},
		{asLatin1(t, "Nguyễn"), true, false},
		{"Nguy\uFFFDn", true, false},
		{" Nguyễn", true, false},
		{"Nguyễn ", true, false},
		{"Nguyễn  Văn", true, false},
		{"Nguyễn\tVăn", true, false},
		{"Nguyễn\u00a0Văn", true, false},
		{"Nguyễn\vVăn", true, false},
		{"Bà Rịa–Vũng Tàu", false, false}, // "–" is Windows-1252 0x96, a continuation byte
		{"Café ©", false, false},
		{"Nguy\xffn", true, false},
	}
	for _, tt := range tests {
		if got := plainText(tt.in, tt.telex); got != tt.want {
			t.Errorf("plainText(%q, %v) = %v, want %v", tt.in, tt.telex, got, tt.want)
		}
		checkRepairSkip(t, tt.in, tt.telex)
		checkRepairers(t, tt.in)
	}
	for _, s := range repairSeeds(t) {
		checkRepairSkip(t, s, true)
		checkRepairSkip(t, s, false)
		checkRepairers(t, s)
	}
}

// TestPlainTextEveryRune puts every character of the BMP's first blocks
// and of the Vietnamese block into contexts where the repair acts on
// what follows (a mojibake lead byte, a word, white space), so that a
// character plainText wrongly let through shows.
func TestPlainTextEveryRune(t *testing.T) {
	contexts := []string{"%", "Ng%n", "Ã%", "á»%", "%Ä", "% %", "Vaw%", "% Hà"}
	check := func(r rune) {
		for _, c := range contexts {
			s := strings.ReplaceAll(c, "%", string(r))
			checkRepairSkip(t, s, true)
			checkRepairSkip(t, s, false)
			checkRepairers(t, s)
		}
	}
	for r := rune(0); r < 0x2200; r++ {
		check(r)
	}
	for r := rune(0x1E00); r < 0x1F00; r++ {
		check(r)
	}
	for _, r := range []rune{0x3000, 0xFEFF, 0xFFFD} {
		check(r)
	}
}

// FuzzPlainTextNeedsNoRepair checks, for any text, that whenever
// plainText lets repairText skip the repair, the full repair would have
// returned the text unchanged and found nothing, and that repairName and
// repairAddress, which skip the full damage checks too, still report
// the damage those checks find.
func FuzzPlainTextNeedsNoRepair(f *testing.F) {
	for _, s := range repairSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkRepairSkip(t, s, true)
		checkRepairSkip(t, s, false)
		checkRepairers(t, s)
	})
}

// FuzzHelpersMatchReference checks the allocation-free helpers against
// what they replace: the standard library, or (for the rewritten
// functions) the straightforward versions kept below.
func FuzzHelpersMatchReference(f *testing.F) {
	for _, s := range repairSeeds(f) {
		f.Add(s)
	}
	f.Add("IDVNM0910055134051091005513<<0 9101014M3101012VNM<<<<<<<<<<<8 DINH<<DUY<TAN<<<<<<<<<<<<<<<<<")
	f.Add("\n\r IDVNM0910055134051091005513<<0\r\r\n9101014M3101012VNM<<<<<<<<<<<8\n\nDINH<<DUY<TAN\n \na")
	f.Add("4e677579e1bb856e20|c490e1baa174|0g|abc|ABCDEF")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := splitPipes(nil, s), strings.Split(s, "|"); !slices.Equal(got, want) {
			t.Errorf("splitPipes(%q) = %q, strings.Split gives %q", s, got, want)
		}
		for _, sep := range []func(rune) bool{isCollapsedSpace, unicode.IsSpace, isFiller} {
			if got, want := joinFields(s, sep), strings.Join(strings.FieldsFunc(s, sep), " "); got != want {
				t.Errorf("joinFields(%q) = %q, Join(FieldsFunc) gives %q", s, got, want)
			}
		}
		if got, want := joinFields(s, unicode.IsSpace), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("joinFields(%q, IsSpace) = %q, Join(Fields) gives %q", s, got, want)
		}
		raw, ok := appendHexDecode(nil, s)
		want, err := hex.DecodeString(s)
		if ok != (err == nil) || ok && string(raw) != string(want) {
			t.Errorf("appendHexDecode(%q) = %x, %v; hex.DecodeString gives %x, %v", s, raw, ok, want, err)
		}
		for w := range strings.SplitSeq(s, " ") {
			if got, want := telexSign(w), telexSignRef(w); got != want {
				t.Errorf("telexSign(%q) = %v, want %v", w, got, want)
			}
		}
		if got, want := nameLooksLossy(s), nameLooksLossyRef(s); got != want {
			t.Errorf("nameLooksLossy(%q) = %v, want %v", s, got, want)
		}
		if got, want := textLooksLossy(s), textLooksLossyRef(s); got != want {
			t.Errorf("textLooksLossy(%q) = %v, want %v", s, got, want)
		}
		parts := strings.Split(s, "|")
		if got, want := mrzCheckDigitOf(parts...), MRZCheckDigit(strings.Join(parts, "")); got != want {
			t.Errorf("mrzCheckDigitOf(%q) = %c, want %c", parts, got, want)
		}
		gotLines, gotOK := mrzLines(s)
		wantLines, wantOK := mrzLinesRef(s)
		if gotLines != wantLines || gotOK != wantOK {
			t.Errorf("mrzLines(%q) = %q, %v; want %q, %v", s, gotLines, gotOK, wantLines, wantOK)
		}
	})
}

// TestRuneClassesMatchTheirLists checks the switches that replaced
// searches in strings, and isVowel's shortcut, for every rune.
func TestRuneClassesMatchTheirLists(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		wantLetter := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') ||
			r >= 0x1EA0 && r <= 0x1EF9 || strings.ContainsRune(vietLetters, r)
		if got := isVietLetter(r); got != wantLetter {
			t.Errorf("isVietLetter(%U) = %v, want %v", r, got, wantLetter)
		}
		if got, want := isMojibakeSymbol(r), strings.ContainsRune(mojibakeSymbols, r); got != want {
			t.Errorf("isMojibakeSymbol(%U) = %v, want %v", r, got, want)
		}
		if got, want := isVowel(r), isVowelRef(r); got != want {
			t.Errorf("isVowel(%U) = %v, want %v", r, got, want)
		}
	}
}

// TestGenderFastPath checks that what parseVietGender answers without
// asking verifier.ParseGender is what verifier.ParseGender answers.
func TestGenderFastPath(t *testing.T) {
	for _, s := range []string{"Nam", "Nữ"} {
		want, ok := verifier.ParseGender(s)
		if got := parseVietGender(s); !ok || got != want {
			t.Errorf("parseVietGender(%q) = %q; verifier.ParseGender gives %q, %v", s, got, want, ok)
		}
	}
}

// ---- the straightforward versions the fast helpers replace ----

func telexSignRef(w string) bool {
	lw := strings.ToLower(w)
	if len(lw) < 2 {
		return false
	}
	for i := 0; i < len(lw); i++ {
		if lw[i] < 'a' || lw[i] > 'z' {
			return false
		}
	}
	if strings.ContainsAny(lw, "wfj") {
		return true
	}
	for _, d := range []string{"dd", "aa", "ee", "oo"} {
		if strings.Contains(lw, d) {
			return true
		}
	}
	last := lw[len(lw)-1]
	if last == 's' || last == 'r' || last == 'x' {
		return strings.ContainsAny(lw[:len(lw)-1], "aeiouy")
	}
	return false
}

func nameLooksLossyRef(s string) bool {
	if textLooksLossyRef(s) {
		return true
	}
	for _, w := range strings.Fields(s) {
		hasVowel := false
		for _, r := range w {
			switch {
			case isVowelRef(r):
				hasVowel = true
			case isVietLetter(r) || r == '-' || r == '\'' || r == '.':
			default:
				return true
			}
		}
		if !hasVowel {
			return true
		}
	}
	return false
}

func textLooksLossyRef(s string) bool {
	for _, r := range s {
		switch {
		case r == '?' || r == utf8.RuneError:
			return true
		case r >= 0x80 && r <= 0xBF, r < 0x20, r == 0x7F:
			return true
		case strings.ContainsRune(mojibakeSymbols, r):
			return true
		}
	}
	return false
}

func isVowelRef(r rune) bool {
	if r >= utf8.RuneSelf {
		if !isVietLetter(r) {
			return false
		}
		r = baseLetter(r)
	}
	switch unicode.ToLower(r) {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

func mrzLinesRef(s string) ([3]string, bool) {
	var out [3]string
	var lines []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, untelex(l, false))
		}
	}
	if len(lines) == 1 && len(lines[0]) == 3*mrzLineLen {
		l := lines[0]
		lines = []string{l[:30], l[30:60], l[60:]}
	}
	if len(lines) != 3 {
		return out, false
	}
	for i, l := range lines {
		if !mrzCharset(l) {
			return out, false
		}
		if len(l) < mrzLineLen && i != 1 && len(l) >= 10 {
			l += strings.Repeat("<", mrzLineLen-len(l))
		}
		out[i] = l
	}
	return out, out[0][0] == 'I' || out[0][0] == 'A' || out[0][0] == 'C'
}
