// Package breaker is the circuit breaker for calls to a dependency that can
// be slow or down (Redis, a remote registry): github.com/sony/gobreaker/v2,
// with the settings and names this service uses. After enough consecutive
// failures it opens and fails calls at once for a while, so that a desk
// does not wait for a timeout on every check-in; then it lets one probe
// through and closes again when the probe succeeds.
//
// Each call admitted is reported through the done function that Allow
// returns, which gobreaker ties to the breaker's generation: the outcome
// of a call admitted before the breaker opened (or before it closed again)
// and finishing after is ignored. (The hand-written breaker this replaces
// let such a late success close an open breaker.)
package breaker

import (
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"
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
	// OnChange, if set, is called on every change (under the breaker's
	// lock: it must not call the breaker).
	OnChange func(from, to State)
}

// Breaker is safe for concurrent use.
type Breaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}]
}

// errFailed is what done(false) reports to gobreaker: only failure counts.
var errFailed = errors.New("call failed")

// New returns a closed breaker.
func New(opt Options) *Breaker {
	if opt.Failures <= 0 {
		opt.Failures = 5
	}
	if opt.OpenFor <= 0 {
		opt.OpenFor = 5 * time.Second
	}
	st := gobreaker.Settings{
		MaxRequests: 1, // one probe while half-open
		Timeout:     opt.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(opt.Failures) },
	}
	if opt.OnChange != nil {
		st.OnStateChange = func(_ string, from, to gobreaker.State) { opt.OnChange(state(from), state(to)) }
	}
	return &Breaker{cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](st)}
}

func state(s gobreaker.State) State {
	switch s {
	case gobreaker.StateOpen:
		return Open
	case gobreaker.StateHalfOpen:
		return HalfOpen
	}
	return Closed
}

// Allow asks to make a call. When ok, the caller must report the call's
// outcome once with done: true when the dependency answered (even with a
// refusal), false when it failed or did not answer in time.
func (b *Breaker) Allow() (done func(success bool), ok bool) {
	report, err := b.cb.Allow()
	if err != nil {
		return nil, false
	}
	return func(success bool) {
		if success {
			report(nil)
		} else {
			report(errFailed)
		}
	}, true
}

// State returns the current state (an open breaker whose OpenFor has
// passed reads as half-open).
func (b *Breaker) State() State { return state(b.cb.State()) }
