package kiosk

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// TestAccessWriterEnqueueAfterClose: handlers that outlive the server's
// shutdown (its grace period ran out) still enqueue their reads while and
// after the writer closes. No send may meet the closed channel (a panic
// before the fix); every entry is either written or counted as dropped.
func TestAccessWriterEnqueueAfterClose(t *testing.T) {
	for range 20 {
		store := NewMemoryAccessLog(1 << 20)
		var dropped atomic.Int64
		w := newAccessWriter(store, slog.New(slog.NewTextHandler(io.Discard, nil)), func() { dropped.Add(1) })
		var wg sync.WaitGroup
		const senders, each = 8, 50
		start := make(chan struct{})
		for range senders {
			wg.Go(func() {
				<-start
				for range each {
					w.enqueue([]verifier.AccessEntry{{At: time.Now(), Key: "his", Subject: "s"}})
				}
			})
		}
		close(start)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		wg.Wait()
		w.enqueue([]verifier.AccessEntry{{At: time.Now(), Key: "late"}})
		written, _ := store.Query(context.Background(), verifier.AccessQuery{From: time.Unix(0, 0), To: time.Now().Add(time.Hour)})
		if got := int64(len(written)) + dropped.Load(); got != senders*each+1 {
			t.Fatalf("%d written + %d dropped, want %d in all", len(written), dropped.Load(), senders*each+1)
		}
		if dropped.Load() == 0 {
			t.Fatal("the entry enqueued after Close was not counted as dropped")
		}
	}
}
