package kiosk_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
)

func md5hex(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

// gatewayClock is a settable clock for token expiry.
type gatewayClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *gatewayClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *gatewayClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newGatewayServer has an HIS key "his-08002" (token kiosk2Tok) and logs
// at debug level into logs.
func newGatewayServer(t *testing.T, clk *gatewayClock, logs *bytes.Buffer) *kiosk.Server {
	return newServerWith(t, 3, kiosk.RoleHIS, func(c *kiosk.Config) {
		c.Now = clk.Now
		c.GatewayTokenTTL = time.Hour
		if logs != nil {
			c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	})
}

func form(h http.Handler, path, body string, header map[string]string) (int, map[string]any) {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

func login(t *testing.T, h http.Handler, user, password string) (access, id string) {
	t.Helper()
	code, m := form(h, "/api/token/take", url.Values{"username": {user}, "password": {password}}.Encode(), nil)
	k, _ := m["APIKey"].(map[string]any)
	if code != 200 || m["maKetQua"] != "200" || k == nil {
		t.Fatalf("login %s: %d %v", user, code, m)
	}
	if k["token_type"] != "Bearer" || k["username"] != user || k["expires_in"] != 3600.0 {
		t.Errorf("login answer %v", k)
	}
	return k["access_token"].(string), k["id_token"].(string)
}

const cardForm = "maThe=0800000001&hoTen=Nguy%E1%BB%85n+V%C4%83n+An&ngaySinh=14%2F03%2F1995"

func TestGatewayLogin(t *testing.T) {
	clk := &gatewayClock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}
	s := newGatewayServer(t, clk, nil)
	// The token itself and its MD5 hex both log in (the key's token is in
	// clear in this keys file, so its MD5 is known).
	for _, pw := range []string{kiosk2Tok, md5hex(kiosk2Tok)} {
		login(t, s, "his-08002", pw)
	}
	// JSON works too.
	req := httptest.NewRequest("POST", "/api/token/take", strings.NewReader(`{"username":"his-08002","password":"`+md5hex(kiosk2Tok)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"maKetQua":"200"`) {
		t.Errorf("JSON login: %d %s", w.Code, w.Body)
	}
	for name, body := range map[string]string{
		"wrong password":   "username=his-08002&password=" + md5hex("other"),
		"MD5 in capitals":  "username=his-08002&password=" + strings.ToUpper(md5hex(kiosk2Tok)),
		"unknown account":  "username=nobody&password=" + kiosk2Tok,
		"a kiosk key":      "username=k&password=" + kioskTok,
		"another's secret": "username=his-08002&password=" + kioskTok,
	} {
		code, m := form(s, "/api/token/take", body, nil)
		if code != 401 || m["maKetQua"] != "401" || m["ghiChu"] == "" || m["APIKey"] != nil {
			t.Errorf("%s: %d %v, want HTTP 401 {maKetQua 401, ghiChu} without APIKey", name, code, m)
		}
	}
	for field, body := range map[string]string{"username": "password=x", "password": "username=his-08002"} {
		code, m := form(s, "/api/token/take", body, nil)
		if code != 400 || m["maKetQua"] != "205" || !strings.Contains(m["ghiChu"].(string), field) {
			t.Errorf("missing %s: %d %v", field, code, m)
		}
	}
}

func TestGatewayTokens(t *testing.T) {
	clk := &gatewayClock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}
	s := newGatewayServer(t, clk, nil)
	access, id := login(t, s, "his-08002", md5hex(kiosk2Tok))
	check := func(name, query string, header map[string]string, want string) {
		t.Helper()
		code, m := form(s, "/api/egw/KQNhanLichSuKCB2024"+query, cardForm, header)
		if code != 200 || m["maKetQua"] != want {
			t.Errorf("%s: HTTP %d maKetQua %v, want 200 and %s (%v)", name, code, m["maKetQua"], want, m["ghiChu"])
		}
	}
	q := "?token=" + access + "&id_token=" + id + "&username=his-08002&password=" + md5hex(kiosk2Tok)
	check("the four query parameters", q, nil, "000")
	check("token alone", "?token="+access, nil, "000")
	check("bearer access token", "", map[string]string{"Authorization": "Bearer " + access}, "000")
	check("bearer API token", "", map[string]string{"Authorization": "Bearer " + kiosk2Tok}, "000")
	check("username and password only", "?username=his-08002&password="+kiosk2Tok, nil, "000")
	check("id_token as access token", "?token="+id, nil, "401")
	check("access token as id_token", "?token="+access+"&id_token="+access, nil, "401")
	check("tampered token", "?token="+access[:len(access)-2]+"xx", nil, "401")
	check("a kiosk key's API token", "", map[string]string{"Authorization": "Bearer " + kioskTok}, "401")
	check("wrong password", "?username=his-08002&password=x", nil, "401")
	check("no credentials", "", nil, "401")
	// The token acts as its key: facility 08002 only.
	code, m := form(s, "/api/egw/KQNhanLichSuKCB2024"+q, cardForm+"&maCSKCB=08001", nil)
	if code != 200 || m["maKetQua"] != "401" {
		t.Errorf("another facility's maCSKCB: %d %v", code, m)
	}
	// Tokens expire; a login gives new ones.
	clk.Add(time.Hour + time.Second)
	check("expired token, even with a good password", q, nil, "401")
	access, _ = login(t, s, "his-08002", kiosk2Tok)
	check("a new token", "?token="+access, nil, "000")
	// Another server (another secret) does not take this one's tokens;
	// one with the same secret does.
	other := newGatewayServer(t, clk, nil)
	if _, m := form(other, "/api/egw/KQNhanLichSuKCB2024?token="+access, cardForm, nil); m["maKetQua"] != "401" {
		t.Errorf("a token of another secret: %v", m)
	}
}

func TestGatewaySharedSecret(t *testing.T) {
	clk := &gatewayClock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}
	mk := func() *kiosk.Server {
		return newServerWith(t, 3, kiosk.RoleHIS, func(c *kiosk.Config) { c.Now, c.GatewaySecret = clk.Now, []byte("shared") })
	}
	a, b := mk(), mk()
	access, _ := login(t, a, "his-08002", kiosk2Tok)
	if _, m := form(b, "/api/egw/KQNhanLichSuKCB2024?token="+access, cardForm, nil); m["maKetQua"] != "000" {
		t.Errorf("a token from another kioskd with the same secret: %v", m)
	}
}

// Every key of the answer is present, whatever the answer; bad input is
// 205 naming the field; nothing under /api/ is a gin page.
func TestGatewayAnswersEveryKey(t *testing.T) {
	clk := &gatewayClock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}
	s := newGatewayServer(t, clk, nil)
	keys := []string{"maKetQua", "ghiChu", "maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH", "gtTheTu", "gtTheDen",
		"maKV", "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi", "gtTheDenMoi", "maDKBDMoi", "tenDKBDMoi", "dsLichSuKCB2018", "dsLichSuKT2018"}
	auth := "?username=his-08002&password=" + kiosk2Tok
	for _, tc := range []struct{ body, code, field string }{
		{cardForm, "000", ""},
		{"maThe=0800000001&hoTen=Tr%E1%BA%A7n+An&ngaySinh=1995", "060", ""},
		{"maThe=08000000&hoTen=An&ngaySinh=1995", "051", ""},
		{"maThe=0899999999&hoTen=An&ngaySinh=1995", "050", ""},
		{"maThe=008095009999&hoTen=An&ngaySinh=1995", "050", ""},
		{"", "205", "maThe"},
		{"maThe=0800000001&ngaySinh=1995", "205", "hoTen"},
		{"maThe=0800000001&hoTen=An", "205", "ngaySinh"},
		{"maThe=0800000001&hoTen=An&ngaySinh=31%2F02%2F1995", "205", "ngaySinh"},
		{"maThe=0800000001&hoTen=An&ngaySinh=1995&gioiTinh=7", "205", "gioiTinh"},
		{"maThe=0800000001&hoTen=An&ngaySinh=1995&cccdCb=008085000111", "205", "hoTenCb"},
		{"maThe=0800000001&hoTen=An&ngaySinh=1995&hoTenCb=A", "205", "cccdCb"},
		{"%zz", "205", "body"},
		{strings.Repeat("a", 70<<10), "205", "body"},
	} {
		code, m := form(s, "/api/egw/KQNhanLichSuKCB2024"+auth, tc.body, nil)
		if code != 200 || m["maKetQua"] != tc.code || !strings.Contains(m["ghiChu"].(string), tc.field) {
			t.Errorf("%.60q: HTTP %d %v %v; want 200, %s naming %q", tc.body, code, m["maKetQua"], m["ghiChu"], tc.code, tc.field)
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%.60q: key %s missing", tc.body, k)
			}
		}
		if tc.code != "000" && (m["hoTen"] != "" || m["dsLichSuKCB2018"] != nil || len(m["dsLichSuKT2018"].([]any)) != 0) {
			t.Errorf("%.60q (%s): the answer discloses the holder: %v", tc.body, tc.code, m)
		}
	}
	for _, r := range []struct {
		method, path string
		status       int
	}{{"GET", "/api/egw/KQNhanLichSuKCB2024", 405}, {"GET", "/api/token/take", 405}, {"POST", "/api/egw/Other", 404}, {"GET", "/api/", 404}} {
		req := httptest.NewRequest(r.method, r.path, nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != r.status || m["maKetQua"] != "205" || m["ghiChu"] == "" {
			t.Errorf("%s %s: %d %s, want %d in the gateway's format", r.method, r.path, w.Code, w.Body, r.status)
		}
	}
}

// Neither the password, the tokens nor the card's or patient's data
// reach a log line, at debug level, query strings included.
func TestGatewayLogsNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	clk := &gatewayClock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}
	s := newGatewayServer(t, clk, &logs)
	pw := md5hex(kiosk2Tok)
	access, id := login(t, s, "his-08002", pw)
	form(s, "/api/token/take", "username=his-08002&password=wrong-"+pw, nil)
	q := "?token=" + access + "&id_token=" + id + "&username=his-08002&password=" + pw
	form(s, "/api/egw/KQNhanLichSuKCB2024"+q, cardForm+"&hoTenCb=L%C3%AA+V%C4%83n+C%C3%A1n&cccdCb=008085000111", nil)
	form(s, "/api/egw/KQNhanLichSuKCB2024?token="+access+"x&password="+pw, cardForm, nil)
	form(s, "/api/egw/KQNhanLichSuKCB2024"+q, "maThe=008095000001&hoTen=An", nil)
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, `"route":"/api/egw/KQNhanLichSuKCB2024"`) {
		t.Fatalf("the requests were not logged at all: %s", out)
	}
	for _, secret := range []string{pw, kiosk2Tok, access, id, "0800000001", "008095000001", "008085000111", "Nguyễn", "Cán", "token=", "password"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
}

// FuzzGateway: whatever the body, its type and the query, the gateway's
// card check answers HTTP 200 with a gateway JSON answer, and the login a
// gateway JSON answer with 200, 400 or 401; never a 5xx.
func FuzzGateway(f *testing.F) {
	clk := &gatewayClock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}
	s := newServerWith(f, 3, kiosk.RoleHIS, func(c *kiosk.Config) { c.Now = clk.Now })
	types := []string{"application/x-www-form-urlencoded", "application/json", "", "multipart/form-data; boundary=X", "text/plain", "multipart/form-data", "application/json; charset=utf-8"}
	for _, seed := range []string{cardForm, `{"maThe":"0800000001","hoTen":"An","ngaySinh":"1995","gioiTinh":1}`, `{"maThe":null}`, `{"maThe":["x"]}`,
		"--X\r\nContent-Disposition: form-data; name=\"maThe\"\r\n\r\n0800000001\r\n--X--\r\n", "username=his-08002&password=" + kiosk2Tok, "\xff", "%", `{"username":1}`} {
		for ct := range types {
			f.Add(uint8(ct), "?username=his-08002&password="+kiosk2Tok, seed, false)
			f.Add(uint8(ct), "", seed, true)
		}
	}
	f.Fuzz(func(t *testing.T, ct uint8, query, body string, take bool) {
		q := strings.Map(func(r rune) rune {
			if r < 0x21 || r == '#' || r > 0x7e {
				return -1
			}
			return r
		}, query)
		if q != "" && q[0] != '?' {
			q = "?" + q
		}
		path := "/api/egw/KQNhanLichSuKCB2024"
		if take {
			path = "/api/token/take"
		}
		req := httptest.NewRequest("POST", path+q, strings.NewReader(body))
		if ty := types[int(ct)%len(types)]; ty != "" {
			req.Header.Set("Content-Type", ty)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || m["maKetQua"] == nil {
			t.Fatalf("%s %q: %d, not a gateway answer: %s", path, body, w.Code, w.Body)
		}
		switch {
		case !take && w.Code != 200:
			t.Fatalf("card check %q: HTTP %d, want 200", body, w.Code)
		case take && w.Code != 200 && w.Code != 400 && w.Code != 401:
			t.Fatalf("login %q: HTTP %d", body, w.Code)
		}
	})
}

// BenchmarkCardCheck measures the gateway's card check (form body, query
// credentials, look-up recorded and history read, in-process stores) next
// to POST /v1/eligibility by card number for the same cards.
func BenchmarkCardCheck(b *testing.B) {
	const n = 1000
	clk := &gatewayClock{t: time.Now()}
	s := newServerWith(b, n, kiosk.RoleHIS, func(c *kiosk.Config) { c.Now = clk.Now })
	cardNo := func(i int) string { return "08" + pad8(i) }
	b.Run("gateway", func(b *testing.B) {
		path := "/api/egw/KQNhanLichSuKCB2024?username=his-08002&password=" + md5hex(kiosk2Tok)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			req := httptest.NewRequest("POST", path, strings.NewReader("maThe="+cardNo(i%n)+"&hoTen=Nguy%E1%BB%85n+V%C4%83n+An&ngaySinh=14%2F03%2F1995"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"maKetQua":"000"`) {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
			i++
		}
	})
	b.Run("eligibility", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			w := post(s, "/v1/eligibility", kiosk2Tok, `{"card_no":"`+cardNo(i%n)+`","full_name":"Nguyễn Văn An","dob":"1995-03-14"}`)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"code":"000"`) {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
			i++
		}
	})
}

// An HIS key reads the visits only of citizens who checked in at its
// facility or were found by its card check (issue 16 item 8); a card
// check with a wrong name opens nothing; auditors read everyone.
func TestHISReadsOnlyCitizensSeenThere(t *testing.T) {
	clk := &gatewayClock{t: time.Now()}
	s := newGatewayServer(t, clk, nil) // his-08002 (kiosk2Tok), kiosk k at 08001
	read := func(tok, id string) int {
		req := httptest.NewRequest("GET", "/v1/citizens/"+id+"/visits", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code == 403 && !strings.Contains(w.Body.String(), `"not_seen_here"`) {
			t.Errorf("403 without not_seen_here: %s", w.Body)
		}
		return w.Code
	}
	if got := read(kiosk2Tok, "008095000000"); got != 403 {
		t.Errorf("a citizen never seen at 08002: %d, want 403", got)
	}
	if got := read(auditorTok, "008095000000"); got != 200 {
		t.Errorf("an auditor: %d, want 200", got)
	}
	// Checked in at 08001 only: still not 08002's.
	post(s, "/v1/checkins", kioskTok, `{"citizen_id":"008095000000"}`)
	if got := read(kiosk2Tok, "008095000000"); got != 403 {
		t.Errorf("a citizen seen at another facility only: %d, want 403", got)
	}
	// A card check with a wrong name does not open the citizen; one that
	// matches does.
	auth := "?username=his-08002&password=" + kiosk2Tok
	if _, m := form(s, "/api/egw/KQNhanLichSuKCB2024"+auth, "maThe=0800000000&hoTen=Tr%E1%BA%A7n+B&ngaySinh=1995", nil); m["maKetQua"] != "060" {
		t.Fatalf("wrong-name check: %v", m)
	}
	if got := read(kiosk2Tok, "008095000000"); got != 403 {
		t.Errorf("after a check with a wrong name: %d, want 403", got)
	}
	if _, m := form(s, "/api/egw/KQNhanLichSuKCB2024"+auth, "maThe=0800000000&hoTen=Nguy%E1%BB%85n+V%C4%83n+An&ngaySinh=1995", nil); m["maKetQua"] != "000" {
		t.Fatalf("card check: %v", m)
	}
	if got := read(kiosk2Tok, "008095000000"); got != 200 {
		t.Errorf("after a matching card check at 08002: %d, want 200", got)
	}
	// A check-in at 08002 opens the citizen too.
	post(s, "/v1/checkins", kiosk2Tok, `{"citizen_id":"008095000001"}`)
	if got := read(kiosk2Tok, "008095000001"); got != 200 {
		t.Errorf("after a check-in at 08002: %d, want 200", got)
	}
	if got := read(kiosk2Tok, "008095000002"); got != 403 {
		t.Errorf("a third citizen: %d, want 403", got)
	}
}
