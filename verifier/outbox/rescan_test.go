package outbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// TestRescanWhileRedisDown: re-scans while Redis is down are answered
// with check-in IDs that still resolve once the outbox is replayed: a
// re-scan of a visit Redis has is queued and merged into that visit by the
// replay (its ID then answers that visit); a re-scan of a visit still queued
// is recognised from the outbox (answered with the queued visit's ID,
// repeat, nothing more queued).
func TestRescanWhileRedisDown(t *testing.T) {
	const n, m = 20, 10 // citizens seen before the outage, citizens first seen during it
	e := newCheckinEnv(t, n+m)
	ob := e.outbox()
	svc := e.service(ob)
	ctx := context.Background()
	checkin := func(i int) verifier.CheckinResult {
		t.Helper()
		c := e.reg.CitizenAt(i)
		res, err := svc.Checkin(ctx, verifier.CheckinRequest{Presented: verifier.Presented{Source: verifier.SourceManual, CitizenID: c.ID}, Facility: "08001"})
		if err != nil {
			t.Fatalf("check-in of citizen %d: %v", i, err)
		}
		return res
	}
	first := make([]verifier.CheckinResult, n+m)
	for i := range n {
		first[i] = checkin(i)
		if first[i].Dedupe != verifier.DedupeOK {
			t.Fatalf("live check-in: dedupe %s", first[i].Dedupe)
		}
	}
	e.srv.Kill()
	rescan := make([]verifier.CheckinResult, n+m)
	for i := range n + m {
		if i >= n {
			first[i] = checkin(i) // a first visit, queued
		}
		rescan[i] = checkin(i)
		again := checkin(i)
		if rescan[i].Dedupe != verifier.DedupeUnavailable || again.Dedupe != verifier.DedupeUnavailable {
			t.Fatalf("re-scans while Redis is down: dedupe %s, %s", rescan[i].Dedupe, again.Dedupe)
		}
		queuedFirst := i >= n
		switch {
		case queuedFirst && (!rescan[i].Repeat || rescan[i].CheckinID != first[i].CheckinID):
			t.Errorf("citizen %d: re-scan of a queued visit answered %s (repeat %v), want the queued %s", i, rescan[i].CheckinID, rescan[i].Repeat, first[i].CheckinID)
		case !queuedFirst && (rescan[i].Repeat || rescan[i].CheckinID == first[i].CheckinID):
			t.Errorf("citizen %d: re-scan of a visit in Redis answered %s (repeat %v): the outbox cannot know that visit", i, rescan[i].CheckinID, rescan[i].Repeat)
		}
		if !again.Repeat || again.CheckinID != rescan[i].CheckinID {
			t.Errorf("citizen %d: second re-scan answered %s (repeat %v), want the queued %s", i, again.CheckinID, again.Repeat, rescan[i].CheckinID)
		}
		// While Redis is down the ID answers the queued visit.
		if v, err := svc.CheckinVisit(ctx, rescan[i].CheckinID); err != nil || v.CheckinID != rescan[i].CheckinID {
			t.Errorf("citizen %d: GET of the queued re-scan %s while Redis is down: %+v, %v", i, rescan[i].CheckinID, v, err)
		}
	}
	if d := ob.Depth(); d != n+m {
		t.Errorf("%d visits queued, want %d (one per citizen: the repeats of a queued visit are not queued)", d, n+m)
	}
	e.srv.Restart()
	for deadline := time.Now().Add(15 * time.Second); ob.Depth() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %d left", ob.Depth())
		}
	}
	// Every ID answered resolves, read straight from Redis through the
	// outbox (nothing queued any more), to the visit it belongs to.
	resolved, absent := 0, 0
	for i := range n + m {
		want := first[i].CheckinID
		for _, id := range []string{first[i].CheckinID, rescan[i].CheckinID} {
			v, err := svc.CheckinVisit(ctx, id)
			if err != nil || v.CheckinID != want || v.Ticket < 1 {
				t.Errorf("citizen %d: GET %s after the replay: %+v, %v; want visit %s with its ticket", i, id, v, err, want)
				continue
			}
			if id == rescan[i].CheckinID && (i < n || id != first[i].CheckinID) {
				resolved++ // a re-scan's own ID
			}
		}
		_, vs, err := svc.Visits(ctx, e.reg.CitizenAt(i).ID, "")
		if err != nil || len(vs) != 1 {
			t.Errorf("citizen %d: %d visits after the replay (%v), want 1", i, len(vs), err)
		}
		if !slices.ContainsFunc(vs, func(v verifier.Visit) bool { return v.CheckinID == rescan[i].CheckinID }) {
			absent++ // merged: findable by its ID only
		}
	}
	t.Logf("re-scans while Redis was down (2 per citizen, %d citizens seen before the outage, %d first seen during it): %d re-scans answered with an ID of their own, all absent from the day's visits after the replay (merged), %d of them resolving by GET /v1/checkins/{id}; %d re-scans recognised from the outbox (answered with the queued visit's ID); %d visits queued (stats %+v)",
		n, m, n, resolved, ob.Stats().Repeats, ob.Stats().Queued, ob.Stats())
	if absent != n || resolved != n {
		t.Errorf("%d re-scan IDs merged, %d resolving; want %d and %d", absent, resolved, n, n)
	}
}
