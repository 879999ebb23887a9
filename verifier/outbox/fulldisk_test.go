package outbox_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// smallDisk mounts a tmpfs of size bytes on a new directory, or skips the
// test where mounting is not allowed (not root). TestFullDiskNotQueued
// covers the same path everywhere with a failing writer.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the full-disk path is covered by TestFullDiskNotQueued", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestFullDiskTmpfs: Redis is down and the outbox lives on a 64 KiB tmpfs
// that fills after a few hundred visits. Every check-in answered 200 is
// in the window once Redis is back; the others are answered not_recorded.
func TestFullDiskTmpfs(t *testing.T) {
	const n = 2000
	e := newCheckinEnv(t, n)
	e.dir = smallDisk(t, "64k")
	ob := e.outbox()
	svc := e.service(ob)
	e.srv.Kill()
	var acks []ack
	notRecorded, other := 0, 0
	for i := range n {
		c := e.reg.CitizenAt(i)
		res, err := svc.Checkin(context.Background(), verifier.CheckinRequest{
			Presented: verifier.Presented{Source: verifier.SourceManual, CitizenID: c.ID}, Facility: facilities[i%len(facilities)],
		})
		switch {
		case err == nil:
			acks = append(acks, ack{citizen: c.ID, facility: facilities[i%len(facilities)], checkinID: res.CheckinID, day: res.Visit.Day, dedupe: res.Dedupe})
		case verifier.AsError(err).Code == verifier.CodeNotRecorded:
			notRecorded++
		default:
			other++
			t.Errorf("check-in %d: %v", i, err)
		}
	}
	if err := ob.Ping(context.Background()); verifier.AsError(err).Code != "outbox_unavailable" {
		t.Errorf("Ping with the outbox's disk full: %v, want outbox_unavailable", err)
	}
	e.srv.Restart()
	for deadline := time.Now().Add(20 * time.Second); ob.Depth() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %d left", ob.Depth())
		}
	}
	e.verify(acks) // every acknowledged visit is in the window
	st := ob.Stats()
	t.Logf("64 KiB outbox, Redis down, %d check-ins: %d answered 200 (queued, all in the window after the replay), %d answered 503 not_recorded, %d other errors; outbox stats %+v",
		n, len(acks), notRecorded, other, st)
	if notRecorded == 0 || len(acks) == 0 {
		t.Errorf("the disk never filled (or nothing was queued): %d acknowledged, %d not recorded", len(acks), notRecorded)
	}
	if int(st.Lost) != notRecorded {
		t.Errorf("outbox counted %d lost, the service answered %d not recorded", st.Lost, notRecorded)
	}
}
