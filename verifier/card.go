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
	// ReducedReason says why a reduced card was reduced: "moved_out" (120),
	// "moved_within" (121), "reenrolled" (122), "stopped" (123/124). An
	// unknown or empty reason answers 120–124 as 124.
	ReducedReason string `json:"reduced_reason,omitempty"`
	ReplacedBy    string `json:"replaced_by,omitempty"` // card_no of the newer card

	Extra json.RawMessage `json:"-"` // a JSON object of the other members, or nil
	// FromCache: see Citizen.FromCache.
	FromCache bool `json:"-"`
}

// Facility is a health facility that may check patients in.
type Facility struct {
	Code     string `json:"code"` // 5 characters, e.g. "08001"
	Name     string `json:"name"`
	Province string `json:"province"` // 2 digits
	Level    string `json:"level"`    // central, provincial, district, commune

	Extra json.RawMessage `json:"-"` // a JSON object of the other members, or nil
}

// Facility levels.
const (
	LevelCentral    = "central"
	LevelProvincial = "provincial"
	LevelDistrict   = "district"
	LevelCommune    = "commune"
)
