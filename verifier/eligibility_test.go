package verifier

import "testing"

func mustDate(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

func TestDecide(t *testing.T) {
	rules := DefaultCoverageRules()
	on := mustDate(t, "2026-11-28")
	district := Facility{Code: "08002", Level: LevelDistrict}
	provincial := Facility{Code: "08001", Level: LevelProvincial}
	commune := Facility{Code: "08101", Level: LevelCommune}
	base := Card{
		CardNo: "HS4080120878837", CitizenID: "008095001234", FullName: "Nguyễn Văn An",
		DOB: mustDate(t, "1995-03-14"), Gender: Male, BenefitLevel: 4, ObjectCode: "HS",
		RegisteredFacility: "08002", ValidFrom: mustDate(t, "2026-01-01"), ValidTo: mustDate(t, "2026-12-31"),
	}
	with := func(f func(*Card)) *Card { c := base; f(&c); return &c }
	newCard := &Card{CardNo: "0812345678", BenefitLevel: 3, RegisteredFacility: "08002",
		ValidFrom: mustDate(t, "2026-06-01"), ValidTo: mustDate(t, "2027-05-31")}

	tests := []struct {
		name     string
		d        Decision
		status   string
		code     string
		coverage int
	}{
		{"valid at registered facility", Decision{Card: &base, Facility: district}, Eligible, "000", 80},
		{"valid, self-referred to district (thông tuyến)", Decision{Card: &base, Facility: Facility{Code: "01002", Level: LevelDistrict}}, Eligible, "000", 80},
		{"valid, self-referred outpatient at provincial", Decision{Card: &base, Facility: provincial, VisitType: Outpatient}, Eligible, "000", 0},
		{"valid, self-referred inpatient at provincial", Decision{Card: &base, Facility: provincial, VisitType: Inpatient}, Eligible, "000", 80},
		{"emergency at provincial", Decision{Card: &base, Facility: provincial, VisitType: Emergency}, Eligible, "000", 80},
		{"referral at provincial", Decision{Card: &base, Facility: provincial, VisitType: Referral}, Eligible, "000", 80},
		{"level 4 at commune is 100%", Decision{Card: with(func(c *Card) { c.RegisteredFacility = "08101" }), Facility: commune}, Eligible, "000", 100},
		{"level 1", Decision{Card: with(func(c *Card) { c.BenefitLevel = 1 }), Facility: district}, Eligible, "000", 100},
		{"level 3", Decision{Card: with(func(c *Card) { c.BenefitLevel = 3 }), Facility: district}, Eligible, "000", 95},
		{"expired", Decision{Card: with(func(c *Card) { c.ValidTo = mustDate(t, "2026-11-27") }), Facility: district}, Ineligible, "010", 0},
		{"valid through today", Decision{Card: with(func(c *Card) { c.ValidTo = mustDate(t, "2026-11-28") }), Facility: district}, Eligible, "000", 80},
		{"not yet valid", Decision{Card: with(func(c *Card) { c.ValidFrom = mustDate(t, "2026-11-29") }), Facility: district}, Ineligible, "010", 0},
		{"open-ended", Decision{Card: with(func(c *Card) { c.ValidTo = Date{} }), Facility: district}, Eligible, "000", 80},
		{"no card", Decision{Facility: district, CitizenDOB: mustDate(t, "1990-01-01")}, Ineligible, "050", 0},
		{"child under 6 without card", Decision{Facility: district, CitizenDOB: mustDate(t, "2022-01-01")}, Unknown, "130", 0},
		{"child turned 6 yesterday", Decision{Facility: district, CitizenDOB: mustDate(t, "2020-11-27")}, Ineligible, "050", 0},
		{"revoked", Decision{Card: with(func(c *Card) { c.Status = CardRevoked }), Facility: district}, Ineligible, "110", 0},
		{"reduced, moved out", Decision{Card: with(func(c *Card) { c.Status, c.ReducedReason = CardReduced, "moved_out" }), Facility: district}, Ineligible, "121", 0},
		{"reduced, within", Decision{Card: with(func(c *Card) { c.Status, c.ReducedReason = CardReduced, "moved_within" }), Facility: district}, Ineligible, "122", 0},
		{"reduced, re-enrolled", Decision{Card: with(func(c *Card) { c.Status, c.ReducedReason = CardReduced, "reenrolled" }), Facility: district}, Ineligible, "123", 0},
		{"reduced, stopped", Decision{Card: with(func(c *Card) { c.Status, c.ReducedReason = CardReduced, "stopped" }), Facility: district}, Ineligible, "124", 0},
		{"reduced, no reason", Decision{Card: with(func(c *Card) { c.Status = CardReduced }), Facility: district}, Ineligible, "120", 0},
		{"reduced, unknown reason", Decision{Card: with(func(c *Card) { c.Status, c.ReducedReason = CardReduced, "lost_in_transit" }), Facility: district}, Ineligible, "120", 0},
		{"replaced, old still valid", Decision{Card: with(func(c *Card) { c.ReplacedBy = newCard.CardNo }), NewCard: newCard, Facility: district}, Eligible, "004", 80},
		{"replaced, old expired, new pays", Decision{Card: with(func(c *Card) { c.ReplacedBy, c.ValidTo = newCard.CardNo, mustDate(t, "2026-05-31") }), NewCard: newCard, Facility: district}, Eligible, "003", 95},
		{"replaced, old expired, new unknown", Decision{Card: with(func(c *Card) { c.ReplacedBy, c.ValidTo = newCard.CardNo, mustDate(t, "2026-05-31") }), Facility: district}, Ineligible, "003", 0},
		{"stated name wrong", Decision{Card: &base, Facility: district, Stated: Stated{FullName: "Trần Văn An"}}, Ineligible, "060", 0},
		{"stated name wrong, first letter right", Decision{Card: &base, Facility: district, Stated: Stated{FullName: "Nguyen Van An"}}, Ineligible, "061", 0},
		{"stated name same in NFD and upper case", Decision{Card: &base, Facility: district, Stated: Stated{FullName: "NGUYỄN VĂN AN"}}, Eligible, "000", 80},
		{"stated dob wrong", Decision{Card: &base, Facility: district, Stated: Stated{DOB: mustDate(t, "1995-03-15")}}, Ineligible, "070", 0},
		{"stated dob partial compatible", Decision{Card: &base, Facility: district, Stated: Stated{DOB: mustDate(t, "1995")}}, Eligible, "000", 80},
		{"stated gender wrong", Decision{Card: &base, Facility: district, Stated: Stated{Gender: Female}}, Ineligible, "080", 0},
		{"armed forces card", Decision{Card: with(func(c *Card) { c.ObjectCode, c.BenefitLevel = "QN", 5 }), Facility: district}, Unknown, "001", 0},
		{"police card", Decision{Card: with(func(c *Card) { c.ObjectCode, c.BenefitLevel = "CA", 5 }), Facility: district}, Unknown, "002", 0},
		{"revoked beats expiry", Decision{Card: with(func(c *Card) { c.Status, c.ValidTo = CardRevoked, mustDate(t, "2020-01-01") }), Facility: district}, Ineligible, "110", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.On = on
			got := rules.Decide(tt.d)
			if got.Status != tt.status || got.Code != tt.code || got.CoveragePercent != tt.coverage {
				t.Errorf("got status=%s code=%s coverage=%d, want %s %s %d", got.Status, got.Code, got.CoveragePercent, tt.status, tt.code, tt.coverage)
			}
			if got.Message == "" || got.MessageEN == "" {
				t.Errorf("code %s has no message", got.Code)
			}
			if tt.d.NewCard != nil && (got.NewCard == nil || got.NewCard.CardNo != tt.d.NewCard.CardNo) {
				t.Errorf("new card not reported: %+v", got.NewCard)
			}
		})
	}
}

func TestCheckCardNo(t *testing.T) {
	tests := map[string]string{
		"HS4010120878837": "",
		"0111077012":      "",
		"HS4990120878837": "052", // province 99 unknown
		"HS7010120878837": "053", // benefit 7
		"HS0010120878837": "053",
		"hs4010120878837": "051",
		"H54010120878837": "051",
		"011107701":       "051",
		"01110770AB":      "051",
		"":                "051",
	}
	for in, want := range tests {
		if got := CheckCardNo(in); got != want {
			t.Errorf("CheckCardNo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCurrentCard(t *testing.T) {
	on := mustDate(t, "2026-11-28")
	old := Card{CardNo: "A", ValidFrom: mustDate(t, "2024-01-01"), ValidTo: mustDate(t, "2025-12-31"), ReplacedBy: "B"}
	cur := Card{CardNo: "B", ValidFrom: mustDate(t, "2026-01-01"), ValidTo: mustDate(t, "2026-12-31")}
	revoked := Card{CardNo: "C", ValidFrom: mustDate(t, "2026-01-01"), Status: CardRevoked}
	expired := Card{CardNo: "D", ValidFrom: mustDate(t, "2020-01-01"), ValidTo: mustDate(t, "2021-01-01")}
	tests := []struct {
		cards []Card
		want  string
	}{
		{[]Card{old, cur}, "B"},
		{[]Card{cur, old}, "B"},
		{[]Card{revoked, cur}, "B"},
		{[]Card{expired, revoked}, "D"},
		{[]Card{old}, "A"},
	}
	for _, tt := range tests {
		if got := CurrentCard(tt.cards, on); got == nil || got.CardNo != tt.want {
			t.Errorf("CurrentCard = %+v, want %s", got, tt.want)
		}
	}
	if CurrentCard(nil, on) != nil {
		t.Error("CurrentCard(nil) should be nil")
	}
}

func TestCoverageRulesAreData(t *testing.T) {
	custom := []byte(`{"benefit_percent":{"1":100,"2":100,"3":95,"4":80,"5":100},"full_at_commune":[],
		"routes":[{"route":"correct","percent":100},{"route":"self_referred","facility_level":"provincial","percent":50}]}`)
	r, err := ParseCoverageRules(custom)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Percent(4, LevelProvincial, RouteSelfReferred, Outpatient); got != 40 {
		t.Errorf("self-referred provincial = %d, want 40", got)
	}
	if got := r.Percent(4, LevelCommune, RouteCorrect, Outpatient); got != 80 {
		t.Errorf("commune without full_at_commune = %d, want 80", got)
	}
	if got := r.Percent(4, LevelCentral, RouteEmergency, Emergency); got != 0 {
		t.Errorf("unmatched route = %d, want 0", got)
	}
	for _, bad := range []string{`{`, `{"benefit_percent":{"1":100},"routes":[{"route":"correct","percent":100}]}`,
		`{"benefit_percent":{"1":100,"2":100,"3":95,"4":80,"5":100},"routes":[]}`,
		`{"benefit_percent":{"1":100,"2":100,"3":95,"4":80,"5":100},"routes":[{"route":"correct","percent":101}]}`} {
		if _, err := ParseCoverageRules([]byte(bad)); err == nil {
			t.Errorf("ParseCoverageRules(%s) accepted a bad document", bad)
		}
	}
}
