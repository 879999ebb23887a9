package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The baseline is the floor of the machine: an HTTP handler that reads the
// request, does exactly one Redis round trip (an EVALSHA of a tiny script,
// as the service's Redis window does one script per check-in) and answers
// a small JSON object. The service's figures divided by the baseline's are
// comparable across machines.

const (
	baselinePrefix = "kioskbench:floor:"
	baselineKeys   = 64 // spread over a few keys, like per-citizen keys
	baselineTTL    = 3600
)

// baselineScript increments a counter that expires by itself: nothing of
// the tool's outlives an hour, and nothing else is touched.
var baselineScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`)

// baselineHandler is the trivial service.
type baselineHandler struct {
	rdb  *redis.Client
	next atomic.Uint64
}

func (h *baselineHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 16<<20)); err != nil {
		http.Error(w, `{"error":{"code":"body","message":"unreadable body"}}`, http.StatusBadRequest)
		return
	}
	key := baselinePrefix + strconv.FormatUint(h.next.Add(1)%baselineKeys, 10)
	n, err := baselineScript.EvalSha(r.Context(), h.rdb, []string{key}, baselineTTL).Int64()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		n, err = baselineScript.Eval(r.Context(), h.rdb, []string{key}, baselineTTL).Int64()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":"redis_unavailable","message":"redis"}}`)
		return
	}
	io.WriteString(w, `{"ok":true,"n":`+strconv.FormatInt(n, 10)+"}\n")
}

// openBaselineRedis connects the baseline's Redis with the client options
// kioskd gets from the same kind of URL (go-redis defaults: a pool of ten
// connections per CPU), loads the script and checks it runs.
func openBaselineRedis(ctx context.Context, o options) (*redis.Client, error) {
	opt, err := baselineRedisOptions(ctx, o)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("baseline: cannot reach Redis at %s: %w", opt.Addr, err)
	}
	if err := baselineScript.Load(pctx, rdb).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("baseline: loading the script: %w", err)
	}
	return rdb, nil
}

// baselineRedisOptions parses -redis and refuses a Redis that is not on a
// loopback address unless -allow-remote.
func baselineRedisOptions(ctx context.Context, o options) (*redis.Options, error) {
	opt, err := redis.ParseURL(o.Redis)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	if !o.AllowRemote {
		host, _, err := net.SplitHostPort(opt.Addr)
		if err != nil {
			return nil, fmt.Errorf("-redis %s: %w", o.Redis, err)
		}
		if err := checkLoopback(ctx, host); err != nil {
			return nil, fmt.Errorf("-redis: %w", err)
		}
	}
	return opt, nil
}

// cleanBaseline deletes the tool's own keys (they would expire anyway).
func cleanBaseline(rdb *redis.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	keys := make([]string, baselineKeys)
	for i := range keys {
		keys[i] = baselinePrefix + strconv.Itoa(i)
	}
	rdb.Del(ctx, keys...)
}

// startBaseline serves the baseline handler on addr with the same
// server timeouts as kioskd; stop shuts it down.
func startBaseline(rdb *redis.Client, addr string) (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{
		Handler:           &baselineHandler{rdb: rdb},
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err
		}
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// Where the floor runs (-floor). By default it is a process of its own, as
// kioskd is: the two then differ only in their handlers. In the load
// generator's own process it shares one Go scheduler with the client, and
// the loopback round trip costs less than between two processes; that
// floor measured about 30% above the separate one on this 2-core machine,
// which says nothing about the service.
const (
	floorProcess   = "process"
	floorInProcess = "inprocess"
)

// runBaseline measures the floor with the same load shape as the target.
func runBaseline(ctx context.Context, o options, ds *dataset, stderr io.Writer) (*report, error) {
	var base, what string
	if o.BaselineURL == "" && o.Floor == floorProcess {
		url, pid, stop, err := spawnBaseline(ctx, o)
		if err != nil {
			return nil, err
		}
		defer stop()
		o.BaselineURL, o.BaselinePID = url, pid
	}
	if o.BaselineURL != "" {
		// A baseline served by another kioskbench process (-serve-baseline),
		// so that its CPU per request (-baseline-pid) compares with kioskd's.
		u := o
		u.URL = o.BaselineURL
		b, err := targetBase(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("-baseline-url: %w", err)
		}
		base, what = b, " (kioskbench -serve-baseline, a process of its own)"
	} else {
		rdb, err := openBaselineRedis(ctx, o)
		if err != nil {
			return nil, err
		}
		defer rdb.Close()
		defer cleanBaseline(rdb)
		b, stop, err := startBaseline(rdb, "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer stop()
		base, what = b, " (in-process: one EVALSHA on "+redactRedis(o.Redis)+" per request)"
	}
	// The same tokens as the target when there are some (the same header
	// sizes); otherwise made-up ones, one per facility.
	tokens, _, err := loadTokens(o, ds)
	if err != nil {
		tokens = nil
		for _, f := range ds.facilities {
			tokens = append(tokens, facilityToken{facility: f, auth: "Bearer " + keyPrefix + f + "-baseline000000000000000000"})
		}
	}
	p, err := newPlan(o, ds, tokens, stderr)
	if err != nil {
		return nil, err
	}
	p.name, p.base = "baseline", base
	r := p.measure(ctx, o, o.BaselinePID)
	r.URL = base + what
	return r, nil
}

// spawnBaseline starts this program again as a -serve-baseline process on
// a free loopback port and returns its URL and process ID; stop interrupts
// it (it then deletes its keys) and waits for it.
func spawnBaseline(ctx context.Context, o options) (url string, pid int, stop func(), err error) {
	if _, err := baselineRedisOptions(ctx, o); err != nil {
		return "", 0, nil, err // said here, not as a child's exit
	}
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, fmt.Errorf("-floor %s: %w", floorProcess, err)
	}
	args := []string{"-serve-baseline", "127.0.0.1:0", "-redis", o.Redis, "-d", "24h"}
	if o.AllowRemote {
		args = append(args, "-allow-remote")
	}
	cmd := exec.Command(exe, args...)
	if o.FloorCPUs != "" {
		// taskset sets the affinity and execs the program: same PID.
		ts, err := exec.LookPath("taskset")
		if err != nil {
			return "", 0, nil, fmt.Errorf("-floor-cpus: %w", err)
		}
		cmd = exec.Command(ts, append([]string{"-c", o.FloorCPUs, exe}, args...)...)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("-floor %s: %w", floorProcess, err)
	}
	waited := make(chan error, 1)
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out)
		waited <- cmd.Wait()
	}()
	select {
	case line := <-lines:
		if _, rest, ok := strings.Cut(line, "listening on "); ok {
			url, _, _ = strings.Cut(rest, " ")
			return url, cmd.Process.Pid, stop, nil
		}
		stop()
		return "", 0, nil, fmt.Errorf("the baseline process did not start: %s", strings.TrimSpace(errOut.String()))
	case <-time.After(15 * time.Second):
	case <-ctx.Done():
	}
	stop()
	return "", 0, nil, errors.New("the baseline process did not start in time")
}

// serveBaseline serves the baseline handler on addr (loopback only) until
// interrupted or for at most d, for a baseline measured as a separate
// process (-baseline-url, -baseline-pid).
func serveBaseline(ctx context.Context, o options, stdout io.Writer) error {
	host, _, err := net.SplitHostPort(o.ServeBaseline)
	if err != nil {
		return fmt.Errorf("-serve-baseline: %w", err)
	}
	if !o.AllowRemote {
		if host == "" {
			return errors.New("-serve-baseline: give a loopback address such as 127.0.0.1:18090")
		}
		if err := checkLoopback(ctx, host); err != nil {
			return fmt.Errorf("-serve-baseline: %w", err)
		}
	}
	rdb, err := openBaselineRedis(ctx, o)
	if err != nil {
		return err
	}
	defer rdb.Close()
	defer cleanBaseline(rdb)
	base, stop, err := startBaseline(rdb, o.ServeBaseline)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "kioskbench baseline listening on %s (one EVALSHA on %s per request) for at most %s\n", base, redactRedis(o.Redis), o.Duration)
	select {
	case <-ctx.Done():
	case <-time.After(o.Duration):
	}
	return nil
}

// redactRedis hides a password in a Redis URL.
func redactRedis(u string) string {
	opt, err := redis.ParseURL(u)
	if err != nil {
		return "redis"
	}
	return fmt.Sprintf("redis://%s/%d", opt.Addr, opt.DB)
}
