package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func date(s string) verifier.Date {
	d, err := verifier.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

var hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")

func newService(t testing.TB, clk *clock) *verifier.Service {
	t.Helper()
	citizens := []verifier.Citizen{
		{ID: "008095001234", FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male, PermanentAddress: "Thôn 3, Xã Thái Bình"},
		{ID: "008188004321", FullName: "Trần Thị Bích Ngọc", DOB: date("1988-07"), Gender: verifier.Female},
		{ID: "008170000001", FullName: "Đặng Văn Cường", DOB: date("1970-01-01"), Gender: verifier.Male, DeceasedOn: date("2026-01-01")},
		{ID: "008192000777", FullName: "Lý Thị Hoa", DOB: date("1992-02-02"), Gender: verifier.Female, CancelledIDs: []verifier.CitizenID{"008192000555"}},
	}
	cards := []verifier.Card{
		{CardNo: "HS4080120878837", CitizenID: "008095001234", FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male,
			BenefitLevel: 4, RegisteredFacility: "08002", ValidFrom: date("2026-01-01"), ValidTo: date("2026-12-31")},
		// A card still filed under the ID the holder held before.
		{CardNo: "0812000555", CitizenID: "008192000555", FullName: "Lý Thị Hoa", DOB: date("1992-02-02"), Gender: verifier.Female,
			BenefitLevel: 4, RegisteredFacility: "08002", ValidFrom: date("2026-01-01")},
	}
	facs := []verifier.Facility{
		{Code: "08001", Level: verifier.LevelProvincial}, {Code: "08002", Level: verifier.LevelDistrict},
		{Code: "08003", Level: verifier.LevelDistrict}, {Code: "08101", Level: verifier.LevelCommune},
	}
	reg, err := inmem.NewRegistry(citizens, cards, facs)
	if err != nil {
		t.Fatal(err)
	}
	s := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: inmem.NewLedger(inmem.WithLedgerClock(clk.Now)),
		Now: clk.Now, Location: hcm}
	s.Defaults()
	return s
}

func checkin(t *testing.T, s *verifier.Service, id verifier.CitizenID, facility string, at time.Time) verifier.CheckinResult {
	t.Helper()
	res, err := s.Checkin(context.Background(), verifier.CheckinRequest{
		Presented: verifier.Presented{Source: verifier.SourceManual, CitizenID: id}, Facility: facility, ScannedAt: at})
	if err != nil {
		t.Fatalf("check-in at %s: %v", facility, err)
	}
	return res
}

// The same day is the local day in Vietnam whatever the server's zone:
// 06:30 local is 23:30 UTC of the day before, and 23:50 / 00:10 local are
// two days.
func TestSameDayIsTheLocalDay(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	id := verifier.CitizenID("008095001234")

	early := time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC) // 06:30 on the 28th in Vietnam
	r1 := checkin(t, s, id, "08001", early)
	if r1.Visit.Day != "2026-11-28" {
		t.Fatalf("06:30 local recorded on %s, want 2026-11-28", r1.Visit.Day)
	}
	r2 := checkin(t, s, id, "08002", time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)) // 10:00 local
	if !r2.Duplicate.Flagged || len(r2.Duplicate.Others) != 1 || r2.Duplicate.Others[0].Facility != "08001" {
		t.Fatalf("10:00 local at another facility not flagged against 06:30: %+v", r2.Duplicate)
	}

	// Across local midnight: 23:50 on the 28th and 00:10 on the 29th.
	clk.Set(time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC))
	other := verifier.CitizenID("008188004321")
	late := checkin(t, s, other, "08001", time.Date(2026, 11, 28, 16, 50, 0, 0, time.UTC))
	next := checkin(t, s, other, "08002", time.Date(2026, 11, 28, 17, 10, 0, 0, time.UTC))
	if late.Visit.Day != "2026-11-28" || next.Visit.Day != "2026-11-29" {
		t.Errorf("days %s and %s, want 2026-11-28 and 2026-11-29", late.Visit.Day, next.Visit.Day)
	}
	if next.Duplicate.Flagged {
		t.Error("visits on two local days were flagged as the same day")
	}
}

func TestServerZoneDoesNotMatter(t *testing.T) {
	for _, zone := range []string{"UTC", "America/Los_Angeles", "Asia/Tokyo"} {
		t.Run(zone, func(t *testing.T) {
			loc, _ := time.LoadLocation(zone)
			clk := &clock{}
			// 06:30 local in Vietnam, expressed in the server's zone.
			clk.Set(time.Date(2026, 11, 28, 6, 30, 0, 0, hcm).In(loc))
			s := newService(t, clk)
			r := checkin(t, s, "008095001234", "08001", time.Time{})
			if r.Visit.Day != "2026-11-28" {
				t.Errorf("day %s, want 2026-11-28", r.Visit.Day)
			}
			if got := r.Visit.At.Location(); got.String() != "Asia/Ho_Chi_Minh" {
				t.Errorf("visit time shown in %s, want local time", got)
			}
		})
	}
}

func TestRepeatAndLaterVisitAtSameFacility(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	first := checkin(t, s, "008095001234", "08002", time.Time{})
	clk.Set(clk.Now().Add(3 * time.Minute))
	again := checkin(t, s, "008095001234", "08002", time.Time{})
	if !again.Repeat || again.CheckinID != first.CheckinID {
		t.Errorf("re-scan after 3 min: repeat=%v id=%s, want the first check-in %s", again.Repeat, again.CheckinID, first.CheckinID)
	}
	clk.Set(clk.Now().Add(2 * time.Hour))
	later := checkin(t, s, "008095001234", "08002", time.Time{})
	if later.Repeat || later.CheckinID == first.CheckinID || later.Duplicate.Flagged {
		t.Errorf("a later visit at the same facility: repeat=%v flagged=%v", later.Repeat, later.Duplicate.Flagged)
	}
}

func TestOfflineArrivalsInAnyOrder(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	id := verifier.CitizenID("008095001234")
	// A queued check-in from yesterday morning arrives after today's.
	today := checkin(t, s, id, "08001", time.Time{})
	yday := checkin(t, s, id, "08002", time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC))
	if today.Duplicate.Flagged || yday.Duplicate.Flagged || yday.Visit.Day != "2026-11-27" {
		t.Errorf("visits on different days flagged, or placed on %s", yday.Visit.Day)
	}
	// A queued check-in from earlier today at a third facility completes a group.
	early := checkin(t, s, id, "08003", time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC))
	if !early.Duplicate.Flagged {
		t.Error("a late arrival on the same local day was not flagged")
	}
	page, err := s.Duplicates(context.Background(), verifier.DuplicateQuery{From: "2026-11-27", To: "2026-11-28"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || len(page.Items[0].Visits) != 2 || page.Items[0].Day != "2026-11-28" {
		t.Errorf("duplicate groups = %+v, want one group of two visits on 2026-11-28", page.Items)
	}
}

func TestConcurrentCheckinsSeeEachOther(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	facs := []string{"08001", "08002", "08003", "08101"}
	results := make([]verifier.CheckinResult, len(facs))
	var wg sync.WaitGroup
	for i, f := range facs {
		wg.Go(func() { results[i] = checkin(t, s, "008095001234", f, time.Time{}) })
	}
	wg.Wait()
	var seen []int
	for _, r := range results {
		seen = append(seen, len(r.Duplicate.Others))
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []int{0, 1, 2, 3}) {
		t.Errorf("others seen by concurrent check-ins = %v, want 0,1,2,3", seen)
	}
}

func TestIdentityCheck(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	tests := []struct {
		name       string
		p          verifier.Presented
		source     string
		mismatches []string
		warning    string
	}{
		{"intact", verifier.Presented{Source: verifier.SourceCCCDQR, FullName: "NGUYỄN VĂN AN", DOB: date("1995-03-14"), Gender: verifier.Male}, "cccd_qr", []string{}, ""},
		{"other name and dob", verifier.Presented{Source: verifier.SourceCCCDQR, FullName: "Nguyễn Văn Anh", DOB: date("1995-03-15")}, "cccd_qr", []string{"full_name", "dob"}, ""},
		{"lost diacritics, intact scan", verifier.Presented{Source: verifier.SourceCCCDQR, FullName: "Nguyen Van An"}, "cccd_qr", []string{"full_name"}, ""},
		{"degraded scan", verifier.Presented{Source: verifier.SourceCCCDQR, FullName: "Nguy?n V?n An", Degraded: true, Warnings: []string{"name_degraded"}}, "cccd_qr_degraded", []string{}, "name_degraded"},
		{"degraded scan, other name", verifier.Presented{Source: verifier.SourceCCCDQR, FullName: "Tr?n V?n An", Degraded: true}, "cccd_qr_degraded", []string{"full_name"}, ""},
		{"mrz without diacritics", verifier.Presented{Source: verifier.SourceMRZ, FullName: "NGUYEN VAN AN", Gender: verifier.Female}, "mrz", []string{"gender"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.CitizenID = "008095001234"
			res, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: tt.p, Facility: "08002"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Citizen.FullName != "Nguyễn Văn An" {
				t.Errorf("shown name %q, want the population record's", res.Citizen.FullName)
			}
			if res.Identity.Source != tt.source || !slices.Equal(res.Identity.Mismatches, tt.mismatches) {
				t.Errorf("identity = %+v, want source %s mismatches %v", res.Identity, tt.source, tt.mismatches)
			}
			if res.Identity.Verified != (len(tt.mismatches) == 0) {
				t.Errorf("verified = %v with mismatches %v", res.Identity.Verified, res.Identity.Mismatches)
			}
			if tt.warning != "" && !slices.Contains(res.Identity.Warnings, tt.warning) {
				t.Errorf("warnings %v lack %s", res.Identity.Warnings, tt.warning)
			}
		})
	}
	res, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: verifier.Presented{Source: verifier.SourceManual, CitizenID: "008170000001"}, Facility: "08002"})
	if err != nil || !slices.Contains(res.Identity.Warnings, "citizen_deceased") || res.Identity.Verified {
		t.Errorf("a deceased citizen's check-in should warn: %v %+v", err, res.Identity)
	}
}

func TestCheckinErrors(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	now := clk.Now()
	tests := []struct {
		name string
		req  verifier.CheckinRequest
		code string
	}{
		{"unknown citizen", verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095009999"}, Facility: "08001"}, "citizen_not_found"},
		{"unknown facility", verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: "99999"}, "unknown_facility"},
		{"short facility", verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: "080"}, "invalid_facility"},
		{"future", verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: "08001", ScannedAt: now.Add(6 * time.Minute)}, "scanned_at_in_future"},
		{"too old", verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: "08001", ScannedAt: now.Add(-73 * time.Hour)}, "scanned_at_too_old"},
		{"unknown card", verifier.CheckinRequest{Presented: verifier.Presented{CardNo: "0899999999"}, Facility: "08001"}, "card_not_found"},
		{"bad visit type", verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: "08001", VisitType: "x"}, "invalid_visit_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Checkin(context.Background(), tt.req)
			if e := verifier.AsError(err); err == nil || e.Code != tt.code {
				t.Errorf("err = %v, want code %s", err, tt.code)
			}
		})
	}
	// Within the bounds is fine, and by card number finds the holder.
	res, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: verifier.Presented{Source: verifier.SourceCardNo, CardNo: "HS4080120878837"}, Facility: "08002", ScannedAt: now.Add(4 * time.Minute)})
	if err != nil || res.Citizen.ID != "008095001234" || res.Eligibility.Code != "000" || res.Eligibility.CoveragePercent != 80 {
		t.Errorf("check-in by card: %v %+v", err, res.Eligibility)
	}
}

// brokenLedger fails every Record with err, as a Redis that is down does
// (behind the outbox: the visit queued, or kept nowhere).
type brokenLedger struct {
	verifier.Ledger
	err error
}

func (l brokenLedger) Record(context.Context, verifier.Recording) (verifier.Recorded, error) {
	return verifier.Recorded{}, l.err
}

func TestCheckinWhenWindowIsDown(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	s.Ledger = brokenLedger{err: verifier.Errorf(verifier.KindUnavailable, verifier.CodeQueued, "queued in the outbox")}
	res, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: "08002"})
	if err != nil || res.Dedupe != verifier.DedupeUnavailable || res.Eligibility.Code != "000" || res.CheckinID == "" {
		t.Errorf("check-in with the window down: %v dedupe=%s elig=%s", err, res.Dedupe, res.Eligibility.Code)
	}
}

// A visit the ledger kept nowhere is never answered as a check-in: the
// window down and the outbox unable to write (a full disk), the window
// refusing the visit, a bare Redis ledger without an outbox.
func TestCheckinNotRecorded(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	for _, cause := range []error{
		verifier.Wrap(errors.New("write outbox-1.jsonl: no space left on device"), verifier.KindUnavailable, "outbox_unavailable", "the outbox cannot keep the visit"),
		verifier.Errorf(verifier.KindInternal, "ledger_corrupt", "a stored visit cannot be read"),
		verifier.Errorf(verifier.KindUnavailable, "ledger_unavailable", "the visit ledger does not answer"),
		errors.New("anything else"),
	} {
		s := newService(t, clk)
		s.Ledger = brokenLedger{err: cause}
		res, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: "08002"})
		e := verifier.AsError(err)
		if err == nil || e.Kind != verifier.KindUnavailable || e.Code != verifier.CodeNotRecorded || !errors.Is(err, cause) {
			t.Errorf("ledger error %v: check-in answered %+v, %v; want a KindUnavailable %s error wrapping it", cause, res, err, verifier.CodeNotRecorded)
		}
	}
}

func BenchmarkEligibilityDecision(b *testing.B) {
	rules := verifier.DefaultCoverageRules()
	card := verifier.Card{CardNo: "HS4080120878837", FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), BenefitLevel: 4,
		RegisteredFacility: "08002", ValidFrom: date("2026-01-01"), ValidTo: date("2026-12-31")}
	d := verifier.Decision{Card: &card, Stated: verifier.Stated{FullName: "Nguyễn Văn An"}, Facility: verifier.Facility{Code: "08001", Level: verifier.LevelProvincial}, On: date("2026-11-28")}
	for b.Loop() {
		if e := rules.Decide(d); e.Code != "000" {
			b.Fatal(e.Code)
		}
	}
}

func BenchmarkCheckinInProcess(b *testing.B) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	s := newService(b, clk)
	i := 0
	for b.Loop() {
		i++
		fac := fmt.Sprintf("0800%d", 1+i%3)
		if _, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: verifier.Presented{CitizenID: "008095001234"}, Facility: fac}); err != nil {
			b.Fatal(err)
		}
	}
}

// downPopulation answers every lookup with "unavailable", as a remote
// population registry that is down.
type downPopulation struct{}

func (downPopulation) Citizen(context.Context, verifier.CitizenID) (verifier.Citizen, error) {
	return verifier.Citizen{}, verifier.Errorf(verifier.KindUnavailable, "registry_unavailable", "down")
}

func TestCheckinWhenPopulationRegistryIsDown(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	s.Population = downPopulation{}
	card := verifier.Presented{Source: verifier.SourceCCCDQR, CitizenID: "008095001234", FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male}
	res, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: card, Facility: "08002"})
	if err != nil {
		t.Fatalf("an intact card scan while the population registry is down: %v", err)
	}
	if res.Identity.Verified || !slices.Contains(res.Identity.Warnings, "population_registry_unavailable") || res.Citizen.FullName != "Nguyễn Văn An" || res.Eligibility.Code != "000" || res.Dedupe != "ok" {
		t.Errorf("degraded check-in: %+v %+v", res.Identity, res.Eligibility)
	}
	// A typed ID, or a damaged scan, cannot be trusted without the registry.
	for _, p := range []verifier.Presented{
		{Source: verifier.SourceManual, CitizenID: "008095001234"},
		{Source: verifier.SourceCCCDQR, CitizenID: "008095001234", FullName: "Nguy?n", Degraded: true},
	} {
		_, err := s.Checkin(context.Background(), verifier.CheckinRequest{Presented: p, Facility: "08002"})
		if verifier.KindOf(err) != verifier.KindUnavailable {
			t.Errorf("%s: err %v, want unavailable", p.Source, err)
		}
	}
}

func TestSummarizeDuplicates(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	at := func(h int) time.Time { return time.Date(2026, 11, 28, h, 0, 0, 0, time.UTC) }
	checkin(t, s, "008095001234", "08001", at(1))
	checkin(t, s, "008095001234", "08002", at(2))
	checkin(t, s, "008095001234", "08003", at(3))
	checkin(t, s, "008188004321", "08001", at(1))
	checkin(t, s, "008188004321", "08002", at(4))
	checkin(t, s, "008170000001", "08101", at(1)) // seen once: no group
	sum, err := s.SummarizeDuplicates(context.Background(), "2026-11-28", "2026-11-28", "")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Groups != 2 || sum.Citizens != 2 || sum.Visits != 5 {
		t.Errorf("groups %d citizens %d visits %d, want 2 2 5", sum.Groups, sum.Citizens, sum.Visits)
	}
	if len(sum.ByPair) != 3 || sum.ByPair[0].Facilities != [2]string{"08001", "08002"} || sum.ByPair[0].Groups != 2 {
		t.Errorf("pairs %+v", sum.ByPair)
	}
	if len(sum.ByFacility) != 3 || sum.ByFacility[0].Groups != 2 {
		t.Errorf("facilities %+v", sum.ByFacility)
	}
	one, _ := s.SummarizeDuplicates(context.Background(), "2026-11-28", "2026-11-28", "08003")
	if one.Groups != 1 {
		t.Errorf("groups at 08003: %d, want 1", one.Groups)
	}
}

// A cancelled ID (population.jsonl cancelled_ids) finds the person: the
// check-in and the eligibility answer show the current ID, with a warning,
// and the card filed under the old ID is the person's.
func TestCancelledIDFindsThePerson(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC))
	s := newService(t, clk)
	res := checkin(t, s, "008192000555", "08002", time.Time{})
	if res.Citizen.ID != "008192000777" || !slices.Contains(res.Identity.Warnings, verifier.WarnCancelledID) {
		t.Errorf("check-in by a cancelled ID: citizen %s, warnings %v", res.Citizen.ID, res.Identity.Warnings)
	}
	if res.Eligibility.Code != verifier.CodeOK || res.Eligibility.CardNo != "0812000555" {
		t.Errorf("check-in by a cancelled ID: eligibility %+v", res.Eligibility)
	}
	if now := checkin(t, s, "008192000777", "08003", time.Time{}); slices.Contains(now.Identity.Warnings, verifier.WarnCancelledID) || !now.Duplicate.Flagged {
		t.Errorf("check-in by the current ID: warnings %v, flagged %v (the visit by the old ID is the same person's)", now.Identity.Warnings, now.Duplicate.Flagged)
	}
	e, err := s.Eligibility(context.Background(), verifier.EligibilityRequest{CitizenID: "008192000555"})
	if err != nil || e.CurrentCitizenID != "008192000777" || !slices.Equal(e.Warnings, []string{verifier.WarnCancelledID}) || e.Code != verifier.CodeOK {
		t.Errorf("eligibility by a cancelled ID: %+v, %v", e, err)
	}
	e, err = s.Eligibility(context.Background(), verifier.EligibilityRequest{CitizenID: "008192000777"})
	if err != nil || e.CurrentCitizenID != "" || e.Warnings != nil {
		t.Errorf("eligibility by the current ID: %+v, %v", e, err)
	}
}
