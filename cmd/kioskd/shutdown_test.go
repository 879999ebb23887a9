package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// TestSIGTERMWithRedisDownExitsWithinGrace: kioskd with the window in
// Redis, Redis killed while desks check in and a hospital system reads
// (visits go to the outbox, access-log entries wait for Redis), then
// SIGTERM: the process exits, cleanly, within its grace period (one budget
// for draining requests, writing the access log and closing the outbox,
// not one per step).
func TestSIGTERMWithRedisDownExitsWithinGrace(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	const grace = 2 * time.Second
	data, keys, ids := procData(t, 50)
	p := startProc(t, "-data", data, "-keys", keys, "-redis", srv.URL(5), "-pseudonym-key", procPseudonymKey,
		"-outbox", t.TempDir(), "-redis-timeout", "150ms", "-shutdown-grace", grace.String())
	if status, body, err := p.checkin(ids[0], procFacilities[0]); err != nil || status != 200 {
		t.Fatalf("check-in with Redis up: %d %v %v", status, body, err)
	}
	srv.Kill()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			p.checkin(ids[1+i], procFacilities[i%len(procFacilities)])
			p.get("/v1/citizens/"+string(ids[0])+"/visits", procToken(procFacilities[0]))
		})
	}
	wg.Wait()
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace + 3*time.Second):
		p.cmd.Process.Signal(syscall.SIGQUIT)
		<-p.exited
		t.Fatalf("kioskd still running %s after SIGTERM with Redis down (grace %s):\n%s", time.Since(began), grace, p.stderr.String())
	}
	t.Logf("exited %s after SIGTERM with Redis down (grace %s)", time.Since(began).Round(time.Millisecond), grace)
	if p.err != nil {
		t.Errorf("kioskd exited with %v:\n%s", p.err, p.stderr.String())
	}
}

// The real binary with a bad value in a flag or in its environment
// variable exits 1 at once with a message naming it; a misspelt KIOSK_
// variable is warned about in the log.
func TestBadSettingStopsTheStart(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"-demo-citizens", "10abc"}, "", `kioskd: -demo-citizens: "10abc" is not a whole number`},
		{nil, "KIOSK_DEMO_CITIZENS=10abc", `kioskd: KIOSK_DEMO_CITIZENS: "10abc" is not a whole number`},
		{nil, "KIOSK_LOG_LEVEL=verbose", `kioskd: KIOSK_LOG_LEVEL: "verbose" is not a log level`},
		{[]string{"-shutdown-grace", "15"}, "", `kioskd: -shutdown-grace: "15" is not a positive duration`},
	} {
		cmd := exec.Command(kioskdBinary(t), append([]string{"-addr", "127.0.0.1:0"}, tc.args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		if tc.env != "" {
			cmd.Env = append(cmd.Env, tc.env)
		}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), tc.want) {
			t.Errorf("%v %s: %v\n%s", tc.args, tc.env, err, out)
		}
	}
	p := startProcEnv(t, []string{"KIOSK_LOGLEVEL=debug"}, "-demo-citizens", "5")
	p.stop()
	if !strings.Contains(p.stderr.String(), "KIOSK_LOGLEVEL is not a kioskd setting") {
		t.Errorf("no warning about KIOSK_LOGLEVEL:\n%s", p.stderr.String())
	}
}
