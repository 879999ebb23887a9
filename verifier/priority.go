package verifier

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
)

// PriorityRules are the priority groups of a reception desk (docs/domain.md
// §11): some computed (an emergency from the visit type, children and the
// elderly from the population record's date of birth on the local visit
// day), the others chosen by the clerk (pregnancy, severe disability). The
// list and the ages of the 2023 Law on Medical Examination and Treatment
// are unconfirmed, so they are data: priority.json, replaced by a
// deployment's own file (kioskd -priority).
type PriorityRules struct {
	Groups []PriorityGroup `json:"groups"`
}

// PriorityGroup is one group. Rule says how it is computed: RuleEmergency,
// RuleAgeUnder or RuleAgeAtLeast (with Age, in completed years); "" means
// the clerk chooses it.
type PriorityGroup struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Rule string `json:"rule,omitempty"`
	Age  int    `json:"age,omitempty"`
}

// Priority group rules.
const (
	RuleEmergency  = "emergency"
	RuleAgeUnder   = "age_under"
	RuleAgeAtLeast = "age_at_least"
)

// Auto reports whether the group is computed rather than chosen.
func (g PriorityGroup) Auto() bool { return g.Rule != "" }

//go:embed priority.json
var defaultPriority []byte

// DefaultPriorityRules returns the groups shipped with the service:
// emergency, child (under 6), pregnant, disability, elderly (75 and over).
func DefaultPriorityRules() *PriorityRules {
	r, err := ParsePriorityRules(defaultPriority)
	if err != nil {
		panic("verifier: embedded priority.json is invalid: " + err.Error()) // a build defect, caught by tests
	}
	return r
}

// ParsePriorityRules parses and checks a priority document.
func ParsePriorityRules(b []byte) (*PriorityRules, error) {
	var r PriorityRules
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("priority rules: %w", err)
	}
	seen := map[string]bool{}
	for i, g := range r.Groups {
		switch {
		case g.Code == "" || len(g.Code) > 32 || !ValidCheckinID(g.Code):
			return nil, fmt.Errorf("priority rules: group %d: code must be 1 to 32 letters, digits, '-' or '_'", i+1)
		case seen[g.Code]:
			return nil, fmt.Errorf("priority rules: group %q appears twice", g.Code)
		case g.Rule != "" && g.Rule != RuleEmergency && g.Rule != RuleAgeUnder && g.Rule != RuleAgeAtLeast:
			return nil, fmt.Errorf("priority rules: group %q: rule must be emergency, age_under, age_at_least or absent", g.Code)
		case (g.Rule == RuleAgeUnder || g.Rule == RuleAgeAtLeast) && (g.Age < 1 || g.Age > 150):
			return nil, fmt.Errorf("priority rules: group %q: age must be between 1 and 150", g.Code)
		}
		seen[g.Code] = true
	}
	return &r, nil
}

// Group returns the group with code, if there is one.
func (r *PriorityRules) Group(code string) (PriorityGroup, bool) {
	for _, g := range r.Groups {
		if g.Code == code {
			return g, true
		}
	}
	return PriorityGroup{}, false
}

// Check refuses a chosen code that names no group.
func (r *PriorityRules) Check(chosen []string) error {
	for _, c := range chosen {
		if _, ok := r.Group(c); !ok {
			codes := make([]string, len(r.Groups))
			for i, g := range r.Groups {
				codes[i] = g.Code
			}
			return Errorf(KindUnprocessable, "invalid_priority", "priority %q is not a priority group of this service; choose among %v", truncate(c, 40), codes)
		}
	}
	return nil
}

// Of returns the visit's groups, in the rules' order: those computed from
// the visit type and the birth date on the local visit day, and those
// chosen (codes not in the rules are dropped: Check refuses them first).
// A birth date without a year computes no age group.
func (r *PriorityRules) Of(vt VisitType, dob Date, on Date, chosen []string) []string {
	var out []string
	for _, g := range r.Groups {
		in := slices.Contains(chosen, g.Code)
		switch g.Rule {
		case RuleEmergency:
			in = in || vt == Emergency
		case RuleAgeUnder:
			in = in || !dob.IsZero() && dob.AgeOn(on) < g.Age
		case RuleAgeAtLeast:
			in = in || !dob.IsZero() && dob.AgeOn(on) >= g.Age
		}
		if in {
			out = append(out, g.Code)
		}
	}
	return out
}

// Chosen returns the codes of groups a clerk chooses among codes: what
// stays of a visit's priority when its computed groups are computed again.
func (r *PriorityRules) Chosen(codes []string) []string {
	var out []string
	for _, c := range codes {
		if g, ok := r.Group(c); ok && !g.Auto() {
			out = append(out, c)
		}
	}
	return out
}

// truncate shortens s to at most n bytes on a rune boundary, for messages
// that quote what a client sent.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
