package main

import (
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
