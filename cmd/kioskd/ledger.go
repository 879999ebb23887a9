package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/outbox"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger"
)

// openedLedger is the same-day window as Main wires it.
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
	// newID mints check-in IDs (verifier.Service.NewID): Redis's say where
	// their visit is, so that recording one writes no index entry; nil for
	// the in-process window (random IDs).
	newID func(verifier.CitizenID, string) string
	// close flushes the outbox (within ctx) and closes the Redis client.
	close func(ctx context.Context) error
}

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
	client, newPipeClient, err := connectRedis(ctx, c, log, metrics)
	if err != nil {
		return nil, err
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
	closeClients := client.Close
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
	return &openedLedger{Ledger: ob, outbox: ob, lookups: rl, client: client, claims: rl.Claims(), reviews: rl, newID: rl.NewCheckinID, close: func(ctx context.Context) error {
		once.Do(func() {
			closeErr = ob.Close(ctx)
			if d := ob.Depth(); d > 0 {
				log.Warn("visits left in the outbox for the next start", slog.Int("visits", d), slog.String("file", ob.Path()))
			}
			// go-redis's Close waits for commands in flight, which with
			// Redis down retry their dials for seconds: waited for only
			// until ctx ends, after which the exit closes the sockets.
			closed := make(chan struct{})
			go func() { closeClients(); close(closed) }()
			select {
			case <-closed:
			case <-ctx.Done():
				log.Warn("Redis client still closing at the end of the grace period: left to the exit")
			}
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
