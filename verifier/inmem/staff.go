package inmem

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// StaffFile is the optional fourth file of a data directory: the staff
// registered to check cards, per facility (contract: "Additions").
const StaffFile = "staff.jsonl"

type staffKey struct {
	facility string
	id       verifier.CitizenID
}

var _ verifier.StaffRegistry = (*Registry)(nil)

// SetStaff replaces the staff register. It must be called before the
// registry is shared (the registry is read without locks). A member of a
// facility the registry does not know, or listed twice, is an error.
func (r *Registry) SetStaff(staff []verifier.StaffMember) error {
	m := make(map[staffKey]string, len(staff))
	for i, s := range staff {
		if err := checkStaff(&s); err != nil {
			return fmt.Errorf("staff member %d: %w", i+1, err)
		}
		if _, ok := r.fac[s.Facility]; !ok && len(r.fac) > 0 {
			return fmt.Errorf("staff member %d: facility %s is not in %s", i+1, s.Facility, FacilitiesFile)
		}
		k := staffKey{s.Facility, s.ID}
		if _, dup := m[k]; dup {
			return fmt.Errorf("staff member %d: %w", i+1, &duplicateError{what: "staff id at facility " + s.Facility, key: s.ID.Masked()})
		}
		m[k] = s.FullName
	}
	r.staff = m
	return nil
}

// StaffCount returns how many staff members are registered (0: no
// staff.jsonl was loaded).
func (r *Registry) StaffCount() int { return len(r.staff) }

// StaffMember implements verifier.StaffRegistry.
func (r *Registry) StaffMember(_ context.Context, facility string, id verifier.CitizenID) (verifier.StaffMember, error) {
	name, ok := r.staff[staffKey{facility, id}]
	if !ok {
		return verifier.StaffMember{}, verifier.Errorf(verifier.KindNotFound, "staff_not_found", "no such staff member at this facility")
	}
	return verifier.StaffMember{Facility: facility, ID: id, FullName: name}, nil
}

// loadStaff reads dir's staff.jsonl into r; a directory without one has
// no register (the gateway then does not check staff members).
func loadStaff(r *Registry, dir string) error {
	path := filepath.Join(dir, StaffFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var staff []verifier.StaffMember
	if err := loadFile(path, &staff, checkStaff); err != nil {
		return err
	}
	if err := r.SetStaff(staff); err != nil {
		return fmt.Errorf("%s: %w", StaffFile, err)
	}
	return nil
}

func checkStaff(s *verifier.StaffMember) error {
	switch {
	case len(s.Facility) != 5:
		return errors.New(`field "facility" must have 5 characters`)
	case s.ID == "":
		return errors.New(`field "id" is required`)
	case s.FullName == "":
		return errors.New(`field "full_name" is required`)
	}
	return nil
}
