package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/registryhttp"
)

// registries are the population, insurance and facility registries the
// service asks: the data set in memory, or a remote registry.
type registries struct {
	population verifier.PopulationRegistry
	insurance  verifier.InsuranceRegistry
	facilities verifier.FacilityRegistry
	// staff is the card-checking staff register; nil without staff.jsonl
	// (and with a remote registry, which serves none).
	staff verifier.StaffRegistry
	// local is the in-memory data set, nil with a remote registry.
	local *inmem.Registry
	close func()
}

// openRegistries loads the data directory or generates the demo data set,
// or connects the remote registry of -registry.
func openRegistries(c config, loc *time.Location, log *slog.Logger, metrics *kiosk.Metrics) (*registries, error) {
	if c.Registry != "" {
		return openRemoteRegistry(c, log, metrics)
	}
	start := time.Now()
	var reg *inmem.Registry
	var err error
	if c.Data != "" {
		reg, err = inmem.LoadDir(c.Data)
	} else {
		set := demodata.Generate(demodata.Options{N: c.DemoCitizens, Seed: 1, Now: verifier.NewDate(time.Now().In(loc))})
		reg, err = inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities)
		if err == nil {
			err = reg.SetStaff(set.Staff)
		}
	}
	if err != nil {
		return nil, err
	}
	// Loading leaves the parsed or generated records behind as garbage,
	// several times the packed registry (about 0.8 GB for a million
	// citizens); the runtime would return it to the OS only minutes later.
	// Return it now, so that the resident size seen after start-up (and
	// what a container's memory limit meets) is the data set's own.
	debug.FreeOSMemory()
	nc, ncards, nf := reg.Counts()
	log.Info("data loaded", slog.Int("citizens", nc), slog.Int("cards", ncards), slog.Int("facilities", nf),
		slog.Bool("demo", c.Data == ""), slog.Duration("took", time.Since(start)))
	regs := &registries{population: reg, insurance: reg, facilities: reg, local: reg, close: func() {}}
	if reg.StaffCount() > 0 {
		regs.staff = reg
	}
	log.Info("staff register", slog.Int("staff", reg.StaffCount()))
	return regs, nil
}

// openRemoteRegistry connects -registry with timeouts, retries, a circuit
// breaker and a cache of recent answers, and reports its calls as metrics.
// It is not a readiness dependency: while it is down, check-ins go on with
// cached answers or "unknown" eligibility, so the instance stays in service.
func openRemoteRegistry(c config, log *slog.Logger, metrics *kiosk.Metrics) (*registries, error) {
	calls := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kiosk_registry_call_duration_seconds",
		Help:    "Remote registry calls by operation and outcome (ok, not_found, cached, unavailable, error).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"op", "outcome"})
	metrics.Registry().MustRegister(calls)
	cacheSize := c.RegistryCache
	if cacheSize == 0 {
		cacheSize = -1 // the flag's 0 is "no cache"; the option's 0 is "default"
	}
	rc, err := registryhttp.New(c.Registry, registryhttp.Options{
		Token: c.RegistryToken, Timeout: c.RegistryTimeout, CacheSize: cacheSize,
		Breaker: breaker.New(breaker.Options{Failures: 5, OpenFor: 5 * time.Second, OnChange: func(from, to breaker.State) {
			log.Warn("registry circuit breaker", slog.String("from", string(from)), slog.String("to", string(to)))
		}}),
		Observe: func(op, outcome string, d time.Duration) { calls.WithLabelValues(op, outcome).Observe(d.Seconds()) },
	})
	if err != nil {
		return nil, fmt.Errorf("-registry: %w", err)
	}
	log.Info("remote registry", slog.String("url", c.Registry), slog.Duration("timeout", c.RegistryTimeout), slog.Int("cache", c.RegistryCache))
	return &registries{population: rc, insurance: rc, facilities: rc, close: rc.Close}, nil
}

// servePprof serves the Go profiler on its own listener, so that it is
// never reachable through the API's address.
func servePprof(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server", slog.String("error", err.Error()))
		}
	}()
	log.Info("pprof listening", slog.String("addr", ln.Addr().String()))
	return func() { srv.Close() }, nil
}
