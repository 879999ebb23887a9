package inmem

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func TestCancelledIDsFindTheCurrentRecord(t *testing.T) {
	pop := goodPop +
		`{"id":"001190000123","full_name":"Trần Thị Bình","dob":"1990-05-01","gender":"female","permanent_address":"y","cancelled_ids":["001190000999","002190000111"]}` + "\n"
	dir := writeDir(t, pop, goodIns, goodFac)
	r, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []verifier.CitizenID{"001190000123", "001190000999", "002190000111"} {
		c, err := r.Citizen(ctx, id)
		if err != nil || c.ID != "001190000123" || c.FullName != "Trần Thị Bình" || len(c.CancelledIDs) != 2 {
			t.Errorf("Citizen(%s) = %+v, %v; want the current record 001190000123", id, c, err)
		}
	}
	if _, err := r.Citizen(ctx, "001190000998"); verifier.KindOf(err) != verifier.KindNotFound {
		t.Errorf("an ID listed nowhere: %v", err)
	}
}

func TestCancelledIDsRefusedWhenAmbiguous(t *testing.T) {
	tests := map[string]string{
		"another's current id": goodPop + `{"id":"001190000123","full_name":"B","cancelled_ids":["008095001234"]}` + "\n",
		"the record's own id":  `{"id":"001190000123","full_name":"B","cancelled_ids":["001190000123"]}` + "\n",
		"listed by two people": `{"id":"001190000123","full_name":"B","cancelled_ids":["001190000999"]}` + "\n" + `{"id":"001190000124","full_name":"C","cancelled_ids":["001190000999"]}` + "\n",
		"not an id":            `{"id":"001190000123","full_name":"B","cancelled_ids":["12345"]}` + "\n",
	}
	for name, pop := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := LoadDir(writeDir(t, pop, "", goodFac))
			if err == nil || !strings.Contains(err.Error(), PopulationFile) {
				t.Fatalf("LoadDir = %v, want an error naming %s", err, PopulationFile)
			}
			if strings.Contains(err.Error(), "001190000999") || strings.Contains(err.Error(), "008095001234") {
				t.Errorf("the error quotes an ID in clear: %v", err)
			}
		})
	}
}

func TestNewCardFieldsReadBack(t *testing.T) {
	ins := `{"card_no":"DN4080812345678","citizen_id":"008095001234","full_name":"Nguyễn Văn An","dob":"1995","gender":"male","benefit_level":4,"registered_facility":"08001","valid_from":"2026-01-01","status":"reduced","reduced_reason":"moved_out","social_insurance_no":"0812345678","area_code":"K1","insurer_office":"0801"}` + "\n" +
		`{"card_no":"0899999999","citizen_id":"008095001234","full_name":"Nguyễn Văn An","dob":"1995","gender":"male","benefit_level":4,"registered_facility":"08001","valid_from":"2026-01-01","social_insurance_no":"0811111111"}` + "\n" +
		`{"card_no":"0877777777","citizen_id":"008095001234","full_name":"Nguyễn Văn An","dob":"1995","gender":"male","benefit_level":4,"registered_facility":"08001","valid_from":"2026-01-01"}` + "\n"
	r, err := LoadDir(writeDir(t, goodPop, ins, goodFac))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct{ no, sin, want, area, office string }{
		{"DN4080812345678", "0812345678", "0812345678", "K1", "0801"}, // given, the default: packed as a flag
		{"0899999999", "0811111111", "0811111111", "", ""},            // given, another number: kept
		{"0877777777", "", "0877777777", "", ""},                      // not given: derived
	}
	for _, tt := range tests {
		c, err := r.Card(ctx, tt.no)
		if err != nil || c.SocialInsuranceNo != tt.sin || c.SocialInsuranceNumber() != tt.want || c.AreaCode != tt.area || c.InsurerOffice != tt.office {
			t.Errorf("Card(%s) = %+v, %v; want social_insurance_no %q (number %s), area %q, office %q", tt.no, c, err, tt.sin, tt.want, tt.area, tt.office)
		}
	}
	for _, bad := range []string{`"social_insurance_no":"12345"`, `"area_code":"K4"`} {
		line := strings.Replace(strings.TrimSpace(goodIns), `"valid_to":""`, `"valid_to":"",`+bad, 1) + "\n"
		if _, err := LoadDir(writeDir(t, goodPop, line, goodFac)); err == nil || !strings.Contains(err.Error(), InsuranceFile+":1") {
			t.Errorf("%s: LoadDir = %v, want an error at %s:1", bad, err, InsuranceFile)
		}
	}
}

func TestStaffFile(t *testing.T) {
	dir := writeDir(t, goodPop, goodIns, goodFac)
	r, err := LoadDir(dir)
	if err != nil || r.StaffCount() != 0 {
		t.Fatalf("without staff.jsonl: %v, %d staff", err, r.StaffCount())
	}
	staff := `{"facility":"08001","id":"008085000111","full_name":"Lê Văn Cán"}` + "\n" + `{"facility":"08001","id":"008085000222","full_name":"Phạm Thị Bộ"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, StaffFile), []byte(staff), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err = LoadDir(dir); err != nil || r.StaffCount() != 2 {
		t.Fatalf("with staff.jsonl: %v, %d staff", err, r.StaffCount())
	}
	ctx := context.Background()
	if m, err := r.StaffMember(ctx, "08001", "008085000222"); err != nil || m.FullName != "Phạm Thị Bộ" {
		t.Errorf("StaffMember = %+v, %v", m, err)
	}
	if _, err := r.StaffMember(ctx, "08002", "008085000222"); verifier.KindOf(err) != verifier.KindNotFound {
		t.Errorf("a member of another facility: %v", err)
	}
	for code, name := range map[string]string{"": "Lê Văn Cán", verifier.CodeStaffName: "Lê Văn Can", verifier.CodeStaffUnknown: "Nobody"} {
		id := verifier.CitizenID("008085000111")
		if code == verifier.CodeStaffUnknown {
			id = "008085000999"
		}
		if got, err := verifier.CheckStaff(ctx, r, "08001", id, name); err != nil || got != code {
			t.Errorf("CheckStaff(%s, %q) = %q, %v; want %q", id, name, got, err, code)
		}
	}
	for name, bad := range map[string]string{
		"unknown facility": `{"facility":"09999","id":"008085000111","full_name":"A"}`,
		"twice":            `{"facility":"08001","id":"008085000111","full_name":"A"}` + "\n" + `{"facility":"08001","id":"008085000111","full_name":"B"}`,
		"bad id":           `{"facility":"08001","id":"0080850","full_name":"A"}`,
		"no name":          `{"facility":"08001","id":"008085000111"}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, StaffFile), []byte(bad+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), StaffFile) {
			t.Errorf("%s: LoadDir = %v, want an error naming %s", name, err, StaffFile)
		}
	}
}
