// Package redisstore keeps the HTTP layer's shared state in Redis, so that
// several kioskd processes behind one Redis agree on it: the first answers
// to Idempotency-Key requests, and the access log of reads.
package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
)

// Idempotency implements kiosk.IdempotencyStore. A key's claim and its
// answer live in one string key, <prefix>idem:<sha256 of the scoped key>:
// "pending" while the first request runs (for at most a minute, so a crash
// frees it), then the JSON answer for the TTL.
type Idempotency struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ kiosk.IdempotencyStore = (*Idempotency)(nil)

// NewIdempotency returns a store under the key prefix (e.g. "ck:").
func NewIdempotency(rdb redis.UniversalClient, prefix string) *Idempotency {
	return &Idempotency{rdb: rdb, prefix: prefix}
}

const pending = "pending"

func (s *Idempotency) key(k string) string {
	// The scoped key holds an API key's name and a client's string:
	// hash it so neither shapes the Redis key space.
	sum := sha256.Sum256([]byte(k))
	return s.prefix + "idem:" + hex.EncodeToString(sum[:16])
}

// Begin claims key with SET NX, or reads the claim or answer already there.
func (s *Idempotency) Begin(ctx context.Context, key string, _ time.Duration) (kiosk.Answer, int, error) {
	k := s.key(key)
	ok, err := s.rdb.SetNX(ctx, k, pending, time.Minute).Result()
	if err != nil {
		return kiosk.Answer{}, 0, unavailable(err)
	}
	if ok {
		return kiosk.Answer{}, kiosk.ClaimNew, nil
	}
	v, err := s.rdb.Get(ctx, k).Result()
	switch {
	case errors.Is(err, redis.Nil):
		// Expired between the two commands: try once more.
		return s.Begin(ctx, key, 0)
	case err != nil:
		return kiosk.Answer{}, 0, unavailable(err)
	case v == pending:
		return kiosk.Answer{}, kiosk.ClaimBusy, nil
	}
	var a kiosk.Answer
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return kiosk.Answer{}, 0, verifier.Wrap(err, verifier.KindInternal, "idempotency_corrupt", "a stored answer cannot be read")
	}
	return a, kiosk.ClaimDone, nil
}

// Finish stores the answer for ttl.
func (s *Idempotency) Finish(ctx context.Context, key string, a kiosk.Answer, ttl time.Duration) error {
	b, _ := json.Marshal(a)
	if err := s.rdb.Set(ctx, s.key(key), b, ttl).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// Abandon frees the claim so that a retry can run.
func (s *Idempotency) Abandon(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.key(key)).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// AccessLog implements kiosk.AccessLog with one list per UTC day,
// <prefix>access:<YYYY-MM-DD>, of JSON entries, expiring after the
// retention. Subjects are pseudonyms already: the log names no citizen.
type AccessLog struct {
	rdb       redis.UniversalClient
	prefix    string
	retention time.Duration
}

var _ kiosk.AccessLog = (*AccessLog)(nil)

// NewAccessLog returns an access log kept for retention (400 days when 0).
func NewAccessLog(rdb redis.UniversalClient, prefix string, retention time.Duration) *AccessLog {
	if retention <= 0 {
		retention = 400 * 24 * time.Hour
	}
	return &AccessLog{rdb: rdb, prefix: prefix, retention: retention}
}

func (l *AccessLog) dayKey(t time.Time) string {
	return l.prefix + "access:" + t.UTC().Format(time.DateOnly)
}

// Append writes the entries in one pipeline (a key per day touched).
func (l *AccessLog) Append(ctx context.Context, entries []kiosk.AccessEntry) error {
	pipe := l.rdb.Pipeline()
	days := map[string]time.Time{}
	for _, e := range entries {
		b, _ := json.Marshal(e)
		k := l.dayKey(e.At)
		pipe.RPush(ctx, k, b)
		days[k] = e.At
	}
	for k, t := range days {
		y, m, d := t.UTC().Date()
		pipe.ExpireAt(ctx, k, time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Add(l.retention))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Query reads the days of the range and filters them.
func (l *AccessLog) Query(ctx context.Context, q kiosk.AccessQuery) ([]kiosk.AccessEntry, error) {
	var out []kiosk.AccessEntry
	for d := q.From.UTC().Truncate(24 * time.Hour); d.Before(q.To); d = d.Add(24 * time.Hour) {
		raw, err := l.rdb.LRange(ctx, l.dayKey(d), 0, -1).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		day := make([]kiosk.AccessEntry, 0, len(raw))
		for _, r := range raw {
			var e kiosk.AccessEntry
			if json.Unmarshal([]byte(r), &e) == nil {
				day = append(day, e)
			}
		}
		sub := q
		if q.Limit > 0 {
			sub.Limit = q.Limit - len(out)
		}
		out = append(out, kiosk.FilterAccess(day, sub)...)
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
	}
	return out, nil
}

func unavailable(err error) error {
	return verifier.Wrap(err, verifier.KindUnavailable, "store_unavailable", "the shared store (Redis) does not answer")
}
