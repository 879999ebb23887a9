package kiosk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

const (
	kioskTok   = "kiosk-token-0123456789abcdef"
	kiosk2Tok  = "kiosk2-token-0123456789abcde"
	auditorTok = "auditor-token-0123456789abcd"
)

func date(s string) verifier.Date {
	d, err := verifier.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// newServer builds the real server over in-process stores, with n citizens
// 008095000000+i each holding a valid card, a kiosk key for 08001, a kiosk
// key for 08002 and an auditor key.
func newServer(tb testing.TB, n int) *kiosk.Server {
	return newServerWith(tb, n, kiosk.RoleKiosk, func(*kiosk.Config) {})
}

// newServerWith is newServer with the role of the 08002 key (named
// "<role>-08002") and a last say on the configuration.
func newServerWith(tb testing.TB, n int, role08002 kiosk.Role, mod func(*kiosk.Config)) *kiosk.Server {
	tb.Helper()
	var citizens []verifier.Citizen
	var cards []verifier.Card
	for i := range n {
		id := verifier.CitizenID("0080950" + pad5(i))
		citizens = append(citizens, verifier.Citizen{ID: id, FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male, PermanentAddress: "Thôn 3"})
		cards = append(cards, verifier.Card{CardNo: "08" + pad8(i), CitizenID: id, FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male,
			BenefitLevel: 4, RegisteredFacility: "08002", ValidFrom: date("2020-01-01")})
	}
	facs := []verifier.Facility{{Code: "08001", Name: "Bệnh viện Đa khoa tỉnh Tuyên Quang", Level: verifier.LevelProvincial}, {Code: "08002", Name: "Trung tâm Y tế huyện Yên Sơn", Level: verifier.LevelDistrict}}
	reg, err := inmem.NewRegistry(citizens, cards, facs)
	if err != nil {
		tb.Fatal(err)
	}
	ledger := inmem.NewLedger()
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: ledger, Lookups: inmem.NewLookupLog(nil), Claims: inmem.NewClaims(0, nil), Reviews: ledger}
	svc.Location, _ = time.LoadLocation("Asia/Ho_Chi_Minh")
	svc.Defaults()
	keys, err := kiosk.ParseKeys([]byte(`[{"name":"k","role":"kiosk","facility":"08001","token":"` + kioskTok + `"},
		{"name":"` + string(role08002) + `-08002","role":"` + string(role08002) + `","facility":"08002","token":"` + kiosk2Tok + `"},
		{"name":"a","role":"auditor","token":"` + auditorTok + `"}]`))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := kiosk.Config{Verifier: svc, Keys: keys, Location: svc.Location, PseudonymKey: []byte("k")}
	mod(&cfg)
	return kiosk.New(cfg)
}

func pad5(i int) string { s := "00000" + itoa(i); return s[len(s)-5:] }
func pad8(i int) string { s := "00000000" + itoa(i); return s[len(s)-8:] }
func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func post(h http.Handler, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// A kiosk that hangs up mid-request must not lose the visit: the patient
// is at the desk either way.
func TestHangUpDoesNotLoseTheVisit(t *testing.T) {
	s := newServer(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("POST", "/v1/checkins", strings.NewReader(`{"citizen_id":"008095000000"}`)).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+kioskTok)
	s.ServeHTTP(httptest.NewRecorder(), req)

	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/v1/citizens/008095000000/visits", nil)
	r.Header.Set("Authorization", "Bearer "+auditorTok)
	s.ServeHTTP(w, r)
	var got struct{ Visits []verifier.Visit }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Visits) != 1 {
		t.Fatalf("visits after a hung-up check-in: %d %s", w.Code, w.Body)
	}
}

func TestDecodeScanText(t *testing.T) {
	s := newServer(t, 1)
	w := post(s, "/v1/decode", kioskTok, `{"scan":"]Q1008095001234||Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình|15082021\u0000\r\n"}`)
	var got struct {
		Kind     string
		Fields   map[string]any
		Warnings []string
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
		t.Fatalf("decode: %d %s", w.Code, w.Body)
	}
	want := map[string]any{"id": "008095001234", "old_id": "", "full_name": "Nguyễn Văn An", "dob": "1995-03-14", "gender": "male", "issued_on": "2021-08-15"}
	for k, v := range want {
		if got.Fields[k] != v {
			t.Errorf("fields[%s] = %v, want %v", k, got.Fields[k], v)
		}
	}
	if got.Kind != "cccd" || got.Warnings == nil {
		t.Errorf("kind %q warnings %v", got.Kind, got.Warnings)
	}
}

func BenchmarkCheckinHandler(b *testing.B) {
	const n = 10000
	s := newServer(b, n)
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = `{"scan":"0080950` + pad5(i) + `||Nguyễn Văn An|14031995|Nam|Thôn 3|15082021"}`
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := post(s, "/v1/checkins", kioskTok, bodies[i%n])
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		i++
	}
}

func TestIdempotencyKey(t *testing.T) {
	s := newServer(t, 2)
	send := func(key, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/checkins", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+kioskTok)
		req.Header.Set("Idempotency-Key", key)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	first := send("retry-1", `{"citizen_id":"008095000000"}`)
	second := send("retry-1", `{"citizen_id":"008095000000"}`)
	if first.Code != 200 || second.Code != 200 || first.Body.String() != second.Body.String() {
		t.Fatalf("a retried request got a different answer:\n%s\n%s", first.Body, second.Body)
	}
	if second.Header().Get("Idempotent-Replayed") != "true" {
		t.Error("the replayed answer is not marked")
	}
	// Without the key, the same check-in again is a repeat: proof that the
	// keyed retry did not reach the window.
	third := post(s, "/v1/checkins", kioskTok, `{"citizen_id":"008095000000"}`)
	if !strings.Contains(third.Body.String(), `"repeat":true`) || strings.Contains(first.Body.String(), `"repeat":true`) {
		t.Errorf("first %s / third %s", first.Body, third.Body)
	}
	if w := send("retry-1", `{"citizen_id":"008095000001"}`); w.Code != 422 || !strings.Contains(w.Body.String(), "idempotency_key_reused") {
		t.Errorf("a key reused for another request: %d %s", w.Code, w.Body)
	}
	// An error answer is final too, and replayed.
	a, b := send("bad-1", `{"citizen_id":"1"}`), send("bad-1", `{"citizen_id":"1"}`)
	if a.Code != 422 || b.Code != 422 || b.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("error answers: %d %d", a.Code, b.Code)
	}
}

func TestBatch(t *testing.T) {
	s := newServer(t, 2)
	now := time.Now().UTC()
	body := `{"items":[
		{"citizen_id":"008095000000","scanned_at":"` + now.Add(-time.Hour).Format(time.RFC3339) + `"},
		{"citizen_id":"12"},
		{"citizen_id":"008095000001","facility":"08002"},
		{"scan":"008095000001||Nguyễn Văn An|14031995|Nam|Thôn 3|15082021"}]}`
	w := post(s, "/v1/checkins/batch", kioskTok, body)
	var got struct {
		Results []struct {
			Index  int
			Status int
			Result *verifier.CheckinResult
			Error  *struct{ Code string }
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 || len(got.Results) != 4 {
		t.Fatalf("batch: %d %s", w.Code, w.Body)
	}
	want := []int{200, 422, 403, 200}
	for i, r := range got.Results {
		if r.Index != i || r.Status != want[i] {
			t.Errorf("item %d: index %d status %d, want %d", i, r.Index, r.Status, want[i])
		}
	}
	if got.Results[1].Error == nil || got.Results[1].Error.Code != "invalid_citizen_id" {
		t.Errorf("item 1 error: %+v", got.Results[1].Error)
	}
	if r := got.Results[0].Result; r == nil || !r.Visit.At.Equal(now.Add(-time.Hour).Truncate(time.Second)) {
		t.Errorf("item 0 not placed at its scanned_at: %+v", r)
	}
	items := strings.Repeat(`{"citizen_id":"008095000000"},`, kiosk.MaxBatch)
	if w := post(s, "/v1/checkins/batch", kioskTok, `{"items":[`+items+`{"citizen_id":"008095000000"}]}`); w.Code != 413 {
		t.Errorf("oversized batch: %d %s", w.Code, w.Body)
	}
	if w := post(s, "/v1/checkins/batch", kioskTok, `{"items":[]}`); w.Code != 400 {
		t.Errorf("empty batch: %d", w.Code)
	}
}

func TestGatewayCheckCard(t *testing.T) {
	s := newServer(t, 1)
	// Seen at 08002 first, then checked at 08001 in the gateway's words.
	if w := post(s, "/v1/checkins", kiosk2Tok, `{"citizen_id":"008095000000"}`); w.Code != 200 {
		t.Fatal(w.Body)
	}
	w := post(s, "/v1/gateway/check-card", kioskTok, `{"maThe":"0800000000","hoTen":"Nguyễn Văn An","ngaySinh":"14/03/1995","gioiTinh":1}`)
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
		t.Fatalf("gateway: %d %s", w.Code, w.Body)
	}
	want := map[string]any{"maKetQua": "000", "maThe": "0800000000", "hoTen": "Nguyễn Văn An", "ngaySinh": "14/03/1995",
		"gioiTinh": "Nam", "maDKBD": "08002", "gtTheTu": "01/01/2020", "mucHuong": float64(0)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	// Newest first: this check at 08001, then the check-in at 08002.
	hist, _ := got["dsLichSuKT2018"].([]any)
	if len(hist) != 2 || hist[0].(map[string]any)["userKT"] != "08001_k" || hist[1].(map[string]any)["userKT"] != "08002_TIEPDON" {
		t.Errorf("check history = %v, want this check at 08001, then the check-in at 08002", got["dsLichSuKT2018"])
	}
	w = post(s, "/v1/gateway/check-card", kioskTok, `{"maThe":"0800000000","hoTen":"Trần Văn An","ngaySinh":"1995"}`)
	if !strings.Contains(w.Body.String(), `"maKetQua":"060"`) || strings.Contains(w.Body.String(), "Nguyễn") || !strings.Contains(w.Body.String(), `"dsLichSuKT2018":[]`) {
		t.Errorf("wrong name: the answer must say 060 and nothing of the holder: %s", w.Body)
	}
	w = post(s, "/v1/gateway/check-card", kioskTok, `{"maThe":"XX9990000000000","hoTen":"An","ngaySinh":"1995"}`)
	if !strings.Contains(w.Body.String(), `"maKetQua":"053"`) {
		t.Errorf("bad benefit character: %s", w.Body)
	}
}

func TestRateLimit(t *testing.T) {
	s := newServerWith(t, 1, kiosk.RoleHIS, func(c *kiosk.Config) {
		c.RateLimits = map[kiosk.Role]kiosk.RateLimit{kiosk.RoleKiosk: {Rate: 0.5, Burst: 3}}
	})
	codes := []int{}
	var last *httptest.ResponseRecorder
	for range 5 {
		last = post(s, "/v1/eligibility", kioskTok, `{"citizen_id":"008095000000"}`)
		codes = append(codes, last.Code)
	}
	if want := []int{200, 200, 200, 429, 429}; !slices.Equal(codes, want) {
		t.Fatalf("statuses %v, want %v", codes, want)
	}
	if ra := last.Header().Get("Retry-After"); ra != "2" || !strings.Contains(last.Body.String(), `"rate_limited"`) {
		t.Errorf("Retry-After %q body %s", ra, last.Body)
	}
	// Another key has its own budget; auditors are not limited here.
	if w := post(s, "/v1/eligibility", kiosk2Tok, `{"citizen_id":"008095000000"}`); w.Code != 200 {
		t.Errorf("another key: %d", w.Code)
	}
}

func TestAccessLog(t *testing.T) {
	store := kiosk.NewMemoryAccessLog(100)
	s := newServerWith(t, 1, kiosk.RoleHIS, func(c *kiosk.Config) { c.AccessLog = store })
	// A kiosk read is not logged; the HIS reads are.
	post(s, "/v1/eligibility", kioskTok, `{"citizen_id":"008095000000"}`)
	post(s, "/v1/eligibility", kiosk2Tok, `{"citizen_id":"008095000000"}`)
	// The HIS reads the visits of a citizen checked in at its facility
	// (an HIS reads no other, TestHISReadsOnlyCitizensSeenThere).
	post(s, "/v1/checkins", kiosk2Tok, `{"citizen_id":"008095000000"}`)
	req := httptest.NewRequest("GET", "/v1/citizens/008095000000/visits", nil)
	req.Header.Set("Authorization", "Bearer "+kiosk2Tok)
	s.ServeHTTP(httptest.NewRecorder(), req)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
	req = httptest.NewRequest("GET", "/v1/access-log?from="+day+"&to="+day+"&citizen_id=008095000000", nil)
	req.Header.Set("Authorization", "Bearer "+auditorTok)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var got struct{ Items []verifier.AccessEntry }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
		t.Fatalf("access log: %d %s", w.Code, w.Body)
	}
	actions := []string{}
	for _, e := range got.Items {
		actions = append(actions, e.Key+" "+e.Action)
		if strings.Contains(e.Subject, "008095000000") {
			t.Errorf("the access log holds the ID in clear: %+v", e)
		}
	}
	want := []string{"his-08002 POST /v1/eligibility", "his-08002 POST /v1/checkins", "his-08002 GET /v1/citizens/:id/visits"}
	if !slices.Equal(actions, want) {
		t.Errorf("entries %v, want %v", actions, want)
	}
}

func TestCORSClosedByDefault(t *testing.T) {
	for _, allowed := range []bool{false, true} {
		s := newServerWith(t, 1, kiosk.RoleKiosk, func(c *kiosk.Config) {
			if allowed {
				c.CORSOrigins = []string{"https://his.example.vn"}
			}
		})
		req := httptest.NewRequest("POST", "/v1/eligibility", strings.NewReader(`{"citizen_id":"008095000000"}`))
		req.Header.Set("Authorization", "Bearer "+kioskTok)
		req.Header.Set("Origin", "https://his.example.vn")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if got := w.Header().Get("Access-Control-Allow-Origin"); (got != "") != allowed {
			t.Errorf("allowed=%v: Access-Control-Allow-Origin %q", allowed, got)
		}
		req = httptest.NewRequest("POST", "/v1/eligibility", strings.NewReader(`{}`))
		req.Header.Set("Origin", "https://evil.example")
		w = httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("an unlisted origin got %q", got)
		}
	}
}

func TestAssets(t *testing.T) {
	s := newServer(t, 1)
	for path, want := range map[string]int{"/": 200, "/assets/kiosk.js": 200, "/assets/": 404, "/assets/nothing.js": 404, "/assets/../openapi.yaml": 404} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != want {
			t.Errorf("GET %s: %d, want %d", path, w.Code, want)
		}
		if want == 404 && !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("GET %s: not a JSON error: %s", path, w.Body)
		}
	}
}

// pingFunc is a kiosk.Pinger.
type pingFunc func(ctx context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// TestReadyzAsksDependenciesAtOnce: one dependency that takes the whole
// timeout, one that answers only once the first has been asked (so only if
// both are asked at once), and one that ignores its context altogether.
// /readyz answers, reports the second up (asked in turn, it would find the
// shared deadline spent or wait for a call never made) and the others down.
func TestReadyzAsksDependenciesAtOnce(t *testing.T) {
	slowAsked := make(chan struct{})
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	s := newServerWith(t, 1, kiosk.RoleKiosk, func(c *kiosk.Config) {
		c.Ready = map[string]kiosk.Pinger{
			"slow": pingFunc(func(ctx context.Context) error {
				close(slowAsked)
				<-ctx.Done()
				return ctx.Err()
			}),
			"quick": pingFunc(func(ctx context.Context) error {
				select {
				case <-slowAsked:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}),
			"deaf": pingFunc(func(context.Context) error { <-hang; return nil }),
		}
	})
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		done <- w
	}()
	var w *httptest.ResponseRecorder
	select {
	case w = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("/readyz did not answer with a dependency that ignores its context")
	}
	var body struct {
		Status string
		Checks map[string]struct{ Status, Error string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 503 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for name, want := range map[string]string{"slow": "down", "quick": "up", "deaf": "down", "recording": "up"} {
		if got := body.Checks[name].Status; got != want {
			t.Errorf("%s: %q, want %q (%s)", name, got, want, w.Body)
		}
	}
}
