package demodata

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func TestGenerateStaff(t *testing.T) {
	facs := GenerateFacilities(40, 5)
	staff := GenerateStaff(facs, 5)
	if len(staff) != len(facs)*StaffPerFacility {
		t.Fatalf("%d staff for %d facilities, want %d each", len(staff), len(facs), StaffPerFacility)
	}
	seen := map[verifier.CitizenID]bool{}
	per := map[string]int{}
	for _, s := range staff {
		if _, err := verifier.ParseCitizenID(string(s.ID)); err != nil || seen[s.ID] || s.FullName == "" {
			t.Errorf("staff member %+v: %v (or a duplicate ID)", s, err)
		}
		seen[s.ID] = true
		per[s.Facility]++
	}
	for _, f := range facs {
		if per[f.Code] != StaffPerFacility {
			t.Errorf("facility %s has %d staff", f.Code, per[f.Code])
		}
	}
	// WriteDir writes the same register.
	dir := t.TempDir()
	if err := WriteDir(dir, Options{N: 10, Seed: 5, Facilities: 40, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, StaffFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	i := 0
	for ; sc.Scan(); i++ {
		var got verifier.StaffMember
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil || i >= len(staff) || got != staff[i] {
			t.Fatalf("%s line %d: %s (%v)", StaffFile, i+1, sc.Bytes(), err)
		}
	}
	if i != len(staff) {
		t.Errorf("%s has %d lines, want %d", StaffFile, i, len(staff))
	}
}
