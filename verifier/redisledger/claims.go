package redisledger

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Claims is the verifier.ClaimStore kept in the ledger's Redis, under its
// key prefix and with its retention (see the key layout in the package
// comment): claims are audit evidence like duplicate groups, and are kept
// as long.
type Claims struct{ l *Ledger }

var _ verifier.ClaimStore = Claims{}

// Claims returns the claim store that shares the ledger's Redis, prefix and
// retention.
func (l *Ledger) Claims() Claims { return Claims{l} }

// claimRetries bounds the optimistic retries of one facility's batch when
// another process changes one of its claims between read and write.
const claimRetries = 10

// claimExpiry is when a day's claims may be forgotten: the retention after
// the day's end in any zone (a day ends at most 24 h after its UTC
// midnight plus the zone's offset, so 48 h covers every zone).
func (l *Ledger) claimExpiry(day string) (time.Time, error) {
	t, err := time.Parse(dayLayout, day)
	if err != nil {
		return time.Time{}, badDay()
	}
	return t.Add(48 * time.Hour).Add(l.o.Retention), nil
}

// PutClaims implements verifier.ClaimStore. The claims of each facility are
// written in one MULTI/EXEC transaction guarded by WATCH on the keys that
// say which day each claim is filed under: a concurrent import of the same
// claim makes the transaction retry, so a claim is never left under two
// days. Cost per facility: one round trip to read, one to write.
func (c Claims) PutClaims(ctx context.Context, claims []verifier.Claim) ([]bool, error) {
	l := c.l
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(l.o.WriteTimeout, 10*time.Second))
	defer cancel()
	byFac := map[string][]int{}
	var facs []string
	for i, cl := range claims {
		if cl.Facility == "" || cl.MaLK == "" {
			return nil, verifier.Errorf(verifier.KindInternal, "invalid_claim", "a claim without facility or MA_LK")
		}
		if _, err := l.claimExpiry(cl.Day); err != nil {
			return nil, err
		}
		if byFac[cl.Facility] == nil {
			facs = append(facs, cl.Facility)
		}
		byFac[cl.Facility] = append(byFac[cl.Facility], i)
	}
	replaced := make([]bool, len(claims))
	days := map[string]map[string]bool{} // day → facilities
	for _, fac := range facs {
		idx := byFac[fac]
		if err := c.putFacility(ctx, claims, idx, replaced); err != nil {
			return nil, err
		}
		for _, i := range idx {
			d := claims[i].Day
			if days[d] == nil {
				days[d] = map[string]bool{}
			}
			days[d][fac] = true
		}
	}
	// The day's facility sets: idempotent, so written after the claims
	// (a failure here is healed by the retry the caller gets).
	pipe := l.rdb.Pipeline()
	for d, fs := range days {
		exp, _ := l.claimExpiry(d)
		members := make([]any, 0, len(fs))
		for f := range fs {
			members = append(members, f)
		}
		pipe.SAdd(ctx, l.claimFacilitiesKey(d), members...)
		pipe.PExpireAt(ctx, l.claimFacilitiesKey(d), exp)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable(err)
	}
	return replaced, nil
}

func (c Claims) putFacility(ctx context.Context, claims []verifier.Claim, idx []int, replaced []bool) error {
	l := c.l
	fac := claims[idx[0]].Facility
	filed := make([]string, len(idx))
	recs := make([]string, len(idx))
	for j, i := range idx {
		filed[j] = l.claimFiledKey(fac, claims[i].MaLK)
		b, err := json.Marshal(claims[i])
		if err != nil {
			return verifier.Wrap(err, verifier.KindInternal, "internal", "a claim cannot be encoded")
		}
		recs[j] = string(b)
	}
	txf := func(tx *redis.Tx) error {
		olds, err := tx.MGet(ctx, filed...).Result()
		if err != nil {
			return err
		}
		// Within the batch a later claim with the same MA_LK replaces an
		// earlier one: track what the batch itself filed.
		now := map[string]string{}
		for j, i := range idx {
			old, _ := olds[j].(string)
			if d, ok := now[filed[j]]; ok {
				old = d
			}
			replaced[i] = old != ""
			now[filed[j]] = claims[i].Day
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			seen := map[string]string{}
			for j, i := range idx {
				cl := claims[i]
				old, _ := olds[j].(string)
				if d, ok := seen[filed[j]]; ok {
					old = d
				}
				if old != "" && old != cl.Day {
					p.HDel(ctx, l.claimDayKey(fac, old), cl.MaLK)
				}
				seen[filed[j]] = cl.Day
				exp, _ := l.claimExpiry(cl.Day)
				dk := l.claimDayKey(fac, cl.Day)
				p.HSet(ctx, dk, cl.MaLK, recs[j])
				p.PExpireAt(ctx, dk, exp)
				p.Set(ctx, filed[j], cl.Day, 0)
				p.PExpireAt(ctx, filed[j], exp)
			}
			return nil
		})
		return err
	}
	for range claimRetries {
		err := l.rdb.Watch(ctx, txf, filed...)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return unavailable(err)
		}
		return nil
	}
	return verifier.Errorf(verifier.KindUnavailable, "claims_contended", "the claims are being changed by another import; retry")
}

// ClaimsOn implements verifier.ClaimStore: the day's facility set, then one
// pipelined HGETALL per facility.
func (c Claims) ClaimsOn(ctx context.Context, day string) ([]verifier.Claim, error) {
	l := c.l
	if _, err := l.claimExpiry(day); err != nil {
		return nil, err
	}
	facs, err := l.rdb.SMembers(ctx, l.claimFacilitiesKey(day)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	if len(facs) == 0 {
		return nil, nil
	}
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(facs))
	for i, f := range facs {
		cmds[i] = pipe.HGetAll(ctx, l.claimDayKey(f, day))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	var out []verifier.Claim
	for _, cmd := range cmds {
		for _, rec := range cmd.Val() {
			var cl verifier.Claim
			if err := json.Unmarshal([]byte(rec), &cl); err != nil {
				return nil, verifier.Errorf(verifier.KindInternal, "ledger_corrupt", "a stored claim cannot be read")
			}
			out = append(out, cl)
		}
	}
	return out, nil
}
