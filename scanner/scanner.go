// Package scanner turns what a reception desk receives from a card reader
// (keyboard-wedge scanner text, the decoded text of a QR image, the MRZ
// lines of a document reader) into typed results. It recognises each code by
// its shape: the chip citizen-ID card's QR (CCCD), the health-insurance
// card's QR (BHYT) and the ID card's machine-readable zone (MRZ).
package scanner

import "github.com/vnhealth/cccd-checkin/verifier"

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
}

// BHYT is the payload of a health-insurance card's QR code.
type BHYT struct {
	CardNo             string
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
	Extra              []string
}

// MRZ is the machine-readable zone of an ID card (ICAO 9303 TD1).
type MRZ struct {
	ID          verifier.CitizenID // from the optional data of line 1
	DocNumber   string
	DOB         verifier.Date
	Gender      verifier.Gender
	Expiry      verifier.Date
	Nationality string
	Surname     string // without diacritics, as printed
	GivenNames  string
}

// Parse recognises and parses one scan. It never panics; an error is a
// *verifier.Error of KindUnprocessable whose message says what was wrong.
func Parse(text string) (Result, error) {
	return Result{}, verifier.Errorf(verifier.KindUnprocessable, "unreadable_scan", "scanner: parser not built yet")
}
