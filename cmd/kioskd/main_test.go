package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/cmd/internal/syncbuf"
	"github.com/vnhealth/cccd-checkin/kiosk"
)

const (
	kioskToken   = "kiosk-08001-token-0123456789"
	hisToken     = "his-08002-token-0123456789ab"
	auditorToken = "auditor-token-0123456789abcd"
)

// startServer runs the real kioskd in-process on a free port with the
// test data directory and returns its base URL, its log and a stop func.
func startServer(t *testing.T, extra ...string) (base string, logs *syncbuf.Buffer, stop func() error) {
	t.Helper()
	dir := t.TempDir()
	keys := fmt.Sprintf(`[
		{"name":"desk-1","role":"kiosk","facility":"08001","token":%q},
		{"name":"his-yenson","role":"his","facility":"08002","token":%q},
		{"name":"auditor-1","role":"auditor","token":%q}]`, kioskToken, kiosk.HashToken(hisToken), auditorToken)
	keysFile := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keysFile, []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	// Debug logging: every request is logged, so the privacy check below
	// sees all of them.
	args := append([]string{"-addr", "127.0.0.1:0", "-data", "testdata/data", "-keys", keysFile, "-log-level", "debug"}, extra...)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(string) string { return "" }, nil, stdout, stderr) }()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("kioskd exited early: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("kioskd did not start; stderr:\n%s", stderr.String())
		}
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return base, stderr, stop
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.status, r.body)
	}
	return m
}

func do(t *testing.T, method, url, token, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

func postJSON(t *testing.T, url, token, body string) response {
	return do(t, http.MethodPost, url, token, "application/json", strings.NewReader(body))
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

const scanAn = "008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021\r\n"

func TestCheckinEndToEnd(t *testing.T) {
	base, logs, stop := startServer(t)
	today := time.Now().In(mustLoc(t)).Format(time.DateOnly)

	// A kiosk at the provincial hospital scans An's card.
	r := postJSON(t, base+"/v1/checkins", kioskToken, fmt.Sprintf(`{"scan": %q, "kiosk": "desk-1"}`, scanAn))
	if r.status != 200 {
		t.Fatalf("check-in: %d %s", r.status, r.body)
	}
	first := r.json(t)
	checks := map[string]any{
		"citizen.full_name":            "Nguyễn Văn An",
		"identity.verified":            true,
		"identity.source":              "cccd_qr",
		"eligibility.status":           "eligible",
		"eligibility.code":             "000",
		"eligibility.coverage_percent": float64(0), // self-referred outpatient at a provincial hospital
		"visit.facility":               "08001",
		"visit.day":                    today,
		"duplicate.flagged":            false,
		"dedupe":                       "ok",
		"repeat":                       false,
	}
	for path, want := range checks {
		if got := get(first, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}

	// The same card scanned again a moment later is the same check-in.
	r = postJSON(t, base+"/v1/checkins", kioskToken, fmt.Sprintf(`{"scan": %q}`, scanAn))
	again := r.json(t)
	if again["repeat"] != true || again["checkin_id"] != first["checkin_id"] {
		t.Errorf("re-scan: repeat=%v id=%v, want true and %v", again["repeat"], again["checkin_id"], first["checkin_id"])
	}

	// The district health centre's HIS checks An in by citizen ID: flagged.
	r = postJSON(t, base+"/v1/checkins", hisToken, `{"citizen_id": "008095001234", "visit_type": "outpatient"}`)
	if r.status != 200 {
		t.Fatalf("HIS check-in: %d %s", r.status, r.body)
	}
	second := r.json(t)
	if get(second, "duplicate", "flagged") != true {
		t.Fatalf("second facility not flagged: %s", r.body)
	}
	others := get(second, "duplicate", "others").([]any)
	if len(others) != 1 || get(others[0].(map[string]any), "facility") != "08001" {
		t.Errorf("others = %v, want the visit at 08001", others)
	}
	if get(second, "eligibility", "coverage_percent") != float64(80) {
		t.Errorf("coverage at the registered facility = %v, want 80", get(second, "eligibility", "coverage_percent"))
	}

	// The auditor sees the group, as JSON and as CSV.
	r = do(t, "GET", base+"/v1/duplicates?from="+today+"&to="+today, auditorToken, "", nil)
	dups := r.json(t)
	items, _ := dups["items"].([]any)
	if r.status != 200 || len(items) != 1 {
		t.Fatalf("duplicates: %d %s", r.status, r.body)
	}
	if visits := get(items[0].(map[string]any), "visits").([]any); len(visits) != 2 {
		t.Errorf("group has %d visits, want 2", len(visits))
	}
	r = do(t, "GET", base+"/v1/duplicates?format=csv&from="+today+"&to="+today, auditorToken, "", nil)
	if !bytes.HasPrefix(r.body, []byte("\ufeffcitizen_id,")) || bytes.Count(r.body, []byte("\n")) != 3 {
		t.Errorf("CSV export: %q", r.body)
	}
	if !strings.Contains(string(r.body), "Nguyễn Văn An") {
		t.Error("CSV lacks the citizen's name")
	}

	r = do(t, "GET", base+"/v1/duplicates/summary?from="+today+"&to="+today, auditorToken, "", nil)
	if sum := r.json(t); sum["groups"] != float64(1) || sum["visits"] != float64(2) {
		t.Errorf("summary: %s", r.body)
	}

	// The HIS reads the day's visits.
	r = do(t, "GET", base+"/v1/citizens/008095001234/visits", hisToken, "", nil)
	if vs, _ := r.json(t)["visits"].([]any); r.status != 200 || len(vs) != 2 {
		t.Errorf("visits: %d %s", r.status, r.body)
	}

	// Eligibility without recording: an expired card and a child without one.
	r = postJSON(t, base+"/v1/eligibility", hisToken, `{"card_no": "0812345678", "full_name": "Trần Thị Bích Ngọc", "dob": "1988-07-01"}`)
	if c := r.json(t)["code"]; c != "010" {
		t.Errorf("expired card: code %v (%s)", c, r.body)
	}
	r = postJSON(t, base+"/v1/eligibility", kioskToken, `{"citizen_id": "001323000777"}`)
	if c := r.json(t)["code"]; c != "130" {
		t.Errorf("child without card: code %v (%s)", c, r.body)
	}

	// Health, readiness and metrics.
	if r := do(t, "GET", base+"/healthz", "", "", nil); r.status != 200 {
		t.Errorf("healthz %d", r.status)
	}
	if r := do(t, "GET", base+"/readyz", "", "", nil); r.status != 200 {
		t.Errorf("readyz %d %s", r.status, r.body)
	}
	if r := do(t, "GET", base+"/metrics", "", "", nil); !strings.Contains(string(r.body), `kiosk_checkins_total{outcome="flagged"} 1`) {
		t.Errorf("metrics lack the flagged check-in:\n%s", r.body)
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	// Nothing personal, and no token, in the log.
	for _, secret := range []string{"008095001234", "Nguyễn Văn An", "Nguy", kioskToken, hisToken, auditorToken, "070123456"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q", secret)
		}
	}
	if !strings.Contains(logs.String(), `"route":"/v1/citizens/:id/visits"`) {
		t.Error("access log should name the route template")
	}
}

func TestBadInputEndToEnd(t *testing.T) {
	base, _, _ := startServer(t)
	big := `{"scan": "` + strings.Repeat("x", 100<<10) + `"}`
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("image", "card.png")
	fw.Write([]byte("this is not an image at all"))
	mw.Close()

	tests := []struct {
		name        string
		method      string
		path        string
		token       string
		contentType string
		body        string
		status      int
		code        string
	}{
		{"no token", "POST", "/v1/checkins", "", "application/json", `{}`, 401, "unauthenticated"},
		{"unknown token", "POST", "/v1/checkins", "nope-nope-nope-nope", "application/json", `{}`, 401, "unauthenticated"},
		{"auditor cannot check in", "POST", "/v1/checkins", auditorToken, "application/json", `{"citizen_id":"008095001234","facility":"08001"}`, 403, "forbidden_role"},
		{"kiosk cannot read duplicates", "GET", "/v1/duplicates?from=2026-01-01&to=2026-01-02", kioskToken, "", "", 403, "forbidden_role"},
		{"other facility", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095001234","facility":"08002"}`, 403, "forbidden_facility"},
		{"malformed JSON", "POST", "/v1/checkins", kioskToken, "application/json", `{"scan": `, 400, "invalid_json"},
		{"not an object", "POST", "/v1/checkins", kioskToken, "application/json", `[1,2]`, 400, "invalid_json"},
		{"wrong type", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id": 8095001234}`, 400, "invalid_field"},
		{"two identities", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095001234","card_no":"0812345678"}`, 400, "invalid_request"},
		{"no identity", "POST", "/v1/checkins", kioskToken, "application/json", `{}`, 400, "invalid_request"},
		{"trailing garbage", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095001234"} x`, 400, "invalid_json"},
		{"bad citizen id", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"12345"}`, 422, "invalid_citizen_id"},
		{"unknown citizen", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095009999"}`, 404, "citizen_not_found"},
		{"garbage scan", "POST", "/v1/checkins", kioskToken, "application/json", `{"scan":"hello world"}`, 422, ""},
		{"bad visit type", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095001234","visit_type":"spa"}`, 422, "invalid_visit_type"},
		{"bad scanned_at", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095001234","scanned_at":"yesterday"}`, 400, "invalid_field"},
		{"scanned_at in future", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095001234","scanned_at":"2999-01-01T00:00:00Z"}`, 422, "scanned_at_in_future"},
		{"scanned_at too old", "POST", "/v1/checkins", kioskToken, "application/json", `{"citizen_id":"008095001234","scanned_at":"2001-01-01T00:00:00Z"}`, 422, "scanned_at_too_old"},
		{"unknown card", "POST", "/v1/checkins", kioskToken, "application/json", `{"card_no":"0899999999"}`, 404, "card_not_found"},
		{"malformed card", "POST", "/v1/checkins", kioskToken, "application/json", `{"card_no":"12"}`, 422, "invalid_card_no"},
		{"too large", "POST", "/v1/checkins", kioskToken, "application/json", big, 413, "body_too_large"},
		{"wrong content type", "POST", "/v1/checkins", kioskToken, "text/plain", `citizen_id=1`, 415, "unsupported_media_type"},
		{"broken content type", "POST", "/v1/checkins", kioskToken, "multipart/form-data; boundary", `x`, 415, "unsupported_media_type"},
		{"not an image", "POST", "/v1/decode", kioskToken, mw.FormDataContentType(), mp.String(), 415, "unsupported_image"},
		{"decode garbage", "POST", "/v1/decode", kioskToken, "application/json", `{"scan":"|||"}`, 422, ""},
		{"eligibility needs one key", "POST", "/v1/eligibility", kioskToken, "application/json", `{}`, 400, "invalid_request"},
		{"eligibility bad dob", "POST", "/v1/eligibility", kioskToken, "application/json", `{"card_no":"0812345678","dob":"tomorrow"}`, 422, "invalid_date"},
		{"duplicates missing range", "GET", "/v1/duplicates", auditorToken, "", "", 400, "invalid_request"},
		{"duplicates bad day", "GET", "/v1/duplicates?from=2026-13-01&to=2026-13-02", auditorToken, "", "", 422, "invalid_date"},
		{"duplicates reversed", "GET", "/v1/duplicates?from=2026-02-01&to=2026-01-01", auditorToken, "", "", 422, "invalid_range"},
		{"duplicates bad limit", "GET", "/v1/duplicates?from=2026-01-01&to=2026-01-01&limit=x", auditorToken, "", "", 400, "invalid_limit"},
		{"duplicates bad cursor", "GET", "/v1/duplicates?from=2026-01-01&to=2026-01-01&cursor=zzz", auditorToken, "", "", 400, ""},
		{"visits bad id", "GET", "/v1/citizens/abc/visits", auditorToken, "", "", 422, "invalid_citizen_id"},
		{"visits bad day", "GET", "/v1/citizens/008095001234/visits?day=x", auditorToken, "", "", 422, "invalid_date"},
		{"no such route", "GET", "/v1/nothing", auditorToken, "", "", 404, "no_such_route"},
		{"wrong method", "GET", "/v1/checkins", kioskToken, "", "", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := do(t, tt.method, base+tt.path, tt.token, tt.contentType, body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			e, _ := r.json(t)["error"].(map[string]any)
			if e == nil || e["message"] == "" {
				t.Fatalf("no JSON error: %s", r.body)
			}
			if tt.code != "" && e["code"] != tt.code {
				t.Errorf("code %v, want %s", e["code"], tt.code)
			}
		})
	}
}

func mustLoc(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
