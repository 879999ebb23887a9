package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// kioskd with -redis-min-replicas 1 on a primary with one replica: a
// check-in is answered as recorded (with its ticket) while the replica
// confirms; with the replica cut off it is answered as queued, without a
// ticket, and its ID resolves from the outbox; once the replica is back the
// outbox replays it and the ID resolves with its ticket.
func TestMinReplicasEndToEnd(t *testing.T) {
	p := redistest.Start(t, redistest.Options{})
	r := redistest.StartReplica(t, p, redistest.Options{AppendOnly: true})
	base, logs, _ := startServer(t, "-redis", p.URL(0), "-pseudonym-key", "k", "-outbox", t.TempDir(),
		"-redis-min-replicas", "1", "-redis-timeout", "1s")
	checkin := func(id string) map[string]any {
		t.Helper()
		res := postJSON(t, base+"/v1/checkins", kioskToken, `{"citizen_id":"`+id+`"}`)
		if res.status != http.StatusOK {
			t.Fatalf("check-in: %d %s\n%s", res.status, res.body, logs.String())
		}
		return res.json(t)
	}
	first := checkin("008095001234")
	if get(first, "dedupe") != "ok" || get(first, "visit", "ticket") != 1.0 {
		t.Fatalf("check-in with the replica linked: %v", first)
	}
	r.Kill()
	queued := checkin("008188004321")
	if get(queued, "dedupe") != "unavailable" || get(queued, "visit", "ticket") != nil {
		t.Fatalf("check-in with the replica cut off: %v; want dedupe unavailable and no ticket", queued)
	}
	id, _ := get(queued, "checkin_id").(string)
	v := do(t, http.MethodGet, base+"/v1/checkins/"+id, kioskToken, "", nil)
	if v.status != http.StatusOK || get(v.json(t), "checkin_id") != id {
		t.Fatalf("GET of the queued check-in: %d %s", v.status, v.body)
	}
	r.Restart()
	r.WaitLinked()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		v = do(t, http.MethodGet, base+"/v1/checkins/"+id, kioskToken, "", nil)
		if v.status == http.StatusOK && get(v.json(t), "ticket") == 2.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued check-in was not confirmed after the replica came back: %d %s", v.status, v.body)
		}
	}
}
