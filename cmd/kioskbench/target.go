package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// checkLoopback refuses a host that is not a loopback address: the tool
// must not send load anywhere else unless told to (-allow-remote). A name
// is accepted when it is "localhost" or resolves to loopback addresses only.
func checkLoopback(ctx context.Context, host string) error {
	h := strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if h == "" {
		return fmt.Errorf("no host")
	}
	if ip := net.ParseIP(h); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address (give -allow-remote to load another machine)", h)
		}
		return nil
	}
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(lctx, h)
	if err != nil {
		return fmt.Errorf("%s: %w", h, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("%s resolves to %s, not a loopback address (give -allow-remote to load another machine)", h, ip.IP)
		}
	}
	if len(ips) == 0 {
		return fmt.Errorf("%s resolves to nothing", h)
	}
	return nil
}

// targetBase validates -url and returns it without a trailing slash.
func targetBase(ctx context.Context, o options) (string, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-url %q: want http://host:port", o.URL)
	}
	if !o.AllowRemote {
		if err := checkLoopback(ctx, u.Hostname()); err != nil {
			return "", fmt.Errorf("-url: %w", err)
		}
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// runTarget loads the kioskd under test.
func runTarget(ctx context.Context, o options, ds *dataset, stderr io.Writer) (*report, error) {
	base, err := targetBase(ctx, o)
	if err != nil {
		return nil, err
	}
	tokens, notes, err := loadTokens(o, ds)
	if err != nil {
		return nil, err
	}
	p, err := newPlan(o, ds, tokens, stderr)
	if err != nil {
		return nil, err
	}
	p.name, p.base, p.checkBodies = "target", base, true
	if err := preflight(ctx, p); err != nil {
		return nil, err
	}
	r := p.measure(ctx, o, o.PID)
	r.Notes = append(r.Notes, notes...)
	return r, nil
}

// measure executes the plan with the server's CPU (process pid, 0 for
// none) and, with -redis-stats, Redis's figures measured over the run.
func (p *plan) measure(ctx context.Context, o options, pid int) *report {
	var rm *redisMeter
	if o.RedisStats {
		rm = startRedisMeter(ctx, o)
	}
	cpu := startCPU(pid)
	r := p.execute(ctx)
	cpu.stop(r)
	if rm != nil {
		rm.stop(ctx, r)
	}
	return r
}

// newPlan prepares a load run from the options (the caller sets name,
// base and checkBodies).
func newPlan(o options, ds *dataset, tokens []facilityToken, stderr io.Writer) (*plan, error) {
	m, err := parseMix(o.Mix)
	if err != nil {
		return nil, err
	}
	frames, err := renderFrames(ds, o.Frames, o.Seed)
	if err != nil {
		return nil, fmt.Errorf("rendering camera frames: %w", err)
	}
	p := &plan{
		client: newClient(o.Concurrency, o.Timeout), ds: ds, tokens: tokens, frames: frames, mix: m,
		malformed: o.Malformed, concurrency: o.Concurrency, rate: o.Rate, duration: o.Duration,
		requests: o.Requests, seed: o.Seed, interval: o.Interval,
	}
	if !o.Quiet {
		p.progress = stderr
	}
	return p, nil
}

// preflight checks that the target is up, knows every token, and holds the
// same citizens, so that a misconfigured run fails at once with a reason
// instead of producing a report full of 401s and 404s. It records nothing.
func preflight(ctx context.Context, p *plan) error {
	get := func(method, path, auth, body string) (int, string, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
		if err != nil {
			return 0, "", err
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(bytes.TrimSpace(b)), nil
	}
	st, body, err := get("GET", "/healthz", "", "")
	if err != nil {
		return fmt.Errorf("target %s is not answering: %w (is kioskd running?)", p.base, err)
	}
	if st != 200 {
		return fmt.Errorf("target %s/healthz: %d %s", p.base, st, body)
	}
	last := p.ds.citizens[len(p.ds.citizens)-1].id
	for i, t := range p.tokens {
		fac := ""
		if t.facility != "" {
			fac = `,"facility":"` + t.facility + `"`
		}
		id := last
		if i%2 == 1 {
			id = p.ds.citizens[(i*7919)%len(p.ds.citizens)].id
		}
		st, body, err := get("POST", "/v1/eligibility", t.auth, `{"citizen_id":"`+id+`"`+fac+`}`)
		switch {
		case err != nil:
			return fmt.Errorf("preflight: %w", err)
		case st == 401:
			return fmt.Errorf("the target refuses the token for facility %q (401): start kioskd with -keys of the same file", t.facility)
		case st == 404:
			return fmt.Errorf("the target does not know a citizen of the %s (404: %s): give kioskbench the same -demo-citizens or -data as kioskd", p.ds.source, body)
		case st != 200:
			return fmt.Errorf("preflight eligibility query for facility %q: %d %s", t.facility, st, body)
		}
	}
	return nil
}
