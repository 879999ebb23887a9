// Command kioskd is the check-in service: it loads the population and
// insurance data, connects the same-day window, and serves the HTTP API and
// the kiosk page. Flags and environment variables are read here only.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh even on a machine without a zone database

	"github.com/vnhealth/cccd-checkin/cmd/internal/httpserve"
	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/kiosk/redisstore"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger"
)

func main() {
	ctx, stop := httpserve.SignalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Environ(), os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the usage text is printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kioskd:", err)
		os.Exit(1)
	}
}

// run is the whole program, with its inputs injected so that tests can
// start the real server in-process: configuration, open, serve until ctx
// ends, close within the grace period. environ is the whole environment,
// only for the warning about unknown KIOSK_ variables.
func run(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	m := NewMain(stdout, stderr)
	m.Environ = environ
	if err := m.ParseFlags(args, getenv); err != nil {
		return err
	}
	err := m.Open(ctx)
	if err == nil {
		err = m.Run(ctx)
	}
	// One grace period for the whole stop: draining requests, writing the
	// access log and closing the outbox share it, so that an orchestrator's
	// kill timeout set just above it is never met.
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownGrace)
	defer cancel()
	return errors.Join(err, m.Close(sctx))
}

// Main is kioskd: its configuration, what it opened, and how to close it.
// Open takes the steps in order (configuration, stores, server); Close
// undoes whichever of them were taken.
type Main struct {
	Config config
	// Environ is the environment, for the warning about KIOSK_ variables
	// that are no setting.
	Environ []string

	stdout, stderr io.Writer
	log            *slog.Logger

	loc     *time.Location
	rules   *verifier.CoverageRules
	metrics *kiosk.Metrics

	regs       *registries
	ledger     *openedLedger
	server     *kiosk.Server
	http       *httpserve.Server
	demoTokens map[kiosk.Role]string // demo mode only
	demoKeys   *kiosk.Keys           // demo mode only: a second desk is added
	demoSvc    *verifier.Service     // demo mode only: the printed citizens are checked
	stopPprof  func()
}

// NewMain returns a Main that writes its banner to stdout and its log to
// stderr.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler)}
}

// ParseFlags reads the configuration from args and the environment.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	c, err := parseConfig(args, getenv, m.stderr)
	if err != nil {
		return err
	}
	c.warnUnknownEnv(m.Environ)
	m.Config = c
	m.log = slog.New(slog.NewJSONHandler(m.stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	return nil
}

// Open takes every step before serving: the configuration's files, the
// stores, the HTTP server on its listener.
func (m *Main) Open(ctx context.Context) error {
	m.log.Info("starting", slog.String("config", m.Config.String()))
	for _, w := range m.Config.Warnings {
		m.log.Warn(w)
	}
	if err := m.openConfig(); err != nil {
		return err
	}
	if err := m.openStores(ctx); err != nil {
		return err
	}
	return m.openServer()
}

// openConfig reads the files the configuration names.
func (m *Main) openConfig() error {
	c := m.Config
	m.loc = c.Location
	m.rules = verifier.DefaultCoverageRules()
	if c.Coverage != "" {
		b, err := os.ReadFile(c.Coverage)
		if err != nil {
			return fmt.Errorf("-coverage: %w", err)
		}
		if m.rules, err = verifier.ParseCoverageRules(b); err != nil {
			return fmt.Errorf("-coverage %s: %w", c.Coverage, err)
		}
	}
	m.metrics = kiosk.NewMetrics(nil)
	return nil
}

// openStores opens the registries and the same-day window.
func (m *Main) openStores(ctx context.Context) error {
	var err error
	if m.regs, err = openRegistries(m.Config, m.loc, m.log, m.metrics); err != nil {
		return err
	}
	if m.ledger, err = openLedger(ctx, m.Config, m.log, m.metrics); err != nil {
		return err
	}
	if m.ledger.outbox != nil {
		registerOutboxMetrics(m.metrics.Registry(), m.ledger.outbox)
	}
	return nil
}

// openServer builds the service and the HTTP server and opens its
// listener (and the profiler's, with -pprof).
func (m *Main) openServer() error {
	kcfg, err := m.serverConfig()
	if err != nil {
		return err
	}
	m.server = kiosk.New(kcfg)
	if m.Config.Pprof != "" {
		if m.stopPprof, err = servePprof(m.Config.Pprof, m.log); err != nil {
			return err
		}
	}
	m.http, err = httpserve.Listen(m.Config.Addr, &http.Server{
		Handler:           m.server,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // a CSV export of a year streams for a while
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	})
	return err
}

// serverConfig is the HTTP server's configuration: the service over the
// opened stores, the keys, the limits.
func (m *Main) serverConfig() (kiosk.Config, error) {
	c, regs, ledger := m.Config, m.regs, m.ledger
	svc := &verifier.Service{
		Population: regs.population, Insurance: regs.insurance, Facilities: regs.facilities, Ledger: ledger.Ledger, Coverage: m.rules,
		Claims: ledger.claims, Reviews: ledger.reviews, Priority: c.PriorityRules,
		Location: m.loc, RepeatWithin: c.RepeatWindow, MaxOfflineAge: c.MaxOfflineAge,
		NewID: ledger.newID,
	}
	if regs.staff != nil {
		svc.Staff = regs.staff
	}
	svc.Lookups, svc.LookupTimeout = ledger.lookups, c.RedisTimeout
	svc.Defaults()

	keys, tokens, err := loadKeys(c, regs.local, m.log)
	if err != nil {
		return kiosk.Config{}, err
	}
	m.demoTokens, m.demoKeys, m.demoSvc = tokens, keys, svc
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
		Verifier: svc, Keys: keys, Logger: m.log, Metrics: m.metrics, Ready: map[string]kiosk.Pinger{"ledger": ledger.Ledger},
		RateLimits: c.RateLimits, TrustedProxies: c.TrustedProxies, CORSOrigins: c.CORSOrigins, PseudonymKey: pseudonymKey, Location: m.loc,
		GatewaySecret: derivedKey(pseudonymKey, "gateway tokens"), GatewayTokenTTL: c.GatewayTokenTTL,
	}
	if ledger.client != nil {
		// Shared by every kioskd behind this Redis.
		kcfg.Idempotency = redisstore.NewIdempotency(ledger.client, redisledger.DefaultKeyPrefix)
		kcfg.AccessLog = redisstore.NewAccessLog(ledger.client, redisledger.DefaultKeyPrefix, c.Retention)
	}
	return kcfg, nil
}

// Run prints where the server listens (and, in demo mode, the tokens) and
// serves until ctx ends.
func (m *Main) Run(ctx context.Context) error {
	base := m.http.URL()
	fmt.Fprintf(m.stdout, "kioskd listening on %s\n", base)
	if m.demoTokens != nil {
		printDemo(m.stdout, base, m.demoTokens, m.regs.local)
		printDemoDesks(m.stdout, m.demoKeys, m.demoTokens, m.regs.local, m.demoSvc)
	}
	return m.http.Serve(ctx)
}

// Close stops what Open started, within ctx: stop accepting and let
// in-flight check-ins finish (each has recorded its visit, in the window or
// in the outbox, before it is answered), write the queued access-log
// entries, then flush the outbox (one last replay, and the file kept for
// the next start if the window still does not answer). Steps left when ctx
// ends are cut short, never waited for.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	if m.http != nil {
		m.log.Info("shutting down", slog.Duration("grace", m.Config.ShutdownGrace))
		switch err := m.http.Shutdown(ctx); {
		case errors.Is(err, httpserve.ErrCut):
			// The stop asked for, within its bound: a cut check-in's
			// client sees a broken connection and keeps the scan. Also
			// met with no request at all: net/http waits up to 5 s for a
			// connection a client opened but has not used yet.
			m.log.Warn("connections still open at the end of the grace period were closed")
		case err != nil:
			m.log.Error("stopping the HTTP server", slog.String("error", err.Error()))
			errs = append(errs, err)
		}
	}
	if m.server != nil {
		if err := m.server.Close(ctx); err != nil {
			m.log.Error("writing the access log", slog.String("error", err.Error()))
		}
	}
	if m.stopPprof != nil {
		m.stopPprof()
	}
	if m.ledger != nil {
		if err := m.ledger.close(ctx); err != nil {
			m.log.Error("closing the visit ledger", slog.String("error", err.Error()))
			errs = append(errs, err)
		}
	}
	if m.regs != nil {
		m.regs.close()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if m.http != nil {
		m.log.Info("stopped")
	}
	return nil
}
