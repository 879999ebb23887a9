package scanner

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// parseCCCD parses the chip ID card's QR (docs/domain.md §2):
//
//	ID|old ID|full name|date of birth|gender|address|issue date[|more…]
//
// Choices, since the card is what the patient holds and the population
// record decides in the end:
//   - the 12-digit ID must be well formed, or the scan is refused
//     (invalid_citizen_id): without it nothing can be looked up;
//   - a date of birth that is present but not a date is refused
//     (invalid_date): the fields are then misaligned or corrupt and
//     nothing else in the scan can be trusted; an empty one is a warning;
//   - a bad or missing issue date, an unusual old ID, an unknown gender
//     and the ID's province/century/gender contradicting the payload are
//     warnings: they are shown, the record decides.
func parseCCCD(fields []string) (Result, error) {
	for i := range fields {
		fields[i] = trimField(fields[i])
	}
	id, err := verifier.ParseCitizenID(fields[0])
	if err != nil {
		return Result{}, err
	}
	if len(fields) < 6 {
		return Result{}, unreadable("a CCCD QR has 7 fields separated by \"|\" (ID|old ID|name|date of birth|gender|address|issue date)")
	}
	c := &CCCD{ID: id}
	res := Result{Kind: KindCCCD, CCCD: c}

	// Field 1 is the old 9-digit ID, possibly empty. If it holds letters
	// it is a name: the 6-field layout without the CMND slot. Shift the
	// fields so that both layouts read alike.
	rest := fields[1:]
	if hasLetter(rest[0]) {
		c.SixField = true
		rest = append([]string{""}, rest...)
	}
	if len(rest) < 6 { // 6 fields with a CMND slot: the issue date is missing
		rest = append(rest, "")
	}
	c.OldID = rest[0]
	if c.OldID != "" && !(allDigits(c.OldID) && (len(c.OldID) == 9 || len(c.OldID) == 12)) {
		res.warn("unusual_old_id")
	}

	var st textState
	c.FullName, st = repairName(rest[1])
	res.noteName(st)
	if c.FullName == "" {
		res.warn("name_missing")
	}

	switch dob := rest[2]; {
	case dob == "":
		res.warn("dob_missing")
	default:
		d, ok := parseCompactDate(dob)
		if !ok {
			return Result{}, verifier.Errorf(verifier.KindUnprocessable, "invalid_date",
				"the CCCD date of birth (field 4) is not ddMMyyyy, MMyyyy or yyyy")
		}
		c.DOB = d
	}

	c.Gender = parseVietGender(rest[3])
	if c.Gender == "" {
		res.warn("unknown_gender")
	}

	c.Address, st = repairAddress(rest[4])
	res.noteAddress(st)

	if iss := rest[5]; iss != "" {
		d, ok := parseCompactDate(iss)
		if ok && d.Full() {
			c.IssuedOn = d
		} else {
			res.warn("invalid_issue_date")
		}
	}
	if len(rest) > 6 {
		c.Extra = append([]string(nil), rest[6:]...)
	}

	if _, ok := id.ProvinceName(); !ok {
		res.warn("unknown_province")
	}
	res.warn(id.CheckBirth(c.DOB, c.Gender)...)
	return res, nil
}

func hasLetter(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf || isASCIILetter(byte(r)) {
			return true
		}
	}
	return false
}

// parseVietGender reads the printed gender, repairing what a keyboard
// wedge does to "Nữ": mojibake ("Ná»¯"), a lost letter ("N?", "N"), raw
// Telex ("Nuwx"). "Nam" is plain ASCII and always survives, so an "N"
// followed by damage can only be "Nữ".
func parseVietGender(s string) verifier.Gender {
	s = trimField(s)
	// What nearly every card holds, answered as verifier.ParseGender
	// would (TestGenderFastPath), without its lower-casing and NFC pass.
	switch s {
	case "Nam":
		return verifier.Male
	case "Nữ":
		return verifier.Female
	}
	if g, ok := verifier.ParseGender(norm.NFC.String(s)); ok {
		return g
	}
	r, _ := repairText(s, true)
	if g, ok := verifier.ParseGender(r); ok {
		return g
	}
	if r == "" || (r[0] != 'N' && r[0] != 'n') || utf8.RuneCountInString(r) > 4 {
		return ""
	}
	tail := r[1:]
	if strings.Trim(tail, "?") == "" || strings.EqualFold(tail, "u") {
		return verifier.Female
	}
	return ""
}
