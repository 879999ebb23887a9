// Package kiosk is the HTTP face of the check-in service: the JSON API for
// reception kiosks, hospital information systems and auditors, the kiosk
// page, health, readiness, metrics and the OpenAPI document. It is the only
// package that knows gin; everything below it takes a context.Context.
package kiosk

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimxml"
)

// Verifier is what the HTTP layer needs of the domain service.
type Verifier interface {
	Checkin(ctx context.Context, req verifier.CheckinRequest) (verifier.CheckinResult, error)
	Eligibility(ctx context.Context, req verifier.EligibilityRequest) (verifier.Eligibility, error)
	Duplicates(ctx context.Context, q verifier.DuplicateQuery) (verifier.DuplicatePage, error)
	SummarizeDuplicates(ctx context.Context, from, to, facility string) (verifier.DuplicateSummary, error)
	Visits(ctx context.Context, id verifier.CitizenID, day string) (string, []verifier.Visit, error)
	CheckCard(ctx context.Context, cc verifier.CardCheck) (verifier.CardCheckResult, error)
	SeenAt(ctx context.Context, id verifier.CitizenID, facility string) (bool, error)
	CheckinVisit(ctx context.Context, checkinID string) (verifier.Visit, error)
	ImportClaims(ctx context.Context, claims []verifier.Claim) (verifier.ClaimImport, error)
	SetReview(ctx context.Context, req verifier.ReviewRequest) (verifier.Review, error)
	Findings(ctx context.Context, q verifier.FindingsQuery) (verifier.FindingsPage, error)
	SummarizeFindings(ctx context.Context, from, to, facility string) (verifier.FindingsSummary, error)
	FacilityName(ctx context.Context, code string) string
	AmendCheckin(ctx context.Context, req verifier.AmendRequest) (verifier.CheckinResult, error)
	Acknowledge(ctx context.Context, req verifier.AckRequest) (verifier.Acknowledgement, error)
	Desk(ctx context.Context, facility, desk string) (verifier.DeskInfo, error)
}

// Pinger is a dependency whose health /readyz reports.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config configures a Server.
type Config struct {
	Verifier Verifier
	Keys     *Keys
	Logger   *slog.Logger
	// Ready lists the dependencies /readyz checks, by name.
	Ready map[string]Pinger
	// MaxBody bounds a JSON request body (default 64 KiB).
	MaxBody int64
	// Image bounds an uploaded image (bytes and pixels); default
	// qrimage.DefaultLimits.
	Image qrimage.Limits
	// ImageWork bounds the images decoded at once.
	ImageWork ImageWork
	// Metrics receives the server's metrics; nil: a private registry.
	Metrics *Metrics
	// Idempotency stores first answers to Idempotency-Key requests; nil:
	// an in-process store.
	Idempotency IdempotencyStore
	// MaxBatchBody bounds a batch of queued check-ins (default 1 MiB).
	MaxBatchBody int64
	// RateLimits per role; a role not listed is not limited.
	// RoleAnonymous limits requests without valid credentials per client
	// address.
	RateLimits map[Role]RateLimit
	// TrustedProxies are the addresses (IPs or CIDRs) of the load
	// balancers whose X-Forwarded-For names the client, for the
	// per-address limit; none by default: the TCP peer is the client.
	TrustedProxies []string
	// AccessLog keeps who read whose data; nil: an in-process log of the
	// newest 100,000 entries.
	AccessLog AccessLog
	// PseudonymKey keys the hash that stands for citizen IDs in the
	// access log.
	PseudonymKey []byte
	// Location is the zone of "local day" in queries (Asia/Ho_Chi_Minh).
	Location *time.Location
	// CORSOrigins may call the API from a browser; none by default.
	CORSOrigins []string
	// GatewaySecret keys the tokens of the gateway login (/api/token/take);
	// every kioskd behind one load balancer needs the same. nil: a random
	// per-process secret (tokens then work only on the process that
	// issued them).
	GatewaySecret []byte
	// GatewayTokenTTL is how long a gateway token lives (default 1 hour).
	GatewayTokenTTL time.Duration
	// Now is the clock of token expiry (default time.Now).
	Now func() time.Time
	// MaxClaimBody bounds a POST /v1/claims body (default 512 MiB: a
	// month of a hospital's claims; memory does not grow with it).
	MaxClaimBody int64
	// ClaimLimits bound what one claim file may make the parser hold.
	ClaimLimits claimxml.Limits
}

// Server is the HTTP server's handler and its state.
type Server struct {
	v       Verifier
	keys    *Keys
	log     *slog.Logger
	ready   map[string]Pinger
	maxBody int64
	image   qrimage.Limits
	images  *imageGate
	metrics *Metrics
	idem    IdempotencyStore
	engine  *gin.Engine

	maxBatchBody int64
	limiter      *limiter
	access       *accessWriter
	accessStore  AccessLog
	pseudonyms   *verifier.Pseudonymizer
	location     *time.Location
	corsOrigins  []string
	notRecorded  notRecorded

	gatewaySecret []byte
	gatewayTTL    time.Duration
	now           func() time.Time
	maxClaimBody  int64
	claimLimits   claimxml.Limits
	claimImports  chan struct{} // a slot per import running
	// idemSecret seals the stored idempotent answers (sealAnswer): from
	// the pseudonym key, which every kioskd sharing a store has.
	idemSecret []byte
}

// notRecordedFor is how long /readyz reports "recording" down after a
// check-in was answered as not recorded.
const notRecordedFor = time.Minute

// notRecorded counts the check-ins answered as not recorded, for /readyz.
type notRecorded struct {
	total atomic.Int64
	last  atomic.Int64 // unix nanoseconds of the latest
}

func (n *notRecorded) note(t time.Time) {
	n.total.Add(1)
	n.last.Store(t.UnixNano())
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		v: cfg.Verifier, keys: cfg.Keys, log: cfg.Logger, ready: cfg.Ready,
		maxBody: cfg.MaxBody, image: cfg.Image, metrics: cfg.Metrics,
		idem: cfg.Idempotency, maxBatchBody: cfg.MaxBatchBody,
		accessStore: cfg.AccessLog, pseudonyms: verifier.NewPseudonymizer(cfg.PseudonymKey), location: cfg.Location,
		corsOrigins:   cfg.CORSOrigins,
		gatewaySecret: cfg.GatewaySecret, gatewayTTL: cfg.GatewayTokenTTL, now: cfg.Now,
		maxClaimBody: cfg.MaxClaimBody, claimLimits: cfg.ClaimLimits,
		// Two imports at once: each holds at most the parser's bound.
		claimImports: make(chan struct{}, 2),
	}
	if s.maxClaimBody == 0 {
		s.maxClaimBody = 512 << 20
	}
	if s.claimLimits == (claimxml.Limits{}) {
		s.claimLimits = claimxml.DefaultLimits()
	}
	s.idemSecret = []byte(rand.Text())
	if len(cfg.PseudonymKey) > 0 {
		m := hmac.New(sha256.New, cfg.PseudonymKey)
		m.Write([]byte("idempotent answers"))
		s.idemSecret = m.Sum(nil)
	}
	if len(s.gatewaySecret) == 0 {
		s.gatewaySecret = []byte(rand.Text())
	}
	if s.gatewayTTL <= 0 {
		s.gatewayTTL = DefaultGatewayTokenTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.location == nil {
		s.location = time.UTC
	}
	if s.accessStore == nil {
		s.accessStore = NewMemoryAccessLog(100_000)
	}
	if s.idem == nil {
		s.idem = NewMemoryIdempotency(nil)
	}
	if s.maxBatchBody == 0 {
		s.maxBatchBody = 1 << 20
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody == 0 {
		s.maxBody = 64 << 10
	}
	if s.image.MaxBytes == 0 {
		s.image = qrimage.DefaultLimits()
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	s.limiter = newLimiter(cfg.RateLimits, s.now)
	s.images = newImageGate(cfg.ImageWork)
	s.access = newAccessWriter(s.accessStore, s.log, s.metrics.accessDropped.Inc)
	if s.keys == nil {
		s.keys = &Keys{}
	}
	e := gin.New()
	e.HandleMethodNotAllowed = true
	// gin trusts every proxy's X-Forwarded-For unless told otherwise,
	// which would let a client choose its own address for the limits.
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		s.log.Error("trusted proxies: none trusted", slog.String("error", err.Error()))
		_ = e.SetTrustedProxies(nil)
	}
	e.ContextWithFallback = true
	e.Use(s.recoverJSON, s.observe, s.cors)
	e.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			gatewayNoRoute(c, http.StatusNotFound, "no such endpoint: the gateway endpoints are POST /api/token/take and POST /api/egw/KQNhanLichSuKCB2024")
			return
		}
		s.abort(c, verifier.Errorf(verifier.KindNotFound, "no_such_route", "no such endpoint"))
	})
	e.NoMethod(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			gatewayNoRoute(c, http.StatusMethodNotAllowed, "use POST")
			return
		}
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "method not allowed on this endpoint"}})
	})

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(s.metrics.Handler()))
	e.GET("/openapi.yaml", s.openapiYAML)
	e.GET("/openapi.json", s.openapiJSON)
	s.pageRoutes(e)

	v1 := e.Group("/v1")
	desk := []Role{RoleKiosk, RoleHIS}
	// Each API route: who may call it, then the per-key rate limit, then
	// the access log of HIS and auditor reads.
	auth := func(roles ...Role) []gin.HandlerFunc {
		return []gin.HandlerFunc{s.authenticate(roles...), s.rateLimited, s.auditReads}
	}
	v1.POST("/decode", append(auth(desk...), s.decode)...)
	v1.POST("/checkins", append(auth(desk...), s.idempotent, s.checkin)...)
	v1.POST("/checkins/batch", append(auth(desk...), s.idempotent, s.checkinBatch)...)
	v1.GET("/checkins/:checkin_id", append(auth(RoleKiosk, RoleHIS, RoleAuditor), s.checkinVisit)...)
	v1.PATCH("/checkins/:checkin_id", append(auth(desk...), s.amendCheckin)...)
	v1.POST("/checkins/:checkin_id/acknowledgement", append(auth(desk...), s.acknowledge)...)
	v1.GET("/desk", append(auth(desk...), s.desk)...)
	v1.POST("/eligibility", append(auth(desk...), s.eligibility)...)
	// The insurer gateway as HIS clients call it, and its older alias for
	// the service's own keys: the same handler, the same answers.
	v1.POST("/gateway/check-card", append(append([]gin.HandlerFunc{gatewayShaped(gatewayCheckMode)}, auth(desk...)...), s.gatewayCheckCard)...)
	api := e.Group("/api")
	api.POST("/token/take", gatewayShaped(gatewayTokenMode), s.tokenTake)
	api.POST("/egw/KQNhanLichSuKCB2024", gatewayShaped(gatewayCheckMode), s.gatewayAuthenticate, s.rateLimited, s.auditReads, s.gatewayCheckCard)
	v1.GET("/duplicates", append(auth(RoleAuditor), s.duplicates)...)
	v1.GET("/duplicates/summary", append(auth(RoleAuditor), s.duplicatesSummary)...)
	v1.GET("/citizens/:id/visits", append(auth(RoleAuditor, RoleHIS), s.visits)...)
	v1.GET("/access-log", append(auth(RoleAuditor), s.accessLog)...)
	v1.POST("/claims", append(auth(RoleAuditor), s.importClaims)...)
	v1.GET("/claims/findings", append(auth(RoleAuditor), s.claimFindings)...)
	v1.GET("/claims/findings/summary", append(auth(RoleAuditor), s.claimFindingsSummary)...)
	v1.PUT("/duplicates/:citizen_id/:day/review", append(auth(RoleAuditor), s.setReview)...)
	s.engine = e
	return s
}

// Close writes the queued access-log entries; call it after the HTTP
// server has drained.
func (s *Server) Close(ctx context.Context) error { return s.access.Close(ctx) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes lists the registered routes as "METHOD path" with gin's :param
// syntax, for the OpenAPI conformance test.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.engine.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// readyTimeout is how long /readyz waits for each dependency.
const readyTimeout = time.Second

// readyz reports whether each dependency answers within readyTimeout. The
// dependencies are asked at once, each with its own timeout, so that one
// that hangs neither delays the answer past one timeout nor eats the time
// of the others; one that ignores its context is reported down when the
// timeout ends, and its goroutine ends on its own.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(s.ready))
	for name, p := range s.ready {
		go func() { results <- result{name, p.Ping(ctx)} }()
	}
	status, checks := http.StatusOK, gin.H{}
	for range s.ready {
		select {
		case r := <-results:
			if r.err != nil {
				status = http.StatusServiceUnavailable
				checks[r.name] = gin.H{"status": "down", "error": verifier.AsError(r.err).Message}
				continue
			}
			checks[r.name] = gin.H{"status": "up"}
		case <-ctx.Done():
		}
	}
	for name := range s.ready {
		if _, ok := checks[name]; !ok {
			status = http.StatusServiceUnavailable
			checks[name] = gin.H{"status": "down", "error": "no answer within " + readyTimeout.String()}
		}
	}
	// Whether check-ins are being kept: down for a minute after one was
	// answered as not recorded (neither the window nor the outbox took
	// it), so that a balancer sends desks to a server that can keep them.
	rec := gin.H{"status": "up", "not_recorded": s.notRecorded.total.Load()}
	if last := s.notRecorded.last.Load(); last != 0 {
		at := time.Unix(0, last)
		rec["last_not_recorded_at"] = at.UTC().Format(time.RFC3339)
		if time.Since(at) < notRecordedFor {
			status = http.StatusServiceUnavailable
			rec["status"] = "down"
			rec["error"] = "a check-in could not be recorded in the last minute (window and outbox both failed)"
		}
	}
	checks["recording"] = rec
	word := "ready"
	if status != http.StatusOK {
		word = "degraded"
	}
	c.JSON(status, gin.H{"status": word, "checks": checks})
}

// recoverJSON turns a panic into a JSON 500 and a log line, so one bad
// request never takes the process down. Handlers are written not to panic;
// this is the last line of defence.
func (s *Server) recoverJSON(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error("panic serving request", slog.String("route", c.FullPath()), slog.Any("panic", r))
			s.abort(c, verifier.Errorf(verifier.KindInternal, "internal", "internal error"))
		}
	}()
	c.Next()
}

// observe logs each request once, without personal data: the route
// template (never the raw path, which may hold a citizen ID), no query
// string, the key's name (never its token), and records metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	d := time.Since(start)
	status := c.Writer.Status()
	s.metrics.observeRequest(c.Request.Method, route, status, d)
	// Successful requests are counted by the metrics; a line each would
	// cost a write per check-in at thousands a second (measured: 11% of
	// throughput). They are logged at debug; refusals, failures and slow
	// answers at info and above.
	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400 || d >= time.Second:
		level = slog.LevelInfo
	}
	if !s.log.Enabled(c.Request.Context(), level) {
		return // and build no line
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method), slog.String("route", route),
		slog.Int("status", status), slog.Duration("dur", d),
	}
	if k := keyOf(c); k != nil {
		attrs = append(attrs, slog.String("key", k.Name))
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}
