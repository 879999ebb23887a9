package kiosk

import (
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// RateLimit is a token bucket: Rate units of work a second on average,
// bursts up to Burst. A request costs 1, a batch one per item, an image
// one more per megapixel (see costs below). A zero Rate disables it.
//
// The buckets live in this process (golang.org/x/time/rate): behind N
// kioskd processes a key gets up to N times the rate, which is what a limit
// against a runaway client or a flood needs, at no Redis round trip per
// request (Redis is what bounds the service's throughput) and still in
// force while Redis is down, when kioskd answers from its outbox. A
// deployment that must hold a key to one rate across processes would use
// go-redis/redis_rate on the shared Redis instead.
type RateLimit struct {
	Rate  float64
	Burst int
}

// RoleAnonymous names, in Config.RateLimits, the limit of requests that
// carry no valid credentials, per client address: a flood of them, or a
// guesser of tokens and passwords, is refused with 429 before it costs
// more than a hash. No key has this role.
const RoleAnonymous Role = "anonymous"

// Costs of work beyond the request's own 1.
const (
	// imagePixelsPerUnit: an image costs 1 more per started megapixel,
	// since decoding one is work in proportion to its pixels (a camera
	// frame 2, a 12 MP photo 12).
	imagePixelsPerUnit = 1_000_000
)

// maxAddresses bounds the per-address buckets held: the least recently
// seen addresses are forgotten first (a forgotten address starts again
// with a full bucket, which a flood from that many addresses has earned).
const maxAddresses = 65_536

type limiter struct {
	now    func() time.Time
	limits map[Role]RateLimit
	keys   sync.Map // key name → *rate.Limiter; as many as there are keys
	addrs  *lru.Cache[netip.Addr, *rate.Limiter]
}

func newLimiter(limits map[Role]RateLimit, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	addrs, _ := lru.New[netip.Addr, *rate.Limiter](maxAddresses)
	return &limiter{now: now, limits: limits, addrs: addrs}
}

func newBucket(lim RateLimit) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(lim.Rate), max(lim.Burst, 1))
}

// forKey returns k's bucket; nil when its role is not limited.
func (l *limiter) forKey(k *Key) *rate.Limiter {
	lim, set := l.limits[k.Role]
	if !set || lim.Rate <= 0 {
		return nil
	}
	if b, ok := l.keys.Load(k.Name); ok {
		return b.(*rate.Limiter)
	}
	b, _ := l.keys.LoadOrStore(k.Name, newBucket(lim))
	return b.(*rate.Limiter)
}

// forAddr returns the bucket of a client address for requests without
// valid credentials; nil when they are not limited.
func (l *limiter) forAddr(a netip.Addr) *rate.Limiter {
	lim, set := l.limits[RoleAnonymous]
	if !set || lim.Rate <= 0 {
		return nil
	}
	if b, ok := l.addrs.Get(a); ok {
		return b
	}
	b := newBucket(lim)
	if prev, ok, _ := l.addrs.PeekOrAdd(a, b); ok {
		return prev
	}
	return b
}

// take spends n tokens of b, or spends none and says how long until n are
// there. A cost above the burst can never be paid: wait is then -1. The
// reservation r of what was spent can give it back (r.CancelAt).
//
// A refusal reserves nothing: a reservation cancelled later leaves the
// limiter's last event in the future, and would keep an earlier
// reservation from being given back.
func (l *limiter) take(b *rate.Limiter, n int) (r *rate.Reservation, ok bool, wait time.Duration) {
	if b == nil {
		return nil, true, 0
	}
	if n > b.Burst() {
		return nil, false, -1
	}
	now := l.now()
	if b.TokensAt(now) >= float64(n) {
		r = b.ReserveN(now, n)
		if r.OK() && r.DelayFrom(now) == 0 {
			return r, true, 0
		}
		r.CancelAt(now) // another request took the tokens meanwhile
	}
	return nil, false, l.waitFor(b, n)
}

// waitFor says how long until b holds n tokens, spending none.
func (l *limiter) waitFor(b *rate.Limiter, n int) time.Duration {
	missing := float64(n) - b.TokensAt(l.now())
	if missing <= 0 || b.Limit() <= 0 {
		return 0
	}
	return time.Duration(missing / float64(b.Limit()) * float64(time.Second))
}

// ctxPaid holds the reservation of the unit rateLimited took.
const ctxPaid = "kiosk.paid"

// rateLimited answers 429 with Retry-After when the caller's key has spent
// its budget. It runs after authentication: the bucket is the key's. Every
// request costs 1 here; handlers charge the rest of their work (spend).
func (s *Server) rateLimited(c *gin.Context) {
	if k := keyOf(c); k != nil {
		r, ok, wait := s.limiter.take(s.limiter.forKey(k), 1)
		if !ok {
			s.metrics.limited.WithLabelValues("key_rate").Inc()
			s.refuseRate(c, wait, errRateLimited)
			return
		}
		if r != nil {
			c.Set(ctxPaid, r)
		}
	}
	c.Next()
}

// spend charges what a request costs in all (a batch's items, an image's
// megapixels), of which rateLimited took 1. When the key's budget is spent
// it sets Retry-After and returns errRateLimited (429); a cost above the
// key's burst, which no wait would pay, is 413 request_too_costly.
func (s *Server) spend(c *gin.Context, total int) error {
	k := keyOf(c)
	if k == nil || total <= 1 {
		return nil
	}
	b := s.limiter.forKey(k)
	if b == nil {
		return nil
	}
	if total > b.Burst() {
		s.metrics.limited.WithLabelValues("too_costly").Inc()
		return verifier.Errorf(verifier.KindTooLarge, "request_too_costly",
			"this request costs %d units of this key's rate limit, which allows at most %d at once", total, b.Burst())
	}
	if _, ok, _ := s.limiter.take(b, total-1); !ok {
		// Refused whole: the request's own unit is given back, and
		// Retry-After is the wait for all of it, so that the retry passes.
		if v, _ := c.Get(ctxPaid); v != nil {
			if r, _ := v.(*rate.Reservation); r != nil {
				r.CancelAt(s.limiter.now())
				c.Set(ctxPaid, (*rate.Reservation)(nil)) // given back once
			}
		}
		setRetryAfter(c, s.limiter.waitFor(b, total))
		s.metrics.limited.WithLabelValues("key_rate").Inc()
		return errRateLimited
	}
	return nil
}

// chargeAnonymous counts a request without valid credentials against its
// client address. It reports false, having answered 429, when the address
// has sent too many.
func (s *Server) chargeAnonymous(c *gin.Context) bool {
	addr, err := netip.ParseAddr(c.ClientIP())
	if err != nil {
		return true // not a TCP peer (a test's or a Unix socket's): no address to hold to account
	}
	_, ok, wait := s.limiter.take(s.limiter.forAddr(addr.Unmap()), 1)
	if !ok {
		s.metrics.limited.WithLabelValues("address_rate").Inc()
		s.refuseRate(c, wait, errAnonymousRateLimited)
	}
	return ok
}

// refuseRate answers 429 with the whole seconds until the budget allows
// the request again.
func (s *Server) refuseRate(c *gin.Context, wait time.Duration, err error) {
	setRetryAfter(c, wait)
	s.abort(c, err)
}

func setRetryAfter(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}
