package kiosk

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestImageGate(t *testing.T) {
	ctx := context.Background()
	g := newImageGate(ImageWork{Workers: 2, Memory: 100, Wait: 10 * time.Millisecond})

	// Memory: 60 + 60 do not fit in 100; the second waits, then is busy.
	rel1, err := g.acquire(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.acquire(ctx, 60); !errors.Is(err, errImageBusy) {
		t.Fatalf("over the memory budget: %v, want image_work_busy", err)
	}
	rel2, err := g.acquire(ctx, 40)
	if err != nil {
		t.Fatalf("within the budget: %v", err)
	}
	// Workers: two in flight, the third waits, then is busy.
	if _, err := g.acquire(ctx, 0); !errors.Is(err, errImageBusy) {
		t.Fatalf("a third worker: %v, want image_work_busy", err)
	}
	rel1()
	rel2()
	// An image estimated over the whole budget runs alone, not never.
	rel3, err := g.acquire(ctx, 1000)
	if err != nil {
		t.Fatalf("an image over the budget: %v", err)
	}
	if _, err := g.acquire(ctx, 1); !errors.Is(err, errImageBusy) {
		t.Fatalf("beside an image that holds the whole budget: %v", err)
	}
	rel3()
	// The request's own context ends the wait too.
	g = newImageGate(ImageWork{Workers: 1, Wait: time.Hour})
	rel, _ := g.acquire(ctx, 1)
	defer rel()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.acquire(cctx, 1); !errors.Is(err, errImageBusy) {
		t.Fatalf("with the request gone: %v", err)
	}
}
