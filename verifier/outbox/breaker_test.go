package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// gated is flaky with one check-in held until released: a call admitted
// while the store was well that answers only after it went down.
type gated struct {
	*flaky
	id      string
	entered chan struct{}
	release chan struct{}
}

func (g *gated) Record(ctx context.Context, r verifier.Recording) (verifier.Recorded, error) {
	if r.Visit.CheckinID == g.id {
		close(g.entered)
		<-g.release
		return g.flaky.Ledger.Record(ctx, r)
	}
	return g.flaky.Record(ctx, r)
}

// A call admitted before the breaker opened and succeeding after must not
// close it: the store failed every call since.
func TestLateSuccessKeepsBreakerOpen(t *testing.T) {
	inner := &gated{flaky: &flaky{Ledger: inmem.NewLedger()}, entered: make(chan struct{}), release: make(chan struct{})}
	o := fastOpts(t.TempDir())
	o.Timeout = time.Minute // the slow call answers in time
	o.OpenFor = time.Hour   // no probe during the test
	l := open(t, inner, o)
	ctx := context.Background()
	slow := rec(0, 0, "08001", 8)
	inner.id = slow.Visit.CheckinID
	done := make(chan error, 1)
	go func() {
		_, err := l.Record(ctx, slow)
		done <- err
	}()
	<-inner.entered
	inner.down.Store(true)
	for i := 1; l.BreakerState() == breaker.Closed; i++ {
		if i > 10 {
			t.Fatal("the breaker did not open")
		}
		l.Record(ctx, rec(i, i, "08001", 8))
	}
	close(inner.release)
	if err := <-done; err != nil {
		t.Fatalf("the slow Record: %v", err)
	}
	if s := l.BreakerState(); s != breaker.Open {
		t.Errorf("breaker %s after a late success, want open", s)
	}
}
