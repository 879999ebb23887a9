package verifier

import (
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"time"
)

// Lookup is one card check recorded in the look-up log: the insurer
// gateway's dsLichSuKT2018 entry (docs/domain.md §6), kept per card holder
// and local day.
type Lookup struct {
	Facility string    // the checking facility, 5 characters
	User     string    // the account that checked (userKT): begins with Facility
	At       time.Time // when (UTC instant)
	Code     string    // the result code answered (maLoi)
	// Staff is the keyed pseudonym of the checking staff member's ID
	// number (never the number itself); "" when none was named.
	Staff string
}

// LookupLog keeps the card checks of each card holder for each local day,
// shared by every process that serves the same HIS accounts. It is what
// the gateway's check history and the HIS read rule are built from.
// Implementations must be safe for concurrent use.
type LookupLog interface {
	// AddLookup records a look-up of the holder id on a local day; the
	// day's log may be forgotten from expireAt. An implementation may keep
	// only the newest MaxLookupsPerDay of a holder's day.
	AddLookup(ctx context.Context, id CitizenID, day string, l Lookup, expireAt time.Time) error
	// Lookups returns the holder's look-ups of a day, oldest first.
	Lookups(ctx context.Context, id CitizenID, day string) ([]Lookup, error)
}

// MaxLookupsPerDay bounds what a look-up log keeps of one holder's day, so
// that an account checking one card in a loop cannot grow it without end.
const MaxLookupsPerDay = 500

// CardCheck is a card check as the insurer gateway takes it (docs/domain.md
// §6, "How hospital systems call the gateway today").
type CardCheck struct {
	// Card is maThe: a 15-character card code, a 10-digit number, or a
	// 12-digit citizen ID.
	Card   string
	Stated Stated
	// Facility is the checking facility; User the account that checks
	// (userKT), which should begin with Facility (UserKT makes one).
	Facility, User string
	// StaffID and StaffName are the checking staff member (cccdCb,
	// hoTenCb); checked against the staff register when there is one.
	StaffID   CitizenID
	StaffName string
}

// CardCheckResult is the gateway's answer to a card check.
type CardCheckResult struct {
	Eligibility Eligibility
	// Disclosed reports that the answer may show the holder's data and
	// history: a card was found and what the caller stated of the holder
	// matched it. A check with a wrong name or birth date is answered with
	// its code and nothing about the holder, so that the gateway cannot
	// be used to learn who holds a card.
	Disclosed bool
	Address   string // the holder's address from the population record
	// NewCardFacilityName names the registered facility of the card that
	// replaced the checked one.
	NewCardFacilityName string
	// History is every check-in and card check of the holder on the local
	// day at any facility, newest first; nil when not disclosed.
	History []HistoryEntry
	// Visits are the holder's check-ins of the day at any facility, in time
	// order (dsLichSuKCB2018); nil when the window could not be read.
	Visits []Visit
}

// HistoryEntry is one line of the gateway's look-up history.
type HistoryEntry struct {
	User    string    // userKT: the facility code, "_", and the account
	At      time.Time // in the service's zone
	Code    string    // maLoi
	Checkin bool      // a check-in at a desk rather than a card check
}

// UserKT returns the gateway's name of an account of a facility: the
// account itself when it begins with the facility code (e.g. "08001_BV"),
// else the facility code, "_" and the account.
func UserKT(facility, account string) string {
	if strings.HasPrefix(account, facility) {
		return account
	}
	return facility + "_" + account
}

// Disclosing reports whether an answer with code may show the holder's
// data: not when the caller's statement of the holder was wrong, nor when
// no card was found or the check itself was refused.
func Disclosing(code string) bool {
	switch code {
	case CodeWrongName, CodeWrongNameFirst, CodeWrongDOB, CodeWrongGender, CodeWrongFacility,
		CodeNoCard, CodeBadCardNo, CodeBadProvince, CodeBadBenefit,
		CodeStaffUnknown, CodeStaffName, CodeBadParams, CodeAuth, CodeGatewayError:
		return false
	}
	return true
}

// CheckCard answers a card check like the insurer's gateway and records it
// in the look-up log. The staff member is checked first (054/055); then
// the card, by number or by the holder's citizen ID (a cancelled ID finds
// the person). A malformed or unknown card is an answer, not an error.
func (s *Service) CheckCard(ctx context.Context, cc CardCheck) (CardCheckResult, error) {
	now := s.Now()
	fac, err := s.facility(ctx, cc.Facility)
	if err != nil {
		return CardCheckResult{}, err
	}
	if s.Staff != nil && (cc.StaffID == "" || cc.StaffName == "") {
		// Required since official letter 1923/BHXH-CNTT (docs/domain.md §6).
		return CardCheckResult{}, Errorf(KindInvalid, "staff_required", "cccdCb and hoTenCb: the checking staff member's ID number and name are required")
	}
	if s.Staff != nil {
		code, err := CheckStaff(ctx, s.Staff, fac.Code, cc.StaffID, cc.StaffName)
		if err != nil {
			return CardCheckResult{}, err
		}
		if code != "" {
			return CardCheckResult{Eligibility: result(Unknown, code)}, nil
		}
	}
	req := EligibilityRequest{Stated: cc.Stated, Facility: fac.Code}
	if id, err := ParseCitizenID(cc.Card); err == nil {
		req.CitizenID = id
	} else {
		req.CardNo = cc.Card
	}
	e, err := s.eligibility(ctx, req, false)
	if KindOf(err) == KindNotFound && req.CitizenID != "" {
		// The gateway answers an unknown citizen ID as it answers an
		// unknown card.
		e, err = result(Ineligible, CodeNoCard), nil
	}
	if err != nil {
		return CardCheckResult{}, err
	}
	res := CardCheckResult{Eligibility: e}
	if e.CitizenID == "" {
		return res, nil
	}
	localNow := now.In(s.Location)
	day := localNow.Format(time.DateOnly)
	lk := Lookup{Facility: fac.Code, User: cc.User, At: now.UTC(), Code: e.Code}
	if cc.StaffID != "" {
		lk.Staff = s.Pseudonyms.Of(cc.StaffID)
	}
	recorded := false
	if s.Lookups != nil {
		// Like the visit, the look-up is recorded even if the HIS hangs
		// up; but not waited for long.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.LookupTimeout)
		recorded = s.Lookups.AddLookup(lctx, e.CitizenID, day, lk, s.windowExpiry(localNow)) == nil
		cancel()
	}
	res.Disclosed = Disclosing(e.Code) && e.Holder != nil
	if !res.Disclosed {
		return res, nil
	}
	if c, err := s.Population.Citizen(ctx, e.CitizenID); err == nil {
		res.Address = c.PermanentAddress
	}
	if e.NewCard != nil && e.NewCard.RegisteredFacility != "" {
		res.NewCardFacilityName = s.facilityName(ctx, e.NewCard.RegisteredFacility)
	}
	var lookups []Lookup
	if s.Lookups != nil {
		lctx, cancel := context.WithTimeout(ctx, s.LookupTimeout)
		lookups, _ = s.Lookups.Lookups(lctx, e.CitizenID, day)
		cancel()
	}
	if !recorded {
		lookups = append(lookups, lk) // shown even when the log did not keep it
	}
	visits, err := s.Ledger.Visits(ctx, e.CitizenID, day)
	if err == nil {
		res.Visits = make([]Visit, len(visits))
		for i, v := range visits {
			v.At = v.At.In(s.Location)
			res.Visits[i] = v
		}
	}
	res.History = history(lookups, res.Visits, s.Location)
	return res, nil
}

// history merges a day's card checks and check-ins, newest first.
func history(lookups []Lookup, visits []Visit, loc *time.Location) []HistoryEntry {
	out := make([]HistoryEntry, 0, len(lookups)+len(visits))
	for _, l := range lookups {
		out = append(out, HistoryEntry{User: l.User, At: l.At.In(loc), Code: l.Code})
	}
	for _, v := range visits {
		out = append(out, HistoryEntry{User: UserKT(v.Facility, CheckinUser), At: v.At.In(loc), Code: v.EligibilityCode, Checkin: true})
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int { return -cmp.Compare(a.At.UnixNano(), b.At.UnixNano()) })
	return out
}

// CheckinUser is the account a check-in at a desk appears as in the
// gateway's look-up history, after the facility code: "08001_TIEPDON".
const CheckinUser = "TIEPDON"

// randomPseudonymizer keys staff references with a per-process secret when
// the deployment gives none.
func randomPseudonymizer() *Pseudonymizer {
	return NewPseudonymizer([]byte(rand.Text()))
}

// SeenWithinDays is the window of the HIS read rule (SeenAt): the local
// day of the request and the days before it, as long as the same-day
// window and the look-up log keep a day (its end, the longest offline
// delay of 72 h, and an hour).
const SeenWithinDays = 4

// SeenAt reports whether the citizen checked in at facility, or was found
// by a card check of that facility that disclosed the holder, on the
// local day of now or the SeenWithinDays-1 days before. It is the rule for
// hospital systems reading a citizen's visits (issue 16 item 8): an HIS
// reaches the gateway's own history only through a card check, and so
// reads here only the citizens who came to it, never a birth cohort.
func (s *Service) SeenAt(ctx context.Context, id CitizenID, facility string) (bool, error) {
	today := s.Now().In(s.Location)
	for d := range SeenWithinDays {
		day := today.AddDate(0, 0, -d).Format(time.DateOnly)
		visits, err := s.Ledger.Visits(ctx, id, day)
		if err != nil {
			return false, err
		}
		for _, v := range visits {
			if v.Facility == facility {
				return true, nil
			}
		}
		if s.Lookups == nil {
			continue
		}
		lookups, err := s.Lookups.Lookups(ctx, id, day)
		if err != nil {
			return false, err
		}
		for _, l := range lookups {
			if l.Facility == facility && Disclosing(l.Code) {
				return true, nil
			}
		}
	}
	return false, nil
}
