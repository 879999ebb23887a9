package kiosk_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequests sends arbitrary bodies, content types and query strings to
// every API endpoint: the answer is never a 5xx, and every error is the
// contract's JSON error.
func FuzzRequests(f *testing.F) {
	s := newServer(f, 3)
	// A check-in of each facility, for the endpoints that change one (the
	// 08002 one is another facility's for the 08001 key the bodies use).
	var ck [2]struct {
		CheckinID string `json:"checkin_id"`
	}
	for i, tok := range []string{kioskTok, kiosk2Tok} {
		w := post(s, "/v1/checkins", tok, `{"citizen_id":"008095000002"}`)
		if err := json.Unmarshal(w.Body.Bytes(), &ck[i]); err != nil || ck[i].CheckinID == "" {
			f.Fatalf("check-in: %d %s", w.Code, w.Body)
		}
	}
	endpoints := []struct{ method, path string }{
		{"PATCH", "/v1/checkins/" + ck[0].CheckinID},
		{"POST", "/v1/checkins/" + ck[0].CheckinID + "/acknowledgement"},
		{"POST", "/v1/checkins/" + ck[1].CheckinID + "/acknowledgement"},
		{"PATCH", "/v1/checkins/unknown0000000000"},
		{"GET", "/v1/desk?"},
		{"POST", "/v1/decode"},
		{"POST", "/v1/checkins"},
		{"POST", "/v1/checkins/batch"},
		{"POST", "/v1/eligibility"},
		{"POST", "/v1/gateway/check-card"},
		{"GET", "/v1/duplicates?"},
		{"GET", "/v1/duplicates/summary?"},
		{"GET", "/v1/citizens/008095000000/visits?"},
		{"GET", "/v1/access-log?"},
	}
	types := []string{"application/json", "", "multipart/form-data; boundary=X", "text/plain", "application/json; charset=utf-8", "multipart/form-data"}
	for _, seed := range []string{
		`{"scan":"008095000001||Nguyễn Văn An|14031995|Nam|Thôn 3|15082021"}`,
		`{"citizen_id":"008095000001","scanned_at":"2026-01-01T00:00:00Z","visit_type":"emergency"}`,
		`{"items":[{"citizen_id":"008095000001"},{"card_no":"12"}]}`,
		`{"card_no":"0800000001","full_name":"A","dob":"14/03/1995","gender":"x"}`,
		`{"maThe":"0800000001","hoTen":"A","ngaySinh":"1995","gioiTinh":3}`,
		"--X\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--X--\r\n",
		"from=2026-01-01&to=2026-01-02&limit=5&cursor=abc&format=csv&citizen_id=008095000001",
		`{"scan": 12}`, `[]`, `null`, `{"items":null}`, "\xff\xfe",
		`{"visit_type":"referral","referral_no":"125/GCT","department":"NOI","priority":["pregnant","disability"]}`,
		`{"citizen_id":"008095000001","visit_type":"referral","referral_no":"\u0000","department":"x","priority":"pregnant,vip"}`,
		`{"reason":"referral","note":"giấy chuyển tuyến"}`, `{"reason":"other","note":null}`, `{"reason":["other"]}`,
	} {
		for i := range endpoints {
			f.Add(uint8(i), uint8(0), seed)
		}
	}
	f.Fuzz(func(t *testing.T, ep, ct uint8, body string) {
		e := endpoints[int(ep)%len(endpoints)]
		path := e.path
		var req *http.Request
		if e.method == "GET" {
			q := strings.Map(func(r rune) rune {
				if r < 0x21 || r == '#' || r > 0x7e {
					return -1
				}
				return r
			}, body)
			req = httptest.NewRequest("GET", path+q, nil)
			req.Header.Set("Authorization", "Bearer "+auditorTok)
			if strings.HasPrefix(path, "/v1/desk") {
				req.Header.Set("Authorization", "Bearer "+kioskTok)
			}
		} else {
			req = httptest.NewRequest(e.method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+kioskTok)
			if t := types[int(ct)%len(types)]; t != "" {
				req.Header.Set("Content-Type", t)
			}
		}
		r := httptest.NewRecorder()
		s.ServeHTTP(r, req)
		if r.Code >= 500 {
			t.Fatalf("%s %s (%q): %d %s", e.method, path, body, r.Code, r.Body)
		}
		if r.Code >= 400 {
			var eb struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(r.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("%s %s: %d without a JSON error: %s", e.method, path, r.Code, r.Body)
			}
		}
	})
}
