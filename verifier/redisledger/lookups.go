package redisledger

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The Ledger is also the look-up log of card checks (verifier.LookupLog):
// under the citizen's pseudonymised hash tag, beside the day's window, so
// that one card's checks and visits live in one cluster slot and expire
// together. Neither the key nor the record holds a citizen ID; the staff
// member is the caller's pseudonym.

var _ verifier.LookupLog = (*Ledger)(nil)

// lookupRecord is a look-up as stored: [facility, user, unix seconds,
// nanoseconds, code, staff pseudonym].
type lookupRecord [6]any

// AddLookup implements verifier.LookupLog: RPUSH, LTRIM to the newest
// verifier.MaxLookupsPerDay and EXPIREAT in one MULTI (one slot, one round
// trip), within ctx and at most Options.WriteTimeout.
func (l *Ledger) AddLookup(ctx context.Context, id verifier.CitizenID, day string, lk verifier.Lookup, expireAt time.Time) error {
	rec, err := json.Marshal(lookupRecord{lk.Facility, lk.User, lk.At.Unix(), lk.At.Nanosecond(), lk.Code, lk.Staff})
	if err != nil {
		return verifier.Wrap(err, verifier.KindInternal, "lookup_encode", "a look-up could not be encoded")
	}
	ctx, cancel := context.WithTimeout(ctx, l.o.WriteTimeout)
	defer cancel()
	key := l.lookupKey(l.pseudonym(id), day)
	pipe := l.rdb.TxPipeline()
	pipe.RPush(ctx, key, rec)
	pipe.LTrim(ctx, key, -verifier.MaxLookupsPerDay, -1)
	pipe.ExpireAt(ctx, key, expireAt)
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Lookups implements verifier.LookupLog.
func (l *Ledger) Lookups(ctx context.Context, id verifier.CitizenID, day string) ([]verifier.Lookup, error) {
	raw, err := l.rdb.LRange(ctx, l.lookupKey(l.pseudonym(id), day), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]verifier.Lookup, 0, len(raw))
	for _, r := range raw {
		var rec struct {
			fac, user  string
			sec, nanos int64
			code, staf string
		}
		fields := []any{&rec.fac, &rec.user, &rec.sec, &rec.nanos, &rec.code, &rec.staf}
		if err := json.Unmarshal([]byte(r), &fields); err != nil || len(fields) != 6 {
			return nil, verifier.Errorf(verifier.KindInternal, "ledger_corrupt", "a stored look-up cannot be read")
		}
		out = append(out, verifier.Lookup{Facility: rec.fac, User: rec.user, At: time.Unix(rec.sec, rec.nanos).UTC(), Code: rec.code, Staff: rec.staf})
	}
	return out, nil
}
