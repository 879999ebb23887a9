package redisledger

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
)

var _ verifier.ReviewStore = (*Ledger)(nil)

// reviewScript stores a review beside its group, with the group's expiry,
// only while the group exists.
//
// KEYS[1] group:  <prefix>{<pseudonym>}:g:<day>
// KEYS[2] review: <prefix>{<pseudonym>}:r:<day>
// ARGV[1] the review, JSON
// Returns 1 when stored, 0 when there is no group.
var reviewScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl > 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
else
  redis.call('SET', KEYS[2], ARGV[1])
end
return 1
`)

// SetReview implements verifier.ReviewStore.
func (l *Ledger) SetReview(ctx context.Context, id verifier.CitizenID, day string, r verifier.Review) error {
	if _, err := dayNumber(day); err != nil {
		return badDay()
	}
	ps := l.pseudonym(id)
	b, err := json.Marshal(r)
	if err != nil {
		return verifier.Wrap(err, verifier.KindInternal, "internal", "a review cannot be encoded")
	}
	n, err := reviewScript.Run(ctx, l.rdb, []string{l.groupKey(ps, day), l.reviewKey(ps, day)}, b).Int()
	if err != nil {
		return unavailable(err)
	}
	if n == 0 {
		return verifier.Errorf(verifier.KindNotFound, "group_not_found", "no duplicate group of that citizen on that day")
	}
	return nil
}

// decodeReview reads a stored review; nil when there is none. A review
// that cannot be read is left out rather than hiding its group.
func decodeReview(s string) *verifier.Review {
	if s == "" {
		return nil
	}
	var r verifier.Review
	if json.Unmarshal([]byte(s), &r) != nil || r.State == "" {
		return nil
	}
	return &r
}
