package verifier_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// The desk reads the card's registered facility by name beside its code:
// check-ins (the one asked about, another facility, and a change of the
// visit) and eligibility answers carry registered_facility_name from the
// facility registry, and leave it out when the registry does not know the
// code.
func TestRegisteredFacilityName(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC))
	citizens := []verifier.Citizen{
		{ID: "008095001234", FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male},
		{ID: "008188004321", FullName: "Trần Thị Bích Ngọc", DOB: date("1988-07"), Gender: verifier.Female},
	}
	cards := []verifier.Card{
		{CardNo: "HS4080120878837", CitizenID: "008095001234", FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male,
			BenefitLevel: 4, RegisteredFacility: "08002", ValidFrom: date("2026-01-01"), ValidTo: date("2026-12-31")},
		// Registered at a facility the registry does not list.
		{CardNo: "GD4080188004321", CitizenID: "008188004321", FullName: "Trần Thị Bích Ngọc", DOB: date("1988-07"), Gender: verifier.Female,
			BenefitLevel: 4, RegisteredFacility: "08999", ValidFrom: date("2026-01-01"), ValidTo: date("2026-12-31")},
	}
	facs := []verifier.Facility{
		{Code: "08001", Name: "Bệnh viện Đa khoa tỉnh Tuyên Quang", Level: verifier.LevelProvincial},
		{Code: "08002", Name: "Trung tâm Y tế huyện Yên Sơn", Level: verifier.LevelDistrict},
	}
	reg, err := inmem.NewRegistry(citizens, cards, facs)
	if err != nil {
		t.Fatal(err)
	}
	s := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: inmem.NewLedger(inmem.WithLedgerClock(clk.Now)),
		Now: clk.Now, Location: hcm}
	s.Defaults()
	ctx := context.Background()
	const yenSon = "Trung tâm Y tế huyện Yên Sơn"

	elsewhere := checkin(t, s, "008095001234", "08001", time.Time{})
	if e := elsewhere.Eligibility; e.RegisteredFacility != "08002" || e.RegisteredFacilityName != yenSon {
		t.Errorf("check-in at another facility: registered %q %q, want 08002 %q", e.RegisteredFacility, e.RegisteredFacilityName, yenSon)
	}
	b, _ := json.Marshal(elsewhere)
	if !strings.Contains(string(b), `"registered_facility_name":"`+yenSon+`"`) {
		t.Errorf("the answer's JSON has no registered_facility_name: %s", b)
	}
	referral := verifier.Referral
	amended, err := s.AmendCheckin(ctx, verifier.AmendRequest{CheckinID: elsewhere.CheckinID, Facility: "08001", VisitType: &referral})
	if err != nil {
		t.Fatal(err)
	}
	if got := amended.Eligibility.RegisteredFacilityName; got != yenSon {
		t.Errorf("after a change of the visit: registered facility name %q, want %q", got, yenSon)
	}
	clk.Set(clk.Now().Add(time.Hour))
	if got := checkin(t, s, "008095001234", "08002", time.Time{}).Eligibility.RegisteredFacilityName; got != yenSon {
		t.Errorf("check-in at the registered facility: name %q, want %q", got, yenSon)
	}
	e, err := s.Eligibility(ctx, verifier.EligibilityRequest{CitizenID: "008095001234", Facility: "08001"})
	if err != nil || e.RegisteredFacilityName != yenSon {
		t.Errorf("eligibility: name %q (%v), want %q", e.RegisteredFacilityName, err, yenSon)
	}

	unknown := checkin(t, s, "008188004321", "08001", time.Time{})
	if e := unknown.Eligibility; e.RegisteredFacility != "08999" || e.RegisteredFacilityName != "" {
		t.Errorf("a registered facility the registry does not know: %q %q, want 08999 and no name", e.RegisteredFacility, e.RegisteredFacilityName)
	}
	if b, _ := json.Marshal(unknown.Eligibility); strings.Contains(string(b), "registered_facility_name") {
		t.Errorf("an unknown name is sent: %s", b)
	}
}
