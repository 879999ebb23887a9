package verifier

import (
	"context"
	"time"
)

// EligibilityRequest asks for a decision without recording anything: by
// citizen ID, or by card number with what the desk read from the card.
type EligibilityRequest struct {
	CitizenID CitizenID
	CardNo    string
	Stated    Stated
	Facility  string    // "" : the card's registered facility (correct route)
	VisitType VisitType // "" : outpatient
	Day       string    // local day YYYY-MM-DD; "" : today
}

// Eligibility answers like the insurer's gateway. A malformed or unknown
// card number is an answer (051–053, 050), not an error; an unknown citizen
// ID is KindNotFound.
func (s *Service) Eligibility(ctx context.Context, req EligibilityRequest) (Eligibility, error) {
	e, err := s.eligibility(ctx, req, true)
	if err == nil {
		s.nameRegistered(ctx, &e, Facility{})
	}
	return e, err
}

// eligibility is Eligibility, with the holder's history of the day at
// other facilities when withHistory.
func (s *Service) eligibility(ctx context.Context, req EligibilityRequest, withHistory bool) (Eligibility, error) {
	on := NewDate(s.Now().In(s.Location))
	if req.Day != "" {
		d, err := parseDay(req.Day, "date")
		if err != nil {
			return Eligibility{}, err
		}
		on = d
	}
	vt, err := ParseVisitType(string(req.VisitType))
	if err != nil {
		return Eligibility{}, err
	}
	var fac Facility
	if req.Facility != "" {
		if fac, err = s.facility(ctx, req.Facility); err != nil {
			return Eligibility{}, err
		}
	}
	// withFacility fills in the card's registered facility when the caller
	// named none, so that the route is "correct" and the coverage is the
	// card's own.
	withFacility := func(card *Card) Facility {
		if fac.Code != "" || card == nil {
			return fac
		}
		f, err := s.Facilities.Facility(ctx, card.RegisteredFacility)
		if err != nil {
			return Facility{Code: card.RegisteredFacility}
		}
		return f
	}

	if req.CitizenID != "" {
		c, err := s.Population.Citizen(ctx, req.CitizenID)
		if KindOf(err) == KindNotFound {
			return Eligibility{}, Errorf(KindNotFound, "citizen_not_found", "the citizen ID is not in the population database")
		}
		if err != nil {
			return Eligibility{}, err
		}
		cards, err := s.cardsOf(ctx, c)
		if err != nil {
			return unknownBecause(err), nil
		}
		card := CurrentCard(cards, on)
		e := s.decide(ctx, card, req.Stated, c.DOB, withFacility(card), vt, on)
		e.CitizenID = c.ID
		if c.ID != req.CitizenID {
			e.CurrentCitizenID, e.Warnings = c.ID, []string{WarnCancelledID}
		}
		if withHistory {
			e.History = s.history(ctx, c.ID, on, req.Facility)
		}
		return e, nil
	}

	if code := CheckCardNo(req.CardNo); code != "" {
		e := result(Ineligible, code)
		e.CardNo = req.CardNo
		return e, nil
	}
	card, err := s.Insurance.Card(ctx, req.CardNo)
	switch KindOf(err) {
	case "":
	case KindNotFound:
		e := result(Ineligible, CodeNoCard)
		e.CardNo = req.CardNo
		return e, nil
	default:
		return unknownBecause(err), nil
	}
	e := s.decide(ctx, &card, req.Stated, Date{}, withFacility(&card), vt, on)
	if withHistory {
		e.History = s.history(ctx, card.CitizenID, on, req.Facility)
	}
	return e, nil
}

// history returns the citizen's check-ins on a day at facilities other
// than the asking one. It is best effort: without the window the decision
// is still answered, without history.
func (s *Service) history(ctx context.Context, id CitizenID, on Date, facility string) []CheckRecord {
	visits, err := s.Ledger.Visits(ctx, id, on.String())
	if err != nil {
		return nil
	}
	out := []CheckRecord{}
	for _, v := range visits {
		if v.Facility != facility {
			out = append(out, CheckRecord{Facility: v.Facility, At: v.At.In(s.Location), VisitType: v.VisitType, Code: v.EligibilityCode})
		}
	}
	return out
}

// MaxDuplicateRange bounds an auditor's day range, so one query cannot
// walk years of records.
const MaxDuplicateRange = 400

// Duplicates returns one page of same-day multi-facility groups.
func (s *Service) Duplicates(ctx context.Context, q DuplicateQuery) (DuplicatePage, error) {
	from, err := parseDay(q.From, "from")
	if err != nil {
		return DuplicatePage{}, err
	}
	to, err := parseDay(q.To, "to")
	if err != nil {
		return DuplicatePage{}, err
	}
	ft, tt := from.Time(time.UTC), to.Time(time.UTC)
	if tt.Before(ft) {
		return DuplicatePage{}, Errorf(KindUnprocessable, "invalid_range", "to is before from")
	}
	if tt.Sub(ft) > MaxDuplicateRange*24*time.Hour {
		return DuplicatePage{}, Errorf(KindUnprocessable, "invalid_range", "a query covers at most %d days", MaxDuplicateRange)
	}
	switch {
	case q.Limit == 0:
		q.Limit = 100
	case q.Limit < 0 || q.Limit > 1000:
		return DuplicatePage{}, Errorf(KindUnprocessable, "invalid_limit", "limit must be between 1 and 1000")
	}
	page, err := s.Ledger.Duplicates(ctx, q)
	// Times as the facility's clock showed them: that is what an auditor
	// compares with the paper records.
	names := s.facilityNames()
	for i := range page.Items {
		for j := range page.Items[i].Visits {
			v := &page.Items[i].Visits[j]
			s.localVisit(v)
			v.FacilityName = names(ctx, v.Facility)
		}
	}
	return page, err
}

// Visits returns a citizen's recorded visits on a local day ("" : today)
// and the day it answered for.
func (s *Service) Visits(ctx context.Context, id CitizenID, day string) (string, []Visit, error) {
	if day == "" {
		day = s.Day(s.Now())
	} else if _, err := parseDay(day, "day"); err != nil {
		return "", nil, err
	}
	vs, err := s.Ledger.Visits(ctx, id, day)
	for i := range vs {
		s.localVisit(&vs[i])
	}
	return day, vs, err
}

// CheckinVisit returns the visit a check-in ID was answered with (see
// Ledger.Checkin), its time in the service's zone. A malformed ID is
// answered like an unknown one: it cannot be one the service gave out.
func (s *Service) CheckinVisit(ctx context.Context, checkinID string) (Visit, error) {
	if !ValidCheckinID(checkinID) {
		return Visit{}, ErrCheckinNotFound()
	}
	v, err := s.Ledger.Checkin(ctx, checkinID)
	if err != nil {
		return Visit{}, err
	}
	s.localVisit(&v)
	v.FacilityName = s.facilityName(ctx, v.Facility)
	return v, nil
}

// parseDay parses a full local day YYYY-MM-DD named by a request field.
func parseDay(s, field string) (Date, error) {
	d, err := ParseDate(s)
	if err != nil || !d.Full() {
		return Date{}, Errorf(KindUnprocessable, "invalid_date", "%s must be a day as YYYY-MM-DD", field)
	}
	return d, nil
}
