package scanner

import (
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func TestCCCDPayloadRoundTrip(t *testing.T) {
	issued := verifier.Date{Year: 2021, Month: 8, Day: 15}
	tests := []struct {
		name string
		c    verifier.Citizen
		want string
	}{
		{"domain example", verifier.Citizen{ID: "008095001234", OldID: "070123456", FullName: "Nguyễn Văn An",
			DOB: verifier.Date{Year: 1995, Month: 3, Day: 14}, Gender: verifier.Male,
			PermanentAddress: "Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang"}, cccdExample},
		{"partial DOB, no old ID", verifier.Citizen{ID: "079303001234", FullName: "Trần Thị Bình",
			DOB: verifier.Date{Year: 2003, Month: 1}, Gender: verifier.Female, PermanentAddress: "Quận 1"},
			"079303001234||Trần Thị Bình|012003|Nữ|Quận 1|15082021"},
		{"year-only DOB", verifier.Citizen{ID: "079303001234", FullName: "Trần Thị Bình",
			DOB: verifier.Date{Year: 2003}, Gender: verifier.Female, PermanentAddress: "Quận 1"},
			"079303001234||Trần Thị Bình|2003|Nữ|Quận 1|15082021"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CCCDPayload(tt.c, issued)
			if got != tt.want {
				t.Fatalf("CCCDPayload = %q, want %q", got, tt.want)
			}
			r, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(CCCDPayload) = %v", err)
			}
			c := r.CCCD
			if c.ID != tt.c.ID || c.OldID != tt.c.OldID || c.FullName != tt.c.FullName || c.DOB != tt.c.DOB ||
				c.Gender != tt.c.Gender || c.Address != tt.c.PermanentAddress || c.IssuedOn != issued {
				t.Errorf("round trip = %+v, want the citizen %+v", *c, tt.c)
			}
			if len(r.Warnings) != 0 {
				t.Errorf("Warnings = %q, want none", r.Warnings)
			}
		})
	}
}
