package kiosk

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// IdempotencyTTL is how long the first answer to an Idempotency-Key is
// kept: a kiosk that lost its link replays its queue with the same keys
// when the link returns, which may be the next morning.
const IdempotencyTTL = 24 * time.Hour

// MaxStoredAnswer bounds one stored answer (compressed and sealed). A
// 500-item batch answer takes about 1/10 of it; an answer that would not
// fit is not kept, and its retry runs again (where the window's repeat
// rule still recognises its check-ins).
const MaxStoredAnswer = 256 << 10

// IdempotencyStore keeps the first answer per key. It is declared here,
// where it is used; kiosk/redisstore implements it for several processes,
// MemoryIdempotency for one. The answers are opaque bytes to a store: what
// they hold and how is decided here, once (see sealAnswer).
type IdempotencyStore interface {
	// Begin claims key for the caller (claimed), or returns the answer
	// stored under it (stored != nil), or neither: another request holds
	// the key right now. Begin is atomic across every process sharing the
	// store. A claim that is neither finished nor abandoned lapses after
	// about a minute.
	Begin(ctx context.Context, key string) (stored []byte, claimed bool, err error)
	// Finish replaces the caller's claim with the answer, kept for ttl.
	Finish(ctx context.Context, key string, answer []byte, ttl time.Duration) error
	// Abandon frees the caller's claim so that a retry can run.
	Abandon(ctx context.Context, key string) error
}

// answer is what a replay needs: the status, the body, and the request's
// fingerprint, so that a key reused for another request is refused.
type answer struct {
	Status      int
	Fingerprint [16]byte
	Body        []byte
}

// sealAnswer encodes a for the store: the body compressed (a batch's
// answer shrinks about tenfold: it repeats its field names 500 times), then
// encrypted with AES-GCM under a key derived from the server's secret and
// the scoped Idempotency-Key. The store's copy names citizens (a replay
// must give back the same answer), so whoever reads the store (a Redis
// dump, a replica, a backup) without the caller's Idempotency-Key and the
// secret reads nothing; docs/operations.md says what it holds.
//
// Layout: version 1 | nonce (12) | GCM(status (2) | fingerprint (16) |
// deflated body).
func sealAnswer(secret []byte, scoped string, a answer) []byte {
	var plain bytes.Buffer
	plain.Grow(len(a.Body)/8 + 64)
	plain.Write(binary.BigEndian.AppendUint16(nil, uint16(a.Status)))
	plain.Write(a.Fingerprint[:])
	// BestSpeed: a 435 KB batch answer is kept as 37 KB in 4.3 ms, where
	// the default level takes 9.2 ms for 29 KB (BenchmarkSealBatchAnswer,
	// 2 shared cores), next to the 500 check-ins the batch records
	// (about 10 ms in process, more against Redis).
	zw, _ := flate.NewWriter(&plain, flate.BestSpeed)
	zw.Write(a.Body)
	zw.Close()
	aead := answerAEAD(secret, scoped)
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+plain.Len()+aead.Overhead())
	out[0] = 1
	rand.Read(out[1 : 1+aead.NonceSize()])
	return aead.Seal(out, out[1:1+aead.NonceSize()], plain.Bytes(), []byte(scoped))
}

// maxReplayBody bounds what an opened answer may inflate to: more than
// any endpoint answers (a 500-item batch is about 400 KB).
const maxReplayBody = 16 << 20

var errSealed = errors.New("stored answer cannot be opened")

func openAnswer(secret []byte, scoped string, b []byte) (answer, error) {
	aead := answerAEAD(secret, scoped)
	n := aead.NonceSize()
	if len(b) < 1+n || b[0] != 1 {
		return answer{}, errSealed
	}
	plain, err := aead.Open(nil, b[1:1+n], b[1+n:], []byte(scoped))
	if err != nil || len(plain) < 18 {
		return answer{}, errSealed
	}
	a := answer{Status: int(binary.BigEndian.Uint16(plain))}
	copy(a.Fingerprint[:], plain[2:18])
	body, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(plain[18:])), maxReplayBody))
	if err != nil {
		return answer{}, errSealed
	}
	a.Body = body
	return a, nil
}

// answerAEAD is AES-256-GCM under HMAC-SHA256(secret, purpose | scoped).
func answerAEAD(secret []byte, scoped string) cipher.AEAD {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("idempotency answer\x00"))
	m.Write([]byte(scoped))
	block, _ := aes.NewCipher(m.Sum(nil)) // 32 bytes: never an error
	aead, _ := cipher.NewGCM(block)
	return aead
}

// idempotencyBodyLimit is what a request may send to be fingerprinted: the
// endpoint's own limit for its content type, so that no more is read (or
// held) here than the handler would accept.
func (s *Server) idempotencyBodyLimit(c *gin.Context) int64 {
	switch c.FullPath() {
	case "/v1/checkins/batch":
		return s.maxBatchBody
	case "/v1/checkins":
		if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt == "multipart/form-data" {
			return s.image.MaxBytes + s.maxBody
		}
	}
	return s.maxBody
}

// idempotent replays the first answer to a repeated Idempotency-Key, so a
// hospital system that retries a check-in never records a second visit.
// Keys are scoped by API key: two callers cannot see each other's answers.
func (s *Server) idempotent(c *gin.Context) {
	ik := c.GetHeader("Idempotency-Key")
	if ik == "" || s.idem == nil {
		c.Next()
		return
	}
	if len(ik) > 200 {
		s.abort(c, badRequest("invalid_idempotency_key", "Idempotency-Key may have at most 200 characters"))
		return
	}
	// The body is read here to fingerprint it, and handed on unchanged;
	// never more than the endpoint accepts, and a body too large is
	// refused before anything is claimed or stored.
	limit := s.idempotencyBodyLimit(c)
	if c.Request.ContentLength > limit {
		s.abort(c, tooLarge())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		if isMaxBytes(err) {
			s.abort(c, tooLarge())
		} else {
			s.abort(c, badRequest("invalid_body", "the request body could not be read"))
		}
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	fp := s.fingerprint(c.FullPath(), body)
	scoped := keyOf(c).Name + "\x00" + ik

	ctx := context.WithoutCancel(c.Request.Context())
	stored, claimed, err := s.idem.Begin(ctx, scoped)
	if err != nil {
		// Without the store a retry could record twice; refusing is the
		// safe answer, and the HIS retries later.
		s.abort(c, verifier.Wrap(err, verifier.KindUnavailable, "idempotency_unavailable", "the idempotency store is unavailable; retry later"))
		return
	}
	switch {
	case stored != nil:
		a, err := openAnswer(s.idemSecret, scoped, stored)
		if err != nil {
			// Sealed under another secret (the pseudonym key changed)
			// or damaged: whether the first request ran is unknown.
			s.abort(c, verifier.Wrap(err, verifier.KindInternal, "idempotency_corrupt", "a stored answer cannot be read"))
			return
		}
		if a.Fingerprint != fp {
			s.abort(c, verifier.Errorf(verifier.KindUnprocessable, "idempotency_key_reused", "this Idempotency-Key was used with a different request"))
			return
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(a.Status, "application/json; charset=utf-8", a.Body)
		c.Abort()
		return
	case !claimed:
		c.Header("Retry-After", "1")
		c.AbortWithStatusJSON(http.StatusConflict, errorBody{Error: errorDetail{Code: "idempotency_in_progress", Message: "a request with this Idempotency-Key is still being processed; retry shortly"}})
		return
	}
	finished := false
	defer func() {
		// A panic below (answered 500 by recoverJSON) frees the key.
		if !finished {
			_ = s.idem.Abandon(ctx, scoped)
		}
	}()
	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	finished = true
	// Only final answers are kept: a 5xx, 429 or 503 may succeed on retry.
	st := rec.Status()
	if st >= 500 || st == http.StatusTooManyRequests {
		_ = s.idem.Abandon(ctx, scoped)
		return
	}
	sealed := sealAnswer(s.idemSecret, scoped, answer{Status: st, Fingerprint: fp, Body: rec.buf.Bytes()})
	if len(sealed) > MaxStoredAnswer {
		s.log.LogAttrs(ctx, slog.LevelWarn, "idempotent answer too large to keep", slog.String("route", c.FullPath()), slog.Int("bytes", len(sealed)))
		_ = s.idem.Abandon(ctx, scoped)
		return
	}
	_ = s.idem.Finish(ctx, scoped, sealed, IdempotencyTTL)
}

// fingerprint identifies a request's route and body.
func (s *Server) fingerprint(route string, body []byte) [16]byte {
	h := sha256.New()
	h.Write([]byte(route))
	h.Write([]byte{0})
	h.Write(body)
	var fp [16]byte
	copy(fp[:], h.Sum(nil))
	return fp
}

// recordingWriter keeps a copy of the response body.
type recordingWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.buf.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

// MemoryIdempotency is an in-process IdempotencyStore for single-process
// deployments and the demo: the answers in a least-recently-used list
// bounded by count and by bytes, each kept until its TTL, and the claims
// of requests in flight beside them.
type MemoryIdempotency struct {
	mu       sync.Mutex
	now      func() time.Time
	answers  *simplelru.LRU[string, memAnswer]
	bytes    int // held by answers
	maxBytes int
	claims   map[string]time.Time // key → when the claim lapses
}

type memAnswer struct {
	b       []byte
	expires time.Time
}

// Default bounds of NewMemoryIdempotency.
const (
	DefaultIdempotencyEntries = 100_000
	DefaultIdempotencyBytes   = 64 << 20
)

// NewMemoryIdempotency returns an empty store of at most
// DefaultIdempotencyEntries answers and DefaultIdempotencyBytes, using the
// given clock (nil: time.Now).
func NewMemoryIdempotency(now func() time.Time) *MemoryIdempotency {
	return NewMemoryIdempotencyBounded(now, DefaultIdempotencyEntries, DefaultIdempotencyBytes)
}

// NewMemoryIdempotencyBounded is NewMemoryIdempotency with the bounds: the
// least recently used answers go first when either is reached.
func NewMemoryIdempotencyBounded(now func() time.Time, entries, maxBytes int) *MemoryIdempotency {
	if now == nil {
		now = time.Now
	}
	m := &MemoryIdempotency{now: now, maxBytes: maxBytes, claims: map[string]time.Time{}}
	// simplelru rather than expirable.LRU: the clock is injected (the
	// expirable cache reads time.Now and runs a goroutine per cache), and
	// an expired answer is found and dropped in O(1) at the list's tail.
	m.answers, _ = simplelru.NewLRU(max(entries, 1), func(_ string, v memAnswer) { m.bytes -= len(v.b) })
	return m
}

// claimTTL bounds how long a crashed request can hold a key.
const claimTTL = time.Minute

// maxClaims bounds the claims held at once: far more requests than one
// process has in flight. Beyond it the lapsed ones are dropped.
const maxClaims = 10_000

func (m *MemoryIdempotency) Begin(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.dropExpired(now)
	if a, ok := m.answers.Get(key); ok {
		if now.Before(a.expires) {
			return a.b, false, nil
		}
		m.answers.Remove(key)
	}
	if lapses, ok := m.claims[key]; ok && now.Before(lapses) {
		return nil, false, nil
	}
	if len(m.claims) >= maxClaims {
		for k, lapses := range m.claims {
			if !now.Before(lapses) {
				delete(m.claims, k)
			}
		}
	}
	m.claims[key] = now.Add(claimTTL)
	return nil, true, nil
}

// dropExpired removes expired answers from the least recently used end;
// each answer is removed once, so this is O(1) a call on average.
func (m *MemoryIdempotency) dropExpired(now time.Time) {
	for {
		_, a, ok := m.answers.GetOldest()
		if !ok || now.Before(a.expires) {
			return
		}
		m.answers.RemoveOldest()
	}
}

func (m *MemoryIdempotency) Finish(_ context.Context, key string, b []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.claims, key)
	if len(b) > m.maxBytes {
		return nil
	}
	m.answers.Remove(key) // Add would replace it without the eviction callback
	m.answers.Add(key, memAnswer{b: bytes.Clone(b), expires: m.now().Add(ttl)})
	m.bytes += len(b)
	for m.bytes > m.maxBytes {
		m.answers.RemoveOldest()
	}
	return nil
}

func (m *MemoryIdempotency) Abandon(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.claims, key)
	return nil
}

// Len returns the answers held and their bytes.
func (m *MemoryIdempotency) Len() (answers, bytes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.answers.Len(), m.bytes
}
