package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Kinds of request.
const (
	kCheckin   = iota // scan text of a citizen at a facility: a new visit
	kRepeat           // the same citizen at the same facility minutes later: "repeat": true
	kDup              // the same citizen at another facility the same day: "flagged": true
	kElig             // POST /v1/eligibility by citizen ID
	kImage            // POST /v1/decode of a 640x480 JPEG camera frame
	kMalformed        // a request that must be refused with a 4xx
	nKinds
)

var kindNames = [nKinds]string{"checkin", "repeat", "dup", "eligibility", "image", "malformed"}

// mix is the cumulative weights of the well-formed kinds.
type mix struct {
	cum   [kMalformed]int
	total int
}

func parseMix(s string) (mix, error) {
	var m mix
	var w [kMalformed]int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if !ok || err != nil || n < 0 {
			return m, fmt.Errorf("-mix: %q is not kind=weight", part)
		}
		k := -1
		for i, kn := range kindNames[:kMalformed] {
			if strings.TrimSpace(name) == kn {
				k = i
			}
		}
		if k < 0 {
			return m, fmt.Errorf("-mix: unknown kind %q (checkin, repeat, dup, eligibility, image; malformed requests are -malformed)", name)
		}
		w[k] += n
	}
	for i := range w {
		m.total += w[i]
		m.cum[i] = m.total
	}
	if m.total == 0 {
		return m, errors.New("-mix: all weights are zero")
	}
	return m, nil
}

func (m mix) pick(r *rand.Rand) int {
	x := r.IntN(m.total)
	for k, c := range m.cum {
		if x < c {
			return k
		}
	}
	return kCheckin
}

// request is one request to send and what its answer must be.
type request struct {
	kind        int
	variant     string // malformed: which kind of bad input
	path        string
	contentType string
	body        []byte
	auth        string
	wantRepeat  bool   // a 200 must say "repeat": true
	wantFlag    bool   // a 200 must say "flagged": true
	wantFresh   bool   // a 200 should say neither: the citizen is new today
	wantText    string // a 200 must contain this (image: the citizen's ID)
	visit       visit  // remembered for later repeats and dups on a 200
}

type visit struct {
	citizen, token int
}

// generator builds the requests of one worker.
type generator struct {
	ds      *dataset
	tokens  []facilityToken
	frames  []frame
	mix     mix
	badRate float64
	r       *rand.Rand
	recent  [64]visit // this worker's recent check-ins
	nRecent int
	big     []byte
	walk    walk
}

// walk hands out the citizens of new check-ins: every worker steps through
// its own share of one permutation of the pool, so a new check-in is a
// citizen nobody has checked in during this run (until the pool runs out
// and the walk wraps). Picking at random instead would make most "new"
// check-ins of a long run duplicates of earlier ones, taking the rarer,
// costlier duplicate path and growing every answer: a mix that no longer
// says what it claims.
type walk struct {
	n, start, step uint64 // i-th citizen: (start + i*step) mod n
	next, stride   uint64 // this worker's next i, and the number of workers
}

func newWalk(n int, seed uint64, worker, workers int) walk {
	w := walk{n: uint64(max(n, 1)), next: uint64(worker), stride: uint64(max(workers, 1))}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	w.start = r.Uint64N(w.n)
	// A step coprime with n visits every citizen once per lap; near n/φ
	// it spreads consecutive check-ins over the whole data set.
	w.step = uint64(float64(w.n)*0.6180339887) | 1
	for gcd(w.step, w.n) != 1 {
		w.step++
	}
	return w
}

func (w *walk) citizen() int {
	c := (w.start + (w.next%w.n)*w.step) % w.n
	w.next += w.stride
	return int(c)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func newGenerator(ds *dataset, tokens []facilityToken, frames []frame, m mix, malformed float64, seed uint64, worker, workers int, big []byte) *generator {
	return &generator{ds: ds, tokens: tokens, frames: frames, mix: m, badRate: malformed,
		r: rand.New(rand.NewPCG(seed, uint64(worker)+1)), big: big,
		walk: newWalk(len(ds.citizens), seed, worker, workers)}
}

func (g *generator) remember(v visit) {
	g.recent[g.nRecent%len(g.recent)] = v
	g.nRecent++
}

func (g *generator) recentVisit() (visit, bool) {
	n := min(g.nRecent, len(g.recent))
	if n == 0 {
		return visit{}, false
	}
	return g.recent[g.r.IntN(n)], true
}

func (g *generator) checkinBody(citizen, token int, extra string) []byte {
	c := &g.ds.citizens[citizen]
	t := &g.tokens[token]
	b := make([]byte, 0, 64+len(c.scanJSON)+len(extra))
	b = append(b, '{')
	if t.facility != "" {
		b = append(b, `"facility":"`...)
		b = append(b, t.facility...)
		b = append(b, `",`...)
	}
	b = append(b, extra...)
	b = append(b, `"scan":`...)
	b = append(b, c.scanJSON...)
	b = append(b, '}')
	return b
}

func (g *generator) next() request {
	if g.badRate > 0 && g.r.Float64() < g.badRate {
		return g.malformed()
	}
	k := g.mix.pick(g.r)
	switch k {
	case kRepeat:
		if v, ok := g.recentVisit(); ok {
			return request{kind: kRepeat, path: "/v1/checkins", contentType: "application/json",
				body: g.checkinBody(v.citizen, v.token, ""), auth: g.tokens[v.token].auth, wantRepeat: true, visit: v}
		}
	case kDup:
		if v, ok := g.recentVisit(); ok {
			other := g.otherToken(v.token)
			if other >= 0 {
				nv := visit{citizen: v.citizen, token: other}
				return request{kind: kDup, path: "/v1/checkins", contentType: "application/json",
					body: g.checkinBody(nv.citizen, nv.token, ""), auth: g.tokens[other].auth, wantFlag: true, visit: nv}
			}
		}
	case kElig:
		ci, ti := g.r.IntN(len(g.ds.citizens)), g.r.IntN(len(g.tokens))
		b := []byte(`{"citizen_id":"` + g.ds.citizens[ci].id + `"`)
		if f := g.tokens[ti].facility; f != "" {
			b = append(b, `,"facility":"`+f+`"`...)
		}
		b = append(b, '}')
		return request{kind: kElig, path: "/v1/eligibility", contentType: "application/json", body: b, auth: g.tokens[ti].auth}
	case kImage:
		f := &g.frames[g.r.IntN(len(g.frames))]
		return request{kind: kImage, path: "/v1/decode", contentType: f.contentType, body: f.body,
			auth: g.tokens[g.r.IntN(len(g.tokens))].auth, wantText: g.ds.citizens[f.citizen].id}
	}
	// A new check-in (also what a repeat or dup becomes before this worker
	// has checked anybody in).
	v := visit{citizen: g.walk.citizen(), token: g.r.IntN(len(g.tokens))}
	return request{kind: kCheckin, path: "/v1/checkins", contentType: "application/json",
		body: g.checkinBody(v.citizen, v.token, ""), auth: g.tokens[v.token].auth, visit: v, wantFresh: true}
}

// otherToken returns a token of a facility other than that of token t, or -1.
func (g *generator) otherToken(t int) int {
	if len(g.tokens) < 2 || g.tokens[t].facility == "" {
		return -1
	}
	for range 8 {
		o := g.r.IntN(len(g.tokens))
		if g.tokens[o].facility != g.tokens[t].facility {
			return o
		}
	}
	return -1
}

// malformedVariants are bad requests the contract says get a 4xx.
var malformedVariants = []string{
	"bad_json", "not_object", "wrong_type", "empty_body", "garbage_scan", "oversized",
	"wrong_content_type", "unknown_citizen", "bad_visit_type", "bad_scanned_at",
	"eligibility_empty", "decode_not_image", "bad_token", "other_facility",
}

var garbageScans = []string{"hello world", "|||", "123|abc", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "0|0|0"}

func (g *generator) malformed() request {
	ti := g.r.IntN(len(g.tokens))
	t := &g.tokens[ti]
	req := request{kind: kMalformed, path: "/v1/checkins", contentType: "application/json", auth: t.auth}
	req.variant = malformedVariants[g.r.IntN(len(malformedVariants))]
	ci := g.r.IntN(len(g.ds.citizens))
	switch req.variant {
	case "bad_json":
		req.body = []byte(`{"scan": `)
	case "not_object":
		req.body = []byte(`[1,2]`)
	case "wrong_type":
		req.body = []byte(`{"citizen_id": 8095001234}`)
	case "empty_body":
		req.body = nil
	case "garbage_scan":
		b, _ := jsonString(garbageScans[g.r.IntN(len(garbageScans))])
		req.body = []byte(`{"scan":` + b + `}`)
	case "oversized":
		req.body = g.big
	case "wrong_content_type":
		req.contentType = "text/plain"
		req.body = []byte("citizen_id=" + g.ds.citizens[ci].id)
	case "unknown_citizen":
		req.body = []byte(`{"citizen_id":"999999999999"}`)
	case "bad_visit_type":
		req.body = g.checkinBody(ci, ti, `"visit_type":"spa",`)
	case "bad_scanned_at":
		req.body = g.checkinBody(ci, ti, `"scanned_at":"yesterday",`)
	case "eligibility_empty":
		req.path, req.body = "/v1/eligibility", []byte(`{}`)
	case "decode_not_image":
		req.path = "/v1/decode"
		req.contentType = notImageType
		req.body = notImageBody
	case "bad_token":
		req.auth = "Bearer kioskbench-not-a-valid-token"
		req.body = g.checkinBody(ci, ti, "")
	case "other_facility":
		if o := g.otherToken(ti); o >= 0 {
			// This facility's name with another facility's token: 403.
			req.body = g.checkinBody(ci, ti, "")
			req.auth = g.tokens[o].auth
		} else {
			req.variant, req.body = "bad_json", []byte(`{"scan": `)
		}
	}
	return req
}

var notImageBody, notImageType = func() ([]byte, string) {
	const boundary = "kioskbench0123456789"
	body := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"card.png\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\nthis is not an image at all\r\n--" + boundary + "--\r\n"
	return []byte(body), "multipart/form-data; boundary=" + boundary
}()

func jsonString(s string) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// oversizedBody is a check-in larger than kioskd's 64 KiB JSON limit.
func oversizedBody() []byte {
	return []byte(`{"scan":"` + strings.Repeat("x", 100<<10) + `"}`)
}

// outcome is what became of one request.
type outcome struct {
	status  int    // 0: no answer
	errKind string // transport error class, "" when answered
	miss    string // a 200 that lacked what it should say
}

// kindStats are one worker's figures for one kind of request.
type kindStats struct {
	h      hist
	status map[int]uint64
	errs   map[string]uint64
	misses map[string]uint64
	bad    map[string]map[int]uint64 // malformed: status by variant
}

// recorder is one worker's figures; the interval reporter reads it under mu.
type recorder struct {
	mu    sync.Mutex
	kinds [nKinds]kindStats
	iv    hist
	ivErr uint64
	iv5xx uint64
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.kinds {
		r.kinds[i] = kindStats{status: map[int]uint64{}, errs: map[string]uint64{}, misses: map[string]uint64{}, bad: map[string]map[int]uint64{}}
	}
	return r
}

func (r *recorder) record(req *request, o outcome, lat time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := &r.kinds[req.kind]
	k.h.record(lat)
	r.iv.record(lat)
	k.status[o.status]++
	if o.errKind != "" {
		k.errs[o.errKind]++
		r.ivErr++
	}
	if o.status >= 500 {
		r.iv5xx++
	}
	if o.miss != "" {
		k.misses[o.miss]++
	}
	if req.kind == kMalformed {
		m := k.bad[req.variant]
		if m == nil {
			m = map[int]uint64{}
			k.bad[req.variant] = m
		}
		m[o.status]++
	}
}

// plan is one load run.
type plan struct {
	name        string
	base        string
	client      *http.Client
	ds          *dataset
	tokens      []facilityToken
	frames      []frame
	mix         mix
	malformed   float64
	concurrency int
	rate        float64
	duration    time.Duration
	requests    int64
	seed        uint64
	interval    time.Duration
	progress    io.Writer // nil: no interval lines
	checkBodies bool      // look for repeat/flagged/decoded ID in 200s (off for the baseline)
}

// newClient is an HTTP/1.1 client with keep-alive connections enough for
// conc requests in flight, no proxy and no redirects.
func newClient(conc int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * conc,
		MaxIdleConnsPerHost: conc,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     16 << 10,
		ReadBufferSize:      16 << 10,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// execute runs the plan and returns its report.
func (p *plan) execute(ctx context.Context) *report {
	recs := make([]*recorder, p.concurrency)
	for i := range recs {
		recs[i] = newRecorder()
	}
	big := oversizedBody()
	start := time.Now()
	deadline := time.Time{}
	if p.requests == 0 {
		deadline = start.Add(p.duration)
	}
	var next atomic.Int64
	var period time.Duration
	if p.rate > 0 {
		period = time.Duration(float64(time.Second) / p.rate)
	}
	var maxLag atomic.Int64

	stopIv := make(chan struct{})
	ivDone := make(chan []intervalReport, 1)
	go func() { ivDone <- p.intervals(start, recs, stopIv) }()

	var wg sync.WaitGroup
	for w := range p.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGenerator(p.ds, p.tokens, p.frames, p.mix, p.malformed, p.seed, w, p.concurrency, big)
			buf := make([]byte, 0, 8<<10)
			for ctx.Err() == nil {
				var t0 time.Time
				if p.rate > 0 {
					i := next.Add(1) - 1
					if p.requests > 0 && i >= p.requests {
						return
					}
					t0 = start.Add(time.Duration(i) * period)
					if !deadline.IsZero() && !t0.Before(deadline) {
						return
					}
					if d := time.Until(t0); d > 0 {
						select {
						case <-ctx.Done():
							return
						case <-time.After(d):
						}
					} else if lag := int64(-d); lag > maxLag.Load() {
						maxLag.Store(lag) // racy maximum; close enough for a note
					}
				} else {
					if p.requests > 0 && next.Add(1) > p.requests {
						return
					}
					t0 = time.Now()
					if !deadline.IsZero() && !t0.Before(deadline) {
						return
					}
				}
				req := g.next()
				var o outcome
				o, buf = p.send(ctx, &req, buf)
				lat := time.Since(t0)
				if o.errKind == "canceled" && ctx.Err() != nil {
					return // interrupted: not the server's doing
				}
				recs[w].record(&req, o, lat)
				if o.status == 200 && (req.kind == kCheckin || req.kind == kDup) {
					g.remember(req.visit)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopIv)
	r := p.summarise(recs, elapsed)
	r.Intervals = <-ivDone
	r.Drift = driftOf(r.Intervals)
	if p.rate > 0 {
		r.Rate = p.rate
		if lag := time.Duration(maxLag.Load()); lag > 10*time.Millisecond {
			r.Notes = append(r.Notes, fmt.Sprintf("open loop fell behind schedule by up to %s (the in-flight bound -c %d was reached); latencies include that wait", lag.Round(time.Millisecond), p.concurrency))
		}
	}
	return r
}

// send does one request and reads the whole answer (so the connection is
// reused); buf is the worker's reusable response buffer.
func (p *plan) send(ctx context.Context, req *request, buf []byte) (outcome, []byte) {
	var body io.Reader = http.NoBody
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+req.path, body)
	if err != nil {
		return outcome{errKind: "request"}, buf
	}
	if req.contentType != "" {
		hr.Header.Set("Content-Type", req.contentType)
	}
	hr.Header.Set("Authorization", req.auth)
	resp, err := p.client.Do(hr)
	if err != nil {
		return outcome{errKind: errClass(err)}, buf
	}
	buf = buf[:0]
	bb := bytes.NewBuffer(buf)
	_, err = bb.ReadFrom(io.LimitReader(resp.Body, 4<<20))
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	buf = bb.Bytes()
	o := outcome{status: resp.StatusCode}
	if err != nil {
		o.errKind = "read_" + errClass(err)
		return o, buf
	}
	if o.status == 200 && p.checkBodies {
		switch {
		case req.kind <= kDup && bytes.Contains(buf, []byte(`"dedupe":"unavailable"`)):
			// Answered, but not recorded in the same-day window.
			o.miss = "dedupe_unavailable"
		case req.wantRepeat && !bytes.Contains(buf, []byte(`"repeat":true`)):
			o.miss = "repeat_not_detected"
		case req.wantFlag && !bytes.Contains(buf, []byte(`"flagged":true`)):
			o.miss = "duplicate_not_flagged"
		case req.wantText != "" && !bytes.Contains(buf, []byte(req.wantText)):
			o.miss = "wrong_decode"
		case req.wantFresh && (bytes.Contains(buf, []byte(`"flagged":true`)) || bytes.Contains(buf, []byte(`"repeat":true`))):
			o.miss = "seen_before"
		}
	}
	return o, buf
}

func errClass(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection_reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	}
	return "other"
}

// intervals prints (and returns) the throughput and latency of each
// interval until stop is closed.
func (p *plan) intervals(start time.Time, recs []*recorder, stop <-chan struct{}) []intervalReport {
	if p.interval <= 0 {
		<-stop
		return nil
	}
	var out []intervalReport
	t := time.NewTicker(p.interval)
	defer t.Stop()
	last := start
	for {
		select {
		case <-stop:
			return out
		case now := <-t.C:
			var h hist
			var errs, fives uint64
			for _, r := range recs {
				r.mu.Lock()
				h.merge(&r.iv)
				errs += r.ivErr
				fives += r.iv5xx
				r.iv.reset()
				r.ivErr, r.iv5xx = 0, 0
				r.mu.Unlock()
			}
			secs := now.Sub(last).Seconds()
			last = now
			ir := intervalReport{
				At: round(now.Sub(start).Seconds(), 1), Requests: h.n, Throughput: round(float64(h.n)/secs, 1),
				P50: ms(h.quantile(0.5)), P99: ms(h.quantile(0.99)), Max: ms(h.max), Status5xx: fives, Errors: errs,
			}
			out = append(out, ir)
			if p.progress != nil {
				fmt.Fprintf(p.progress, "%-8s %6.0fs  %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  max %7.1f ms  5xx %d  errors %d\n",
					p.name, ir.At, ir.Throughput, ir.P50, ir.P99, ir.Max, fives, errs)
			}
		}
	}
}
