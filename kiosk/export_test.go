package kiosk_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// auditServer has a duplicate group of citizen 0 today (08001 then 08002),
// both visits claimed, plus a second examination of citizen 1 at 08001
// whose name begins with "=".
func auditServer(t *testing.T) (*httptestServer, string) {
	t.Helper()
	s := newServer(t, 3)
	for _, tok := range []string{kioskTok, kiosk2Tok} {
		if w := post(s, "/v1/checkins", tok, `{"citizen_id":"008095000000"}`); w.Code != 200 {
			t.Fatalf("check-in: %d %s", w.Code, w.Body)
		}
	}
	now := time.Now().In(time.FixedZone("ICT", 7*3600))
	day := now.Format(time.DateOnly)
	vao := now.Add(-time.Minute).Format("200601021504")
	if now.Hour() == 0 && now.Minute() < 2 {
		t.Skip("too close to local midnight for a same-day test")
	}
	f := claimFile(t, "08001",
		claimRec("08001", "LK1", "008095000000", "", vao, "01", "150000"),
		withName(claimRec("08001", "LK2", "008095000001", "", vao, "01", "1000"), `=HYPERLINK("http://x","y")`),
		claimRec("08001", "LK3", "008095000001", "", vao, "01", "1000"))
	f2 := claimFile(t, "08002", claimRec("08002", "LK1", "", "0800000000", vao, "01", "80000"))
	for _, b := range [][]byte{f, f2} {
		decodeImport(t, sendClaims(s, auditorTok, "application/xml", b))
	}
	return &httptestServer{s}, day
}

type httptestServer struct{ h http.Handler }

func TestFindingsEndpoint(t *testing.T) {
	srv, day := auditServer(t)
	w := getAs(srv.h, "/v1/claims/findings?from="+day+"&to="+day, auditorTok)
	var page struct {
		Items []struct {
			Kind     string
			Claims   []map[string]any
			Checkins []map[string]any
		}
		NextCursor    string `json:"next_cursor"`
		NoCheckinFrom string `json:"no_checkin_from"`
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &page) != nil {
		t.Fatalf("findings: %d %s", w.Code, w.Body)
	}
	kinds := map[string]int{}
	for _, it := range page.Items {
		kinds[it.Kind]++
	}
	// Citizen 0: examined at both facilities where they checked in (and
	// the group was claimed); citizen 1: twice at 08001, without a check-in.
	want := map[string]int{"multi_facility_same_day": 1, "same_facility_same_day": 1, "claim_without_checkin": 2, "flagged_checkins_all_claimed": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d findings of kind %s, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}
	it := page.Items[0]
	if it.Kind != "multi_facility_same_day" || len(it.Claims) != 2 || len(it.Checkins) != 2 || it.Claims[0]["facility_name"] == nil || it.Checkins[0]["checkin_id"] == "" {
		t.Errorf("first finding %+v", it)
	}
	for _, bad := range []string{"?from=" + day, "?from=" + day + "&to=" + day + "&kind=x", "?from=" + day + "&to=" + day + "&format=pdf", "?from=" + day + "&to=" + day + "&limit=x"} {
		if w := getAs(srv.h, "/v1/claims/findings"+bad, auditorTok); w.Code/100 != 4 {
			t.Errorf("%s: %d %s", bad, w.Code, w.Body)
		}
	}
	if w := getAs(srv.h, "/v1/claims/findings?from="+day+"&to="+day, kioskTok); w.Code != 403 {
		t.Errorf("a kiosk read the findings: %d", w.Code)
	}
	w = getAs(srv.h, "/v1/claims/findings/summary?from="+day+"&to="+day, auditorTok)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"findings":5`) {
		t.Errorf("summary: %d %s", w.Code, w.Body)
	}
}

func TestFindingsCSVDefusesFormulas(t *testing.T) {
	srv, day := auditServer(t)
	w := getAs(srv.h, "/v1/claims/findings?format=csv&from="+day+"&to="+day, auditorTok)
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(w.Body.String(), "\ufeff") {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "kind" || rows[0][2] != "citizen_id" {
		t.Fatalf("rows %v %v", rows, err)
	}
	seen := false
	for _, r := range rows[1:] {
		if r[2] != "" && len(r[2]) != 12 {
			t.Errorf("citizen_id %q", r[2])
		}
		if r[6] == "08001" && r[7] == "" {
			t.Errorf("no facility name beside 08001: %v", r)
		}
		if strings.Contains(r[4], "HYPERLINK") {
			seen = true
			if !strings.HasPrefix(r[4], "'=") {
				t.Errorf("a name beginning with = is not defused: %q", r[4])
			}
		}
	}
	if !seen {
		t.Error("the planted formula name is not in the export")
	}
}

func TestExportsAsXLSX(t *testing.T) {
	srv, day := auditServer(t)
	for _, path := range []string{"/v1/claims/findings?format=xlsx&from=" + day + "&to=" + day, "/v1/duplicates?format=xlsx&from=" + day + "&to=" + day} {
		w := getAs(srv.h, path, auditorTok)
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("%s: %d %v %s", path, w.Code, w.Header(), clipStr(w.Body.String()))
		}
		f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s: not a workbook: %v", path, err)
		}
		rows, _ := f.GetRows("Sheet1")
		if len(rows) < 3 {
			t.Fatalf("%s: rows %v", path, rows)
		}
		col := func(name string) int {
			for i, h := range rows[0] {
				if h == name {
					return i
				}
			}
			t.Fatalf("%s: no column %s in %v", path, name, rows[0])
			return -1
		}
		cid, fac, fname, fullName := col("citizen_id"), col("facility"), col("facility_name"), col("full_name")
		for i, r := range rows[1:] {
			cell, _ := excelize.CoordinatesToCellName(cid+1, i+2)
			if typ, _ := f.GetCellType("Sheet1", cell); r[cid] != "" && typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
				t.Errorf("%s %s: citizen_id %q is a %v cell, not text", path, cell, r[cid], typ)
			}
			if r[cid] != "" && !strings.HasPrefix(r[cid], "00809500000") {
				t.Errorf("%s: citizen_id %q lost its leading zeros", path, r[cid])
			}
			if r[fac] != "08001" && r[fac] != "08002" {
				t.Errorf("%s: facility %q", path, r[fac])
			}
			_ = fname
			if strings.Contains(path, "duplicates") && r[fullName] != "Nguyễn Văn An" {
				t.Errorf("%s: full_name %q", path, r[fullName])
			}
		}
		panes, err := f.GetPanes("Sheet1")
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: panes %+v %v: the header row is not frozen", path, panes, err)
		}
		f.Close()
	}
}

func TestDuplicatesCSVNamesAndReview(t *testing.T) {
	srv, day := auditServer(t)
	req := httptest.NewRequest("PUT", "/v1/duplicates/008095000000/"+day+"/review", strings.NewReader(`{"state":"dismissed","note":"=chuyển tuyến"}`))
	req.Header.Set("Authorization", "Bearer "+auditorTok)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("review: %d %s", rec.Code, rec.Body)
	}
	w := getAs(srv.h, "/v1/duplicates?format=csv&from="+day+"&to="+day, auditorTok)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv %v %v", rows, err)
	}
	for _, r := range rows[1:] {
		if r[9] != "dismissed" || r[10] != "'=chuyển tuyến" || r[11] != "a" {
			t.Errorf("review columns %v", r[9:])
		}
	}
	_ = verifier.ReviewDismissed
}

func withName(f verifier.ClaimFields, name string) verifier.ClaimFields {
	f["HO_TEN"] = name
	return f
}
