// Package outbox keeps check-ins from being lost when the same-day window's
// store (Redis) is down, slow or unreachable. Ledger wraps any
// verifier.Ledger:
//
//   - every call to the window goes through one path (call): a circuit
//     breaker (verifier/breaker, gobreaker), so that while the store is
//     down a check-in fails over at once instead of waiting, and a short
//     timeout, run in the caller's goroutine (see call for what the
//     timeout counts);
//   - a visit the window could not take is appended to a local durable
//     outbox file (JSON Lines with a checksum a line, fsync before the
//     check-in is answered), and Record answers a KindUnavailable error
//     with code verifier.CodeQueued, so the check-in is answered with
//     "dedupe":"unavailable" (queued, will be replayed);
//   - a visit kept nowhere (the file cannot be written: a full disk; or the
//     window refused it with an error no replay would cure) is answered
//     with any other error, counted and logged, so that the check-in is
//     answered as not recorded; while the file cannot be written Ping
//     reports it (readiness);
//   - a background goroutine probes the store while the breaker is open and,
//     once it answers, replays the queued visits in order. Record is
//     idempotent by CheckinID, so a replay interrupted by a crash is simply
//     done again; the flags the replayed visits raise are filed as duplicate
//     groups for auditors like any other;
//   - a Ledger that starts in a directory holding the outbox files of
//     processes that stopped (a crash, or a Close while the store was down)
//     adopts their visits and replays them too.
//
// One process writes one file, named outbox-<start ns>-<pid>.jsonl, and
// holds an advisory lock (flock) on it, so that several processes may share
// a directory: a file is adopted only when its lock is free, that is when
// its process has gone.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
)

// Options configure a Ledger. The zero value of every field but Dir means
// its default.
type Options struct {
	// Dir is the outbox directory (required). It must be on durable local
	// disk: NFS locks and fsync cannot be trusted.
	Dir string
	// Timeout bounds every Record and Ping of the wrapped ledger, a replayed
	// Record included (default 150 ms), counted from the moment the call is
	// made (see call). The wrapped ledger must heed its context's deadline.
	Timeout time.Duration
	// ReadTimeout bounds Visits and Duplicates, whose answers can be large
	// (default 1 s).
	ReadTimeout time.Duration
	// Failures is how many consecutive failed calls open the breaker (5).
	Failures int
	// OpenFor is how long the breaker stays open before the store is probed
	// again (default 2 s).
	OpenFor time.Duration
	// ReplayEvery is how often the background goroutine looks for work:
	// a probe while the breaker is open, a replay while visits are queued
	// (default 250 ms).
	ReplayEvery time.Duration
	// Logger receives start-up, adoption, replay and drop events (default:
	// discarded). Nothing personal is logged: counts and check-in IDs only.
	Logger *slog.Logger
	// OnBreakerChange, if set, is called on every change of the breaker's
	// state (outside any lock).
	OnBreakerChange func(from, to breaker.State)
}

// Defaults.
const (
	DefaultTimeout     = 150 * time.Millisecond
	DefaultReadTimeout = time.Second
	DefaultFailures    = 5
	DefaultOpenFor     = 2 * time.Second
	DefaultReplayEvery = 250 * time.Millisecond
)

const (
	filePrefix = "outbox-"
	fileSuffix = ".jsonl"
	tmpSuffix  = ".tmp"
)

// entry is one queued recording and its line in the file.
type entry struct {
	r    verifier.Recording
	line []byte
	done bool // recorded in the window (or dropped); guarded by Ledger.mu
}

func key(id verifier.CitizenID, day string) string { return string(id) + "|" + day }

// Ledger is a verifier.Ledger that bounds, breaks and queues the calls to
// the ledger it wraps. It is safe for concurrent use.
type Ledger struct {
	inner verifier.Ledger
	o     Options
	br    *breaker.Breaker
	log   *slog.Logger
	path  string

	// syncMu serialises fsyncs and file swaps; lock order: syncMu, then mu.
	syncMu sync.Mutex
	synced uint64 // the last write sequence made durable

	mu      sync.Mutex
	f       *os.File // nil once closed
	size    int64    // bytes in f
	written uint64   // write sequence
	entries []*entry // file order, done ones until the next compaction
	depth   int      // entries not done
	pending map[string][]*entry
	byID    map[string]*entry // the entries not done, by check-in ID

	replayMu sync.Mutex // one replay at a time

	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	closeErr  error

	queued, replayed, dropped, failures, adopted, skipped atomic.Uint64
	lost, refused, repeats                                atomic.Uint64

	// writeErr is the error of the last failed write of the file, nil
	// once a write or a probe (Ping) succeeds again.
	writeErr atomic.Pointer[error]
	// out is where lines go: the file (a test puts a failing writer in
	// front of it to stand for a full disk).
	out      fileWriter
	wrapFile func(*os.File) fileWriter
}

// fileWriter is what the outbox writes its lines and syncs through.
type fileWriter interface {
	Write(b []byte) (int, error)
	Sync() error
}

func plainFile(f *os.File) fileWriter { return f }

var _ verifier.Ledger = (*Ledger)(nil)

// New opens an outbox in opts.Dir in front of inner: it creates the
// directory and this process's file, adopts the visits left in the files of
// processes that have stopped, and starts the background replay. Call Close
// when done.
func New(inner verifier.Ledger, opts Options) (*Ledger, error) {
	if opts.Dir == "" {
		return nil, errors.New("outbox: no directory")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.Failures <= 0 {
		opts.Failures = DefaultFailures
	}
	if opts.OpenFor <= 0 {
		opts.OpenFor = DefaultOpenFor
	}
	if opts.ReplayEvery <= 0 {
		opts.ReplayEvery = DefaultReplayEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	l := &Ledger{
		inner:   inner,
		o:       opts,
		log:     opts.Logger,
		pending: map[string][]*entry{},
		byID:    map[string]*entry{},
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	l.wrapFile = plainFile
	l.br = breaker.New(breaker.Options{Failures: opts.Failures, OpenFor: opts.OpenFor, OnChange: opts.OnBreakerChange})
	l.path = filepath.Join(opts.Dir, fmt.Sprintf("%s%d-%d%s", filePrefix, time.Now().UnixNano(), os.Getpid(), fileSuffix))
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if ok, err := tryLock(f); !ok {
		f.Close()
		os.Remove(l.path)
		return nil, fmt.Errorf("outbox: cannot lock %s: %v", l.path, err)
	}
	l.f, l.out = f, l.wrapFile(f)
	if err := syncDir(opts.Dir); err != nil {
		l.abandon()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if err := l.adopt(); err != nil {
		l.abandon()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	go l.run()
	return l, nil
}

// abandon closes and removes this process's file after a failed New.
func (l *Ledger) abandon() {
	l.f.Close()
	os.Remove(l.path)
}

// adopt moves the visits of stopped processes' files into this process's
// file (made durable before the old files are removed) and queue.
func (l *Ledger) adopt() error {
	names, err := filepath.Glob(filepath.Join(l.o.Dir, filePrefix+"*"))
	if err != nil {
		return err
	}
	slices.Sort(names)
	var adoptedFiles []string
	for _, name := range names {
		if name == l.path {
			continue
		}
		tmp := strings.HasSuffix(name, tmpSuffix)
		if !tmp && !strings.HasSuffix(name, fileSuffix) {
			continue
		}
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue // adopted by another process starting at the same time
		}
		if err != nil {
			return err
		}
		if ok, _ := tryLock(f); !ok {
			f.Close() // a running process's file
			continue
		}
		if tmp {
			// An interrupted compaction: the file it was to replace is intact.
			f.Close()
			os.Remove(name)
			continue
		}
		recs, skipped, err := readFile(f)
		if err != nil {
			f.Close()
			return fmt.Errorf("reading %s: %w", name, err)
		}
		for _, r := range recs {
			if _, _, err := l.write(r); err != nil { // made durable below, at once
				f.Close()
				return err
			}
		}
		l.adopted.Add(uint64(len(recs)))
		l.skipped.Add(uint64(skipped))
		if skipped > 0 {
			l.log.Warn("outbox: skipped torn or corrupt lines", slog.String("file", filepath.Base(name)), slog.Int("lines", skipped))
		}
		adoptedFiles = append(adoptedFiles, name)
		defer f.Close() // keep the lock until the old file is gone
	}
	if len(adoptedFiles) == 0 {
		return nil
	}
	if err := l.out.Sync(); err != nil {
		return err
	}
	l.synced = l.written
	for _, name := range adoptedFiles {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	l.log.Info("outbox: adopted the visits of stopped processes", slog.Int("files", len(adoptedFiles)), slog.Uint64("visits", l.adopted.Load()))
	return syncDir(l.o.Dir)
}

// Record implements verifier.Ledger. While the breaker is closed it records
// through the wrapped ledger within Options.Timeout, first replaying the
// queued visits of the same citizen and day so that the answer's Others
// include them. When the wrapped ledger is unavailable, slow, or the breaker
// is open, the recording is made durable in the outbox and Record returns a
// KindUnavailable error with code verifier.CodeQueued (with the wrapped
// ledger's Recorded when it gave one together with its error). Any other
// error means the visit is kept nowhere: the outbox file could not be
// written (code "outbox_unavailable"), or the wrapped ledger refused the
// recording with an error that a replay would meet again (returned as it
// is). Record is not cancelled by ctx.
func (l *Ledger) Record(ctx context.Context, r verifier.Recording) (verifier.Recorded, error) {
	if err := r.Validate(); err != nil {
		return verifier.Recorded{}, err
	}
	ctx = context.WithoutCancel(ctx)
	var cause error
	var got verifier.Recorded
	if admitted, err := l.call(ctx, l.o.Timeout, false, func(ctx context.Context) (err error) {
		got, err = l.recordLive(ctx, r)
		return err
	}); admitted {
		if err == nil || !retryable(err) {
			if err != nil {
				// Not queued: a replay would be refused the same way.
				l.refused.Add(1)
				l.log.Error("outbox: the window refused a visit; not recorded", slog.String("checkin_id", r.Visit.CheckinID), slog.String("error", verifier.AsError(err).Code))
			}
			return got, err
		}
		cause = err
	}
	if e := l.queuedRepeat(r); e != nil {
		// A re-scan of a visit still queued: that visit, as the window
		// would answer it, and nothing new queued. Its ID resolves once
		// it is replayed (a re-scan of a visit the window already has is
		// queued, and merged into that visit when replayed).
		l.repeats.Add(1)
		if cause == nil {
			cause = errors.New("circuit breaker open")
		}
		return verifier.Recorded{Visit: e.r.Visit, Repeat: true}, verifier.Wrap(cause, verifier.KindUnavailable, verifier.CodeQueued,
			"the visit ledger does not answer; the scan repeats a visit queued in the outbox")
	}
	if _, err := l.append(r); err != nil {
		l.lost.Add(1)
		l.writeErr.Store(&err)
		l.log.Error("outbox: a visit could not be kept; not recorded", slog.String("checkin_id", r.Visit.CheckinID), slog.String("error", err.Error()))
		return got, verifier.Wrap(err, verifier.KindUnavailable, "outbox_unavailable", "the visit ledger does not answer and the outbox cannot keep the visit")
	}
	l.writeErr.Store(nil)
	l.queued.Add(1)
	if cause == nil {
		cause = errors.New("circuit breaker open")
	}
	return got, verifier.Wrap(cause, verifier.KindUnavailable, verifier.CodeQueued, "the visit ledger does not answer; the visit is queued in the outbox")
}

// queuedRepeat returns the queued entry that r repeats, as the window's
// re-scan rule would decide it among the queued visits of r's citizen and
// day: the same check-in ID, else the closest visit at r's facility no
// further than r.RepeatWithin. nil when there is none.
func (l *Ledger) queuedRepeat(r verifier.Recording) *entry {
	var best *entry
	var bestD time.Duration
	for _, e := range l.pendingOf(r.Visit.CitizenID, r.Visit.Day) {
		v := e.r.Visit
		if v.CheckinID == r.Visit.CheckinID {
			return e
		}
		if v.Facility != r.Visit.Facility {
			continue
		}
		d := v.At.Sub(r.Visit.At)
		if d < 0 {
			d = -d
		}
		if d <= r.RepeatWithin && (best == nil || d < bestD) {
			best, bestD = e, d
		}
	}
	return best
}

// recordLive records r after the queued visits of its citizen and day.
func (l *Ledger) recordLive(ctx context.Context, r verifier.Recording) (verifier.Recorded, error) {
	for _, e := range l.pendingOf(r.Visit.CitizenID, r.Visit.Day) {
		if err := l.replayOne(ctx, e); err != nil {
			return verifier.Recorded{}, err
		}
	}
	return l.inner.Record(ctx, r)
}

// replayOne records a queued entry and marks it done; a recording the
// wrapped ledger refuses for good (not an outage) is dropped and logged.
func (l *Ledger) replayOne(ctx context.Context, e *entry) error {
	l.mu.Lock()
	done := e.done
	l.mu.Unlock()
	if done {
		return nil // replayed meanwhile by the other path
	}
	_, err := l.inner.Record(ctx, e.r)
	if err != nil && retryable(err) {
		return err
	}
	if !l.markDone(e) {
		return nil // the other path recorded it at the same time
	}
	if err != nil {
		l.dropped.Add(1)
		l.log.Error("outbox: the window refused a queued visit; dropped", slog.String("checkin_id", e.r.Visit.CheckinID), slog.String("error", verifier.AsError(err).Code))
	} else {
		l.replayed.Add(1)
	}
	return nil
}

// call is the one path to the wrapped ledger: fn runs only when the
// breaker admits it (probe false: while closed, for every call of the
// service and the replay; probe true: the background probe, while open or
// half-open), in the caller's goroutine, with a deadline d from now; its
// outcome is reported to the breaker (an answer, even a refusal, is a
// success; an outage or a timeout a failure, also counted in Stats). A
// result that comes back after the breaker changed state is ignored by it.
//
// The deadline is what "Redis time" means here: it starts when the call to
// the window is made, after the request was read and checked, and bounds
// the wait for the window's answer (go-redis sets it on the connection's
// reads and writes, with ContextTimeoutEnabled, or stops waiting for a
// shared pipeline's reply). Time a request spent queued behind the CPU
// before reaching this point does not count; time the answer waits to be
// read because the process is starved of CPU still does, which no client
// can tell apart from a slow Redis. It used to run on a worker goroutine
// whose result Record stopped waiting for at the deadline: a hand-off on
// every check-in, and a deadline that ran while the worker waited for a
// CPU.
func (l *Ledger) call(ctx context.Context, d time.Duration, probe bool, fn func(context.Context) error) (admitted bool, err error) {
	if (l.br.State() == breaker.Closed) == probe {
		return false, nil
	}
	done, ok := l.br.Allow()
	if !ok {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	err = fn(ctx)
	if ctx.Err() == context.DeadlineExceeded && err != nil && !retryable(err) {
		// A wrapped ledger that reports a timeout in its own words.
		err = verifier.Wrap(err, verifier.KindUnavailable, "ledger_timeout", "the visit ledger did not answer in time")
	}
	cancel()
	if err != nil && retryable(err) {
		done(false)
		l.failures.Add(1)
	} else {
		done(true)
	}
	return true, err
}

// retryable reports whether err means the store did not answer (and so the
// call may succeed later), as opposed to an answer that refuses.
func retryable(err error) bool {
	return verifier.KindOf(err) == verifier.KindUnavailable ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// append queues r: its line is written to the file and made durable. When
// the sync fails the entry is taken off the queue again: the caller answers
// that the visit was not recorded, so it must not be replayed behind the
// desk's back (should the line have reached the disk after all and be
// adopted after a crash, the desk's new attempt is merged with it as a
// re-scan).
func (l *Ledger) append(r verifier.Recording) (*entry, error) {
	e, seq, err := l.write(r)
	if err != nil {
		return nil, err
	}
	if err := l.sync(seq); err != nil {
		l.markDone(e)
		return nil, err
	}
	return e, nil
}

// write queues r and writes its line to the file, not yet durable; it
// returns the write's sequence number for sync.
func (l *Ledger) write(r verifier.Recording) (*entry, uint64, error) {
	line, err := encodeLine(r)
	if err != nil {
		return nil, 0, err
	}
	l.mu.Lock()
	if l.f == nil {
		l.mu.Unlock()
		return nil, 0, errors.New("outbox closed")
	}
	if n, err := l.out.Write(line); err != nil {
		if n > 0 {
			// Never leave half a line for the next one to be glued to.
			_ = l.f.Truncate(l.size)
		}
		l.mu.Unlock()
		return nil, 0, err
	}
	l.size += int64(len(line))
	l.written++
	seq := l.written
	e := &entry{r: r, line: line}
	l.entries = append(l.entries, e)
	k := key(r.Visit.CitizenID, r.Visit.Day)
	l.pending[k] = append(l.pending[k], e)
	l.byID[r.Visit.CheckinID] = e
	l.depth++
	l.mu.Unlock()
	return e, seq, nil
}

// sync makes the writes up to seq durable. Concurrent callers share one
// fsync (group commit).
func (l *Ledger) sync(seq uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced >= seq {
		return nil
	}
	l.mu.Lock()
	f, out, target := l.f, l.out, l.written
	l.mu.Unlock()
	if f == nil {
		return errors.New("outbox closed")
	}
	if err := out.Sync(); err != nil {
		return err
	}
	l.synced = target
	return nil
}

// pendingOf returns the queued, not yet recorded entries of a citizen's day.
func (l *Ledger) pendingOf(id verifier.CitizenID, day string) []*entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 { // the usual case: no key to build
		return nil
	}
	return slices.Clone(l.pending[key(id, day)])
}

// markDone takes a recorded entry off the queue; it reports false when it
// was already off.
func (l *Ledger) markDone(e *entry) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.done {
		return false
	}
	e.done = true
	l.depth--
	if l.byID[e.r.Visit.CheckinID] == e {
		delete(l.byID, e.r.Visit.CheckinID)
	}
	k := key(e.r.Visit.CitizenID, e.r.Visit.Day)
	ps := slices.DeleteFunc(l.pending[k], func(x *entry) bool { return x == e })
	if len(ps) == 0 {
		delete(l.pending, k)
	} else {
		l.pending[k] = ps
	}
	return true
}

// Depth returns the number of visits queued in the outbox, not yet
// recorded in the window.
func (l *Ledger) Depth() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.depth
}

// BreakerState returns the state of the breaker in front of the window.
func (l *Ledger) BreakerState() breaker.State { return l.br.State() }

// Stats are counters since New.
type Stats struct {
	Queued   uint64 // visits written to the outbox
	Replayed uint64 // queued visits recorded in the window since
	Dropped  uint64 // queued visits the window refused for good (logged)
	Failures uint64 // calls to the window that failed or timed out
	Adopted  uint64 // visits adopted at start from stopped processes' files
	Skipped  uint64 // torn or corrupt lines skipped in adopted files
	// Lost counts visits the window did not take and the file could not
	// keep (a full disk): answered as not recorded, never queued.
	Lost uint64
	// Refused counts visits the window refused with an error that is not
	// an outage (not queued, since a replay would be refused too):
	// answered as not recorded.
	Refused uint64
	// Repeats counts re-scans recognised as repeats of a queued visit
	// while the window was down (answered with that visit, not queued).
	Repeats uint64
}

// Stats returns the counters.
func (l *Ledger) Stats() Stats {
	return Stats{
		Queued: l.queued.Load(), Replayed: l.replayed.Load(), Dropped: l.dropped.Load(),
		Failures: l.failures.Load(), Adopted: l.adopted.Load(), Skipped: l.skipped.Load(),
		Lost: l.lost.Load(), Refused: l.refused.Load(), Repeats: l.repeats.Load(),
	}
}

// Path returns this process's outbox file.
func (l *Ledger) Path() string { return l.path }

// degraded is the error of a call refused because the breaker is open.
func (l *Ledger) degraded(cause error) error {
	if cause == nil {
		cause = errors.New("circuit breaker open")
	}
	return verifier.Wrap(cause, verifier.KindUnavailable, "ledger_unavailable",
		fmt.Sprintf("window unavailable, %d visits queued in the outbox", l.Depth()))
}

// read runs a read of the wrapped ledger through the breaker and timeout.
func (l *Ledger) read(ctx context.Context, fn func(ctx context.Context) error) error {
	admitted, err := l.call(ctx, l.o.ReadTimeout, false, fn)
	if !admitted {
		return l.degraded(nil)
	}
	if err != nil && retryable(err) {
		return verifier.Wrap(err, verifier.KindUnavailable, "ledger_unavailable", "the visit ledger does not answer")
	}
	return err
}

// Visits implements verifier.Ledger: the wrapped ledger's visits, with the
// citizen's visits of that day still queued in this process's outbox merged
// in (by check-in ID). While the window is unavailable it returns an error
// rather than the queued visits alone, which would read as a complete day.
func (l *Ledger) Visits(ctx context.Context, id verifier.CitizenID, day string) ([]verifier.Visit, error) {
	var vs []verifier.Visit
	err := l.read(ctx, func(ctx context.Context) (err error) {
		vs, err = l.inner.Visits(ctx, id, day)
		return err
	})
	if err != nil {
		return nil, err
	}
	added := false
	for _, e := range l.pendingOf(id, day) {
		if !slices.ContainsFunc(vs, func(v verifier.Visit) bool { return v.CheckinID == e.r.Visit.CheckinID }) {
			vs = append(vs, e.r.Visit)
			added = true
		}
	}
	if added {
		verifier.SortVisits(vs)
	}
	return vs, nil
}

// Checkin implements verifier.Ledger: a visit still queued in this
// process's outbox answers as queued (without its ticket, which the window
// numbers when it is replayed); any other from the wrapped ledger, through
// the breaker. Once replayed, the ID resolves in the window, a re-scan's to
// the visit it was merged into.
func (l *Ledger) Checkin(ctx context.Context, checkinID string) (verifier.Visit, error) {
	if e := l.queuedCheckin(checkinID); e != nil {
		return e.r.Visit, nil
	}
	var v verifier.Visit
	err := l.read(ctx, func(ctx context.Context) (err error) {
		v, err = l.inner.Checkin(ctx, checkinID)
		return err
	})
	if err != nil {
		if e := l.queuedCheckin(checkinID); e != nil { // queued meanwhile
			return e.r.Visit, nil
		}
	}
	return v, err
}

// Amend implements verifier.Ledger through the breaker. A visit still
// queued in this process's outbox cannot be amended until it is replayed
// (its line is already on disk and the replay reads it unlocked): that is
// a KindUnavailable error, like any amendment while the window is down.
func (l *Ledger) Amend(ctx context.Context, checkinID string, fn func(*verifier.Visit) error) (verifier.Visit, error) {
	if l.queuedCheckin(checkinID) != nil {
		return verifier.Visit{}, verifier.Errorf(verifier.KindUnavailable, "visit_queued",
			"the visit is queued while the visit ledger does not answer; try again once it is recorded")
	}
	var v verifier.Visit
	err := l.read(ctx, func(ctx context.Context) (err error) {
		v, err = l.inner.Amend(ctx, checkinID, fn)
		return err
	})
	return v, err
}

// queuedCheckin returns the entry queued under a check-in ID, or nil.
func (l *Ledger) queuedCheckin(id string) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byID[id]
}

// Duplicates implements verifier.Ledger. Queued visits have not been
// compared yet: the groups they will file appear once they are replayed.
func (l *Ledger) Duplicates(ctx context.Context, q verifier.DuplicateQuery) (verifier.DuplicatePage, error) {
	var p verifier.DuplicatePage
	err := l.read(ctx, func(ctx context.Context) (err error) {
		p, err = l.inner.Duplicates(ctx, q)
		return err
	})
	return p, err
}

// Ping implements verifier.Ledger. It reports the degraded state: while the
// breaker is open, or when the wrapped ledger does not answer its ping, a
// KindUnavailable error "window unavailable, N visits queued in the
// outbox". It does not move the breaker.
func (l *Ledger) Ping(ctx context.Context) error {
	if err := l.checkWritable(); err != nil {
		return verifier.Wrap(err, verifier.KindUnavailable, "outbox_unavailable",
			"the outbox cannot keep visits (disk full or failing): a check-in the window does not take is not recorded")
	}
	if l.br.State() != breaker.Closed {
		return l.degraded(nil)
	}
	pctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	if err := l.inner.Ping(pctx); err != nil {
		return l.degraded(err)
	}
	return nil
}

// checkWritable returns nil unless the last write of the file failed and
// a probe (a 4 KiB file written, synced and removed in the directory) still
// fails; a probe that succeeds clears the failure.
func (l *Ledger) checkWritable() error {
	if p := l.writeErr.Load(); p == nil {
		return nil
	}
	name := filepath.Join(l.o.Dir, fmt.Sprintf(".probe-%d", os.Getpid()))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(name)
	l.mu.Lock()
	out := l.wrapFile(f)
	l.mu.Unlock()
	_, err = out.Write(make([]byte, 4096))
	if err == nil {
		err = out.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	l.writeErr.Store(nil)
	return nil
}

// run is the background goroutine: probe and replay every ReplayEvery.
func (l *Ledger) run() {
	defer close(l.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(l.o.ReplayEvery)
	defer t.Stop()
	for {
		l.step(ctx)
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
	}
}

// step probes the store when the breaker lets a probe through, and replays
// the queue when the breaker is closed.
func (l *Ledger) step(ctx context.Context) {
	if l.br.State() != breaker.Closed {
		admitted, err := l.call(ctx, l.o.Timeout, true, func(ctx context.Context) error {
			if err := l.inner.Ping(ctx); err != nil {
				// Any error of a probe is an outage, whatever its kind.
				return verifier.Wrap(err, verifier.KindUnavailable, "ledger_unavailable", "the visit ledger does not answer")
			}
			return nil
		})
		if !admitted || err != nil {
			return
		}
		l.log.Info("outbox: the window answers again", slog.Int("queued", l.Depth()))
	}
	if l.Depth() > 0 {
		l.replay(ctx, true)
	}
}

// replay records the queued visits in file order until the queue is empty,
// the store fails or ctx ends, then compacts the file. Through the breaker,
// or past it (Close's last attempt, once the store answered a ping).
func (l *Ledger) replay(ctx context.Context, viaBreaker bool) {
	l.replayMu.Lock()
	defer l.replayMu.Unlock()
	l.mu.Lock()
	todo := slices.Clone(l.entries)
	l.mu.Unlock()
	n := 0
	for _, e := range todo {
		if ctx.Err() != nil {
			break
		}
		l.mu.Lock()
		done := e.done
		l.mu.Unlock()
		if done {
			continue
		}
		var err error
		if viaBreaker {
			var admitted bool
			if admitted, err = l.call(ctx, l.o.Timeout, false, func(ctx context.Context) error { return l.replayOne(ctx, e) }); !admitted {
				break
			}
		} else {
			rctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
			err = l.replayOne(rctx, e)
			cancel()
		}
		if err != nil {
			break
		}
		n++
	}
	if n > 0 {
		l.log.Info("outbox: replayed queued visits", slog.Int("visits", n), slog.Int("still_queued", l.Depth()))
	}
	if err := l.compact(false); err != nil {
		l.log.Error("outbox: compaction failed", slog.String("error", err.Error()))
	}
}

// compact drops done entries from memory and from the file: the file is
// truncated when nothing is queued any more, and rewritten (new file,
// fsync, rename over the old one) when at least half of it is done, or
// always when force is set.
func (l *Ledger) compact(force bool) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	doneN := len(l.entries) - l.depth
	switch {
	case l.depth == 0:
		if l.size == 0 {
			return nil
		}
		if err := l.f.Truncate(0); err != nil {
			return err
		}
		if err := l.f.Sync(); err != nil {
			return err
		}
		l.entries, l.size, l.synced = nil, 0, l.written
		return nil
	case doneN == 0 || !force && doneN*2 < len(l.entries):
		return nil
	}
	keep := make([]*entry, 0, l.depth)
	for _, e := range l.entries {
		if !e.done {
			keep = append(keep, e)
		}
	}
	tmp := l.path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if ok, err := tryLock(f); !ok {
		return fail(fmt.Errorf("cannot lock %s: %v", tmp, err))
	}
	var size int64
	buf := make([]byte, 0, 1<<20)
	for _, e := range keep {
		buf = append(buf, e.line...)
		if len(buf) >= 1<<20 {
			if _, err := f.Write(buf); err != nil {
				return fail(err)
			}
			size += int64(len(buf))
			buf = buf[:0]
		}
	}
	if _, err := f.Write(buf); err != nil {
		return fail(err)
	}
	size += int64(len(buf))
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, l.path); err != nil {
		return fail(err)
	}
	if err := syncDir(l.o.Dir); err != nil {
		l.log.Warn("outbox: directory sync failed", slog.String("error", err.Error()))
	}
	l.f.Close()
	l.f, l.out, l.entries, l.size, l.synced = f, l.wrapFile(f), keep, size, l.written
	return nil
}

// Close stops the background replay, tries a last replay within ctx, and
// closes the file: it is removed when nothing is left in it, and kept
// otherwise, for the next Ledger opened on the directory to adopt and
// replay. Record calls after Close still reach the wrapped ledger but can
// no longer queue. Close does not close the wrapped ledger.
func (l *Ledger) Close(ctx context.Context) error {
	l.closeOnce.Do(func() {
		close(l.stop)
		<-l.stopped
		if l.Depth() > 0 {
			// One last attempt, whatever the breaker's timer says.
			if l.br.State() == breaker.Closed {
				l.replay(ctx, true)
			} else {
				pctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
				err := l.inner.Ping(pctx)
				cancel()
				if err == nil {
					l.replay(ctx, false)
				}
			}
		}
		if err := l.compact(true); err != nil {
			l.log.Error("outbox: compaction failed", slog.String("error", err.Error()))
		}
		l.syncMu.Lock()
		l.mu.Lock()
		f, depth := l.f, l.depth
		l.f = nil
		l.mu.Unlock()
		l.syncMu.Unlock()
		var err error
		if depth == 0 {
			err = os.Remove(l.path)
			if serr := syncDir(l.o.Dir); err == nil {
				err = serr
			}
		} else {
			err = f.Sync()
			l.log.Warn("outbox: visits left queued for the next start", slog.Int("visits", depth), slog.String("file", l.path))
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		l.closeErr = err
	})
	return l.closeErr
}

// String describes the ledger for logs.
func (l *Ledger) String() string {
	return fmt.Sprintf("outbox(dir=%q, timeout=%s, breaker=%d failures/%s, inner=%v)", l.o.Dir, l.o.Timeout, l.o.Failures, l.o.OpenFor, l.inner)
}
