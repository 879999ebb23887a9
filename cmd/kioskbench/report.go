package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// latency is a latency summary in milliseconds.
type latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func summary(h *hist) latency {
	return latency{Count: h.n, Mean: ms(h.mean()), P50: ms(h.quantile(0.5)), P90: ms(h.quantile(0.9)),
		P99: ms(h.quantile(0.99)), Max: ms(h.max)}
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

type kindReport struct {
	Requests   uint64            `json:"requests"`
	Throughput float64           `json:"throughput_rps"`
	Latency    latency           `json:"latency"`
	Status     map[string]uint64 `json:"status"`
	Errors     map[string]uint64 `json:"errors,omitempty"`
	Misses     map[string]uint64 `json:"misses,omitempty"`
	// Variants: malformed requests, status counts by kind of bad input.
	Variants map[string]map[string]uint64 `json:"variants,omitempty"`
}

type intervalReport struct {
	At         float64 `json:"at_s"`
	Requests   uint64  `json:"requests"`
	Throughput float64 `json:"throughput_rps"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	Max        float64 `json:"max_ms"`
	Status5xx  uint64  `json:"status_5xx"`
	Errors     uint64  `json:"errors"`
}

// drift compares the first and the last intervals of a run (a sixth of
// the run each, at least one interval): a service that slows down as its
// window fills, leaks or fragments shows here.
type drift struct {
	Intervals    int     `json:"intervals_each"`
	FirstRPS     float64 `json:"first_rps"`
	LastRPS      float64 `json:"last_rps"`
	RPSChangePct float64 `json:"rps_change_pct"`
	FirstP99     float64 `json:"first_p99_ms"`
	LastP99      float64 `json:"last_p99_ms"`
	P99ChangePct float64 `json:"p99_change_pct"`
}

func driftOf(iv []intervalReport) *drift {
	if len(iv) < 3 {
		return nil
	}
	k := max(1, len(iv)/6)
	avg := func(xs []intervalReport, f func(intervalReport) float64) float64 {
		var s float64
		for _, x := range xs {
			s += f(x)
		}
		return s / float64(len(xs))
	}
	rps := func(x intervalReport) float64 { return x.Throughput }
	p99 := func(x intervalReport) float64 { return x.P99 }
	d := &drift{Intervals: k,
		FirstRPS: round(avg(iv[:k], rps), 1), LastRPS: round(avg(iv[len(iv)-k:], rps), 1),
		FirstP99: round(avg(iv[:k], p99), 3), LastP99: round(avg(iv[len(iv)-k:], p99), 3)}
	if d.FirstRPS > 0 {
		d.RPSChangePct = round(100*(d.LastRPS-d.FirstRPS)/d.FirstRPS, 1)
	}
	if d.FirstP99 > 0 {
		d.P99ChangePct = round(100*(d.LastP99-d.FirstP99)/d.FirstP99, 1)
	}
	return d
}

// checks are the reliability criteria of the target: no 5xx, every valid
// check-in answered 200, every malformed request refused with a 4xx.
type checks struct {
	Status5xx         uint64 `json:"status_5xx"`
	LostValidCheckins uint64 `json:"lost_valid_checkins"`
	FailedValidOther  uint64 `json:"failed_valid_other"`
	MalformedNot4xx   uint64 `json:"malformed_not_4xx"`
	TransportErrors   uint64 `json:"transport_errors"`
	// DedupeUnavailable counts valid check-ins answered 200 with "dedupe":
	// "unavailable": the patient was seen but the visit is not in the
	// same-day window, so a later duplicate goes unflagged. It fails the
	// checks like a lost check-in (expected only while the window's store
	// is really down).
	DedupeUnavailable uint64 `json:"dedupe_unavailable"`
	// Semantic misses are informational: a 200 without the expected repeat
	// or duplicate flag (possible if the window was cleared meanwhile).
	RepeatsNotDetected uint64 `json:"repeats_not_detected"`
	DupsNotFlagged     uint64 `json:"duplicates_not_flagged"`
	WrongDecodes       uint64 `json:"wrong_decodes"`
	// NewSeenBefore counts new check-ins whose citizen the window already
	// held today (flagged or repeat): the run did not measure the mix it
	// claims. It happens when the window keeps an earlier run's visits of
	// the same day, or when the run checks in more citizens than -pool.
	NewSeenBefore       uint64 `json:"new_checkins_seen_before"`
	NewTotal            uint64 `json:"new_checkins"`
	Passed              bool   `json:"passed"`
	ValidCheckinsTotal  uint64 `json:"valid_checkins"`
	MalformedTotal      uint64 `json:"malformed"`
	MalformedRefused4xx uint64 `json:"malformed_refused_4xx"`
}

type report struct {
	Name        string                 `json:"name"`
	URL         string                 `json:"url"`
	Data        string                 `json:"data"`
	Mode        string                 `json:"mode"`
	Concurrency int                    `json:"concurrency"`
	Rate        float64                `json:"rate_rps,omitempty"`
	Mix         string                 `json:"mix"`
	Malformed   float64                `json:"malformed_share"`
	Facilities  int                    `json:"facilities"`
	Citizens    int                    `json:"citizens"`
	Elapsed     float64                `json:"elapsed_s"`
	Requests    uint64                 `json:"requests"`
	Throughput  float64                `json:"throughput_rps"`
	Latency     latency                `json:"latency"`
	Status      map[string]uint64      `json:"status"`
	Errors      map[string]uint64      `json:"errors,omitempty"`
	Kinds       map[string]*kindReport `json:"kinds"`
	Checks      *checks                `json:"checks,omitempty"`
	// ToolCPU is the CPU time kioskbench itself used (for a baseline run
	// with -floor inprocess, that includes the handler and its Redis client).
	ToolCPU float64 `json:"tool_cpu_s,omitempty"`
	// ServerCPU is the CPU time of the server process (-pid), and per
	// request in milliseconds: a figure the machine's other load barely moves.
	ServerCPU           float64 `json:"server_cpu_s,omitempty"`
	ServerCPUPerRequest float64 `json:"server_cpu_ms_per_request,omitempty"`
	// Redis is what the run cost the Redis of -redis (-redis-stats).
	Redis     *redisReport     `json:"redis,omitempty"`
	Intervals []intervalReport `json:"intervals,omitempty"`
	Drift     *drift           `json:"drift,omitempty"`
	Notes     []string         `json:"notes,omitempty"`
}

func (p *plan) summarise(recs []*recorder, elapsed time.Duration) *report {
	r := &report{
		Name: p.name, URL: p.base, Data: p.ds.source, Mode: "closed loop", Concurrency: p.concurrency,
		Mix: mixString(p.mix), Malformed: p.malformed, Facilities: len(p.tokens), Citizens: len(p.ds.citizens),
		Elapsed: round(elapsed.Seconds(), 3), Status: map[string]uint64{}, Errors: map[string]uint64{},
		Kinds: map[string]*kindReport{},
	}
	if p.rate > 0 {
		r.Mode = "open loop"
	}
	var all hist
	c := &checks{}
	for k := range nKinds {
		var h hist
		kr := &kindReport{Status: map[string]uint64{}, Errors: map[string]uint64{}, Misses: map[string]uint64{}}
		for _, rec := range recs {
			rec.mu.Lock()
			ks := &rec.kinds[k]
			h.merge(&ks.h)
			for s, n := range ks.status {
				kr.Status[statusKey(s)] += n
			}
			for e, n := range ks.errs {
				kr.Errors[e] += n
			}
			for m, n := range ks.misses {
				kr.Misses[m] += n
			}
			for v, st := range ks.bad {
				if kr.Variants == nil {
					kr.Variants = map[string]map[string]uint64{}
				}
				if kr.Variants[v] == nil {
					kr.Variants[v] = map[string]uint64{}
				}
				for s, n := range st {
					kr.Variants[v][statusKey(s)] += n
				}
			}
			rec.mu.Unlock()
		}
		if h.n == 0 {
			continue
		}
		kr.Requests = h.n
		kr.Throughput = round(float64(h.n)/elapsed.Seconds(), 1)
		kr.Latency = summary(&h)
		all.merge(&h)
		r.Kinds[kindNames[k]] = kr
		for s, n := range kr.Status {
			r.Status[s] += n
			code, _ := strconv.Atoi(s)
			if code >= 500 {
				c.Status5xx += n
			}
			switch {
			case k == kMalformed:
				c.MalformedTotal += n
				if code >= 400 && code < 500 {
					c.MalformedRefused4xx += n
				} else {
					c.MalformedNot4xx += n
				}
			case k == kCheckin || k == kRepeat || k == kDup:
				c.ValidCheckinsTotal += n
				if code != 200 {
					c.LostValidCheckins += n
				}
			default:
				if code != 200 {
					c.FailedValidOther += n
				}
			}
		}
		for e, n := range kr.Errors {
			r.Errors[e] += n
			c.TransportErrors += n
		}
		c.DedupeUnavailable += kr.Misses["dedupe_unavailable"]
		c.RepeatsNotDetected += kr.Misses["repeat_not_detected"]
		c.DupsNotFlagged += kr.Misses["duplicate_not_flagged"]
		c.WrongDecodes += kr.Misses["wrong_decode"]
		c.NewSeenBefore += kr.Misses["seen_before"]
		if k == kCheckin {
			c.NewTotal += kr.Status[statusKey(200)]
		}
	}
	r.Requests = all.n
	r.Throughput = round(float64(all.n)/elapsed.Seconds(), 1)
	r.Latency = summary(&all)
	if p.checkBodies {
		c.Passed = c.Status5xx == 0 && c.LostValidCheckins == 0 && c.MalformedNot4xx == 0 && c.FailedValidOther == 0 && c.DedupeUnavailable == 0
		r.Checks = c
		if c.NewTotal > 0 && c.NewSeenBefore*100 > c.NewTotal {
			r.Notes = append(r.Notes, fmt.Sprintf("%.1f%% of new check-ins found their citizen already in today's window, so they took the duplicate path: the window holds an earlier run's visits of today, or this run checked in more citizens than the pool of %d; for figures of the stated mix, start kioskd on an empty window (a fresh Redis DB) and size -pool and -demo-citizens above the run's check-ins",
				100*float64(c.NewSeenBefore)/float64(c.NewTotal), len(p.ds.citizens)))
		}
	}
	return r
}

func statusKey(s int) string {
	if s == 0 {
		return "none"
	}
	return strconv.Itoa(s)
}

func mixString(m mix) string {
	var parts []string
	prev := 0
	for k, c := range m.cum {
		if c > prev {
			parts = append(parts, fmt.Sprintf("%s=%d", kindNames[k], c-prev))
		}
		prev = c
	}
	return strings.Join(parts, ",")
}

// output is the whole report: the baseline, the target, or both and their
// ratio.
type output struct {
	Baseline *report `json:"baseline,omitempty"`
	Target   *report `json:"target,omitempty"`
	Ratio    *ratio  `json:"ratio,omitempty"`
}

// ratio expresses the target as a multiple of the baseline: throughput
// (target/baseline, at most about 1 when the service is no faster than
// one Redis round trip) and latencies (target/baseline, ≥ 1).
type ratio struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P90        float64 `json:"p90"`
	P99        float64 `json:"p99"`
}

func newOutput(rs []*report) *output {
	o := &output{}
	for _, r := range rs {
		if r.Name == "baseline" {
			o.Baseline = r
		} else {
			o.Target = r
		}
	}
	if o.Baseline != nil && o.Target != nil {
		div := func(a, b float64) float64 {
			if b == 0 {
				return 0
			}
			return round(a/b, 3)
		}
		b, t := o.Baseline, o.Target
		o.Ratio = &ratio{
			Throughput: div(t.Throughput, b.Throughput),
			P50:        div(t.Latency.P50, b.Latency.P50),
			P90:        div(t.Latency.P90, b.Latency.P90),
			P99:        div(t.Latency.P99, b.Latency.P99),
		}
	}
	return o
}

func (o *output) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(o)
}

func (o *output) writeText(w io.Writer) error {
	for _, r := range []*report{o.Baseline, o.Target} {
		if r != nil {
			writeReport(w, r)
		}
	}
	if r := o.Ratio; r != nil {
		fmt.Fprintf(w, "\ntarget / baseline: throughput %.3f (%.0f / %.0f req/s), p50 %.2fx, p90 %.2fx, p99 %.2fx\n",
			r.Throughput, o.Target.Throughput, o.Baseline.Throughput, r.P50, r.P90, r.P99)
	}
	return nil
}

func writeReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "== %s: %s\n", r.Name, r.URL)
	mode := fmt.Sprintf("%s, %d connections", r.Mode, r.Concurrency)
	if r.Rate > 0 {
		mode = fmt.Sprintf("%s at %.0f req/s, at most %d in flight", r.Mode, r.Rate, r.Concurrency)
	}
	fmt.Fprintf(w, "   %s; mix %s; malformed %.0f%%; %d facilities, %d citizens of the %s\n",
		mode, r.Mix, 100*r.Malformed, r.Facilities, r.Citizens, r.Data)
	fmt.Fprintf(w, "   %d requests in %.2f s: %.0f req/s\n", r.Requests, r.Elapsed, r.Throughput)
	if r.ServerCPU > 0 {
		fmt.Fprintf(w, "   server CPU %.1f s (%.0f%% of one core), %.3f ms per request; kioskbench CPU %.1f s\n",
			r.ServerCPU, 100*r.ServerCPU/r.Elapsed, r.ServerCPUPerRequest, r.ToolCPU)
	} else if r.ToolCPU > 0 {
		fmt.Fprintf(w, "   kioskbench CPU %.1f s (%.0f%% of one core)\n", r.ToolCPU, 100*r.ToolCPU/r.Elapsed)
	}
	if rs := r.Redis; rs != nil {
		fmt.Fprintf(w, "   Redis main thread %.2f µs of CPU per request (a ceiling of %.0f req/s on one shard); %.3f EVALSHA per request, %.2f µs each\n",
			rs.CPUPerRequest, rs.Ceiling, rs.EvalshaPerReq, rs.UsecPerEvalsha)
	}
	fmt.Fprintf(w, "   %-12s %9s %9s %9s %9s %9s %9s  %s\n", "kind", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "status")
	row := func(name string, n uint64, rps float64, l latency, st map[string]uint64) {
		fmt.Fprintf(w, "   %-12s %9d %9.0f %9.2f %9.2f %9.2f %9.1f  %s\n", name, n, rps, l.P50, l.P90, l.P99, l.Max, statusString(st))
	}
	for _, k := range kindNames {
		if kr := r.Kinds[k]; kr != nil {
			row(k, kr.Requests, kr.Throughput, kr.Latency, kr.Status)
		}
	}
	row("all", r.Requests, r.Throughput, r.Latency, r.Status)
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "   transport errors: %s\n", statusString(r.Errors))
	}
	if kr := r.Kinds["malformed"]; kr != nil {
		var vs []string
		for v, st := range kr.Variants {
			vs = append(vs, v+" "+statusString(st))
		}
		slices.Sort(vs)
		fmt.Fprintf(w, "   malformed: %s\n", strings.Join(vs, "; "))
	}
	if c := r.Checks; c != nil {
		verdict := "PASSED"
		if !c.Passed {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "   checks %s: 5xx %d; valid check-ins not 200: %d of %d; malformed not 4xx: %d of %d; other valid requests not 200: %d\n",
			verdict, c.Status5xx, c.LostValidCheckins, c.ValidCheckinsTotal, c.MalformedNot4xx, c.MalformedTotal, c.FailedValidOther)
		fmt.Fprintf(w, "   window: valid check-ins answered \"dedupe\": \"unavailable\" (not recorded): %d; repeats not detected %d, duplicates not flagged %d; new check-ins already seen today %d of %d; wrong image decodes %d\n",
			c.DedupeUnavailable, c.RepeatsNotDetected, c.DupsNotFlagged, c.NewSeenBefore, c.NewTotal, c.WrongDecodes)
	}
	if d := r.Drift; d != nil {
		fmt.Fprintf(w, "   drift (first vs last %d intervals): %.0f → %.0f req/s (%+.1f%%), p99 %.2f → %.2f ms (%+.1f%%)\n",
			d.Intervals, d.FirstRPS, d.LastRPS, d.RPSChangePct, d.FirstP99, d.LastP99, d.P99ChangePct)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "   note: %s\n", n)
	}
}

func statusString(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%d", k, m[k])
	}
	return b.String()
}
