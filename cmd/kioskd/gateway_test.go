package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
)

// gatewayHIS plays a hospital system exactly as the open HIS clients call
// the insurer's gateway (docs/domain.md §6): a form login with the MD5 hex
// of the password, then each card check as a form body with the four
// query parameters, reading the JSON body whatever the HTTP status.
type gatewayHIS struct {
	t                 *testing.T
	base, user, pwMD5 string
	token, idToken    string
}

func (h *gatewayHIS) post(path string, form url.Values) (int, map[string]any) {
	h.t.Helper()
	res, err := http.Post(h.base+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body) // whatever the status
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		h.t.Fatalf("POST %s: %d, not JSON: %s", path, res.StatusCode, b)
	}
	return res.StatusCode, m
}

func (h *gatewayHIS) login() (int, map[string]any) {
	code, m := h.post("/api/token/take", url.Values{"username": {h.user}, "password": {h.pwMD5}})
	if k, ok := m["APIKey"].(map[string]any); ok {
		h.token, _ = k["access_token"].(string)
		h.idToken, _ = k["id_token"].(string)
	}
	return code, m
}

func (h *gatewayHIS) check(form url.Values) map[string]any {
	h.t.Helper()
	q := url.Values{"token": {h.token}, "id_token": {h.idToken}, "username": {h.user}, "password": {h.pwMD5}}
	_, m := h.post("/api/egw/KQNhanLichSuKCB2024?"+q.Encode(), form)
	return m
}

var gatewayKeys = []string{"maKetQua", "ghiChu", "maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH", "gtTheTu", "gtTheDen",
	"maKV", "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi", "gtTheDenMoi", "maDKBDMoi", "tenDKBDMoi", "dsLichSuKCB2018", "dsLichSuKT2018"}

// TestGatewayAsHISClientsCallIt runs the real kioskd on :0 over a data set
// that produces every result code its data can (testdata/gateway), and
// checks each answer's code and keys, the look-up history across
// facilities, and that no password or token reaches the log.
func TestGatewayAsHISClientsCallIt(t *testing.T) {
	dir := t.TempDir()
	const pw08002, pw08001 = "his-08002-password-0123456789", "his-08001-password-0123456789"
	md5hex := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	keys := fmt.Sprintf(`[
		{"name":"desk-1","role":"kiosk","facility":"08001","token":%q},
		{"name":"08002_BV","role":"his","facility":"08002","token":%q,"token_md5":%q},
		{"name":"08001_BV","role":"his","facility":"08001","token":%q}]`,
		kioskToken, kiosk.HashToken(pw08002), kiosk.HashTokenMD5(pw08002), pw08001)
	keysFile := filepath.Join(dir, "gwkeys.json")
	if err := os.WriteFile(keysFile, []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	base, logs, _ := startServer(t, "-data", "testdata/gateway", "-keys", keysFile)

	his := &gatewayHIS{t: t, base: base, user: "08002_BV", pwMD5: md5hex(pw08002)}
	if code, m := his.login(); code != 200 || m["maKetQua"] != "200" || his.token == "" || his.idToken == "" {
		t.Fatalf("login: %d %v", code, m)
	}
	// A check-in at 08001 and a card check by 08001's HIS come first:
	// the history of the card shows both.
	if r := postJSON(t, base+"/v1/checkins", kioskToken, `{"citizen_id":"008095001234"}`); r.status != 200 {
		t.Fatalf("check-in: %d %s", r.status, r.body)
	}
	other := &gatewayHIS{t: t, base: base, user: "08001_BV", pwMD5: md5hex(pw08001)}
	other.login()
	staff08001 := url.Values{"hoTenCb": {"Phạm Thị Bộ"}, "cccdCb": {"008185000222"}}
	card := func(maThe, hoTen, ngaySinh string, more ...string) url.Values {
		v := url.Values{"maThe": {maThe}, "hoTen": {hoTen}, "ngaySinh": {ngaySinh}, "hoTenCb": {"Lê Văn Cán"}, "cccdCb": {"008085000111"}}
		for i := 0; i+1 < len(more); i += 2 {
			v.Set(more[i], more[i+1])
		}
		return v
	}
	f := card("HS4080120878837", "Nguyễn Văn An", "1995")
	f["hoTenCb"], f["cccdCb"] = staff08001["hoTenCb"], staff08001["cccdCb"]
	if m := other.check(f); m["maKetQua"] != "000" {
		t.Fatalf("08001's check: %v", m)
	}

	an := "Nguyễn Văn An"
	cases := []struct {
		name string
		form url.Values
		code string
	}{
		{"card code", card("HS4080120878837", an, "14/03/1995"), "000"},
		{"10-digit number", card("0844444444", an, "14/03/1995"), "000"},
		{"12-digit citizen ID", card("008095001234", an, "03/1995"), "000"},
		{"a cancelled citizen ID", card("008095009876", an, "1995"), "000"},
		{"defence", card("QN5080111111111", an, "1995"), "001"},
		{"police", card("CA5080122222222", an, "1995"), "002"},
		{"replaced, expired", card("DN4080133333333", an, "1995"), "003"},
		{"replaced, valid", card("DN4080155555555", an, "1995"), "004"},
		{"expired", card("DN4080166666666", an, "1995"), "010"},
		{"unknown card", card("0899999999", an, "1995"), "050"},
		{"unknown citizen", card("008095000000", an, "1995"), "050"},
		{"malformed card", card("DN40808", an, "1995"), "051"},
		{"bad province", card("DN4990112345678", an, "1995"), "052"},
		{"bad benefit", card("DN9080112345678", an, "1995"), "053"},
		{"staff not registered", card("HS4080120878837", an, "1995", "cccdCb", "008085000999"), "054"},
		{"staff name wrong", card("HS4080120878837", an, "1995", "hoTenCb", "Lê Văn Khác"), "055"},
		{"name wrong", card("HS4080120878837", "Trần Văn Bình", "1995"), "060"},
		{"name wrong, first letter right", card("HS4080120878837", "Nguyen Van An", "1995"), "061"},
		{"birth date wrong", card("HS4080120878837", an, "15/03/1995"), "070"},
		{"gender wrong", card("HS4080120878837", an, "1995", "gioiTinh", "2"), "080"},
		{"registered facility wrong", card("HS4080120878837", an, "1995", "maDKBD", "08001"), "090"},
		{"revoked", card("DN4080177777777", an, "1995"), "110"},
		{"reduced, no reason", card("DN4080188888880", an, "1995"), "120"},
		{"reduced, moved out", card("DN4080188888881", an, "1995"), "121"},
		{"reduced, moved within", card("DN4080188888882", an, "1995"), "122"},
		{"reduced, re-enrolled", card("DN4080188888883", an, "1995"), "123"},
		{"reduced, stopped", card("DN4080188888884", an, "1995"), "124"},
		{"child without a card", card("008223000123", "Lý Minh Khôi", "01/05/2023"), "130"},
		{"no name", card("HS4080120878837", "", "1995"), "205"},
		{"no staff member", url.Values{"maThe": {"HS4080120878837"}, "hoTen": {an}, "ngaySinh": {"1995"}}, "205"},
	}
	seen := map[string]bool{}
	var byID map[string]any
	for _, tc := range cases {
		m := his.check(tc.form)
		if m["maKetQua"] != tc.code || m["ghiChu"] == "" {
			t.Errorf("%s: maKetQua %v (%v), want %s", tc.name, m["maKetQua"], m["ghiChu"], tc.code)
		}
		seen[tc.code] = true
		for _, k := range gatewayKeys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: key %s missing", tc.name, k)
			}
		}
		if tc.name == "12-digit citizen ID" {
			byID = m
		}
	}
	// By citizen ID, maThe is the card's code, with the card's data.
	if byID["maThe"] != "HS4080120878837" || byID["maSoBHXH"] != "0820878837" || byID["maKV"] != "K2" || byID["cqBHXH"] != "0801" ||
		byID["gioiTinh"] != "Nam" || byID["ngaySinh"] != "14/03/1995" || byID["gtTheTu"] != "01/01/2026" || byID["gtTheDen"] != "31/12/2099" ||
		byID["diaChi"] != "Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang" || byID["maDKBD"] != "08002" {
		t.Errorf("by citizen ID: %v", byID)
	}
	// The history: newest first, every entry well formed, this HIS's own
	// checks, 08001's HIS check and 08001's desk check-in among them.
	hist, _ := byID["dsLichSuKT2018"].([]any)
	now := time.Now().In(mustLoc(t))
	users := map[string]bool{}
	prev := "999999999999"
	for _, h := range hist {
		e := h.(map[string]any)
		u, at, code := e["userKT"].(string), e["thoiGianKT"].(string), e["maLoi"].(string)
		users[u] = true
		if !regexp.MustCompile(`^0800[12]_`).MatchString(u) || !regexp.MustCompile(`^[0-9]{12}$`).MatchString(at) || e["thongBao"] == "" || len(code) != 3 {
			t.Errorf("history entry %v", e)
		}
		if at > prev {
			t.Errorf("history not newest first: %s after %s", at, prev)
		}
		prev = at
		if lt, err := time.ParseInLocation("200601021504", at, mustLoc(t)); err != nil || lt.Sub(now) > time.Minute || now.Sub(lt) > 10*time.Minute {
			t.Errorf("thoiGianKT %s is not the local time now (%s)", at, now.Format("200601021504"))
		}
	}
	for _, u := range []string{"08002_BV", "08001_BV", "08001_TIEPDON"} {
		if !users[u] {
			t.Errorf("history lacks %s: %v", u, hist)
		}
	}
	if v, _ := byID["dsLichSuKCB2018"].([]any); len(v) != 1 || get(v[0].(map[string]any), "maCSKCB") != "08001" {
		t.Errorf("dsLichSuKCB2018 = %v, want the check-in at 08001", byID["dsLichSuKCB2018"])
	}
	// A replaced card names its new one.
	if m := his.check(card("DN4080133333333", an, "1995")); m["maTheMoi"] != "0844444444" || m["maTheCu"] != "DN4080133333333" || m["maDKBDMoi"] != "08001" || m["tenDKBDMoi"] != "Bệnh viện Đa khoa tỉnh Tuyên Quang" {
		t.Errorf("replaced card: %v", m)
	}
	// Credentials: a wrong password is HTTP 401 at the login, and 401 in
	// the card check's body; a false token too.
	bad := &gatewayHIS{t: t, base: base, user: "08002_BV", pwMD5: md5hex("wrong")}
	if code, m := bad.login(); code != 401 || m["maKetQua"] != "401" || m["APIKey"] != nil {
		t.Errorf("wrong password: %d %v", code, m)
	}
	bad.token, bad.idToken = his.token+"x", his.idToken
	if m := bad.check(card("HS4080120878837", an, "1995")); m["maKetQua"] != "401" {
		t.Errorf("false token: %v", m)
	}
	seen["401"] = true
	for _, code := range []string{"000", "001", "002", "003", "004", "010", "050", "051", "052", "053", "054", "055", "060", "061", "070", "080", "090", "110", "120", "121", "122", "123", "124", "130", "205", "401"} {
		if !seen[code] {
			t.Errorf("code %s was not checked", code)
		}
	}
	// Nothing secret in the log: passwords, tokens, IDs, names.
	out := logs.String()
	for _, s := range []string{pw08002, md5hex(pw08002), his.token, his.idToken, "008095001234", "008085000111", "Lê Văn Cán", "Nguyễn", "password="} {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q", s)
		}
	}
}
