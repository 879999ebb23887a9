package verifier

import "encoding/json"

// CardStatus is the insurer's administrative state of a card.
type CardStatus string

const (
	CardActive  CardStatus = "active"
	CardRevoked CardStatus = "revoked"
	CardReduced CardStatus = "reduced"
)

// Card is a health-insurance (BHYT) card as the insurer's registry holds it.
// Name, birth date and gender are as printed on the card and may differ from
// the population record: that is a finding, not an error.
type Card struct {
	CardNo             string     `json:"card_no"` // 15-character code or 10-digit number
	CitizenID          CitizenID  `json:"citizen_id"`
	FullName           string     `json:"full_name"`
	DOB                Date       `json:"dob"`
	Gender             Gender     `json:"gender"`
	BenefitLevel       int        `json:"benefit_level"` // 1–5
	ObjectCode         string     `json:"object_code,omitempty"`
	RegisteredFacility string     `json:"registered_facility"` // 5 characters
	ValidFrom          Date       `json:"valid_from"`
	ValidTo            Date       `json:"valid_to,omitzero"` // zero: no end
	FiveYearsSince     Date       `json:"five_years_since,omitzero"`
	Status             CardStatus `json:"status,omitempty"` // "" means active
	// ReducedReason says why a reduced card was reduced: "moved_out" (121),
	// "moved_within" (122), "reenrolled" (123), "stopped" (124); an unknown
	// or empty reason answers the generic 120 (see ReducedCode).
	ReducedReason string `json:"reduced_reason,omitempty"`
	ReplacedBy    string `json:"replaced_by,omitempty"` // card_no of the newer card
	// SocialInsuranceNo is the holder's 10-digit social-insurance number
	// as the file gives it; "" when the file does not (SocialInsuranceNumber
	// then derives it from the card code).
	SocialInsuranceNo string `json:"social_insurance_no,omitempty"`
	AreaCode          string `json:"area_code,omitempty"`      // K1, K2, K3 (disadvantaged areas), or ""
	InsurerOffice     string `json:"insurer_office,omitempty"` // the managing social-insurance office's code

	Extra json.RawMessage `json:"-"` // a JSON object of the other members, or nil
	// FromCache: see Citizen.FromCache.
	FromCache bool `json:"-"`
}

// SocialInsuranceNumber returns the card's 10-digit social-insurance
// number: the one the registry holds, else the last 10 characters of a
// 15-character card code, or the 10-digit code itself (contract:
// "Additions", data files).
func (c *Card) SocialInsuranceNumber() string {
	if c.SocialInsuranceNo != "" {
		return c.SocialInsuranceNo
	}
	return DefaultSocialInsuranceNo(c.CardNo)
}

// DefaultSocialInsuranceNo is the social-insurance number a card code
// carries: its last 10 characters (the whole of a 10-digit code).
func DefaultSocialInsuranceNo(cardNo string) string {
	if len(cardNo) == 15 || len(cardNo) == 10 {
		return cardNo[len(cardNo)-10:]
	}
	return ""
}

// Area codes of a card (docs/domain.md §6: maKV).
var AreaCodes = []string{"K1", "K2", "K3"}

// Facility is a health facility that may check patients in.
type Facility struct {
	Code     string `json:"code"` // 5 characters, e.g. "08001"
	Name     string `json:"name"`
	Province string `json:"province"` // 2 digits
	Level    string `json:"level"`    // central, provincial, district, commune
	// Departments are the departments or rooms a desk sends patients to
	// (the ticket's "khoa/phòng", docs/domain.md §11); none: the desk
	// names none.
	Departments []Department `json:"departments,omitempty"`

	Extra json.RawMessage `json:"-"` // a JSON object of the other members, or nil
}

// Department is a department or room of a facility.
type Department struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Department returns the facility's department with code, if it has one.
func (f Facility) Department(code string) (Department, bool) {
	for _, d := range f.Departments {
		if d.Code == code {
			return d, true
		}
	}
	return Department{}, false
}

// Facility levels.
const (
	LevelCentral    = "central"
	LevelProvincial = "provincial"
	LevelDistrict   = "district"
	LevelCommune    = "commune"
)
