package inmem

import (
	"context"
	"sync"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// LookupLog is the look-up log of card checks held in process memory, for
// a single kioskd without Redis. Days are forgotten at their expiry.
type LookupLog struct {
	now func() time.Time

	mu     sync.Mutex
	days   map[lookupKey]*lookupDay
	writes int // since the last sweep
}

type lookupKey struct {
	id  verifier.CitizenID
	day string
}

type lookupDay struct {
	entries  []verifier.Lookup
	expireAt time.Time
}

var _ verifier.LookupLog = (*LookupLog)(nil)

// NewLookupLog returns an empty log; now is its clock (nil: time.Now),
// against which expiry is judged.
func NewLookupLog(now func() time.Time) *LookupLog {
	if now == nil {
		now = time.Now
	}
	return &LookupLog{now: now, days: map[lookupKey]*lookupDay{}}
}

// sweepEvery is how many writes pass between sweeps of expired days: the
// sweep walks the whole map, so it runs rarely.
const sweepEvery = 4096

// AddLookup implements verifier.LookupLog.
func (l *LookupLog) AddLookup(_ context.Context, id verifier.CitizenID, day string, lk verifier.Lookup, expireAt time.Time) error {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.writes++; l.writes >= sweepEvery {
		l.writes = 0
		for k, d := range l.days {
			if !now.Before(d.expireAt) {
				delete(l.days, k)
			}
		}
	}
	k := lookupKey{id, day}
	d := l.days[k]
	if d == nil || !now.Before(d.expireAt) {
		d = &lookupDay{}
		l.days[k] = d
	}
	d.entries = append(d.entries, lk)
	if over := len(d.entries) - verifier.MaxLookupsPerDay; over > 0 {
		d.entries = append(d.entries[:0], d.entries[over:]...)
	}
	d.expireAt = expireAt
	return nil
}

// Lookups implements verifier.LookupLog.
func (l *LookupLog) Lookups(_ context.Context, id verifier.CitizenID, day string) ([]verifier.Lookup, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.days[lookupKey{id, day}]
	if d == nil || !now.Before(d.expireAt) {
		return nil, nil
	}
	return append([]verifier.Lookup(nil), d.entries...), nil
}
