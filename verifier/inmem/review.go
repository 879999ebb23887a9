package inmem

import (
	"context"

	"github.com/vnhealth/cccd-checkin/verifier"
)

var _ verifier.ReviewStore = (*Ledger)(nil)

// SetReview implements verifier.ReviewStore: the review is kept in the
// group itself, so it expires with it.
func (l *Ledger) SetReview(_ context.Context, id verifier.CitizenID, day string, r verifier.Review) error {
	if err := checkLedgerDays(day); err != nil {
		return err
	}
	now := l.now()
	s := l.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *ledgerGroup
	if c := s.citizens[id]; c != nil {
		g = c.groups[day]
	}
	if g == nil || !g.expireAt.After(now) {
		return verifier.Errorf(verifier.KindNotFound, "group_not_found", "no duplicate group of that citizen on that day")
	}
	l.groups.mu.Lock() // a group is written with both locks held
	defer l.groups.mu.Unlock()
	g.review = &r
	return nil
}
