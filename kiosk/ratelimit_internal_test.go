package kiosk

import (
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkRateLimitParallel takes one unit at a time from 64 keys' buckets
// from every core at once: the buckets are independent (each its own
// rate.Limiter), not one map behind one mutex as before.
func BenchmarkRateLimitParallel(b *testing.B) {
	l := newLimiter(map[Role]RateLimit{RoleKiosk: {Rate: 1e9, Burst: 1 << 20}}, nil)
	keys := make([]Key, 64)
	for i := range keys {
		keys[i] = Key{Name: "kiosk-" + strconv.Itoa(i), Role: RoleKiosk}
	}
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7))
		for pb.Next() {
			if _, ok, _ := l.take(l.forKey(&keys[i%len(keys)]), 1); !ok {
				b.Fatal("refused")
			}
			i++
		}
	})
}
