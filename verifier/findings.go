package verifier

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FindingKind names what an auditor should look at in the claims. The
// rules are all here (docs/domain.md §10): only outpatient examinations
// (MA_LOAI_KCB 01) count as visits; a drug refill (07) or a treatment
// period (02, 05) on the same day is not a second examination.
type FindingKind string

const (
	// FindingMultiFacility: examinations of one citizen at two or more
	// facilities on one local day (the insurer may pay twice).
	FindingMultiFacility FindingKind = "multi_facility_same_day"
	// FindingSameFacility: two examinations with different MA_LK at one
	// facility on one day (the second is paid at 30%, Circular 39/2018
	// Art. 5).
	FindingSameFacility FindingKind = "same_facility_same_day"
	// FindingNoCheckin: an examination claimed by a facility where the
	// citizen did not check in that day. Judged only for days whose
	// same-day window the ledger still holds (FindingsPage.NoCheckinFrom).
	FindingNoCheckin FindingKind = "claim_without_checkin"
	// FindingFlaggedClaimed: a same-day group flagged at the desks whose
	// visits were all claimed, each by its facility.
	FindingFlaggedClaimed FindingKind = "flagged_checkins_all_claimed"
)

// FindingKinds lists the kinds in the order findings of a day are listed.
var FindingKinds = []FindingKind{FindingMultiFacility, FindingSameFacility, FindingNoCheckin, FindingFlaggedClaimed}

// FindingClaim is a claim as a finding shows it.
type FindingClaim struct {
	Facility     string `json:"facility"`
	FacilityName string `json:"facility_name"`
	MaLK         string `json:"ma_lk"`
	MaLoaiKCB    string `json:"ma_loai_kcb"`
	NgayVao      string `json:"ngay_vao"` // yyyyMMddHHmm, local
	NgayRa       string `json:"ngay_ra,omitempty"`
	TBHTT        Amount `json:"t_bhtt"`
	CardNo       string `json:"ma_the_bhyt,omitempty"`
	MaBN         string `json:"ma_bn,omitempty"`
}

// FindingCheckin is a check-in as a finding shows it: the visit (with the
// desk's acknowledgement when one was recorded) and its facility's name.
type FindingCheckin = Visit

// Finding is one thing for an auditor to review: a citizen's local day,
// the claims that raise it and the check-ins recorded that day.
type Finding struct {
	Kind      FindingKind      `json:"kind"`
	Day       string           `json:"day"`
	CitizenID CitizenID        `json:"citizen_id,omitempty"` // "" : only the card is known
	CardNo    string           `json:"card_no,omitempty"`
	FullName  string           `json:"full_name"`
	Claims    []FindingClaim   `json:"claims"`
	Checkins  []FindingCheckin `json:"checkins"`
	// TBHTT is what the insurer pays for the finding's claims.
	TBHTT float64 `json:"t_bhtt_total"`
	// Review is the auditor's review of the day's duplicate group, when
	// the check-ins formed one.
	Review *Review `json:"review,omitempty"`
}

// Facilities returns the finding's distinct facilities, sorted.
func (f Finding) Facilities() []string {
	var out []string
	for _, c := range f.Claims {
		out = append(out, c.Facility)
	}
	for _, c := range f.Checkins {
		out = append(out, c.Facility)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FindingsQuery selects findings: local days From..To (inclusive, at most
// MaxDuplicateRange), optionally one Kind and findings touching Facility.
type FindingsQuery struct {
	From, To string
	Facility string
	Kind     FindingKind
	Limit    int
	Cursor   string
}

// FindingsPage is one page of findings.
type FindingsPage struct {
	Items      []Finding `json:"items"`
	NextCursor string    `json:"next_cursor"`
	// NoCheckinFrom is the first day for which claim_without_checkin is
	// judged: the ledger forgets a citizen's check-ins of a day (unless
	// flagged) after the longest offline delay, so absence before it
	// proves nothing.
	NoCheckinFrom string `json:"no_checkin_from"`
}

// Findings returns one page of findings. Each day is computed afresh from
// its claims, its duplicate groups and the check-ins of its claimed
// citizens: memory is one day's claims, whatever the range.
func (s *Service) Findings(ctx context.Context, q FindingsQuery) (FindingsPage, error) {
	from, to, err := s.findingsRange(q.From, q.To)
	if err != nil {
		return FindingsPage{}, err
	}
	if q.Kind != "" && !slices.Contains(FindingKinds, q.Kind) {
		return FindingsPage{}, Errorf(KindUnprocessable, "invalid_kind", "kind must be one of multi_facility_same_day, same_facility_same_day, claim_without_checkin, flagged_checkins_all_claimed")
	}
	switch {
	case q.Limit == 0:
		q.Limit = 100
	case q.Limit < 0 || q.Limit > 1000:
		return FindingsPage{}, Errorf(KindUnprocessable, "invalid_limit", "limit must be between 1 and 1000")
	}
	day, skip := from, 0
	if q.Cursor != "" {
		d, n, ok := parseFindingsCursor(q.Cursor)
		if !ok || d.Before(from) || to.Before(d) {
			return FindingsPage{}, Errorf(KindInvalid, "invalid_cursor", "the cursor is not one this server returned for this range")
		}
		day, skip = d, n
	}
	page := FindingsPage{Items: []Finding{}, NoCheckinFrom: s.noCheckinFrom().String()}
	names := s.facilityNames()
	for ; !to.Before(day); day, skip = day.AddDays(1), 0 {
		all, err := s.dayFindingsOf(ctx, day.String(), q.Kind, q.Facility, names)
		if err != nil {
			return FindingsPage{}, err
		}
		for i := skip; i < len(all); i++ {
			if len(page.Items) == q.Limit {
				page.NextCursor = findingsCursor(day, i)
				return page, nil
			}
			page.Items = append(page.Items, all[i])
		}
	}
	return page, nil
}

func (s *Service) findingsRange(f, t string) (Date, Date, error) {
	from, err := parseDay(f, "from")
	if err != nil {
		return Date{}, Date{}, err
	}
	to, err := parseDay(t, "to")
	if err != nil {
		return Date{}, Date{}, err
	}
	ft, tt := from.Time(time.UTC), to.Time(time.UTC)
	if tt.Before(ft) {
		return Date{}, Date{}, Errorf(KindUnprocessable, "invalid_range", "to is before from")
	}
	if tt.Sub(ft) > MaxDuplicateRange*24*time.Hour {
		return Date{}, Date{}, Errorf(KindUnprocessable, "invalid_range", "a query covers at most %d days", MaxDuplicateRange)
	}
	return from, to, nil
}

// noCheckinFrom is the oldest local day whose same-day window every
// ledger still holds (see windowExpiry).
func (s *Service) noCheckinFrom() Date {
	now := s.Now().In(s.Location)
	return NewDate(now.Add(-s.MaxOfflineAge)).AddDays(1)
}

func findingsCursor(d Date, i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(d.String() + "|" + strconv.Itoa(i)))
}

func parseFindingsCursor(c string) (Date, int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return Date{}, 0, false
	}
	ds, ns, ok := strings.Cut(string(b), "|")
	d, err := ParseDate(ds)
	n, nerr := strconv.Atoi(ns)
	if !ok || err != nil || !d.Full() || nerr != nil || n < 0 {
		return Date{}, 0, false
	}
	return d, n, true
}

// facilityNames returns a request's memo of facility names ("" when the
// registry does not know the code).
func (s *Service) facilityNames() func(ctx context.Context, code string) string {
	var mu sync.Mutex
	memo := map[string]string{}
	return func(ctx context.Context, code string) string {
		mu.Lock()
		defer mu.Unlock()
		if n, ok := memo[code]; ok {
			return n
		}
		n := ""
		if s.Facilities != nil {
			if f, err := s.Facilities.Facility(ctx, code); err == nil {
				n = f.Name
			}
		}
		memo[code] = n
		return n
	}
}

// FacilityName returns a facility's name, "" when unknown: for exports
// that put names beside codes.
func (s *Service) FacilityName(ctx context.Context, code string) string {
	if s.Facilities == nil {
		return ""
	}
	f, err := s.Facilities.Facility(ctx, code)
	if err != nil {
		return ""
	}
	return f.Name
}

// person is one citizen's claims and check-ins of a day.
type person struct {
	key      string // citizen ID, or "card:" + card number
	citizen  CitizenID
	card     string
	name     string
	claims   []Claim
	visits   []Visit
	visitsOK bool // visits were read
	group    *DuplicateGroup
}

// visitLookups bounds the concurrent Visits calls of one day.
const visitLookups = 16

// compareClaims orders claims by visit time, then facility and MA_LK (the
// order of Key, compared without building it: a month's findings sort
// millions of claims).
func compareClaims(a, b Claim) int {
	return cmp.Or(strings.Compare(a.NgayVao, b.NgayVao), strings.Compare(a.Facility, b.Facility), strings.Compare(a.MaLK, b.MaLK))
}

// dayFindingsOf computes the findings of one day, in a stable order.
func (s *Service) dayFindingsOf(ctx context.Context, day string, kind FindingKind, facility string, names func(context.Context, string) string) ([]Finding, error) {
	if s.Claims == nil {
		return nil, Errorf(KindUnavailable, "claims_unavailable", "this server keeps no claims")
	}
	claims, err := s.Claims.ClaimsOn(ctx, day)
	if err != nil {
		return nil, err
	}
	// The stores answer in no particular order (a map in process, a hash
	// in Redis); the person's name below is their first claim's, so take
	// the claims in the order the findings list them, or the same file
	// would name a person differently from one call to the next.
	slices.SortFunc(claims, compareClaims)
	people := map[string]*person{}
	for _, c := range claims {
		key := string(c.CitizenID)
		if key == "" {
			key = "card:" + c.CardNo
		}
		p := people[key]
		if p == nil {
			p = &person{key: key, citizen: c.CitizenID, card: c.CardNo, name: c.FullName}
			people[key] = p
		}
		p.claims = append(p.claims, c)
	}
	// The day's flagged groups.
	want := func(k FindingKind) bool { return kind == "" || kind == k }
	if want(FindingFlaggedClaimed) || want(FindingMultiFacility) || want(FindingSameFacility) {
		q := DuplicateQuery{From: day, To: day, Limit: 1000}
		for {
			page, err := s.Ledger.Duplicates(ctx, q)
			if err != nil {
				return nil, err
			}
			for i := range page.Items {
				g := page.Items[i]
				p := people[string(g.CitizenID)]
				if p == nil {
					continue // no claim: no finding of claims
				}
				p.group = &g
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
	}
	// The check-ins of every claimed citizen that day.
	d, _ := ParseDate(day)
	judgeAbsence := !d.Before(s.noCheckinFrom())
	var list []*person
	for _, p := range people {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b *person) int { return strings.Compare(a.key, b.key) })
	if err := s.readVisits(ctx, day, list); err != nil {
		return nil, err
	}

	var out []Finding
	for _, p := range list {
		// p.claims are in compareClaims order: taken from the sorted day.
		var exams []Claim
		for _, c := range p.claims {
			if c.Examination() {
				exams = append(exams, c)
			}
		}
		facs := map[string][]Claim{}
		var order []string
		for _, c := range exams {
			if facs[c.Facility] == nil {
				order = append(order, c.Facility)
			}
			facs[c.Facility] = append(facs[c.Facility], c)
		}
		if want(FindingMultiFacility) && len(order) >= 2 {
			out = append(out, s.finding(ctx, FindingMultiFacility, day, p, exams, p.visits, names))
		}
		if want(FindingSameFacility) {
			for _, f := range order {
				if len(facs[f]) >= 2 {
					out = append(out, s.finding(ctx, FindingSameFacility, day, p, facs[f], visitsAt(p.visits, f), names))
				}
			}
		}
		if want(FindingNoCheckin) && judgeAbsence && p.citizen != "" && p.visitsOK {
			for _, c := range exams {
				if len(visitsAt(p.visits, c.Facility)) == 0 {
					out = append(out, s.finding(ctx, FindingNoCheckin, day, p, []Claim{c}, p.visits, names))
				}
			}
		}
		if want(FindingFlaggedClaimed) && p.group != nil && allClaimed(p.group.Visits, p.claims) {
			out = append(out, s.finding(ctx, FindingFlaggedClaimed, day, p, p.claims, p.group.Visits, names))
		}
	}
	if facility != "" {
		out = slices.DeleteFunc(out, func(f Finding) bool { return !slices.Contains(f.Facilities(), facility) })
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Compare(slices.Index(FindingKinds, a.Kind), slices.Index(FindingKinds, b.Kind))
	})
	return out, nil
}

// readVisits reads the day's visits of each identified citizen, a few at a
// time.
func (s *Service) readVisits(ctx context.Context, day string, list []*person) error {
	sem := make(chan struct{}, visitLookups)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, p := range list {
		if p.citizen == "" {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			vs, err := s.Ledger.Visits(ctx, p.citizen, day)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			p.visits, p.visitsOK = vs, true
		})
	}
	wg.Wait()
	return first
}

func visitsAt(vs []Visit, facility string) []Visit {
	var out []Visit
	for _, v := range vs {
		if v.Facility == facility {
			out = append(out, v)
		}
	}
	return out
}

// allClaimed reports whether every facility of the visits has a claim.
func allClaimed(vs []Visit, claims []Claim) bool {
	for _, v := range vs {
		if !slices.ContainsFunc(claims, func(c Claim) bool { return c.Facility == v.Facility }) {
			return false
		}
	}
	return len(vs) > 0
}

func (s *Service) finding(ctx context.Context, kind FindingKind, day string, p *person, claims []Claim, visits []Visit, names func(context.Context, string) string) Finding {
	f := Finding{Kind: kind, Day: day, CitizenID: p.citizen, FullName: p.name, Claims: []FindingClaim{}, Checkins: []FindingCheckin{}}
	if p.citizen == "" {
		f.CardNo = p.card
	}
	if p.group != nil {
		f.FullName = cmp.Or(p.group.FullName, f.FullName)
		f.Review = p.group.Review
	}
	for _, c := range claims {
		f.Claims = append(f.Claims, FindingClaim{Facility: c.Facility, FacilityName: names(ctx, c.Facility), MaLK: c.MaLK, MaLoaiKCB: c.MaLoaiKCB,
			NgayVao: c.NgayVao, NgayRa: c.NgayRa, TBHTT: c.TBHTT, CardNo: c.CardNo, MaBN: c.MaBN})
		f.TBHTT += c.TBHTT.Float()
	}
	for _, v := range visits {
		s.localVisit(&v)
		v.FacilityName = names(ctx, v.Facility)
		f.Checkins = append(f.Checkins, v)
	}
	return f
}

// FindingsSummary counts findings over a day range for the auditors'
// charts: per day and kind, per facility and per facility pair.
type FindingsSummary struct {
	From       string               `json:"from"`
	To         string               `json:"to"`
	Findings   int                  `json:"findings"`
	TBHTT      float64              `json:"t_bhtt_total"`
	ByKind     map[FindingKind]int  `json:"by_kind"`
	ByDay      []FindingDayCount    `json:"by_day"`
	ByFacility []FindingFacilitySum `json:"by_facility"`
	ByPair     []FindingPairSum     `json:"by_pair"`
}

// FindingDayCount is one day's findings by kind.
type FindingDayCount struct {
	Day    string              `json:"day"`
	ByKind map[FindingKind]int `json:"by_kind"`
}

// FindingFacilitySum is one facility's share of the findings.
type FindingFacilitySum struct {
	Facility string  `json:"facility"`
	Name     string  `json:"name"`
	Findings int     `json:"findings"`
	TBHTT    float64 `json:"t_bhtt_total"`
}

// FindingPairSum counts the findings in which two facilities both appear.
type FindingPairSum struct {
	Facilities [2]string `json:"facilities"`
	Names      [2]string `json:"names"`
	Findings   int       `json:"findings"`
}

// SummarizeFindings walks the range day by day.
func (s *Service) SummarizeFindings(ctx context.Context, from, to, facility string) (FindingsSummary, error) {
	f, t, err := s.findingsRange(from, to)
	if err != nil {
		return FindingsSummary{}, err
	}
	sum := FindingsSummary{From: from, To: to, ByKind: map[FindingKind]int{}, ByDay: []FindingDayCount{}, ByFacility: []FindingFacilitySum{}, ByPair: []FindingPairSum{}}
	for _, k := range FindingKinds {
		sum.ByKind[k] = 0
	}
	names := s.facilityNames()
	byFac := map[string]*FindingFacilitySum{}
	byPair := map[[2]string]int{}
	for d := f; !t.Before(d); d = d.AddDays(1) {
		all, err := s.dayFindingsOf(ctx, d.String(), "", facility, names)
		if err != nil {
			return FindingsSummary{}, err
		}
		dc := FindingDayCount{Day: d.String(), ByKind: map[FindingKind]int{}}
		for _, k := range FindingKinds {
			dc.ByKind[k] = 0
		}
		for _, fd := range all {
			sum.Findings++
			sum.TBHTT += fd.TBHTT
			sum.ByKind[fd.Kind]++
			dc.ByKind[fd.Kind]++
			facs := fd.Facilities()
			for _, c := range fd.Claims {
				fs := byFac[c.Facility]
				if fs == nil {
					fs = &FindingFacilitySum{Facility: c.Facility, Name: c.FacilityName}
					byFac[c.Facility] = fs
				}
				fs.TBHTT += c.TBHTT.Float()
			}
			for _, fc := range facs {
				fs := byFac[fc]
				if fs == nil {
					fs = &FindingFacilitySum{Facility: fc, Name: names(ctx, fc)}
					byFac[fc] = fs
				}
				fs.Findings++
			}
			for i := range facs {
				for j := i + 1; j < len(facs); j++ {
					byPair[[2]string{facs[i], facs[j]}]++
				}
			}
		}
		sum.ByDay = append(sum.ByDay, dc)
	}
	for _, fs := range byFac {
		sum.ByFacility = append(sum.ByFacility, *fs)
	}
	slices.SortFunc(sum.ByFacility, func(a, b FindingFacilitySum) int {
		return cmp.Or(cmp.Compare(b.Findings, a.Findings), strings.Compare(a.Facility, b.Facility))
	})
	for p, n := range byPair {
		sum.ByPair = append(sum.ByPair, FindingPairSum{Facilities: p, Names: [2]string{names(ctx, p[0]), names(ctx, p[1])}, Findings: n})
	}
	slices.SortFunc(sum.ByPair, func(a, b FindingPairSum) int {
		return cmp.Or(cmp.Compare(b.Findings, a.Findings), strings.Compare(a.Facilities[0]+a.Facilities[1], b.Facilities[0]+b.Facilities[1]))
	})
	return sum, nil
}
