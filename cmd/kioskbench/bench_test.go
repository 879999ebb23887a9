package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/cmd/internal/syncbuf"
	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

const testCitizens = 2000

// TestMain lets the test binary stand in for kioskbench when -floor process
// starts "itself" (os.Executable is the test binary here): the tests' own
// process sets the variable, and a child that finds it set runs the
// command's main on its arguments instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("KIOSKBENCH_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Setenv("KIOSKBENCH_TEST_AS_MAIN", "1")
	os.Exit(m.Run())
}

// startKioskd builds the real server as kioskd wires it (demo data set,
// in-process window, a keys file written by -write-keys) and serves it on
// a loopback port. It returns the base URL and the keys file.
func startKioskd(t *testing.T) (string, string) {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	set := demodata.Generate(demodata.Options{N: testCitizens, Seed: 1, Now: verifier.NewDate(time.Now().In(loc))})
	reg, err := inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities)
	if err != nil {
		t.Fatal(err)
	}
	svc := &verifier.Service{
		Population: reg, Insurance: reg, Facilities: reg, Ledger: inmem.NewLedger(),
		Coverage: verifier.DefaultCoverageRules(), Location: loc,
	}
	svc.Defaults()

	keysFile := filepath.Join(t.TempDir(), "keys.json")
	var out bytes.Buffer
	if code, err := run(context.Background(), []string{"-write-keys", keysFile, "-demo-citizens", "2000"}, &out, &out); err != nil || code != 0 {
		t.Fatalf("-write-keys: %d %v\n%s", code, err, out.String())
	}
	b, err := os.ReadFile(keysFile)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kiosk.ParseKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(kiosk.New(kiosk.Config{Verifier: svc, Keys: keys}))
	t.Cleanup(ts.Close)
	return ts.URL, keysFile
}

func runJSON(t *testing.T, args ...string) (*output, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code, err := run(context.Background(), append([]string{"-json", "-q"}, args...), &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var o output
	if err := json.Unmarshal(stdout.Bytes(), &o); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	return &o, code
}

func TestAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("load run")
	}
	base, keysFile := startKioskd(t)
	o, code := runJSON(t, "-url", base, "-keys", keysFile, "-demo-citizens", "2000",
		"-d", "2s", "-c", "8", "-malformed", "0.1", "-frames", "2", "-seed", "42",
		"-mix", "checkin=70,repeat=10,dup=10,eligibility=5,image=5")
	r := o.Target
	if r == nil || o.Baseline != nil || o.Ratio != nil {
		t.Fatalf("want a target report only: %+v", o)
	}
	if r.Requests < 100 {
		t.Fatalf("only %d requests in 2 s", r.Requests)
	}
	// The counts add up: kinds to the total, statuses to the requests.
	var byKind, byStatus uint64
	for name, k := range r.Kinds {
		byKind += k.Requests
		var st uint64
		for _, n := range k.Status {
			st += n
		}
		if st != k.Requests || k.Latency.Count != k.Requests {
			t.Errorf("%s: %d requests, %d by status, %d latencies", name, k.Requests, st, k.Latency.Count)
		}
		if k.Latency.P50 > k.Latency.P90 || k.Latency.P90 > k.Latency.P99 || k.Latency.P99 > k.Latency.Max {
			t.Errorf("%s: percentiles out of order: %+v", name, k.Latency)
		}
	}
	for _, n := range r.Status {
		byStatus += n
	}
	if byKind != r.Requests || byStatus != r.Requests || r.Latency.Count != r.Requests {
		t.Errorf("%d requests, %d by kind, %d by status", r.Requests, byKind, byStatus)
	}
	for _, k := range kindNames {
		if r.Kinds[k] == nil {
			t.Errorf("no %s requests in the run", k)
		}
	}

	c := r.Checks
	if c == nil {
		t.Fatal("no checks in the target report")
	}
	if !c.Passed || code != 0 {
		t.Errorf("checks failed (exit %d): %+v\nstatus by kind: %v", code, c, kindsStatus(r))
	}
	if c.Status5xx != 0 || c.TransportErrors != 0 {
		t.Errorf("%d 5xx, %d transport errors %v", c.Status5xx, c.TransportErrors, r.Errors)
	}
	if c.MalformedTotal == 0 || c.MalformedRefused4xx != c.MalformedTotal {
		t.Errorf("malformed: %d of %d got a 4xx: %v", c.MalformedRefused4xx, c.MalformedTotal, r.Kinds["malformed"].Variants)
	}
	if c.ValidCheckinsTotal == 0 || r.Kinds["checkin"].Status["200"]+r.Kinds["repeat"].Status["200"]+r.Kinds["dup"].Status["200"] != c.ValidCheckinsTotal {
		t.Errorf("valid check-ins not all 200: %v", kindsStatus(r))
	}
	if c.DedupeUnavailable != 0 || c.RepeatsNotDetected != 0 || c.DupsNotFlagged != 0 || c.WrongDecodes != 0 {
		t.Errorf("the window missed: %+v", c)
	}
	if got := len(r.Kinds["malformed"].Variants); got < len(malformedVariants)/2 {
		t.Errorf("only %d kinds of malformed request sent", got)
	}
}

func kindsStatus(r *report) map[string]map[string]uint64 {
	m := map[string]map[string]uint64{}
	for k, kr := range r.Kinds {
		m[k] = kr.Status
	}
	return m
}

// Every malformed variant gets a 4xx from the real server.
func TestMalformedVariantsAre4xx(t *testing.T) {
	base, keysFile := startKioskd(t)
	o := options{Keys: keysFile, DemoCitizens: testCitizens, Pool: 500, Frames: 1, Seed: 3, Mix: defaultMix, Concurrency: 1, Timeout: 10 * time.Second}
	ds, err := loadDataset(o)
	if err != nil {
		t.Fatal(err)
	}
	tokens, _, err := loadTokens(o, ds)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(o, ds, tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.base, p.checkBodies = base, true
	g := newGenerator(ds, tokens, p.frames, p.mix, 1, 1, 0, 1, oversizedBody())
	seen := map[string]bool{}
	for i := 0; len(seen) < len(malformedVariants) && i < 2000; i++ {
		req := g.malformed()
		if seen[req.variant] {
			continue
		}
		seen[req.variant] = true
		out, _ := p.send(context.Background(), &req, nil)
		if out.status < 400 || out.status > 499 {
			t.Errorf("%s: status %d %s", req.variant, out.status, out.errKind)
		}
	}
	if len(seen) != len(malformedVariants) {
		t.Errorf("generated %d of %d variants", len(seen), len(malformedVariants))
	}
}

func TestBaselineAgainstRedis(t *testing.T) {
	const url = "redis://127.0.0.1:6379/15"
	o := options{Redis: url}
	rdb, err := openBaselineRedis(context.Background(), o)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required under CI=true: %v", err)
		}
		t.Skipf("no Redis on 127.0.0.1:6379: %v", err)
	}
	defer rdb.Close()

	// The handler: one round trip, a counter under the tool's own prefix
	// that expires by itself.
	h := &baselineHandler{rdb: rdb}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/checkins", strings.NewReader(`{"scan":"x"}`)))
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), `{"ok":true,"n":`) {
		t.Fatalf("baseline answer %d %s", rec.Code, rec.Body)
	}
	key := baselinePrefix + "1"
	if ttl := rdb.TTL(context.Background(), key).Val(); ttl <= 0 || ttl > baselineTTL*time.Second {
		t.Errorf("key %s has TTL %v, want ≤ %ds", key, ttl, baselineTTL)
	}

	// A short run through the command, with the floor in the load
	// generator's process and (the default) in a process of its own.
	for _, floor := range []string{floorInProcess, floorProcess} {
		out, code := runJSON(t, "-baseline", "-floor", floor, "-redis", url, "-d", "1s", "-c", "4", "-demo-citizens", "200", "-frames", "1")
		b := out.Baseline
		if code != 0 || b == nil || out.Target != nil {
			t.Fatalf("-floor %s: want a baseline report only (exit %d): %+v", floor, code, out)
		}
		if b.Requests < 50 || b.Status["200"] != b.Requests {
			t.Errorf("-floor %s: %d requests, status %v, errors %v", floor, b.Requests, b.Status, b.Errors)
		}
		if b.Checks != nil {
			t.Error("the baseline has no checks to pass")
		}
		// A separate floor is a separate process whose CPU is measured.
		separate := strings.Contains(b.URL, "a process of its own")
		if separate != (floor == floorProcess) || (floor == floorProcess) != (b.ServerCPUPerRequest > 0) {
			t.Errorf("-floor %s: URL %q, server CPU per request %v", floor, b.URL, b.ServerCPUPerRequest)
		}
		// Its keys are gone afterwards (the child deleted them on its way out).
		if n := rdb.Exists(context.Background(), key).Val(); n != 0 {
			t.Errorf("-floor %s: baseline key %s left behind", floor, key)
		}
	}
	if _, err := parseOptions([]string{"-floor", "elsewhere"}, io.Discard); err == nil {
		t.Error("-floor elsewhere accepted")
	}

	// The same baseline served as a separate listener (-serve-baseline),
	// loaded with -baseline-url and its CPU measured with -baseline-pid.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var served syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := run(ctx, []string{"-serve-baseline", "127.0.0.1:0", "-redis", url, "-d", "1m"}, &served, &served)
		done <- err
	}()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, rest, ok := strings.Cut(served.String(), "listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
		}
	}
	if base == "" {
		t.Fatalf("-serve-baseline did not start: %s", served.String())
	}
	out, code := runJSON(t, "-baseline", "-baseline-url", base, "-baseline-pid", strconv.Itoa(os.Getpid()),
		"-n", "200", "-c", "4", "-demo-citizens", "200", "-frames", "1")
	if b := out.Baseline; code != 0 || b == nil || b.Requests != 200 || b.Status["200"] != 200 || !strings.Contains(b.URL, base) {
		t.Errorf("external baseline: exit %d %+v", code, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("-serve-baseline: %v", err)
	}
}

func TestRefusesRemoteTargets(t *testing.T) {
	ctx := context.Background()
	for _, h := range []string{"127.0.0.1", "::1", "[::1]", "localhost", "127.8.9.10"} {
		if err := checkLoopback(ctx, h); err != nil {
			t.Errorf("%s refused: %v", h, err)
		}
	}
	for _, h := range []string{"10.0.0.1", "192.168.1.2", "8.8.8.8", "::ffff:10.0.0.1", ""} {
		if err := checkLoopback(ctx, h); err == nil {
			t.Errorf("%s accepted", h)
		}
	}
	var buf bytes.Buffer
	_, err := run(ctx, []string{"-url", "http://10.1.2.3:8080", "-token", "x", "-demo-citizens", "10", "-q"}, &buf, &buf)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("a remote -url: %v", err)
	}
	_, err = run(ctx, []string{"-baseline", "-redis", "redis://10.1.2.3:6379/15", "-demo-citizens", "10", "-q"}, &buf, &buf)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("a remote -redis: %v", err)
	}
}

func TestWriteKeysKeepsForeignFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	os.WriteFile(path, []byte(`[{"name":"desk-1","role":"kiosk","facility":"08001","token":"secret-secret-secret"}]`), 0o600)
	var buf bytes.Buffer
	if err := writeKeysFile(path, []string{"08001"}, &buf); err == nil {
		t.Fatal("overwrote a keys file kioskbench did not write")
	}
	os.Remove(path)
	if err := writeKeysFile(path, []string{"08001", "08002"}, &buf); err != nil {
		t.Fatal(err)
	}
	if err := writeKeysFile(path, []string{"08001", "08002"}, &buf); err != nil {
		t.Fatalf("rewriting its own file: %v", err)
	}
	b, _ := os.ReadFile(path)
	ks, err := kiosk.ParseKeys(b)
	if err != nil || ks.Plain != 3 {
		t.Fatalf("kioskd cannot read the file: %v", err)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h hist
	var vals []time.Duration
	for range 100000 {
		v := time.Duration(r.ExpFloat64() * float64(3*time.Millisecond))
		if r.IntN(100) == 0 {
			v *= 40
		}
		vals = append(vals, v)
		h.record(v)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		exact := vals[int(q*float64(len(vals))+0.999999)-1]
		got := h.quantile(q)
		if d := float64(got-exact) / float64(exact); d > 0.016 || d < -0.016 {
			t.Errorf("q%.3f = %v, exact %v (%.2f%%)", q, got, exact, 100*d)
		}
	}
	if h.max != vals[len(vals)-1] || h.min != vals[0] {
		t.Error("min/max not exact")
	}
	// Merging is adding.
	var a, b hist
	for i, v := range vals {
		if i%2 == 0 {
			a.record(v)
		} else {
			b.record(v)
		}
	}
	a.merge(&b)
	if a.counts != h.counts || a.n != h.n || a.max != h.max {
		t.Error("merged histogram differs")
	}
	for _, v := range []time.Duration{0, 1, 127, 128, 129, 255, 256, 1000, time.Second, 10 * time.Minute} {
		lo, w := bucketRange(bucketOf(v))
		if uint64(v) < lo || uint64(v) >= lo+w {
			t.Errorf("%d lands in [%d, %d)", v, lo, lo+w)
		}
	}
	if bucketOf(time.Hour) != histBuckets-1 {
		t.Error("an hour is not clamped to the last bucket")
	}
}

func TestParseMix(t *testing.T) {
	m, err := parseMix(defaultMix)
	if err != nil || m.total != 100 || mixString(m) != defaultMix {
		t.Fatalf("%v %+v %s", err, m, mixString(m))
	}
	for _, bad := range []string{"checkin", "checkin=-1", "bogus=3", "checkin=0", "malformed=5"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A target that answers 500 fails the checks and the exit code says so.
func TestFailingTargetExitsNonZero(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/v1/eligibility" {
			w.Write([]byte(`{}`))
			return
		}
		http.Error(w, `{"error":{}}`, 500)
	}))
	defer ts.Close()
	o, code := runJSON(t, "-url", ts.URL, "-token", "tok-tok-tok-tok-tok", "-demo-citizens", "50", "-n", "40", "-c", "2", "-frames", "1")
	if code != 1 || o.Target.Checks.Passed || o.Target.Checks.Status5xx == 0 || o.Target.Requests != 40 {
		t.Errorf("exit %d, checks %+v, %d requests", code, o.Target.Checks, o.Target.Requests)
	}
}

func TestProcCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	t0, err := procCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	t1, err := procCPU(os.Getpid())
	if err != nil || t1 < t0 {
		t.Fatalf("%v → %v, %v", t0, t1, err)
	}
}

func TestSoakOptionsAndDrift(t *testing.T) {
	o, err := parseOptions([]string{"-soak"}, io.Discard)
	if err != nil || o.Duration != 10*time.Minute || o.Interval != 10*time.Second {
		t.Errorf("-soak: %v %v %v", o.Duration, o.Interval, err)
	}
	o, err = parseOptions([]string{"-soak", "-d", "2m", "-interval", "5s"}, io.Discard)
	if err != nil || o.Duration != 2*time.Minute || o.Interval != 5*time.Second {
		t.Errorf("-soak -d 2m: %v %v %v", o.Duration, o.Interval, err)
	}
	var iv []intervalReport
	for i := range 60 {
		iv = append(iv, intervalReport{Throughput: 1000 - float64(i)*5, P99: 10 + float64(i)/10})
	}
	d := driftOf(iv)
	if d == nil || d.Intervals != 10 || d.FirstRPS != 977.5 || d.LastRPS != 727.5 || d.RPSChangePct != -25.6 || d.LastP99 <= d.FirstP99 {
		t.Errorf("drift %+v", d)
	}
	if driftOf(iv[:2]) != nil {
		t.Error("drift of two intervals")
	}
}

// New check-ins of all workers together visit every citizen of the pool
// once before any citizen comes again, whatever the pool size and the
// number of workers.
func TestWalkVisitsEveryCitizenOncePerLap(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{{1, 1}, {10, 3}, {97, 64}, {1000, 64}, {4096, 7}, {100000, 64}} {
		walks := make([]walk, tc.workers)
		for w := range walks {
			walks[w] = newWalk(tc.n, 42, w, tc.workers)
		}
		seen := make([]bool, tc.n)
		for i := range tc.n {
			c := walks[i%tc.workers].citizen()
			if c < 0 || c >= tc.n {
				t.Fatalf("n=%d workers=%d: citizen %d out of range", tc.n, tc.workers, c)
			}
			if seen[c] {
				t.Fatalf("n=%d workers=%d: citizen %d checked in twice within %d check-ins", tc.n, tc.workers, c, i+1)
			}
			seen[c] = true
		}
	}
}

func TestLayout(t *testing.T) {
	l, err := layoutFor(16)
	if err != nil || l != (layout{redis: "0", server: "1-6", load: "7-15"}) {
		t.Errorf("layoutFor(16) = %+v, %v; want Redis 0, server 1-6, load 7-15", l, err)
	}
	if _, err := layoutFor(2); err == nil {
		t.Error("layoutFor(2) accepted")
	}
	var out strings.Builder
	if code, err := run(context.Background(), []string{"-layout", "16"}, &out, io.Discard); err != nil || code != 0 ||
		!strings.Contains(out.String(), "taskset -c 1-6 bin/kioskd") || !strings.Contains(out.String(), "-baseline -floor-cpus 1-6") ||
		!strings.Contains(out.String(), "-redis-stats") {
		t.Errorf("-layout 16: %d, %v:\n%s", code, err, out.String())
	}
	for _, bad := range []string{"x", "1-", "1,,2"} {
		if _, err := parseOptions([]string{"-floor-cpus", bad}, io.Discard); err == nil {
			t.Errorf("-floor-cpus %q accepted", bad)
		}
	}
}

// The floor's process pinned with -floor-cpus runs there (CPU 0 exists
// everywhere).
func TestFloorCPUs(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("no taskset")
	}
	const url = "redis://127.0.0.1:6379/15"
	if _, err := openBaselineRedis(context.Background(), options{Redis: url}); err != nil {
		t.Skipf("no Redis on 127.0.0.1:6379: %v", err)
	}
	out, code := runJSON(t, "-baseline", "-floor-cpus", "0", "-redis", url, "-d", "1s", "-c", "2", "-demo-citizens", "200", "-frames", "1")
	if code != 0 || out.Baseline == nil || out.Baseline.Requests == 0 || out.Baseline.ServerCPUPerRequest <= 0 {
		t.Fatalf("-floor-cpus 0: exit %d, %+v", code, out.Baseline)
	}
}

// -redis-stats reports what the run cost Redis, from INFO before and
// after: on a Redis of its own, the floor's requests are its only EVALSHA
// calls, one each.
func TestRedisStats(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	url := "redis://127.0.0.1:" + strconv.Itoa(srv.Port) + "/0"
	out, code := runJSON(t, "-baseline", "-floor", floorInProcess, "-redis-stats", "-redis", url, "-d", "1s", "-c", "4", "-demo-citizens", "200", "-frames", "1")
	b := out.Baseline
	if code != 0 || b == nil || b.Requests == 0 {
		t.Fatalf("exit %d, %+v", code, b)
	}
	rs := b.Redis
	if rs == nil {
		t.Fatalf("no Redis figures; notes %q", b.Notes)
	}
	if rs.EvalshaPerReq != 1 || rs.UsecPerEvalsha <= 0 || rs.CPUPerRequest <= 0 || !rs.MainThread ||
		math.Abs(rs.Ceiling-1e6/rs.CPUPerRequest) > 0.01*rs.Ceiling {
		t.Errorf("Redis figures %+v over %d requests", rs, b.Requests)
	}
	// Without the flag, none.
	out, _ = runJSON(t, "-baseline", "-floor", floorInProcess, "-redis", url, "-n", "20", "-c", "2", "-demo-citizens", "200", "-frames", "1")
	if out.Baseline == nil || out.Baseline.Redis != nil {
		t.Errorf("Redis figures without -redis-stats: %+v", out.Baseline)
	}
	// A Redis that cannot be reached is a note, not a failed run.
	srv.Kill()
	r := &report{Requests: 10}
	m := startRedisMeter(context.Background(), options{Redis: url})
	m.stop(context.Background(), r)
	if r.Redis != nil || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "-redis-stats") {
		t.Errorf("unreachable Redis: %+v, notes %q", r.Redis, r.Notes)
	}
}

func TestParseRedisInfo(t *testing.T) {
	v7 := "# CPU\r\nused_cpu_sys:3.000000\r\nused_cpu_user:5.500000\r\nused_cpu_sys_main_thread:2.000000\r\n" +
		"used_cpu_user_main_thread:4.250000\r\n\r\n# Commandstats\r\ncmdstat_get:calls=5,usec=9,usec_per_call=1.80\r\n" +
		"cmdstat_evalsha:calls=1000,usec=12345,usec_per_call=12.35,rejected_calls=0,failed_calls=0\r\n"
	s, err := parseRedisInfo(v7)
	if err != nil || s.mainCPU != 6250*time.Millisecond || !s.mainThreadOK || s.evalsha != 1000 || s.evalshaUsec != 12345 {
		t.Errorf("Redis 7: %+v, %v", s, err)
	}
	// Before 6.2, the whole process; no EVALSHA yet is zero.
	s, err = parseRedisInfo("used_cpu_sys:1.5\nused_cpu_user:2.5\n")
	if err != nil || s.mainCPU != 4*time.Second || s.mainThreadOK || s.evalsha != 0 {
		t.Errorf("Redis 6.0: %+v, %v", s, err)
	}
	for _, bad := range []string{"", "used_cpu_sys:x\nused_cpu_user:1\n", "used_cpu_user:1\n"} {
		if _, err := parseRedisInfo(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// Per request, from two readings.
	before := redisSample{mainCPU: time.Second, evalsha: 100, evalshaUsec: 1000, mainThreadOK: true}
	after := redisSample{mainCPU: time.Second + 20*time.Millisecond, evalsha: 2100, evalshaUsec: 31000, mainThreadOK: true}
	r := &report{Requests: 2000}
	before.fill(after, r)
	if want := (redisReport{CPUPerRequest: 10, Ceiling: 100000, EvalshaPerReq: 1, UsecPerEvalsha: 15, MainThread: true}); r.Redis == nil || *r.Redis != want {
		t.Errorf("fill: %+v, want %+v", r.Redis, want)
	}
}
