package kiosk_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// countingStore records what the server asks a store to keep.
type countingStore struct {
	*kiosk.MemoryIdempotency
	finished [][]byte
	begun    int
}

func (s *countingStore) Begin(ctx context.Context, key string) ([]byte, bool, error) {
	s.begun++
	return s.MemoryIdempotency.Begin(ctx, key)
}

func (s *countingStore) Finish(ctx context.Context, key string, b []byte, ttl time.Duration) error {
	s.finished = append(s.finished, bytes.Clone(b))
	return s.MemoryIdempotency.Finish(ctx, key, b, ttl)
}

func batchOf(n int) string {
	items := make([]string, n)
	for i := range n {
		items[i] = `{"citizen_id":"0080950` + pad5(i) + `"}`
	}
	return `{"items":[` + strings.Join(items, ",") + `]}`
}

func sendIdem(s *kiosk.Server, path, key, ct string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+kioskTok)
	req.Header.Set("Idempotency-Key", key)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// A 500-item batch's answer is kept compressed and sealed: a fraction of
// its size, with no citizen's ID or name readable in the store, and the
// replay is the first answer byte for byte.
func TestIdempotentBatchStoredSealed(t *testing.T) {
	st := &countingStore{MemoryIdempotency: kiosk.NewMemoryIdempotency(nil)}
	s := newServerWith(t, 500, kiosk.RoleKiosk, func(c *kiosk.Config) { c.Idempotency = st })
	body := []byte(batchOf(500))
	first := sendIdem(s, "/v1/checkins/batch", "batch-1", "application/json", body)
	if first.Code != 200 || !strings.Contains(first.Body.String(), "008095000499") {
		t.Fatalf("batch: %d %.300s", first.Code, first.Body)
	}
	if len(st.finished) != 1 {
		t.Fatalf("%d answers stored, want 1", len(st.finished))
	}
	stored := st.finished[0]
	t.Logf("500-item batch: answer %d bytes, stored %d bytes", first.Body.Len(), len(stored))
	if len(stored) > first.Body.Len()/4 {
		t.Errorf("stored %d bytes for an answer of %d: not compressed", len(stored), first.Body.Len())
	}
	for _, clear := range []string{"008095000123", "Nguyễn Văn An", "Thôn 3", "citizen"} {
		if bytes.Contains(stored, []byte(clear)) {
			t.Errorf("the stored answer holds %q in clear", clear)
		}
	}
	replay := sendIdem(s, "/v1/checkins/batch", "batch-1", "application/json", body)
	if replay.Header().Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.Body.Bytes(), first.Body.Bytes()) || replay.Code != 200 {
		t.Errorf("replay differs from the first answer (%d, replayed %q)", replay.Code, replay.Header().Get("Idempotent-Replayed"))
	}
	// The same bytes under another API key's scope open to nothing: the
	// seal is bound to the scoped key.
	if _, claimed, _ := st.Begin(context.Background(), "other\x00batch-1"); !claimed {
		t.Error("another key's scope sees the answer")
	}
}

// A body larger than the endpoint accepts is refused before it is read
// whole or anything is claimed or stored: 413 JSON, and the key is free.
func TestIdempotencyBodyBounded(t *testing.T) {
	st := &countingStore{MemoryIdempotency: kiosk.NewMemoryIdempotency(nil)}
	s := newServerWith(t, 2, kiosk.RoleKiosk, func(c *kiosk.Config) { c.Idempotency = st })
	huge := bytes.Repeat([]byte(" "), 10_000_000)
	huge = append([]byte(`{"citizen_id":"008095000000"}`), huge...)
	for _, tc := range []struct{ path, ct string }{
		{"/v1/checkins", "application/json"},
		{"/v1/checkins", ""},
		{"/v1/checkins", "multipart/form-data; boundary=x"},
		{"/v1/checkins/batch", "application/json"},
	} {
		w := sendIdem(s, tc.path, "big-1", tc.ct, huge)
		if w.Code != 413 || !strings.Contains(w.Body.String(), `"code":"body_too_large"`) {
			t.Errorf("%s %q: %d %.200s, want 413 body_too_large", tc.path, tc.ct, w.Code, w.Body)
		}
	}
	if st.begun != 0 || len(st.finished) != 0 {
		t.Errorf("a refused body reached the store: %d claims, %d answers", st.begun, len(st.finished))
	}
	if n, _ := st.Len(); n != 0 {
		t.Errorf("%d answers stored", n)
	}
	if w := sendIdem(s, "/v1/checkins", "big-1", "application/json", []byte(`{"citizen_id":"008095000000"}`)); w.Code != 200 || w.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("the key after a refused body: %d replayed %q", w.Code, w.Header().Get("Idempotent-Replayed"))
	}
}

func TestMemoryIdempotencyBounds(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	keep := func(m *kiosk.MemoryIdempotency, key string, size int, ttl time.Duration) {
		t.Helper()
		if _, claimed, _ := m.Begin(ctx, key); !claimed {
			t.Fatalf("%s: not claimed", key)
		}
		m.Finish(ctx, key, make([]byte, size), ttl)
	}
	has := func(m *kiosk.MemoryIdempotency, key string) bool {
		b, claimed, _ := m.Begin(ctx, key)
		if claimed {
			m.Abandon(ctx, key)
		}
		return b != nil
	}

	t.Run("count", func(t *testing.T) {
		m := kiosk.NewMemoryIdempotencyBounded(clock, 3, 1<<20)
		for i := range 5 {
			keep(m, "k"+strconv.Itoa(i), 10, time.Hour)
		}
		if n, b := m.Len(); n != 3 || b != 30 {
			t.Errorf("%d answers, %d bytes; want 3, 30", n, b)
		}
		if has(m, "k0") || has(m, "k1") || !has(m, "k4") {
			t.Error("not the least recently used answers went first")
		}
	})
	t.Run("bytes", func(t *testing.T) {
		m := kiosk.NewMemoryIdempotencyBounded(clock, 100, 1000)
		for i := range 5 {
			keep(m, "k"+strconv.Itoa(i), 300, time.Hour)
		}
		if n, b := m.Len(); n != 3 || b != 900 {
			t.Errorf("%d answers, %d bytes; want 3, 900", n, b)
		}
		keep(m, "huge", 1001, time.Hour)
		if has(m, "huge") {
			t.Error("an answer above the whole budget was kept")
		}
	})
	t.Run("age", func(t *testing.T) {
		m := kiosk.NewMemoryIdempotencyBounded(clock, 100, 1<<20)
		keep(m, "old", 10, time.Hour)
		now = now.Add(30 * time.Minute)
		keep(m, "new", 10, time.Hour)
		now = now.Add(31 * time.Minute)
		if has(m, "old") || !has(m, "new") {
			t.Error("expiry")
		}
		if n, b := m.Len(); n != 1 || b != 10 {
			t.Errorf("after expiry: %d answers, %d bytes", n, b)
		}
	})
	t.Run("claims lapse", func(t *testing.T) {
		m := kiosk.NewMemoryIdempotencyBounded(clock, 100, 1<<20)
		m.Begin(ctx, "held")
		if _, claimed, _ := m.Begin(ctx, "held"); claimed {
			t.Error("claimed twice")
		}
		now = now.Add(2 * time.Minute)
		if _, claimed, _ := m.Begin(ctx, "held"); !claimed {
			t.Error("a lapsed claim still holds the key")
		}
	})
}

// BenchmarkMemoryIdempotency is a Begin and a Finish of a new key in a
// store already holding more than 100,000 answers (the old store swept its
// whole map under its lock on each call beyond 100,000 keys).
func BenchmarkMemoryIdempotency(b *testing.B) {
	m := kiosk.NewMemoryIdempotencyBounded(nil, 200_000, 1<<30)
	ctx := context.Background()
	answer := make([]byte, 300)
	for i := range 100_001 {
		k := "key-" + strconv.Itoa(i)
		m.Begin(ctx, k)
		m.Finish(ctx, k, answer, kiosk.IdempotencyTTL)
	}
	i := 0
	for b.Loop() {
		k := "new-" + strconv.Itoa(i)
		m.Begin(ctx, k)
		m.Finish(ctx, k, answer, kiosk.IdempotencyTTL)
		i++
	}
}

// demoServer is the real server over n citizens of the demo data set
// (varied names and addresses, as in production), with a kiosk key for
// 08001 and the given idempotency store.
func demoServer(t testing.TB, n int, store kiosk.IdempotencyStore) (*kiosk.Server, []verifier.Citizen) {
	t.Helper()
	set := demodata.Generate(demodata.Options{N: n, Seed: 3})
	reg, err := inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities)
	if err != nil {
		t.Fatal(err)
	}
	ledger := inmem.NewLedger()
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: ledger, Lookups: inmem.NewLookupLog(nil), Claims: inmem.NewClaims(0, nil), Reviews: ledger}
	svc.Location, _ = time.LoadLocation("Asia/Ho_Chi_Minh")
	svc.Defaults()
	keys, err := kiosk.ParseKeys([]byte(`[{"name":"k","role":"kiosk","facility":"08001","token":"` + kioskTok + `"}]`))
	if err != nil {
		t.Fatal(err)
	}
	return kiosk.New(kiosk.Config{Verifier: svc, Keys: keys, Location: svc.Location, PseudonymKey: []byte("k"), Idempotency: store}), set.Citizens
}

// The stored size of a 500-item batch's answer over demo data, for the
// report (go test -v -run TestIdempotentBatchStoredDemo ./kiosk/).
func TestIdempotentBatchStoredDemo(t *testing.T) {
	st := &countingStore{MemoryIdempotency: kiosk.NewMemoryIdempotency(nil)}
	s, citizens := demoServer(t, 500, st)
	items := make([]string, len(citizens))
	for i, c := range citizens {
		items[i] = `{"citizen_id":"` + string(c.ID) + `"}`
	}
	w := sendIdem(s, "/v1/checkins/batch", "demo-1", "application/json", []byte(`{"items":[`+strings.Join(items, ",")+`]}`))
	if w.Code != 200 || len(st.finished) != 1 {
		t.Fatalf("batch: %d, %d stored", w.Code, len(st.finished))
	}
	t.Logf("500-item batch over demo data: answer %d bytes, stored %d bytes", w.Body.Len(), len(st.finished[0]))
	if bytes.Contains(st.finished[0], []byte(citizens[7].FullName)) {
		t.Error("a name in clear in the store")
	}
	if len(st.finished[0]) > kiosk.MaxStoredAnswer/2 {
		t.Errorf("a full batch's answer takes %d bytes of the %d allowed", len(st.finished[0]), kiosk.MaxStoredAnswer)
	}
}
