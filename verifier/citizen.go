package verifier

import "encoding/json"

// Citizen is a record of the population database. The contract names the
// fields the service uses; every other field of a data file is kept in
// Extra, unparsed, so that nothing a deployment loads is silently lost.
type Citizen struct {
	ID                 CitizenID `json:"id"`
	OldID              string    `json:"old_id"`
	FullName           string    `json:"full_name"`
	DOB                Date      `json:"dob"`
	Gender             Gender    `json:"gender"`
	PermanentAddress   string    `json:"permanent_address"`
	HouseholdID        string    `json:"household_id,omitempty"`
	RelationshipToHead string    `json:"relationship_to_head,omitempty"`
	DeceasedOn         Date      `json:"deceased_on,omitzero"`
	// CancelledIDs are IDs this person held before (an ID replaced after a
	// correction of the birth registration, docs/domain.md §2): a scan or a
	// look-up by one of them finds this record, which says so.
	CancelledIDs []CitizenID `json:"cancelled_ids,omitempty"`
	// Extra holds the record's other fields (birthplace, ethnicity, phone…)
	// as they were in the file.
	Extra json.RawMessage `json:"-"` // a JSON object of the other members, or nil
	// FromCache is set by a remote registry adapter that answered from its
	// cache of recent answers because the registry did not.
	FromCache bool `json:"-"`
}
