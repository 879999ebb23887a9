package scanner

import (
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// CCCDPayload writes the text a chip ID card's QR code holds for citizen c
// (docs/domain.md §2), the inverse of Parse: for demo QR codes and tests. A
// partial date of birth is written "MMyyyy" or "yyyy" as on real cards;
// text is NFC and a "|" inside a field (which no real card has) becomes a
// space so the payload always splits into seven fields.
func CCCDPayload(c verifier.Citizen, issued verifier.Date) string {
	gender := ""
	switch c.Gender {
	case verifier.Male:
		gender = "Nam"
	case verifier.Female:
		gender = "Nữ"
	}
	return strings.Join([]string{
		string(c.ID),
		payloadText(c.OldID),
		payloadText(c.FullName),
		compactDate(c.DOB),
		gender,
		payloadText(c.PermanentAddress),
		compactDate(issued),
	}, "|")
}

func payloadText(s string) string {
	return norm.NFC.String(strings.ReplaceAll(s, "|", " "))
}

// compactDate formats d as the CCCD QR does: "ddMMyyyy", "MMyyyy" or
// "yyyy"; "" when unknown.
func compactDate(d verifier.Date) string {
	switch {
	case d.IsZero():
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%02d%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d%02d%04d", d.Day, d.Month, d.Year)
}
