package verifier

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// VisitType is how the patient came in. Only outpatient visits are the
// insurer's double-payment risk, but every type is recorded and shown, because
// an auditor needs the whole day to judge a group.
type VisitType string

const (
	Outpatient VisitType = "outpatient"
	Emergency  VisitType = "emergency"
	Referral   VisitType = "referral"
	Inpatient  VisitType = "inpatient"
	// FollowUp is a follow-up visit on the facility's appointment: a
	// correct-route case under Circular 30/2020 (docs/domain.md §10).
	FollowUp VisitType = "follow_up"
)

// ParseVisitType returns the visit type named by s; "" means outpatient.
func ParseVisitType(s string) (VisitType, error) {
	switch VisitType(s) {
	case "":
		return Outpatient, nil
	case Outpatient, Emergency, Referral, Inpatient, FollowUp:
		return VisitType(s), nil
	}
	return "", Errorf(KindUnprocessable, "invalid_visit_type", "visit_type must be one of outpatient, emergency, referral, follow_up, inpatient")
}

// Visit is one check-in of one citizen at one facility.
type Visit struct {
	CheckinID string    `json:"checkin_id"`
	CitizenID CitizenID `json:"citizen_id"`
	Facility  string    `json:"facility"`
	VisitType VisitType `json:"visit_type"`
	At        time.Time `json:"at"`  // when the card was scanned (UTC instant)
	Day       string    `json:"day"` // the local calendar day of At, YYYY-MM-DD
	Kiosk     string    `json:"kiosk,omitempty"`
	// Ticket is the queue number of the visit at its facility on Day: the
	// ledger numbers new visits 1, 2, 3… per facility and local day (a
	// re-scan keeps its number). Numbers increase; a number may be skipped
	// on a Redis Cluster, where it is drawn before the visit is known new.
	Ticket int `json:"ticket,omitempty"`
	// EligibilityCode is the insurer result code the check-in answered,
	// kept so that later eligibility checks can show the card's check
	// history like the insurer's gateway does.
	EligibilityCode string `json:"eligibility_code,omitempty"`
	// FacilityName is the facility's name, filled in where auditors read
	// visits (duplicate groups, findings); ledgers do not store it.
	FacilityName string `json:"facility_name,omitempty"`

	// What the desk said about the visit, at the scan or amended later
	// (Ledger.Amend): the referral letter's number (visit type referral
	// only), the department or room of the ticket (a code of the
	// facility's list), the priority groups (computed and chosen, see
	// PriorityRules), and the clerk's acknowledgement of a same-day flag.
	ReferralNo      string           `json:"referral_no,omitempty"`
	Department      string           `json:"department,omitempty"`
	Priority        []string         `json:"priority,omitempty"`
	Acknowledgement *Acknowledgement `json:"acknowledgement,omitempty"`
}

// Acknowledgement is the desk's record of why a visit flagged as a
// same-day duplicate goes ahead (docs/domain.md §10: the flag is for
// review, never a refusal, so the auditor needs the reason).
type Acknowledgement struct {
	Reason string    `json:"reason"`
	Note   string    `json:"note"`
	By     string    `json:"by"` // the API key's name: the desk
	At     time.Time `json:"at"`
}

// Acknowledgement reasons.
const (
	AckReferral      = "referral"
	AckEmergency     = "emergency"
	AckFollowUp      = "follow_up"
	AckChronic       = "chronic"
	AckPatientChoice = "patient_choice"
	AckOther         = "other"
)

// AckReasons lists the acknowledgement reasons, in the order a desk offers them.
var AckReasons = []string{AckReferral, AckEmergency, AckFollowUp, AckChronic, AckPatientChoice, AckOther}

// MaxAckNote is the most characters (runes) an acknowledgement's note may have.
const MaxAckNote = 500

// amendable restores on a what an amendment may not change: everything
// but the desk's fields and the visit type.
func (v Visit) amendable(a Visit) Visit {
	a.CheckinID, a.CitizenID, a.Facility, a.At, a.Day = v.CheckinID, v.CitizenID, v.Facility, v.At, v.Day
	a.Kiosk, a.Ticket, a.FacilityName = v.Kiosk, v.Ticket, ""
	return a
}

// AmendVisit applies fn to a copy of v and returns the result with the
// fields an amendment may not change restored (see Ledger.Amend): ledgers
// call it so that they all keep the same fields.
func AmendVisit(v Visit, fn func(*Visit) error) (Visit, error) {
	a := v
	a.Priority = append([]string(nil), v.Priority...)
	if v.Acknowledgement != nil {
		ack := *v.Acknowledgement
		a.Acknowledgement = &ack
	}
	if err := fn(&a); err != nil {
		return Visit{}, err
	}
	return v.amendable(a), nil
}

// Recording is what the service asks a ledger to record: the visit and the
// rules the ledger applies atomically with the write.
type Recording struct {
	Visit Visit
	// RepeatWithin: an earlier visit of the same citizen at the same
	// facility on the same day no older than this (relative to Visit.At, in
	// either direction) is the same check-in: nothing new is recorded and
	// the earlier visit is returned with Repeat set.
	RepeatWithin time.Duration
	// ExpireAt is when the citizen's window for Visit.Day may be forgotten:
	// the end of the local day plus the longest accepted offline delay, so
	// that late arrivals still meet the visits of their day.
	ExpireAt time.Time
	// FullName is the population record's name, stored with a duplicate
	// group so auditors can read it after the population data changed.
	FullName string
}

// Validate reports what no ledger may record: a visit without a check-in
// ID, citizen, facility, time or valid local day. Such a recording is a
// caller's bug (KindInternal), never queued or stored.
func (r Recording) Validate() error {
	v := r.Visit
	missing := ""
	switch {
	case v.CheckinID == "":
		missing = "a check-in id"
	case v.CitizenID == "":
		missing = "a citizen"
	case v.Facility == "":
		missing = "a facility"
	case v.At.IsZero():
		missing = "a time"
	default:
		if _, err := time.Parse(time.DateOnly, v.Day); err != nil {
			missing = "a valid day"
		}
	}
	if missing != "" {
		return Errorf(KindInternal, "invalid_recording", "the ledger was asked to record a visit without %s", missing)
	}
	return nil
}

// Recorded is the ledger's answer to a Recording.
type Recorded struct {
	// Visit is the stored visit: the new one, or the earlier one on a repeat.
	Visit Visit
	// Repeat reports that Visit is an earlier check-in returned again.
	Repeat bool
	// Others are the citizen's visits on the same local day at other
	// facilities, in time order, as seen atomically with the write: of two
	// concurrent check-ins of one citizen, the later-serialised one always
	// sees the earlier one.
	Others []Visit
}

// DuplicateGroup is one citizen's local day with visits at two or more
// facilities, kept for auditors after the same-day window has expired.
type DuplicateGroup struct {
	CitizenID CitizenID `json:"citizen_id"`
	FullName  string    `json:"full_name"`
	Day       string    `json:"day"`
	Visits    []Visit   `json:"visits"`
	// Review is the auditor's judgement of the group; nil: none yet
	// (open).
	Review *Review `json:"review,omitempty"`
}

// DuplicateQuery selects duplicate groups. From and To are local days
// (YYYY-MM-DD, inclusive). Facility and Citizen filter when non-empty: a
// group matches Facility when any of its visits was there.
type DuplicateQuery struct {
	From, To string
	Facility string
	Citizen  CitizenID
	Limit    int
	// Cursor is an opaque position returned as NextCursor by the previous
	// page; "" starts at the beginning. Groups are ordered by day, then by
	// the time they were first flagged, so new groups never shift a cursor.
	Cursor string
}

// DuplicatePage is one page of duplicate groups.
type DuplicatePage struct {
	Items      []DuplicateGroup
	NextCursor string // "" when there is no further page
}

// Ledger is the same-day visit window and the record of duplicate groups.
// Implementations must be safe for concurrent use, and Record must be atomic
// per citizen across every process that shares the ledger.
type Ledger interface {
	Record(ctx context.Context, r Recording) (Recorded, error)
	// Visits returns the citizen's visits on a local day, in time order.
	Visits(ctx context.Context, id CitizenID, day string) ([]Visit, error)
	Duplicates(ctx context.Context, q DuplicateQuery) (DuplicatePage, error)
	// Checkin returns the visit a check-in ID was answered with: the visit
	// recorded under that ID or, for a re-scan merged into an earlier visit
	// (Recorded.Repeat), that earlier visit. An ID the ledger never
	// recorded, or whose visit has expired (the window, or the duplicate
	// group's retention), is KindNotFound. The ID of a check-in recorded
	// later (an outbox replay) resolves from then on.
	Checkin(ctx context.Context, checkinID string) (Visit, error)
	// Amend changes the visit a check-in ID answers (as Checkin finds it)
	// in place, through AmendVisit(visit, fn), and returns the stored
	// result: the same check-in ID, ticket, time and facility, with the
	// visit type and the desk's fields (ReferralNo, Department, Priority,
	// Acknowledgement, EligibilityCode) as fn left them, wherever the
	// visit is kept (window and duplicate group), with their expiry
	// unchanged. fn may run more than once (a concurrent change retries
	// it on the newer visit); an error from fn is returned as it is and
	// nothing is stored. Unknown IDs are KindNotFound as for Checkin.
	Amend(ctx context.Context, checkinID string, fn func(*Visit) error) (Visit, error)
	// Ping reports whether the ledger's store answers.
	Ping(ctx context.Context) error
}

// MaxCheckinIDLen bounds a check-in ID a client may ask for: the service's
// IDs have 16 characters; anything much longer is not one of them.
const MaxCheckinIDLen = 64

// ValidCheckinID reports whether s can be a check-in ID: 1 to
// MaxCheckinIDLen letters, digits, '-' or '_'. Ledgers build key names from
// IDs, so an ID from a request is checked before it reaches them.
func ValidCheckinID(s string) bool {
	if s == "" || len(s) > MaxCheckinIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ErrCheckinNotFound is the error of Ledger.Checkin for an unknown ID.
func ErrCheckinNotFound() error {
	return Errorf(KindNotFound, "checkin_not_found", "no check-in with this ID is known (it may have expired)")
}

// SortVisits puts visits in the order every ledger answers them: by time,
// then by check-in ID, so that visits of the same instant always come in
// the same order.
func SortVisits(vs []Visit) {
	slices.SortStableFunc(vs, func(a, b Visit) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CheckinID, b.CheckinID))
	})
}
