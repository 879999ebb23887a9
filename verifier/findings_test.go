package verifier_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

func importClaim(t *testing.T, s *verifier.Service, fac, lk, cccd, card, vao, loai, bhtt string) {
	t.Helper()
	f := verifier.ClaimFields{"MA_LK": lk, "MA_CSKCB": fac, "NGAY_VAO": vao, "MA_LOAI_KCB": loai, "T_BHTT": bhtt, "HO_TEN": "Tên trên hồ sơ"}
	if cccd != "" {
		f["SO_CCCD"] = cccd
	}
	if card != "" {
		f["MA_THE_BHYT"] = card
	}
	c, err := verifier.NewClaim(f, "")
	if err != nil {
		t.Fatalf("claim %s: %v", lk, err)
	}
	if _, err := s.ImportClaims(context.Background(), []verifier.Claim{c}); err != nil {
		t.Fatal(err)
	}
}

type got struct {
	kind     verifier.FindingKind
	citizen  verifier.CitizenID
	claims   []string // facility|MA_LK
	checkins []string // facility
}

func summarize(fs []verifier.Finding) []got {
	var out []got
	for _, f := range fs {
		g := got{kind: f.Kind, citizen: f.CitizenID}
		for _, c := range f.Claims {
			g.claims = append(g.claims, c.Facility+"|"+c.MaLK)
		}
		for _, c := range f.Checkins {
			g.checkins = append(g.checkins, c.Facility)
		}
		out = append(out, g)
	}
	return out
}

func findingsService(t *testing.T) *verifier.Service {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)) // 12:00 in Vietnam
	s := newService(t, clk)
	s.Claims = inmem.NewClaims(0, clk.Now)
	a, b, c := verifier.CitizenID("008095001234"), verifier.CitizenID("008188004321"), verifier.CitizenID("008170000001")
	local := func(h, m int) time.Time { return time.Date(2026, 11, 28, h, m, 0, 0, hcm) }
	checkin(t, s, a, "08001", local(7, 10))
	checkin(t, s, a, "08002", local(9, 0))
	checkin(t, s, b, "08001", local(8, 0))
	// A: examined at 08001 and, by card only, at 08002; a drug refill at
	// 08003 is no examination; claims on the 27th late and the 29th just
	// after midnight are other days.
	importClaim(t, s, "08001", "LK1", string(a), "", "202611280715", "01", "120000")
	importClaim(t, s, "08001", "LK1", string(a), "", "202611280715", "01", "150000") // resubmission replaces
	importClaim(t, s, "08002", "LK7", "", "HS4080120878837", "202611280905", "01", "90000")
	importClaim(t, s, "08003", "LK9", string(a), "", "202611281000", "07", "30000")
	importClaim(t, s, "08003", "LK10", string(a), "", "202611272350", "01", "1")
	importClaim(t, s, "08003", "LK11", string(a), "", "202611290005", "01", "1")
	// B: examined twice at 08001, plus a treatment period there.
	importClaim(t, s, "08001", "LK2", string(b), "", "202611280805", "01", "100000")
	importClaim(t, s, "08001", "LK3", string(b), "", "202611281400", "01", "30000")
	importClaim(t, s, "08001", "LK4", string(b), "", "202611280800", "02", "5000")
	// C: examined at 08002 without checking in; and ten days ago, when
	// absence can no longer be judged.
	importClaim(t, s, "08002", "LK5", string(c), "", "202611281100", "01", "80000")
	importClaim(t, s, "08002", "LK6", string(c), "", "202611181100", "01", "80000")
	return s
}

func TestFindings(t *testing.T) {
	s := findingsService(t)
	ctx := context.Background()
	page, err := s.Findings(ctx, verifier.FindingsQuery{From: "2026-11-18", To: "2026-11-29"})
	if err != nil {
		t.Fatal(err)
	}
	g := summarize(page.Items)
	var day28 []got
	var multi verifier.Finding
	for i, f := range page.Items {
		switch {
		case f.Day == "2026-11-28":
			if len(day28) == 0 {
				multi = f
			}
			day28 = append(day28, g[i])
		case (f.Day == "2026-11-27" && g[i].claims[0] == "08003|LK10" || f.Day == "2026-11-29" && g[i].claims[0] == "08003|LK11") && f.Kind == verifier.FindingNoCheckin:
			// Just before and after local midnight: their own days,
			// without a check-in at 08003.
		default:
			// The 18th has a claim without a check-in too, but its
			// window is gone: absence proves nothing there.
			t.Errorf("finding on %s: %+v", f.Day, g[i])
		}
	}
	want := []got{
		{verifier.FindingMultiFacility, "008095001234", []string{"08001|LK1", "08002|LK7"}, []string{"08001", "08002"}},
		{verifier.FindingSameFacility, "008188004321", []string{"08001|LK2", "08001|LK3"}, []string{"08001"}},
		{verifier.FindingNoCheckin, "008170000001", []string{"08002|LK5"}, nil},
		{verifier.FindingFlaggedClaimed, "008095001234", []string{"08001|LK1", "08002|LK7", "08003|LK9"}, []string{"08001", "08002"}},
	}
	if len(day28) != len(want) {
		t.Fatalf("findings on the 28th:\n%+v\nwant\n%+v", day28, want)
	}
	for i := range want {
		if day28[i].kind != want[i].kind || day28[i].citizen != want[i].citizen || !slices.Equal(day28[i].claims, want[i].claims) || !slices.Equal(day28[i].checkins, want[i].checkins) {
			t.Errorf("finding %d:\n %+v\nwant\n %+v", i, day28[i], want[i])
		}
	}
	if multi.TBHTT != 240000 || multi.Claims[0].TBHTT != "150000" || multi.Claims[1].MaLoaiKCB != "01" || multi.Claims[0].NgayVao != "202611280715" {
		t.Errorf("multi-facility finding: %+v", multi)
	}
	if multi.Checkins[0].At.Location() != hcm || multi.Checkins[0].CheckinID == "" {
		t.Errorf("check-ins are shown in local time with their IDs: %+v", multi.Checkins[0])
	}
	if page.NoCheckinFrom != "2026-11-26" {
		t.Errorf("no_checkin_from %s, want 2026-11-26", page.NoCheckinFrom)
	}

	// Facility and kind filters.
	page, _ = s.Findings(ctx, verifier.FindingsQuery{From: "2026-11-28", To: "2026-11-28", Facility: "08002"})
	if g := summarize(page.Items); len(g) != 3 || g[0].kind != verifier.FindingMultiFacility || g[1].kind != verifier.FindingNoCheckin || g[2].kind != verifier.FindingFlaggedClaimed {
		t.Errorf("facility 08002: %+v", g)
	}
	page, _ = s.Findings(ctx, verifier.FindingsQuery{From: "2026-11-28", To: "2026-11-28", Kind: verifier.FindingSameFacility})
	if g := summarize(page.Items); len(g) != 1 || g[0].citizen != "008188004321" {
		t.Errorf("kind same_facility_same_day: %+v", g)
	}

	// Paging one at a time gives the same list.
	var paged []verifier.Finding
	q := verifier.FindingsQuery{From: "2026-11-18", To: "2026-11-29", Limit: 1}
	for range 10 {
		p, err := s.Findings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, p.Items...)
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if len(paged) != 6 {
		t.Errorf("paged: %d findings, want 6", len(paged))
	}

	sum, err := s.SummarizeFindings(ctx, "2026-11-27", "2026-11-29", "")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Findings != 6 || sum.ByKind[verifier.FindingMultiFacility] != 1 || len(sum.ByDay) != 3 || sum.ByDay[1].ByKind[verifier.FindingNoCheckin] != 1 ||
		len(sum.ByPair) == 0 || sum.ByPair[0].Facilities != [2]string{"08001", "08002"} || sum.ByPair[0].Findings != 2 {
		t.Errorf("summary %+v", sum)
	}
}

func TestFindingsBadInput(t *testing.T) {
	s := findingsService(t)
	for _, q := range []verifier.FindingsQuery{
		{From: "2026-11-28", To: "2026-11-27"},
		{From: "2026-11-28"},
		{From: "2025-01-01", To: "2026-11-28"},
		{From: "2026-11-28", To: "2026-11-28", Kind: "everything"},
		{From: "2026-11-28", To: "2026-11-28", Limit: 5000},
		{From: "2026-11-28", To: "2026-11-28", Cursor: "bm9wZQ"},
	} {
		if _, err := s.Findings(context.Background(), q); err == nil || verifier.KindOf(err) == verifier.KindInternal {
			t.Errorf("query %+v: %v, want a 4xx error", q, err)
		}
	}
}

// The desk's acknowledgement of a same-day flag (and a referral letter's
// number) reach the auditor on the findings' check-ins.
func TestFindingsShowAcknowledgement(t *testing.T) {
	s := findingsService(t)
	ctx := context.Background()
	page, err := s.Findings(ctx, verifier.FindingsQuery{From: "2026-11-28", To: "2026-11-28", Kind: verifier.FindingMultiFacility})
	if err != nil || len(page.Items) != 1 || len(page.Items[0].Checkins) != 2 {
		t.Fatalf("findings: %+v, %v", page.Items, err)
	}
	second := page.Items[0].Checkins[1] // at 08002, flagged
	if _, err := s.AmendCheckin(ctx, verifier.AmendRequest{CheckinID: second.CheckinID, Facility: "08002",
		VisitType: new(verifier.Referral), ReferralNo: new("125/GCT")}); err != nil {
		t.Fatal(err)
	}
	ack, err := s.Acknowledge(ctx, verifier.AckRequest{CheckinID: second.CheckinID, Facility: "08002", Reason: verifier.AckReferral, Note: "có giấy", By: "desk-2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acknowledge(ctx, verifier.AckRequest{CheckinID: second.CheckinID, Facility: "08001", Reason: verifier.AckOther, By: "desk-1"}); verifier.KindOf(err) != verifier.KindForbidden {
		t.Errorf("another facility's acknowledgement: %v, want KindForbidden", err)
	}
	page, _ = s.Findings(ctx, verifier.FindingsQuery{From: "2026-11-28", To: "2026-11-28", Kind: verifier.FindingMultiFacility})
	c := page.Items[0].Checkins[1]
	if c.Acknowledgement == nil || c.Acknowledgement.Reason != verifier.AckReferral || c.Acknowledgement.By != "desk-2" || !c.Acknowledgement.At.Equal(ack.At) ||
		c.ReferralNo != "125/GCT" || c.VisitType != verifier.Referral {
		t.Errorf("finding's check-in: %+v (ack %+v)", c, c.Acknowledgement)
	}
	if c.Acknowledgement != nil && c.Acknowledgement.At.Location() != hcm {
		t.Errorf("acknowledgement time %s, want the service's zone", c.Acknowledgement.At)
	}
}
