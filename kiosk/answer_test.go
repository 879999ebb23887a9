package kiosk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The check-in answer is json.Marshal's encoding of the result (the
// contract and kiosk/openapi.yaml describe its fields).

// fixedVerifier answers every check-in with res.
type fixedVerifier struct {
	Verifier // nil: only Checkin is called
	res      verifier.CheckinResult
}

func (f *fixedVerifier) Checkin(context.Context, verifier.CheckinRequest) (verifier.CheckinResult, error) {
	return f.res, nil
}

func answerResults() map[string]verifier.CheckinResult {
	hcm := time.FixedZone("ICT", 7*3600)
	at := time.Date(2026, 11, 28, 7, 30, 5, 120000000, hcm)
	typical := verifier.CheckinResult{
		CheckinID: "01JDXYZ", Citizen: verifier.CitizenView{ID: "008095000000", FullName: "Nguyễn Văn An", DOB: verifier.Date{Year: 1995, Month: 3, Day: 14}, Gender: verifier.Male, Address: "Thôn 3"},
		Identity:    verifier.IdentityCheck{Verified: true, Source: verifier.SourceCCCDQR, Mismatches: []string{}, Warnings: []string{}},
		Eligibility: verifier.Eligibility{Status: verifier.Eligible, Code: "000", Message: "Thông tin thẻ chính xác", MessageEN: "card data correct", CardNo: "DN4080000000001", BenefitLevel: 4, CoveragePercent: 80, Route: verifier.RouteCorrect},
		Visit:       verifier.VisitView{Facility: "08001", FacilityName: "Bệnh viện <A> & B", VisitType: verifier.Outpatient, At: at, Day: "2026-11-28", Ticket: 3},
		Duplicate:   verifier.DuplicateFlag{Others: []verifier.OtherVisit{}},
		Dedupe:      verifier.DedupeOK,
	}
	many := typical
	many.Duplicate.Flagged = true
	for i := range 200 { // past the size where net/http stops buffering
		many.Duplicate.Others = append(many.Duplicate.Others, verifier.OtherVisit{Facility: fmt.Sprintf("%05d", i), FacilityName: "Trạm y tế \u2028\"x\"", VisitType: verifier.Emergency, At: at.UTC()})
	}
	nils := typical
	nils.Identity.Mismatches, nils.Identity.Warnings, nils.Duplicate.Others = nil, nil, nil
	nils.Citizen.FullName = "bad \xff utf8"
	return map[string]verifier.CheckinResult{"typical": typical, "many others": many, "nil slices": nils, "zero": {}}
}

// Through the whole server, answer after answer, and an idempotent replay
// of an answer written before the others.
func TestCheckinAnswerThroughServer(t *testing.T) {
	keys, err := ParseKeys([]byte(`[{"name":"k","role":"kiosk","facility":"08001","token":"kiosk-token-0123456789abcdef"}]`))
	if err != nil {
		t.Fatal(err)
	}
	fv := &fixedVerifier{}
	s := New(Config{Verifier: fv, Keys: keys})
	send := func(idemKey string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/checkins", strings.NewReader(`{"citizen_id":"008095000000"}`))
		req.Header.Set("Authorization", "Bearer kiosk-token-0123456789abcdef")
		req.Header.Set("Content-Type", "application/json")
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	results := answerResults()
	fv.res = results["many others"]
	first := send("once")
	for range 3 {
		for name, res := range results {
			fv.res = res
			want, _ := json.Marshal(res)
			if w := send(""); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("%s: %d %q %s\nwant %s", name, w.Code, w.Header().Get("Content-Type"), w.Body, want)
			}
		}
	}
	replay := send("once")
	if replay.Header().Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.Body.Bytes(), first.Body.Bytes()) {
		t.Fatalf("the replayed answer differs from the first:\n%s\n%s", replay.Body, first.Body)
	}
}
