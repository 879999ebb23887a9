package breaker

import (
	"sync"
	"testing"
	"time"
)

// waitState waits, with a bound, for b to reach s (OpenFor is real time:
// gobreaker reads the clock itself).
func waitState(t *testing.T, b *Breaker, s State) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); b.State() != s; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("state %s, want %s", b.State(), s)
		}
	}
}

func fail(t *testing.T, b *Breaker) {
	t.Helper()
	done, ok := b.Allow()
	if !ok {
		t.Fatal("call refused")
	}
	done(false)
}

func TestBreakerCycle(t *testing.T) {
	var mu sync.Mutex
	var changes []string
	b := New(Options{Failures: 3, OpenFor: 50 * time.Millisecond, OnChange: func(f, to State) {
		mu.Lock()
		changes = append(changes, string(f)+">"+string(to))
		mu.Unlock()
	}})
	fail(t, b)
	fail(t, b)
	done, _ := b.Allow()
	done(true) // a success resets the count
	for range 3 {
		fail(t, b)
	}
	if _, ok := b.Allow(); b.State() != Open || ok {
		t.Fatalf("after 3 failures: state %s, allowed %v", b.State(), ok)
	}
	waitState(t, b, HalfOpen)
	probe, ok := b.Allow()
	if !ok {
		t.Fatal("no probe after OpenFor")
	}
	if _, ok := b.Allow(); ok {
		t.Fatal("a second call allowed while the probe is out")
	}
	probe(false) // the probe failed: open again
	if _, ok := b.Allow(); b.State() != Open || ok {
		t.Fatalf("failed probe: state %s", b.State())
	}
	waitState(t, b, HalfOpen)
	probe, ok = b.Allow()
	if !ok {
		t.Fatal("no second probe")
	}
	probe(true)
	if b.State() != Closed {
		t.Fatalf("successful probe: state %s", b.State())
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"closed>open", "open>half_open", "half_open>open", "open>half_open", "half_open>closed"}
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("changes %v, want %v", changes, want)
		}
	}
}

// A call admitted while the breaker was closed and finishing after it
// opened must not close it (the hand-written breaker's defect): its
// outcome belongs to a generation that has ended.
func TestLateSuccessDoesNotClose(t *testing.T) {
	b := New(Options{Failures: 2, OpenFor: time.Hour})
	slow, ok := b.Allow() // a slow call, admitted while closed
	if !ok {
		t.Fatal("refused")
	}
	fail(t, b)
	fail(t, b)
	if b.State() != Open {
		t.Fatalf("state %s, want open", b.State())
	}
	slow(true) // the slow call finishes
	if b.State() != Open {
		t.Fatalf("a call admitted before the breaker opened closed it: state %s", b.State())
	}
	// Nor does a late failure count against a closed breaker's new run.
	b2 := New(Options{Failures: 2, OpenFor: 20 * time.Millisecond})
	late, _ := b2.Allow()
	fail(t, b2)
	fail(t, b2)
	waitState(t, b2, HalfOpen)
	probe, _ := b2.Allow()
	probe(true)
	late(false)
	fail(t, b2)
	if b2.State() != Closed {
		t.Fatalf("a late failure from before the breaker opened counted: state %s", b2.State())
	}
}

func TestConcurrent(t *testing.T) {
	b := New(Options{Failures: 5, OpenFor: time.Millisecond})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 1000 {
				if done, ok := b.Allow(); ok {
					done((i+j)%3 != 0)
				}
				_ = b.State()
			}
		}()
	}
	wg.Wait()
}
