package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh even on a machine without a zone database

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/kiosk/redisstore"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/outbox"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger"
)

func serve(ctx context.Context, c config, stdout, stderr io.Writer) error {
	log := newLogger(c.LogLevel, stderr)
	log.Info("starting", slog.String("config", c.String()))

	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		return fmt.Errorf("-tz: %w", err)
	}
	rules := verifier.DefaultCoverageRules()
	if c.Coverage != "" {
		b, err := os.ReadFile(c.Coverage)
		if err != nil {
			return fmt.Errorf("-coverage: %w", err)
		}
		if rules, err = verifier.ParseCoverageRules(b); err != nil {
			return fmt.Errorf("-coverage %s: %w", c.Coverage, err)
		}
	}

	metrics := kiosk.NewMetrics(nil)
	ready := map[string]kiosk.Pinger{}
	regs, err := openRegistries(c, loc, log, metrics)
	if err != nil {
		return err
	}
	defer regs.close()
	reg := regs.local

	ledger, err := openLedger(ctx, c, log, metrics)
	if err != nil {
		return err
	}
	// Runs on every return; on a graceful stop the outbox is already
	// closed (flushed) below and this only closes the Redis client.
	defer ledger.close(context.Background())

	ready["ledger"] = ledger.Ledger
	svc := &verifier.Service{
		Population: regs.population, Insurance: regs.insurance, Facilities: regs.facilities, Ledger: ledger.Ledger, Coverage: rules,
		Claims: ledger.claims, Reviews: ledger.reviews,
		Location: loc, RepeatWithin: c.RepeatWindow, MaxOfflineAge: c.MaxOfflineAge,
	}
	if regs.staff != nil {
		svc.Staff = regs.staff
	}
	svc.Lookups, svc.LookupTimeout = ledger.lookups, c.RedisTimeout
	svc.Defaults()

	keys, tokens, err := loadKeys(c, reg, log)
	if err != nil {
		return err
	}
	if ledger.outbox != nil {
		registerOutboxMetrics(metrics.Registry(), ledger.outbox)
	}
	pseudonymKey := []byte(c.PseudonymKey)
	if len(pseudonymKey) == 0 {
		// Without Redis the access log lives and dies with the process: a
		// per-process key is enough.
		pseudonymKey = []byte(rand.Text())
	}
	// The staff references kept with look-ups and the gateway's tokens are
	// keyed from the pseudonym key, which every kioskd sharing a Redis has.
	svc.Pseudonyms = verifier.NewPseudonymizer(pseudonymKey)
	kcfg := kiosk.Config{
		Verifier: svc, Keys: keys, Logger: log, Metrics: metrics, Ready: ready,
		RateLimits: c.RateLimits, CORSOrigins: c.CORSOrigins, PseudonymKey: pseudonymKey, Location: loc,
		GatewaySecret: derivedKey(pseudonymKey, "gateway tokens"), GatewayTokenTTL: c.GatewayTokenTTL,
	}
	if ledger.client != nil {
		// Shared by every kioskd behind this Redis.
		kcfg.Idempotency = redisstore.NewIdempotency(ledger.client, redisledger.DefaultKeyPrefix)
		kcfg.AccessLog = redisstore.NewAccessLog(ledger.client, redisledger.DefaultKeyPrefix, c.Retention)
	}
	srv := kiosk.New(kcfg)
	if c.Pprof != "" {
		stopPprof, err := servePprof(c.Pprof, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // a CSV export of a year streams for a while
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	base := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "kioskd listening on %s\n", base)
	if tokens != nil {
		printDemo(stdout, base, tokens, reg)
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let in-flight check-ins finish (each has recorded
	// its visit, in the window or in the outbox, before it is answered),
	// then flush the outbox: one last replay, and the file kept for the
	// next start if the window still does not answer.
	log.Info("shutting down", slog.Duration("grace", c.ShutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownGrace)
	defer cancel()
	shutErr := hs.Shutdown(sctx)
	if shutErr != nil {
		hs.Close()
		shutErr = fmt.Errorf("shutdown: %w", shutErr)
	} else if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		shutErr = err
	}
	fctx, fcancel := context.WithTimeout(context.Background(), c.ShutdownGrace)
	defer fcancel()
	if err := srv.Close(fctx); err != nil {
		log.Error("writing the access log", slog.String("error", err.Error()))
	}
	if err := ledger.close(fctx); err != nil {
		log.Error("closing the visit ledger", slog.String("error", err.Error()))
		shutErr = errors.Join(shutErr, err)
	}
	if shutErr != nil {
		return shutErr
	}
	log.Info("stopped")
	return nil
}

// openedLedger is the same-day window as serve wires it.
type openedLedger struct {
	verifier.Ledger
	// outbox is the outbox in front of Redis; nil for the in-process window.
	outbox *outbox.Ledger
	// lookups is the gateway's look-up log: in Redis beside the window, or
	// in process.
	lookups verifier.LookupLog
	// client is the Redis client; nil for the in-process window.
	client redis.UniversalClient
	// claims and reviews are kept where the duplicate groups are, with
	// their retention.
	claims  verifier.ClaimStore
	reviews verifier.ReviewStore
	// close flushes the outbox (within ctx) and closes the Redis client.
	close func(ctx context.Context) error
}

// redisPoolSize is the connections kept per Redis node. go-redis's default
// (10 per core: 20 here) is fewer than the requests a server has in flight
// under load; measured at 64 connections, check-ins then queued for a
// Redis connection rather than for CPU. A redis:// URL's pool_size wins.
const redisPoolSize = 128

// openLedger connects the same-day window: Redis when -redis is set (an
// unreachable Redis is an error, never a silent fallback), behind an outbox
// that keeps check-ins while Redis is down; else the in-process window.
func openLedger(ctx context.Context, c config, log *slog.Logger, metrics *kiosk.Metrics) (*openedLedger, error) {
	if c.Redis == "" {
		l := inmem.NewLedger(inmem.WithLedgerRetention(c.Retention))
		return &openedLedger{Ledger: l, lookups: inmem.NewLookupLog(nil), claims: inmem.NewClaims(c.Retention, nil), reviews: l, close: func(context.Context) error { return nil }}, nil
	}
	if c.PseudonymKey == "" {
		return nil, errors.New("-redis needs -pseudonym-key (KIOSK_PSEUDONYM_KEY): citizen IDs in Redis keys are pseudonymised with it")
	}
	redis.SetLogger(redisLogger{log})
	// client serves every command but the record scripts batched by the
	// AutoPipeliner, which has a client of its own (newPipeClient).
	var client redis.UniversalClient
	var newPipeClient func() redis.UniversalClient
	if strings.Contains(c.Redis, "://") {
		opt, err := redis.ParseURL(c.Redis)
		if err != nil {
			return nil, fmt.Errorf("-redis: %w", err)
		}
		if opt.PoolSize == 0 {
			opt.PoolSize = redisPoolSize
		}
		pipeOpt := *opt
		// The outbox's timeout is a context deadline set just before each
		// call to the window: go-redis applies it to the connection only
		// with this set (a command that misses it closes its connection).
		opt.ContextTimeoutEnabled = true
		client = redis.NewClient(opt)
		newPipeClient = func() redis.UniversalClient { return redis.NewClient(&pipeOpt) }
	} else {
		addrs := strings.Split(c.Redis, ",")
		client = redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, PoolSize: redisPoolSize, ContextTimeoutEnabled: true})
		newPipeClient = func() redis.UniversalClient {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, PoolSize: redisPoolSize})
		}
	}
	hook := newRedisMetrics(metrics.Registry())
	client.AddHook(hook)
	closeClients := client.Close
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("-redis %s: cannot reach Redis: %w", maskURL(c.Redis), err)
	}
	lopts := redisledger.Options{PseudonymKey: []byte(c.PseudonymKey), Retention: c.Retention,
		MinReplicas: c.RedisMinReplicas, WaitTimeout: c.RedisTimeout}
	obTimeout := c.RedisTimeout
	if c.RedisMinReplicas > 0 {
		// WAIT must follow each write on its own connection: the
		// AutoPipeliner, which shares writes between check-ins, is not used.
		c.RedisAutoPipeline = false
		// The script and its WAIT (bounded by -redis-timeout) must both fit
		// in the outbox's bound, or a slow confirmation would always time
		// out into the outbox before WAIT could answer.
		obTimeout = 2 * c.RedisTimeout
	}
	if c.RedisAutoPipeline {
		// The record scripts of concurrent check-ins go to Redis in one
		// write: measured +37% check-ins a second and -30% CPU per
		// check-in at 64 connections. The deferred face: Record waits for
		// its script's reply only until the outbox's deadline (a late
		// reply is dropped), and a batch retried after a dropped
		// connection is harmless because a check-in ID is recorded at
		// most once. Its client leaves the context's deadline off the
		// connection: one command that misses its deadline must not fail
		// the other check-ins of its batch nor close the shared
		// connection (measured: with it on, 5 consecutive timeouts under
		// CPU starvation opened the breaker, 18,789 of 58,050 check-ins
		// queued; off, none).
		pc := newPipeClient()
		pc.AddHook(hook)
		closeClients = func() error { pc.Close(); return client.Close() }
		ap, err := pc.(interface {
			AsyncAutoPipeline() (*redis.AutoPipeliner, error)
		}).AsyncAutoPipeline()
		if err != nil {
			closeClients()
			return nil, fmt.Errorf("-redis-autopipeline: %w", err)
		}
		lopts.Scripter = ap
	}
	rl := redisledger.New(client, lopts)
	ob, err := outbox.New(rl, outbox.Options{
		Dir:     c.Outbox,
		Timeout: obTimeout,
		Logger:  log,
		OnBreakerChange: func(from, to breaker.State) {
			log.Warn("same-day window circuit breaker", slog.String("from", string(from)), slog.String("to", string(to)))
		},
	})
	if err != nil {
		closeClients()
		return nil, fmt.Errorf("-outbox %s: %w", c.Outbox, err)
	}
	log.Info("same-day window in Redis behind the outbox", slog.String("outbox_file", ob.Path()),
		slog.Int("queued", ob.Depth()), slog.Duration("timeout", obTimeout), slog.Int("min_replicas", c.RedisMinReplicas))
	var once sync.Once
	var closeErr error
	return &openedLedger{Ledger: ob, outbox: ob, lookups: rl, client: client, claims: rl.Claims(), reviews: rl, close: func(ctx context.Context) error {
		once.Do(func() {
			closeErr = ob.Close(ctx)
			if d := ob.Depth(); d > 0 {
				log.Warn("visits left in the outbox for the next start", slog.Int("visits", d), slog.String("file", ob.Path()))
			}
			closeClients()
		})
		return closeErr
	}}, nil
}

// registerOutboxMetrics adds the outbox's and the breaker's state to the
// Prometheus registry.
func registerOutboxMetrics(reg *prometheus.Registry, ob *outbox.Ledger) {
	counter := func(name, help string, v func(outbox.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(ob.Stats())) })
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kiosk_outbox_depth",
			Help: "Visits kept in the local outbox, waiting to be replayed into the same-day window.",
		}, func() float64 { return float64(ob.Depth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kiosk_window_breaker_open",
			Help: "1 while the circuit breaker in front of the same-day window (Redis) is open or probing, else 0.",
		}, func() float64 {
			if ob.BreakerState() == breaker.Closed {
				return 0
			}
			return 1
		}),
		counter("kiosk_window_errors_total", "Calls to the same-day window (Redis) that failed or timed out.", func(s outbox.Stats) uint64 { return s.Failures }),
		counter("kiosk_outbox_queued_total", "Visits written to the outbox because the window did not answer.", func(s outbox.Stats) uint64 { return s.Queued }),
		counter("kiosk_outbox_replayed_total", "Queued visits replayed into the window.", func(s outbox.Stats) uint64 { return s.Replayed }),
		counter("kiosk_outbox_dropped_total", "Queued visits the window refused for good (logged with their check-in ID).", func(s outbox.Stats) uint64 { return s.Dropped }),
		counter("kiosk_outbox_lost_total", "Visits the window did not take and the outbox could not write (disk full): answered 503 not_recorded.", func(s outbox.Stats) uint64 { return s.Lost }),
		counter("kiosk_window_refused_total", "Visits the window refused with an error that is not an outage: answered 503 not_recorded, not queued.", func(s outbox.Stats) uint64 { return s.Refused }),
	)
}

// redisLogger sends go-redis's own messages (failed dials while Redis is
// down) to the debug log: the breaker's changes are logged as warnings.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), slog.String("component", "go-redis"))
}

// loadKeys reads the keys file, or makes demo keys for the first facility.
func loadKeys(c config, reg *inmem.Registry, log *slog.Logger) (*kiosk.Keys, map[kiosk.Role]string, error) {
	if c.Keys == "" {
		fac := "08001"
		if reg == nil {
			// A remote registry: the demo keys act for 08001.
		} else if fs := reg.Facilities(); len(fs) > 0 {
			if _, err := reg.Facility(context.Background(), fac); err != nil {
				fac = fs[0].Code
			}
		}
		ks, tokens := kiosk.DemoKeys(fac)
		log.Warn("no -keys file: demo mode, tokens printed on standard output")
		return ks, tokens, nil
	}
	b, err := os.ReadFile(c.Keys)
	if err != nil {
		return nil, nil, fmt.Errorf("-keys: %w", err)
	}
	ks, err := kiosk.ParseKeys(b)
	if err != nil {
		return nil, nil, err
	}
	if ks.Plain > 0 {
		log.Warn("keys file holds clear-text tokens: store them as sha256:<hex> (kioskctl hash-token)", slog.Int("keys", ks.Plain))
	}
	return ks, nil, nil
}

func printDemo(w io.Writer, base string, tokens map[kiosk.Role]string, reg *inmem.Registry) {
	fmt.Fprintf(w, "demo mode: generated data, in-process window, these tokens are valid until the process stops:\n")
	for _, r := range []kiosk.Role{kiosk.RoleKiosk, kiosk.RoleHIS, kiosk.RoleAuditor} {
		fmt.Fprintf(w, "  %-8s %s\n", r, tokens[r])
	}
	if reg == nil {
		return
	}
	id := string(reg.CitizenAt(0).ID)
	fmt.Fprintf(w, "try:\n  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '{\"citizen_id\": \"%s\"}' %s/v1/checkins\n", tokens[kiosk.RoleKiosk], id, base)
	fmt.Fprintf(w, "  open %s/ in a browser for the kiosk page\n", base)
}

// derivedKey is a key for one purpose derived from a secret (HMAC-SHA-256),
// so that one secret serves several uses without one revealing another.
func derivedKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") {
		return "localhost:" + strings.TrimPrefix(s, "[::]:")
	}
	if strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost:" + strings.TrimPrefix(s, "0.0.0.0:")
	}
	return s
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
