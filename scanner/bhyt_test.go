package scanner

import (
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func hx(s string) string { return hex.EncodeToString([]byte(s)) }

func TestParseBHYT(t *testing.T) {
	example := BHYT{
		CardNo:             "0111077012",
		SocialInsuranceNo:  "0111077012",
		FullName:           "Nguyễn Tiến Đạt",
		DOB:                verifier.Date{Year: 1988, Month: 3, Day: 29},
		Gender:             verifier.Male,
		RegisteredFacility: "01C54",
		ValidFrom:          verifier.Date{Year: 2023, Month: 7, Day: 1},
		IssuedOn:           verifier.Date{Year: 2023, Month: 7, Day: 31},
		ManagingCode:       "01050111077012",
		AreaCode:           "4",
		FiveYearsSince:     verifier.Date{Year: 2027, Month: 10, Day: 1},
		Extra: []string{"4641c59ff02659c3-1202", "4",
			"5175e1baad6e2043e1baa775204769e1baa5792c205468c3a06e68207068e1bb912048c3a0204ee1bb9969"},
	}
	old := "HS4010120878837|" + hx("Trần Thị Bình") + "|14/03/1995|2|" + hx("Thôn 3, Xã Thái Bình") +
		"|08 - 001|01/01/2024|31/12/2024|02/01/2024|08001|" + hx("Trần Văn Cường") + "|K2|01/01/2020|$"
	oldCard := BHYT{
		CardNo: "HS4010120878837", ObjectCode: "HS", BenefitLevel: 4, ProvinceCode: "01",
		SocialInsuranceNo: "0120878837", FullName: "Trần Thị Bình",
		DOB: verifier.Date{Year: 1995, Month: 3, Day: 14}, Gender: verifier.Female,
		Address: "Thôn 3, Xã Thái Bình", RegisteredFacility: "08001",
		ValidFrom: verifier.Date{Year: 2024, Month: 1, Day: 1}, ValidTo: verifier.Date{Year: 2024, Month: 12, Day: 31},
		IssuedOn: verifier.Date{Year: 2024, Month: 1, Day: 2}, ManagingCode: "08001",
		ParentName: "Trần Văn Cường", AreaCode: "K2", FiveYearsSince: verifier.Date{Year: 2020, Month: 1, Day: 1},
	}
	with := func(b BHYT, f func(b *BHYT)) BHYT {
		f(&b)
		return b
	}
	tests := []struct {
		name         string
		in           string
		want         BHYT
		warnings     []string
		wantDegraded bool
	}{
		{"domain example (10-digit code)", bhytExample, example, nil, false},
		{"AIM prefix and CRLF", "]Q1" + bhytExample + "\r\n", example, nil, false},
		{"15-character code", old, oldCard, nil, false},
		{"lower-case code", strings.Replace(old, "HS4", "hs4", 1), oldCard, nil, false},
		{"DOB yyyy", strings.Replace(old, "14/03/1995", "1995", 1),
			with(oldCard, func(b *BHYT) { b.DOB = verifier.Date{Year: 1995} }), nil, false},
		{"DOB MM/yyyy", strings.Replace(old, "14/03/1995", "03/1995", 1),
			with(oldCard, func(b *BHYT) { b.DOB = verifier.Date{Year: 1995, Month: 3} }), nil, false},
		{"$ glued to the last field", strings.Replace(old, "|$", "$", 1), oldCard, nil, false},
		{"no $ but hex name", strings.TrimSuffix(old, "|$"), oldCard, nil, false},
		{"Telex input method rewrote the hex", imeTelex(bhytExample),
			with(example, func(b *BHYT) { b.Extra = []string{"4641c59ff02659c3-1202", "4", imeTelex(example.Extra[2])} }),
			[]string{"name_repaired"}, false},
		{"bad validity date is a warning", strings.Replace(old, "01/01/2024|31/12/2024", "41/01/2024|31/12/2024", 1),
			with(oldCard, func(b *BHYT) { b.ValidFrom = verifier.Date{} }), []string{"invalid_valid_from"}, false},
		{"odd facility code is a warning", strings.Replace(old, "08 - 001", "08 - 0011", 1),
			with(oldCard, func(b *BHYT) { b.RegisteredFacility = "080011" }), []string{"unusual_facility_code"}, false},
		{"unknown gender is a warning", strings.Replace(old, "|2|", "|0|", 1),
			with(oldCard, func(b *BHYT) { b.Gender = "" }), []string{"unknown_gender"}, false},
		{"name hex not UTF-8", strings.Replace(old, hx("Trần Thị Bình"), hx("Tr")+"ff"+hx("n"), 1),
			with(oldCard, func(b *BHYT) { b.FullName = "Tr?n" }), []string{"name_degraded"}, true},
		{"name hex lost a digit", strings.Replace(old, hx("Trần Thị Bình"), hx("Trần Thị Bình")[1:], 1),
			with(oldCard, func(b *BHYT) { b.FullName = "?" }), []string{"name_degraded"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Kind != KindBHYT || got.BHYT == nil || got.CCCD != nil || got.MRZ != nil {
				t.Fatalf("Kind = %q, want bhyt", got.Kind)
			}
			if !equalBHYT(*got.BHYT, tt.want) {
				t.Errorf("BHYT =\n %+v\nwant\n %+v", *got.BHYT, tt.want)
			}
			if !sameWarnings(got.Warnings, tt.warnings) {
				t.Errorf("Warnings = %q, want %q", got.Warnings, tt.warnings)
			}
			if got.Degraded != tt.wantDegraded {
				t.Errorf("Degraded = %v, want %v", got.Degraded, tt.wantDegraded)
			}
		})
	}
}

func equalBHYT(a, b BHYT) bool {
	return slices.Equal(a.Extra, b.Extra) && reflect.DeepEqual(a, b)
}

func TestParseBHYTErrors(t *testing.T) {
	good := "HS4010120878837|" + hx("Trần Thị Bình") + "|14/03/1995|2|-|08 - 001|01/01/2024|-|02/01/2024|08001|-|K2|-|$"
	tests := []struct{ name, in, code string }{
		{"benefit level 7", strings.Replace(good, "HS4", "HS7", 1), "invalid_card_no"},
		{"benefit level 0", strings.Replace(good, "HS4", "HS0", 1), "invalid_card_no"},
		{"DOB 31 February", strings.Replace(good, "14/03/1995", "31/02/1995", 1), "invalid_date"},
		{"DOB two-digit year", strings.Replace(good, "14/03/1995", "14/03/95", 1), "invalid_date"},
		{"DOB text", strings.Replace(good, "14/03/1995", "hôm qua", 1), "invalid_date"},
		{"too few fields", "0111077012|" + hx("An") + "|$", "unreadable_scan"},
		{"10 digits without hex or $", "0111077012|Nguyen|1988", "unreadable_scan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if code := errCode(t, err); code != tt.code {
				t.Fatalf("Parse error code = %q (%v), want %q", code, err, tt.code)
			}
			checkPrivacy(t, err, "Trần", "0120878837", "010120878837")
		})
	}
}
