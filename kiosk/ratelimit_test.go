package kiosk_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func limitedServer(t *testing.T, n int, limits map[kiosk.Role]kiosk.RateLimit, mod ...func(*kiosk.Config)) (*kiosk.Server, *fakeClock) {
	clock := &fakeClock{now: time.Now()}
	return newServerWith(t, n, kiosk.RoleHIS, func(c *kiosk.Config) {
		c.RateLimits, c.Now = limits, clock.Now
		for _, m := range mod {
			m(c)
		}
	}), clock
}

// A batch costs one unit per item: a kiosk that sends 500 check-ins in one
// batch has spent what 500 single check-ins would.
func TestBatchCostsItsItems(t *testing.T) {
	s, clock := limitedServer(t, 500, map[kiosk.Role]kiosk.RateLimit{kiosk.RoleKiosk: {Rate: 10, Burst: 500}})
	if w := post(s, "/v1/checkins/batch", kioskTok, batchOf(500)); w.Code != 200 {
		t.Fatalf("a batch of 500 at a full budget of 500: %d %.200s", w.Code, w.Body)
	}
	w := post(s, "/v1/checkins", kioskTok, `{"citizen_id":"008095000000"}`)
	if w.Code != 429 || !strings.Contains(w.Body.String(), `"code":"rate_limited"`) || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("after a batch of 500 the budget is spent: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Five seconds later there are 50 units: a batch of 60 waits for the
	// 10 more, and is refused whole (nothing recorded), with the wait.
	clock.add(5 * time.Second)
	w = post(s, "/v1/checkins/batch", kioskTok, batchOf(60))
	if w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("a batch of 60 with 50 units: %d Retry-After %q %.200s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	clock.add(time.Second)
	if w := post(s, "/v1/checkins/batch", kioskTok, batchOf(60)); w.Code != 200 {
		t.Fatalf("the batch of 60 after Retry-After: %d %.200s", w.Code, w.Body)
	}
	// More items than the whole burst could ever pay: 413, not a 429 that
	// no wait would cure.
	s2, _ := limitedServer(t, 500, map[kiosk.Role]kiosk.RateLimit{kiosk.RoleKiosk: {Rate: 10, Burst: 100}})
	if w := post(s2, "/v1/checkins/batch", kioskTok, batchOf(101)); w.Code != 413 || !strings.Contains(w.Body.String(), "request_too_costly") {
		t.Errorf("a batch over the burst: %d %s", w.Code, w.Body)
	}
}

func fromAddr(s *kiosk.Server, addr, path, token, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.RemoteAddr = addr + ":40000"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// Requests without valid credentials are limited per client address: a
// flood from one address is refused with 429 while another address, and
// valid keys from the flooding address, are served. The address is the
// TCP peer's unless a trusted proxy names it.
func TestUnauthenticatedFloodsPerAddress(t *testing.T) {
	limits := map[kiosk.Role]kiosk.RateLimit{kiosk.RoleAnonymous: {Rate: 1, Burst: 5}}
	s, clock := limitedServer(t, 2, limits)
	const a, b = "203.0.113.7", "198.51.100.9"
	checkin := `{"citizen_id":"008095000000"}`
	for i := range 5 {
		if w := fromAddr(s, a, "/v1/checkins", "wrong-token-0123456789", checkin, nil); w.Code != 401 {
			t.Fatalf("bad token %d from %s: %d, want 401", i, a, w.Code)
		}
	}
	// The flood goes on, from a forged X-Forwarded-For too: no proxy is
	// trusted, so the header changes nothing.
	for _, h := range []map[string]string{nil, {"X-Forwarded-For": "192.0.2.44"}} {
		w := fromAddr(s, a, "/v1/checkins", "wrong-token-0123456789", checkin, h)
		if w.Code != 429 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"code":"rate_limited"`) {
			t.Errorf("flood from %s (%v): %d %q %s", a, h, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	if w := fromAddr(s, a, "/v1/checkins", "", checkin, nil); w.Code != 429 {
		t.Errorf("no token at all from %s: %d, want 429", a, w.Code)
	}
	// The gateway's login is held to the same per-address budget.
	form := url.Values{"username": {"his-08002"}, "password": {"guess"}}.Encode()
	if w := fromAddr(s, a, "/api/token/take", "", form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); w.Code != 429 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"maKetQua"`) {
		t.Errorf("login from the flooding address: %d %s", w.Code, w.Body)
	}
	// Another address has its own budget; a valid key is never counted
	// against its address.
	if w := fromAddr(s, b, "/v1/checkins", "wrong-token-0123456789", checkin, nil); w.Code != 401 {
		t.Errorf("first bad token from %s: %d, want 401", b, w.Code)
	}
	if w := fromAddr(s, a, "/v1/checkins", kioskTok, checkin, nil); w.Code != 200 {
		t.Errorf("a valid key from the flooding address: %d %s", w.Code, w.Body)
	}
	clock.add(time.Second)
	if w := fromAddr(s, a, "/v1/checkins", "wrong-token-0123456789", checkin, nil); w.Code != 401 {
		t.Errorf("a second later, one more: %d, want 401", w.Code)
	}

	// Behind a trusted proxy, the address it names is the client's.
	s, _ = limitedServer(t, 2, limits, func(c *kiosk.Config) { c.TrustedProxies = []string{"10.0.0.0/8"} })
	for i := range 5 {
		fromAddr(s, "10.1.1.1", "/v1/checkins", "", checkin, map[string]string{"X-Forwarded-For": a})
		_ = i
	}
	if w := fromAddr(s, "10.1.1.1", "/v1/checkins", "", checkin, map[string]string{"X-Forwarded-For": a}); w.Code != 429 {
		t.Errorf("flood from %s through the proxy: %d, want 429", a, w.Code)
	}
	if w := fromAddr(s, "10.1.1.1", "/v1/checkins", "", checkin, map[string]string{"X-Forwarded-For": b}); w.Code != 401 {
		t.Errorf("another client through the same proxy: %d, want 401", w.Code)
	}
}
