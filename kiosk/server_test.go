package kiosk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

const (
	kioskTok   = "kiosk-token-0123456789abcdef"
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
// 008095000000+i.
func newServer(tb testing.TB, n int) *kiosk.Server {
	tb.Helper()
	var citizens []verifier.Citizen
	var cards []verifier.Card
	for i := range n {
		id := verifier.CitizenID("0080950" + pad5(i))
		citizens = append(citizens, verifier.Citizen{ID: id, FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male, PermanentAddress: "Thôn 3"})
		cards = append(cards, verifier.Card{CardNo: "08" + pad8(i), CitizenID: id, FullName: "Nguyễn Văn An", DOB: date("1995-03-14"), Gender: verifier.Male,
			BenefitLevel: 4, RegisteredFacility: "08002", ValidFrom: date("2020-01-01")})
	}
	facs := []verifier.Facility{{Code: "08001", Level: verifier.LevelProvincial}, {Code: "08002", Level: verifier.LevelDistrict}}
	reg, err := inmem.NewRegistry(citizens, cards, facs)
	if err != nil {
		tb.Fatal(err)
	}
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: inmem.NewLedger()}
	svc.Location, _ = time.LoadLocation("Asia/Ho_Chi_Minh")
	svc.Defaults()
	keys, err := kiosk.ParseKeys([]byte(`[{"name":"k","role":"kiosk","facility":"08001","token":"` + kioskTok + `"},
		{"name":"a","role":"auditor","token":"` + auditorTok + `"}]`))
	if err != nil {
		tb.Fatal(err)
	}
	return kiosk.New(kiosk.Config{Verifier: svc, Keys: keys})
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
