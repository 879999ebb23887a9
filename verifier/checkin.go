package verifier

import (
	"context"
	"errors"
	"time"
)

// Identity sources: how the citizen was identified at the desk.
const (
	SourceCCCDQR         = "cccd_qr"          // the chip ID card's QR, read intact
	SourceCCCDQRDegraded = "cccd_qr_degraded" // the QR text arrived damaged: the record's name is shown
	SourceMRZ            = "mrz"              // the card's machine-readable zone
	SourceBHYTQR         = "bhyt_qr"          // the insurance card's QR
	SourceManual         = "manual"           // the ID typed by a clerk
	SourceCardNo         = "card_no"          // an insurance card number typed by a clerk
)

// Presented is what the desk presented to identify a citizen: an ID (from
// a scan or typed) or an insurance card number, and what the card itself
// says about the holder, to be compared with the population record.
type Presented struct {
	Source    string
	CitizenID CitizenID // set unless identifying by CardNo
	CardNo    string
	FullName  string
	DOB       Date
	Gender    Gender
	// Degraded: the scan was damaged, so the name is compared loosely and
	// never trusted over the population record.
	Degraded bool
	Warnings []string // the scanner's warnings, passed on to the response
}

// CheckinRequest is one check-in.
type CheckinRequest struct {
	Presented Presented
	Facility  string
	VisitType VisitType
	Kiosk     string
	// ScannedAt is when a kiosk that was offline scanned the card; zero
	// means now.
	ScannedAt time.Time
	// The desk's fields (see Visit): the referral letter's number (visit
	// type referral only), a department code of the facility's list, and
	// the priority groups the clerk chose (the computed ones are added).
	ReferralNo string
	Department string
	Priority   []string
}

// CitizenView is the part of a population record a check-in shows.
type CitizenView struct {
	ID       CitizenID `json:"id"`
	FullName string    `json:"full_name"`
	DOB      Date      `json:"dob"`
	Gender   Gender    `json:"gender"`
	Address  string    `json:"address"`
}

// IdentityCheck says how the presented card compares with the record.
// Verified means a card was read (not an ID typed by a clerk) and what it
// says agrees with the population record: the clerk need not look further.
type IdentityCheck struct {
	Verified   bool     `json:"verified"`
	Source     string   `json:"source"`
	Mismatches []string `json:"mismatches"`
	Warnings   []string `json:"warnings"`
	// Cached reports that the population record came from a registry
	// adapter's cache because the registry did not answer.
	Cached bool `json:"cached,omitempty"`
}

// VisitView is the recorded visit as a check-in answer shows it.
type VisitView struct {
	Facility     string    `json:"facility"`
	FacilityName string    `json:"facility_name,omitempty"`
	VisitType    VisitType `json:"visit_type"`
	At           time.Time `json:"at"`
	Day          string    `json:"day"`
	Kiosk        string    `json:"kiosk,omitempty"`
	Ticket       int       `json:"ticket,omitempty"`
	// The ticket's department (its code and name in the facility's
	// list), the priority groups (computed and chosen), the referral
	// letter's number and the desk's acknowledgement of a same-day flag.
	Department      string           `json:"department,omitempty"`
	DepartmentName  string           `json:"department_name,omitempty"`
	Priority        []string         `json:"priority,omitempty"`
	ReferralNo      string           `json:"referral_no,omitempty"`
	Acknowledgement *Acknowledgement `json:"acknowledgement,omitempty"`
}

// OtherVisit is a same-day visit at another facility.
type OtherVisit struct {
	Facility     string    `json:"facility"`
	FacilityName string    `json:"facility_name,omitempty"` // for the clerk: where the patient was seen
	VisitType    VisitType `json:"visit_type"`
	At           time.Time `json:"at"`
}

// DuplicateFlag says whether the citizen was seen elsewhere the same day.
type DuplicateFlag struct {
	Flagged bool         `json:"flagged"`
	Others  []OtherVisit `json:"others"`
}

// Dedupe states of a check-in answer. A check-in is answered only when its
// visit is kept: recorded in the window (ok) or queued durably to be
// recorded there later (unavailable). Otherwise Checkin fails with
// CodeNotRecorded.
const (
	DedupeOK          = "ok"
	DedupeUnavailable = "unavailable" // the window could not be consulted; the visit is queued and will be replayed
)

// CodeQueued is the code of the KindUnavailable error a Ledger's Record
// answers when the window did not take the visit but the visit is kept
// durably and will be recorded later (the outbox). Any other error means
// the visit is kept nowhere.
const CodeQueued = "visit_queued"

// CodeNotRecorded is the code of a check-in whose visit could be neither
// recorded nor queued: the client must keep the scan and send it again.
const CodeNotRecorded = "not_recorded"

// Queued reports whether err is a Ledger's "queued, not yet recorded".
func Queued(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Code == CodeQueued
}

// CheckinResult is the answer to a check-in.
type CheckinResult struct {
	CheckinID   string        `json:"checkin_id"`
	Repeat      bool          `json:"repeat"`
	Citizen     CitizenView   `json:"citizen"`
	Identity    IdentityCheck `json:"identity"`
	Eligibility Eligibility   `json:"eligibility"`
	Visit       VisitView     `json:"visit"`
	Duplicate   DuplicateFlag `json:"duplicate"`
	Dedupe      string        `json:"dedupe"`
}

// Checkin identifies the citizen against the population database, decides
// insurance eligibility, and records the visit in the same-day window. A
// same-day visit elsewhere is flagged, never refused. When the window is
// unavailable but the ledger queued the visit (CodeQueued) the check-in
// still answers, with Dedupe "unavailable"; when the visit is kept nowhere
// it fails with a KindUnavailable CodeNotRecorded error, so that the desk
// keeps the scan instead of believing it recorded.
func (s *Service) Checkin(ctx context.Context, req CheckinRequest) (CheckinResult, error) {
	now := s.Now()
	at, err := s.visitTime(now, req.ScannedAt)
	if err != nil {
		return CheckinResult{}, err
	}
	vt, err := ParseVisitType(string(req.VisitType))
	if err != nil {
		return CheckinResult{}, err
	}
	fac, err := s.facility(ctx, req.Facility)
	if err != nil {
		return CheckinResult{}, err
	}
	if err := s.checkDesk(fac, vt, req.ReferralNo, req.Department, req.Priority); err != nil {
		return CheckinResult{}, err
	}
	p := req.Presented
	var byCard *Card
	if p.CitizenID == "" {
		card, err := s.cardByNumber(ctx, p.CardNo)
		if err != nil {
			return CheckinResult{}, err
		}
		byCard, p.CitizenID = &card, card.CitizenID
	}
	cit, err := s.Population.Citizen(ctx, p.CitizenID)
	unverified := false
	switch {
	case KindOf(err) == KindNotFound:
		return CheckinResult{}, Errorf(KindNotFound, "citizen_not_found", "the citizen ID is not in the population database")
	case KindOf(err) == KindUnavailable && readFromCard(p):
		// The population database is down, but an intact card says who
		// the patient is: the desk goes on, the identity unverified.
		cit, unverified = Citizen{ID: p.CitizenID, FullName: p.FullName, DOB: p.DOB, Gender: p.Gender}, true
	case err != nil:
		return CheckinResult{}, err
	}
	localAt := at.In(s.Location)
	res := CheckinResult{
		Citizen:  CitizenView{ID: cit.ID, FullName: cit.FullName, DOB: cit.DOB, Gender: cit.Gender, Address: cit.PermanentAddress},
		Identity: s.checkIdentity(p, cit, NewDate(localAt)),
	}
	if unverified {
		res.Identity.Verified = false
		res.Identity.Warnings = append(res.Identity.Warnings, "population_registry_unavailable")
	}
	if cit.ID != p.CitizenID {
		// A cancelled ID found the person: the answer shows the current
		// one, and says so (docs/domain.md §2).
		res.Identity.Warnings = append(res.Identity.Warnings, WarnCancelledID)
	}
	res.Eligibility = s.decideForCitizen(ctx, cit, byCard, Stated{}, fac, vt, NewDate(localAt))

	day := localAt.Format(time.DateOnly)
	rec := Recording{
		Visit: Visit{
			CheckinID: s.NewID(cit.ID, day), CitizenID: cit.ID, Facility: fac.Code, VisitType: vt,
			At: at.UTC(), Day: day, Kiosk: req.Kiosk,
			EligibilityCode: res.Eligibility.Code,
			ReferralNo:      req.ReferralNo, Department: req.Department,
			Priority: s.Priority.Of(vt, cit.DOB, NewDate(localAt), req.Priority),
		},
		RepeatWithin: s.RepeatWithin,
		ExpireAt:     s.windowExpiry(localAt),
		FullName:     cit.FullName,
	}
	// The visit must be recorded even if the kiosk hangs up mid-request:
	// the patient is at the desk either way.
	recorded, err := s.Ledger.Record(context.WithoutCancel(ctx), rec)
	v := rec.Visit
	res.Dedupe = DedupeOK
	res.Duplicate.Others = []OtherVisit{}
	switch {
	case err != nil && !Queued(err):
		return CheckinResult{}, Wrap(err, KindUnavailable, CodeNotRecorded,
			"the visit could not be recorded (the same-day window and the local outbox both failed): keep the scan and send it again")
	case err != nil:
		res.Dedupe = DedupeUnavailable
		if recorded.Visit.CheckinID != "" {
			// The queue recognised the scan as a repeat of a visit it
			// holds (or the window stored it before failing): that
			// visit's ID, which resolves once it is replayed.
			v, res.Repeat = recorded.Visit, recorded.Repeat
		}
	default:
		v, res.Repeat = recorded.Visit, recorded.Repeat
		for _, o := range recorded.Others {
			res.Duplicate.Others = append(res.Duplicate.Others, OtherVisit{Facility: o.Facility, FacilityName: s.facilityName(ctx, o.Facility), VisitType: o.VisitType, At: o.At.In(s.Location)})
		}
		res.Duplicate.Flagged = len(res.Duplicate.Others) > 0
	}
	res.CheckinID = v.CheckinID
	res.Visit = s.visitView(fac, v)
	return res, nil
}

// visitView is a stored visit as a check-in answer shows it, times in the
// service's zone.
func (s *Service) visitView(fac Facility, v Visit) VisitView {
	vv := VisitView{Facility: v.Facility, FacilityName: fac.Name, VisitType: v.VisitType, At: v.At.In(s.Location), Day: v.Day, Kiosk: v.Kiosk, Ticket: v.Ticket,
		Department: v.Department, Priority: v.Priority, ReferralNo: v.ReferralNo, Acknowledgement: s.localAck(v.Acknowledgement)}
	if d, ok := fac.Department(v.Department); ok {
		vv.DepartmentName = d.Name
	}
	return vv
}

// facilityName returns a facility's name, or "" when it cannot be had.
func (s *Service) facilityName(ctx context.Context, code string) string {
	f, err := s.Facilities.Facility(ctx, code)
	if err != nil {
		return ""
	}
	return f.Name
}

// readFromCard reports whether p carries an identity read intact from a
// card, good enough to go on with while the population database is down.
func readFromCard(p Presented) bool {
	return p.FullName != "" && !p.Degraded && (p.Source == SourceCCCDQR || p.Source == SourceMRZ)
}

// visitTime returns when the visit happened: now, or a queued scan's time
// within the accepted bounds.
func (s *Service) visitTime(now, scannedAt time.Time) (time.Time, error) {
	if scannedAt.IsZero() {
		return now, nil
	}
	if scannedAt.After(now.Add(s.MaxClockSkew)) {
		return time.Time{}, Errorf(KindUnprocessable, "scanned_at_in_future", "scanned_at is more than %s in the future; check the kiosk's clock", s.MaxClockSkew)
	}
	if scannedAt.Before(now.Add(-s.MaxOfflineAge)) {
		return time.Time{}, Errorf(KindUnprocessable, "scanned_at_too_old", "scanned_at is older than %s; record this visit by hand", s.MaxOfflineAge)
	}
	return scannedAt, nil
}

// windowExpiry is when a local day's window may be forgotten: the end of
// that day plus the longest offline delay, so that a late-arriving queued
// check-in still meets every visit of its day.
func (s *Service) windowExpiry(localAt time.Time) time.Time {
	y, m, d := localAt.Date()
	endOfDay := time.Date(y, m, d+1, 0, 0, 0, 0, s.Location)
	return endOfDay.Add(s.MaxOfflineAge + time.Hour)
}

// checkIdentity compares what the card says with the population record.
func (s *Service) checkIdentity(p Presented, c Citizen, today Date) IdentityCheck {
	ic := IdentityCheck{Verified: true, Source: p.Source, Mismatches: []string{}, Warnings: append([]string{}, p.Warnings...)}
	if p.Degraded && ic.Source == SourceCCCDQR {
		ic.Source = SourceCCCDQRDegraded
	}
	if p.FullName != "" {
		var same bool
		switch {
		case p.Source == SourceMRZ:
			// The MRZ prints names in capitals without diacritics.
			same = FoldName(p.FullName) == FoldName(c.FullName)
		case p.Degraded:
			same = LooselySameName(p.FullName, c.FullName)
		default:
			same = SameName(p.FullName, c.FullName)
		}
		if !same {
			ic.Mismatches = append(ic.Mismatches, "full_name")
		}
	}
	if !p.DOB.IsZero() && !c.DOB.IsZero() && !p.DOB.Compatible(c.DOB) {
		ic.Mismatches = append(ic.Mismatches, "dob")
	}
	if p.Gender != "" && c.Gender != "" && p.Gender != c.Gender {
		ic.Mismatches = append(ic.Mismatches, "gender")
	}
	ic.Cached = c.FromCache
	switch ic.Source {
	case SourceManual, SourceCardNo:
		// Nothing read from a document: the clerk checks the card by eye.
		ic.Verified = false
	default:
		ic.Verified = len(ic.Mismatches) == 0
	}
	if !c.DeceasedOn.IsZero() {
		ic.Warnings = append(ic.Warnings, "citizen_deceased")
	}
	return ic
}

// cardByNumber finds a card by a typed or scanned number.
func (s *Service) cardByNumber(ctx context.Context, no string) (Card, error) {
	if code := CheckCardNo(no); code != "" {
		return Card{}, Errorf(KindUnprocessable, "invalid_card_no", "the card number is malformed (insurer code %s: %s)", code, ResultMessages[code][1])
	}
	card, err := s.Insurance.Card(ctx, no)
	if KindOf(err) == KindNotFound {
		return Card{}, Errorf(KindNotFound, "card_not_found", "the insurance card number is not in the insurer's registry")
	}
	return card, err
}

// decideForCitizen decides eligibility for a citizen, using the presented
// card when the check-in came by card number and the citizen's current card
// otherwise. A registry failure makes the decision unknown, not the request
// fail: the patient is still seen.
func (s *Service) decideForCitizen(ctx context.Context, c Citizen, card *Card, st Stated, f Facility, vt VisitType, on Date) Eligibility {
	if card == nil {
		cards, err := s.cardsOf(ctx, c)
		if err != nil {
			return unknownBecause(err)
		}
		card = CurrentCard(cards, on)
	}
	e := s.decide(ctx, card, st, c.DOB, f, vt, on)
	s.nameRegistered(ctx, &e, f)
	return e
}

// nameRegistered puts the name of the card's registered facility beside
// its code, for the clerk (the answer's facility f when it is that one,
// else the facility registry's; left out when the registry does not know
// it). Only the desk's and the API's answers carry it: the gateway's card
// check has no use for it and is spared the look-up.
func (s *Service) nameRegistered(ctx context.Context, e *Eligibility, f Facility) {
	switch {
	case e.RegisteredFacility == "":
	case e.RegisteredFacility == f.Code && f.Name != "":
		e.RegisteredFacilityName = f.Name
	default:
		e.RegisteredFacilityName = s.FacilityName(ctx, e.RegisteredFacility)
	}
}

func (s *Service) decide(ctx context.Context, card *Card, st Stated, citizenDOB Date, f Facility, vt VisitType, on Date) Eligibility {
	d := Decision{Card: card, Stated: st, CitizenDOB: citizenDOB, Facility: f, VisitType: vt, On: on}
	if card != nil && card.ReplacedBy != "" {
		if nc, err := s.Insurance.Card(ctx, card.ReplacedBy); err == nil {
			d.NewCard = &nc
		}
	}
	return s.Coverage.Decide(d)
}

// WarnCancelledID says that a citizen was found by an ID they no longer
// hold (population.jsonl cancelled_ids).
const WarnCancelledID = "cancelled_id_presented"

// cardsOf returns a citizen's cards: those of the current ID and, since a
// card may still name an ID the person held before, of the cancelled ones.
func (s *Service) cardsOf(ctx context.Context, c Citizen) ([]Card, error) {
	cards, err := s.Insurance.CardsOf(ctx, c.ID)
	for _, old := range c.CancelledIDs {
		if err != nil {
			break
		}
		var more []Card
		more, err = s.Insurance.CardsOf(ctx, old)
		cards = append(cards, more...)
	}
	return cards, err
}

func unknownBecause(err error) Eligibility {
	e := result(Unknown, CodeServerError)
	e.Reason = "insurance_registry_unavailable"
	if KindOf(err) != KindUnavailable {
		e.Reason = "insurance_registry_error"
	}
	return e
}
