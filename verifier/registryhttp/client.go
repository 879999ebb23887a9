// Package registryhttp connects the verifier to remote population,
// insurance and facility registries over HTTP (the API that
// verifier/registryserver stands in for).
//
// The national systems are often slow, failing or congested. The Client
// bounds every call (a timeout per attempt, a few retries with jittered
// backoff, a deadline per call), stops calling a registry that keeps
// failing (a circuit breaker), and when the registry gives no answer it
// serves its cached copy of the last answer, marked FromCache, so that a
// patient is still checked in.
package registryhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/recordjson"
)

// Options configure a Client. The zero value gives the documented defaults.
type Options struct {
	// HTTPClient makes the requests; default: a client of its own with a
	// connection pool sized for a busy hospital (64 idle connections).
	// Its Timeout, if any, should be longer than Timeout below.
	HTTPClient *http.Client
	// Token, if set, is sent as "Authorization: Bearer TOKEN".
	Token string
	// Timeout bounds one attempt (800 ms).
	Timeout time.Duration
	// Retries is how many times a failed attempt is repeated (2; negative:
	// none). Only failures are retried: timeouts, connection errors, 5xx,
	// 429 and garbled answers; never a 404 or another 4xx.
	Retries int
	// BackoffBase and BackoffMax shape the wait before retry n: a uniform
	// random duration in [0, min(BackoffMax, BackoffBase·2ⁿ)) ("full
	// jitter"; 50 ms and 1 s).
	BackoffBase, BackoffMax time.Duration
	// Deadline bounds a whole call, retries included (2 s). The caller's
	// context may end it sooner.
	Deadline time.Duration
	// Breaker guards the registry: every attempt asks it first and reports
	// its outcome (a 404 and other answers are successes; no answer is a
	// failure). Default: breaker.New with 5 consecutive failures, open 5 s.
	// Pass your own to choose those numbers or to watch its state changes.
	Breaker *breaker.Breaker
	// CacheSize bounds the cache of recent answers, in entries (100 000;
	// negative: no cache). The cache is consulted only when the registry
	// gives no answer (timeouts, 5xx, breaker open), never instead of it.
	CacheSize int
	// CacheTTL is how long an answer may be served from the cache (12 h).
	CacheTTL time.Duration
	// NegativeTTL is how long a 404 is remembered (5 min; negative: not
	// remembered). While remembered, a lookup the registry fails to answer
	// is KindNotFound rather than KindUnavailable; either way a 404
	// replaces a cached record, so a withdrawn card is never served from
	// the cache.
	NegativeTTL time.Duration
	// Observe, if set, is called once per call with the operation
	// ("citizen", "cards_of", "card", "facility", "ping"), the outcome
	// ("ok", "not_found", "cached", "unavailable", "error") and the call's
	// duration. It must be quick and safe for concurrent use.
	Observe func(op, outcome string, d time.Duration)
	// Now is the clock for cache expiry (time.Now).
	Now func() time.Time
}

// Call outcomes passed to Options.Observe.
const (
	OutcomeOK          = "ok"          // the registry answered with a record
	OutcomeNotFound    = "not_found"   // the registry answered 404
	OutcomeCached      = "cached"      // no answer; served from the cache
	OutcomeUnavailable = "unavailable" // no answer and nothing cached
	OutcomeError       = "error"       // the registry refused the request (4xx other than 404)
)

// Client is a population, insurance and facility registry reached over
// HTTP. It is safe for concurrent use.
type Client struct {
	base  string
	hc    *http.Client
	opt   Options
	br    *breaker.Breaker
	cache *cache
}

var (
	_ verifier.PopulationRegistry = (*Client)(nil)
	_ verifier.InsuranceRegistry  = (*Client)(nil)
	_ verifier.FacilityRegistry   = (*Client)(nil)
)

// New returns a Client of the registry API at baseURL (http or https,
// optionally with a path prefix).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q: want http://host[:port][/prefix] or https://…", baseURL)
	}
	if u.User != nil {
		return nil, errors.New("registry URL: put credentials in the token, not in the URL")
	}
	if opts.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 64
		opts.HTTPClient = &http.Client{Transport: tr}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 800 * time.Millisecond
	}
	switch {
	case opts.Retries == 0:
		opts.Retries = 2
	case opts.Retries < 0:
		opts.Retries = 0
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 50 * time.Millisecond
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = time.Second
	}
	if opts.Deadline <= 0 {
		opts.Deadline = 2 * time.Second
	}
	if opts.Breaker == nil {
		opts.Breaker = breaker.New(breaker.Options{Failures: 5, OpenFor: 5 * time.Second})
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 100_000
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 12 * time.Hour
	}
	if opts.NegativeTTL == 0 {
		opts.NegativeTTL = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Client{
		base:  strings.TrimSuffix(u.String(), "/"),
		hc:    opts.HTTPClient,
		opt:   opts,
		br:    opts.Breaker,
		cache: newCache(opts.CacheSize),
	}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// BreakerState returns the state of the client's circuit breaker.
func (c *Client) BreakerState() breaker.State { return c.br.State() }

// CacheLen returns the number of cached answers (expired ones included
// until they are next looked up or evicted).
func (c *Client) CacheLen() int { return c.cache.len() }

// op describes one kind of lookup.
type op struct {
	name     string // for Observe
	route    string // route template, for error causes (never the ID)
	registry string // for messages
	notFound *verifier.Error
}

var (
	opCitizen = op{"citizen", "/citizens/{id}", "population registry",
		verifier.Errorf(verifier.KindNotFound, "citizen_not_found", "citizen not in the population database")}
	opCardsOf = op{"cards_of", "/citizens/{id}/cards", "insurance registry", nil}
	opCard    = op{"card", "/cards/{card_no}", "insurance registry",
		verifier.Errorf(verifier.KindNotFound, "card_not_found", "card not in the insurer's registry")}
	opFacility = op{"facility", "/facilities/{code}", "facility registry",
		verifier.Errorf(verifier.KindNotFound, "facility_not_found", "facility not known")}
)

// Citizen returns the population record of id. When the registry does not
// answer, the cached record is returned with FromCache set.
func (c *Client) Citizen(ctx context.Context, id verifier.CitizenID) (verifier.Citizen, error) {
	v, cached, err := c.lookup(ctx, opCitizen, "/citizens/"+url.PathEscape(string(id)), "c"+string(id), func(b []byte) (any, error) {
		var r verifier.Citizen
		if err := recordjson.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		// The registry answers a cancelled ID with the person's current
		// record (docs/domain.md §2), which must list the ID asked for.
		if r.ID != id && !slices.Contains(r.CancelledIDs, id) {
			return nil, errOtherRecord
		}
		return r, nil
	})
	if err != nil {
		return verifier.Citizen{}, err
	}
	r := v.(verifier.Citizen)
	r.FromCache = cached
	return r, nil
}

// CardsOf returns the citizen's insurance cards (none and no error for a
// citizen without any). When the registry does not answer, the cached
// cards are returned with FromCache set on each.
func (c *Client) CardsOf(ctx context.Context, id verifier.CitizenID) ([]verifier.Card, error) {
	v, cached, err := c.lookup(ctx, opCardsOf, "/citizens/"+url.PathEscape(string(id))+"/cards", "k"+string(id), func(b []byte) (any, error) {
		cards, err := recordjson.UnmarshalList[verifier.Card](b)
		if err != nil {
			return nil, err
		}
		for i := range cards {
			if cards[i].CitizenID != id {
				return nil, errOtherRecord
			}
		}
		return cards, nil
	})
	if verifier.KindOf(err) == verifier.KindNotFound {
		return nil, nil
	}
	if err != nil || v == nil {
		return nil, err
	}
	cards := v.([]verifier.Card)
	if len(cards) == 0 && cached {
		// "No card" cannot carry the FromCache mark, and a stale one would
		// be an unmarked "not insured": say unknown instead.
		return nil, verifier.Errorf(verifier.KindUnavailable, "registry_unavailable",
			"the insurance registry did not answer")
	}
	if len(cards) == 0 {
		return nil, nil
	}
	if cached {
		cards = slices.Clone(cards) // the cache keeps its own slice
		for i := range cards {
			cards[i].FromCache = true
		}
	}
	return cards, nil
}

// Card returns the card with the given number. When the registry does not
// answer, the cached card is returned with FromCache set.
func (c *Client) Card(ctx context.Context, no string) (verifier.Card, error) {
	if no == "" {
		return verifier.Card{}, opCard.notFound
	}
	v, cached, err := c.lookup(ctx, opCard, "/cards/"+url.PathEscape(no), "n"+no, func(b []byte) (any, error) {
		var r verifier.Card
		if err := recordjson.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		if r.CardNo != no {
			return nil, errOtherRecord
		}
		return r, nil
	})
	if err != nil {
		return verifier.Card{}, err
	}
	r := v.(verifier.Card)
	r.FromCache = cached
	return r, nil
}

// Facility returns the facility with the given code; when the registry
// does not answer, the cached facility (Facility has no FromCache mark:
// facilities change rarely).
func (c *Client) Facility(ctx context.Context, code string) (verifier.Facility, error) {
	if code == "" {
		return verifier.Facility{}, opFacility.notFound
	}
	v, _, err := c.lookup(ctx, opFacility, "/facilities/"+url.PathEscape(code), "f"+code, func(b []byte) (any, error) {
		var r verifier.Facility
		if err := recordjson.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		if r.Code != code {
			return nil, errOtherRecord
		}
		return r, nil
	})
	if err != nil {
		return verifier.Facility{}, err
	}
	return v.(verifier.Facility), nil
}

// Ping reports whether the registry answers GET /healthz within one
// attempt's timeout. It bypasses the breaker and the cache: it is for
// readiness reports, and says how the registry is, not how the client
// copes with it.
func (c *Client) Ping(ctx context.Context) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	err := c.ping(ctx)
	outcome := OutcomeOK
	if err != nil {
		outcome = OutcomeUnavailable
	}
	c.observe("ping", outcome, start)
	return err
}

func (c *Client) ping(ctx context.Context) error {
	req, err := c.request(ctx, "/healthz")
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return verifier.Wrap(scrub("GET /healthz", err), verifier.KindUnavailable, "registry_unavailable", "the registry did not answer its health check")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return verifier.Wrap(fmt.Errorf("GET /healthz: status %d", resp.StatusCode), verifier.KindUnavailable, "registry_unavailable",
			fmt.Sprintf("the registry's health check answered %d", resp.StatusCode))
	}
	return nil
}

// Errors of one attempt, classified.
var (
	errOtherRecord = errors.New("the answer is for another record")
	errBreakerOpen = errors.New("circuit breaker open")
)

// answerError is an answer that is not a record: a 404 or another 4xx.
type answerError struct {
	status   int
	notFound bool // the registry's own 404 for the record
	cause    error
}

func (e *answerError) Error() string { return e.cause.Error() }
func (e *answerError) Unwrap() error { return e.cause }

// maxAnswer bounds an answer's body.
const maxAnswer = 4 << 20

// lookup gets one answer: from the registry, or, when the registry gives
// none, from the cache. It reports whether the value came from the cache.
func (c *Client) lookup(ctx context.Context, o op, path, key string, decode func([]byte) (any, error)) (any, bool, error) {
	start := time.Now()
	v, err := c.fetch(ctx, o, path, decode)
	var ans *answerError
	switch {
	case err == nil:
		stored := v
		if cards, ok := v.([]verifier.Card); ok {
			stored = slices.Clone(cards) // the caller gets the decoded slice, the cache a copy
		}
		c.cache.put(key, stored, false, c.opt.Now().Add(c.opt.CacheTTL))
		c.observe(o.name, OutcomeOK, start)
		return v, false, nil
	case errors.As(err, &ans) && ans.notFound:
		if c.opt.NegativeTTL > 0 {
			c.cache.put(key, nil, true, c.opt.Now().Add(c.opt.NegativeTTL))
		} else {
			c.cache.remove(key)
		}
		c.observe(o.name, OutcomeNotFound, start)
		return nil, false, o.notFoundError()
	case errors.As(err, &ans):
		c.observe(o.name, OutcomeError, start)
		return nil, false, verifier.Wrap(err, verifier.KindInternal, "registry_error",
			fmt.Sprintf("the %s refused the request (status %d)", o.registry, ans.status))
	}
	// No answer: the cache, if it has one.
	if cv, missing, ok := c.cache.get(key, c.opt.Now()); ok {
		c.observe(o.name, OutcomeCached, start)
		if missing {
			return nil, true, o.notFoundError()
		}
		return cv, true, nil
	}
	c.observe(o.name, OutcomeUnavailable, start)
	msg := "the " + o.registry + " did not answer"
	if errors.Is(err, errBreakerOpen) {
		msg = "the " + o.registry + " is not answering; calls are paused for a few seconds"
	}
	return nil, false, verifier.Wrap(err, verifier.KindUnavailable, "registry_unavailable", msg)
}

func (o op) notFoundError() error {
	if o.notFound == nil {
		// Only the health probe has no not-found answer: a 404 there is a
		// registry that is not the one configured.
		return verifier.Errorf(verifier.KindUnavailable, "registry_unavailable", "the registry answered 404 to its health probe")
	}
	e := *o.notFound
	return &e
}

// fetch asks the registry, retrying failures with backoff, within the
// call's deadline and as the breaker allows. A returned *answerError is an
// answer; any other error means the registry gave none.
func (c *Client) fetch(ctx context.Context, o op, path string, decode func([]byte) (any, error)) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Deadline)
	defer cancel()
	var last error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil && attempt == 0 {
			return nil, err // nothing asked, nothing for the breaker to hear
		}
		done, ok := c.br.Allow()
		if !ok {
			if last != nil {
				return nil, fmt.Errorf("%w after: %w", errBreakerOpen, last)
			}
			return nil, errBreakerOpen
		}
		v, err := c.attempt(ctx, o, path, decode)
		var ans *answerError
		if err == nil || errors.As(err, &ans) {
			done(true)
			return v, err
		}
		// No answer. A call the caller cancelled counts too: the breaker
		// must hear back from every call it allowed (a half-open probe
		// would otherwise stay out forever), and it has no "neither".
		done(false)
		last = err
		if attempt >= c.opt.Retries || ctx.Err() != nil || !c.backoff(ctx, attempt) {
			return nil, last
		}
	}
}

// attempt makes one request.
func (c *Client) attempt(ctx context.Context, o op, path string, decode func([]byte) (any, error)) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	req, err := c.request(ctx, path)
	if err != nil {
		return nil, err
	}
	where := "GET " + o.route
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, scrub(where, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, scrub(where+": reading the answer", err)
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("%s: answer larger than %d bytes", where, maxAnswer)
	}
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		v, err := decode(body)
		if err != nil {
			// A truncated or foreign answer: no answer, worth a retry.
			return nil, fmt.Errorf("%s: undecodable answer: %w", where, jsonCause(err))
		}
		return v, nil
	case s == http.StatusNotFound && isNotFoundBody(body):
		return nil, &answerError{status: s, notFound: true, cause: fmt.Errorf("%s: not found", where)}
	case s >= 500, s == http.StatusTooManyRequests, s == http.StatusRequestTimeout:
		return nil, fmt.Errorf("%s: status %d", where, s)
	default:
		// 401, 403, 400, or a 404 that is not the registry's (a wrong
		// base URL): retrying will not help and the registry is up.
		return nil, &answerError{status: s, cause: fmt.Errorf("%s: status %d", where, s)}
	}
}

func (c *Client) request(ctx context.Context, path string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if c.opt.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opt.Token)
	}
	return req, nil
}

// backoff waits before retry n+1 and reports whether to go on: false when
// ctx ends first, or would end during the wait.
func (c *Client) backoff(ctx context.Context, n int) bool {
	ceiling := c.opt.BackoffMax
	if n < 30 && c.opt.BackoffBase<<n < ceiling {
		ceiling = c.opt.BackoffBase << n
	}
	d := time.Duration(rand.Int64N(int64(ceiling)) + 1)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	return sleep(ctx, d)
}

func (c *Client) observe(op, outcome string, start time.Time) {
	if c.opt.Observe != nil {
		c.opt.Observe(op, outcome, time.Since(start))
	}
}

// isNotFoundBody reports whether a 404's body is the registry's own
// {"error": {"code": "…_not_found"}}, not a proxy's or a wrong URL's page.
func isNotFoundBody(b []byte) bool {
	var e errorBody
	if json.Unmarshal(b, &e) != nil {
		return false
	}
	return strings.HasSuffix(e.Error.Code, "not_found")
}

// scrub removes the request URL, which holds a citizen ID or a card
// number, from a transport error.
func scrub(where string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %w", where, err)
}

// jsonCause drops a decode error's quoted value (it could be personal data).
func jsonCause(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q: wrong type", te.Field)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	}
	if errors.Is(err, errOtherRecord) {
		return err
	}
	return errors.New("invalid record")
}

// errorBody is the registry's error answer, {"error": {"code", "message"}}.
type errorBody struct {
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

// sleep waits d or until ctx ends, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
