package verifier

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxReferralNo is the most characters a referral letter's number may have.
const MaxReferralNo = 50

// checkDesk validates the desk's fields of a check-in or an amendment at
// facility f for visit type vt.
func (s *Service) checkDesk(f Facility, vt VisitType, referralNo, department string, priority []string) error {
	if referralNo != "" {
		if vt != Referral {
			return Errorf(KindUnprocessable, "invalid_referral_no", "referral_no (the referral letter's number) goes only with visit_type referral")
		}
		if err := checkReferralNo(referralNo); err != nil {
			return err
		}
	}
	if department != "" {
		if _, ok := f.Department(department); !ok {
			if len(f.Departments) == 0 {
				return Errorf(KindUnprocessable, "invalid_department", "facility %s has no list of departments (facilities.jsonl); send no department", f.Code)
			}
			return Errorf(KindUnprocessable, "invalid_department", "department %q is not in the list of facility %s; choose one from GET /v1/desk", truncate(department, 40), f.Code)
		}
	}
	if len(priority) > len(s.Priority.Groups) {
		return Errorf(KindUnprocessable, "invalid_priority", "priority lists at most %d groups, each once", len(s.Priority.Groups))
	}
	return s.Priority.Check(priority)
}

// checkReferralNo refuses a referral letter's number that is blank, too
// long or holds characters that cannot be printed.
func checkReferralNo(no string) error {
	bad := strings.TrimSpace(no) == "" || !utf8.ValidString(no) || utf8.RuneCountInString(no) > MaxReferralNo ||
		strings.ContainsFunc(no, func(r rune) bool { return !unicode.IsPrint(r) })
	if bad {
		return Errorf(KindUnprocessable, "invalid_referral_no", "referral_no must be the referral letter's number as printed: 1 to %d printable characters", MaxReferralNo)
	}
	return nil
}

// localAck returns a copy of a with its time in the service's zone.
func (s *Service) localAck(a *Acknowledgement) *Acknowledgement {
	if a == nil {
		return nil
	}
	c := *a
	c.At = c.At.In(s.Location)
	return &c
}

// localVisit puts a stored visit's times in the service's zone.
func (s *Service) localVisit(v *Visit) {
	v.At = v.At.In(s.Location)
	v.Acknowledgement = s.localAck(v.Acknowledgement)
}

// checkinOf finds a visit by check-in ID for a desk of facility (""
// for any: an auditor).
func (s *Service) checkinOf(ctx context.Context, checkinID, facility string) (Visit, error) {
	if !ValidCheckinID(checkinID) {
		return Visit{}, ErrCheckinNotFound()
	}
	v, err := s.Ledger.Checkin(ctx, checkinID)
	if err != nil {
		return Visit{}, err
	}
	if err := sameFacility(v, facility); err != nil {
		return Visit{}, err
	}
	return v, nil
}

func sameFacility(v Visit, facility string) error {
	if facility != "" && v.Facility != facility {
		return Errorf(KindForbidden, "forbidden_facility", "this check-in was made at facility %s; a desk may only change the check-ins of its own facility (%s)", v.Facility, facility)
	}
	return nil
}

// AckRequest is a desk's acknowledgement of a flagged visit.
type AckRequest struct {
	CheckinID string
	Facility  string // the desk's facility: another facility's check-in is refused
	Reason    string
	Note      string
	By        string // the API key's name
}

// Acknowledge stores why a visit goes ahead despite a same-day flag
// (docs/domain.md §10), replacing an earlier acknowledgement, and returns
// it as stored.
func (s *Service) Acknowledge(ctx context.Context, req AckRequest) (Acknowledgement, error) {
	if !slices.Contains(AckReasons, req.Reason) {
		return Acknowledgement{}, Errorf(KindUnprocessable, "invalid_reason", "reason must be one of %s", strings.Join(AckReasons, ", "))
	}
	if !utf8.ValidString(req.Note) || utf8.RuneCountInString(req.Note) > MaxAckNote {
		return Acknowledgement{}, Errorf(KindUnprocessable, "invalid_note", "the note may have at most %d characters", MaxAckNote)
	}
	if !ValidCheckinID(req.CheckinID) {
		return Acknowledgement{}, ErrCheckinNotFound()
	}
	ack := Acknowledgement{Reason: req.Reason, Note: req.Note, By: req.By, At: s.Now().UTC()}
	_, err := s.Ledger.Amend(ctx, req.CheckinID, func(v *Visit) error {
		if err := sameFacility(*v, req.Facility); err != nil {
			return err
		}
		a := ack
		v.Acknowledgement = &a
		return nil
	})
	if err != nil {
		return Acknowledgement{}, err
	}
	return *s.localAck(&ack), nil
}

// AmendRequest changes a check-in after the scan: nil fields stay as they
// are. ReferralNo "" removes the number; a visit type other than referral
// removes it too.
type AmendRequest struct {
	CheckinID  string
	Facility   string // the desk's facility: another facility's check-in is refused
	VisitType  *VisitType
	ReferralNo *string
	Department *string
	Priority   *[]string
}

// AmendCheckin changes the visit type or the desk's fields of a recorded
// check-in (the same visit: ID, ticket and time kept) and answers as the
// check-in did, its coverage decided again for the new visit type. Nothing
// was read from a card for this answer: Identity says so (source
// SourceAmendment, not verified), and the desk keeps the scan's.
func (s *Service) AmendCheckin(ctx context.Context, req AmendRequest) (CheckinResult, error) {
	if req.VisitType != nil {
		vt, err := ParseVisitType(string(*req.VisitType))
		if err != nil {
			return CheckinResult{}, err
		}
		req.VisitType = &vt
	}
	v, err := s.checkinOf(ctx, req.CheckinID, req.Facility)
	if err != nil {
		return CheckinResult{}, err
	}
	fac, err := s.facility(ctx, v.Facility)
	if err != nil {
		return CheckinResult{}, err
	}
	cit, err := s.Population.Citizen(ctx, v.CitizenID)
	if err != nil {
		if KindOf(err) == KindNotFound {
			return CheckinResult{}, Errorf(KindNotFound, "citizen_not_found", "the citizen of this check-in is no longer in the population database")
		}
		return CheckinResult{}, err
	}
	day, err := parseDay(v.Day, "day")
	if err != nil {
		return CheckinResult{}, err
	}
	amended, err := s.Ledger.Amend(ctx, req.CheckinID, func(a *Visit) error {
		if err := sameFacility(*a, req.Facility); err != nil {
			return err
		}
		if req.VisitType != nil {
			a.VisitType = *req.VisitType
			if a.VisitType != Referral {
				a.ReferralNo = ""
			}
		}
		if req.ReferralNo != nil {
			a.ReferralNo = *req.ReferralNo
		}
		if req.Department != nil {
			a.Department = *req.Department
		}
		chosen := s.Priority.Chosen(a.Priority)
		if req.Priority != nil {
			chosen = *req.Priority
		}
		if err := s.checkDesk(fac, a.VisitType, a.ReferralNo, a.Department, chosen); err != nil {
			return err
		}
		a.Priority = s.Priority.Of(a.VisitType, cit.DOB, day, chosen)
		return nil
	})
	if err != nil {
		return CheckinResult{}, err
	}
	res := CheckinResult{
		CheckinID: amended.CheckinID,
		Citizen:   CitizenView{ID: cit.ID, FullName: cit.FullName, DOB: cit.DOB, Gender: cit.Gender, Address: cit.PermanentAddress},
		Identity:  IdentityCheck{Source: SourceAmendment, Mismatches: []string{}, Warnings: []string{}, Cached: cit.FromCache},
		Dedupe:    DedupeOK,
		Duplicate: DuplicateFlag{Others: []OtherVisit{}},
	}
	res.Eligibility = s.decideForCitizen(ctx, cit, nil, Stated{}, fac, amended.VisitType, day)
	res.Visit = s.visitView(fac, amended)
	if vs, err := s.Ledger.Visits(ctx, cit.ID, amended.Day); err != nil {
		res.Dedupe = DedupeUnavailable
	} else {
		for _, o := range vs {
			if o.Facility != amended.Facility {
				res.Duplicate.Others = append(res.Duplicate.Others, OtherVisit{Facility: o.Facility, FacilityName: s.facilityName(ctx, o.Facility), VisitType: o.VisitType, At: o.At.In(s.Location)})
			}
		}
		res.Duplicate.Flagged = len(res.Duplicate.Others) > 0
	}
	return res, nil
}

// SourceAmendment is the identity source of an answer to an amendment:
// no card was read for it.
const SourceAmendment = "amendment"

// DeskInfo is what a desk's page needs of its facility.
type DeskInfo struct {
	Facility               DeskFacility   `json:"facility"`
	Desk                   string         `json:"desk"`
	Departments            []Department   `json:"departments"`
	PriorityGroups         []DeskPriority `json:"priority_groups"`
	AcknowledgementReasons []string       `json:"acknowledgement_reasons"`
	VisitTypes             []VisitType    `json:"visit_types"`
}

// DeskFacility names a desk's facility and the zone of its clock.
type DeskFacility struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Level    string `json:"level,omitempty"`
	TimeZone string `json:"time_zone"`
}

// DeskPriority is a priority group as a desk offers it: computed (auto)
// or chosen by the clerk.
type DeskPriority struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
	Auto bool   `json:"auto"`
}

// Desk returns what the desk named desk at facility needs.
func (s *Service) Desk(ctx context.Context, facility, desk string) (DeskInfo, error) {
	f, err := s.facility(ctx, facility)
	if err != nil {
		return DeskInfo{}, err
	}
	d := DeskInfo{
		Facility:               DeskFacility{Code: f.Code, Name: f.Name, Level: f.Level, TimeZone: s.Location.String()},
		Desk:                   desk,
		Departments:            append([]Department{}, f.Departments...),
		PriorityGroups:         []DeskPriority{},
		AcknowledgementReasons: slices.Clone(AckReasons),
		VisitTypes:             []VisitType{Outpatient, Referral, Emergency, FollowUp, Inpatient},
	}
	for _, g := range s.Priority.Groups {
		d.PriorityGroups = append(d.PriorityGroups, DeskPriority{Code: g.Code, Name: g.Name, Auto: g.Auto()})
	}
	return d, nil
}
