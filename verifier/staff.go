package verifier

import "context"

// StaffMember is a person registered to check insurance cards for a
// facility (staff.jsonl). Since official letter 1923/BHXH-CNTT (June 2024)
// every card check names the checking staff member (docs/domain.md §6).
type StaffMember struct {
	Facility string    `json:"facility"`
	ID       CitizenID `json:"id"`
	FullName string    `json:"full_name"`
}

// StaffRegistry is what the service needs of the staff register: the
// member of a facility with an ID number, or a KindNotFound error.
type StaffRegistry interface {
	StaffMember(ctx context.Context, facility string, id CitizenID) (StaffMember, error)
}

// Staff check outcomes are result codes: "" (the member is registered
// under that name), CodeStaffUnknown (054) or CodeStaffName (055).

// CheckStaff checks a card check's staff member against the register and
// returns "" or the result code that refuses the check. A register that
// does not answer is an error, not a refusal.
func CheckStaff(ctx context.Context, reg StaffRegistry, facility string, id CitizenID, name string) (string, error) {
	m, err := reg.StaffMember(ctx, facility, id)
	switch KindOf(err) {
	case "":
	case KindNotFound:
		return CodeStaffUnknown, nil
	default:
		return "", err
	}
	if !SameName(name, m.FullName) {
		return CodeStaffName, nil
	}
	return "", nil
}
