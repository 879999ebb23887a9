package inmem

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (l *Ledger) citizenCount() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].citizens)
		l.shards[i].mu.Unlock()
	}
	return n
}

// TestLedgerForgets checks that expired windows and groups are dropped from
// memory, not only hidden.
func TestLedgerForgets(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC) // 08:00 local
	clock := &fakeClock{now: start}
	l := NewLedger(WithLedgerClock(clock.Now), WithLedgerRetention(30*24*time.Hour), WithLedgerShards(4))
	rec := func(n int, fac string, at time.Time) verifier.Recorded {
		t.Helper()
		r := ledgertest.NewRecording(fmt.Sprint(n, fac, at.Unix()), ledgertest.Citizen(n), fac, at)
		got, err := l.Record(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for n := range 100 {
		rec(n, "08001", start)
	}
	rec(1, "01002", start.Add(time.Hour))
	if got := l.citizenCount(); got != 100 {
		t.Fatalf("%d citizens held, want 100", got)
	}
	// The window of 2026-03-10 expires at the end of the day + 72 h.
	// Shards are swept as check-ins reach them: 100 new citizens reach all 4.
	clock.Advance(4*24*time.Hour + ledgerSweepEvery)
	for n := 500; n < 600; n++ {
		rec(n, "08001", clock.Now())
	}
	if got := l.citizenCount(); got != 101 {
		t.Errorf("after the windows expired: %d citizens held, want 101 (the flagged one and the new ones)", got)
	}
	if vs, _ := l.Visits(ctx, ledgertest.Citizen(2), "2026-03-10"); len(vs) != 0 {
		t.Errorf("expired window still visible: %v", vs)
	}
	if vs, _ := l.Visits(ctx, ledgertest.Citizen(1), "2026-03-10"); len(vs) != 2 {
		t.Errorf("visits of the flagged day: %d, want 2 (kept in the group)", len(vs))
	}
	p, _ := l.Duplicates(ctx, verifier.DuplicateQuery{})
	if len(p.Items) != 1 {
		t.Fatalf("groups: %d, want 1", len(p.Items))
	}
	// The group goes with the retention.
	clock.Advance(31 * 24 * time.Hour)
	for n := 600; n < 700; n++ {
		rec(n, "08001", clock.Now())
	}
	if p, _ := l.Duplicates(ctx, verifier.DuplicateQuery{}); len(p.Items) != 0 {
		t.Errorf("groups after the retention: %d", len(p.Items))
	}
	l.groups.mu.Lock()
	days := len(l.groups.days)
	l.groups.mu.Unlock()
	if days != 0 {
		t.Errorf("group index holds %d days after the retention", days)
	}
	if got := l.citizenCount(); got != 100 {
		t.Errorf("after the retention: %d citizens held, want 100", got)
	}
}
