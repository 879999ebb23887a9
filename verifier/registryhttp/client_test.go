package registryhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/registryhttp"
	"github.com/vnhealth/cccd-checkin/verifier/registryserver"
)

// testToday is the day the test data's card validity is relative to.
var testToday = verifier.Date{Year: 2026, Month: 6, Day: 15}

// testData is a generated population with cards in every state and extra
// population fields (ethnicity, birthplace…), loaded in memory.
var testData = sync.OnceValues(func() (*inmem.Registry, error) {
	set := demodata.Generate(demodata.Options{N: 300, Seed: 1, Now: testToday})
	return inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities)
})

func registry(t testing.TB) *inmem.Registry {
	t.Helper()
	reg, err := testData()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// testServer is the real registry handler on a loopback port, with a count
// of the requests that reached it.
type testServer struct {
	*httptest.Server
	hits atomic.Int64
}

func startServer(t testing.TB, opts registryserver.Options) *testServer {
	t.Helper()
	ts := &testServer{}
	h := registryserver.New(registry(t), opts)
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// countingTransport counts the attempts that go to the network, so that a
// test can tell a call the breaker refused from one that was tried.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func newClient(t testing.TB, base string, opts registryhttp.Options) *registryhttp.Client {
	t.Helper()
	c, err := registryhttp.New(base, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// settableClock is a clock for cache expiry.
type settableClock struct{ t atomic.Int64 }

func newClock() *settableClock {
	c := &settableClock{}
	c.t.Store(time.Date(2026, 6, 15, 3, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *settableClock) Now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *settableClock) Advance(d time.Duration) { c.t.Add(int64(d)) }

var ctx = context.Background()

func wantKind(t *testing.T, what string, err error, kind verifier.Kind, code string) {
	t.Helper()
	e := verifier.AsError(err)
	if err == nil || e.Kind != kind || e.Code != code {
		t.Fatalf("%s: error %v, want kind %s code %s", what, err, kind, code)
	}
}

// citizenWithCard returns the i-th citizen (from start) who has cards, and
// the cards.
func citizenWithCard(t testing.TB, start int) (verifier.Citizen, []verifier.Card) {
	t.Helper()
	reg := registry(t)
	n, _, _ := reg.Counts()
	for i := start; i < n; i++ {
		c := reg.CitizenAt(i)
		if cards, _ := reg.CardsOf(ctx, c.ID); len(cards) > 0 {
			return c, cards
		}
	}
	t.Fatal("no citizen with a card in the test data")
	return verifier.Citizen{}, nil
}

// Every record comes back over HTTP exactly as the in-memory registry
// holds it, extra population fields included.
func TestRoundTripEqualsInmem(t *testing.T) {
	reg := registry(t)
	ts := startServer(t, registryserver.Options{})
	c := newClient(t, ts.URL, registryhttp.Options{})
	n, ncards, _ := reg.Counts()
	withExtra, cardsSeen := 0, 0
	for i := range n {
		want := reg.CitizenAt(i)
		got, err := c.Citizen(ctx, want.ID)
		if err != nil {
			t.Fatalf("citizen %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Fatalf("citizen %d:\n got %s\nwant %s", i, gj, wj)
		}
		if len(got.Extra) > 0 {
			withExtra++
		}
		wantCards, _ := reg.CardsOf(ctx, want.ID)
		gotCards, err := c.CardsOf(ctx, want.ID)
		if err != nil {
			t.Fatalf("cards of citizen %d: %v", i, err)
		}
		if !reflect.DeepEqual(gotCards, wantCards) {
			t.Fatalf("cards of citizen %d: got %+v, want %+v", i, gotCards, wantCards)
		}
		for _, wc := range wantCards {
			gc, err := c.Card(ctx, wc.CardNo)
			if err != nil {
				t.Fatalf("card of citizen %d: %v", i, err)
			}
			if !reflect.DeepEqual(gc, wc) {
				t.Fatalf("card of citizen %d: got %+v, want %+v", i, gc, wc)
			}
			cardsSeen++
		}
	}
	for _, want := range reg.Facilities() {
		got, err := c.Facility(ctx, want.Code)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("facility %s: got %+v, %v; want %+v", want.Code, got, err, want)
		}
	}
	if withExtra == 0 || cardsSeen != ncards {
		t.Errorf("%d citizens with extra fields, %d of %d cards compared: the test data does not exercise the round trip", withExtra, cardsSeen, ncards)
	}
}

// A 404 is an answer: KindNotFound with the in-memory registry's codes,
// and the breaker stays closed however many there are.
func TestNotFoundIsAnAnswer(t *testing.T) {
	ts := startServer(t, registryserver.Options{})
	br := breaker.New(breaker.Options{Failures: 2, OpenFor: time.Minute})
	c := newClient(t, ts.URL, registryhttp.Options{Breaker: br})
	for range 5 {
		_, err := c.Citizen(ctx, "001099000000")
		wantKind(t, "unknown citizen", err, verifier.KindNotFound, "citizen_not_found")
		_, err = c.Card(ctx, "XX0000000000000")
		wantKind(t, "unknown card", err, verifier.KindNotFound, "card_not_found")
		_, err = c.Facility(ctx, "99999")
		wantKind(t, "unknown facility", err, verifier.KindNotFound, "facility_not_found")
		if cards, err := c.CardsOf(ctx, "001099000000"); err != nil || cards != nil {
			t.Fatalf("cards of an unknown citizen: %v, %v; want none and no error", cards, err)
		}
	}
	if s := br.State(); s != breaker.Closed {
		t.Errorf("breaker %s after 404s, want closed", s)
	}
	if hits := ts.hits.Load(); hits != 20 {
		t.Errorf("%d requests for 20 lookups: a 404 must not be retried", hits)
	}

	// A 404 that is not the registry's (a wrong base URL) is not "citizen
	// not found": that would turn patients away.
	wrong := newClient(t, ts.URL+"/wrong-prefix", registryhttp.Options{Breaker: br})
	_, err := wrong.Citizen(ctx, "001099000000")
	wantKind(t, "wrong base URL", err, verifier.KindInternal, "registry_error")
}

// With half the requests failing, retries still get every answer.
func TestRetriesRideOutErrors(t *testing.T) {
	reg := registry(t)
	ts := startServer(t, registryserver.Options{ErrorRate: 0.5, Seed: 7})
	c := newClient(t, ts.URL, registryhttp.Options{
		Retries: 8, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Deadline: 10 * time.Second,
		Breaker:   breaker.New(breaker.Options{Failures: 1000}),
		CacheSize: -1, // every answer must come from the registry
	})
	const calls = 100
	for i := range calls {
		want := reg.CitizenAt(i)
		got, err := c.Citizen(ctx, want.ID)
		if err != nil || got.FromCache || got.FullName != want.FullName {
			t.Fatalf("lookup %d: %v (from cache %v)", i, err, got.FromCache)
		}
	}
	if hits := ts.hits.Load(); hits < calls*3/2 {
		t.Errorf("%d requests for %d lookups at a 50%% error rate: too few to have retried", hits, calls)
	} else {
		t.Logf("%d requests for %d lookups", hits, calls)
	}
}

// With the registry stopped: cached answers come back marked FromCache;
// others fail with KindUnavailable, without the ID in the error, and once
// the breaker is open without going to the network at all.
func TestRegistryDown(t *testing.T) {
	ts := startServer(t, registryserver.Options{})
	ct := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	br := breaker.New(breaker.Options{Failures: 3, OpenFor: time.Minute})
	const timeout = 500 * time.Millisecond
	c := newClient(t, ts.URL, registryhttp.Options{
		HTTPClient: &http.Client{Transport: ct}, Timeout: timeout, Retries: 2,
		BackoffBase: time.Millisecond, Breaker: br,
	})
	cit, cards := citizenWithCard(t, 0)
	other, _ := citizenWithCard(t, 10)
	fac := cards[0].RegisteredFacility
	wantCit, _ := c.Citizen(ctx, cit.ID)
	wantCards, _ := c.CardsOf(ctx, cit.ID)
	wantCard, _ := c.Card(ctx, cards[0].CardNo)
	wantFac, err := c.Facility(ctx, fac)
	if err != nil || wantCit.FromCache {
		t.Fatalf("warm-up: %v", err)
	}

	ts.Close()
	before := ct.n.Load()
	got, err := c.Citizen(ctx, cit.ID)
	if err != nil || !got.FromCache {
		t.Fatalf("cached citizen with the registry down: %v (from cache %v)", err, got.FromCache)
	}
	got.FromCache = false
	if !reflect.DeepEqual(got, wantCit) {
		t.Errorf("cached citizen differs from the registry's answer")
	}
	if n := ct.n.Load() - before; n != 3 {
		t.Errorf("%d attempts before falling back to the cache, want 3 (1 + 2 retries)", n)
	}
	if s := br.State(); s != breaker.Open {
		t.Fatalf("breaker %s after 3 failed attempts, want open", s)
	}

	// Breaker open: no more network attempts; cache or a fast failure.
	before = ct.n.Load()
	gotCards, err := c.CardsOf(ctx, cit.ID)
	if err != nil || len(gotCards) != len(wantCards) {
		t.Fatalf("cached cards: %v, %d cards, want %d", err, len(gotCards), len(wantCards))
	}
	for i := range gotCards {
		if !gotCards[i].FromCache || gotCards[i].CardNo != wantCards[i].CardNo {
			t.Errorf("cached card %d: from cache %v", i, gotCards[i].FromCache)
		}
	}
	if k, err := c.Card(ctx, cards[0].CardNo); err != nil || !k.FromCache || k.CardNo != wantCard.CardNo {
		t.Errorf("cached card by number: %v, from cache %v", err, k.FromCache)
	}
	if f, err := c.Facility(ctx, fac); err != nil || !reflect.DeepEqual(f, wantFac) {
		t.Errorf("cached facility: %v", err)
	}
	start := time.Now()
	_, err = c.Citizen(ctx, other.ID)
	took := time.Since(start)
	wantKind(t, "uncached citizen, registry down", err, verifier.KindUnavailable, "registry_unavailable")
	if took >= timeout {
		t.Errorf("with the breaker open the call took %s, not less than one attempt's timeout %s", took, timeout)
	}
	if n := ct.n.Load() - before; n != 0 {
		t.Errorf("%d network attempts with the breaker open, want 0", n)
	}
	if s := err.Error() + verifier.AsError(err).Message; strings.Contains(s, string(other.ID)) {
		t.Errorf("error names the citizen ID: %s", s)
	}

	// The breaker's probe after OpenFor also fails: still a clean error
	// that does not name the ID (the transport error is scrubbed).
	c2 := newClient(t, ts.URL, registryhttp.Options{Retries: -1})
	_, err = c2.Citizen(ctx, other.ID)
	wantKind(t, "uncached citizen, registry down, breaker closed", err, verifier.KindUnavailable, "registry_unavailable")
	if strings.Contains(err.Error(), string(other.ID)) {
		t.Errorf("error names the citizen ID: %s", err)
	}
}

// A registry that hangs: each attempt is cut at its timeout; after enough
// failures the breaker answers at once, and the server sees no more calls.
func TestHangingRegistryBreakerFailsFast(t *testing.T) {
	ts := startServer(t, registryserver.Options{HangRate: 1})
	const timeout = 200 * time.Millisecond
	br := breaker.New(breaker.Options{Failures: 3, OpenFor: time.Minute})
	c := newClient(t, ts.URL, registryhttp.Options{Timeout: timeout, Retries: -1, Breaker: br})
	id := registry(t).CitizenAt(0).ID
	for i := range 3 {
		start := time.Now()
		_, err := c.Citizen(ctx, id)
		took := time.Since(start)
		wantKind(t, "hanging registry", err, verifier.KindUnavailable, "registry_unavailable")
		if took < timeout*9/10 || took > timeout+2*time.Second {
			t.Errorf("call %d took %s with a %s attempt timeout", i, took, timeout)
		}
	}
	if hits := ts.hits.Load(); hits != 3 {
		t.Errorf("server saw %d requests, want 3", hits)
	}
	if br.State() != breaker.Open {
		t.Fatalf("breaker %s, want open", br.State())
	}
	start := time.Now()
	_, err := c.Citizen(ctx, id)
	took := time.Since(start)
	wantKind(t, "breaker open", err, verifier.KindUnavailable, "registry_unavailable")
	if took >= timeout {
		t.Errorf("with the breaker open the call took %s, want less than the %s attempt timeout", took, timeout)
	}
	if hits := ts.hits.Load(); hits != 3 {
		t.Errorf("server saw %d requests after the breaker opened, want still 3", hits)
	}
}

// Timeouts bound a call to a hanging registry: per attempt times the
// attempts, the call's deadline, and the caller's context.
func TestHangingRegistryTimeoutsBoundTheCall(t *testing.T) {
	id := registry(t).CitizenAt(0).ID
	noBreaker := func() *breaker.Breaker { return breaker.New(breaker.Options{Failures: 1000}) }
	cases := []struct {
		name     string
		opts     registryhttp.Options
		ctxLimit time.Duration
		min, max time.Duration
		wantHits int64
	}{
		{"attempts", registryhttp.Options{Timeout: 100 * time.Millisecond, Retries: 2, BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond},
			0, 300 * time.Millisecond, 1500 * time.Millisecond, 3},
		{"deadline", registryhttp.Options{Timeout: 5 * time.Second, Retries: 5, Deadline: 250 * time.Millisecond},
			0, 240 * time.Millisecond, 2 * time.Second, 1},
		{"caller", registryhttp.Options{Timeout: 5 * time.Second, Retries: 5, Deadline: 10 * time.Second},
			150 * time.Millisecond, 140 * time.Millisecond, 2 * time.Second, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, registryserver.Options{HangRate: 1})
			tc.opts.Breaker = noBreaker()
			c := newClient(t, ts.URL, tc.opts)
			cctx := ctx
			if tc.ctxLimit > 0 {
				var cancel context.CancelFunc
				cctx, cancel = context.WithTimeout(ctx, tc.ctxLimit)
				defer cancel()
			}
			start := time.Now()
			_, err := c.Citizen(cctx, id)
			took := time.Since(start)
			wantKind(t, tc.name, err, verifier.KindUnavailable, "registry_unavailable")
			if took < tc.min || took > tc.max {
				t.Errorf("call took %s, want between %s and %s", took, tc.min, tc.max)
			}
			if hits := ts.hits.Load(); hits != tc.wantHits {
				t.Errorf("server saw %d attempts, want %d", hits, tc.wantHits)
			}
		})
	}
}

// The cache is bounded (least recently used answers go first) and its
// answers expire.
func TestCacheEvictsAndExpires(t *testing.T) {
	reg := registry(t)
	ts := startServer(t, registryserver.Options{})
	clk := newClock()
	c := newClient(t, ts.URL, registryhttp.Options{CacheSize: 2, CacheTTL: 12 * time.Hour, Now: clk.Now, Retries: -1})
	a, b, d := reg.CitizenAt(0), reg.CitizenAt(1), reg.CitizenAt(2)
	for _, cit := range []verifier.Citizen{a, b, d} {
		if _, err := c.Citizen(ctx, cit.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.CacheLen(); n != 2 {
		t.Errorf("cache holds %d answers, want its bound 2", n)
	}
	ts.Close()
	_, err := c.Citizen(ctx, a.ID)
	wantKind(t, "evicted citizen", err, verifier.KindUnavailable, "registry_unavailable")
	for _, cit := range []verifier.Citizen{b, d} {
		if got, err := c.Citizen(ctx, cit.ID); err != nil || !got.FromCache || got.ID != cit.ID {
			t.Errorf("recent citizen: %v (from cache %v)", err, got.FromCache)
		}
	}
	clk.Advance(12*time.Hour + time.Second)
	_, err = c.Citizen(ctx, d.ID)
	wantKind(t, "expired answer", err, verifier.KindUnavailable, "registry_unavailable")
}

// "No card" cannot be marked as cached, so it is not served from the
// cache: the decision is "unknown", not an unmarked "not insured".
func TestNoCardsNotServedFromCache(t *testing.T) {
	reg := registry(t)
	ts := startServer(t, registryserver.Options{})
	c := newClient(t, ts.URL, registryhttp.Options{Retries: -1})
	var id verifier.CitizenID
	n, _, _ := reg.Counts()
	for i := 0; i < n && id == ""; i++ {
		if cards, _ := reg.CardsOf(ctx, reg.CitizenAt(i).ID); len(cards) == 0 {
			id = reg.CitizenAt(i).ID
		}
	}
	if id == "" {
		t.Skip("every test citizen has a card")
	}
	if cards, err := c.CardsOf(ctx, id); err != nil || cards != nil {
		t.Fatalf("citizen without cards: %v, %v", cards, err)
	}
	ts.Close()
	_, err := c.CardsOf(ctx, id)
	wantKind(t, "no cards, registry down", err, verifier.KindUnavailable, "registry_unavailable")
}

// A caller whose context has already ended costs the registry nothing.
func TestEndedContextAsksNothing(t *testing.T) {
	ts := startServer(t, registryserver.Options{})
	br := breaker.New(breaker.Options{Failures: 1, OpenFor: time.Minute})
	c := newClient(t, ts.URL, registryhttp.Options{Breaker: br})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := c.Citizen(cctx, registry(t).CitizenAt(0).ID)
	wantKind(t, "ended context", err, verifier.KindUnavailable, "registry_unavailable")
	if ts.hits.Load() != 0 || br.State() != breaker.Closed {
		t.Errorf("%d requests, breaker %s; want none, closed", ts.hits.Load(), br.State())
	}
}

// A 404 is remembered for NegativeTTL: while the registry is down, the
// same lookup is still "not found", then unavailable.
func TestNegativeCache(t *testing.T) {
	ts := startServer(t, registryserver.Options{})
	clk := newClock()
	var mu sync.Mutex
	var outcomes []string
	c := newClient(t, ts.URL, registryhttp.Options{Now: clk.Now, NegativeTTL: time.Minute, Retries: -1,
		Observe: func(op, outcome string, _ time.Duration) {
			mu.Lock()
			outcomes = append(outcomes, op+":"+outcome)
			mu.Unlock()
		}})
	const unknown = verifier.CitizenID("001099000000")
	_, err := c.Citizen(ctx, unknown)
	wantKind(t, "unknown citizen", err, verifier.KindNotFound, "citizen_not_found")
	ts.Close()
	_, err = c.Citizen(ctx, unknown)
	wantKind(t, "remembered 404, registry down", err, verifier.KindNotFound, "citizen_not_found")
	clk.Advance(time.Minute)
	_, err = c.Citizen(ctx, unknown)
	wantKind(t, "forgotten 404, registry down", err, verifier.KindUnavailable, "registry_unavailable")
	want := []string{"citizen:not_found", "citizen:cached", "citizen:unavailable"}
	if !reflect.DeepEqual(outcomes, want) {
		t.Errorf("observed %v, want %v", outcomes, want)
	}
}

// With a token set, the registry refuses clients without it; that is an
// answer (not a failure) and is not served from the cache.
func TestToken(t *testing.T) {
	ts := startServer(t, registryserver.Options{Token: "s3cret-registry-token"})
	id := registry(t).CitizenAt(0).ID
	good := newClient(t, ts.URL, registryhttp.Options{Token: "s3cret-registry-token"})
	if _, err := good.Citizen(ctx, id); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	if err := good.Ping(ctx); err != nil {
		t.Errorf("ping with the token: %v", err)
	}
	none := newClient(t, ts.URL, registryhttp.Options{})
	_, err := none.Citizen(ctx, id)
	wantKind(t, "without the token", err, verifier.KindInternal, "registry_error")
	if err := none.Ping(ctx); err != nil {
		t.Errorf("ping without a token (health is open): %v", err)
	}
	wrong := newClient(t, ts.URL, registryhttp.Options{Token: "wrong"})
	if err := wrong.Ping(ctx); verifier.KindOf(err) != verifier.KindUnavailable {
		t.Errorf("ping with a wrong token: %v, want unavailable", err)
	}
}

func TestPing(t *testing.T) {
	ts := startServer(t, registryserver.Options{})
	c := newClient(t, ts.URL, registryhttp.Options{Timeout: 300 * time.Millisecond})
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	ts.Close()
	if err := c.Ping(ctx); verifier.KindOf(err) != verifier.KindUnavailable {
		t.Errorf("ping a stopped registry: %v, want unavailable", err)
	}
	hang := startServer(t, registryserver.Options{HangRate: 1})
	c = newClient(t, hang.URL, registryhttp.Options{Timeout: 100 * time.Millisecond})
	start := time.Now()
	if err := c.Ping(ctx); verifier.KindOf(err) != verifier.KindUnavailable {
		t.Errorf("ping a hanging registry: %v after %s", err, time.Since(start))
	}
}

// -latency and -jitter delay every answer by latency + [0, jitter).
func TestServerLatency(t *testing.T) {
	ts := startServer(t, registryserver.Options{Latency: 60 * time.Millisecond, Jitter: 20 * time.Millisecond})
	c := newClient(t, ts.URL, registryhttp.Options{})
	start := time.Now()
	if _, err := c.Facility(ctx, "08001"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 60*time.Millisecond {
		t.Errorf("answer after %s, want at least the 60ms latency", took)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8090", "ftp://x", "http://", "http://user:pass@host"} {
		if _, err := registryhttp.New(u, registryhttp.Options{}); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
}

// The verifier with the insurance registry down and the population
// registry up: the check-in is recorded, eligibility unknown.
func TestCheckinWithInsuranceRegistryDown(t *testing.T) {
	reg := registry(t)
	ts := startServer(t, registryserver.Options{})
	ts.Close()
	ins := newClient(t, ts.URL, registryhttp.Options{Timeout: 300 * time.Millisecond})
	now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC) // 09:00 in Vietnam
	ledger := inmem.NewLedger(inmem.WithLedgerClock(func() time.Time { return now }))
	s := &verifier.Service{Population: reg, Insurance: ins, Facilities: reg, Ledger: ledger, Now: func() time.Time { return now }}
	s.Defaults()
	cit, _ := citizenWithCard(t, 0)
	res, err := s.Checkin(ctx, verifier.CheckinRequest{
		Presented: verifier.Presented{Source: verifier.SourceManual, CitizenID: cit.ID}, Facility: "08001"})
	if err != nil {
		t.Fatalf("check-in with the insurance registry down: %v", err)
	}
	if e := res.Eligibility; e.Status != verifier.Unknown || e.Reason != "insurance_registry_unavailable" {
		t.Errorf("eligibility %s / %q, want unknown / insurance_registry_unavailable", e.Status, e.Reason)
	}
	if res.CheckinID == "" || res.Citizen.ID != cit.ID || res.Identity.Cached {
		t.Errorf("check-in answer: %+v", res)
	}
	visits, err := ledger.Visits(ctx, cit.ID, res.Visit.Day)
	if err != nil || len(visits) != 1 || visits[0].CheckinID != res.CheckinID {
		t.Errorf("recorded visits %+v, %v; want the check-in", visits, err)
	}
}

// Both registries behind one client that goes down after a first
// check-in: the next check-in rests on the cache and says so.
func TestCheckinFromCache(t *testing.T) {
	reg := registry(t)
	ts := startServer(t, registryserver.Options{})
	c := newClient(t, ts.URL, registryhttp.Options{Timeout: 300 * time.Millisecond})
	now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := &verifier.Service{Population: c, Insurance: c, Facilities: c, Ledger: inmem.NewLedger(inmem.WithLedgerClock(clock)), Now: clock}
	s.Defaults()
	req := func(id verifier.CitizenID, fac string) verifier.CheckinRequest {
		return verifier.CheckinRequest{Presented: verifier.Presented{Source: verifier.SourceManual, CitizenID: id}, Facility: fac}
	}
	// Find a citizen whose card makes them eligible today.
	var id verifier.CitizenID
	n, _, _ := reg.Counts()
	for i := 0; i < n && id == ""; i++ {
		cit := reg.CitizenAt(i)
		res, err := s.Checkin(ctx, req(cit.ID, "08001"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Eligibility.Status == verifier.Eligible && res.Eligibility.ReplacedBy == "" {
			id = cit.ID
			if res.Identity.Cached || res.Eligibility.Cached {
				t.Errorf("answers from a live registry marked cached")
			}
		}
	}
	if id == "" {
		t.Fatal("no eligible citizen in the test data")
	}
	if _, err := c.Facility(ctx, "08002"); err != nil {
		t.Fatal(err)
	}
	ts.Close()
	res, err := s.Checkin(ctx, req(id, "08002"))
	if err != nil {
		t.Fatalf("check-in on cached answers: %v", err)
	}
	if !res.Identity.Cached || !res.Eligibility.Cached || res.Eligibility.Status != verifier.Eligible {
		t.Errorf("identity cached %v, eligibility %s cached %v; want both cached, eligible",
			res.Identity.Cached, res.Eligibility.Status, res.Eligibility.Cached)
	}
	if !res.Duplicate.Flagged {
		t.Errorf("second check-in of the day at another facility not flagged")
	}
}

// BenchmarkCitizenLookup is one population lookup against the registry
// handler over loopback HTTP (keep-alive connections, JSON both ways).
func BenchmarkCitizenLookup(b *testing.B) {
	reg := registry(b)
	ts := startServer(b, registryserver.Options{})
	c := newClient(b, ts.URL, registryhttp.Options{})
	n, _, _ := reg.Counts()
	ids := make([]verifier.CitizenID, n)
	for i := range ids {
		ids[i] = reg.CitizenAt(i).ID
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := c.Citizen(ctx, ids[i%n]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Citizen(ctx, ids[int(next.Add(1))%n]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
