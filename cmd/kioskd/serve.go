package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh even on a machine without a zone database

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
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

	start := time.Now()
	reg, demo, err := loadRegistry(c, loc)
	if err != nil {
		return err
	}
	nc, ncards, nf := reg.Counts()
	log.Info("data loaded", slog.Int("citizens", nc), slog.Int("cards", ncards), slog.Int("facilities", nf),
		slog.Bool("demo", demo), slog.Duration("took", time.Since(start)))

	ledger, closeLedger, err := openLedger(ctx, c)
	if err != nil {
		return err
	}
	defer closeLedger()

	svc := &verifier.Service{
		Population: reg, Insurance: reg, Facilities: reg, Ledger: ledger, Coverage: rules,
		Location: loc, RepeatWithin: c.RepeatWindow, MaxOfflineAge: c.MaxOfflineAge,
	}
	svc.Defaults()

	keys, tokens, err := loadKeys(c, reg, log)
	if err != nil {
		return err
	}
	srv := kiosk.New(kiosk.Config{
		Verifier: svc, Keys: keys, Logger: log,
		Ready: map[string]kiosk.Pinger{"ledger": ledger},
	})

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
	log.Info("shutting down", slog.Duration("grace", c.ShutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// loadRegistry loads the data directory, or generates the demo data set.
func loadRegistry(c config, loc *time.Location) (*inmem.Registry, bool, error) {
	if c.Data != "" {
		r, err := inmem.LoadDir(c.Data)
		return r, false, err
	}
	set := demodata.Generate(demodata.Options{N: c.DemoCitizens, Seed: 1, Now: verifier.NewDate(time.Now().In(loc))})
	r, err := inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities)
	return r, true, err
}

// ledgerStore is the ledger as serve needs it.
type ledgerStore interface {
	verifier.Ledger
}

// openLedger connects the same-day window: Redis when -redis is set (an
// unreachable Redis is an error, never a silent fallback), else in-process.
func openLedger(ctx context.Context, c config) (ledgerStore, func(), error) {
	if c.Redis == "" {
		return inmem.NewLedger(), func() {}, nil
	}
	if c.PseudonymKey == "" {
		return nil, nil, errors.New("-redis needs -pseudonym-key (KIOSK_PSEUDONYM_KEY): citizen IDs in Redis keys are pseudonymised with it")
	}
	var client redis.UniversalClient
	if strings.Contains(c.Redis, "://") {
		opt, err := redis.ParseURL(c.Redis)
		if err != nil {
			return nil, nil, fmt.Errorf("-redis: %w", err)
		}
		client = redis.NewClient(opt)
	} else {
		client = redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(c.Redis, ",")})
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("-redis %s: cannot reach Redis: %w", maskURL(c.Redis), err)
	}
	l := redisledger.New(client, redisledger.Options{PseudonymKey: []byte(c.PseudonymKey)})
	return l, func() { client.Close() }, nil
}

// loadKeys reads the keys file, or makes demo keys for the first facility.
func loadKeys(c config, reg *inmem.Registry, log *slog.Logger) (*kiosk.Keys, map[kiosk.Role]string, error) {
	if c.Keys == "" {
		fac := "08001"
		if fs := reg.Facilities(); len(fs) > 0 {
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
	id := string(reg.CitizenAt(0).ID)
	fmt.Fprintf(w, "try:\n  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '{\"citizen_id\": \"%s\"}' %s/v1/checkins\n", tokens[kiosk.RoleKiosk], id, base)
	fmt.Fprintf(w, "  open %s/ in a browser for the kiosk page\n", base)
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
