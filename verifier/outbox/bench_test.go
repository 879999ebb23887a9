package outbox_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/outbox"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// BenchmarkRecordRedis is kioskd's own path of a check-in's write: the
// outbox in front of redisledger on a redis-server of its own, a first
// visit of the day each time, from one goroutine ("serial", the client)
// and from 16 per CPU ("parallel", through the AutoPipeliner as kioskd
// runs it). Run with -benchmem: allocations per check-in.
func BenchmarkRecordRedis(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	opt, _ := redis.ParseURL(srv.URL(0))
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	b.Cleanup(func() { c.Close() })
	ctx := context.Background()
	var n atomic.Int64
	now := time.Now()
	for _, parallel := range []bool{false, true} {
		name := "serial"
		lo := redisledger.Options{PseudonymKey: []byte("bench")}
		if parallel {
			name = "parallel"
			ap, err := c.AsyncAutoPipeline()
			if err != nil {
				b.Fatal(err)
			}
			lo.Scripter = ap
		}
		b.Run(name, func(b *testing.B) {
			ob, err := outbox.New(redisledger.New(c, lo), outbox.Options{Dir: b.TempDir(), Timeout: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			defer ob.Close(ctx)
			next := func() {
				i := n.Add(1)
				r := ledgertest.NewRecording(fmt.Sprintf("b%d", i), ledgertest.Citizen(int(i)), "08001", now)
				if _, err := ob.Record(ctx, r); err != nil {
					b.Error(err)
				}
			}
			b.ReportAllocs()
			if parallel {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						next()
					}
				})
			} else {
				for b.Loop() {
					next()
				}
			}
		})
	}
}
