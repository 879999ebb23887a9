package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/cmd/internal/syncbuf"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/outbox"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// These tests run kioskd as the operating system runs it: a binary built
// from this module, started as a process, stopped with SIGTERM, in front of
// a redis-server process of the test's own that it kills and restarts.

const procPseudonymKey = "process test pseudonym key"

var procFacilities = []string{"08001", "08002", "08101", "01001"}

func procToken(fac string) string { return "his-token-" + fac + "-0123456789" }

const procAuditor = "auditor-token-process-0123456789"

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// kioskdBinary builds cmd/kioskd once for the test run.
func kioskdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			// Not on PATH: the toolchain's own, as `go env GOROOT` names it
			// when GOROOT is set for the test.
			goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		if buildDir, buildErr = os.MkdirTemp("", "kioskd-build-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "kioskd")
		cmd := exec.Command(goBin, "build", "-o", buildBin, "./cmd/kioskd")
		cmd.Dir = moduleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// procData writes a data directory of n generated citizens and a keys
// file with one HIS key per facility and an auditor key; it returns their
// paths and the citizens' IDs.
func procData(t *testing.T, n int) (data, keys string, ids []verifier.CitizenID) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	if err := demodata.WriteDir(data, demodata.Options{N: n, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	reg, err := inmem.LoadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ids = append(ids, reg.CitizenAt(i).ID)
	}
	var ks []map[string]string
	for _, f := range procFacilities {
		ks = append(ks, map[string]string{"name": "his-" + f, "role": "his", "facility": f, "token": procToken(f)})
	}
	ks = append(ks, map[string]string{"name": "auditor", "role": "auditor", "token": procAuditor})
	b, _ := json.Marshal(ks)
	keys = filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keys, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return data, keys, ids
}

// proc is a running kioskd.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	stderr *syncbuf.Buffer
	exited chan struct{}
	err    error
}

// startProc starts kioskd with args and waits until it listens.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	return startProcEnv(t, nil, args...)
}

// startProcEnv is startProc with more environment variables.
func startProcEnv(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	args = append([]string{"-addr", "127.0.0.1:0", "-log-level", "debug"}, args...)
	cmd := exec.Command(kioskdBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KIOSK_") && !strings.HasPrefix(kv, "REDIS_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	p := &proc{t: t, cmd: cmd, stderr: &syncbuf.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (http://\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.base = <-listening:
	case <-p.exited:
		t.Fatalf("kioskd exited at start (%v):\n%s", p.err, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("kioskd did not start:\n%s", p.stderr.String())
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait()
}

func (p *proc) wait() {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("kioskd did not stop after SIGTERM:\n%s", p.stderr.String())
	}
	if p.err != nil {
		p.t.Errorf("kioskd exited with %v:\n%s", p.err, p.stderr.String())
	}
}

var procClient = &http.Client{Timeout: 10 * time.Second}

// checkin checks citizen id in at facility fac; err is a transport error
// (the process stopped listening).
func (p *proc) checkin(id verifier.CitizenID, fac string) (status int, body map[string]any, err error) {
	req, _ := http.NewRequest("POST", p.base+"/v1/checkins", strings.NewReader(fmt.Sprintf(`{"citizen_id": %q}`, string(id))))
	req.Header.Set("Authorization", "Bearer "+procToken(fac))
	req.Header.Set("Content-Type", "application/json")
	res, err := procClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	json.Unmarshal(b, &body)
	return res.StatusCode, body, nil
}

func (p *proc) get(path, token string) (int, []byte) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := procClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// procLedger reads the window that kioskd writes (default key prefix).
func procLedger(t *testing.T, srv *redistest.Server, db int) *redisledger.Ledger {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: db})
	t.Cleanup(func() { c.Close() })
	return redisledger.New(c, redisledger.Options{PseudonymKey: []byte(procPseudonymKey)})
}

// TestTwoProcessesShareOneRedis: two kioskd processes behind one Redis see
// each other's visits: a citizen checked in at facility A on the first and
// at facility B on the second is flagged on the second.
func TestTwoProcessesShareOneRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	data, keys, ids := procData(t, 50)
	// A generous timeout: this test is about sharing, not about a slow Redis.
	common := []string{"-data", data, "-keys", keys, "-redis", srv.URL(3), "-pseudonym-key", procPseudonymKey, "-redis-timeout", "3s"}
	p1 := startProc(t, append(common, "-outbox", t.TempDir())...)
	p2 := startProc(t, append(common, "-outbox", t.TempDir())...)

	status, first, err := p1.checkin(ids[0], "08001")
	if err != nil || status != 200 || first["dedupe"] != "ok" || get(first, "duplicate", "flagged") != false {
		t.Fatalf("check-in at 08001 on process 1: %d %v %v", status, first, err)
	}
	status, second, err := p2.checkin(ids[0], "08002")
	if err != nil || status != 200 {
		t.Fatalf("check-in at 08002 on process 2: %d %v %v", status, second, err)
	}
	others, _ := get(second, "duplicate", "others").([]any)
	if get(second, "duplicate", "flagged") != true || len(others) != 1 || get(others[0].(map[string]any), "facility") != "08001" {
		t.Fatalf("process 2 did not flag the visit made through process 1: %v", second)
	}
	day := get(second, "visit", "day").(string)
	status, b := p1.get("/v1/duplicates?from="+day+"&to="+day, procAuditor)
	var page struct {
		Items []struct {
			Visits []struct {
				CheckinID string `json:"checkin_id"`
			} `json:"visits"`
		} `json:"items"`
	}
	json.Unmarshal(b, &page)
	if status != 200 || len(page.Items) != 1 || len(page.Items[0].Visits) != 2 {
		t.Errorf("process 1's auditor view: %d %s", status, b)
	}
	t.Logf("two kioskd processes on one Redis (db 3): the check-in at 08002 on process 2 is flagged with the visit at 08001 made on process 1; the auditor sees the group on process 1")
	p1.stop()
	p2.stop()
}

// procAck is a check-in kioskd answered with 200.
type procAck struct {
	citizen   verifier.CitizenID
	facility  string
	checkinID string
	day       string
	dedupe    string
}

// TestSIGTERMDuringCheckins: kioskd is stopped with SIGTERM during a stream
// of check-ins, after Redis went down. Every check-in answered 200 is then
// either in the window or in the outbox file; started again with Redis back,
// kioskd replays the file and every one is in the window, with its
// duplicate group filed.
func TestSIGTERMDuringCheckins(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AppendOnly: true, AppendFsync: "always"})
	const db = 4
	n := 3000
	data, keys, ids := procData(t, n)
	obDir := t.TempDir()
	args := []string{"-data", data, "-keys", keys, "-redis", srv.URL(db), "-pseudonym-key", procPseudonymKey,
		"-outbox", obDir, "-redis-timeout", "150ms", "-shutdown-grace", "5s"}
	p := startProc(t, args...)

	// Citizen c has 1 + c%3 check-ins, each at another facility.
	var jobs [][2]int
	for c := range n {
		for k := range 1 + c%3 {
			jobs = append(jobs, [2]int{c, (c + k) % len(procFacilities)})
		}
	}
	var (
		mu      sync.Mutex
		acks    []procAck
		refused atomic.Int64
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fails := 0; fails < 3; {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				id, fac := ids[jobs[i][0]], procFacilities[jobs[i][1]]
				status, body, err := p.checkin(id, fac)
				if err != nil {
					fails++ // the process has stopped listening
					refused.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if status != 200 {
					t.Errorf("check-in: %d %v", status, body)
					return
				}
				mu.Lock()
				acks = append(acks, procAck{id, fac, body["checkin_id"].(string), get(body, "visit", "day").(string), body["dedupe"].(string)})
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	time.Sleep(400 * time.Millisecond)
	srv.Kill()
	// /readyz reports the degraded state once the breaker has opened.
	var ready []byte
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		status, b := p.get("/readyz", "")
		if status == 503 && strings.Contains(string(b), "visits queued in the outbox") {
			ready = b
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz with Redis down: %d %s", status, b)
		}
	}
	_, metrics := p.get("/metrics", "")
	for _, m := range []string{"kiosk_outbox_depth ", "kiosk_window_breaker_open 1", "kiosk_window_errors_total ", "kiosk_redis_roundtrip_seconds_bucket{cmd=\"evalsha\"", "kiosk_redis_errors_total{cmd="} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
	time.Sleep(300 * time.Millisecond)
	p.stop()
	wg.Wait()

	var ok, unavailable []procAck
	for _, a := range acks {
		if a.dedupe == verifier.DedupeOK {
			ok = append(ok, a)
		} else {
			unavailable = append(unavailable, a)
		}
	}
	recs, skipped, err := outbox.ReadDir(obDir)
	if err != nil {
		t.Fatal(err)
	}
	queued := map[string]bool{}
	for _, r := range recs {
		queued[r.Visit.CheckinID] = true
	}
	t.Logf("SIGTERM during the stream: %d check-ins answered 200 (%d with Redis up, %d queued), %d refused after the listener closed; outbox file holds %d visits (%d lines skipped)",
		len(acks), len(ok), len(unavailable), refused.Load(), len(recs), skipped)
	t.Logf("/readyz while Redis was down: %s", ready)
	if len(ok) == 0 || len(unavailable) == 0 {
		t.Fatalf("the stream did not cover both states (%d ok, %d unavailable)", len(ok), len(unavailable))
	}

	// Redis back (from its append-only file): what was acknowledged with
	// Redis up is there.
	srv.Restart()
	l := procLedger(t, srv, db)
	checkInWindow(t, l, ok)
	// What was answered without the window is in the file, unless it was
	// replayed before Redis went down (a call slower than the timeout).
	var notQueued []procAck
	for _, a := range unavailable {
		if !queued[a.checkinID] {
			notQueued = append(notQueued, a)
		}
	}
	checkInWindow(t, l, notQueued)

	// kioskd started again on the same outbox directory replays the file.
	p = startProc(t, args...)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		recs, _, err := outbox.ReadDir(obDir)
		if err == nil && len(recs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted kioskd did not replay its outbox: %d left (%v)", len(recs), err)
		}
	}
	if status, b := p.get("/readyz", ""); status != 200 {
		t.Errorf("/readyz after the replay: %d %s", status, b)
	}
	p.stop()
	checkInWindow(t, l, acks)
	groups := checkGroups(t, l, acks)
	if names, _ := filepath.Glob(filepath.Join(obDir, "*")); len(names) != 0 {
		t.Errorf("outbox files left after a clean stop with Redis up: %v", names)
	}
	t.Logf("after the restart: all %d acknowledged check-ins in the window, %d duplicate groups filed", len(acks), groups)
}

func checkInWindow(t *testing.T, l *redisledger.Ledger, acks []procAck) {
	t.Helper()
	missing := 0
	for _, a := range acks {
		vs, err := l.Visits(context.Background(), a.citizen, a.day)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(vs, func(v verifier.Visit) bool { return v.CheckinID == a.checkinID && v.Facility == a.facility }) {
			if missing++; missing <= 5 {
				t.Errorf("check-in %s (%s, dedupe %s) is not in the window", a.checkinID, a.facility, a.dedupe)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged check-ins missing from the window", missing, len(acks))
	}
}

// checkGroups checks that every citizen acknowledged at two facilities or
// more on a day has a duplicate group of exactly those visits.
func checkGroups(t *testing.T, l *redisledger.Ledger, acks []procAck) int {
	t.Helper()
	type cd struct {
		c   verifier.CitizenID
		day string
	}
	want := map[cd][]procAck{}
	for _, a := range acks {
		want[cd{a.citizen, a.day}] = append(want[cd{a.citizen, a.day}], a)
	}
	n := 0
	for k, as := range want {
		facs := map[string]bool{}
		var ids []string
		for _, a := range as {
			facs[a.facility] = true
			ids = append(ids, a.checkinID)
		}
		if len(facs) < 2 {
			continue
		}
		n++
		p, err := l.Duplicates(context.Background(), verifier.DuplicateQuery{From: k.day, To: k.day, Citizen: k.c})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range p.Items {
			for _, v := range g.Visits {
				got = append(got, v.CheckinID)
			}
		}
		slices.Sort(ids)
		slices.Sort(got)
		if !slices.Equal(got, ids) {
			t.Errorf("citizen at %d facilities: group %v, want %v", len(facs), got, ids)
		}
	}
	return n
}
