package scanner

import (
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// buildMRZ writes a Vietnamese ID card MRZ with correct check digits.
func buildMRZ(id, dob, sex, expiry, names string) [3]string {
	doc := id[3:]
	l1 := "IDVNM" + doc + string(MRZCheckDigit(doc)) + id + "<<" + string(MRZCheckDigit(id))
	l2 := dob + string(MRZCheckDigit(dob)) + sex + expiry + string(MRZCheckDigit(expiry)) + "VNM" + strings.Repeat("<", 11)
	l2 += string(MRZCheckDigit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]))
	l3 := names + strings.Repeat("<", 30-len(names))
	return [3]string{l1, l2, l3}
}

func TestMRZExampleCheckDigits(t *testing.T) {
	// The public sample of docs/domain.md §4 verifies under ICAO 9303 rules.
	l := strings.Split(mrzExample, "\r\n")
	for _, c := range []struct {
		name, field string
		check       byte
	}{
		{"document number", l[0][5:14], l[0][14]},
		{"ID in optional data", l[0][15:27], l[0][29]},
		{"birth date", l[1][0:6], l[1][6]},
		{"expiry", l[1][8:14], l[1][14]},
		{"composite", l[0][5:30] + l[1][0:7] + l[1][8:15] + l[1][18:29], l[1][29]},
	} {
		if got := MRZCheckDigit(c.field); got != c.check {
			t.Errorf("%s: MRZCheckDigit(%q) = %c, want %c", c.name, c.field, got, c.check)
		}
	}
}

func TestParseMRZ(t *testing.T) {
	example := MRZ{
		ID: "051091005513", DocCode: "ID", Issuer: "VNM", DocNumber: "091005513",
		DOB: verifier.Date{Year: 1991, Month: 1, Day: 1}, Gender: verifier.Male,
		Expiry: verifier.Date{Year: 2031, Month: 1, Day: 1}, Nationality: "VNM",
		Surname: "DINH", GivenNames: "DUY TAN",
	}
	l := strings.Split(mrzExample, "\r\n")
	female := buildMRZ("079301234567", "010203", "F", "410203", "TRAN<<THI<NGOC<ANH")
	telexed := buildMRZ("001085012345", "850607", "M", "250607", "DDINH<<VAN<AN")
	sexMismatch := buildMRZ("001085012345", "850607", "F", "250607", "DO<<THI<AN")
	partial := buildMRZ("001085012345", "85<<<<", "M", "250607", "DO<<VAN<AN")
	tests := []struct {
		name     string
		in       string
		want     MRZ
		warnings []string
	}{
		{"domain example, CRLF", mrzExample, example, nil},
		{"LF and surrounding white space", "\n  " + strings.Join(l, "  \n ") + " \n\n", example, nil},
		{"90 characters run together", strings.Join(l, ""), example, nil},
		{"reader trimmed the fillers of line 3", l[0] + "\n" + l[1] + "\nDINH<<DUY<TAN", example, nil},
		{"female born in the 2000s", strings.Join(female[:], "\n"), MRZ{
			ID: "079301234567", DocCode: "ID", Issuer: "VNM", DocNumber: "301234567",
			DOB: verifier.Date{Year: 2001, Month: 2, Day: 3}, Gender: verifier.Female,
			Expiry: verifier.Date{Year: 2041, Month: 2, Day: 3}, Nationality: "VNM",
			Surname: "TRAN", GivenNames: "THI NGOC ANH"}, nil},
		{"Telex input method rewrote DD", strings.Replace(strings.Join(telexed[:], "\n"), "DDINH", "ĐINH", 1), MRZ{
			ID: "001085012345", DocCode: "ID", Issuer: "VNM", DocNumber: "085012345",
			DOB: verifier.Date{Year: 1985, Month: 6, Day: 7}, Gender: verifier.Male,
			Expiry: verifier.Date{Year: 2025, Month: 6, Day: 7}, Nationality: "VNM",
			Surname: "DDINH", GivenNames: "VAN AN"}, nil},
		{"unknown birth day and month", strings.Join(partial[:], "\n"), MRZ{
			ID: "001085012345", DocCode: "ID", Issuer: "VNM", DocNumber: "085012345",
			DOB: verifier.Date{Year: 1985}, Gender: verifier.Male,
			Expiry: verifier.Date{Year: 2025, Month: 6, Day: 7}, Nationality: "VNM",
			Surname: "DO", GivenNames: "VAN AN"}, nil},
		{"sex contradicts the ID", strings.Join(sexMismatch[:], "\n"), MRZ{
			ID: "001085012345", DocCode: "ID", Issuer: "VNM", DocNumber: "085012345",
			DOB: verifier.Date{Year: 1985, Month: 6, Day: 7}, Gender: verifier.Female,
			Expiry: verifier.Date{Year: 2025, Month: 6, Day: 7}, Nationality: "VNM",
			Surname: "DO", GivenNames: "THI AN"}, []string{"id_gender_mismatch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Kind != KindMRZ || got.MRZ == nil || got.CCCD != nil || got.BHYT != nil {
				t.Fatalf("Kind = %q, want mrz", got.Kind)
			}
			if *got.MRZ != tt.want {
				t.Errorf("MRZ =\n %+v\nwant\n %+v", *got.MRZ, tt.want)
			}
			if !sameWarnings(got.Warnings, tt.warnings) {
				t.Errorf("Warnings = %q, want %q", got.Warnings, tt.warnings)
			}
		})
	}
}

func TestParseMRZErrors(t *testing.T) {
	l := strings.Split(mrzExample, "\r\n")
	set := func(line, pos int, c byte) string {
		m := append([]string(nil), l...)
		b := []byte(m[line])
		b[pos] = c
		m[line] = string(b)
		return strings.Join(m, "\n")
	}
	tests := []struct{ name, in, code, mentions string }{
		{"document number check", set(0, 14, '5'), "mrz_check_digit", "document number"},
		{"document number misread", set(0, 8, '8'), "mrz_check_digit", "document number"},
		{"birth date check", set(1, 6, '5'), "mrz_check_digit", "birth date"},
		{"birth date misread", set(1, 1, '2'), "mrz_check_digit", "birth date"},
		{"expiry check", set(1, 14, '3'), "mrz_check_digit", "expiry date"},
		{"composite check", set(1, 29, '7'), "mrz_check_digit", "composite"},
		{"ID misread (only the composite covers it)", set(0, 20, '7'), "mrz_check_digit", "composite"},
		{"line 2 too short", l[0] + "\n" + l[1][:29] + "\n" + l[2], "unreadable_scan", "30 characters"},
		{"line 1 too long", l[0] + "<\n" + l[1] + "\n" + l[2], "unreadable_scan", "30 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if code := errCode(t, err); code != tt.code {
				t.Fatalf("Parse error code = %q (%v), want %q", code, err, tt.code)
			}
			if !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("error %q does not say %q", err, tt.mentions)
			}
			checkPrivacy(t, err, "051091005513", "091005513", "DINH", "DUY")
		})
	}
}
