package scanner

import (
	"strings"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The ID card's MRZ is ICAO 9303 TD1: three lines of 30 characters.
//
//	line 1: 1–2 document code, 3–5 issuing state, 6–14 document number,
//	        15 its check digit, 16–30 optional data
//	line 2: 1–6 birth date YYMMDD, 7 check, 8 sex, 9–14 expiry YYMMDD,
//	        15 check, 16–18 nationality, 19–29 optional data,
//	        30 composite check over line 1 6–30 and line 2 1–7, 9–15, 19–29
//	line 3: SURNAME<<GIVEN<NAMES
//
// The Vietnamese card fills line 1 as IDVNM + the ID's last 9 digits +
// check + the full 12-digit ID + "<<" + a check digit over the 12 digits
// (the public sample IDVNM0910055134051091005513<<0 verifies: document 4,
// ID 0, birth 4, expiry 2, composite 8). That last digit is national, not
// ICAO; the composite check already covers it, so a mismatch there is a
// warning, not a refusal.
const mrzLineLen = 30

// mrzLines splits text into three MRZ lines. It accepts CR/LF or LF
// separators with spaces around, or the 90 characters run together. Line
// 1 and 3 may lose trailing fillers to a reader that trims them ("<" is
// worth 0 in every check, so padding them back changes no check digit).
// A Telex input method that rewrote capital letters (DD → Đ) is undone.
func mrzLines(s string) ([3]string, bool) {
	var out [3]string
	// The non-blank lines, into a fixed array: more than three is not an
	// MRZ whatever they hold.
	var lines [3]string
	n := 0
	for rest := s; rest != ""; {
		l := rest
		if i := strings.IndexAny(rest, "\r\n"); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if n == len(lines) {
			return out, false
		}
		lines[n] = untelex(l, false)
		n++
	}
	if n == 1 && len(lines[0]) == 3*mrzLineLen {
		l := lines[0]
		lines, n = [3]string{l[:30], l[30:60], l[60:]}, 3
	}
	if n != 3 {
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
	// Three lines of MRZ characters: this is meant as an MRZ, so a wrong
	// length is reported by parseMRZ rather than as "not recognised".
	return out, out[0][0] == 'I' || out[0][0] == 'A' || out[0][0] == 'C'
}

func mrzCharset(l string) bool {
	if l == "" {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<') {
			return false
		}
	}
	return true
}

// mrzValue is the ICAO 9303 character value: digits as such, A–Z 10–35,
// the filler "<" 0.
func mrzValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 0
}

// MRZCheckDigit returns the ICAO 9303 check digit of s: the sum of the
// character values weighted 7, 3, 1, 7, 3, 1, … modulo 10.
func MRZCheckDigit(s string) byte {
	return mrzCheckDigitOf(s)
}

// mrzCheckDigitOf returns the check digit of the parts run together,
// without building that string.
func mrzCheckDigitOf(parts ...string) byte {
	weights := [3]int{7, 3, 1}
	sum, k := 0, 0
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			sum += mrzValue(p[i]) * weights[k%3]
			k++
		}
	}
	return byte('0' + sum%10)
}

// checkOK reports whether check character c verifies field. A field made
// only of fillers (an unknown expiry) may carry "<" as its check.
func checkOK(field string, c byte) bool {
	if c == '<' {
		return strings.Trim(field, "<") == ""
	}
	return c == MRZCheckDigit(field)
}

func parseMRZ(l [3]string) (Result, error) {
	for _, x := range l {
		if len(x) != mrzLineLen {
			return Result{}, unreadable("an ID card MRZ (ICAO TD1) has 3 lines of exactly 30 characters")
		}
	}
	l1, l2, l3 := l[0], l[1], l[2]
	m := &MRZ{
		DocCode:     strings.TrimRight(l1[0:2], "<"),
		Issuer:      strings.Trim(l1[2:5], "<"),
		Nationality: strings.Trim(l2[15:18], "<"),
	}
	res := Result{Kind: KindMRZ, MRZ: m}

	// Check digits first: a misread MRZ must not be half-trusted.
	var bad []string
	docField, docCheck := l1[5:14], l1[14]
	opt := l1[15:30]
	if docCheck == '<' {
		// ICAO long document number: it continues in the optional data,
		// up to a filler, whose last character is its check digit.
		end := strings.IndexByte(opt, '<')
		if end < 0 {
			end = len(opt)
		}
		if end < 1 {
			bad = append(bad, "document number")
		} else {
			docField, docCheck = docField+opt[:end-1], opt[end-1]
			opt = opt[end:]
		}
	}
	if len(bad) == 0 && !checkOK(docField, docCheck) {
		bad = append(bad, "document number")
	}
	if !checkOK(l2[0:6], l2[6]) {
		bad = append(bad, "birth date")
	}
	if !checkOK(l2[8:14], l2[14]) {
		bad = append(bad, "expiry date")
	}
	if l2[29] != mrzCheckDigitOf(l1[5:30], l2[0:7], l2[8:15], l2[18:29]) {
		bad = append(bad, "composite")
	}
	if len(bad) > 0 {
		return Result{}, verifier.Errorf(verifier.KindUnprocessable, "mrz_check_digit",
			"MRZ check digit wrong for: %s (the MRZ was misread or altered)", strings.Join(bad, ", "))
	}
	m.DocNumber = strings.TrimRight(docField, "<")

	// The citizen ID: the 12 digits opening the optional data; failing
	// that, a 12-digit (long) document number.
	switch {
	case len(opt) >= 12 && allDigits(opt[:12]):
		m.ID = verifier.CitizenID(opt[:12])
		if rest := opt[12:]; len(rest) == 3 && rest[:2] == "<<" && rest[2] != '<' && rest[2] != MRZCheckDigit(opt[:12]) {
			res.warn("mrz_id_check_digit")
		}
	case len(m.DocNumber) == 12 && allDigits(m.DocNumber):
		m.ID = verifier.CitizenID(m.DocNumber)
	default:
		return Result{}, verifier.Errorf(verifier.KindUnprocessable, "invalid_citizen_id",
			"the MRZ holds no 12-digit citizen ID in the optional data of line 1")
	}
	if len(m.DocNumber) == 9 && m.DocNumber != string(m.ID[3:]) {
		res.warn("mrz_document_number_mismatch")
	}
	if m.Issuer != "VNM" {
		res.warn("issuer_not_vnm")
	}

	// The MRZ writes years with two digits; the ID's century digit says
	// which century the birth year is in.
	century, _ := m.ID.Century()
	dob, ok := mrzDate(l2[0:6], century)
	if !ok {
		return Result{}, verifier.Errorf(verifier.KindUnprocessable, "invalid_date", "the MRZ birth date is not a date")
	}
	m.DOB = dob
	switch l2[7] {
	case 'M':
		m.Gender = verifier.Male
	case 'F':
		m.Gender = verifier.Female
	default:
		res.warn("unknown_gender")
	}
	// Cards issued since 2016 expire in this century; an all-filler
	// expiry means the card does not expire.
	if strings.Trim(l2[8:14], "<") != "" {
		exp, ok := mrzDate(l2[8:14], 2000)
		if !ok || !exp.Full() {
			res.warn("invalid_expiry_date")
		} else {
			m.Expiry = exp
		}
	}

	surname, given, _ := strings.Cut(strings.TrimRight(l3, "<"), "<<")
	m.Surname = mrzName(surname)
	m.GivenNames = mrzName(given)
	if m.Surname == "" && m.GivenNames == "" {
		res.warn("name_missing")
	}

	if _, ok := m.ID.ProvinceName(); !ok {
		res.warn("unknown_province")
	}
	res.warn(m.ID.CheckBirth(m.DOB, m.Gender)...)
	return res, nil
}

// mrzDate reads YYMMDD in the given century; ICAO writes an unknown day
// or month as fillers, which gives a partial date.
func mrzDate(s string, century int) (verifier.Date, bool) {
	if len(s) != 6 || !allDigits(s[0:2]) {
		return verifier.Date{}, false
	}
	d := verifier.Date{Year: century + num([]byte(s[0:2]))}
	if s[2:4] != "<<" {
		if !allDigits(s[2:4]) {
			return verifier.Date{}, false
		}
		d.Month = num([]byte(s[2:4]))
	}
	if s[4:6] != "<<" {
		if !allDigits(s[4:6]) {
			return verifier.Date{}, false
		}
		d.Day = num([]byte(s[4:6]))
	}
	if !d.Valid() {
		return verifier.Date{}, false
	}
	return d, true
}

// mrzName turns "DUY<TAN" into "DUY TAN".
func mrzName(s string) string {
	return joinFields(s, isFiller)
}

func isFiller(r rune) bool {
	return r == '<'
}

// FullName returns the name as "SURNAME GIVEN NAMES", the order of a
// Vietnamese name, for comparison with verifier.FoldName.
func (m *MRZ) FullName() string {
	return strings.TrimSpace(m.Surname + " " + m.GivenNames)
}
