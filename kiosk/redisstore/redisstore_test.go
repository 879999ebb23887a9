package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// testRedis returns the shared test Redis and a key prefix of the test's
// own, deleted afterwards; nothing else on the server is touched.
func testRedis(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	c := redistest.Shared(t)
	return c, redistest.Prefix(t, c)
}

// Both stores of each kind run the same checks, so they cannot drift.
func TestIdempotencyStores(t *testing.T) {
	stores := map[string]func(t *testing.T) kiosk.IdempotencyStore{
		"memory": func(*testing.T) kiosk.IdempotencyStore { return kiosk.NewMemoryIdempotency(nil) },
		"redis": func(t *testing.T) kiosk.IdempotencyStore {
			c, p := testRedis(t)
			return NewIdempotency(c, p)
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			s, ctx := newStore(t), context.Background()
			if _, st, err := s.Begin(ctx, "k1", time.Hour); err != nil || st != kiosk.ClaimNew {
				t.Fatalf("first Begin: %d %v", st, err)
			}
			if _, st, _ := s.Begin(ctx, "k1", time.Hour); st != kiosk.ClaimBusy {
				t.Errorf("Begin while held: %d, want busy", st)
			}
			want := kiosk.Answer{Status: 200, Body: []byte(`{"ok":true}`), Fingerprint: "f"}
			if err := s.Finish(ctx, "k1", want, time.Hour); err != nil {
				t.Fatal(err)
			}
			got, st, err := s.Begin(ctx, "k1", time.Hour)
			if err != nil || st != kiosk.ClaimDone || got.Status != 200 || string(got.Body) != string(want.Body) || got.Fingerprint != "f" {
				t.Errorf("Begin after Finish: %+v %d %v", got, st, err)
			}
			s.Begin(ctx, "k2", time.Hour)
			if err := s.Abandon(ctx, "k2"); err != nil {
				t.Fatal(err)
			}
			if _, st, _ := s.Begin(ctx, "k2", time.Hour); st != kiosk.ClaimNew {
				t.Errorf("Begin after Abandon: %d, want new", st)
			}
		})
	}
}

func TestAccessLogStores(t *testing.T) {
	stores := map[string]func(t *testing.T) kiosk.AccessLog{
		"memory": func(*testing.T) kiosk.AccessLog { return kiosk.NewMemoryAccessLog(1000) },
		"redis": func(t *testing.T) kiosk.AccessLog {
			c, p := testRedis(t)
			return NewAccessLog(c, p, 0)
		},
	}
	day := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC) // 00:00 on the 28th in Vietnam
	entries := []kiosk.AccessEntry{
		{At: day.Add(-time.Minute), Key: "his-1", Role: kiosk.RoleHIS, Action: "GET /v1/citizens/:id/visits", Subject: "a", Status: 200},
		{At: day.Add(time.Minute), Key: "his-1", Role: kiosk.RoleHIS, Action: "POST /v1/eligibility", Subject: "b", Status: 200},
		{At: day.Add(2 * time.Hour), Key: "aud", Role: kiosk.RoleAuditor, Action: "GET /v1/duplicates", Subject: "a", Status: 200},
		{At: day.Add(26 * time.Hour), Key: "his-1", Role: kiosk.RoleHIS, Action: "POST /v1/checkins", Subject: "a", Status: 200},
	}
	for name, newLog := range stores {
		t.Run(name, func(t *testing.T) {
			l, ctx := newLog(t), context.Background()
			if err := l.Append(ctx, entries[:2]); err != nil {
				t.Fatal(err)
			}
			if err := l.Append(ctx, entries[2:]); err != nil {
				t.Fatal(err)
			}
			count := func(q kiosk.AccessQuery) int {
				t.Helper()
				got, err := l.Query(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				return len(got)
			}
			localDay := kiosk.AccessQuery{From: day, To: day.Add(24 * time.Hour)}
			if n := count(localDay); n != 2 {
				t.Errorf("one local day: %d entries, want 2", n)
			}
			localDay.Subject = "a"
			if n := count(localDay); n != 1 {
				t.Errorf("subject a on that day: %d, want 1", n)
			}
			all := kiosk.AccessQuery{From: day.Add(-48 * time.Hour), To: day.Add(48 * time.Hour), Key: "his-1"}
			if n := count(all); n != 3 {
				t.Errorf("key his-1: %d, want 3", n)
			}
			all.Limit = 2
			if n := count(all); n != 2 {
				t.Errorf("limit 2: %d", n)
			}
		})
	}
}
