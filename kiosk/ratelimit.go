package kiosk

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// RateLimit is a token bucket per API key: Rate requests a second on
// average, bursts up to Burst. A zero Rate disables the limit. The buckets
// live in this process: behind N kioskd processes a key gets up to N times
// the rate, which is what a limit against a runaway client needs.
type RateLimit struct {
	Rate  float64
	Burst int
}

type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	limits  map[Role]RateLimit
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(limits map[Role]RateLimit, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{now: now, limits: limits, buckets: map[string]*bucket{}}
}

// take spends a token of k's bucket, or returns how long until one is
// available.
func (l *limiter) take(k *Key) (ok bool, wait time.Duration) {
	lim, set := l.limits[k.Role]
	if !set || lim.Rate <= 0 {
		return true, 0
	}
	burst := float64(max(lim.Burst, 1))
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[k.Name]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		l.buckets[k.Name] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*lim.Rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / lim.Rate * float64(time.Second))
}

// rateLimited answers 429 with Retry-After when the caller's key has spent
// its budget. It runs after authentication: the bucket is the key's.
func (s *Server) rateLimited(c *gin.Context) {
	k := keyOf(c)
	if k == nil || s.limiter == nil {
		c.Next()
		return
	}
	if ok, wait := s.limiter.take(k); !ok {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.abort(c, errRateLimited)
		return
	}
	c.Next()
}
