package verifier

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ClaimTimeLayout is how Decision 130 tables write times: yyyyMMddHHmm,
// local time, no zone (docs/domain.md §9).
const ClaimTimeLayout = "200601021504"

// Visit types of a claim (MA_LOAI_KCB, docs/domain.md §9). Only an outpatient
// examination is a visit in the sense of the same-day rules (docs/domain.md §10):
// 02 and 05 are treatment periods and 07 a drug refill without an
// examination, whose NGAY_RA is the end of the period, not a second visit.
const (
	ClaimOutpatientExam = "01"
)

// claimKinds are the MA_LOAI_KCB codes a claim may carry.
var claimKinds = map[string]string{
	"01": "outpatient examination", "02": "outpatient treatment", "03": "inpatient",
	"04": "day inpatient", "05": "chronic outpatient", "06": "commune-station stay",
	"07": "drug refill", "08": "chronic outpatient", "09": "inpatient under 4 hours", "10": "other",
}

// Amount is a sum of money in đồng as a claim table writes it (a decimal
// number, at most two decimals), kept exactly as text and written to JSON as
// a number.
type Amount string

// ParseAmount checks a Decision 130 amount: digits with an optional '.' and
// at most two decimals. An empty string is zero.
func ParseAmount(s string) (Amount, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "0", true
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || (dot && (frac == "" || len(frac) > 4)) || !allDigits(whole) || (dot && !allDigits(frac)) {
		return "", false
	}
	// Drop leading zeros ("0150000" is 150000) but keep one.
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		return Amount(whole), true
	}
	return Amount(whole + "." + frac), true
}

// Float returns the amount as a float64, for totals in charts (exact sums
// are the insurer's business; an overview needs no more than 15 digits).
func (a Amount) Float() float64 {
	f, _ := strconv.ParseFloat(string(a), 64)
	return f
}

// MarshalJSON writes the amount as a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) {
	if a == "" {
		return []byte("0"), nil
	}
	return []byte(a), nil
}

// UnmarshalJSON reads a JSON number or string.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, ok := ParseAmount(s)
	if !ok {
		return fmt.Errorf("verifier: %q is not an amount", s)
	}
	*a = v
	return nil
}

// Claim is one visit's summary record (table XML1 of a Decision 130 claim
// file, docs/domain.md §9) as the insurer receives it from a facility. Facility +
// MaLK identify it: a resubmission with the same pair replaces it.
type Claim struct {
	Facility  string    `json:"facility"` // MA_CSKCB, 5 characters
	MaLK      string    `json:"ma_lk"`
	MaBN      string    `json:"ma_bn,omitempty"`
	FullName  string    `json:"full_name,omitempty"` // HO_TEN
	SoCCCD    CitizenID `json:"so_cccd,omitempty"`
	DOB       string    `json:"ngay_sinh,omitempty"` // as written (yyyyMMdd or yyyyMMddHHmm)
	Gender    string    `json:"gioi_tinh,omitempty"` // 1 male, 2 female
	CardNo    string    `json:"ma_the_bhyt,omitempty"`
	MaLoaiKCB string    `json:"ma_loai_kcb"`
	NgayVao   string    `json:"ngay_vao"` // yyyyMMddHHmm, local
	NgayRa    string    `json:"ngay_ra,omitempty"`
	MaKhoa    string    `json:"ma_khoa,omitempty"`
	TTongChi  Amount    `json:"t_tongchi_bv"`
	TBHTT     Amount    `json:"t_bhtt"` // what the insurer pays
	TBNCCT    Amount    `json:"t_bncct"`
	NamQT     string    `json:"nam_qt,omitempty"`
	ThangQT   string    `json:"thang_qt,omitempty"`

	// Day is the visit's local day, YYYY-MM-DD: the date of NGAY_VAO (for
	// treatment periods and refills NGAY_RA is the end of the period).
	Day string `json:"day"`
	// CitizenID is who the claim is for: SO_CCCD, else the owner of
	// MA_THE_BHYT in the insurance registry; "" when neither is known.
	CitizenID CitizenID `json:"citizen_id,omitempty"`
	// ImportedAt is when this version of the claim was stored.
	ImportedAt time.Time `json:"imported_at"`
}

// Key is the claim's identity: its facility and MA_LK.
func (c Claim) Key() string { return c.Facility + "|" + c.MaLK }

// Examination reports whether the claim is an outpatient examination, the
// only kind the same-day rules count (docs/domain.md §10).
func (c Claim) Examination() bool { return c.MaLoaiKCB == ClaimOutpatientExam }

// At returns NGAY_VAO as an instant in loc.
func (c Claim) At(loc *time.Location) time.Time {
	t, _ := time.ParseInLocation(ClaimTimeLayout, c.NgayVao, loc)
	return t
}

// ClaimFields are the raw XML1 fields of one record, by name, as a claim
// file reader found them. NewClaim validates them.
type ClaimFields map[string]string

// FieldError is a claim that cannot be used, with the field at fault.
type FieldError struct {
	MaLK  string // "" when it is MA_LK that is missing
	Field string // the XML1 field name, e.g. "NGAY_VAO"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// NewClaim builds a claim from an XML1 record. envelopeFacility is the
// file's THONGTINDONVI/MACSKCB ("" if absent), used when the record has no
// MA_CSKCB and required to agree with it when both are given. Every problem
// is a *FieldError naming the field.
func NewClaim(f ClaimFields, envelopeFacility string) (Claim, error) {
	get := func(name string) string { return strings.TrimSpace(f[name]) }
	c := Claim{MaLK: get("MA_LK")}
	bad := func(field, format string, args ...any) (Claim, error) {
		return Claim{}, &FieldError{MaLK: c.MaLK, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.MaLK == "":
		return bad("MA_LK", "missing")
	case len(c.MaLK) > 100:
		return bad("MA_LK", "longer than 100 characters")
	}
	c.Facility = get("MA_CSKCB")
	envelopeFacility = strings.TrimSpace(envelopeFacility)
	switch {
	case c.Facility == "" && envelopeFacility == "":
		return bad("MA_CSKCB", "missing (neither in XML1 nor in THONGTINDONVI/MACSKCB)")
	case c.Facility == "":
		c.Facility = envelopeFacility
	case envelopeFacility != "" && c.Facility != envelopeFacility:
		return bad("MA_CSKCB", "differs from the file's THONGTINDONVI/MACSKCB")
	}
	if len(c.Facility) != 5 || !isCode(c.Facility) {
		return bad("MA_CSKCB", "must be 5 letters or digits")
	}
	c.NgayVao = get("NGAY_VAO")
	if c.NgayVao == "" {
		return bad("NGAY_VAO", "missing")
	}
	vao, ok := parseClaimTime(c.NgayVao)
	if !ok {
		return bad("NGAY_VAO", "must be a local time yyyyMMddHHmm")
	}
	c.Day = vao.Format(time.DateOnly)
	if c.NgayRa = get("NGAY_RA"); c.NgayRa != "" {
		ra, ok := parseClaimTime(c.NgayRa)
		if !ok {
			return bad("NGAY_RA", "must be a local time yyyyMMddHHmm")
		}
		if ra.Before(vao) {
			return bad("NGAY_RA", "is before NGAY_VAO")
		}
	}
	c.MaLoaiKCB = get("MA_LOAI_KCB")
	if len(c.MaLoaiKCB) == 1 {
		c.MaLoaiKCB = "0" + c.MaLoaiKCB
	}
	if _, ok := claimKinds[c.MaLoaiKCB]; !ok {
		return bad("MA_LOAI_KCB", "must be one of 01 to 10")
	}
	if s := get("SO_CCCD"); s != "" {
		id, err := ParseCitizenID(s)
		if err != nil {
			return bad("SO_CCCD", "must be a 12-digit citizen ID")
		}
		c.SoCCCD = id
	}
	c.CardNo = get("MA_THE_BHYT")
	// Several cards are separated by ';' (a card changed during a stay);
	// the first one is the visit's.
	if first, _, ok := strings.Cut(c.CardNo, ";"); ok {
		c.CardNo = strings.TrimSpace(first)
	}
	if c.SoCCCD == "" && c.CardNo == "" {
		return bad("SO_CCCD", "missing, and so is MA_THE_BHYT: the claim names no one")
	}
	if len(c.CardNo) > 20 {
		return bad("MA_THE_BHYT", "longer than 20 characters")
	}
	for _, a := range []struct {
		name string
		dst  *Amount
	}{{"T_TONGCHI_BV", &c.TTongChi}, {"T_BHTT", &c.TBHTT}, {"T_BNCCT", &c.TBNCCT}} {
		v, ok := ParseAmount(f[a.name])
		if !ok {
			return bad(a.name, "must be a decimal amount")
		}
		*a.dst = v
	}
	c.MaBN, c.FullName, c.DOB, c.Gender = clip(get("MA_BN")), clip(NormalizeName(get("HO_TEN"))), clip(get("NGAY_SINH")), clip(get("GIOI_TINH"))
	c.MaKhoa, c.NamQT, c.ThangQT = clip(get("MA_KHOA")), clip(get("NAM_QT")), clip(get("THANG_QT"))
	return c, nil
}

// clip bounds a free-text field kept with a claim.
func clip(s string) string {
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "")
	}
	return s
}

func isCode(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z') {
			return false
		}
	}
	return true
}

// parseClaimTime reads yyyyMMddHHmm as a wall-clock time (UTC stands for
// "no zone": the date part is the local day as the facility wrote it).
func parseClaimTime(s string) (time.Time, bool) {
	if len(s) != 12 || !allDigits(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(ClaimTimeLayout, s)
	return t, err == nil
}

// ClaimRejection is a claim of a file that was not imported, and why.
type ClaimRejection struct {
	MaLK  string `json:"ma_lk"`
	Error string `json:"error"`
}

// ClaimImport is the outcome of importing claims.
type ClaimImport struct {
	Imported int              `json:"imported"` // new claims stored
	Replaced int              `json:"replaced"` // claims that replaced an earlier version
	Rejected []ClaimRejection `json:"rejected"`
}

// ClaimStore keeps claims where the duplicate groups are, for as long.
// Implementations are safe for concurrent use; PutClaims is atomic per
// claim key across every process sharing the store.
type ClaimStore interface {
	// PutClaims stores each claim, replacing a stored one with the same
	// Key (also when its day changed); replaced[i] reports that claims[i]
	// did.
	PutClaims(ctx context.Context, claims []Claim) (replaced []bool, err error)
	// ClaimsOn returns every stored claim of a local day, in no order.
	ClaimsOn(ctx context.Context, day string) ([]Claim, error)
}

// MaxClaimBatch is the most claims ImportClaims takes in one call; readers
// of large files call it once per batch, so memory stays bounded.
const MaxClaimBatch = 1000

// ImportClaims resolves whom each claim is for (SO_CCCD, else MA_THE_BHYT
// through the insurance registry) and stores it. A card the registry does
// not know leaves the claim without a citizen: it is still stored, and
// matched to others by its card number.
func (s *Service) ImportClaims(ctx context.Context, claims []Claim) (ClaimImport, error) {
	out := ClaimImport{Rejected: []ClaimRejection{}}
	if s.Claims == nil {
		return out, Errorf(KindUnavailable, "claims_unavailable", "this server keeps no claims")
	}
	if len(claims) > MaxClaimBatch {
		return out, Errorf(KindInternal, "claim_batch_too_large", "at most %d claims per call", MaxClaimBatch)
	}
	now := s.Now()
	for i := range claims {
		c := &claims[i]
		c.ImportedAt = now
		c.CitizenID = c.SoCCCD
		if c.CitizenID == "" && c.CardNo != "" {
			card, err := s.Insurance.Card(ctx, c.CardNo)
			switch KindOf(err) {
			case "":
				c.CitizenID = card.CitizenID
			case KindNotFound:
			default:
				return out, err
			}
		}
	}
	replaced, err := s.Claims.PutClaims(ctx, claims)
	if err != nil {
		return out, err
	}
	for _, r := range replaced {
		if r {
			out.Replaced++
		} else {
			out.Imported++
		}
	}
	return out, nil
}
