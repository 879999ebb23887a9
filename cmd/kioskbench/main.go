// Command kioskbench drives a running kioskd over HTTP with a realistic mix
// of requests (scanner-text check-ins of the demo citizens across many
// facilities, re-scans, same-day visits at another facility, eligibility
// queries, camera-frame decodes, and optionally malformed requests) and
// reports throughput, latency percentiles per kind of request, status codes
// and errors. It can also measure the floor of the machine: the same load
// against a trivial handler that does one Redis round trip per request,
// served by a process of its own as kioskd is (-baseline, or -compare for
// both and their ratio; see -floor).
//
// Reproducing the README figures:
//
//	go run ./cmd/kioskbench -write-keys /tmp/bench-keys.json -demo-citizens 1000000
//	go run ./cmd/kioskd -addr 127.0.0.1:8080 -keys /tmp/bench-keys.json -demo-citizens 1000000 \
//	    -redis redis://127.0.0.1:6379/13 -pseudonym-key bench -outbox /tmp/outbox &
//	go run ./cmd/kioskbench -keys /tmp/bench-keys.json -demo-citizens 1000000 -pool 1000000 \
//	    -compare -d 20s -mix checkin=85,repeat=10,dup=5
//
// On a many-core machine, pin Redis, kioskd with the floor, and the load to
// cores of their own: kioskbench -layout 16 prints the commands.
//
// Only loopback targets are accepted unless -allow-remote is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kioskbench:", err)
		}
		os.Exit(2)
	}
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	URL           string
	Token         string
	Keys          string
	WriteKeys     string
	Data          string
	DemoCitizens  int
	Pool          int
	Concurrency   int
	Rate          float64
	Duration      time.Duration
	Requests      int64
	Mix           string
	Malformed     float64
	JSON          bool
	Baseline      bool
	Compare       bool
	Redis         string
	AllowRemote   bool
	Interval      time.Duration
	Timeout       time.Duration
	Seed          uint64
	Frames        int
	Quiet         bool
	PID           int
	Soak          bool
	BaselineURL   string
	Floor         string
	BaselinePID   int
	ServeBaseline string
	Layout        int
	FloorCPUs     string
	RedisStats    bool
}

const defaultMix = "checkin=80,repeat=10,dup=3,eligibility=5,image=2"

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("kioskbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "base URL of the kioskd under test (loopback only unless -allow-remote)")
	fs.StringVar(&o.Token, "token", "", "one kiosk or HIS token (all requests then act for that token's facility)")
	fs.StringVar(&o.Keys, "keys", "", "keys file with clear kiosk/HIS tokens, one or more per facility (see -write-keys)")
	fs.StringVar(&o.WriteKeys, "write-keys", "", "write a keys file with one kiosk token per facility of the data set (and an auditor), for kioskd -keys, then exit")
	fs.StringVar(&o.Data, "data", "", "data directory the server was started with (default: the demo data set, see -demo-citizens)")
	fs.IntVar(&o.DemoCitizens, "demo-citizens", 10000, "size of the server's generated demo data set (as kioskd -demo-citizens)")
	fs.IntVar(&o.Pool, "pool", 100000, "at most this many citizens of the data set are used (evenly spread)")
	fs.IntVar(&o.Concurrency, "c", 64, "concurrent connections (closed loop); with -rate, the bound on requests in flight")
	fs.Float64Var(&o.Rate, "rate", 0, "open loop: send this many requests per second, latency counted from the intended send time (0: closed loop)")
	fs.DurationVar(&o.Duration, "d", 30*time.Second, "how long to send requests")
	fs.Int64Var(&o.Requests, "n", 0, "send this many requests instead of running for -d")
	fs.StringVar(&o.Mix, "mix", defaultMix, "request mix, kind=weight: checkin (scan text, new visit), repeat (re-scan at the same facility), dup (same citizen at another facility), eligibility, image (POST /v1/decode of a 640x480 JPEG frame)")
	fs.Float64Var(&o.Malformed, "malformed", 0, "share of malformed requests mixed in, 0..1 (bad JSON, wrong types, garbage scans, oversized bodies…); they must get 4xx")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&o.Baseline, "baseline", false, "measure only the floor: the same load against a trivial handler doing one Redis round trip per request (see -floor)")
	fs.BoolVar(&o.Compare, "compare", false, "run the baseline, then the target, and report both and their ratio")
	fs.StringVar(&o.Redis, "redis", "redis://127.0.0.1:6379/15", "Redis of the baseline (keys under kioskbench:, expiring; nothing is flushed)")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a target or Redis that is not on a loopback address")
	fs.DurationVar(&o.Interval, "interval", 10*time.Second, "print throughput and p99 of each interval of this length on stderr (0: never), to watch drift in a soak")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of the request mix (0: from the clock)")
	fs.IntVar(&o.Frames, "frames", 4, "number of distinct camera frames pre-rendered for image requests")
	fs.BoolVar(&o.Quiet, "q", false, "no progress lines")
	fs.StringVar(&o.ServeBaseline, "serve-baseline", "", "serve the baseline handler on this address (e.g. 127.0.0.1:18090) until interrupted or for -d, instead of sending load")
	fs.StringVar(&o.BaselineURL, "baseline-url", "", "with -baseline or -compare: load a baseline already served by kioskbench -serve-baseline")
	fs.StringVar(&o.Floor, "floor", floorProcess, "where the baseline runs: process (a kioskbench -serve-baseline child, a server process of its own as kioskd is) or inprocess (inside the load generator)")
	fs.IntVar(&o.Layout, "layout", 0, "print the commands of a run on a machine of this many cores (Redis, kioskd with the floor, and the load each pinned to cores of their own with taskset) and exit")
	fs.StringVar(&o.FloorCPUs, "floor-cpus", "", "with -floor process: pin the floor's process to these CPUs (taskset -c list, e.g. 1-6: kioskd's)")
	fs.BoolVar(&o.RedisStats, "redis-stats", false, "report what each run cost the Redis of -redis (main-thread CPU and EVALSHA per request, from INFO before and after): for the target, give -redis as kioskd's Redis, and nothing else should use that Redis during the run")
	fs.IntVar(&o.BaselinePID, "baseline-pid", 0, "process ID of the -serve-baseline process: report its CPU time per request")
	fs.BoolVar(&o.Soak, "soak", false, "a soak run: 10 minutes unless -d is given, a line every 10 s, and the drift between the first and last minute in the report")
	fs.IntVar(&o.PID, "pid", 0, "process ID of the server under test: report its CPU time per request (Linux /proc)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kioskbench [flags]\n\n"+
			"  kioskbench -write-keys keys.json          # then: kioskd -keys keys.json\n"+
			"  kioskbench -keys keys.json -compare       # baseline, target, ratio\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.Soak {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["d"] && !set["n"] {
			o.Duration = 10 * time.Minute
		}
		if !set["interval"] || o.Interval <= 0 {
			o.Interval = 10 * time.Second
		}
	}
	switch {
	case o.Concurrency < 1:
		return o, errors.New("-c must be at least 1")
	case o.Rate < 0:
		return o, errors.New("-rate must not be negative")
	case o.Requests < 0:
		return o, errors.New("-n must not be negative")
	case o.Requests == 0 && o.Duration <= 0:
		return o, errors.New("-d must be positive (or give -n)")
	case o.Malformed < 0 || o.Malformed > 1:
		return o, errors.New("-malformed is a share between 0 and 1 (0.1 for 10%)")
	case o.Floor != floorProcess && o.Floor != floorInProcess:
		return o, fmt.Errorf("-floor is %s or %s", floorProcess, floorInProcess)
	case o.FloorCPUs != "" && !cpuList.MatchString(o.FloorCPUs):
		return o, fmt.Errorf("-floor-cpus %q: a CPU list such as 1-6 or 0,2,4", o.FloorCPUs)
	case o.Baseline && o.Compare:
		return o, errors.New("-baseline and -compare exclude each other")
	case o.Token != "" && o.Keys != "":
		return o, errors.New("give -token or -keys, not both")
	case o.Frames < 1:
		return o, errors.New("-frames must be at least 1")
	case o.Pool < 1:
		return o, errors.New("-pool must be at least 1")
	case o.DemoCitizens < 1:
		return o, errors.New("-demo-citizens must be at least 1")
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	return o, nil
}

// run is the whole program; it returns the exit code: 0, or 1 when the
// target failed a check (a 5xx, a lost valid check-in, a malformed request
// not refused with a 4xx).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return 2, err
	}
	if o.Layout != 0 {
		return 0, writeLayout(stdout, o.Layout)
	}
	if o.ServeBaseline != "" {
		return 0, serveBaseline(ctx, o, stdout)
	}
	ds, err := loadDataset(o)
	if err != nil {
		return 2, err
	}
	if o.WriteKeys != "" {
		return 0, writeKeysFile(o.WriteKeys, ds.facilities, stdout)
	}

	var reports []*report
	if o.Baseline || o.Compare {
		r, err := runBaseline(ctx, o, ds, stderr)
		if err != nil {
			return 2, err
		}
		reports = append(reports, r)
	}
	if !o.Baseline {
		r, err := runTarget(ctx, o, ds, stderr)
		if err != nil {
			return 2, err
		}
		reports = append(reports, r)
	}
	out := newOutput(reports)
	if o.JSON {
		err = out.writeJSON(stdout)
	} else {
		err = out.writeText(stdout)
	}
	if err != nil {
		return 2, err
	}
	if out.Target != nil && !out.Target.Checks.Passed {
		return 1, nil
	}
	return 0, nil
}
