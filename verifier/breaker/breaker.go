// Package breaker is a circuit breaker for calls to a dependency that can
// be slow or down (Redis, a remote registry). After enough consecutive
// failures it opens and fails calls at once for a while, so that a desk
// does not wait for a timeout on every check-in; then it lets one probe
// through and closes again when the probe succeeds.
package breaker

import (
	"sync"
	"time"
)

// State of a breaker.
type State string

const (
	Closed   State = "closed"    // calls go through
	Open     State = "open"      // calls fail at once
	HalfOpen State = "half_open" // one probe call is allowed
)

// Options configure a Breaker.
type Options struct {
	// Failures is how many consecutive failures open the breaker (5).
	Failures int
	// OpenFor is how long it stays open before a probe (5 s).
	OpenFor time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// OnChange, if set, is called (outside the lock) on every change.
	OnChange func(from, to State)
}

// Breaker is safe for concurrent use.
type Breaker struct {
	opt Options

	mu       sync.Mutex
	state    State
	failures int
	openedAt time.Time
	probing  bool
}

// New returns a closed breaker.
func New(opt Options) *Breaker {
	if opt.Failures <= 0 {
		opt.Failures = 5
	}
	if opt.OpenFor <= 0 {
		opt.OpenFor = 5 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Breaker{opt: opt, state: Closed}
}

// Allow reports whether a call may proceed. A caller that is allowed must
// report the outcome with Success or Failure.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	var from, to State
	allowed := true
	switch b.state {
	case Open:
		if b.opt.Now().Sub(b.openedAt) < b.opt.OpenFor {
			allowed = false
			break
		}
		from, to = Open, HalfOpen
		b.state, b.probing = HalfOpen, true
	case HalfOpen:
		if b.probing {
			allowed = false
		} else {
			b.probing = true
		}
	}
	b.mu.Unlock()
	b.changed(from, to)
	return allowed
}

// Success reports a call that succeeded: the breaker closes.
func (b *Breaker) Success() {
	b.mu.Lock()
	from := b.state
	b.state, b.failures, b.probing = Closed, 0, false
	b.mu.Unlock()
	if from != Closed {
		b.changed(from, Closed)
	}
}

// Failure reports a call that failed: enough of them in a row, or a failed
// probe, open the breaker.
func (b *Breaker) Failure() {
	b.mu.Lock()
	from := b.state
	b.failures++
	b.probing = false
	if b.state == HalfOpen || b.failures >= b.opt.Failures {
		b.state, b.openedAt = Open, b.opt.Now()
	}
	to := b.state
	b.mu.Unlock()
	if from != to {
		b.changed(from, to)
	}
}

// State returns the current state.
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == Open && b.opt.Now().Sub(b.openedAt) >= b.opt.OpenFor {
		return HalfOpen
	}
	return b.state
}

func (b *Breaker) changed(from, to State) {
	if from != to && b.opt.OnChange != nil {
		b.opt.OnChange(from, to)
	}
}
