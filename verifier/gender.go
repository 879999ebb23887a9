package verifier

import (
	"fmt"
	"strings"
)

// Gender as recorded in the population database.
type Gender string

const (
	Male   Gender = "male"
	Female Gender = "female"
)

// ParseGender accepts the data files' words and the printed Vietnamese ones
// (Nam, Nữ, also Nu with the diacritic lost) and the insurer's 1/2 codes.
// It returns "" and false for anything else.
func ParseGender(s string) (Gender, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "male", "nam", "1", "m":
		return Male, true
	case "female", "nữ", "nu", "nư", "2", "f":
		return Female, true
	}
	return "", false
}

// UnmarshalText accepts "male", "female" and "" (unknown).
func (g *Gender) UnmarshalText(b []byte) error {
	// The constants, not Gender(b): a million records then share two
	// strings instead of holding a million copies.
	switch string(b) {
	case "male":
		*g = Male
		return nil
	case "female":
		*g = Female
		return nil
	case "":
		*g = ""
		return nil
	}
	return fmt.Errorf("gender must be male or female")
}
