package breaker

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

func TestBreakerCycle(t *testing.T) {
	c := &clock{}
	var changes []string
	b := New(Options{Failures: 3, OpenFor: time.Second, Now: c.now, OnChange: func(f, to State) { changes = append(changes, string(f)+">"+string(to)) }})
	for i := range 2 {
		if !b.Allow() {
			t.Fatalf("call %d refused while closed", i)
		}
		b.Failure()
	}
	b.Allow()
	b.Success() // a success resets the count
	for range 3 {
		b.Allow()
		b.Failure()
	}
	if b.State() != Open || b.Allow() {
		t.Fatalf("after 3 failures: state %s", b.State())
	}
	c.advance(999 * time.Millisecond)
	if b.Allow() {
		t.Fatal("allowed before OpenFor elapsed")
	}
	c.advance(time.Millisecond)
	if !b.Allow() {
		t.Fatal("no probe after OpenFor")
	}
	if b.Allow() {
		t.Fatal("a second call allowed while the probe is out")
	}
	b.Failure() // the probe failed: open again
	if b.State() != Open || b.Allow() {
		t.Fatalf("failed probe: state %s", b.State())
	}
	c.advance(time.Second)
	if !b.Allow() {
		t.Fatal("no second probe")
	}
	b.Success()
	if b.State() != Closed || !b.Allow() {
		t.Fatalf("successful probe: state %s", b.State())
	}
	want := []string{"closed>open", "open>half_open", "half_open>open", "open>half_open", "half_open>closed"}
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("change %d = %s, want %s", i, changes[i], want[i])
		}
	}
}

func TestBreakerConcurrentProbe(t *testing.T) {
	c := &clock{}
	b := New(Options{Failures: 1, OpenFor: time.Second, Now: c.now})
	b.Allow()
	b.Failure()
	c.advance(time.Second)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if b.Allow() {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 1 {
		t.Errorf("%d probes allowed at once, want 1", allowed.Load())
	}
}
