package scanner

import (
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// cccdWith builds a CCCD payload around a name (and gender), as a
// keyboard wedge may deliver it.
func cccdWith(id, name, gender, address string) string {
	return id + "||" + name + "|14031995|" + gender + "|" + address + "|15082021"
}

func TestRepairName(t *testing.T) {
	const addr = "Thôn 3, Xã Thái Bình"
	tests := []struct {
		name         string
		in           string // the whole payload
		wantName     string
		wantAddr     string
		wantWarnings []string
		wantDegraded bool
	}{
		{"Windows-1252 mojibake of the whole example",
			as1252(t, cccdExample), "Nguyễn Văn An", "Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang",
			[]string{"name_repaired", "address_repaired"}, false},
		{"Latin-1 mojibake, exact", asLatin1(t, cccdWith("008095001234", "Nguyễn Tiến Đạt", "Nam", addr)),
			"Nguyễn Tiến Đạt", addr, []string{"name_repaired", "address_repaired"}, false},
		{"Windows-1252 loses the byte of Đ: recovered, flagged",
			as1252(t, cccdWith("008095001234", "Nguyễn Tiến Đạt", "Nam", addr)),
			"Nguyễn Tiến Đạt", addr, []string{"name_repaired", "address_repaired"}, true},
		{"Windows-1252 loses the byte of ọ: the stop final decides",
			as1252(t, cccdWith("008195001234", "Trần Thị Ngọc", "Nữ", addr)),
			"Trần Thị Ngọc", addr, []string{"name_repaired", "address_repaired"}, true},
		{"Windows-1252 loses the byte of Ố: a title-case name's initial is a capital",
			as1252(t, cccdWith("008095001234", "Phan Công Ốc", "Nam", addr)),
			"Phan Công Ốc", addr, []string{"name_repaired", "address_repaired"}, true},
		{"Windows-1252 loses the byte of Á: ambiguous, left as ?",
			as1252(t, cccdWith("008195001234", "Lê Thị Ánh", "Nữ", addr)),
			"Lê Thị ?nh", addr, []string{"name_repaired", "name_degraded", "address_repaired"}, true},
		{"double mojibake", as1252(t, as1252(t, cccdWith("008095001234", "Phạm Văn Hùng", "Nam", addr))),
			"Phạm Văn Hùng", addr, []string{"name_repaired", "address_repaired"}, false},
		{"mojibake with the no-break space of à turned into a space",
			cccdWith("008195001234", strings.ReplaceAll(as1252(t, "Vũ Thị Hà"), "\u00a0", " "), "Nữ", addr),
			"Vũ Thị Hà", addr, []string{"name_repaired"}, true},
		{"Windows-1252 undefined byte written as ?",
			cccdWith("008095001234", strings.ReplaceAll(as1252(t, "Nguyễn Tiến Đạt"), "\uFFFD", "?"), "Nam", addr),
			"Nguyễn Tiến Đạt", addr, []string{"name_repaired"}, true},
		{"Windows-1252 undefined byte dropped",
			cccdWith("008095001234", strings.ReplaceAll(as1252(t, "Nguyễn Tiến Đạt"), "\uFFFD", ""), "Nam", addr),
			"Nguyễn Tiến Đạt", addr, []string{"name_repaired"}, true},
		{"only the name garbled", cccdWith("008095001234", as1252(t, "Đỗ Văn Lực"), "Nam", addr),
			"Đỗ Văn Lực", addr, []string{"name_repaired"}, true},
		{"diacritics replaced by ?", cccdWith("008095001234", "Nguy?n V?n An", "Nam", "Th?n 3"),
			"Nguy?n V?n An", "Th?n 3", []string{"name_degraded", "address_degraded"}, true},
		{"U+FFFD becomes ?", cccdWith("008095001234", "Nguy\uFFFDn Văn An", "Nam", addr),
			"Nguy?n Văn An", addr, []string{"name_degraded"}, true},
		{"letters dropped", cccdWith("008095001234", "Nguyn Vn An", "Nam", addr),
			"Nguyn Vn An", addr, []string{"name_degraded"}, true},
		{"Telex keystrokes composed", cccdWith("008095001234", "Nguyeenx Vawn Ddatj", "Nam", addr),
			"Nguyễn Văn Đạt", addr, []string{"name_repaired"}, true},
		{"Telex in capitals", cccdWith("008195001234", "TRAANF THIJ HUWOWNG", "Nuwx", addr),
			"TRẦN THỊ HƯƠNG", addr, []string{"name_repaired"}, true},
		{"diacritics stripped is not damage", cccdWith("008095001234", "Nguyen Van An", "Nam", "Thon 3"),
			"Nguyen Van An", "Thon 3", nil, false},
		{"genuine names are left alone", cccdWith("008195001234", "Lã Thị Hà", "Nữ", addr),
			"Lã Thị Hà", addr, nil, false},
		{"genuine capitals are left alone", cccdWith("008095001234", "ĐẶNG VĂN Ý", "Nam", addr),
			"ĐẶNG VĂN Ý", addr, nil, false},
		{"runs of spaces collapse", cccdWith("008095001234", "  Nguyễn   Văn  An ", "Nam", addr),
			"Nguyễn Văn An", addr, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.CCCD == nil {
				t.Fatalf("Kind = %q, want cccd", got.Kind)
			}
			if got.CCCD.FullName != tt.wantName {
				t.Errorf("FullName = %q, want %q", got.CCCD.FullName, tt.wantName)
			}
			if got.CCCD.Address != tt.wantAddr {
				t.Errorf("Address = %q, want %q", got.CCCD.Address, tt.wantAddr)
			}
			if !sameWarnings(got.Warnings, tt.wantWarnings) {
				t.Errorf("Warnings = %q, want %q", got.Warnings, tt.wantWarnings)
			}
			if got.Degraded != tt.wantDegraded {
				t.Errorf("Degraded = %v, want %v", got.Degraded, tt.wantDegraded)
			}
			if id := string(got.CCCD.ID); len(id) != 12 || !strings.HasPrefix(tt.in, id) {
				t.Errorf("ID = %q, want the 12 digits the payload starts with", id)
			}
		})
	}
}

func TestGarbledGender(t *testing.T) {
	tests := []struct {
		in   string
		want verifier.Gender
	}{
		{"Nam", verifier.Male},
		{"Nữ", verifier.Female},
		{"nữ", verifier.Female},
		{"Nu", verifier.Female},
		{"Ná»¯", verifier.Female},
		{"N?", verifier.Female},
		{"N??", verifier.Female},
		{"N\uFFFD", verifier.Female},
		{"N", verifier.Female},
		{"Nuwx", verifier.Female},
		{"X", ""},
		{"Nhu", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseVietGender(tt.in); got != tt.want {
				t.Errorf("parseVietGender(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTelexWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Nguyeenx", "Nguyễn"},
		{"Ddatj", "Đạt"},
		{"Vawn", "Văn"},
		{"Hoaf", "Hòa"},
		{"Ngoaif", "Ngoài"},
		{"Quys", "Quý"},
		{"Giangr", "Giảng"},
		{"Tuaans", "Tuấn"},
		{"Duwowngf", "Dường"},
		{"An", "An"},       // no Telex sign: untouched
		{"Trung", "Trung"}, // "r" after a consonant is not a tone key
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _ := composeTelex(tt.in)
			if got != tt.want {
				t.Errorf("composeTelex(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestUntelex(t *testing.T) {
	tests := []struct {
		in        string
		toneAtEnd bool
		want      string
	}{
		{"e1bâ1", false, "e1baa1"},
		{"c4đ", false, "c4dd"},
		{"e1bầ", false, "e1baaf"},
		{"ĐINH", false, "DDINH"},
		{"bà1c", true, "baf1c"},
		{"abc", false, "abc"},
	}
	for _, tt := range tests {
		if got := untelex(tt.in, tt.toneAtEnd); got != tt.want {
			t.Errorf("untelex(%q, %v) = %q, want %q", tt.in, tt.toneAtEnd, got, tt.want)
		}
	}
}

func TestPlausibleSyllable(t *testing.T) {
	for _, w := range []string{"Ngọc", "nguyễn", "Ánh", "khuỷu", "quý", "giữa", "ĐẠT"} {
		if !plausibleSyllable(w) {
			t.Errorf("plausibleSyllable(%q) = false, want true", w)
		}
	}
	for _, w := range []string{"Ngờc", "Ýnh", "Ksor", "xyz", ""} {
		if plausibleSyllable(w) {
			t.Errorf("plausibleSyllable(%q) = true, want false", w)
		}
	}
}

func TestUnMojibakeLeavesGenuineTextAlone(t *testing.T) {
	for _, s := range []string{"Lã", "Hà Nội", "Lê", "Ý", "LÃ", "Ê", "Thúy", "Bà Rịa–Vũng Tàu", "Café ©"} {
		if got, _, ok := unMojibake(s); ok {
			t.Errorf("unMojibake(%q) = %q, repaired; want it left alone", s, got)
		}
	}
	// And every Vietnamese letter comes back from Latin-1 exactly.
	letters := "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
	for _, s := range []string{letters, strings.ToUpper(letters)} {
		got, exact, ok := unMojibake(asLatin1(t, s))
		if !ok || !exact || got != s {
			t.Errorf("unMojibake(Latin-1 of %q) = %q, exact %v, ok %v", s, got, exact, ok)
		}
	}
	// From Windows-1252 every letter comes back or is a "?".
	for _, s := range []string{letters, strings.ToUpper(letters)} {
		got, _, ok := unMojibake(as1252(t, s))
		if !ok {
			t.Fatalf("unMojibake(Windows-1252 of %q) failed", s)
		}
		g, w := []rune(got), []rune(s)
		if len(g) != len(w) {
			t.Fatalf("unMojibake(Windows-1252 of %q) = %q: length differs", s, got)
		}
		for i := range g {
			if g[i] != w[i] && g[i] != '?' {
				t.Errorf("unMojibake(Windows-1252 of %q)[%d] = %q, want %q or ?", s, i, g[i], w[i])
			}
		}
	}
}
