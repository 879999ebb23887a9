// Package scanner turns what a reception desk receives from a card reader
// (keyboard-wedge scanner text, the decoded text of a QR image, the MRZ
// lines of a document reader) into typed results. It recognises each code by
// its shape: the chip citizen-ID card's QR (CCCD), the health-insurance
// card's QR (BHYT) and the ID card's machine-readable zone (MRZ).
package scanner

import (
	"strings"
	"unicode/utf8"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Kind names what a scan was recognised as.
type Kind string

const (
	KindCCCD Kind = "cccd"
	KindBHYT Kind = "bhyt"
	KindMRZ  Kind = "mrz"
)

// Result is a recognised scan. Exactly one of CCCD, BHYT and MRZ is set,
// the one that Kind names.
type Result struct {
	Kind Kind
	CCCD *CCCD
	BHYT *BHYT
	MRZ  *MRZ
	// Warnings are stable codes (e.g. "unknown_province",
	// "id_birth_year_mismatch", "name_repaired") the check-in shows.
	Warnings []string
	// Degraded reports that the text arrived damaged (wrong code page,
	// lost diacritics, input-method rewrites) so that its name cannot be
	// trusted: the population record decides.
	Degraded bool
}

// CCCD is the payload of the chip citizen-ID card's QR code.
type CCCD struct {
	ID       verifier.CitizenID
	OldID    string // 9-digit CMND number, "" when absent
	FullName string // NFC
	DOB      verifier.Date
	Gender   verifier.Gender
	Address  string
	IssuedOn verifier.Date
	Extra    []string // fields after the seventh, kept raw
	// SixField reports the 6-field layout without the CMND slot that some
	// secondary documents describe.
	SixField bool
}

// Card types of a CCCD result (fields.card_type).
const (
	CardCCCD    = "cccd"     // the chip CCCD, issued before 1 July 2024
	CardCanCuoc = "can_cuoc" // the Thẻ căn cước of the 2023 Identity Law, from 1 July 2024
)

// canCuocFrom is the first issue day of the căn cước card.
var canCuocFrom = verifier.Date{Year: 2024, Month: 7, Day: 1}

// CardType tells the two cards apart by the issue date in field 6
// (docs/domain.md §2: before 1 July 2024 a CCCD, from that day a căn cước);
// "" when the QR has no usable issue date.
func (c *CCCD) CardType() string {
	if !c.IssuedOn.Full() {
		return ""
	}
	if c.IssuedOn.Before(canCuocFrom) {
		return CardCCCD
	}
	return CardCanCuoc
}

// BHYT is the payload of a health-insurance card's QR code.
type BHYT struct {
	CardNo             string // as printed, upper case
	ObjectCode         string // 15-character code only: object group, e.g. "HS"
	BenefitLevel       int    // 15-character code only: 1–5; 0 when unknown
	ProvinceCode       string // 15-character code only: two digits
	SocialInsuranceNo  string // the 10-digit number (the whole code on new cards)
	FullName           string
	DOB                verifier.Date
	Gender             verifier.Gender
	Address            string
	RegisteredFacility string // 5 characters, "01 - 028" becomes "01028"
	ValidFrom          verifier.Date
	ValidTo            verifier.Date
	IssuedOn           verifier.Date
	ManagingCode       string
	ParentName         string
	AreaCode           string
	FiveYearsSince     verifier.Date
	Extra              []string // fields after the thirteenth, kept raw
}

// MRZ is the machine-readable zone of an ID card (ICAO 9303 TD1).
type MRZ struct {
	ID          verifier.CitizenID // from the optional data of line 1
	DocCode     string             // "ID" (line 1, characters 1–2, fillers removed)
	Issuer      string             // issuing state, "VNM"
	DocNumber   string
	DOB         verifier.Date
	Gender      verifier.Gender
	Expiry      verifier.Date
	Nationality string
	Surname     string // without diacritics, as printed
	GivenNames  string
}

// MaxScanLen bounds the text Parse accepts. The longest real payload, an
// insurance card QR with hex-encoded name and addresses, is well under
// 1 KiB; anything much longer is not a card and is refused before any work.
const MaxScanLen = 4096

// Parse recognises and parses one scan. It never panics; an error is a
// *verifier.Error of KindUnprocessable whose message says what was wrong
// and never contains the ID, name or address read.
//
// Recognition is by shape (docs/domain.md §5): text with "|" separators whose
// first field is 12 digits is a CCCD QR; a first field of 10 digits or a
// 15-character code, with a hexadecimal second field or a closing "$", is
// an insurance card QR; three lines of 30 characters are an MRZ.
func Parse(text string) (Result, error) {
	if len(text) > MaxScanLen {
		return Result{}, verifier.Errorf(verifier.KindUnprocessable, "scan_too_long",
			"the scan has %d bytes; no card code is longer than %d", len(text), MaxScanLen)
	}
	s := clean(text)
	if s == "" {
		return Result{}, unreadable("the scan is empty")
	}
	if strings.Contains(s, "|") {
		// Split into a buffer on the stack: a CCCD QR has 7 fields, an
		// insurance card QR 13 to 17 with its extras and "$" (more only
		// spill to the heap), and no parser keeps the slice.
		var buf [24]string
		fields := splitPipes(buf[:0], s)
		f0 := trimField(untelex(fields[0], false))
		switch {
		case len(f0) == 12 && allDigits(f0):
			return parseCCCD(fields)
		case bhytCodeShape(f0) && (strings.HasSuffix(s, "$") || len(fields) > 1 && looksHex(fields[1])):
			return parseBHYT(fields)
		case len(fields) >= 6 && len(f0) > 0 && len(f0) <= 24 && 2*countDigits(f0) > len(f0):
			// A CCCD layout whose ID is damaged: say so precisely.
			_, err := verifier.ParseCitizenID(f0)
			return Result{}, err
		}
		return Result{}, unreadable("the fields separated by \"|\" match neither a CCCD QR (12-digit ID first) nor an insurance card QR (10-digit or 15-character code first, ending with \"$\")")
	}
	if lines, ok := mrzLines(s); ok {
		return parseMRZ(lines)
	}
	return Result{}, unreadable("expected a CCCD QR (12-digit ID|old ID|name|…), an insurance card QR (code|hex name|…|$) or an MRZ (3 lines of 30 characters)")
}

// splitPipes appends to dst the fields of s separated by "|", exactly as
// strings.Split(s, "|") returns them.
func splitPipes(dst []string, s string) []string {
	for {
		i := strings.IndexByte(s, '|')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

func unreadable(msg string) error {
	return verifier.Errorf(verifier.KindUnprocessable, "unreadable_scan", "not a recognised card code: %s", msg)
}

// clean makes the text safe to split: invalid UTF-8 becomes U+FFFD (so
// every string built from it is valid), control characters, spaces and a
// byte-order mark are trimmed from both ends (decoders leave NULs, CR/LF,
// STX/ETX and scanners add Enter or Tab), and an AIM symbology identifier
// ("]Q1" for QR, "]d2"…) that a scanner may prefix is removed.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.TrimFunc(s, junk)
	if len(s) >= 3 && s[0] == ']' && isASCIILetter(s[1]) && (isASCIILetter(s[2]) || s[2] >= '0' && s[2] <= '9') {
		s = strings.TrimFunc(s[3:], junk)
	}
	return s
}

func junk(r rune) bool {
	return r <= ' ' || r == 0x7F || r == 0xFEFF
}

// trimField trims ASCII spaces and control characters around a field.
// Not strings.TrimSpace: U+0085 and U+00A0 are Unicode spaces but also
// mojibake of UTF-8 continuation bytes ("Hà" read as Windows-1252 ends
// in U+00A0), which the repair needs.
func trimField(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7F })
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CitizenID returns the 12-digit ID a CCCD QR or an MRZ carries.
func (r Result) CitizenID() (verifier.CitizenID, bool) {
	switch {
	case r.Kind == KindCCCD && r.CCCD != nil:
		return r.CCCD.ID, true
	case r.Kind == KindMRZ && r.MRZ != nil:
		return r.MRZ.ID, true
	}
	return "", false
}

// HasWarning reports whether the result carries warning code w.
func (r Result) HasWarning(w string) bool {
	for _, x := range r.Warnings {
		if x == w {
			return true
		}
	}
	return false
}

func (r *Result) warn(codes ...string) {
	for _, c := range codes {
		if !r.HasWarning(c) {
			r.Warnings = append(r.Warnings, c)
		}
	}
}

// noteName records what repairing a name found: a confident exact repair
// is "name_repaired" and leaves the result trusted; a guessed repair is
// "name_repaired" and degraded; remaining damage is "name_degraded".
func (r *Result) noteName(st textState) {
	if st.repaired {
		r.warn("name_repaired")
		if !st.exact {
			r.Degraded = true
		}
	}
	if st.lossy {
		r.warn("name_degraded")
		r.Degraded = true
	}
}

// noteAddress is noteName for an address; it does not make the result
// degraded (Degraded is about the name), it only warns.
func (r *Result) noteAddress(st textState) {
	if st.repaired {
		r.warn("address_repaired")
	}
	if st.lossy {
		r.warn("address_degraded")
	}
}
