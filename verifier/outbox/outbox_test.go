package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/outbox"
)

// flaky is a real in-process ledger behind a switch that makes it down
// (every call fails at once, as a refused connection does) or slow (every
// call waits for its context to end, as a hung Redis does). It stands for
// the store under the outbox, which is what these tests are about.
type flaky struct {
	verifier.Ledger
	down, slow atomic.Bool
	calls      atomic.Int64
	// partial: Record stores the visit and then fails, as redisledger does
	// when only its index step fails.
	partial atomic.Bool
}

func (f *flaky) fail(ctx context.Context) error {
	f.calls.Add(1)
	if f.slow.Load() {
		<-ctx.Done()
		return verifier.Wrap(ctx.Err(), verifier.KindUnavailable, "ledger_unavailable", "slow")
	}
	if f.down.Load() {
		return verifier.Errorf(verifier.KindUnavailable, "ledger_unavailable", "down")
	}
	return nil
}

func (f *flaky) Record(ctx context.Context, r verifier.Recording) (verifier.Recorded, error) {
	if err := f.fail(ctx); err != nil {
		return verifier.Recorded{}, err
	}
	got, err := f.Ledger.Record(ctx, r)
	if err == nil && f.partial.Load() {
		return got, verifier.Errorf(verifier.KindUnavailable, "ledger_unavailable", "index step failed")
	}
	return got, err
}

func (f *flaky) Visits(ctx context.Context, id verifier.CitizenID, day string) ([]verifier.Visit, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	return f.Ledger.Visits(ctx, id, day)
}

func (f *flaky) Duplicates(ctx context.Context, q verifier.DuplicateQuery) (verifier.DuplicatePage, error) {
	if err := f.fail(ctx); err != nil {
		return verifier.DuplicatePage{}, err
	}
	return f.Ledger.Duplicates(ctx, q)
}

func (f *flaky) Ping(ctx context.Context) error {
	if err := f.fail(ctx); err != nil {
		return err
	}
	return f.Ledger.Ping(ctx)
}

// fastOpts are options that make the breaker and replay quick for tests.
func fastOpts(dir string) outbox.Options {
	return outbox.Options{Dir: dir, Timeout: 50 * time.Millisecond, OpenFor: 100 * time.Millisecond, ReplayEvery: 10 * time.Millisecond, Failures: 3}
}

func open(t *testing.T, inner verifier.Ledger, o outbox.Options) *outbox.Ledger {
	t.Helper()
	l, err := outbox.New(inner, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(context.Background()) })
	return l
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func today() time.Time {
	now := time.Now().In(ledgertest.Zone)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, ledgertest.Zone)
}

func rec(n int, citizen int, fac string, hh int) verifier.Recording {
	return ledgertest.NewRecording(fmt.Sprintf("ck%04d", n), ledgertest.Citizen(citizen), fac, today().Add(time.Duration(hh)*time.Hour))
}

// TestConformance: the outbox in front of a healthy ledger is a ledger like
// any other.
func TestConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) verifier.Ledger {
		return open(t, inmem.NewLedger(), outbox.Options{Dir: t.TempDir()})
	})
}

func TestQueuedWhileDownThenReplayed(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	l := open(t, inner, fastOpts(t.TempDir()))
	ctx := context.Background()

	a := rec(1, 1, "08001", 8)
	if _, err := l.Record(ctx, a); err != nil {
		t.Fatalf("healthy Record: %v", err)
	}
	inner.down.Store(true)
	b := rec(2, 1, "01002", 9) // a second facility: a group once replayed
	c := rec(3, 2, "08001", 9)
	for _, r := range []verifier.Recording{b, c} {
		_, err := l.Record(ctx, r)
		if verifier.KindOf(err) != verifier.KindUnavailable {
			t.Fatalf("Record while down = %v, want KindUnavailable", err)
		}
	}
	if d := l.Depth(); d != 2 {
		t.Fatalf("Depth = %d, want 2", d)
	}
	if recs, _, _ := outbox.ReadDir(filepath.Dir(l.Path())); len(recs) != 2 || recs[0].Visit.CheckinID != "ck0002" {
		t.Fatalf("outbox file holds %d recordings", len(recs))
	}
	if _, err := l.Visits(ctx, ledgertest.Citizen(1), a.Visit.Day); verifier.KindOf(err) != verifier.KindUnavailable {
		t.Errorf("Visits while down = %v, want KindUnavailable", err)
	}

	inner.down.Store(false)
	waitFor(t, "the replay", func() bool { return l.Depth() == 0 })
	vs, err := l.Visits(ctx, ledgertest.Citizen(1), a.Visit.Day)
	if err != nil || len(vs) != 2 || vs[1].CheckinID != "ck0002" {
		t.Fatalf("Visits after replay = %v, %v", vs, err)
	}
	p, err := l.Duplicates(ctx, verifier.DuplicateQuery{})
	if err != nil || len(p.Items) != 1 || len(p.Items[0].Visits) != 2 {
		t.Fatalf("Duplicates after replay = %+v, %v: the replayed visit must raise its flag", p, err)
	}
	if s := l.Stats(); s.Queued != 2 || s.Replayed != 2 {
		t.Errorf("stats %+v, want 2 queued and 2 replayed", s)
	}
	if fi, err := os.Stat(l.Path()); err != nil || fi.Size() != 0 {
		t.Errorf("outbox file after the replay: %v, %v; want empty", fi, err)
	}
}

func TestBreakerFailsFastAndPingReportsDegraded(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	o := fastOpts(t.TempDir())
	o.Timeout = 100 * time.Millisecond
	o.OpenFor = time.Hour // no probe during the test
	l := open(t, inner, o)
	ctx := context.Background()
	inner.slow.Store(true)
	// Each call waits at most the timeout; the background replay of the
	// queued ones counts its failures too, so the breaker opens after at
	// most 3 check-ins.
	for i := range 3 {
		start := time.Now()
		l.Record(ctx, rec(i, i, "08001", 8))
		t.Logf("Record %d against a hung store returned after %s (timeout 100ms)", i, time.Since(start))
	}
	if s := l.BreakerState(); s != breaker.Open {
		t.Fatalf("breaker %s after 3 timeouts, want open", s)
	}
	calls := inner.calls.Load()
	for i := 3; i < 100; i++ {
		if _, err := l.Record(ctx, rec(i, i, "08001", 8)); verifier.KindOf(err) != verifier.KindUnavailable {
			t.Fatalf("Record = %v", err)
		}
	}
	if n := inner.calls.Load() - calls; n != 0 {
		t.Errorf("the open breaker let %d calls through", n)
	}
	if d := l.Depth(); d != 100 {
		t.Errorf("Depth %d, want 100", d)
	}
	err := l.Ping(ctx)
	if verifier.KindOf(err) != verifier.KindUnavailable || !strings.Contains(verifier.AsError(err).Message, "100 visits queued in the outbox") {
		t.Errorf("Ping = %v, want the degraded state with the queue depth", err)
	}
	if _, err := l.Duplicates(ctx, verifier.DuplicateQuery{}); verifier.KindOf(err) != verifier.KindUnavailable {
		t.Errorf("Duplicates with the breaker open = %v", err)
	}
}

func TestRecoveryAfterProbe(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	l := open(t, inner, fastOpts(t.TempDir()))
	ctx := context.Background()
	inner.down.Store(true)
	for i := range 10 {
		l.Record(ctx, rec(i, 1, fmt.Sprintf("0800%d", i%3), 8+i))
	}
	waitFor(t, "the breaker to open", func() bool { return l.BreakerState() != breaker.Closed })
	inner.down.Store(false)
	waitFor(t, "the replay", func() bool { return l.Depth() == 0 })
	if err := l.Ping(ctx); err != nil {
		t.Errorf("Ping after recovery: %v", err)
	}
	vs, _ := l.Visits(ctx, ledgertest.Citizen(1), ledgertest.Day(today()))
	if len(vs) != 10 {
		t.Errorf("%d visits after the replay, want 10", len(vs))
	}
	for i, v := range vs { // replayed in order: the tickets follow the queue
		if want := fmt.Sprintf("ck%04d", i); v.CheckinID != want {
			t.Errorf("visit %d is %s, want %s", i, v.CheckinID, want)
		}
	}
}

func TestQueuedVisitsMergedIntoVisitsAndOthers(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	o := fastOpts(t.TempDir())
	o.ReplayEvery = time.Hour // only the Record path replays
	l := open(t, inner, o)
	ctx := context.Background()
	inner.down.Store(true)
	a := rec(1, 1, "08001", 8)
	l.Record(ctx, a)
	inner.down.Store(false)
	// The queued visit is shown with the window's.
	b := rec(2, 2, "08001", 8)
	if _, err := l.Record(ctx, b); err != nil {
		t.Fatal(err)
	}
	vs, err := l.Visits(ctx, ledgertest.Citizen(1), a.Visit.Day)
	if err != nil || len(vs) != 1 || vs[0].CheckinID != "ck0001" {
		t.Fatalf("Visits with a queued visit = %v, %v", vs, err)
	}
	// A check-in of the same citizen and day replays it first, so the
	// desk sees the flag.
	c := rec(3, 1, "01002", 10)
	got, err := l.Record(ctx, c)
	if err != nil || len(got.Others) != 1 || got.Others[0].CheckinID != "ck0001" {
		t.Fatalf("Record after a queued visit of the same day = %+v, %v; want it in Others", got, err)
	}
	if d := l.Depth(); d != 0 {
		t.Errorf("Depth %d, want 0", d)
	}
}

func TestPartialFailureQueuedAndHealed(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	l := open(t, inner, fastOpts(t.TempDir()))
	ctx := context.Background()
	inner.partial.Store(true)
	got, err := l.Record(ctx, rec(1, 1, "08001", 8))
	if verifier.KindOf(err) != verifier.KindUnavailable || got.Visit.CheckinID != "ck0001" {
		t.Fatalf("partial Record = %+v, %v; want the Recorded and an unavailable error", got, err)
	}
	inner.partial.Store(false)
	waitFor(t, "the replay", func() bool { return l.Depth() == 0 })
	vs, _ := l.Visits(ctx, ledgertest.Citizen(1), ledgertest.Day(today()))
	if len(vs) != 1 {
		t.Errorf("%d visits, want 1: the replay of a stored visit is idempotent", len(vs))
	}
}

func TestInvalidRecordingNotQueued(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	l := open(t, inner, fastOpts(t.TempDir()))
	inner.down.Store(true)
	r := rec(1, 1, "08001", 8)
	r.Visit.Day = "yesterday"
	if _, err := l.Record(context.Background(), r); verifier.KindOf(err) != verifier.KindInternal {
		t.Errorf("invalid Record = %v, want KindInternal", err)
	}
	if l.Depth() != 0 {
		t.Error("an invalid recording was queued")
	}
}

// TestRestartKeepsQueue: a Close while the store is down keeps the file; the
// next Ledger on the directory adopts and replays it, skipping a torn last
// line and a corrupt one.
func TestRestartKeepsQueue(t *testing.T) {
	dir := t.TempDir()
	inner := &flaky{Ledger: inmem.NewLedger()}
	inner.down.Store(true)
	l, err := outbox.New(inner, fastOpts(dir))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		l.Record(context.Background(), rec(i, i%2, fmt.Sprintf("0800%d", i), 8))
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	path := l.Path()
	// A crash mid-write leaves half a line; a bad disk block, a bad checksum.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("the file was not kept: %v", err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	f.WriteString(strings.Replace(lines[0], `"08000"`, `"08009"`, 1)) // checksum no longer matches
	f.WriteString(lines[1][:len(lines[1])/2])                         // torn
	f.Close()

	l2 := open(t, inner, fastOpts(dir))
	if d, s := l2.Depth(), l2.Stats(); d != 5 || s.Adopted != 5 || s.Skipped != 2 {
		t.Fatalf("after restart: depth %d, stats %+v; want 5 adopted, 2 skipped", d, s)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the adopted file is still there: %v", err)
	}
	inner.down.Store(false)
	waitFor(t, "the replay", func() bool { return l2.Depth() == 0 })
	for c := range 2 {
		vs, _ := l2.Visits(context.Background(), ledgertest.Citizen(c), ledgertest.Day(today()))
		if want := 3 - c; len(vs) != want {
			t.Errorf("citizen %d: %d visits, want %d", c, len(vs), want)
		}
	}
	if err := l2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 0 {
		t.Errorf("files left after a clean Close: %v", names)
	}
}

// TestLiveFileNotAdopted: two processes may share a directory; a running
// one's file is never taken by the other.
func TestLiveFileNotAdopted(t *testing.T) {
	dir := t.TempDir()
	inner := &flaky{Ledger: inmem.NewLedger()}
	inner.down.Store(true)
	o := fastOpts(dir)
	o.OpenFor = time.Hour
	a := open(t, inner, o)
	a.Record(context.Background(), rec(1, 1, "08001", 8))
	b := open(t, inner, o)
	if b.Depth() != 0 || a.Depth() != 1 {
		t.Errorf("depths %d and %d: a live process's file was adopted", a.Depth(), b.Depth())
	}
	if recs, _, _ := outbox.ReadDir(dir); len(recs) != 1 {
		t.Errorf("%d recordings in the directory, want 1", len(recs))
	}
}

// TestCompaction: a long queue replayed while new visits keep arriving ends
// with a file holding only what is still queued.
func TestCompaction(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	o := fastOpts(t.TempDir())
	l := open(t, inner, o)
	ctx := context.Background()
	inner.down.Store(true)
	for i := range 300 {
		l.Record(ctx, rec(i, i, "08001", 8))
	}
	inner.down.Store(false)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 300; i < 400; i++ {
			l.Record(ctx, rec(i, i, "08002", 9))
		}
	}()
	wg.Wait()
	// The replay marks visits done one by one and compacts the file after
	// its pass: wait for both, or a loaded machine sees the file between.
	waitFor(t, "the replay and the compaction", func() bool {
		recs, _, _ := outbox.ReadDir(filepath.Dir(l.Path()))
		return l.Depth() == 0 && len(recs) == 0
	})
	for i := range 400 {
		vs, err := l.Visits(ctx, ledgertest.Citizen(i), ledgertest.Day(today()))
		if err != nil || len(vs) != 1 {
			t.Fatalf("citizen %d: %v, %v", i, vs, err)
		}
	}
	if recs, _, _ := outbox.ReadDir(filepath.Dir(l.Path())); len(recs) != 0 {
		t.Errorf("%d recordings left in the file", len(recs))
	}
}

// TestConcurrentAppends: group commit under load keeps every line whole.
func TestConcurrentAppends(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	o := fastOpts(t.TempDir())
	o.OpenFor = time.Hour
	l := open(t, inner, o)
	inner.down.Store(true)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				l.Record(context.Background(), rec(w*1000+i, w*1000+i, "08001", 8))
			}
		}()
	}
	wg.Wait()
	recs, skipped, err := outbox.ReadDir(filepath.Dir(l.Path()))
	if err != nil || len(recs) != 400 || skipped != 0 {
		t.Errorf("file holds %d recordings, %d skipped, %v; want 400 whole lines", len(recs), skipped, err)
	}
}

// TestCloseFlushes: Close replays what is queued when the store answers
// again, even before the breaker would have let a probe through.
func TestCloseFlushes(t *testing.T) {
	dir := t.TempDir()
	inner := &flaky{Ledger: inmem.NewLedger()}
	o := fastOpts(dir)
	o.OpenFor = time.Hour
	l, err := outbox.New(inner, o)
	if err != nil {
		t.Fatal(err)
	}
	inner.down.Store(true)
	for i := range 10 {
		l.Record(context.Background(), rec(i, i, "08001", 8))
	}
	if l.BreakerState() != breaker.Open {
		t.Fatalf("breaker %s, want open", l.BreakerState())
	}
	inner.down.Store(false)
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := l.Depth(); d != 0 {
		t.Errorf("Depth after Close %d, want 0", d)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 0 {
		t.Errorf("files left: %v", names)
	}
	vs, _ := inner.Visits(context.Background(), ledgertest.Citizen(3), ledgertest.Day(today()))
	if len(vs) != 1 {
		t.Errorf("visit not flushed by Close: %v", vs)
	}
}

// A full disk while the window is down: the visit is kept nowhere, and
// Record says so (not "queued"), counts it, and Ping reports the outbox
// unable to write until a write works again.
func TestFullDiskNotQueued(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	l := open(t, inner, fastOpts(t.TempDir()))
	inner.down.Store(true)
	outbox.FailWrites(l, syscall.ENOSPC)
	for i := range 5 {
		_, err := l.Record(context.Background(), rec(i, i, "08001", 9))
		if err == nil || verifier.Queued(err) || verifier.AsError(err).Code != "outbox_unavailable" || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Record %d on a full disk: %v; want outbox_unavailable, not queued", i, err)
		}
	}
	if d, st := l.Depth(), l.Stats(); d != 0 || st.Lost != 5 || st.Queued != 0 {
		t.Errorf("after 5 visits on a full disk: depth %d, stats %+v; want nothing queued, 5 lost", d, st)
	}
	if err := l.Ping(context.Background()); verifier.AsError(err).Code != "outbox_unavailable" {
		t.Errorf("Ping on a full disk: %v, want outbox_unavailable", err)
	}
	// Space again: the probe clears the state, visits are queued again and
	// replayed, and none of the refused ones comes back behind the desk.
	outbox.FailWrites(l, nil)
	if err := l.Ping(context.Background()); verifier.AsError(err).Code == "outbox_unavailable" {
		t.Errorf("Ping with space again: %v", err)
	}
	if _, err := l.Record(context.Background(), rec(10, 10, "08001", 9)); !verifier.Queued(err) {
		t.Fatalf("Record with space again: %v, want queued", err)
	}
	inner.down.Store(false)
	waitFor(t, "the replay", func() bool { return l.Depth() == 0 && l.Stats().Replayed == 1 })
	for i := range 5 {
		if vs, _ := inner.Ledger.Visits(context.Background(), ledgertest.Citizen(i), today().Format(time.DateOnly)); len(vs) != 0 {
			t.Errorf("a visit answered as not recorded was recorded: %v", vs)
		}
	}
}

// refusing is a ledger that answers every Record with an error that is not
// an outage: no replay would cure it.
type refusing struct{ verifier.Ledger }

func (refusing) Record(context.Context, verifier.Recording) (verifier.Recorded, error) {
	return verifier.Recorded{}, verifier.Errorf(verifier.KindInternal, "ledger_corrupt", "a stored visit cannot be read")
}

// A window that refuses a visit: not queued (a replay would be refused
// too), not answered as queued, counted.
func TestRefusedNotQueued(t *testing.T) {
	l := open(t, refusing{inmem.NewLedger()}, fastOpts(t.TempDir()))
	_, err := l.Record(context.Background(), rec(1, 1, "08001", 9))
	if err == nil || verifier.Queued(err) || verifier.AsError(err).Code != "ledger_corrupt" {
		t.Fatalf("Record refused by the window: %v", err)
	}
	if d, st := l.Depth(), l.Stats(); d != 0 || st.Refused != 1 {
		t.Errorf("after a refused visit: depth %d, stats %+v", d, st)
	}
}

// A visit still queued cannot be amended (503 visit_queued: the desk tries
// again); once replayed it can, in the window.
func TestAmendQueuedVisit(t *testing.T) {
	inner := &flaky{Ledger: inmem.NewLedger()}
	l := open(t, inner, fastOpts(t.TempDir()))
	ctx := context.Background()
	inner.down.Store(true)
	b := rec(1, 1, "08001", 9)
	if _, err := l.Record(ctx, b); !verifier.Queued(err) {
		t.Fatalf("Record while down = %v, want queued", err)
	}
	ack := func(v *verifier.Visit) error {
		v.Acknowledgement = &verifier.Acknowledgement{Reason: verifier.AckOther, By: "desk", At: b.Visit.At}
		return nil
	}
	if _, err := l.Amend(ctx, b.Visit.CheckinID, ack); verifier.AsError(err).Code != "visit_queued" || verifier.KindOf(err) != verifier.KindUnavailable {
		t.Errorf("Amend of a queued visit = %v, want KindUnavailable visit_queued", err)
	}
	inner.down.Store(false)
	waitFor(t, "the replay", func() bool { return l.Depth() == 0 })
	if v, err := l.Amend(ctx, b.Visit.CheckinID, ack); err != nil || v.Acknowledgement == nil {
		t.Fatalf("Amend after the replay = %+v, %v", v, err)
	}
	if v, err := inner.Checkin(ctx, b.Visit.CheckinID); err != nil || v.Acknowledgement == nil {
		t.Errorf("the window's visit after Amend: %+v, %v", v, err)
	}
}
