// Command registryd is a stand-in for the national population database and
// the insurer's card registry: it serves the data files of the contract
// (or the generated demo data set) over the HTTP API that
// verifier/registryhttp's Client speaks, and can be told to misbehave like
// the real systems (latency, 503s, requests that never answer) for tests
// and drills. Flags are read here only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/vnhealth/cccd-checkin/cmd/internal/httpserve"
	"github.com/vnhealth/cccd-checkin/cmd/internal/secret"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/registryserver"
)

func main() {
	ctx, stop := httpserve.SignalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the usage text is printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "registryd:", err)
		os.Exit(1)
	}
}

// config is the effective configuration.
type config struct {
	Addr          string
	Data          string
	DemoCitizens  int
	Server        registryserver.Options
	ShutdownGrace time.Duration
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("registryd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", ":8090", "listen address")
	fs.StringVar(&c.Data, "data", "", "data directory of population.jsonl, insurance.jsonl, facilities.jsonl (default: demo data generated in memory)")
	fs.IntVar(&c.DemoCitizens, "demo-citizens", 10000, "size of the generated demo population when -data is not given")
	fs.DurationVar(&c.Server.Latency, "latency", 0, "fixed delay added to every answer, e.g. 50ms")
	fs.DurationVar(&c.Server.Jitter, "jitter", 0, "further uniform random delay in [0, jitter)")
	fs.Float64Var(&c.Server.ErrorRate, "error-rate", 0, "share of requests answered 503 (0-1)")
	fs.Float64Var(&c.Server.HangRate, "hang-rate", 0, "share of requests never answered until the client gives up (0-1)")
	fs.Uint64Var(&c.Server.Seed, "seed", 0, "seed of the fault draws (0: random)")
	fs.StringVar(&c.Server.Token, "token", "", "shared secret clients must send as 'Authorization: Bearer TOKEN' (default: none)")
	tokenFile := fs.String("token-file", "", "file holding -token, so that it is not on the command line")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 5*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *tokenFile != "" {
		if c.Server.Token != "" {
			return c, errors.New("-token and -token-file both given: give one")
		}
		var err error
		if c.Server.Token, err = secret.ReadFile(*tokenFile); err != nil {
			return c, fmt.Errorf("-token-file: %w", err)
		}
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.DemoCitizens < 1:
		return c, errors.New("-demo-citizens must be a positive number")
	case c.Server.Latency < 0 || c.Server.Jitter < 0 || c.ShutdownGrace <= 0:
		return c, errors.New("-latency and -jitter must not be negative, -shutdown-grace must be positive")
	case !share(c.Server.ErrorRate) || !share(c.Server.HangRate) || c.Server.ErrorRate+c.Server.HangRate > 1:
		return c, errors.New("-error-rate and -hang-rate are shares between 0 and 1, and together at most 1")
	}
	return c, nil
}

func share(x float64) bool { return x >= 0 && x <= 1 }

// String describes the configuration for the start-up log, token masked.
func (c config) String() string {
	tok := "(none)"
	if c.Server.Token != "" {
		tok = "(set)"
	}
	return fmt.Sprintf("addr=%s data=%q latency=%s jitter=%s error_rate=%g hang_rate=%g token=%s",
		c.Addr, c.Data, c.Server.Latency, c.Server.Jitter, c.Server.ErrorRate, c.Server.HangRate, tok)
}

// run is the whole program, with its inputs injected so that tests can
// start the real server in-process. It returns nil after a graceful
// shutdown when ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	log.Info("starting", slog.String("config", c.String()))

	start := time.Now()
	reg, err := loadRegistry(c)
	if err != nil {
		return err
	}
	nc, ncards, nf := reg.Counts()
	log.Info("data loaded", slog.Int("citizens", nc), slog.Int("cards", ncards), slog.Int("facilities", nf),
		slog.Bool("demo", c.Data == ""), slog.Duration("took", time.Since(start)))

	c.Server.Logger = log // the faults it injects
	srv, err := httpserve.Listen(c.Addr, &http.Server{
		Handler:           registryserver.New(reg, c.Server),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registryd listening on %s\n", srv.URL())
	serveErr := srv.Serve(ctx)
	log.Info("shutting down", slog.Duration("grace", c.ShutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); errors.Is(err, httpserve.ErrCut) {
		// Hanging requests (-hang-rate) outlive any grace: a stand-in's
		// normal stop, not a failure.
		log.Warn("requests cut at the end of the grace period")
	} else if err != nil {
		return errors.Join(serveErr, err)
	}
	if serveErr != nil {
		return serveErr
	}
	log.Info("stopped")
	return nil
}

// loadRegistry loads the data directory, or generates the demo data set
// (the same one kioskd generates).
func loadRegistry(c config) (*inmem.Registry, error) {
	if c.Data != "" {
		return inmem.LoadDir(c.Data)
	}
	set := demodata.Generate(demodata.Options{N: c.DemoCitizens, Seed: 1, Now: demodata.Today()})
	return inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities)
}
