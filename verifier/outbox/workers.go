package outbox

import "sync/atomic"

// workers runs the bounded calls to the wrapped ledger on long-lived
// goroutines. A call must run on a goroutine of its own so that Record can
// return at its timeout while a late call finishes in the background; a
// fresh goroutine per call, though, starts on a small stack that the Redis
// driver's call depth grows by copying it, which measured about 7% of the
// server's CPU at 10,000 check-ins a second. A worker keeps its grown stack
// from call to call.
type workers struct {
	jobs    chan func()  // unbuffered: a send succeeds only when a worker is idle
	n       atomic.Int32 // workers running
	started atomic.Int64 // workers ever started
	max     int32
	stop    <-chan struct{}
}

// maxWorkers bounds the idle workers kept; beyond it (a store so slow that
// this many calls are late at once) each call gets a goroutine of its own,
// as before, so a call never waits for a worker.
const maxWorkers = 512

func newWorkers(stop <-chan struct{}) *workers {
	return &workers{jobs: make(chan func()), max: maxWorkers, stop: stop}
}

// run runs f on an idle worker, a new worker, or a goroutine of its own; it
// never waits for f.
func (w *workers) run(f func()) {
	select {
	case w.jobs <- f:
		return
	default:
	}
	if w.n.Add(1) <= w.max {
		w.started.Add(1)
		go w.loop(f)
		return
	}
	w.n.Add(-1)
	go f()
}

func (w *workers) loop(f func()) {
	defer w.n.Add(-1)
	for {
		f()
		select {
		case f = <-w.jobs:
		case <-w.stop:
			return
		}
	}
}
