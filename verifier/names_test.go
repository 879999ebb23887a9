package verifier

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestFoldName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Nguyễn Văn Đạt", "nguyen van dat"},
		{norm.NFD.String("Nguyễn Văn Đạt"), "nguyen van dat"},
		{"  ĐẶNG   Thị\tÁNH ", "dang thi anh"},
		{"NGUYEN VAN DAT", "nguyen van dat"},
		{"Nguy\uFFFDn V?n", "nguy?n v?n"},
		{"Bà Rịa–Vũng Tàu", "ba ria–vung tau"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FoldName(tt.in); got != tt.want {
				t.Errorf("FoldName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLooselySameName(t *testing.T) {
	tests := []struct {
		scanned, recorded string
		want              bool
	}{
		{"Nguyễn Văn An", "Nguyễn Văn An", true},
		{"NGUYEN VAN AN", "Nguyễn Văn An", true},
		{norm.NFD.String("Nguyễn Văn An"), "Nguyễn Văn An", true},
		{"Nguy?n V?n An", "Nguyễn Văn An", true},
		{"Nguy?n V?n An", "Nguyễn Văn Anh", false},
		{"Nguy?n V?n An", "Nguyễn Văn Ân", true},
		{"Lê Thị ?nh", "Lê Thị Ánh", true},
		{"Nguy???n", "Nguyễn", true},   // one ? per lost UTF-8 byte
		{"Nguy???n", "Nguyeeen", true}, // or one per character
		{"Nguy?n", "Nguyn", false},     // ? stands for a character
		{"Nguy?n", "Nguyeen", false},
		{"An?", "An B", false}, // ? is not a word break
		{"?", "", false},
		{"Nguyen Van An", "Nguyễn Văn Bình", false},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.scanned+"~"+tt.recorded, func(t *testing.T) {
			if got := LooselySameName(tt.scanned, tt.recorded); got != tt.want {
				t.Errorf("LooselySameName(%q, %q) = %v, want %v", tt.scanned, tt.recorded, got, tt.want)
			}
		})
	}
}

func BenchmarkLooselySameName(b *testing.B) {
	for b.Loop() {
		LooselySameName("Nguy?n V?n ?nh", "Nguyễn Văn Ánh")
	}
}
