package demodata

import (
	"math/rand/v2"
	"strconv"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// StaffFile is the staff register of a data directory (contract:
// "Additions", data files).
const StaffFile = "staff.jsonl"

// StaffPerFacility is how many card-checking staff GenerateStaff registers
// for each facility.
const StaffPerFacility = 3

// GenerateStaff returns the staff registered to check cards at each
// facility, StaffPerFacility each, deterministic in seed. Their ID numbers
// are 12-digit personal IDs of the facility's province, born 1965–2000,
// unique among staff; they are not in the population file (nothing
// compares the two, so one may coincide with a generated citizen's ID).
func GenerateStaff(facs []verifier.Facility, seed int64) []verifier.StaffMember {
	r := rand.New(rand.NewPCG(uint64(seed), 0x7374616666))
	out := make([]verifier.StaffMember, 0, len(facs)*StaffPerFacility)
	for i, f := range facs {
		prov, err := strconv.Atoi(f.Province)
		if err != nil || prov < 0 || prov > 99 {
			prov = 1
		}
		for k := range StaffPerFacility {
			female := r.IntN(2) == 0
			year := 1965 + r.IntN(36)
			gd := 0
			if female {
				gd = 1
			}
			b := make([]byte, 0, 12)
			b = appendPadded(b, uint64(prov), 3)
			b = append(b, byte('0'+gd))
			b = append2(b, year%100)
			b = appendPadded(b, uint64(999_999-i*StaffPerFacility-k)%1_000_000, 6)
			out = append(out, verifier.StaffMember{
				Facility: f.Code,
				ID:       verifier.CitizenID(b),
				FullName: fullName(r, surname(r, prov >= 70), female, year),
			})
		}
	}
	return out
}

// AppendStaffJSON appends s as one staff.jsonl object (no newline).
func AppendStaffJSON(b []byte, s *verifier.StaffMember) []byte {
	b = append(b, `{"facility":`...)
	b = appendJSONString(b, s.Facility)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, string(s.ID))
	b = append(b, `,"full_name":`...)
	b = appendJSONString(b, s.FullName)
	return append(b, '}')
}
