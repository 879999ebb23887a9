package scanner

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func TestParseCCCD(t *testing.T) {
	exampleCCCD := CCCD{
		ID:       "008095001234",
		OldID:    "070123456",
		FullName: "Nguyễn Văn An",
		DOB:      verifier.Date{Year: 1995, Month: 3, Day: 14},
		Gender:   verifier.Male,
		Address:  "Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang",
		IssuedOn: verifier.Date{Year: 2021, Month: 8, Day: 15},
	}
	with := func(f func(c *CCCD)) CCCD {
		c := exampleCCCD
		f(&c)
		return c
	}
	tests := []struct {
		name     string
		in       string
		want     CCCD
		warnings []string
	}{
		{"domain example", cccdExample, exampleCCCD, nil},
		{"NFD input gives NFC output", norm.NFD.String(cccdExample), exampleCCCD, nil},
		{"AIM prefix ]Q1", "]Q1" + cccdExample, exampleCCCD, nil},
		{"AIM prefix ]d2 with spaces", "  ]d2" + cccdExample, exampleCCCD, nil},
		{"trailing NULs and CRLF", cccdExample + "\x00\x00\r\n", exampleCCCD, nil},
		{"leading CR/LF and spaces, trailing tab", "\r\n  " + cccdExample + "\t", exampleCCCD, nil},
		{"spaces around fields", strings.ReplaceAll(cccdExample, "|", " | "), exampleCCCD, nil},
		{"empty old ID",
			"008095001234||Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021",
			with(func(c *CCCD) { c.OldID = "" }), nil},
		{"6-field layout without CMND slot",
			"008095001234|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021",
			with(func(c *CCCD) { c.OldID = ""; c.SixField = true }), nil},
		{"6 fields with CMND slot: issue date missing",
			"008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang",
			with(func(c *CCCD) { c.IssuedOn = verifier.Date{} }), nil},
		{"8+ fields keep the extra raw", cccdExample + "|X1| raw 2 |",
			with(func(c *CCCD) { c.Extra = []string{"X1", "raw 2", ""} }), nil},
		{"partial DOB MMyyyy", strings.Replace(cccdExample, "14031995", "031995", 1),
			with(func(c *CCCD) { c.DOB = verifier.Date{Year: 1995, Month: 3} }), nil},
		{"partial DOB yyyy", strings.Replace(cccdExample, "14031995", "1995", 1),
			with(func(c *CCCD) { c.DOB = verifier.Date{Year: 1995} }), nil},
		{"partial DOB written 0000yyyy", strings.Replace(cccdExample, "14031995", "00001995", 1),
			with(func(c *CCCD) { c.DOB = verifier.Date{Year: 1995} }), nil},
		{"partial DOB written 00MMyyyy", strings.Replace(cccdExample, "14031995", "00031995", 1),
			with(func(c *CCCD) { c.DOB = verifier.Date{Year: 1995, Month: 3} }), nil},
		{"female, 2000s",
			"079303001234||Trần Thị Bình|01012003|Nữ|Quận 1, TP Hồ Chí Minh|02022022",
			CCCD{ID: "079303001234", FullName: "Trần Thị Bình", DOB: verifier.Date{Year: 2003, Month: 1, Day: 1},
				Gender: verifier.Female, Address: "Quận 1, TP Hồ Chí Minh", IssuedOn: verifier.Date{Year: 2022, Month: 2, Day: 2}}, nil},
		{"century digit contradicts birth year", strings.Replace(cccdExample, "008095", "008295", 1),
			with(func(c *CCCD) { c.ID = "008295001234" }), []string{"id_birth_year_mismatch"}},
		{"YY contradicts birth year", strings.Replace(cccdExample, "14031995", "14031996", 1),
			with(func(c *CCCD) { c.DOB.Year = 1996 }), []string{"id_birth_year_mismatch"}},
		{"gender digit contradicts gender", strings.Replace(cccdExample, "|Nam|", "|Nữ|", 1),
			with(func(c *CCCD) { c.Gender = verifier.Female }), []string{"id_gender_mismatch"}},
		{"unknown province is a warning", strings.Replace(cccdExample, "008095", "003095", 1),
			with(func(c *CCCD) { c.ID = "003095001234" }), []string{"unknown_province"}},
		{"bad issue date is a warning", strings.Replace(cccdExample, "15082021", "35082021", 1),
			with(func(c *CCCD) { c.IssuedOn = verifier.Date{} }), []string{"invalid_issue_date"}},
		{"partial issue date is a warning", strings.Replace(cccdExample, "15082021", "2021", 1),
			with(func(c *CCCD) { c.IssuedOn = verifier.Date{} }), []string{"invalid_issue_date"}},
		{"unknown gender is a warning and not compared", strings.Replace(cccdExample, "|Nam|", "|X|", 1),
			with(func(c *CCCD) { c.Gender = "" }), []string{"unknown_gender"}},
		{"empty DOB is a warning", strings.Replace(cccdExample, "14031995", "", 1),
			with(func(c *CCCD) { c.DOB = verifier.Date{} }), []string{"dob_missing"}},
		{"unusual old ID is a warning", strings.Replace(cccdExample, "070123456", "0701234", 1),
			with(func(c *CCCD) { c.OldID = "0701234" }), []string{"unusual_old_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Kind != KindCCCD || got.CCCD == nil || got.BHYT != nil || got.MRZ != nil {
				t.Fatalf("Kind = %q (CCCD %v), want cccd", got.Kind, got.CCCD != nil)
			}
			if !equalCCCD(*got.CCCD, tt.want) {
				t.Errorf("CCCD =\n %+v\nwant\n %+v", *got.CCCD, tt.want)
			}
			if !sameWarnings(got.Warnings, tt.warnings) {
				t.Errorf("Warnings = %q, want %q", got.Warnings, tt.warnings)
			}
			if got.Degraded {
				t.Errorf("Degraded = true, want false")
			}
		})
	}
}

func equalCCCD(a, b CCCD) bool {
	return a.ID == b.ID && a.OldID == b.OldID && a.FullName == b.FullName && a.DOB == b.DOB &&
		a.Gender == b.Gender && a.Address == b.Address && a.IssuedOn == b.IssuedOn &&
		slices.Equal(a.Extra, b.Extra) && a.SixField == b.SixField
}

func TestParseCCCDErrors(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"DOB with 7 digits", strings.Replace(cccdExample, "14031995", "1403199", 1), "invalid_date"},
		{"DOB is text", strings.Replace(cccdExample, "14031995", "abc", 1), "invalid_date"},
		{"DOB 31 February", strings.Replace(cccdExample, "14031995", "31021995", 1), "invalid_date"},
		{"DOB month 13", strings.Replace(cccdExample, "14031995", "14131995", 1), "invalid_date"},
		{"ID with 11 digits", strings.Replace(cccdExample, "008095001234", "08095001234", 1), "invalid_citizen_id"},
		{"ID with 13 digits", strings.Replace(cccdExample, "008095001234", "0080950012345", 1), "invalid_citizen_id"},
		{"ID with a letter", strings.Replace(cccdExample, "008095001234", "00809500123x", 1), "invalid_citizen_id"},
		{"too few fields", "008095001234|070123456|Nguyễn Văn An|14031995", "unreadable_scan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if code := errCode(t, err); code != tt.code {
				t.Fatalf("Parse error code = %q (%v), want %q", code, err, tt.code)
			}
			if got.Kind != "" || got.CCCD != nil {
				t.Errorf("Parse returned a result %+v with its error", got)
			}
			checkPrivacy(t, err, "008095001234", "0809500123", "Nguyễn", "Thôn 3", "070123456")
		})
	}
}
