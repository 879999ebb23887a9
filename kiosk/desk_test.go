package kiosk

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// The desk as clerks work it (issue 12): the route and visit type changed
// after the scan, a referral letter's number, the ticket's department and
// priority, and the acknowledgement of a same-day flag. Every request and
// answer is checked against openapi.yaml.

const (
	deskTok1   = "desk-token-08001-0123456789ab"
	deskTok2   = "desk-token-08002-0123456789ab"
	deskHISTok = "desk-his-08001-0123456789abc"
	deskAudTok = "desk-auditor-0123456789abcde"
)

var deskNow = time.Date(2026, 3, 9, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func deskServer(t *testing.T) *apiChecker {
	t.Helper()
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) verifier.Date { return mustDate(t, s) }
	citizens := []verifier.Citizen{
		{ID: "008095001234", FullName: "Nguyễn Văn An", DOB: d("1995-03-14"), Gender: verifier.Male, PermanentAddress: "Thôn 3, Xã Thái Bình"},
		{ID: "008222001111", FullName: "Hoàng Gia Bảo", DOB: d("2022-05-01"), Gender: verifier.Male, PermanentAddress: "Tổ 5, Phường Phan Thiết"},
		{ID: "008140000001", FullName: "Lê Văn Thọ", DOB: d("1940-01-20"), Gender: verifier.Male, PermanentAddress: "Xã Kim Phú"},
	}
	cards := []verifier.Card{
		// Level 3 (95%), registered at the district centre: self-referred
		// at the provincial hospital.
		{CardNo: "HN3080812345678", CitizenID: "008095001234", FullName: "Nguyễn Văn An", DOB: d("1995-03-14"), Gender: verifier.Male,
			BenefitLevel: 3, RegisteredFacility: "08002", ValidFrom: d("2026-01-01"), ValidTo: d("2026-12-31")},
		{CardNo: "TE1080822001111", CitizenID: "008222001111", FullName: "Hoàng Gia Bảo", DOB: d("2022-05-01"), Gender: verifier.Male,
			BenefitLevel: 1, RegisteredFacility: "08001", ValidFrom: d("2022-05-01"), ValidTo: d("2028-04-30")},
		{CardNo: "HT2080840000001", CitizenID: "008140000001", FullName: "Lê Văn Thọ", DOB: d("1940-01-20"), Gender: verifier.Male,
			BenefitLevel: 2, RegisteredFacility: "08001", ValidFrom: d("2026-01-01"), ValidTo: d("2026-12-31")},
	}
	facilities := []verifier.Facility{
		{Code: "08001", Name: "Bệnh viện Đa khoa tỉnh Tuyên Quang", Province: "08", Level: verifier.LevelProvincial,
			Departments: []verifier.Department{{Code: "KKB", Name: "Khoa Khám bệnh"}, {Code: "NOI", Name: "Phòng khám Nội"}, {Code: "SAN", Name: "Phòng khám Sản"}}},
		{Code: "08002", Name: "Trung tâm Y tế huyện Yên Sơn", Province: "08", Level: verifier.LevelDistrict},
	}
	reg, err := inmem.NewRegistry(citizens, cards, facilities)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return deskNow }
	ledger := inmem.NewLedger(inmem.WithLedgerClock(now))
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: ledger, Reviews: ledger,
		Claims: inmem.NewClaims(0, now), Now: now, Location: hcm}
	svc.Defaults()
	keys, err := ParseKeys(fmt.Appendf(nil, `[
		{"name":"desk-1","role":"kiosk","facility":"08001","token":%q},
		{"name":"desk-2","role":"kiosk","facility":"08002","token":%q},
		{"name":"his-1","role":"his","facility":"08001","token":%q},
		{"name":"auditor-1","role":"auditor","token":%q}]`, deskTok1, deskTok2, deskHISTok, deskAudTok))
	if err != nil {
		t.Fatal(err)
	}
	return newAPIChecker(t, New(Config{Verifier: svc, Keys: keys, Location: hcm, Now: now}))
}

func jsonCall(method, path, token, body string) apiCall {
	c := apiCall{method: method, path: path, token: token}
	if body != "" {
		c.contentType, c.body = "application/json", []byte(body)
	}
	return c
}

func badCall(method, path, token, body string) apiCall {
	c := jsonCall(method, path, token, body)
	c.badRequest = true
	return c
}

// checkinAnswer is the part of a check-in answer these tests read.
type checkinAnswer struct {
	CheckinID   string                 `json:"checkin_id"`
	Identity    verifier.IdentityCheck `json:"identity"`
	Eligibility verifier.Eligibility   `json:"eligibility"`
	Visit       verifier.VisitView     `json:"visit"`
	Duplicate   verifier.DuplicateFlag `json:"duplicate"`
}

func decodeAs[T any](t *testing.T, r apiResult) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("answer %d is not what was expected: %v: %s", r.status, err, clip(r.body))
	}
	return v
}

func TestDesk(t *testing.T) {
	c := deskServer(t)
	d := decodeAs[verifier.DeskInfo](t, c.do(jsonCall("GET", "/v1/desk", deskTok1, ""), 200))
	if d.Facility.Code != "08001" || d.Facility.Name != "Bệnh viện Đa khoa tỉnh Tuyên Quang" || d.Facility.TimeZone != "Asia/Ho_Chi_Minh" || d.Desk != "desk-1" {
		t.Errorf("desk: %+v", d)
	}
	if len(d.Departments) != 3 || d.Departments[1] != (verifier.Department{Code: "NOI", Name: "Phòng khám Nội"}) {
		t.Errorf("departments: %+v", d.Departments)
	}
	auto := map[string]bool{}
	for _, g := range d.PriorityGroups {
		auto[g.Code] = g.Auto
	}
	if want := map[string]bool{"emergency": true, "child": true, "pregnant": false, "disability": false, "elderly": true}; !mapsEqual(auto, want) {
		t.Errorf("priority groups %v, want %v", auto, want)
	}
	if !slices.Equal(d.AcknowledgementReasons, verifier.AckReasons) {
		t.Errorf("reasons %v", d.AcknowledgementReasons)
	}
	// The HIS key of the facility too; a facility without a list has none.
	c.do(jsonCall("GET", "/v1/desk", deskHISTok, ""), 200)
	if d := decodeAs[verifier.DeskInfo](t, c.do(jsonCall("GET", "/v1/desk", deskTok2, ""), 200)); d.Departments == nil || len(d.Departments) != 0 {
		t.Errorf("08002's departments: %#v, want []", d.Departments)
	}
	// The settings dialog checks a token with it.
	c.do(jsonCall("GET", "/v1/desk", "not-a-token", ""), 401)
	c.do(jsonCall("GET", "/v1/desk", deskAudTok, ""), 403)
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A self-referred outpatient at a provincial hospital is covered at 0%;
// the clerk says the patient brought a referral letter: the same check-in
// (ID, ticket) answers 95%, and says why (route, facility level).
func TestAmendVisitType(t *testing.T) {
	c := deskServer(t)
	first := decodeAs[checkinAnswer](t, c.do(jsonCall("POST", "/v1/checkins", deskTok1, `{"citizen_id":"008095001234","department":"NOI"}`), 200))
	e := first.Eligibility
	if e.Status != verifier.Eligible || e.CoveragePercent != 0 || e.Route != verifier.RouteSelfReferred || e.FacilityLevel != verifier.LevelProvincial {
		t.Fatalf("self-referred outpatient at 08001: %+v", e)
	}
	if first.Visit.Department != "NOI" || first.Visit.DepartmentName != "Phòng khám Nội" || first.Visit.Ticket != 1 {
		t.Errorf("visit: %+v", first.Visit)
	}
	path := "/v1/checkins/" + first.CheckinID
	got := decodeAs[checkinAnswer](t, c.do(jsonCall("PATCH", path, deskTok1, `{"visit_type":"referral","referral_no":"125/GCT-TTYT"}`), 200))
	e = got.Eligibility
	if got.CheckinID != first.CheckinID || got.Visit.Ticket != first.Visit.Ticket || !got.Visit.At.Equal(first.Visit.At) {
		t.Errorf("PATCH answered check-in %s ticket %d at %s, want the same check-in %s ticket %d", got.CheckinID, got.Visit.Ticket, got.Visit.At, first.CheckinID, first.Visit.Ticket)
	}
	if e.CoveragePercent != 95 || e.Route != verifier.RouteCorrect || e.FacilityLevel != verifier.LevelProvincial {
		t.Errorf("with a referral: %+v, want 95%% on the correct route", e)
	}
	if got.Visit.VisitType != verifier.Referral || got.Visit.ReferralNo != "125/GCT-TTYT" || got.Visit.Department != "NOI" || got.Identity.Source != verifier.SourceAmendment {
		t.Errorf("visit %+v identity %+v", got.Visit, got.Identity)
	}
	v := decodeAs[verifier.Visit](t, c.do(jsonCall("GET", path, deskTok1, ""), 200))
	if v.VisitType != verifier.Referral || v.ReferralNo != "125/GCT-TTYT" || v.CheckinID != first.CheckinID {
		t.Errorf("GET after PATCH: %+v", v)
	}
	// No second visit: the auditor sees one visit of the day.
	vs := decodeAs[struct{ Visits []verifier.Visit }](t, c.do(jsonCall("GET", "/v1/citizens/008095001234/visits?day=2026-03-09", deskAudTok, ""), 200))
	if len(vs.Visits) != 1 {
		t.Errorf("visits after PATCH: %d, want 1", len(vs.Visits))
	}
	// Back to outpatient: the referral number goes with the route.
	got = decodeAs[checkinAnswer](t, c.do(jsonCall("PATCH", path, deskTok1, `{"visit_type":"outpatient"}`), 200))
	if got.Visit.ReferralNo != "" || got.Eligibility.CoveragePercent != 0 {
		t.Errorf("back to outpatient: %+v %+v", got.Visit, got.Eligibility)
	}
	// An emergency: correct route, and the emergency priority.
	got = decodeAs[checkinAnswer](t, c.do(jsonCall("PATCH", path, deskHISTok, `{"visit_type":"emergency","priority":["disability"]}`), 200))
	if got.Eligibility.Route != verifier.RouteEmergency || got.Eligibility.CoveragePercent != 95 || !slices.Equal(got.Visit.Priority, []string{"emergency", "disability"}) {
		t.Errorf("emergency: %+v priority %v", got.Eligibility, got.Visit.Priority)
	}
	// A follow-up appointment is a correct route too; the clerk's choice
	// of priority stays, the emergency goes.
	got = decodeAs[checkinAnswer](t, c.do(jsonCall("PATCH", path, deskTok1, `{"visit_type":"follow_up","department":""}`), 200))
	if got.Eligibility.Route != verifier.RouteCorrect || !slices.Equal(got.Visit.Priority, []string{"disability"}) || got.Visit.Department != "" {
		t.Errorf("follow-up: %+v %+v", got.Eligibility, got.Visit)
	}
}

func TestAmendRefused(t *testing.T) {
	c := deskServer(t)
	id := decodeAs[checkinAnswer](t, c.do(jsonCall("POST", "/v1/checkins", deskTok1, `{"citizen_id":"008095001234"}`), 200)).CheckinID
	path := "/v1/checkins/" + id
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"referral_no":"125/GCT"}`, 422, "invalid_referral_no"}, // the visit is outpatient
		{`{"visit_type":"referral","referral_no":"` + strings.Repeat("Đ", 51) + `"}`, 422, "invalid_referral_no"},
		{`{"visit_type":"referral","referral_no":"12\u0007"}`, 422, "invalid_referral_no"},
		{`{"visit_type":"referral","referral_no":"   "}`, 422, "invalid_referral_no"},
		{`{"visit_type":"walk_in"}`, 422, "invalid_visit_type"},
		{`{"department":"ICU"}`, 422, "invalid_department"},
		{`{"priority":["vip"]}`, 422, "invalid_priority"},
		{`{"priority":"pregnant,vip"}`, 422, "invalid_priority"},
		{`{}`, 400, "invalid_request"},
		{`{"visit_type":`, 400, ""},
		{`{"priority":5}`, 400, ""},
		{`[]`, 400, ""},
	} {
		r := c.do(badCall("PATCH", path, deskTok1, tc.body), tc.status)
		if tc.code != "" && r.errorCode() != tc.code {
			t.Errorf("PATCH %s: code %q, want %q", tc.body, r.errorCode(), tc.code)
		}
		if msg := decodeAs[errorBody](t, r).Error.Message; msg == "" {
			t.Errorf("PATCH %s: no message for the clerk", tc.body)
		}
	}
	// A referral letter's number of 50 characters is taken.
	c.do(jsonCall("PATCH", path, deskTok1, `{"visit_type":"referral","referral_no":"`+strings.Repeat("Đ", 50)+`"}`), 200)
	if r := c.do(jsonCall("PATCH", "/v1/checkins/unknown0000000000", deskTok1, `{"visit_type":"emergency"}`), 404); r.errorCode() != "checkin_not_found" {
		t.Errorf("unknown check-in: %s", r.errorCode())
	}
	if r := c.do(jsonCall("PATCH", path, deskTok2, `{"visit_type":"emergency"}`), 403); r.errorCode() != "forbidden_facility" {
		t.Errorf("another facility's check-in: %s", r.errorCode())
	}
	c.do(jsonCall("PATCH", path, deskAudTok, `{"visit_type":"emergency"}`), 403)
	c.do(jsonCall("PATCH", path, "", `{"visit_type":"emergency"}`), 401)
	// Nothing refused was stored.
	v := decodeAs[verifier.Visit](t, c.do(jsonCall("GET", path, deskTok1, ""), 200))
	if v.VisitType != verifier.Referral || v.Department != "" || len(v.Priority) != 0 {
		t.Errorf("after refused amendments: %+v", v)
	}
}

func TestCheckinDeskFields(t *testing.T) {
	c := deskServer(t)
	got := decodeAs[checkinAnswer](t, c.do(jsonCall("POST", "/v1/checkins", deskTok1,
		`{"citizen_id":"008095001234","visit_type":"referral","referral_no":"125/GCT-TTYT","department":"SAN","priority":["pregnant"]}`), 200))
	if got.Visit.ReferralNo != "125/GCT-TTYT" || got.Visit.Department != "SAN" || got.Visit.DepartmentName != "Phòng khám Sản" ||
		!slices.Equal(got.Visit.Priority, []string{"pregnant"}) || got.Eligibility.CoveragePercent != 95 {
		t.Errorf("check-in with the desk's fields: %+v %+v", got.Visit, got.Eligibility)
	}
	// Priority computed from the population record's birth date on the
	// local visit day: a child under 6, a man of 86.
	child := decodeAs[checkinAnswer](t, c.do(jsonCall("POST", "/v1/checkins", deskTok1, `{"citizen_id":"008222001111"}`), 200))
	old := decodeAs[checkinAnswer](t, c.do(jsonCall("POST", "/v1/checkins", deskTok1, `{"citizen_id":"008140000001","visit_type":"emergency"}`), 200))
	if !slices.Equal(child.Visit.Priority, []string{"child"}) || !slices.Equal(old.Visit.Priority, []string{"emergency", "elderly"}) {
		t.Errorf("computed priority: child %v, elderly %v", child.Visit.Priority, old.Visit.Priority)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"citizen_id":"008095001234","referral_no":"125"}`, "invalid_referral_no"},
		{`{"citizen_id":"008095001234","visit_type":"emergency","referral_no":"125"}`, "invalid_referral_no"},
		{`{"citizen_id":"008095001234","department":"NOI "}`, "invalid_department"},
		{`{"citizen_id":"008095001234","priority":["pregnant","pregnant","pregnant","pregnant","pregnant","pregnant"]}`, "invalid_priority"},
		{`{"citizen_id":"008095001234","priority":["VIP"]}`, "invalid_priority"},
	} {
		if r := c.do(badCall("POST", "/v1/checkins", deskTok1, tc.body), 422); r.errorCode() != tc.code {
			t.Errorf("POST %s: %s, want %s", tc.body, r.errorCode(), tc.code)
		}
	}
	// A batch item takes them too, and each item's ID answers GET, as
	// do the IDs of PATCH answers.
	b := decodeAs[struct {
		Results []struct {
			Status int
			Result *checkinAnswer
			Error  *errorDetail
		}
	}](t, c.do(jsonCall("POST", "/v1/checkins/batch", deskTok1, `{"items":[
		{"citizen_id":"008095001234","visit_type":"referral","referral_no":"9/CT","department":"KKB","scanned_at":"2026-03-08T09:00:00+07:00"},
		{"citizen_id":"008222001111","department":"ICU","scanned_at":"2026-03-08T09:05:00+07:00"}]}`), 200))
	if len(b.Results) != 2 || b.Results[0].Status != 200 || b.Results[1].Status != 422 || b.Results[1].Error.Code != "invalid_department" {
		t.Fatalf("batch: %+v", b.Results)
	}
	for _, id := range []string{b.Results[0].Result.CheckinID, got.CheckinID, child.CheckinID} {
		v := decodeAs[verifier.Visit](t, c.do(jsonCall("GET", "/v1/checkins/"+id, deskTok1, ""), 200))
		if v.CheckinID != id || v.FacilityName == "" {
			t.Errorf("GET /v1/checkins/%s: %+v", id, v)
		}
	}
	if v := decodeAs[verifier.Visit](t, c.do(jsonCall("GET", "/v1/checkins/"+b.Results[0].Result.CheckinID, deskTok1, ""), 200)); v.ReferralNo != "9/CT" || v.Department != "KKB" || v.Day != "2026-03-08" {
		t.Errorf("batch item's visit: %+v", v)
	}
	// As a multipart form, priority is one text field of codes.
	r := c.do(apiCall{method: "POST", path: "/v1/checkins", token: deskTok2, contentType: "multipart/form-data; boundary=XX",
		body: []byte("--XX\r\nContent-Disposition: form-data; name=\"citizen_id\"\r\n\r\n008140000001\r\n--XX\r\nContent-Disposition: form-data; name=\"priority\"\r\n\r\ndisability, pregnant\r\n--XX--\r\n")}, 200)
	if p := decodeAs[checkinAnswer](t, r).Visit.Priority; !slices.Equal(p, []string{"pregnant", "disability", "elderly"}) {
		t.Errorf("multipart priority: %v", p)
	}
}

// A same-day warning acknowledged with a reason: stored with the visit,
// replaced by a second one, shown to auditors in the duplicates (JSON and
// exports).
func TestAcknowledgement(t *testing.T) {
	c := deskServer(t)
	c.do(jsonCall("POST", "/v1/checkins", deskTok2, `{"citizen_id":"008095001234"}`), 200)
	flagged := decodeAs[checkinAnswer](t, c.do(jsonCall("POST", "/v1/checkins", deskTok1, `{"citizen_id":"008095001234","visit_type":"referral","referral_no":"125/GCT-TTYT"}`), 200))
	if !flagged.Duplicate.Flagged {
		t.Fatal("the second facility's check-in is not flagged")
	}
	path := "/v1/checkins/" + flagged.CheckinID + "/acknowledgement"
	note := strings.Repeat("ổ", 500) // 500 characters, 1,500 bytes
	ack := decodeAs[verifier.Acknowledgement](t, c.do(jsonCall("POST", path, deskTok1, `{"reason":"other","note":"`+note+`"}`), 200))
	if ack.Reason != "other" || ack.Note != note || ack.By != "desk-1" || !ack.At.Equal(deskNow) {
		t.Errorf("acknowledgement: %+v", ack)
	}
	if _, off := ack.At.Zone(); off != 7*3600 {
		t.Errorf("acknowledgement time %s, want local time", ack.At)
	}
	// A second one replaces the first.
	ack = decodeAs[verifier.Acknowledgement](t, c.do(jsonCall("POST", path, deskHISTok, `{"reason":"referral","note":"giấy chuyển tuyến số 125"}`), 200))
	if ack.Reason != "referral" || ack.By != "his-1" {
		t.Errorf("second acknowledgement: %+v", ack)
	}
	v := decodeAs[verifier.Visit](t, c.do(jsonCall("GET", "/v1/checkins/"+flagged.CheckinID, deskTok1, ""), 200))
	if v.Acknowledgement == nil || v.Acknowledgement.Reason != "referral" || v.Acknowledgement.Note != "giấy chuyển tuyến số 125" {
		t.Errorf("GET after acknowledgement: %+v", v.Acknowledgement)
	}
	for _, tc := range []struct {
		body, token, code string
		status            int
	}{
		{`{"reason":"tired"}`, deskTok1, "invalid_reason", 422},
		{`{"note":"no reason"}`, deskTok1, "invalid_reason", 422},
		{`{"reason":"other","note":"` + note + `x"}`, deskTok1, "invalid_note", 422},
		{`{"reason":"other"`, deskTok1, "", 400},
		{`{"reason":7}`, deskTok1, "", 400},
		{`{"reason":"other"}`, deskTok2, "forbidden_facility", 403},
		{`{"reason":"other"}`, deskAudTok, "", 403},
	} {
		r := c.do(badCall("POST", path, tc.token, tc.body), tc.status)
		if tc.code != "" && r.errorCode() != tc.code {
			t.Errorf("POST %s: %s, want %s", clip([]byte(tc.body)), r.errorCode(), tc.code)
		}
	}
	if r := c.do(jsonCall("POST", "/v1/checkins/unknown0000000000/acknowledgement", deskTok1, `{"reason":"other"}`), 404); r.errorCode() != "checkin_not_found" {
		t.Errorf("unknown check-in: %s", r.errorCode())
	}
	c.do(badCall("POST", "/v1/checkins/"+strings.Repeat("x", 65)+"/acknowledgement", deskTok1, `{"reason":"other"}`), 404)

	// The auditor reads it on the visit.
	type dupPage struct {
		Items []verifier.DuplicateGroup
	}
	p := decodeAs[dupPage](t, c.do(jsonCall("GET", "/v1/duplicates?from=2026-03-09&to=2026-03-09", deskAudTok, ""), 200))
	if len(p.Items) != 1 || len(p.Items[0].Visits) != 2 {
		t.Fatalf("duplicates: %+v", p.Items)
	}
	var acked *verifier.Visit
	for i := range p.Items[0].Visits {
		if p.Items[0].Visits[i].CheckinID == flagged.CheckinID {
			acked = &p.Items[0].Visits[i]
		}
	}
	if acked == nil || acked.Acknowledgement == nil || acked.Acknowledgement.Reason != "referral" || acked.Acknowledgement.By != "his-1" || acked.ReferralNo != "125/GCT-TTYT" {
		t.Errorf("duplicate group's visit: %+v", acked)
	}
	r := c.do(jsonCall("GET", "/v1/duplicates?from=2026-03-09&to=2026-03-09&format=csv", deskAudTok, ""), 200)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.body), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("CSV: %v %q", err, r.body)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	found := false
	for _, row := range rows[1:] {
		if row[col("checkin_id")] == flagged.CheckinID {
			found = true
			if row[col("referral_no")] != "125/GCT-TTYT" || row[col("acknowledgement_reason")] != "referral" ||
				row[col("acknowledgement_note")] != "giấy chuyển tuyến số 125" || row[col("acknowledged_by")] != "his-1" ||
				row[col("acknowledged_at")] != "2026-03-09T08:00:00+07:00" {
				t.Errorf("CSV row: %q", row)
			}
		} else if row[col("acknowledgement_reason")] != "" {
			t.Errorf("CSV row of the visit not acknowledged: %q", row)
		}
	}
	if !found {
		t.Errorf("CSV has no row of %s: %q", flagged.CheckinID, rows)
	}
}

// The answers to every desk request carry status codes a desk can act on,
// never 5xx, whatever the body.
func TestDeskBodiesNever5xx(t *testing.T) {
	c := deskServer(t)
	id := decodeAs[checkinAnswer](t, c.do(jsonCall("POST", "/v1/checkins", deskTok1, `{"citizen_id":"008095001234"}`), 200)).CheckinID
	for _, body := range []string{"", "null", "{", `{"reason":null}`, `{"visit_type":null}`, `{"priority":[null]}`, `{"priority":[1]}`, "\xff", `{"note":"` + strings.Repeat("a", 70000) + `"}`} {
		for _, path := range []string{"/v1/checkins/" + id, "/v1/checkins/" + id + "/acknowledgement"} {
			method := "POST"
			if !strings.HasSuffix(path, "acknowledgement") {
				method = "PATCH"
			}
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+deskTok1)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			c.srv.ServeHTTP(w, req)
			var e errorBody
			if w.Code < 400 || w.Code >= 500 || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("%s %s with %s: %d %s", method, path, clip([]byte(body)), w.Code, clip(w.Body.Bytes()))
			}
		}
	}
}
