package kiosk_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimxml"
)

// claimFile writes a claim file of facility fac with one HOSO per record.
func claimFile(t *testing.T, fac string, recs ...verifier.ClaimFields) []byte {
	t.Helper()
	var b bytes.Buffer
	w := claimxml.NewWriter(&b, fac)
	for _, f := range recs {
		if err := w.Add(f, "", "XML2"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func claimRec(fac, lk, cccd, card, vao, loai, bhtt string) verifier.ClaimFields {
	f := verifier.ClaimFields{"MA_LK": lk, "MA_CSKCB": fac, "NGAY_VAO": vao, "MA_LOAI_KCB": loai, "T_BHTT": bhtt, "HO_TEN": "Nguyễn Văn An"}
	if cccd != "" {
		f["SO_CCCD"] = cccd
	}
	if card != "" {
		f["MA_THE_BHYT"] = card
	}
	return f
}

func sendClaims(h http.Handler, token, ct string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/v1/claims", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

type importAnswer struct {
	Imported, Replaced int
	Rejected           []verifier.ClaimRejection
	RejectedTotal      int `json:"rejected_total"`
}

func decodeImport(t *testing.T, w *httptest.ResponseRecorder) importAnswer {
	t.Helper()
	var a importAnswer
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &a) != nil {
		t.Fatalf("import: %d %s", w.Code, w.Body)
	}
	return a
}

func TestImportClaims(t *testing.T) {
	s := newServer(t, 3)
	file := claimFile(t, "08001",
		claimRec("08001", "LK1", "008095000000", "", "202612010730", "01", "150000"),
		claimRec("08001", "LK2", "", "0800000001", "202612010745", "01", "90000"), // matched by card
		claimRec("08001", "LK3", "", "", "202612010745", "01", "1"),               // names no one
		claimRec("08001", "LK4", "008095000002", "", "2026120107", "01", "1"),     // bad NGAY_VAO
	)
	a := decodeImport(t, sendClaims(s, auditorTok, "application/xml", file))
	if a.Imported != 2 || a.Replaced != 0 || len(a.Rejected) != 2 || a.RejectedTotal != 2 {
		t.Fatalf("first import: %+v", a)
	}
	if a.Rejected[0].MaLK != "LK3" || a.Rejected[1].MaLK != "LK4" || !strings.Contains(a.Rejected[1].Error, "NGAY_VAO") {
		t.Fatalf("rejections %+v", a.Rejected)
	}
	// The same file again replaces, as text/xml.
	a = decodeImport(t, sendClaims(s, auditorTok, "text/xml; charset=utf-8", file))
	if a.Imported != 0 || a.Replaced != 2 {
		t.Fatalf("resubmission: %+v", a)
	}
	// Two files in one multipart body.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i, f := range [][]byte{
		claimFile(t, "08002", claimRec("08002", "LK1", "008095000000", "", "202612010930", "01", "70000")),
		claimFile(t, "08002", claimRec("08002", "LK9", "008095000001", "", "20261201", "01", "1")),
	} {
		fw, _ := mw.CreateFormFile("file", []string{"a.xml", "b.xml"}[i])
		fw.Write(f)
	}
	mw.WriteField("note", "ignored")
	mw.Close()
	a = decodeImport(t, sendClaims(s, auditorTok, mw.FormDataContentType(), body.Bytes()))
	if a.Imported != 1 || len(a.Rejected) != 1 || !strings.HasPrefix(a.Rejected[0].Error, "b.xml: ") {
		t.Fatalf("multipart: %+v", a)
	}
}

func TestImportClaimsBadInput(t *testing.T) {
	s := newServerWith(t, 1, kiosk.RoleKiosk, func(c *kiosk.Config) { c.MaxClaimBody = 64 << 10 })
	good := claimFile(t, "08001", claimRec("08001", "LK1", "008095000000", "", "202612010730", "01", "1"))
	var empty bytes.Buffer
	mw := multipart.NewWriter(&empty)
	mw.WriteField("x", "y")
	mw.Close()
	big := claimFile(t, "08001", claimRec("08001", "LK1", "008095000000", "", "202612010730", "01", strings.Repeat("1", 10)))
	big = append(big[:len(big)-len("</GIAMDINHHS>\n")], []byte(strings.Repeat("<X>1</X>", 10_000)+"</GIAMDINHHS>")...)
	tests := []struct {
		name, token, ct string
		body            []byte
		status          int
		code            string
	}{
		{"not an auditor", kioskTok, "application/xml", good, 403, "forbidden_role"},
		{"no token", "", "application/xml", good, 401, "unauthenticated"},
		{"JSON", auditorTok, "application/json", []byte(`{}`), 415, "unsupported_media_type"},
		{"no type", auditorTok, "", good, 415, "unsupported_media_type"},
		{"malformed", auditorTok, "application/xml", []byte(`<GIAMDINHHS><A>`), 422, "malformed_xml"},
		{"truncated", auditorTok, "application/xml", good[:len(good)-30], 422, "malformed_xml"},
		{"wrong envelope", auditorTok, "application/xml", []byte(`<HOSO/>`), 422, "invalid_envelope"},
		{"entity bomb", auditorTok, "application/xml", []byte(`<!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><GIAMDINHHS>&b;</GIAMDINHHS>`), 422, "xml_entities"},
		{"too large", auditorTok, "application/xml", big, 413, "body_too_large"},
		{"multipart without files", auditorTok, mw.FormDataContentType(), empty.Bytes(), 422, "no_claim_file"},
		{"multipart without boundary", auditorTok, "multipart/form-data", good, 400, "invalid_multipart"},
		{"multipart cut short", auditorTok, "multipart/form-data; boundary=zzz", []byte("--zzz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n<GIAMDINHHS>"), 400, "invalid_body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sendClaims(s, tt.token, tt.ct, tt.body)
			var e struct {
				Error struct{ Code, Message string }
			}
			if w.Code != tt.status || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Code != tt.code {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, tt.status, tt.code)
			}
		})
	}
}

func TestReviewAGroup(t *testing.T) {
	s := newServer(t, 1)
	for _, tok := range []string{kioskTok, kiosk2Tok} {
		if w := post(s, "/v1/checkins", tok, `{"citizen_id":"008095000000"}`); w.Code != 200 {
			t.Fatalf("check-in: %d %s", w.Code, w.Body)
		}
	}
	var page struct{ Items []verifier.DuplicateGroup }
	today := time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
	w := getAs(s, "/v1/duplicates?from="+today+"&to="+today, auditorTok)
	if json.Unmarshal(w.Body.Bytes(), &page) != nil || len(page.Items) != 1 {
		t.Fatalf("duplicates: %s", w.Body)
	}
	day := page.Items[0].Day
	put := func(token, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("PUT", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	path := "/v1/duplicates/008095000000/" + day + "/review"
	if w := put(auditorTok, path, `{"state":"confirmed","note":"Khám hai nơi"}`); w.Code != 200 || !strings.Contains(w.Body.String(), `"by":"a"`) {
		t.Fatalf("review: %d %s", w.Code, w.Body)
	}
	w = getAs(s, "/v1/duplicates?from="+day+"&to="+day, auditorTok)
	if json.Unmarshal(w.Body.Bytes(), &page) != nil || page.Items[0].Review == nil || page.Items[0].Review.State != "confirmed" || page.Items[0].Review.Note != "Khám hai nơi" {
		t.Fatalf("the group does not show its review: %s", w.Body)
	}
	for _, tt := range []struct {
		token, path, body string
		status            int
	}{
		{kioskTok, path, `{"state":"open"}`, 403},
		{auditorTok, path, `{"state":"maybe"}`, 422},
		{auditorTok, path, `{"state":"open","note":"` + strings.Repeat("x", 1001) + `"}`, 422},
		{auditorTok, path, `{"state":`, 400},
		{auditorTok, "/v1/duplicates/008095000000/2001-01-01/review", `{"state":"open"}`, 404},
		{auditorTok, "/v1/duplicates/008095000000/yesterday/review", `{"state":"open"}`, 422},
		{auditorTok, "/v1/duplicates/12/" + day + "/review", `{"state":"open"}`, 422},
	} {
		if w := put(tt.token, tt.path, tt.body); w.Code != tt.status {
			t.Errorf("PUT %s %s: %d %s, want %d", tt.path, clipStr(tt.body), w.Code, w.Body, tt.status)
		}
	}
}

func getAs(h http.Handler, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func clipStr(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
