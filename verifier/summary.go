package verifier

import (
	"context"
	"slices"
	"strings"
)

// DuplicateSummary is the auditor's overview of a day range: how many
// citizens were seen at several facilities on one day, with how many
// visits, per facility and per pair of facilities.
type DuplicateSummary struct {
	From       string            `json:"from"`
	To         string            `json:"to"`
	Groups     int               `json:"groups"`   // citizen-days flagged
	Citizens   int               `json:"citizens"` // distinct citizens among them
	Visits     int               `json:"visits"`
	ByFacility []FacilityCount   `json:"by_facility"`
	ByPair     []FacilityPairSum `json:"by_pair"`
	// ByDay counts the groups of each day of the range that has any.
	ByDay []DayCount `json:"by_day"`
}

// DayCount is one day's flagged groups.
type DayCount struct {
	Day    string `json:"day"`
	Groups int    `json:"groups"`
	Visits int    `json:"visits"`
}

// FacilityCount is one facility's share of the flagged groups.
type FacilityCount struct {
	Facility string `json:"facility"`
	Name     string `json:"name"` // "" when the registry does not know it
	Groups   int    `json:"groups"`
	Visits   int    `json:"visits"`
}

// FacilityPairSum counts the groups in which two facilities both appear.
type FacilityPairSum struct {
	Facilities [2]string `json:"facilities"`
	Names      [2]string `json:"names"`
	Groups     int       `json:"groups"`
}

// SummarizeDuplicates walks every group of the range (optionally of one
// facility) page by page and counts them; memory grows with the number of
// facilities and pairs, not of groups.
func (s *Service) SummarizeDuplicates(ctx context.Context, from, to, facility string) (DuplicateSummary, error) {
	sum := DuplicateSummary{From: from, To: to, ByFacility: []FacilityCount{}, ByPair: []FacilityPairSum{}, ByDay: []DayCount{}}
	names := s.facilityNames()
	byFac := map[string]*FacilityCount{}
	byPair := map[[2]string]int{}
	citizens := map[CitizenID]struct{}{}
	q := DuplicateQuery{From: from, To: to, Facility: facility, Limit: 1000}
	for {
		page, err := s.Duplicates(ctx, q)
		if err != nil {
			return DuplicateSummary{}, err
		}
		for _, g := range page.Items {
			sum.Groups++
			sum.Visits += len(g.Visits)
			if n := len(sum.ByDay); n == 0 || sum.ByDay[n-1].Day != g.Day {
				sum.ByDay = append(sum.ByDay, DayCount{Day: g.Day})
			}
			sum.ByDay[len(sum.ByDay)-1].Groups++
			sum.ByDay[len(sum.ByDay)-1].Visits += len(g.Visits)
			citizens[g.CitizenID] = struct{}{}
			var facs []string
			for _, v := range g.Visits {
				fc := byFac[v.Facility]
				if fc == nil {
					fc = &FacilityCount{Facility: v.Facility, Name: names(ctx, v.Facility)}
					byFac[v.Facility] = fc
				}
				fc.Visits++
				if !slices.Contains(facs, v.Facility) {
					facs = append(facs, v.Facility)
					fc.Groups++
				}
			}
			slices.Sort(facs)
			for i := range facs {
				for j := i + 1; j < len(facs); j++ {
					byPair[[2]string{facs[i], facs[j]}]++
				}
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	sum.Citizens = len(citizens)
	for _, fc := range byFac {
		sum.ByFacility = append(sum.ByFacility, *fc)
	}
	slices.SortFunc(sum.ByFacility, func(a, b FacilityCount) int {
		if a.Groups != b.Groups {
			return b.Groups - a.Groups
		}
		return strings.Compare(a.Facility, b.Facility)
	})
	for p, n := range byPair {
		sum.ByPair = append(sum.ByPair, FacilityPairSum{Facilities: p, Names: [2]string{names(ctx, p[0]), names(ctx, p[1])}, Groups: n})
	}
	slices.SortFunc(sum.ByPair, func(a, b FacilityPairSum) int {
		if a.Groups != b.Groups {
			return b.Groups - a.Groups
		}
		return strings.Compare(a.Facilities[0]+a.Facilities[1], b.Facilities[0]+b.Facilities[1])
	})
	return sum, nil
}
