package verifier

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Route is how a patient reached the facility, as the insurer classifies it.
type Route string

const (
	RouteCorrect      Route = "correct"       // registered facility or referral
	RouteEmergency    Route = "emergency"     // emergencies count as correct route
	RouteSelfReferred Route = "self_referred" // "trái tuyến"
)

// CoverageRules decides what share of a covered cost the insurer pays. It is
// data, not code: the rules change with the law (they did on 1 July 2025)
// and a deployment must be able to replace them without a release.
type CoverageRules struct {
	BenefitPercent map[string]int `json:"benefit_percent"`
	FullAtCommune  []int          `json:"full_at_commune"`
	Routes         []RouteRule    `json:"routes"`
}

// RouteRule is one row of the route table; an empty field matches anything.
type RouteRule struct {
	Route         Route     `json:"route"`
	FacilityLevel string    `json:"facility_level,omitempty"`
	VisitType     VisitType `json:"visit_type,omitempty"`
	Percent       int       `json:"percent"`
}

//go:embed coverage.json
var defaultCoverage []byte

// DefaultCoverageRules returns the rules shipped with the service.
func DefaultCoverageRules() *CoverageRules {
	r, err := ParseCoverageRules(defaultCoverage)
	if err != nil {
		panic("verifier: embedded coverage.json is invalid: " + err.Error()) // a build defect, caught by tests
	}
	return r
}

// ParseCoverageRules parses and checks a rules document.
func ParseCoverageRules(b []byte) (*CoverageRules, error) {
	var r CoverageRules
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("coverage rules: %w", err)
	}
	for lvl := 1; lvl <= 5; lvl++ {
		p, ok := r.BenefitPercent[strconv.Itoa(lvl)]
		if !ok || p < 0 || p > 100 {
			return nil, fmt.Errorf("coverage rules: benefit_percent for level %d missing or outside 0–100", lvl)
		}
	}
	if len(r.Routes) == 0 {
		return nil, fmt.Errorf("coverage rules: no routes")
	}
	for i, rr := range r.Routes {
		if rr.Percent < 0 || rr.Percent > 100 {
			return nil, fmt.Errorf("coverage rules: route row %d: percent outside 0–100", i+1)
		}
	}
	return &r, nil
}

// Percent returns the share (0–100) the insurer pays for a card of the
// given benefit level at a facility of the given level, by route and visit
// type. A route no row matches pays 0.
func (r *CoverageRules) Percent(benefitLevel int, facilityLevel string, route Route, vt VisitType) int {
	base, ok := r.BenefitPercent[strconv.Itoa(benefitLevel)]
	if !ok {
		return 0
	}
	if facilityLevel == LevelCommune && slices.Contains(r.FullAtCommune, benefitLevel) {
		base = 100
	}
	for _, rr := range r.Routes {
		if rr.Route != route ||
			rr.FacilityLevel != "" && rr.FacilityLevel != facilityLevel ||
			rr.VisitType != "" && rr.VisitType != vt {
			continue
		}
		return base * rr.Percent / 100
	}
	return 0
}
