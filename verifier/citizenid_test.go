package verifier

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseCitizenID(t *testing.T) {
	for _, ok := range []string{"008095001234", "001300000001", "999999999999"} {
		if _, err := ParseCitizenID(ok); err != nil {
			t.Errorf("ParseCitizenID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "00809500123", "0080950012345", "00809500123a", "００８０９５００１２", "008 95001234"} {
		_, err := ParseCitizenID(bad)
		if KindOf(err) != KindUnprocessable {
			t.Errorf("ParseCitizenID(%q) = %v, want an unprocessable error", bad, err)
		}
	}
}

func TestCitizenIDStructure(t *testing.T) {
	tests := []struct {
		id       CitizenID
		year     int
		gender   Gender
		province string
		known    bool
	}{
		{"008095001234", 1995, Male, "Tuyên Quang", true},
		{"001195001234", 1995, Female, "Hà Nội", true},
		{"079205001234", 2005, Male, "TP Hồ Chí Minh", true},
		{"096324001234", 2024, Female, "Cà Mau", true},
		{"003095001234", 1995, Male, "", false},
		{"001499000000", 2199, Male, "Hà Nội", true},
	}
	for _, tt := range tests {
		c, g := tt.id.Century()
		_ = c
		if y := tt.id.BirthYear(); y != tt.year || g != tt.gender {
			t.Errorf("%s: year %d gender %s, want %d %s", tt.id.Masked(), y, g, tt.year, tt.gender)
		}
		if name, ok := tt.id.ProvinceName(); name != tt.province || ok != tt.known {
			t.Errorf("%s: province %q %v, want %q %v", tt.id.Masked(), name, ok, tt.province, tt.known)
		}
	}
}

func TestCheckBirth(t *testing.T) {
	id := CitizenID("008095001234")
	tests := []struct {
		dob    string
		gender Gender
		want   []string
	}{
		{"1995-03-14", Male, nil},
		{"1995", Male, nil},
		{"1996-03-14", Male, []string{"id_birth_year_mismatch"}},
		{"1995-03-14", Female, []string{"id_gender_mismatch"}},
		{"2095-03-14", Female, []string{"id_birth_year_mismatch", "id_gender_mismatch"}},
		{"", "", nil},
	}
	for _, tt := range tests {
		var d Date
		if tt.dob != "" {
			d = mustDate(t, tt.dob)
		}
		if got := id.CheckBirth(d, tt.gender); !slices.Equal(got, tt.want) {
			t.Errorf("CheckBirth(%s, %s) = %v, want %v", tt.dob, tt.gender, got, tt.want)
		}
	}
}

func TestCitizenIDNeverPrintsInClear(t *testing.T) {
	id := CitizenID("008095001234")
	for _, s := range []string{fmt.Sprint(id), fmt.Sprintf("%v %s %#v", id, id, id), id.Masked()} {
		if strings.Contains(s, "095001") {
			t.Errorf("formatted ID leaks its digits: %q", s)
		}
	}
	if id.Pseudonym([]byte("k1")) == id.Pseudonym([]byte("k2")) || id.Pseudonym([]byte("k1")) != id.Pseudonym(append([]byte(nil), "k1"...)) {
		t.Error("Pseudonym must depend on the key and be stable")
	}
}

func TestDate(t *testing.T) {
	for _, s := range []string{"1995-03-14", "1995-03", "1995", "2024-02-29"} {
		d, err := ParseDate(s)
		if err != nil || d.String() != s {
			t.Errorf("ParseDate(%q) = %v, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "1995-13-01", "1995-02-30", "2023-02-29", "95-03-14", "1995/03/14", "1995-3-14", "abcd", "0000"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
		}
	}
	if !mustDate(t, "1995").Compatible(mustDate(t, "1995-03-14")) || mustDate(t, "1995-04").Compatible(mustDate(t, "1995-03-14")) {
		t.Error("Compatible is wrong for partial dates")
	}
	if age := mustDate(t, "2020-11-28").AgeOn(mustDate(t, "2026-11-28")); age != 6 {
		t.Errorf("age on birthday = %d, want 6", age)
	}
	if age := mustDate(t, "2020-11-29").AgeOn(mustDate(t, "2026-11-28")); age != 5 {
		t.Errorf("age day before birthday = %d, want 5", age)
	}
}

func TestNames(t *testing.T) {
	nfd := "Nguye\u0302\u0303n Va\u0306n An"
	if !SameName(nfd, "nguyễn  văn an") {
		t.Error("NFD and NFC spellings should be the same name")
	}
	if SameName("Nguyen Van An", "Nguyễn Văn An") {
		t.Error("a lost diacritic is not the same name as written")
	}
	if !LooselySameName("Nguy?n V?n An", "Nguyễn Văn An") || !LooselySameName("Nguyen Van An", "Nguyễn Văn An") {
		t.Error("LooselySameName should accept ? and lost diacritics")
	}
	if LooselySameName("Nguy?n V?n Anh", "Nguyễn Văn An") || LooselySameName("Tran Van An", "Nguyễn Văn An") {
		t.Error("LooselySameName accepted a different name")
	}
	if FoldName("Đặng Thị Đào") != "dang thi dao" {
		t.Errorf("FoldName = %q", FoldName("Đặng Thị Đào"))
	}
}
