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

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Idempotency keeps the first answers to Idempotency-Key requests for
// kiosk's IdempotencyStore. A key's claim and its answer live in one string
// key, <prefix>idem:<sha256 of the scoped key>: "pending" while the first
// request runs (for at most a minute, so a crash frees it), then the
// answer, as the caller sealed it, for its TTL. The answers are opaque
// here: what they hold is decided by their one user.
type Idempotency struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewIdempotency returns a store under the key prefix (e.g. "ck:").
func NewIdempotency(rdb redis.UniversalClient, prefix string) *Idempotency {
	return &Idempotency{rdb: rdb, prefix: prefix}
}

// pending marks a claim. Answers never equal it: the caller's begin with
// a version byte.
const pending = "pending"

func (s *Idempotency) key(k string) string {
	// The scoped key holds an API key's name and a client's string:
	// hash it so neither shapes the Redis key space.
	sum := sha256.Sum256([]byte(k))
	return s.prefix + "idem:" + hex.EncodeToString(sum[:16])
}

// Begin claims key with SET NX, or reads the claim or answer already
// there: claimed, the stored answer, or neither while another request
// holds the key.
func (s *Idempotency) Begin(ctx context.Context, key string) (stored []byte, claimed bool, err error) {
	k := s.key(key)
	for range 3 {
		ok, err := s.rdb.SetNX(ctx, k, pending, time.Minute).Result()
		if err != nil {
			return nil, false, unavailable(err)
		}
		if ok {
			return nil, true, nil
		}
		v, err := s.rdb.Get(ctx, k).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			continue // expired between the two commands: claim again
		case err != nil:
			return nil, false, unavailable(err)
		case string(v) == pending:
			return nil, false, nil
		}
		return v, false, nil
	}
	// Expiring three times in a row: held, as far as a caller can tell.
	return nil, false, nil
}

// Finish stores the answer for ttl.
func (s *Idempotency) Finish(ctx context.Context, key string, answer []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.key(key), answer, ttl).Err(); err != nil {
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

// AccessLog keeps the access log (kiosk's AccessLog) in one list per UTC day,
// <prefix>access:<YYYY-MM-DD>, of JSON entries, expiring after the
// retention. Subjects are pseudonyms already: the log names no citizen.
type AccessLog struct {
	rdb       redis.UniversalClient
	prefix    string
	retention time.Duration
}

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
func (l *AccessLog) Append(ctx context.Context, entries []verifier.AccessEntry) error {
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
func (l *AccessLog) Query(ctx context.Context, q verifier.AccessQuery) ([]verifier.AccessEntry, error) {
	var out []verifier.AccessEntry
	for d := q.From.UTC().Truncate(24 * time.Hour); d.Before(q.To); d = d.Add(24 * time.Hour) {
		raw, err := l.rdb.LRange(ctx, l.dayKey(d), 0, -1).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		day := make([]verifier.AccessEntry, 0, len(raw))
		for _, r := range raw {
			var e verifier.AccessEntry
			if json.Unmarshal([]byte(r), &e) == nil {
				day = append(day, e)
			}
		}
		sub := q
		if q.Limit > 0 {
			sub.Limit = q.Limit - len(out)
		}
		out = append(out, verifier.FilterAccess(day, sub)...)
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
	}
	return out, nil
}

func unavailable(err error) error {
	return verifier.Wrap(err, verifier.KindUnavailable, "store_unavailable", "the shared store (Redis) does not answer")
}
