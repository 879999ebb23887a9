package verifier

import (
	"strings"
	"time"
)

// Eligibility statuses.
const (
	Eligible   = "eligible"
	Ineligible = "ineligible"
	Unknown    = "unknown" // cannot be decided here: check papers, or the insurer's registry is down
)

// Eligibility is the insurance decision for one citizen or card on one local
// day at one facility, in the insurer gateway's vocabulary. "Not insured"
// is a decision, not an error.
type Eligibility struct {
	Status          string `json:"status"`
	Code            string `json:"code"`
	Message         string `json:"message"`
	MessageEN       string `json:"message_en,omitempty"`
	CardNo          string `json:"card_no,omitempty"`
	BenefitLevel    int    `json:"benefit_level,omitempty"`
	ObjectCode      string `json:"object_code,omitempty"`
	CoveragePercent int    `json:"coverage_percent"`
	Route           Route  `json:"route,omitempty"`
	// FacilityLevel is the level of the facility the coverage was decided
	// for (with Route and the visit type it decides CoveragePercent: "0%
	// self-referred at a provincial hospital"); set with Route.
	FacilityLevel      string `json:"facility_level,omitempty"`
	ValidFrom          Date   `json:"valid_from,omitzero"`
	ValidTo            Date   `json:"valid_to,omitzero"`
	RegisteredFacility string `json:"registered_facility,omitempty"`
	// RegisteredFacilityName is RegisteredFacility's name in the facility
	// registry, for the desk that reads it ("" when the registry does not
	// know the code). Filled in by the service's answers, not by Decide.
	RegisteredFacilityName string     `json:"registered_facility_name,omitempty"`
	FiveYearsSince         Date       `json:"five_years_since,omitzero"`
	ReplacedBy             string     `json:"replaced_by,omitempty"`
	NewCard                *CardTerms `json:"new_card,omitempty"`
	// SocialInsuranceNo, AreaCode and InsurerOffice are the card's (the
	// gateway's maSoBHXH, maKV and cqBHXH).
	SocialInsuranceNo string `json:"social_insurance_no,omitempty"`
	AreaCode          string `json:"area_code,omitempty"`
	InsurerOffice     string `json:"insurer_office,omitempty"`
	// CurrentCitizenID is set when the citizen was asked for by a cancelled
	// ID (docs/domain.md §2): it is the ID the person holds now, and Warnings
	// says "cancelled_id_presented".
	CurrentCitizenID CitizenID `json:"current_citizen_id,omitempty"`
	Warnings         []string  `json:"warnings,omitempty"`
	// Reason says why the status is unknown when no result code explains
	// it (e.g. "insurance_registry_unavailable").
	Reason string `json:"reason,omitempty"`
	// History lists the holder's check-ins today at other facilities, like
	// the gateway's check history; nil when not asked for or unavailable.
	History []CheckRecord `json:"history,omitzero"`
	// Cached reports that the decision rests on a cached copy of the card
	// because the insurer's registry did not answer.
	Cached bool `json:"cached,omitempty"`
	// Holder is the holder's data as printed on the card, for answers in
	// the gateway's format; it is not part of the JSON decision.
	Holder *Stated `json:"-"`
	// CitizenID is the card holder's, for the access log; not in the JSON.
	CitizenID CitizenID `json:"-"`
}

// CheckRecord is one check of a card at a facility.
type CheckRecord struct {
	Facility  string    `json:"facility"`
	At        time.Time `json:"at"`
	VisitType VisitType `json:"visit_type"`
	Code      string    `json:"code,omitempty"`
}

// CardTerms is the number and validity of a card that replaced another.
type CardTerms struct {
	CardNo             string `json:"card_no"`
	ValidFrom          Date   `json:"valid_from,omitzero"`
	ValidTo            Date   `json:"valid_to,omitzero"`
	RegisteredFacility string `json:"registered_facility,omitempty"`
}

// Stated is what a caller read from a card or a patient: the gateway checks
// it against the insurer's record. Empty fields are not checked.
type Stated struct {
	FullName string
	DOB      Date
	Gender   Gender
	// RegisteredFacility is the registered facility as the caller read it
	// from the card (090 when it is not the card's).
	RegisteredFacility string
}

// Decision is the input of Decide.
type Decision struct {
	Card       *Card // the card to check; nil when the citizen has none
	NewCard    *Card // the card that replaced Card, when Card.ReplacedBy is set and known
	Stated     Stated
	CitizenDOB Date // the population record's birth date, for children without a card
	Facility   Facility
	VisitType  VisitType
	On         Date // the local day of the visit
}

// Decide returns the gateway's answer for one card. The checks run in the
// gateway's order: card presence, stated identity, administrative status,
// replacement, validity.
func (r *CoverageRules) Decide(d Decision) Eligibility {
	c := d.Card
	if c == nil {
		if !d.CitizenDOB.IsZero() && d.CitizenDOB.AgeOn(d.On) < 6 {
			return result(Unknown, CodeChildNoCard)
		}
		return result(Ineligible, CodeNoCard)
	}
	e := result(Ineligible, CodeOK)
	e.Cached = c.FromCache || d.NewCard != nil && d.NewCard.FromCache
	e.Holder = &Stated{FullName: c.FullName, DOB: c.DOB, Gender: c.Gender}
	e.CitizenID = c.CitizenID
	e.CardNo, e.BenefitLevel, e.ObjectCode = c.CardNo, c.BenefitLevel, c.ObjectCode
	e.ValidFrom, e.ValidTo, e.FiveYearsSince = c.ValidFrom, c.ValidTo, c.FiveYearsSince
	e.RegisteredFacility, e.ReplacedBy = c.RegisteredFacility, c.ReplacedBy
	e.SocialInsuranceNo, e.AreaCode, e.InsurerOffice = c.SocialInsuranceNumber(), c.AreaCode, c.InsurerOffice

	code := CodeOK
	switch {
	case d.Stated.FullName != "" && !SameName(d.Stated.FullName, c.FullName):
		code = CodeWrongName
		if FirstLetterMatches(d.Stated.FullName, c.FullName) {
			code = CodeWrongNameFirst
		}
	case !d.Stated.DOB.IsZero() && !c.DOB.IsZero() && !d.Stated.DOB.Compatible(c.DOB):
		code = CodeWrongDOB
	case d.Stated.Gender != "" && c.Gender != "" && d.Stated.Gender != c.Gender:
		code = CodeWrongGender
	case d.Stated.RegisteredFacility != "" && !strings.EqualFold(strings.ReplaceAll(d.Stated.RegisteredFacility, " ", ""), c.RegisteredFacility):
		code = CodeWrongFacility
	case c.Status == CardRevoked:
		code = CodeRevoked
	case c.Status == CardReduced:
		code = ReducedCode(c.ReducedReason)
	case c.ReplacedBy != "":
		code = CodeReplacedValid
		if !validOn(c, d.On) {
			code = CodeReplacedExpired
		}
	case !validOn(c, d.On):
		code = CodeExpired
	case c.ObjectCode == "QN":
		code = CodeDefenceOffice
	case c.ObjectCode == "CA":
		code = CodePoliceOffice
	}
	e.setCode(code)

	// Which card pays: the checked one, or for an expired replaced card the
	// new one, when it is valid.
	payer := c
	switch code {
	case CodeOK, CodeReplacedValid:
		e.Status = Eligible
	case CodeReplacedExpired:
		if d.NewCard != nil && validOn(d.NewCard, d.On) && d.NewCard.Status != CardRevoked && d.NewCard.Status != CardReduced {
			e.Status, payer = Eligible, d.NewCard
		}
	case CodeDefenceOffice, CodePoliceOffice:
		e.Status = Unknown
	}
	if d.NewCard != nil {
		e.NewCard = &CardTerms{CardNo: d.NewCard.CardNo, ValidFrom: d.NewCard.ValidFrom, ValidTo: d.NewCard.ValidTo, RegisteredFacility: d.NewCard.RegisteredFacility}
	}
	if e.Status == Eligible {
		e.Route, e.FacilityLevel = routeOf(payer, d.Facility, d.VisitType), d.Facility.Level
		e.CoveragePercent = r.Percent(payer.BenefitLevel, d.Facility.Level, e.Route, d.VisitType)
	}
	return e
}

// CheckCardNo validates the shape of a card number as the gateway does and
// returns "" when it is well-formed, or the result code that rejects it:
// 051 for a malformed number, 053 for a bad benefit character, 052 for a
// bad province in an old-style 15-character code.
func CheckCardNo(no string) string {
	switch len(no) {
	case 10:
		if !allDigits(no) {
			return CodeBadCardNo
		}
		return ""
	case 15:
		if !isUpperLetter(no[0]) || !isUpperLetter(no[1]) || !allDigits(no[2:]) {
			return CodeBadCardNo
		}
		if no[2] < '1' || no[2] > '5' {
			return CodeBadBenefit
		}
		if _, ok := provinces["0"+no[3:5]]; !ok {
			return CodeBadProvince
		}
		return ""
	}
	return CodeBadCardNo
}

// CurrentCard picks the card that answers for a citizen on a day: a card
// not replaced by another beats a replaced one, an active one a revoked or
// reduced one, one valid on the day an invalid one, then the latest end.
func CurrentCard(cards []Card, on Date) *Card {
	var best *Card
	var bestRank [4]int
	for i := range cards {
		c := &cards[i]
		rank := [4]int{b2i(c.ReplacedBy == ""), b2i(c.Status == "" || c.Status == CardActive), b2i(validOn(c, on)), endKey(c)}
		if best == nil || greater(rank, bestRank) {
			best, bestRank = c, rank
		}
	}
	return best
}

func routeOf(c *Card, f Facility, vt VisitType) Route {
	switch {
	case vt == Emergency:
		return RouteEmergency
	case vt == Referral || vt == FollowUp || strings.EqualFold(c.RegisteredFacility, f.Code):
		return RouteCorrect
	}
	return RouteSelfReferred
}

func validOn(c *Card, on Date) bool {
	if !c.ValidFrom.IsZero() && on.Before(c.ValidFrom) {
		return false
	}
	return c.ValidTo.IsZero() || !c.ValidTo.Before(on)
}

func result(status, code string) Eligibility {
	e := Eligibility{Status: status}
	e.setCode(code)
	return e
}

func (e *Eligibility) setCode(code string) {
	e.Code = code
	m := ResultMessages[code]
	e.Message, e.MessageEN = m[0], m[1]
}

func endKey(c *Card) int {
	if c.ValidTo.IsZero() {
		return 99999999
	}
	return c.ValidTo.Year*10000 + c.ValidTo.Month*100 + c.ValidTo.Day
}

func greater(a, b [4]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isUpperLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
