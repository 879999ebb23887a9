// The conformance tests are an external package: they check both stores
// against kiosk's interfaces, while redisstore itself never imports kiosk.
package redisstore_test

import (
	"bytes"
	"context"
	"go/build"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/kiosk/redisstore"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// testRedis returns the shared test Redis and a key prefix of the test's
// own, deleted afterwards; nothing else on the server is touched.
func testRedis(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	c := redistest.Shared(t)
	return c, redistest.Prefix(t, c)
}

var (
	_ kiosk.IdempotencyStore = (*redisstore.Idempotency)(nil)
	_ kiosk.AccessLog        = (*redisstore.AccessLog)(nil)
)

// Both stores of each kind run the same checks, so they cannot drift.
func TestIdempotencyStores(t *testing.T) {
	stores := map[string]func(t *testing.T) kiosk.IdempotencyStore{
		"memory": func(*testing.T) kiosk.IdempotencyStore { return kiosk.NewMemoryIdempotency(nil) },
		"redis": func(t *testing.T) kiosk.IdempotencyStore {
			c, p := testRedis(t)
			return redisstore.NewIdempotency(c, p)
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			s, ctx := newStore(t), context.Background()
			if _, claimed, err := s.Begin(ctx, "k1"); err != nil || !claimed {
				t.Fatalf("first Begin: claimed %v, %v", claimed, err)
			}
			if stored, claimed, _ := s.Begin(ctx, "k1"); claimed || stored != nil {
				t.Errorf("Begin while held: claimed %v, stored %q; want neither", claimed, stored)
			}
			want := []byte{1, 0, 'a', 'n', 's', 'w', 'e', 'r'}
			if err := s.Finish(ctx, "k1", want, time.Hour); err != nil {
				t.Fatal(err)
			}
			got, claimed, err := s.Begin(ctx, "k1")
			if err != nil || claimed || !bytes.Equal(got, want) {
				t.Errorf("Begin after Finish: %q claimed %v %v", got, claimed, err)
			}
			s.Begin(ctx, "k2")
			if err := s.Abandon(ctx, "k2"); err != nil {
				t.Fatal(err)
			}
			if _, claimed, _ := s.Begin(ctx, "k2"); !claimed {
				t.Error("Begin after Abandon: not claimed")
			}
		})
	}
}

// TestNoKioskImport: redisstore implements interfaces that kiosk declares
// and depends only on the domain, never on the HTTP layer it serves.
func TestNoKioskImport(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if imp == "github.com/vnhealth/cccd-checkin/kiosk" {
			t.Errorf("redisstore imports %s", imp)
		}
	}
}

func TestAccessLogStores(t *testing.T) {
	stores := map[string]func(t *testing.T) kiosk.AccessLog{
		"memory": func(*testing.T) kiosk.AccessLog { return kiosk.NewMemoryAccessLog(1000) },
		"redis": func(t *testing.T) kiosk.AccessLog {
			c, p := testRedis(t)
			return redisstore.NewAccessLog(c, p, 0)
		},
	}
	day := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC) // 00:00 on the 28th in Vietnam
	entries := []verifier.AccessEntry{
		{At: day.Add(-time.Minute), Key: "his-1", Role: "his", Action: "GET /v1/citizens/:id/visits", Subject: "a", Status: 200},
		{At: day.Add(time.Minute), Key: "his-1", Role: "his", Action: "POST /v1/eligibility", Subject: "b", Status: 200},
		{At: day.Add(2 * time.Hour), Key: "aud", Role: "auditor", Action: "GET /v1/duplicates", Subject: "a", Status: 200},
		{At: day.Add(26 * time.Hour), Key: "his-1", Role: "his", Action: "POST /v1/checkins", Subject: "a", Status: 200},
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
			count := func(q verifier.AccessQuery) int {
				t.Helper()
				got, err := l.Query(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				return len(got)
			}
			localDay := verifier.AccessQuery{From: day, To: day.Add(24 * time.Hour)}
			if n := count(localDay); n != 2 {
				t.Errorf("one local day: %d entries, want 2", n)
			}
			localDay.Subject = "a"
			if n := count(localDay); n != 1 {
				t.Errorf("subject a on that day: %d, want 1", n)
			}
			all := verifier.AccessQuery{From: day.Add(-48 * time.Hour), To: day.Add(48 * time.Hour), Key: "his-1"}
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

// Through the real server and a real Redis: a check-in's answer is kept
// sealed (no citizen's ID or name readable in Redis), its replay is the
// first answer, and a body over the limit claims nothing in Redis.
func TestIdempotentAnswersInRedis(t *testing.T) {
	c := redistest.Shared(t)
	prefix := redistest.Prefix(t, c)
	id := verifier.CitizenID("008095000001")
	reg, err := inmem.NewRegistry(
		[]verifier.Citizen{{ID: id, FullName: "Trần Thị Bích Ngọc", Gender: verifier.Female, PermanentAddress: "Số 12 Hàng Bạc"}}, nil,
		[]verifier.Facility{{Code: "08001", Name: "Bệnh viện Đa khoa tỉnh Tuyên Quang"}})
	if err != nil {
		t.Fatal(err)
	}
	ledger := inmem.NewLedger()
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: ledger, Lookups: inmem.NewLookupLog(nil), Claims: inmem.NewClaims(0, nil), Reviews: ledger}
	svc.Defaults()
	const tok = "kiosk-token-0123456789abcdef"
	keys, err := kiosk.ParseKeys([]byte(`[{"name":"k","role":"kiosk","facility":"08001","token":"` + tok + `"}]`))
	if err != nil {
		t.Fatal(err)
	}
	srv := kiosk.New(kiosk.Config{Verifier: svc, Keys: keys, PseudonymKey: []byte("pk"), Idempotency: redisstore.NewIdempotency(c, prefix)})
	send := func(body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/checkins", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "retry-7")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w
	}
	huge := append([]byte(`{"citizen_id":"008095000001"}`), bytes.Repeat([]byte(" "), 10_000_000)...)
	if w := send(huge); w.Code != 413 {
		t.Fatalf("10 MB body: %d %s", w.Code, w.Body)
	}
	if keys := redistest.Keys(t, c, prefix); len(keys) != 0 {
		t.Fatalf("a refused body left %v in Redis", keys)
	}
	body := []byte(`{"citizen_id":"008095000001"}`)
	first := send(body)
	if first.Code != 200 || !strings.Contains(first.Body.String(), "Bích Ngọc") {
		t.Fatalf("check-in: %d %s", first.Code, first.Body)
	}
	stored := redistest.Keys(t, c, prefix)
	if len(stored) != 1 {
		t.Fatalf("keys in Redis: %v", stored)
	}
	v, err := c.Get(context.Background(), stored[0]).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{"008095000001", "Bích Ngọc", "Hàng Bạc", "retry-7"} {
		if bytes.Contains(v, []byte(clear)) || strings.Contains(stored[0], clear) {
			t.Errorf("Redis holds %q in clear", clear)
		}
	}
	if ttl := c.TTL(context.Background(), stored[0]).Val(); ttl <= 23*time.Hour || ttl > kiosk.IdempotencyTTL {
		t.Errorf("TTL %v", ttl)
	}
	replay := send(body)
	if replay.Header().Get("Idempotent-Replayed") != "true" || replay.Body.String() != first.Body.String() {
		t.Errorf("replay: %q %s", replay.Header().Get("Idempotent-Replayed"), replay.Body)
	}
}
