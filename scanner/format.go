package scanner

import (
	"fmt"
	"strings"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// CCCDPayload writes a population record as the text of a chip ID card's
// QR code (domain.md §2), the inverse of Parse for KindCCCD: for demos,
// load generation and tests. issued is the card's issue date.
func CCCDPayload(c verifier.Citizen, issued verifier.Date) string {
	gender := "Nam"
	if c.Gender == verifier.Female {
		gender = "Nữ"
	}
	return strings.Join([]string{string(c.ID), c.OldID, c.FullName, qrDate(c.DOB), gender, c.PermanentAddress, qrDate(issued)}, "|")
}

// qrDate writes a (possibly partial) date as ddMMyyyy, MMyyyy or yyyy.
func qrDate(d verifier.Date) string {
	switch {
	case d.Year == 0:
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%02d%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d%02d%04d", d.Day, d.Month, d.Year)
}
