package kiosk

import (
	"context"
	"runtime"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// ImageWork bounds the decoding of uploaded images (POST /v1/decode and
// image check-ins), so that hostile or merely large images cannot exhaust
// the process: eight 6000x6000 PNGs of 150 KB each, decoded at once, took
// kioskd from 46 MB to over 1.7 GB. The pixel count a request may send is
// Config.Image's (its header is read first, and nothing is decoded beyond
// it); this bounds how many are decoded at once and the memory they hold.
type ImageWork struct {
	// Workers is how many images are decoded at once: default the cores
	// less one (at least one), so that a core is left to text check-ins,
	// which image work must not slow down.
	Workers int
	// Memory bounds the estimated memory (qrimage.Header.WorkBytes) of the
	// images decoded at once; default 256 MiB. An image estimated above it
	// runs alone.
	Memory int64
	// Wait is the longest a request waits for room (the request's own
	// context may end it sooner); default 2 s. Then it is answered 503
	// image_work_busy with Retry-After, rather than queued without end.
	Wait time.Duration
}

// imageGate admits image work within the bounds of an ImageWork.
type imageGate struct {
	workers *semaphore.Weighted
	memory  *semaphore.Weighted
	memCap  int64
	wait    time.Duration
}

func newImageGate(w ImageWork) *imageGate {
	if w.Workers <= 0 {
		w.Workers = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if w.Memory <= 0 {
		w.Memory = 256 << 20
	}
	if w.Wait <= 0 {
		w.Wait = 2 * time.Second
	}
	return &imageGate{
		workers: semaphore.NewWeighted(int64(w.Workers)),
		memory:  semaphore.NewWeighted(w.Memory), memCap: w.Memory,
		wait: w.Wait,
	}
}

var errImageBusy = &verifier.Error{Kind: verifier.KindUnavailable, Code: "image_work_busy",
	Message: "the server is decoding as many images as it can hold; retry after the time in Retry-After, or send the scanner's text"}

// acquire waits for room for an image of the estimated work bytes, within
// the gate's wait and ctx. release must be called when the image and what
// was made of it are no longer used.
func (g *imageGate) acquire(ctx context.Context, work int64) (release func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	work = min(max(work, 1), g.memCap)
	if err := g.memory.Acquire(ctx, work); err != nil {
		return nil, errImageBusy
	}
	if err := g.workers.Acquire(ctx, 1); err != nil {
		g.memory.Release(work)
		return nil, errImageBusy
	}
	return func() {
		g.workers.Release(1)
		g.memory.Release(work)
	}, nil
}
