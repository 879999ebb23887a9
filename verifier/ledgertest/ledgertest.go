// Package ledgertest is the conformance suite of verifier.Ledger. Every
// implementation (inmem, redisledger) runs the same Run, so that they cannot
// drift apart; Bench measures Record the same way for both.
//
// The suite works on days around the real current date, because expiry of
// the same-day window and retention of duplicate groups are measured against
// the real clock by the Redis server.
package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh on machines without a zone database

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Zone is the time zone that defines "the same day" in the suite.
var Zone = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

const (
	// RepeatWithin is the re-scan window used by the suite.
	RepeatWithin = 10 * time.Minute
	// OfflineDelay is the longest accepted offline delay: a day's window
	// expires at the end of the local day plus this.
	OfflineDelay = 72 * time.Hour
	dayLayout    = "2006-01-02"
)

// Run runs the conformance suite. newLedger must return a new, empty ledger
// for every call (a fresh Redis key prefix, a fresh in-memory ledger).
func Run(t *testing.T, newLedger func(t *testing.T) verifier.Ledger) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"FirstVisit", testFirstVisit},
		{"OtherFacilitySameDay", testOtherFacilitySameDay},
		{"RepeatWithin", testRepeatWithin},
		{"RepeatSameCheckinID", testRepeatSameCheckinID},
		{"SameFacilityAfterRepeatWithin", testSameFacilityLater},
		{"LocalMidnight", testLocalMidnight},
		{"EarlyMorningIsPreviousUTCDay", testEarlyMorning},
		{"LateArrivals", testLateArrivals},
		{"ArrivalOrderDoesNotMatter", testArrivalOrder},
		{"ConcurrentFacilities", testConcurrentFacilities},
		{"ConcurrentCitizens", testConcurrentCitizens},
		{"VisitsInTimeOrder", testVisitsOrder},
		{"GroupCreatedAndUpdated", testGroupLifecycle},
		{"DuplicatesFilters", testDuplicatesFilters},
		{"DuplicatesOrder", testDuplicatesOrder},
		{"DuplicatesPaging", testDuplicatesPaging},
		{"DuplicatesPagingWhileAdding", testDuplicatesPagingWhileAdding},
		{"DuplicatesBadInput", testDuplicatesBadInput},
		{"InvalidRecording", testInvalidRecording},
		{"GroupsSurviveWindowExpiry", testGroupsSurviveExpiry},
		{"Tickets", testTickets},
		{"Ping", testPing},
		{"CheckinByID", testCheckinByID},
		{"CheckinOfRescan", testCheckinOfRescan},
		{"RescanMergeIsStable", testRescanMergeIsStable},
		{"CheckinOfLateArrival", testCheckinOfLateArrival},
		{"CheckinConcurrent", testCheckinConcurrent},
		{"Amend", testAmend},
		{"AmendInGroup", testAmendInGroup},
		{"AmendRescanAndErrors", testAmendRescanAndErrors},
		{"AmendConcurrent", testAmendConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newFixture(t, newLedger(t)))
		})
	}
}

// fixture is one ledger and the helpers that build recordings for it.
type fixture struct {
	t     *testing.T
	l     verifier.Ledger
	ctx   context.Context
	today time.Time // local midnight of the real current day
	seq   atomic.Int64
}

func newFixture(t *testing.T, l verifier.Ledger) *fixture {
	now := time.Now().In(Zone)
	return &fixture{
		t:     t,
		l:     l,
		ctx:   context.Background(),
		today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, Zone),
	}
}

// at returns the instant of local time hh:mm on today+dayOffset.
func (f *fixture) at(dayOffset, hh, mm int) time.Time {
	return f.today.AddDate(0, 0, dayOffset).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

// Citizen returns a well-formed citizen ID numbered n.
func Citizen(n int) verifier.CitizenID {
	return verifier.CitizenID(fmt.Sprintf("0010900%05d", n))
}

// Day returns the local day of t, as the service computes Visit.Day.
func Day(t time.Time) string { return t.In(Zone).Format(dayLayout) }

// NewRecording returns what the service would ask a ledger to record for a
// check-in of citizen at facility at instant at.
func NewRecording(checkinID string, citizen verifier.CitizenID, facility string, at time.Time) verifier.Recording {
	local := at.In(Zone)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, Zone)
	return verifier.Recording{
		Visit: verifier.Visit{
			CheckinID: checkinID,
			CitizenID: citizen,
			Facility:  facility,
			VisitType: verifier.Outpatient,
			At:        at.UTC(),
			Day:       Day(at),
			Kiosk:     "kiosk-1",
			// The ledger numbers the ticket; the service passes 0.
			EligibilityCode: "000",
		},
		RepeatWithin: RepeatWithin,
		ExpireAt:     midnight.AddDate(0, 0, 1).Add(OfflineDelay),
		FullName:     "Nguyễn Thị Minh Khai",
	}
}

func (f *fixture) rec(citizen verifier.CitizenID, facility string, at time.Time) verifier.Recording {
	return NewRecording(fmt.Sprintf("ck-%04d", f.seq.Add(1)), citizen, facility, at)
}

func (f *fixture) record(r verifier.Recording) verifier.Recorded {
	f.t.Helper()
	got, err := f.l.Record(f.ctx, r)
	if err != nil {
		f.t.Fatalf("Record(%s at %s %s): %v", r.Visit.CheckinID, r.Visit.Facility, r.Visit.At.Format(time.RFC3339), err)
	}
	return got
}

func (f *fixture) visits(id verifier.CitizenID, day string) []verifier.Visit {
	f.t.Helper()
	v, err := f.l.Visits(f.ctx, id, day)
	if err != nil {
		f.t.Fatalf("Visits(%s, %s): %v", id, day, err)
	}
	return v
}

func (f *fixture) duplicates(q verifier.DuplicateQuery) verifier.DuplicatePage {
	f.t.Helper()
	p, err := f.l.Duplicates(f.ctx, q)
	if err != nil {
		f.t.Fatalf("Duplicates(%+v): %v", q, err)
	}
	if q.Limit > 0 && len(p.Items) > q.Limit {
		f.t.Fatalf("Duplicates(%+v): %d items, more than the limit", q, len(p.Items))
	}
	return p
}

// allDuplicates pages through every group matching q.
func (f *fixture) allDuplicates(q verifier.DuplicateQuery) []verifier.DuplicateGroup {
	f.t.Helper()
	var all []verifier.DuplicateGroup
	for i := 0; ; i++ {
		if i > 1000 {
			f.t.Fatalf("Duplicates(%+v): paging does not end", q)
		}
		p := f.duplicates(q)
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all
		}
		q.Cursor = p.NextCursor
	}
}

// sameVisit reports how got differs from want ("" when equal).
func sameVisit(got, want verifier.Visit) string {
	var d []string
	if got.CheckinID != want.CheckinID {
		d = append(d, fmt.Sprintf("checkin_id %q, want %q", got.CheckinID, want.CheckinID))
	}
	if got.CitizenID != want.CitizenID {
		d = append(d, fmt.Sprintf("citizen %s, want %s", got.CitizenID, want.CitizenID))
	}
	if got.Facility != want.Facility {
		d = append(d, fmt.Sprintf("facility %q, want %q", got.Facility, want.Facility))
	}
	if got.VisitType != want.VisitType {
		d = append(d, fmt.Sprintf("visit_type %q, want %q", got.VisitType, want.VisitType))
	}
	if !got.At.Equal(want.At) {
		d = append(d, fmt.Sprintf("at %s, want %s", got.At.Format(time.RFC3339Nano), want.At.Format(time.RFC3339Nano)))
	}
	if got.Day != want.Day {
		d = append(d, fmt.Sprintf("day %q, want %q", got.Day, want.Day))
	}
	if got.Kiosk != want.Kiosk {
		d = append(d, fmt.Sprintf("kiosk %q, want %q", got.Kiosk, want.Kiosk))
	}
	// A recording carries no ticket; a stored visit always has one.
	if want.Ticket != 0 && got.Ticket != want.Ticket || got.Ticket < 1 {
		d = append(d, fmt.Sprintf("ticket %d, want %d", got.Ticket, want.Ticket))
	}
	if got.EligibilityCode != want.EligibilityCode {
		d = append(d, fmt.Sprintf("eligibility_code %q, want %q", got.EligibilityCode, want.EligibilityCode))
	}
	return strings.Join(d, "; ")
}

func checkVisits(t *testing.T, what string, got, want []verifier.Visit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d visits %v, want %d %v", what, len(got), ids(got), len(want), ids(want))
	}
	for i := range got {
		if d := sameVisit(got[i], want[i]); d != "" {
			t.Errorf("%s[%d]: %s", what, i, d)
		}
	}
}

func ids(vs []verifier.Visit) []string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.CheckinID + "@" + v.Facility
	}
	return s
}

func groupKeys(gs []verifier.DuplicateGroup) []string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = string(g.CitizenID) + "/" + g.Day
	}
	return s
}

func byTime(vs ...verifier.Visit) []verifier.Visit {
	vs = slices.Clone(vs)
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].At.Before(vs[j].At) })
	return vs
}

func testFirstVisit(t *testing.T, f *fixture) {
	r := f.rec(Citizen(1), "08001", f.at(0, 9, 0))
	got := f.record(r)
	if got.Repeat {
		t.Error("first visit: Repeat = true")
	}
	if len(got.Others) != 0 {
		t.Errorf("first visit: Others = %v, want none", ids(got.Others))
	}
	if d := sameVisit(got.Visit, r.Visit); d != "" {
		t.Errorf("first visit: stored visit differs: %s", d)
	}
	checkVisits(t, "Visits", f.visits(Citizen(1), r.Visit.Day), []verifier.Visit{r.Visit})
	if p := f.duplicates(verifier.DuplicateQuery{}); len(p.Items) != 0 {
		t.Errorf("one visit made a duplicate group: %v", groupKeys(p.Items))
	}
}

func testOtherFacilitySameDay(t *testing.T, f *fixture) {
	first := f.rec(Citizen(1), "08001", f.at(0, 8, 0))
	first.Visit.VisitType = verifier.Emergency
	f.record(first)
	second := f.rec(Citizen(1), "01002", f.at(0, 14, 30))
	got := f.record(second)
	if got.Repeat {
		t.Error("visit at another facility: Repeat = true")
	}
	if d := sameVisit(got.Visit, second.Visit); d != "" {
		t.Errorf("stored visit differs: %s", d)
	}
	checkVisits(t, "Others", got.Others, []verifier.Visit{first.Visit})
	// Another citizen on the same day at the same facilities is unrelated.
	if o := f.record(f.rec(Citizen(2), "08001", f.at(0, 8, 0))).Others; len(o) != 0 {
		t.Errorf("another citizen sees Others %v", ids(o))
	}
}

func testRepeatWithin(t *testing.T, f *fixture) {
	first := f.rec(Citizen(1), "08001", f.at(0, 9, 0))
	f.record(first)
	for _, d := range []time.Duration{time.Minute, RepeatWithin, -RepeatWithin / 2} {
		again := f.rec(Citizen(1), "08001", first.Visit.At.Add(d))
		got := f.record(again)
		if !got.Repeat {
			t.Errorf("re-scan %v later: Repeat = false", d)
		}
		if d := sameVisit(got.Visit, first.Visit); d != "" {
			t.Errorf("re-scan returned a different visit: %s", d)
		}
		if len(got.Others) != 0 {
			t.Errorf("re-scan: Others = %v, want none", ids(got.Others))
		}
	}
	checkVisits(t, "Visits after re-scans", f.visits(Citizen(1), first.Visit.Day), []verifier.Visit{first.Visit})

	// A re-scan of a flagged day still reports the other facility.
	other := f.rec(Citizen(1), "01002", f.at(0, 11, 0))
	f.record(other)
	got := f.record(f.rec(Citizen(1), "01002", f.at(0, 11, 5)))
	if !got.Repeat || got.Visit.CheckinID != other.Visit.CheckinID {
		t.Errorf("re-scan at the second facility: Repeat=%v id=%q, want true %q", got.Repeat, got.Visit.CheckinID, other.Visit.CheckinID)
	}
	checkVisits(t, "Others of a re-scan", got.Others, []verifier.Visit{first.Visit})
	gs := f.allDuplicates(verifier.DuplicateQuery{})
	if len(gs) != 1 || len(gs[0].Visits) != 2 {
		t.Fatalf("groups after a re-scan: %v, want one group of 2 visits", gs)
	}
}

func testRepeatSameCheckinID(t *testing.T, f *fixture) {
	// A retried Record of the same check-in (same id) is idempotent even
	// beyond RepeatWithin.
	first := f.rec(Citizen(1), "08001", f.at(0, 9, 0))
	f.record(first)
	retry := first
	retry.Visit.At = first.Visit.At.Add(3 * RepeatWithin)
	got := f.record(retry)
	if !got.Repeat {
		t.Error("same checkin id recorded twice: Repeat = false")
	}
	if d := sameVisit(got.Visit, first.Visit); d != "" {
		t.Errorf("retry returned a different visit: %s", d)
	}
	if n := len(f.visits(Citizen(1), first.Visit.Day)); n != 1 {
		t.Errorf("after a retry: %d visits, want 1", n)
	}
}

func testSameFacilityLater(t *testing.T, f *fixture) {
	first := f.rec(Citizen(1), "08001", f.at(0, 8, 0))
	f.record(first)
	later := f.rec(Citizen(1), "08001", first.Visit.At.Add(RepeatWithin+time.Second))
	got := f.record(later)
	if got.Repeat {
		t.Error("visit after RepeatWithin: Repeat = true")
	}
	if got.Visit.CheckinID != later.Visit.CheckinID {
		t.Errorf("visit after RepeatWithin: stored %q, want the new %q", got.Visit.CheckinID, later.Visit.CheckinID)
	}
	if len(got.Others) != 0 {
		t.Errorf("same facility later: Others = %v, want none (only other facilities count)", ids(got.Others))
	}
	checkVisits(t, "Visits", f.visits(Citizen(1), first.Visit.Day), []verifier.Visit{first.Visit, later.Visit})
	if p := f.duplicates(verifier.DuplicateQuery{}); len(p.Items) != 0 {
		t.Errorf("two visits at one facility made a duplicate group: %v", groupKeys(p.Items))
	}
}

func testLocalMidnight(t *testing.T, f *fixture) {
	late := f.rec(Citizen(1), "08001", f.at(0, 23, 50))
	early := f.rec(Citizen(1), "01002", f.at(1, 0, 10))
	if late.Visit.At.Hour() != 16 || early.Visit.At.Hour() != 17 {
		t.Fatalf("fixture: %s and %s should be 16:50Z and 17:10Z", late.Visit.At, early.Visit.At)
	}
	if late.Visit.At.Format(dayLayout) != early.Visit.At.Format(dayLayout) {
		t.Fatalf("fixture: both instants should share a UTC day")
	}
	f.record(late)
	got := f.record(early)
	if len(got.Others) != 0 {
		t.Errorf("visits at 23:50 and 00:10 local are different days, got Others %v", ids(got.Others))
	}
	checkVisits(t, "Visits(day 0)", f.visits(Citizen(1), late.Visit.Day), []verifier.Visit{late.Visit})
	checkVisits(t, "Visits(day 1)", f.visits(Citizen(1), early.Visit.Day), []verifier.Visit{early.Visit})
	if p := f.duplicates(verifier.DuplicateQuery{}); len(p.Items) != 0 {
		t.Errorf("visits across local midnight made a group: %v", groupKeys(p.Items))
	}
}

func testEarlyMorning(t *testing.T, f *fixture) {
	morning := f.rec(Citizen(1), "08001", f.at(0, 6, 30)) // 23:30Z the day before
	if morning.Visit.At.Hour() != 23 {
		t.Fatalf("fixture: 06:30 local should be 23:30Z, got %s", morning.Visit.At)
	}
	noon := f.rec(Citizen(1), "01002", f.at(0, 10, 0))
	f.record(morning)
	got := f.record(noon)
	checkVisits(t, "Others", got.Others, []verifier.Visit{morning.Visit})
	day := noon.Visit.Day
	gs := f.allDuplicates(verifier.DuplicateQuery{From: day, To: day})
	if len(gs) != 1 || gs[0].Day != day {
		t.Fatalf("groups on %s: %v, want one", day, groupKeys(gs))
	}
	checkVisits(t, "group", gs[0].Visits, []verifier.Visit{morning.Visit, noon.Visit})
	prev := Day(f.at(-1, 12, 0))
	if gs := f.allDuplicates(verifier.DuplicateQuery{From: prev, To: prev}); len(gs) != 0 {
		t.Errorf("group filed under the UTC day %s: %v", prev, groupKeys(gs))
	}
}

func testLateArrivals(t *testing.T, f *fixture) {
	// A kiosk that was offline sends an earlier scan after later visits.
	ten := f.rec(Citizen(1), "08001", f.at(0, 10, 0))
	f.record(ten)
	yesterday := f.rec(Citizen(1), "01002", f.at(-1, 15, 0))
	if got := f.record(yesterday); len(got.Others) != 0 {
		t.Errorf("late arrival for yesterday sees today's visits: %v", ids(got.Others))
	}
	nine := f.rec(Citizen(1), "01002", f.at(0, 9, 0))
	got := f.record(nine)
	checkVisits(t, "Others of a late arrival", got.Others, []verifier.Visit{ten.Visit})
	checkVisits(t, "Visits(today)", f.visits(Citizen(1), ten.Visit.Day), []verifier.Visit{nine.Visit, ten.Visit})
	checkVisits(t, "Visits(yesterday)", f.visits(Citizen(1), yesterday.Visit.Day), []verifier.Visit{yesterday.Visit})
	gs := f.allDuplicates(verifier.DuplicateQuery{})
	if len(gs) != 1 || gs[0].Day != ten.Visit.Day {
		t.Fatalf("groups: %v, want one for %s (completed by the late arrival)", groupKeys(gs), ten.Visit.Day)
	}
	checkVisits(t, "group", gs[0].Visits, []verifier.Visit{nine.Visit, ten.Visit})

	// A late arrival within RepeatWithin before a stored visit is a re-scan.
	early := f.rec(Citizen(1), "08001", f.at(0, 9, 55))
	if got := f.record(early); !got.Repeat || got.Visit.CheckinID != ten.Visit.CheckinID {
		t.Errorf("late re-scan 5 min before: Repeat=%v id=%q, want true %q", got.Repeat, got.Visit.CheckinID, ten.Visit.CheckinID)
	}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func testArrivalOrder(t *testing.T, f *fixture) {
	// Five check-ins over three local days, around local midnight; every
	// arrival order must end in the same windows and the same groups.
	type visit struct {
		fac           string
		day, hh, mm   int
		wantOthersEnd int // Others seen when this visit arrives last
	}
	plan := []visit{
		{"08001", 0, 6, 30, 1},  // 23:30Z the previous UTC day
		{"01002", 0, 23, 50, 2}, // 16:50Z
		{"08001", 1, 0, 10, 0},  // next local day
		{"01002", -1, 23, 59, 0},
		{"08001", 0, 12, 0, 1}, // second visit at 08001 on day 0
	}
	type outcome struct {
		visits map[string][]string
		groups []string
	}
	var ref *outcome
	for n, perm := range permutations(len(plan)) {
		id := Citizen(100 + n)
		recs := make([]verifier.Recording, len(plan))
		for i, p := range plan {
			recs[i] = NewRecording(fmt.Sprintf("p%d-v%d", n, i), id, p.fac, f.at(p.day, p.hh, p.mm))
		}
		for k, i := range perm {
			got := f.record(recs[i])
			if got.Repeat {
				t.Fatalf("order %v: visit %d is a repeat", perm, i)
			}
			if k == len(perm)-1 && len(got.Others) != plan[i].wantOthersEnd {
				t.Errorf("order %v: last visit %d sees %d others, want %d", perm, i, len(got.Others), plan[i].wantOthersEnd)
			}
		}
		o := &outcome{visits: map[string][]string{}}
		for _, d := range []int{-1, 0, 1} {
			day := Day(f.at(d, 12, 0))
			vs := f.visits(id, day)
			for i := 1; i < len(vs); i++ {
				if vs[i].At.Before(vs[i-1].At) {
					t.Errorf("order %v: Visits(%s) not in time order", perm, day)
				}
			}
			for _, v := range vs {
				o.visits[day] = append(o.visits[day], strings.TrimPrefix(v.CheckinID, fmt.Sprintf("p%d-", n)))
			}
		}
		for _, g := range f.allDuplicates(verifier.DuplicateQuery{Citizen: id}) {
			s := g.Day + ":"
			for _, v := range g.Visits {
				s += strings.TrimPrefix(v.CheckinID, fmt.Sprintf("p%d-", n)) + ","
			}
			o.groups = append(o.groups, s)
		}
		if ref == nil {
			ref = o
			if len(o.groups) != 1 || len(o.visits[Day(f.at(0, 12, 0))]) != 3 {
				t.Fatalf("order %v: groups %v, visits %v; want one group of 3 visits on day 0", perm, o.groups, o.visits)
			}
			continue
		}
		if fmt.Sprint(o.visits) != fmt.Sprint(ref.visits) || fmt.Sprint(o.groups) != fmt.Sprint(ref.groups) {
			t.Errorf("order %v: visits %v groups %v; order %v gave visits %v groups %v",
				perm, o.visits, o.groups, permutations(len(plan))[0], ref.visits, ref.groups)
		}
	}
}

func testConcurrentFacilities(t *testing.T, f *fixture) {
	const n = 16
	id := Citizen(1)
	recs := make([]verifier.Recording, n)
	for i := range recs {
		recs[i] = f.rec(id, fmt.Sprintf("%05d", 10001+i), f.at(0, 9, i))
	}
	results := make([]verifier.Recorded, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range recs {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			results[i], errs[i] = f.l.Record(f.ctx, recs[i])
		}()
	}
	start.Done()
	done.Wait()
	seen := make([]bool, n)
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("Record %d: %v", i, errs[i])
		}
		if r.Repeat {
			t.Errorf("Record %d: Repeat = true", i)
		}
		// Serialised, the k-th write sees exactly the k-1 before it.
		k := len(r.Others)
		if k >= n || seen[k] {
			t.Errorf("Record %d sees %d others: writes were not serialised", i, k)
			continue
		}
		seen[k] = true
		for _, o := range r.Others {
			if o.Facility == r.Visit.Facility {
				t.Errorf("Record %d: Others lists its own facility", i)
			}
		}
	}
	want := make([]verifier.Visit, n)
	for i := range recs {
		want[i] = recs[i].Visit
	}
	checkVisits(t, "Visits", f.visits(id, recs[0].Visit.Day), want)
	gs := f.allDuplicates(verifier.DuplicateQuery{})
	if len(gs) != 1 {
		t.Fatalf("groups: %v, want one", groupKeys(gs))
	}
	checkVisits(t, "group", gs[0].Visits, want)
}

func testConcurrentCitizens(t *testing.T, f *fixture) {
	const citizens, perCitizen = 20, 4
	var wg sync.WaitGroup
	errs := make(chan error, citizens*perCitizen)
	for c := range citizens {
		for k := range perCitizen {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := NewRecording(fmt.Sprintf("c%d-%d", c, k), Citizen(c), fmt.Sprintf("0800%d", k), f.at(0, 8, k))
				if _, err := f.l.Record(f.ctx, r); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	gs := f.allDuplicates(verifier.DuplicateQuery{Limit: 7})
	if len(gs) != citizens {
		t.Fatalf("%d groups, want %d", len(gs), citizens)
	}
	seen := map[verifier.CitizenID]bool{}
	for _, g := range gs {
		if seen[g.CitizenID] {
			t.Errorf("group of %s listed twice", g.CitizenID)
		}
		seen[g.CitizenID] = true
		if len(g.Visits) != perCitizen {
			t.Errorf("group of %s has %d visits, want %d", g.CitizenID, len(g.Visits), perCitizen)
		}
	}
}

func testVisitsOrder(t *testing.T, f *fixture) {
	id := Citizen(1)
	var want []verifier.Visit
	for _, hh := range []int{15, 7, 11, 9, 13} {
		r := f.rec(id, "08001", f.at(0, hh, 0))
		f.record(r)
		want = append(want, r.Visit)
	}
	checkVisits(t, "Visits", f.visits(id, want[0].Day), byTime(want...))
	if v := f.visits(id, Day(f.at(5, 12, 0))); len(v) != 0 {
		t.Errorf("Visits of an empty day: %v", ids(v))
	}
	if v := f.visits(Citizen(2), want[0].Day); len(v) != 0 {
		t.Errorf("Visits of an unknown citizen: %v", ids(v))
	}
}

func testGroupLifecycle(t *testing.T, f *fixture) {
	id := Citizen(1)
	a := f.rec(id, "08001", f.at(0, 8, 0))
	a2 := f.rec(id, "08001", f.at(0, 9, 0))
	b := f.rec(id, "01002", f.at(0, 10, 0))
	b.Visit.VisitType = verifier.Referral
	c := f.rec(id, "79003", f.at(0, 16, 0))
	c.FullName = "Nguyễn Thị Minh Khai"
	f.record(a)
	f.record(a2)
	if gs := f.allDuplicates(verifier.DuplicateQuery{}); len(gs) != 0 {
		t.Fatalf("group before a second facility: %v", groupKeys(gs))
	}
	got := f.record(b)
	checkVisits(t, "Others", got.Others, []verifier.Visit{a.Visit, a2.Visit})
	gs := f.allDuplicates(verifier.DuplicateQuery{})
	if len(gs) != 1 {
		t.Fatalf("groups: %v, want one", groupKeys(gs))
	}
	g := gs[0]
	if g.CitizenID != id || g.Day != a.Visit.Day || g.FullName != a.FullName {
		t.Errorf("group = %s %s %q, want %s %s %q", g.CitizenID, g.Day, g.FullName, id, a.Visit.Day, a.FullName)
	}
	checkVisits(t, "group", g.Visits, []verifier.Visit{a.Visit, a2.Visit, b.Visit})

	got = f.record(c)
	checkVisits(t, "Others of the third facility", got.Others, []verifier.Visit{a.Visit, a2.Visit, b.Visit})
	gs = f.allDuplicates(verifier.DuplicateQuery{})
	if len(gs) != 1 {
		t.Fatalf("groups after an update: %v, want one", groupKeys(gs))
	}
	checkVisits(t, "updated group", gs[0].Visits, []verifier.Visit{a.Visit, a2.Visit, b.Visit, c.Visit})

	// A later visit at a facility already in the group also joins it.
	b2 := f.rec(id, "01002", f.at(0, 18, 0))
	f.record(b2)
	gs = f.allDuplicates(verifier.DuplicateQuery{Facility: "79003"})
	if len(gs) != 1 {
		t.Fatalf("groups at 79003: %v, want one", groupKeys(gs))
	}
	checkVisits(t, "group after a second visit at 01002", gs[0].Visits, []verifier.Visit{a.Visit, a2.Visit, b.Visit, c.Visit, b2.Visit})
	checkVisits(t, "Visits", f.visits(id, a.Visit.Day), gs[0].Visits)
}

// flag makes citizen n a duplicate group on day offset d at facilities
// fa (07:00+n min) and fb (10:00+n min).
func (f *fixture) flag(n, d int, fa, fb string) {
	f.t.Helper()
	f.record(f.rec(Citizen(n), fa, f.at(d, 7, n)))
	if got := f.record(f.rec(Citizen(n), fb, f.at(d, 10, n))); len(got.Others) == 0 {
		f.t.Fatalf("citizen %d day %d: second facility not flagged", n, d)
	}
}

func testDuplicatesFilters(t *testing.T, f *fixture) {
	f.flag(1, -2, "08001", "01002")
	f.flag(2, -1, "08001", "79003")
	f.flag(3, 0, "01002", "79003")
	f.flag(1, 0, "08001", "79003")
	d := func(off int) string { return Day(f.at(off, 12, 0)) }
	tests := []struct {
		q    verifier.DuplicateQuery
		want []string
	}{
		{verifier.DuplicateQuery{}, []string{"1/-2", "2/-1", "3/0", "1/0"}},
		{verifier.DuplicateQuery{From: d(-1), To: d(0)}, []string{"2/-1", "3/0", "1/0"}},
		{verifier.DuplicateQuery{From: d(-2), To: d(-2)}, []string{"1/-2"}},
		{verifier.DuplicateQuery{From: d(-1)}, []string{"2/-1", "3/0", "1/0"}},
		{verifier.DuplicateQuery{To: d(-1)}, []string{"1/-2", "2/-1"}},
		{verifier.DuplicateQuery{From: d(1), To: d(3)}, nil},
		{verifier.DuplicateQuery{From: d(0), To: d(-1)}, nil},
		{verifier.DuplicateQuery{Facility: "08001"}, []string{"1/-2", "2/-1", "1/0"}},
		{verifier.DuplicateQuery{Facility: "79003", From: d(0), To: d(0)}, []string{"3/0", "1/0"}},
		{verifier.DuplicateQuery{Facility: "99999"}, nil},
		{verifier.DuplicateQuery{Citizen: Citizen(1)}, []string{"1/-2", "1/0"}},
		{verifier.DuplicateQuery{Citizen: Citizen(1), Facility: "01002"}, []string{"1/-2"}},
		{verifier.DuplicateQuery{Citizen: Citizen(1), From: d(-1), To: d(0)}, []string{"1/0"}},
		{verifier.DuplicateQuery{Citizen: Citizen(9)}, nil},
	}
	name := func(s string) string {
		var n, off int
		fmt.Sscanf(s, "%d/%d", &n, &off)
		return string(Citizen(n)) + "/" + d(off)
	}
	for _, tt := range tests {
		for _, limit := range []int{0, 1, 2} {
			q := tt.q
			q.Limit = limit
			got := groupKeys(f.allDuplicates(q))
			var want []string
			for _, w := range tt.want {
				want = append(want, name(w))
			}
			if !slices.Equal(got, want) {
				t.Errorf("Duplicates(%+v) = %v, want %v", q, got, want)
			}
		}
	}
}

func testDuplicatesOrder(t *testing.T, f *fixture) {
	// Ordered by day, then by when the group was first flagged, whatever
	// the visit times.
	f.flag(1, 1, "08001", "01002")
	f.flag(2, 0, "08001", "01002")
	f.flag(3, 0, "08001", "01002")
	// Citizen 4 checks in first, but is flagged last.
	f.record(f.rec(Citizen(4), "08001", f.at(0, 6, 0)))
	f.flag(5, 0, "08001", "01002")
	f.record(f.rec(Citizen(4), "01002", f.at(0, 6, 30)))
	// Updating citizen 2's group does not move it.
	f.record(f.rec(Citizen(2), "79003", f.at(0, 20, 0)))
	got := groupKeys(f.allDuplicates(verifier.DuplicateQuery{}))
	d0, d1 := Day(f.at(0, 12, 0)), Day(f.at(1, 12, 0))
	want := []string{
		string(Citizen(2)) + "/" + d0, string(Citizen(3)) + "/" + d0, string(Citizen(5)) + "/" + d0,
		string(Citizen(4)) + "/" + d0, string(Citizen(1)) + "/" + d1,
	}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v\nwant    %v", got, want)
	}
}

func testDuplicatesPaging(t *testing.T, f *fixture) {
	for n := range 9 {
		f.flag(n, n%3-1, "08001", "01002")
	}
	all := groupKeys(f.allDuplicates(verifier.DuplicateQuery{Limit: 100}))
	if len(all) != 9 {
		t.Fatalf("%d groups, want 9", len(all))
	}
	for _, limit := range []int{1, 2, 3, 4, 8, 9, 10} {
		var got []string
		q := verifier.DuplicateQuery{Limit: limit}
		pages := 0
		for {
			p := f.duplicates(q)
			pages++
			got = append(got, groupKeys(p.Items)...)
			if p.NextCursor == "" {
				break
			}
			if len(p.Items) == 0 {
				t.Fatalf("limit %d: an empty page with a next cursor", limit)
			}
			q.Cursor = p.NextCursor
		}
		if !slices.Equal(got, all) {
			t.Errorf("limit %d: pages give %v, want %v", limit, got, all)
		}
		if want := (9 + limit - 1) / limit; pages != want {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, want)
		}
	}
	// A cursor stays valid: asking again gives the same page.
	p1 := f.duplicates(verifier.DuplicateQuery{Limit: 4})
	a := f.duplicates(verifier.DuplicateQuery{Limit: 4, Cursor: p1.NextCursor})
	b := f.duplicates(verifier.DuplicateQuery{Limit: 4, Cursor: p1.NextCursor})
	if !slices.Equal(groupKeys(a.Items), groupKeys(b.Items)) {
		t.Errorf("same cursor, different pages: %v and %v", groupKeys(a.Items), groupKeys(b.Items))
	}
}

func testDuplicatesPagingWhileAdding(t *testing.T, f *fixture) {
	// Groups on days -1, 0 and 1; while an auditor pages, new groups are
	// flagged on every day. No group may be skipped or repeated; new groups
	// after the cursor's position (any later day, or the cursor's day) are
	// seen, those before it are not required.
	for n := range 12 {
		f.flag(n, n%3-1, "08001", "01002")
	}
	original := groupKeys(f.allDuplicates(verifier.DuplicateQuery{}))
	seen := map[string]int{}
	var order []string
	mustSee := map[string]bool{}
	q := verifier.DuplicateQuery{Limit: 2}
	next := 100
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("paging does not end")
		}
		p := f.duplicates(q)
		for _, k := range groupKeys(p.Items) {
			seen[k]++
			order = append(order, k)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
		if len(p.Items) == 0 {
			t.Fatal("an empty page with a next cursor")
		}
		last := p.Items[len(p.Items)-1].Day
		for _, d := range []int{-1, 0, 1, 2} {
			if next > 130 {
				break
			}
			f.flag(next, d, "08001", "79003")
			if day := Day(f.at(d, 12, 0)); day >= last {
				mustSee[string(Citizen(next))+"/"+day] = true
			}
			next++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("group %s listed %d times", k, n)
		}
	}
	for _, k := range original {
		if seen[k] == 0 {
			t.Errorf("group %s skipped", k)
		}
	}
	for k := range mustSee {
		if seen[k] == 0 {
			t.Errorf("group %s, flagged after the cursor's position, skipped", k)
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i][13:] < order[i-1][13:] {
			t.Errorf("pages not in day order: %s after %s", order[i], order[i-1])
		}
	}
}

func testDuplicatesBadInput(t *testing.T, f *fixture) {
	f.flag(1, 0, "08001", "01002")
	for _, q := range []verifier.DuplicateQuery{
		{Cursor: "not a cursor!"},
		{Cursor: "eyJ4Ijo"},
		{From: "2025-13-45"},
		{To: "yesterday"},
	} {
		_, err := f.l.Duplicates(f.ctx, q)
		if verifier.KindOf(err) != verifier.KindInvalid {
			t.Errorf("Duplicates(%+v) = %v, want a KindInvalid error", q, err)
		}
	}
	// A huge limit is capped, not refused.
	if p := f.duplicates(verifier.DuplicateQuery{Limit: 1 << 30}); len(p.Items) != 1 {
		t.Errorf("huge limit: %d items", len(p.Items))
	}
}

func testInvalidRecording(t *testing.T, f *fixture) {
	good := f.rec(Citizen(1), "08001", f.at(0, 9, 0))
	for name, mod := range map[string]func(*verifier.Recording){
		"no checkin id": func(r *verifier.Recording) { r.Visit.CheckinID = "" },
		"no citizen":    func(r *verifier.Recording) { r.Visit.CitizenID = "" },
		"no facility":   func(r *verifier.Recording) { r.Visit.Facility = "" },
		"no day":        func(r *verifier.Recording) { r.Visit.Day = "" },
		"bad day":       func(r *verifier.Recording) { r.Visit.Day = "10/03/2025" },
		"no time":       func(r *verifier.Recording) { r.Visit.At = time.Time{} },
	} {
		r := good
		mod(&r)
		_, err := f.l.Record(f.ctx, r)
		var e *verifier.Error
		if !errors.As(err, &e) || e.Kind != verifier.KindInternal {
			t.Errorf("%s: Record = %v, want a KindInternal *verifier.Error (a bug in the caller)", name, err)
		}
	}
	if v := f.visits(Citizen(1), good.Visit.Day); len(v) != 0 {
		t.Errorf("invalid recordings stored visits: %v", ids(v))
	}
}

func testGroupsSurviveExpiry(t *testing.T, f *fixture) {
	expire := time.Now().Add(1200 * time.Millisecond)
	rec := func(n int, fac string, hh int) verifier.Recording {
		r := f.rec(Citizen(n), fac, f.at(0, hh, 0))
		r.ExpireAt = expire
		f.record(r)
		return r
	}
	a := rec(1, "08001", 8)
	b := rec(1, "01002", 9)
	c := rec(2, "08001", 8)
	day := a.Visit.Day
	checkVisits(t, "Visits before expiry", f.visits(Citizen(2), day), []verifier.Visit{c.Visit})
	time.Sleep(time.Until(expire) + 300*time.Millisecond)
	if v := f.visits(Citizen(2), day); len(v) != 0 {
		t.Errorf("window not forgotten after ExpireAt: %v", ids(v))
	}
	gs := f.allDuplicates(verifier.DuplicateQuery{})
	if len(gs) != 1 {
		t.Fatalf("groups after the window expired: %v, want one", groupKeys(gs))
	}
	checkVisits(t, "group after expiry", gs[0].Visits, []verifier.Visit{a.Visit, b.Visit})
	// The visits of a flagged day stay readable from the group.
	checkVisits(t, "Visits of a flagged day after expiry", f.visits(Citizen(1), day), []verifier.Visit{a.Visit, b.Visit})
	// A new window for the citizen starts empty: Others and the re-scan
	// rule only see the new window, and a visit joins the kept group.
	d := f.rec(Citizen(2), "08001", f.at(0, 8, 0))
	if got := f.record(d); got.Repeat {
		t.Error("re-scan rule applied to an expired window")
	}
	checkVisits(t, "Visits in a new window", f.visits(Citizen(2), day), []verifier.Visit{d.Visit})
	e := f.rec(Citizen(1), "79003", f.at(0, 11, 0))
	if got := f.record(e); len(got.Others) != 0 {
		t.Errorf("Others from an expired window: %v", ids(got.Others))
	}
	gs = f.allDuplicates(verifier.DuplicateQuery{})
	if len(gs) != 1 {
		t.Fatalf("groups after a visit on a flagged day: %v", groupKeys(gs))
	}
	checkVisits(t, "group after a visit on a flagged day", gs[0].Visits, []verifier.Visit{a.Visit, b.Visit, e.Visit})
	checkVisits(t, "Visits of a flagged day", f.visits(Citizen(1), day), []verifier.Visit{a.Visit, b.Visit, e.Visit})
}

func testPing(t *testing.T, f *fixture) {
	if err := f.l.Ping(f.ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// Bench measures Record: "new" records a first visit of a new citizen (the
// hot path), "flagged" a second-facility visit that creates a group,
// "parallel" first visits from GOMAXPROCS goroutines.
func Bench(b *testing.B, l verifier.Ledger) {
	ctx := context.Background()
	now := time.Now()
	var n atomic.Int64
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			i := n.Add(1)
			r := NewRecording(fmt.Sprintf("b%d", i), Citizen(int(i%100000)), "08001", now.Add(time.Duration(i)*time.Minute))
			if _, err := l.Record(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("flagged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			i := n.Add(1)
			r := NewRecording(fmt.Sprintf("b%d", i), Citizen(int(i/2%100000)), fmt.Sprintf("%05d", i%2), now.AddDate(1, 0, 0).Add(time.Duration(i/2)*time.Minute))
			if _, err := l.Record(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				r := NewRecording(fmt.Sprintf("b%d", i), Citizen(int(i%100000)), "08001", now.AddDate(2, 0, 0).Add(time.Duration(i)*time.Minute))
				if _, err := l.Record(ctx, r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// testTickets: new visits are numbered 1, 2, 3… per facility and local
// day; a re-scan keeps its number; another facility and the next day start
// again at 1.
func testTickets(t *testing.T, f *fixture) {
	ticket := func(c verifier.CitizenID, fac string, at time.Time) int {
		t.Helper()
		return f.record(f.rec(c, fac, at)).Visit.Ticket
	}
	got := []int{
		ticket(Citizen(1), "08001", f.at(0, 8, 0)),
		ticket(Citizen(2), "08001", f.at(0, 8, 1)),
		ticket(Citizen(3), "08002", f.at(0, 8, 2)),
		ticket(Citizen(1), "08001", f.at(0, 8, 3)), // re-scan
		ticket(Citizen(3), "08001", f.at(0, 8, 4)),
		ticket(Citizen(1), "08001", f.at(1, 8, 0)), // tomorrow
	}
	// On a Redis Cluster a number is drawn before the visit is known to
	// be new, so a re-scan may leave a gap: numbers must increase, not be
	// consecutive. A single store gives exactly 1, 2, 1, 1, 3, 1.
	if got[0] != 1 || got[1] <= got[0] || got[2] != 1 || got[3] != got[0] || got[4] <= got[1] || got[5] != 1 {
		t.Errorf("tickets %v, want 1, >1, 1, 1 (the re-scan keeps its number), increasing, 1 (next day)", got)
	}
}

// checkin looks a check-in ID up and compares the answer with want.
func (f *fixture) checkin(what, id string, want verifier.Visit) {
	f.t.Helper()
	got, err := f.l.Checkin(f.ctx, id)
	if err != nil {
		f.t.Fatalf("%s: Checkin(%s): %v", what, id, err)
	}
	if d := sameVisit(got, want); d != "" {
		f.t.Errorf("%s: Checkin(%s): %s", what, id, d)
	}
	if got.Ticket != want.Ticket {
		f.t.Errorf("%s: Checkin(%s): ticket %d, want %d", what, id, got.Ticket, want.Ticket)
	}
}

func (f *fixture) checkinNotFound(what, id string) {
	f.t.Helper()
	v, err := f.l.Checkin(f.ctx, id)
	if verifier.KindOf(err) != verifier.KindNotFound {
		f.t.Errorf("%s: Checkin(%q) = %+v, %v; want a KindNotFound error", what, id, v, err)
	}
}

func testCheckinByID(t *testing.T, f *fixture) {
	f.checkinNotFound("empty ledger", "ck-none")
	a := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 0))).Visit
	b := f.record(f.rec(Citizen(2), "08001", f.at(0, 9, 1))).Visit
	f.checkin("first citizen", a.CheckinID, a)
	f.checkin("second citizen", b.CheckinID, b)
	f.checkinNotFound("unknown ID", "ck-unknown")
	// A visit at another facility files a group; every ID still answers,
	// from the window and from the group that outlives it.
	c := f.record(f.rec(Citizen(1), "01002", f.at(0, 10, 0))).Visit
	f.checkin("first visit of a group", a.CheckinID, a)
	f.checkin("second visit of a group", c.CheckinID, c)
	// Another day of the same citizen.
	d := f.record(f.rec(Citizen(1), "08001", f.at(-1, 15, 0))).Visit
	f.checkin("the day before", d.CheckinID, d)
}

func testCheckinOfRescan(t *testing.T, f *fixture) {
	first := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 0))).Visit
	again := f.rec(Citizen(1), "08001", f.at(0, 9, 4))
	got := f.record(again)
	if !got.Repeat || got.Visit.CheckinID != first.CheckinID {
		t.Fatalf("re-scan: Repeat=%v id=%q, want a repeat of %q", got.Repeat, got.Visit.CheckinID, first.CheckinID)
	}
	// The re-scan's own ID (the one a check-in answered while the window
	// was down, then replayed) answers the visit it was merged into.
	f.checkin("re-scan's ID", again.Visit.CheckinID, first)
	f.checkin("first ID", first.CheckinID, first)
	// Recording the re-scan again (a replay done twice) changes nothing.
	if got := f.record(again); !got.Repeat || got.Visit.CheckinID != first.CheckinID {
		t.Errorf("re-scan recorded again: Repeat=%v id=%q, want a repeat of %q", got.Repeat, got.Visit.CheckinID, first.CheckinID)
	}
	// And it still answers once the day becomes a duplicate group.
	f.record(f.rec(Citizen(1), "01002", f.at(0, 11, 0)))
	f.checkin("re-scan's ID in a group", again.Visit.CheckinID, first)
	checkVisits(t, "Visits", f.visits(Citizen(1), first.Day)[:1], []verifier.Visit{first})
}

// A re-scan's ID, once merged into a visit, stays with it: recording it
// again after a closer visit was recorded answers the same visit, so that
// the ID a desk was given never changes meaning.
func testRescanMergeIsStable(t *testing.T, f *fixture) {
	first := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 0))).Visit
	again := f.rec(Citizen(1), "08001", f.at(0, 9, 8))
	if got := f.record(again); got.Visit.CheckinID != first.CheckinID {
		t.Fatalf("re-scan merged into %q, want %q", got.Visit.CheckinID, first.CheckinID)
	}
	later := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 12))).Visit // 12 min after the first: a new visit
	if later.CheckinID == first.CheckinID {
		t.Fatal("a scan 12 minutes later was merged into the first visit")
	}
	got := f.record(again) // now 4 minutes from later, 8 from first
	if !got.Repeat || got.Visit.CheckinID != first.CheckinID {
		t.Errorf("re-scan recorded again: Repeat=%v id=%q, want a repeat of %q", got.Repeat, got.Visit.CheckinID, first.CheckinID)
	}
	f.checkin("re-scan's ID", again.Visit.CheckinID, first)
	f.checkin("later visit", later.CheckinID, later)
}

// A check-in recorded late (queued offline, replayed) answers by its ID
// like a live one.
func testCheckinOfLateArrival(t *testing.T, f *fixture) {
	late := f.rec(Citizen(1), "08001", f.at(-2, 16, 0))
	f.checkinNotFound("before it arrives", late.Visit.CheckinID)
	got := f.record(late)
	f.checkin("after it arrived", late.Visit.CheckinID, got.Visit)
}

func testCheckinConcurrent(t *testing.T, f *fixture) {
	const n = 20
	var wg sync.WaitGroup
	got := make([]verifier.Visit, n)
	recs := make([]verifier.Recording, n)
	for i := range n {
		// Two scans a citizen, a minute apart: one visit, two IDs.
		recs[i] = f.rec(Citizen(100+i/2), "08001", f.at(0, 8, i%2))
	}
	for i := range n {
		wg.Go(func() {
			r, err := f.l.Record(f.ctx, recs[i])
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = r.Visit
		})
	}
	wg.Wait()
	for i := range n {
		f.checkin(fmt.Sprintf("scan %d", i), recs[i].Visit.CheckinID, got[i])
	}
}

// desk sets the desk's fields as a check-in amendment does.
func desk(vt verifier.VisitType, referral, dept string, prio []string, ack *verifier.Acknowledgement) func(*verifier.Visit) error {
	return func(v *verifier.Visit) error {
		v.VisitType, v.ReferralNo, v.Department, v.Priority, v.Acknowledgement = vt, referral, dept, prio, ack
		return nil
	}
}

func (f *fixture) amend(id string, fn func(*verifier.Visit) error) verifier.Visit {
	f.t.Helper()
	v, err := f.l.Amend(f.ctx, id, fn)
	if err != nil {
		f.t.Fatalf("Amend(%s): %v", id, err)
	}
	return v
}

// sameDesk reports how the desk's fields of got differ from want.
func sameDesk(got, want verifier.Visit) string {
	var d []string
	if got.ReferralNo != want.ReferralNo || got.Department != want.Department || !slices.Equal(got.Priority, want.Priority) {
		d = append(d, fmt.Sprintf("referral_no %q department %q priority %v, want %q %q %v",
			got.ReferralNo, got.Department, got.Priority, want.ReferralNo, want.Department, want.Priority))
	}
	ga, wa := got.Acknowledgement, want.Acknowledgement
	switch {
	case (ga == nil) != (wa == nil):
		d = append(d, fmt.Sprintf("acknowledgement %+v, want %+v", ga, wa))
	case ga != nil && (ga.Reason != wa.Reason || ga.Note != wa.Note || ga.By != wa.By || !ga.At.Equal(wa.At)):
		d = append(d, fmt.Sprintf("acknowledgement %+v, want %+v", *ga, *wa))
	}
	if s := sameVisit(got, want); s != "" {
		d = append(d, s)
	}
	return strings.Join(d, "; ")
}

func testAmend(t *testing.T, f *fixture) {
	v := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 0))).Visit
	ack := &verifier.Acknowledgement{Reason: verifier.AckReferral, Note: "giấy chuyển tuyến \"số 12\"\nđã xem", By: "desk-1", At: f.at(0, 9, 2)}
	want := v
	want.VisitType, want.ReferralNo, want.Department, want.Priority, want.Acknowledgement = verifier.Referral, "CT-0815", "K01", []string{"elderly"}, ack
	got := f.amend(v.CheckinID, func(a *verifier.Visit) error {
		if err := desk(verifier.Referral, "CT-0815", "K01", []string{"elderly"}, ack)(a); err != nil {
			return err
		}
		// What no amendment may change is restored.
		a.CheckinID, a.Facility, a.Ticket, a.At, a.Day, a.Kiosk = "other", "01002", 99, a.At.Add(time.Hour), "2000-01-01", "k9"
		return nil
	})
	if d := sameDesk(got, want); d != "" {
		t.Errorf("Amend answered: %s", d)
	}
	stored, err := f.l.Checkin(f.ctx, v.CheckinID)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameDesk(stored, want); d != "" {
		t.Errorf("Checkin after Amend: %s", d)
	}
	if vs := f.visits(Citizen(1), v.Day); len(vs) != 1 || sameDesk(vs[0], want) != "" {
		t.Errorf("Visits after Amend: %+v, want the amended visit", vs)
	}
	// A second acknowledgement replaces the first; clearing a field clears it.
	ack2 := &verifier.Acknowledgement{Reason: verifier.AckOther, Note: "", By: "desk-2", At: f.at(0, 9, 5)}
	want.VisitType, want.ReferralNo, want.Acknowledgement = verifier.Outpatient, "", ack2
	f.amend(v.CheckinID, desk(verifier.Outpatient, "", "K01", []string{"elderly"}, ack2))
	stored, _ = f.l.Checkin(f.ctx, v.CheckinID)
	if d := sameDesk(stored, want); d != "" {
		t.Errorf("after a second Amend: %s", d)
	}
	// The re-scan rule and tickets see the visit as before.
	if r := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 3))); !r.Repeat || r.Visit.CheckinID != v.CheckinID || sameDesk(r.Visit, want) != "" {
		t.Errorf("re-scan after Amend: repeat %v, %+v; want the amended visit again", r.Repeat, r.Visit)
	}
}

// An amendment reaches the duplicate group auditors read, whether the
// group is filed before or after it.
func testAmendInGroup(t *testing.T, f *fixture) {
	a := f.record(f.rec(Citizen(1), "08001", f.at(0, 8, 0))).Visit
	ackA := &verifier.Acknowledgement{Reason: verifier.AckChronic, Note: "tái khám", By: "desk-a", At: f.at(0, 8, 1)}
	f.amend(a.CheckinID, desk(verifier.FollowUp, "", "", nil, ackA))
	b := f.record(f.rec(Citizen(1), "01002", f.at(0, 10, 0))).Visit
	ackB := &verifier.Acknowledgement{Reason: verifier.AckEmergency, By: "desk-b", At: f.at(0, 10, 1)}
	f.amend(b.CheckinID, desk(verifier.Emergency, "", "CC", []string{"emergency"}, ackB))
	gs := f.allDuplicates(verifier.DuplicateQuery{From: a.Day, To: a.Day, Citizen: Citizen(1)})
	if len(gs) != 1 || len(gs[0].Visits) != 2 {
		t.Fatalf("groups %v, want one with both visits", groupKeys(gs))
	}
	wantA, wantB := a, b
	wantA.VisitType, wantA.Acknowledgement = verifier.FollowUp, ackA
	wantB.VisitType, wantB.Department, wantB.Priority, wantB.Acknowledgement = verifier.Emergency, "CC", []string{"emergency"}, ackB
	for i, want := range []verifier.Visit{wantA, wantB} {
		if d := sameDesk(gs[0].Visits[i], want); d != "" {
			t.Errorf("group visit %d: %s", i, d)
		}
	}
	vs := f.visits(Citizen(1), a.Day)
	if len(vs) != 2 || sameDesk(vs[0], wantA) != "" || sameDesk(vs[1], wantB) != "" {
		t.Errorf("Visits: %+v, want both amended", vs)
	}
}

func testAmendRescanAndErrors(t *testing.T, f *fixture) {
	first := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 0))).Visit
	again := f.rec(Citizen(1), "08001", f.at(0, 9, 4))
	f.record(again)
	// The re-scan's ID amends the visit it was merged into.
	ack := &verifier.Acknowledgement{Reason: verifier.AckPatientChoice, By: "desk", At: f.at(0, 9, 5)}
	got := f.amend(again.Visit.CheckinID, desk(verifier.Outpatient, "", "", nil, ack))
	if got.CheckinID != first.CheckinID {
		t.Errorf("Amend of a re-scan's ID amended %q, want %q", got.CheckinID, first.CheckinID)
	}
	if v, _ := f.l.Checkin(f.ctx, first.CheckinID); v.Acknowledgement == nil {
		t.Errorf("the visit a re-scan was merged into is not amended: %+v", v)
	}
	if _, err := f.l.Amend(f.ctx, "ck-unknown", desk(verifier.Outpatient, "", "", nil, ack)); verifier.KindOf(err) != verifier.KindNotFound {
		t.Errorf("Amend(unknown) = %v, want KindNotFound", err)
	}
	// An error from fn is returned as it is, and nothing is stored.
	refuse := verifier.Errorf(verifier.KindForbidden, "forbidden_facility", "no")
	_, err := f.l.Amend(f.ctx, first.CheckinID, func(v *verifier.Visit) error {
		v.Department = "X"
		return refuse
	})
	if verifier.AsError(err).Code != "forbidden_facility" {
		t.Errorf("Amend with a refusing fn = %v, want its error", err)
	}
	if v, _ := f.l.Checkin(f.ctx, first.CheckinID); v.Department != "" {
		t.Errorf("a refused amendment was stored: %+v", v)
	}
}

// Concurrent amendments of one visit all take effect: none overwrites
// another's change with the visit it read before.
func testAmendConcurrent(t *testing.T, f *fixture) {
	v := f.record(f.rec(Citizen(1), "08001", f.at(0, 9, 0))).Visit
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code := fmt.Sprintf("g%d", i)
			if _, err := f.l.Amend(f.ctx, v.CheckinID, func(a *verifier.Visit) error {
				a.Priority = append(a.Priority, code)
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := f.l.Checkin(f.ctx, v.CheckinID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Priority) != n {
		t.Errorf("after %d concurrent amendments: priority %v, want %d codes", n, got.Priority, n)
	}
}
