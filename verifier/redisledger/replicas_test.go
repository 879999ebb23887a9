package redisledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// With MinReplicas on one Redis and its replica: a visit is confirmed
// while the replica is linked; cut off, Record fails (KindUnavailable,
// no Recorded: no ticket handed out); the same recording replayed once the
// replica is back is confirmed, its earlier writes included.
func TestMinReplicasSingle(t *testing.T) {
	p := redistest.Start(t, redistest.Options{})
	r := redistest.StartReplica(t, p, redistest.Options{AppendOnly: true})
	l := New(p.Client(0), Options{PseudonymKey: []byte("k"), MinReplicas: 1, WaitTimeout: 500 * time.Millisecond})
	ctx := context.Background()
	a := ledgertest.NewRecording("mr-a", ledgertest.Citizen(1), "08001", today().Add(8*time.Hour))
	if got, err := l.Record(ctx, a); err != nil || got.Visit.Ticket != 1 {
		t.Fatalf("Record with the replica linked: %+v, %v", got, err)
	}
	if none, err := New(p.Client(0), Options{PseudonymKey: []byte("k"), MinReplicas: 2, WaitTimeout: 50 * time.Millisecond}).Record(ctx, a); verifier.AsError(err).Code != "replicas_unconfirmed" || none.Visit.CheckinID != "" {
		t.Errorf("Record needing 2 replicas of 1: %+v, %v; want replicas_unconfirmed and no visit", none, err)
	}
	if err := l.Ping(ctx); err != nil {
		t.Errorf("Ping with the replica linked: %v", err)
	}
	r.Kill()
	for deadline := time.Now().Add(10 * time.Second); verifier.AsError(l.Ping(ctx)).Code != "replicas_missing"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Ping with the replica killed: %v, want replicas_missing", l.Ping(ctx))
		}
	}
	b := ledgertest.NewRecording("mr-b", ledgertest.Citizen(2), "08001", today().Add(9*time.Hour))
	got, err := l.Record(ctx, b)
	if verifier.KindOf(err) != verifier.KindUnavailable || verifier.AsError(err).Code != "replicas_unconfirmed" || got.Visit.CheckinID != "" || got.Visit.Ticket != 0 {
		t.Fatalf("Record with the replica cut off: %+v, %v; want replicas_unconfirmed and no visit", got, err)
	}
	// A replay while it is still cut off: the primary has the visit (a
	// repeat, nothing new written) and WAIT still refuses.
	if _, err := l.Record(ctx, b); verifier.AsError(err).Code != "replicas_unconfirmed" {
		t.Fatalf("replay with the replica cut off: %v", err)
	}
	r.Restart()
	r.WaitLinked()
	if err := l.Ping(ctx); err != nil {
		t.Errorf("Ping with the replica back: %v", err)
	}
	got, err = l.Record(ctx, b)
	if err != nil || got.Visit.CheckinID != "mr-b" || got.Visit.Ticket != 2 {
		t.Fatalf("replay with the replica back: %+v, %v", got, err)
	}
	// The replica has it.
	rl := New(r.Client(0), Options{PseudonymKey: []byte("k")})
	if v, err := rl.Checkin(ctx, "mr-b"); err != nil || v.Ticket != 2 {
		t.Errorf("the replica's copy of the replayed visit: %+v, %v", v, err)
	}
}

// On a Cluster, WAIT goes to the node that owns each written key's slot:
// with one primary's replica cut off, exactly the check-ins that write a
// key in that primary's slots are unconfirmed.
func TestMinReplicasCluster(t *testing.T) {
	nodes := redistest.StartClusterWithReplicas(t, 3)
	var addrs []string
	var cut redistest.ClusterNode
	for _, n := range nodes {
		addrs = append(addrs, n.Addr())
		if n.Primary != nil {
			cut = n
		}
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	l := New(c, Options{KeyPrefix: "mr:", PseudonymKey: []byte("k"), MinReplicas: 1, WaitTimeout: 500 * time.Millisecond})
	ctx := context.Background()
	const n = 24
	recs := make([]verifier.Recording, n)
	for i := range n {
		recs[i] = ledgertest.NewRecording(fmt.Sprintf("mrc-%02d", i), ledgertest.Citizen(100+i), fmt.Sprintf("08%03d", i%4), today().Add(8*time.Hour))
	}
	for _, r := range recs[:4] {
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatalf("Record with every replica linked: %v", err)
		}
	}
	if err := l.Ping(ctx); err != nil {
		t.Errorf("Ping with every replica linked: %v", err)
	}
	cut.Kill()
	for deadline := time.Now().Add(10 * time.Second); verifier.AsError(l.Ping(ctx)).Code != "replicas_missing"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Ping with a replica killed: %v, want replicas_missing", l.Ping(ctx))
		}
	}
	onCut := func(key string) bool {
		m, err := c.MasterForKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return m.Options().Addr == cut.Primary.Addr()
	}
	touched, untouched := 0, 0
	for _, r := range recs[4:] {
		v := r.Visit
		ps := l.pseudonym(v.CitizenID)
		want := onCut(l.windowKey(ps, v.Day)) || onCut(l.ticketKey(v.Facility, v.Day)) || onCut(l.checkinKey(v.CheckinID))
		_, err := l.Record(ctx, r)
		switch {
		case want && verifier.AsError(err).Code != "replicas_unconfirmed":
			t.Errorf("%s writes on the primary whose replica is cut off: %v, want replicas_unconfirmed", v.CheckinID, err)
		case !want && err != nil:
			t.Errorf("%s writes only on primaries with their replica: %v", v.CheckinID, err)
		}
		if want {
			touched++
		} else {
			untouched++
		}
	}
	t.Logf("with one replica cut off: %d check-ins unconfirmed (a key on its primary), %d confirmed", touched, untouched)
	if touched == 0 || untouched == 0 {
		t.Errorf("the test needs check-ins on both sides: %d and %d", touched, untouched)
	}
}
