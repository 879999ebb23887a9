package inmem

import (
	"context"
	"sync"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Claims is the in-process verifier.ClaimStore: claims by local day, kept
// as long as the ledger keeps duplicate groups (the retention, counted from
// the end of the claim's day). It is safe for concurrent use.
type Claims struct {
	now       func() time.Time
	retention time.Duration

	mu        sync.RWMutex
	byDay     map[string]map[string]*verifier.Claim // day → key → claim
	dayOf     map[string]string                     // key → day
	nextSweep time.Time
}

var _ verifier.ClaimStore = (*Claims)(nil)

// NewClaims returns an empty claim store keeping claims for retention
// (DefaultRetention when 0) after their day, on the clock now (time.Now
// when nil).
func NewClaims(retention time.Duration, now func() time.Time) *Claims {
	if retention <= 0 {
		retention = DefaultRetention
	}
	if now == nil {
		now = time.Now
	}
	return &Claims{now: now, retention: retention, byDay: map[string]map[string]*verifier.Claim{}, dayOf: map[string]string{}}
}

// PutClaims implements verifier.ClaimStore.
func (s *Claims) PutClaims(_ context.Context, claims []verifier.Claim) ([]bool, error) {
	for _, c := range claims {
		if err := checkLedgerDays(c.Day); err != nil || c.Day == "" || c.Facility == "" || c.MaLK == "" {
			return nil, verifier.Errorf(verifier.KindInternal, "invalid_claim", "a claim without facility, MA_LK or day")
		}
	}
	replaced := make([]bool, len(claims))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	for i := range claims {
		c := claims[i]
		k := c.Key()
		if old, ok := s.dayOf[k]; ok {
			replaced[i] = true
			delete(s.byDay[old], k)
			if len(s.byDay[old]) == 0 {
				delete(s.byDay, old)
			}
		}
		m := s.byDay[c.Day]
		if m == nil {
			m = map[string]*verifier.Claim{}
			s.byDay[c.Day] = m
		}
		m[k] = &c
		s.dayOf[k] = c.Day
	}
	return replaced, nil
}

// ClaimsOn implements verifier.ClaimStore.
func (s *Claims) ClaimsOn(_ context.Context, day string) ([]verifier.Claim, error) {
	if err := checkLedgerDays(day); err != nil {
		return nil, err
	}
	if s.expired(day, s.now()) {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.byDay[day]
	out := make([]verifier.Claim, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	return out, nil
}

// expired reports whether a day's claims are past the retention.
func (s *Claims) expired(day string, now time.Time) bool {
	t, err := time.Parse(ledgerDayLayout, day)
	if err != nil {
		return true
	}
	// The day's end in any zone is at most a day after its UTC midnight.
	return !t.Add(48 * time.Hour).Add(s.retention).After(now)
}

// sweep drops expired days at most once per ledgerSweepEvery; s.mu is held.
func (s *Claims) sweep() {
	now := s.now()
	if now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(ledgerSweepEvery)
	for day, m := range s.byDay {
		if s.expired(day, now) {
			for k := range m {
				delete(s.dayOf, k)
			}
			delete(s.byDay, day)
		}
	}
}
