package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"sync"
)

// CitizenID is a 12-digit personal identification number (số định danh cá
// nhân), laid out as PPP G YY RRRRRR: province of birth registration,
// century-and-gender digit, last two digits of the birth year, random part.
// A CitizenID value has always passed ParseCitizenID.
type CitizenID string

// ParseCitizenID reports whether s is 12 ASCII digits and returns it as a
// CitizenID. It checks structure only; see CheckBirth for consistency with a
// date of birth and gender, and Province for the registration province.
func ParseCitizenID(s string) (CitizenID, error) {
	if len(s) != 12 {
		return "", Errorf(KindUnprocessable, "invalid_citizen_id", "a citizen ID has 12 digits, got %d characters", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", Errorf(KindUnprocessable, "invalid_citizen_id", "a citizen ID has only digits (character %d is not a digit)", i+1)
		}
	}
	return CitizenID(s), nil
}

// ProvinceCode returns the three-digit registration code (e.g. "008").
func (id CitizenID) ProvinceCode() string { return string(id[:3]) }

// ProvinceName returns the province name for the ID's registration code and
// whether the code is known. The law only guarantees "12 digits", so an
// unknown code is a warning for callers, never a rejection.
func (id CitizenID) ProvinceName() (string, bool) {
	name, ok := provinces[id.ProvinceCode()]
	return name, ok
}

// Century returns the first year of the birth century encoded by digit G
// (1900, 2000, …, 2300) and the encoded gender.
func (id CitizenID) Century() (int, Gender) {
	g := int(id[3] - '0')
	century := 1900 + 100*(g/2)
	gender := Male
	if g%2 == 1 {
		gender = Female
	}
	return century, gender
}

// BirthYear returns the full birth year encoded by digits G and YY.
func (id CitizenID) BirthYear() int {
	century, _ := id.Century()
	return century + int(id[4]-'0')*10 + int(id[5]-'0')
}

// CheckBirth compares the ID's encoded birth year and gender with a stated
// date of birth and gender, and returns one warning code per contradiction:
// "id_birth_year_mismatch", "id_gender_mismatch". A contradiction is a strong
// sign of a forged or mis-scanned code; the caller shows it, it does not
// refuse. Unknown values (zero year, empty gender) are not compared.
func (id CitizenID) CheckBirth(dob Date, g Gender) []string {
	var w []string
	if dob.Year != 0 && dob.Year != id.BirthYear() {
		w = append(w, "id_birth_year_mismatch")
	}
	if _, idGender := id.Century(); g != "" && g != idGender {
		w = append(w, "id_gender_mismatch")
	}
	return w
}

// Masked returns the ID with all but the province code and the last two
// digits hidden, the only form of an ID allowed in logs and error messages.
func (id CitizenID) Masked() string {
	if len(id) != 12 {
		return "************"
	}
	return string(id[:3]) + "*******" + string(id[10:])
}

// String implements fmt.Stringer with the masked form, so that an ID that
// slips into a log line through %v or %s is not written in clear. Use
// string(id) where the full number is meant.
func (id CitizenID) String() string { return id.Masked() }

// GoString implements fmt.GoStringer for the same reason as String.
func (id CitizenID) GoString() string { return fmt.Sprintf("CitizenID(%s)", id.Masked()) }

// Pseudonym returns a keyed hash of the ID (HMAC-SHA-256, hex, 32 chars) for
// storage keys and logs that must link records of one citizen without
// revealing who the citizen is.
func (id CitizenID) Pseudonym(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Pseudonymizer computes CitizenID.Pseudonym with one key, reusing HMAC
// states: a fresh HMAC allocates two hash states and hashes the key twice,
// and a check-in takes a pseudonym for the window and one for the access
// log. It is safe for concurrent use.
type Pseudonymizer struct {
	pool sync.Pool // of hash.Hash
}

// NewPseudonymizer returns a Pseudonymizer with key.
func NewPseudonymizer(key []byte) *Pseudonymizer {
	key = slices.Clone(key)
	return &Pseudonymizer{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// Of returns id.Pseudonym(key).
func (p *Pseudonymizer) Of(id CitizenID) string {
	m := p.pool.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(id))
	var sum [sha256.Size]byte
	out := hex.EncodeToString(m.Sum(sum[:0])[:16])
	p.pool.Put(m)
	return out
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseCitizenID.
func (id *CitizenID) UnmarshalText(b []byte) error {
	v, err := ParseCitizenID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// MarshalText writes the full ID: JSON documents carry it in clear (they
// are the data the service exists to serve); logs use String, which masks.
func (id CitizenID) MarshalText() ([]byte, error) { return []byte(id), nil }
