package kiosk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// IdempotencyTTL is how long the first answer to an Idempotency-Key is kept.
const IdempotencyTTL = 24 * time.Hour

// Answer is a stored response to an idempotent request.
type Answer struct {
	Status      int    `json:"s"`
	Body        []byte `json:"b"`
	Fingerprint string `json:"f"` // hash of the request body the key was first used with
}

// Claim states.
const (
	ClaimNew  = iota // the caller holds the key and must Finish or Abandon it
	ClaimDone        // an answer is stored: replay it
	ClaimBusy        // another request holds the key right now
)

// IdempotencyStore keeps the first answer per key. Begin is atomic across
// every process sharing the store.
type IdempotencyStore interface {
	Begin(ctx context.Context, key string, ttl time.Duration) (Answer, int, error)
	Finish(ctx context.Context, key string, a Answer, ttl time.Duration) error
	Abandon(ctx context.Context, key string) error
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
	// The body is read here (within the endpoint's limit) to fingerprint
	// it, and handed on unchanged.
	limit := s.maxBody
	if c.FullPath() == "/v1/checkins" {
		limit = s.image.MaxBytes + s.maxBody
	}
	if c.FullPath() == "/v1/checkins/batch" {
		limit = s.maxBatchBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		s.abort(c, tooLarge())
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(c.FullPath()+"\x00"), body...))
	fp := hex.EncodeToString(sum[:16])
	scoped := keyOf(c).Name + "\x00" + ik

	ctx := context.WithoutCancel(c.Request.Context())
	ans, state, err := s.idem.Begin(ctx, scoped, IdempotencyTTL)
	if err != nil {
		// Without the store a retry could record twice; refusing is the
		// safe answer, and the HIS retries later.
		s.abort(c, verifier.Wrap(err, verifier.KindUnavailable, "idempotency_unavailable", "the idempotency store is unavailable; retry later"))
		return
	}
	switch state {
	case ClaimBusy:
		c.Header("Retry-After", "1")
		c.AbortWithStatusJSON(http.StatusConflict, errorBody{Error: errorDetail{Code: "idempotency_in_progress", Message: "a request with this Idempotency-Key is still being processed; retry shortly"}})
		return
	case ClaimDone:
		if ans.Fingerprint != fp {
			s.abort(c, verifier.Errorf(verifier.KindUnprocessable, "idempotency_key_reused", "this Idempotency-Key was used with a different request"))
			return
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(ans.Status, "application/json; charset=utf-8", ans.Body)
		c.Abort()
		return
	}
	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	// Only final answers are kept: a 5xx or 429 may succeed on retry.
	if st := rec.Status(); st < 500 && st != http.StatusTooManyRequests {
		_ = s.idem.Finish(ctx, scoped, Answer{Status: st, Body: rec.buf.Bytes(), Fingerprint: fp}, IdempotencyTTL)
	} else {
		_ = s.idem.Abandon(ctx, scoped)
	}
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
// deployments and the demo.
type MemoryIdempotency struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]memEntry
}

type memEntry struct {
	ans     Answer
	done    bool
	expires time.Time
}

// NewMemoryIdempotency returns an empty store using the given clock (nil:
// time.Now).
func NewMemoryIdempotency(now func() time.Time) *MemoryIdempotency {
	if now == nil {
		now = time.Now
	}
	return &MemoryIdempotency{now: now, entries: map[string]memEntry{}}
}

// claimTTL bounds how long a crashed request can hold a key.
const claimTTL = time.Minute

func (m *MemoryIdempotency) Begin(_ context.Context, key string, _ time.Duration) (Answer, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.entries) > 100_000 {
		m.sweep(now)
	}
	if e, ok := m.entries[key]; ok && now.Before(e.expires) {
		if e.done {
			return e.ans, ClaimDone, nil
		}
		return Answer{}, ClaimBusy, nil
	}
	m.entries[key] = memEntry{expires: now.Add(claimTTL)}
	return Answer{}, ClaimNew, nil
}

func (m *MemoryIdempotency) Finish(_ context.Context, key string, a Answer, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[key] = memEntry{ans: a, done: true, expires: m.now().Add(ttl)}
	return nil
}

func (m *MemoryIdempotency) Abandon(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
	return nil
}

func (m *MemoryIdempotency) sweep(now time.Time) {
	for k, e := range m.entries {
		if !now.Before(e.expires) {
			delete(m.entries, k)
		}
	}
}
