package kiosk

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// AccessLog stores access entries for the retention period. It is
// declared here, where it is used; kiosk/redisstore implements it.
type AccessLog interface {
	Append(ctx context.Context, entries []verifier.AccessEntry) error
	Query(ctx context.Context, q verifier.AccessQuery) ([]verifier.AccessEntry, error)
}

const ctxRead = "kiosk.read"

// readSubjects notes which citizens a handler returned data about, for
// the keys whose reads auditReads logs; a kiosk's check-ins are in the
// window already and are not noted (nor the list allocated) for them.
func readSubjects(c *gin.Context, ids ...verifier.CitizenID) {
	if !logsReads(keyOf(c)) {
		return
	}
	prev, _ := c.Get(ctxRead)
	list, _ := prev.([]verifier.CitizenID)
	c.Set(ctxRead, append(list, ids...))
}

// logsReads reports whether the reads made with key k go to the access log.
func logsReads(k *Key) bool {
	return k != nil && (k.Role == RoleHIS || k.Role == RoleAuditor)
}

// auditReads queues an access entry per citizen read by an HIS or auditor
// key. Writing happens in the background; the request does not wait.
func (s *Server) auditReads(c *gin.Context) {
	c.Next()
	k := keyOf(c)
	if !logsReads(k) || s.access == nil {
		return
	}
	v, _ := c.Get(ctxRead)
	ids, _ := v.([]verifier.CitizenID)
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	now := time.Now().UTC()
	action := c.Request.Method + " " + c.FullPath()
	entries := make([]verifier.AccessEntry, 0, len(ids))
	for _, id := range ids {
		entries = append(entries, verifier.AccessEntry{At: now, Key: k.Name, Role: string(k.Role), Facility: k.Facility, Action: action,
			Subject: s.pseudonyms.Of(id), Status: c.Writer.Status()})
	}
	s.access.enqueue(entries)
}

// accessWriter batches entries into the AccessLog from one goroutine.
type accessWriter struct {
	log     AccessLog
	logger  *slog.Logger
	ch      chan []verifier.AccessEntry
	done    chan struct{}
	dropped func()

	// mu orders the senders against Close: enqueue sends holding a read
	// lock and only while closed is false; Close sets closed and closes ch
	// holding the write lock. So no send ever meets a closed channel, even
	// from a handler that outlives the HTTP server's shutdown (a grace
	// period that ran out leaves handlers running after Close).
	mu     sync.RWMutex
	closed bool
}

func newAccessWriter(l AccessLog, logger *slog.Logger, dropped func()) *accessWriter {
	w := &accessWriter{log: l, logger: logger, ch: make(chan []verifier.AccessEntry, 4096), done: make(chan struct{}), dropped: dropped}
	go w.run()
	return w
}

func (w *accessWriter) enqueue(e []verifier.AccessEntry) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		// A read answered after the writer stopped: counted and logged as
		// lost, never a send on the closed channel.
		w.dropped()
		w.logger.Warn("access log closed: entries dropped", slog.Int("entries", len(e)))
		return
	}
	t := time.NewTimer(50 * time.Millisecond)
	defer t.Stop()
	select {
	case w.ch <- e:
	case <-t.C:
		// The store is far behind: a reader must not wait on the audit
		// trail, but the loss is counted and logged.
		w.dropped()
		w.logger.Warn("access log queue full: entries dropped", slog.Int("entries", len(e)))
	}
}

func (w *accessWriter) run() {
	defer close(w.done)
	for batch := range w.ch {
		// Gather what else is queued into one write.
	more:
		for len(batch) < 1000 {
			select {
			case e, ok := <-w.ch:
				if !ok {
					break more
				}
				batch = append(batch, e...)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := w.log.Append(ctx, batch); err != nil {
			w.dropped()
			w.logger.Error("access log write failed", slog.Int("entries", len(batch)), slog.String("error", verifier.AsError(err).Message))
		}
		cancel()
	}
}

// Close writes what is queued and stops the writer. Entries enqueued
// after it are dropped (and counted).
func (w *accessWriter) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type accessResponse struct {
	Items []verifier.AccessEntry `json:"items"`
}

// accessLog answers GET /v1/access-log for auditors: who read whose data.
func (s *Server) accessLog(c *gin.Context) {
	from, err := time.Parse(time.DateOnly, c.Query("from"))
	if err != nil {
		s.abort(c, verifier.Errorf(verifier.KindUnprocessable, "invalid_date", "from must be a day as YYYY-MM-DD"))
		return
	}
	to, err := time.Parse(time.DateOnly, c.Query("to"))
	if err != nil {
		s.abort(c, verifier.Errorf(verifier.KindUnprocessable, "invalid_date", "to must be a day as YYYY-MM-DD"))
		return
	}
	if to.Before(from) || to.Sub(from) > 31*24*time.Hour {
		s.abort(c, verifier.Errorf(verifier.KindUnprocessable, "invalid_range", "from..to must be a range of at most 31 days"))
		return
	}
	// Local days, as the auditor means them.
	q := verifier.AccessQuery{
		From:  time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, s.location),
		To:    time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, s.location),
		Key:   c.Query("key"),
		Limit: 1000,
	}
	if id := c.Query("citizen_id"); id != "" {
		cid, err := verifier.ParseCitizenID(id)
		if err != nil {
			s.abort(c, err)
			return
		}
		q.Subject = s.pseudonyms.Of(cid)
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10000 {
			s.abort(c, badRequest("invalid_limit", "limit must be a whole number from 1 to 10000"))
			return
		}
		q.Limit = n
	}
	items, err := s.accessStore.Query(c.Request.Context(), q)
	if err != nil {
		s.abort(c, err)
		return
	}
	if items == nil {
		items = []verifier.AccessEntry{}
	}
	c.JSON(http.StatusOK, accessResponse{Items: items})
}

// MemoryAccessLog keeps the newest entries in process memory, up to a cap.
type MemoryAccessLog struct {
	mu      sync.Mutex
	max     int
	entries []verifier.AccessEntry
}

// NewMemoryAccessLog keeps at most max entries (the oldest go first).
func NewMemoryAccessLog(max int) *MemoryAccessLog { return &MemoryAccessLog{max: max} }

func (m *MemoryAccessLog) Append(_ context.Context, e []verifier.AccessEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, e...)
	if over := len(m.entries) - m.max; over > 0 {
		m.entries = slices.Delete(m.entries, 0, over)
	}
	return nil
}

func (m *MemoryAccessLog) Query(_ context.Context, q verifier.AccessQuery) ([]verifier.AccessEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return verifier.FilterAccess(m.entries, q), nil
}
