package outbox

import (
	"runtime"
	"sync"
	"testing"
)

// Calls one after another reuse one worker instead of starting a goroutine
// each.
func TestWorkersReuseAnIdleWorker(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	w := newWorkers(stop)
	const calls = 200
	for range calls {
		done := make(chan struct{})
		w.run(func() { close(done) })
		<-done
		// Let the worker get back to its receive, as it does between a
		// real caller's requests.
		for range 10 {
			runtime.Gosched()
		}
	}
	if s := w.started.Load(); s > calls/10 {
		t.Fatalf("%d sequential calls started %d workers", calls, s)
	}
}

// run never waits: with every worker busy, and past the bound, calls still
// start at once, and every one runs.
func TestWorkersNeverWait(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	w := newWorkers(stop)
	w.max = 4
	release := make(chan struct{})
	var started, finished sync.WaitGroup
	const calls = 20
	started.Add(calls)
	finished.Add(calls)
	for range calls {
		w.run(func() {
			started.Done()
			<-release
			finished.Done()
		})
	}
	started.Wait() // all 20 run at once although only 4 are workers
	if n := w.n.Load(); n > 4 {
		t.Errorf("%d workers kept, bound 4", n)
	}
	close(release)
	finished.Wait()
}

// After stop, calls still run (Close makes its last calls then).
func TestWorkersRunAfterStop(t *testing.T) {
	stop := make(chan struct{})
	w := newWorkers(stop)
	close(stop)
	done := make(chan struct{})
	w.run(func() { close(done) })
	<-done
}
