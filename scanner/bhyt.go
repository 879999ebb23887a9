package scanner

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// BHYT QR field positions (docs/domain.md §5).
const (
	bhytCode = iota
	bhytName
	bhytDOB
	bhytGender
	bhytAddress
	bhytFacility
	bhytValidFrom
	bhytValidTo
	bhytIssuedOn
	bhytManaging
	bhytParent
	bhytArea
	bhytFiveYears
	bhytFields // fields after these are kept raw in Extra
)

// parseBHYT parses the health-insurance card's QR:
//
//	code|hex name|dob|gender|hex address|facility|valid from|valid to|
//	issued|managing code|hex parent name|area code|five years since[|more…]|$
//
// The names and address are hex so that the payload is ASCII and survives
// keyboard scanners; a Telex input method can still rewrite the hex digits
// a–f ("aa" → "â", "dd" → "đ", "af" → "à"), which is undone before
// decoding. Choices: a malformed card code or date of birth is refused
// (they are what the insurer's gateway is asked with); other bad dates,
// an unknown gender and an odd facility code are warnings.
func parseBHYT(fields []string) (Result, error) {
	// Drop the closing "$", whether it is a field of its own or glued to
	// the last one.
	if n := len(fields); n > 0 {
		last := trimField(fields[n-1])
		if last == "$" {
			fields = fields[:n-1]
		} else if strings.HasSuffix(last, "$") {
			fields[n-1] = strings.TrimSuffix(last, "$")
		}
	}
	for i := range fields {
		fields[i] = trimField(fields[i])
	}
	if len(fields) < bhytGender+1 {
		return Result{}, unreadable("an insurance card QR has at least code|hex name|date of birth|gender|…|$")
	}
	b := &BHYT{}
	res := Result{Kind: KindBHYT, BHYT: b}
	if err := parseCardNo(b, fields[bhytCode]); err != nil {
		return Result{}, err
	}
	get := func(i int) string {
		if i < len(fields) && fields[i] != "-" {
			return fields[i]
		}
		return ""
	}

	var st textState
	b.FullName, st = decodeHexText(get(bhytName), true)
	res.noteName(st)
	if b.FullName == "" {
		res.warn("name_missing")
	}

	if dob := get(bhytDOB); dob == "" {
		res.warn("dob_missing")
	} else if d, ok := parseSlashDate(dob); ok {
		b.DOB = d
	} else {
		return Result{}, verifier.Errorf(verifier.KindUnprocessable, "invalid_date",
			"the insurance card date of birth (field 3) is not dd/MM/yyyy, MM/yyyy or yyyy")
	}

	if g, ok := verifier.ParseGender(get(bhytGender)); ok {
		b.Gender = g
	} else {
		res.warn("unknown_gender")
	}

	b.Address, st = decodeHexText(get(bhytAddress), false)
	res.noteAddress(st)

	// "01 - 028" is province 01, facility 028: code "01028".
	b.RegisteredFacility = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, get(bhytFacility)))
	if b.RegisteredFacility != "" && (len(b.RegisteredFacility) != 5 || !isAlnum(b.RegisteredFacility)) {
		res.warn("unusual_facility_code")
	}

	for _, d := range []struct {
		i    int
		dst  *verifier.Date
		warn string
	}{
		{bhytValidFrom, &b.ValidFrom, "invalid_valid_from"},
		{bhytValidTo, &b.ValidTo, "invalid_valid_to"},
		{bhytIssuedOn, &b.IssuedOn, "invalid_issue_date"},
		{bhytFiveYears, &b.FiveYearsSince, "invalid_five_years_since"},
	} {
		if s := get(d.i); s != "" {
			if v, ok := parseSlashDate(s); ok && v.Full() {
				*d.dst = v
			} else {
				res.warn(d.warn)
			}
		}
	}
	if b.ValidFrom.Full() && b.ValidTo.Full() && b.ValidTo.Before(b.ValidFrom) {
		res.warn("valid_to_before_valid_from")
	}

	b.ManagingCode = get(bhytManaging)
	b.ParentName, st = decodeHexText(get(bhytParent), true)
	if st.lossy {
		res.warn("parent_name_degraded")
	}
	b.AreaCode = get(bhytArea)
	if len(fields) > bhytFields {
		b.Extra = append([]string(nil), fields[bhytFields:]...)
	}
	return res, nil
}

// bhytCodeShape reports whether s is shaped like an insurance card code:
// 10 digits, or 2 letters and 13 digits. Validity is checked later, so
// that a 15-character code with a bad benefit digit is reported as such.
func bhytCodeShape(s string) bool {
	switch len(s) {
	case 10:
		return allDigits(s)
	case 15:
		return isASCIILetter(s[0]) && isASCIILetter(s[1]) && allDigits(s[2:])
	}
	return false
}

func parseCardNo(b *BHYT, s string) error {
	s = strings.ToUpper(untelex(s, false))
	switch {
	case len(s) == 10 && allDigits(s):
		b.CardNo, b.SocialInsuranceNo = s, s
		return nil
	case bhytCodeShape(s) && s[2] >= '1' && s[2] <= '5':
		b.CardNo = s
		b.ObjectCode = s[0:2]
		b.BenefitLevel = int(s[2] - '0')
		b.ProvinceCode = s[3:5]
		b.SocialInsuranceNo = s[5:]
		return nil
	}
	return verifier.Errorf(verifier.KindUnprocessable, "invalid_card_no",
		"an insurance card code is 10 digits, or 2 letters, a benefit level 1–5, a 2-digit province and 10 digits")
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(isASCIILetter(s[i]) || s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// looksHex reports whether a field is (possibly Telex-damaged) hex text.
func looksHex(s string) bool {
	s = strings.TrimSpace(s)
	for _, c := range []string{s, untelex(s, false)} {
		if c != "" && len(c)%2 == 0 && strings.IndexFunc(c, func(r rune) bool {
			return r >= utf8.RuneSelf || !isHexDigit(byte(r))
		}) < 0 {
			return true
		}
	}
	return false
}

// decodeHexText decodes a hex-encoded UTF-8 field. Telex damage is undone
// by trying the keystrokes back in place and then with the tone keys at
// the end of their letter run; a candidate is accepted only if it is
// valid hex that decodes to valid UTF-8, which a wrong guess almost never
// is, so such a repair counts as exact. A field that is not hex at all is
// taken as plain text (and repaired as such); hex that does not decode to
// UTF-8 keeps its damage visible as "?".
func decodeHexText(s string, isName bool) (string, textState) {
	var st textState
	if s == "" {
		return "", st
	}
	for i, c := range []string{s, untelex(s, false), untelex(s, true)} {
		if i > 0 && c == s {
			continue
		}
		// Decode into a buffer on the stack; only the text is kept.
		var buf [128]byte
		raw, ok := appendHexDecode(buf[:0], c)
		if !ok {
			continue
		}
		txt := string(raw)
		if !utf8.ValidString(txt) {
			txt = strings.ToValidUTF8(txt, "?")
			st.lossy = true
		}
		txt = joinFields(norm.NFC.String(txt), unicode.IsSpace)
		if i > 0 {
			st.repaired, st.exact = true, !st.lossy
		}
		if isName && nameLooksLossy(txt) || !isName && textLooksLossy(txt) {
			st.lossy = true
		}
		return txt, st
	}
	// Not hex: an odd digit count (a lost character) or plain text.
	if looksMostlyHex(s) {
		st.lossy = true
		return "?", st
	}
	if isName {
		return repairName(s)
	}
	return repairAddress(s)
}

// appendHexDecode appends the bytes hexadecimal s encodes to dst; ok is
// false where hex.DecodeString would fail (an odd length or a character
// that is not a hex digit).
func appendHexDecode(dst []byte, s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return dst, false
	}
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := hexValue(s[i])
		lo, ok2 := hexValue(s[i+1])
		if !ok1 || !ok2 {
			return dst, false
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, true
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// looksMostlyHex reports a long run of hex digits that failed to decode,
// i.e. a hex field that lost a character, rather than plain text.
func looksMostlyHex(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if isHexDigit(s[i]) {
			n++
		}
	}
	return len(s) >= 6 && n*10 >= len(s)*9
}
