package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/cmd/internal/syncbuf"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/recordjson"
	"github.com/vnhealth/cccd-checkin/verifier/registryhttp"
)

// start runs the real registryd in-process on a free port and returns its
// base URL and a stop func that returns run's error.
func start(t *testing.T, args ...string) (base string, stop func() error) {
	t.Helper()
	base, stop, _ = startLogged(t, args...)
	return base, stop
}

// startLogged is start, with registryd's log.
func startLogged(t *testing.T, args ...string) (base string, stop func() error, stderr *syncbuf.Buffer) {
	t.Helper()
	stdout := &syncbuf.Buffer{}
	stderr = &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-shutdown-grace", "2s"}, args...), stdout, stderr)
	}()
	re := regexp.MustCompile(`registryd listening on (http://\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("registryd exited early: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("registryd did not start; stderr:\n%s", stderr.String())
		}
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("registryd did not stop")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop, stderr
}

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The demo data set is kioskd's (seed 1, today), served record for record.
func TestServesDemoData(t *testing.T) {
	const token = "registry-test-token"
	base, stop := start(t, "-demo-citizens", "40", "-token", token)
	set := demodata.Generate(demodata.Options{N: 40, Seed: 1, Now: demodata.Today()})
	cit := set.Citizens[0]

	status, body := get(t, base+"/citizens/"+string(cit.ID), token)
	want, _ := recordjson.Marshal(&cit)
	if status != 200 || strings.TrimSpace(string(body)) != string(want) {
		t.Errorf("GET /citizens/{id}: %d %s\nwant %s", status, body, want)
	}
	if status, _ := get(t, base+"/citizens/"+string(cit.ID), ""); status != 401 {
		t.Errorf("without the token: %d, want 401", status)
	}
	if status, _ := get(t, base+"/healthz", ""); status != 200 {
		t.Errorf("GET /healthz: %d", status)
	}
	status, body = get(t, base+"/citizens/001099000000", token)
	if status != 404 || !strings.Contains(string(body), `"code":"citizen_not_found"`) {
		t.Errorf("unknown citizen: %d %s", status, body)
	}
	status, body = get(t, base+"/citizens/001099000000/cards", token)
	if status != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("cards of an unknown citizen: %d %s, want []", status, body)
	}
	if status, _ := get(t, base+"/citizens/12ab/cards", token); status != 400 {
		t.Errorf("malformed ID: %d, want 400", status)
	}

	// The adapter against the real command: every record as generated.
	c, err := registryhttp.New(base, registryhttp.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for _, want := range set.Citizens {
		got, err := c.Citizen(ctx, want.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("citizen: %v\n got %+v\nwant %+v", err, got, want)
		}
	}
	for _, want := range set.Cards {
		got, err := c.Card(ctx, want.CardNo)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("card: %v\n got %+v\nwant %+v", err, got, want)
		}
	}
	for _, want := range set.Facilities {
		got, err := c.Facility(ctx, want.Code)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("facility: %v", err)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}

// -data serves a data directory in the contract's format.
func TestServesDataDir(t *testing.T) {
	dir := t.TempDir()
	opt := demodata.Options{N: 25, Seed: 9, Now: verifier.Date{Year: 2026, Month: 6, Day: 15}}
	if err := demodata.WriteDir(dir, opt); err != nil {
		t.Fatal(err)
	}
	reg, err := inmem.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	set := demodata.Generate(opt)
	base, _ := start(t, "-data", dir)
	for _, k := range set.Cards[:5] {
		want, _ := reg.Card(context.Background(), k.CardNo)
		status, body := get(t, base+"/cards/"+k.CardNo, "")
		var got verifier.Card
		if status != 200 || json.Unmarshal(body, &got) != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("GET /cards/{no}: %d %s", status, body)
		}
	}
	cit := set.Citizens[3]
	status, body := get(t, base+"/citizens/"+string(cit.ID)+"/cards", "")
	var cards []verifier.Card
	if status != 200 || json.Unmarshal(body, &cards) != nil {
		t.Errorf("GET /citizens/{id}/cards: %d %s", status, body)
	}
	for _, k := range cards {
		if k.CitizenID != cit.ID {
			t.Errorf("card of another citizen in the answer")
		}
	}
	status, body = get(t, base+"/facilities/08001", "")
	if status != 200 || !strings.Contains(string(body), `"code":"08001"`) {
		t.Errorf("GET /facilities/08001: %d %s", status, body)
	}
}

// -error-rate 1 answers every request 503, and the adapter's breaker opens.
func TestErrorRate(t *testing.T) {
	base, _ := start(t, "-demo-citizens", "5", "-error-rate", "1")
	if status, _ := get(t, base+"/facilities/08001", ""); status != 503 {
		t.Errorf("status %d with -error-rate 1, want 503", status)
	}
	br := breaker.New(breaker.Options{Failures: 3, OpenFor: time.Minute})
	c, _ := registryhttp.New(base, registryhttp.Options{Breaker: br, BackoffBase: time.Millisecond})
	defer c.Close()
	_, err := c.Facility(context.Background(), "08001")
	if verifier.KindOf(err) != verifier.KindUnavailable || br.State() != breaker.Open {
		t.Errorf("error %v, breaker %s; want unavailable and open", err, br.State())
	}
}

// A hanging request does not hold up shutdown beyond the grace period.
// A request that hangs (-hang-rate) does not hold the stop: it is cut at
// the end of the grace period, the log says so, and its client sees the
// connection go.
func TestShutdownWithHangingRequest(t *testing.T) {
	base, stop, stderr := startLogged(t, "-demo-citizens", "5", "-hang-rate", "1", "-shutdown-grace", "300ms")
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get(base + "/facilities/01002")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				err = fmt.Errorf("answered %d", resp.StatusCode)
			}
		}
		answered <- err
	}()
	// The stop begins once the request is in its handler, held open.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "injected hang"); {
		select {
		case err := <-answered:
			t.Fatalf("the request ended before the stop: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the request was not held open; log:\n%s", stderr.String())
		}
	}
	if err := stop(); err != nil { // fails the test if the stop takes 10 s
		t.Errorf("stop: %v", err)
	}
	select {
	case err := <-answered:
		if err == nil || strings.HasPrefix(err.Error(), "answered") {
			t.Errorf("the hanging request: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the hanging request's connection was left open after the stop")
	}
	if !strings.Contains(stderr.String(), "requests cut at the end of the grace period") {
		t.Errorf("the log does not say requests were cut:\n%s", stderr.String())
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-error-rate", "1.5"},
		{"-error-rate", "0.6", "-hang-rate", "0.6"},
		{"-hang-rate", "-0.1"},
		{"-latency", "-1s"},
		{"-demo-citizens", "0"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		if err := run(context.Background(), args, io.Discard, &stderr); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, io.Discard, &stderr); err == nil {
		t.Error("an empty data directory: no error")
	}
}

// -token-file keeps the token off the command line; with -token as well,
// or empty, it is refused.
func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("token-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, "-demo-citizens", "5", "-token-file", file)
	if status, _ := get(t, base+"/healthz", ""); status != 200 {
		t.Errorf("healthz: %d", status)
	}
	if status, _ := get(t, base+"/citizens/001099000000", "token-from-file"); status == 401 {
		t.Error("the token of the file was refused")
	}
	if status, _ := get(t, base+"/citizens/001099000000", "token-from-file\n"[:5]); status != 401 {
		t.Errorf("another token: %d, want 401", status)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, args := range [][]string{{"-token", "x", "-token-file", file}, {"-token-file", empty}, {"-token-file", filepath.Join(dir, "missing")}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
