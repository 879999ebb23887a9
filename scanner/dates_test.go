package scanner

import (
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func TestParseCompactDate(t *testing.T) {
	tests := []struct {
		in     string
		want   verifier.Date
		wantOK bool
	}{
		{"14031995", verifier.Date{Year: 1995, Month: 3, Day: 14}, true},
		{"031995", verifier.Date{Year: 1995, Month: 3}, true},
		{"1995", verifier.Date{Year: 1995}, true},
		{"00001995", verifier.Date{Year: 1995}, true},
		{"14/03/1995", verifier.Date{Year: 1995, Month: 3, Day: 14}, true},
		{"29022000", verifier.Date{Year: 2000, Month: 2, Day: 29}, true},
		{"29021900", verifier.Date{}, false},
		{"14001995", verifier.Date{}, false}, // a day without a month
		{"0995", verifier.Date{}, false},
		{"140319950", verifier.Date{}, false},
		{"1403199x", verifier.Date{}, false},
		{"", verifier.Date{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseCompactDate(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseCompactDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseSlashDate(t *testing.T) {
	tests := []struct {
		in     string
		want   verifier.Date
		wantOK bool
	}{
		{"29/03/1988", verifier.Date{Year: 1988, Month: 3, Day: 29}, true},
		{"9/3/1988", verifier.Date{Year: 1988, Month: 3, Day: 9}, true},
		{"03/1988", verifier.Date{Year: 1988, Month: 3}, true},
		{"1988", verifier.Date{Year: 1988}, true},
		{"0/0/00/0", verifier.Date{}, false}, // fuzz crasher: a fourth part
		{"1/2/3/1988", verifier.Date{}, false},
		{"29/03/88", verifier.Date{}, false},
		{"29//1988", verifier.Date{}, false},
		{"/03/1988", verifier.Date{}, false},
		{"29/03/1988/", verifier.Date{}, false},
		{"29/13/1988", verifier.Date{}, false},
		{"12345/1988", verifier.Date{}, false},
		{"", verifier.Date{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseSlashDate(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseSlashDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
