package verifier

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"time"
)

// PopulationRegistry is what the service needs of the population database.
// Citizen returns a KindNotFound error for an unknown ID.
type PopulationRegistry interface {
	Citizen(ctx context.Context, id CitizenID) (Citizen, error)
}

// InsuranceRegistry is what the service needs of the insurer's card registry.
// Card returns a KindNotFound error for an unknown number; CardsOf returns no
// cards and no error for a citizen without any.
type InsuranceRegistry interface {
	CardsOf(ctx context.Context, id CitizenID) ([]Card, error)
	Card(ctx context.Context, cardNo string) (Card, error)
}

// FacilityRegistry is what the service needs to know of facilities.
type FacilityRegistry interface {
	Facility(ctx context.Context, code string) (Facility, error)
}

// Service answers check-ins, eligibility checks and auditors' queries. Its
// fields are set once before use; it is then safe for concurrent use.
type Service struct {
	Population PopulationRegistry
	Insurance  InsuranceRegistry
	Facilities FacilityRegistry
	Ledger     Ledger
	Coverage   *CoverageRules
	// Priority are the reception's priority groups (default
	// DefaultPriorityRules).
	Priority *PriorityRules
	// Staff is the register of card-checking staff (staff.jsonl); nil when
	// none is loaded, and then card checks name no staff member.
	Staff StaffRegistry
	// Lookups is the look-up log of card checks (the gateway's history);
	// nil: card checks are answered but not recorded.
	Lookups LookupLog
	// Pseudonyms keys the staff references kept with look-ups; nil: a
	// per-process random key.
	Pseudonyms *Pseudonymizer
	// LookupTimeout bounds each call to the look-up log, so that a card
	// check is answered, without its history, while the log's store is
	// slow or down (default 250ms).
	LookupTimeout time.Duration
	// Claims keeps imported claim files; nil: claims are refused.
	Claims ClaimStore
	// Reviews keeps auditors' review states of duplicate groups; nil:
	// reviews are refused.
	Reviews ReviewStore

	// Now is the clock, read once per request.
	Now func() time.Time
	// Location defines "the same day" (Asia/Ho_Chi_Minh by default).
	Location *time.Location
	// RepeatWithin: a re-scan at the same facility within this long is
	// the same check-in (default 10 minutes).
	RepeatWithin time.Duration
	// MaxOfflineAge: how old a queued check-in's scanned_at may be (72 h).
	MaxOfflineAge time.Duration
	// MaxClockSkew: how far in the future scanned_at may be (5 minutes).
	MaxClockSkew time.Duration
	// NewID returns a fresh check-in ID for a visit of the citizen on the
	// local day (YYYY-MM-DD); random when nil. A ledger may mint IDs that
	// say where their visit is (redisledger.Ledger.NewCheckinID), so that
	// recording a visit writes no index entry for its ID.
	NewID func(id CitizenID, day string) string
}

// Defaults fills unset tunables with the documented defaults.
func (s *Service) Defaults() {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Location == nil {
		s.Location = time.UTC
	}
	if s.Coverage == nil {
		s.Coverage = DefaultCoverageRules()
	}
	if s.Priority == nil {
		s.Priority = DefaultPriorityRules()
	}
	if s.RepeatWithin == 0 {
		s.RepeatWithin = 10 * time.Minute
	}
	if s.MaxOfflineAge == 0 {
		s.MaxOfflineAge = 72 * time.Hour
	}
	if s.MaxClockSkew == 0 {
		s.MaxClockSkew = 5 * time.Minute
	}
	if s.NewID == nil {
		s.NewID = randomID
	}
	if s.LookupTimeout == 0 {
		s.LookupTimeout = 250 * time.Millisecond
	}
	if s.Pseudonyms == nil {
		s.Pseudonyms = randomPseudonymizer()
	}
}

// Day returns the local calendar day of t, YYYY-MM-DD.
func (s *Service) Day(t time.Time) string { return t.In(s.Location).Format(time.DateOnly) }

// facility returns a known facility or an unprocessable error.
func (s *Service) facility(ctx context.Context, code string) (Facility, error) {
	if len(code) != 5 {
		return Facility{}, Errorf(KindUnprocessable, "invalid_facility", "a facility code has 5 characters")
	}
	f, err := s.Facilities.Facility(ctx, code)
	if KindOf(err) == KindNotFound {
		return Facility{}, Errorf(KindUnprocessable, "unknown_facility", "facility %s is not known to this service", code)
	}
	return f, err
}

// CheckinIDEncoding is the alphabet of the check-in IDs this service mints
// (Crockford-style base32, lower case, no i, l, o or u; no padding), for a
// ledger that mints its own (Service.NewID). Not to be modified.
var CheckinIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// RandomCheckinID returns 80 random bits in CheckinIDEncoding (16
// characters): a check-in ID that says nothing of its visit.
func RandomCheckinID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return CheckinIDEncoding.EncodeToString(b[:])
}

// randomID is Service.NewID's default.
func randomID(CitizenID, string) string { return RandomCheckinID() }
