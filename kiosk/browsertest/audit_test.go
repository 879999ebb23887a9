package browsertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

const auditorToken = "auditor-test-token-0123456789abc"

// auditEnv is the service with the test data set, today's same-day group
// of anID (08001, then 08002), claims for both visits and a claim of
// Ngọc at 08101 without a check-in.
func auditEnv(t *testing.T) (*httptest.Server, *verifier.Service) {
	t.Helper()
	reg, err := inmem.LoadDir("../../cmd/kioskd/testdata/data")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	ledger := inmem.NewLedger()
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: ledger, Location: loc,
		Claims: inmem.NewClaims(0, nil), Reviews: ledger}
	svc.Defaults()
	keys, err := kiosk.ParseKeys([]byte(fmt.Sprintf(`[{"name":"giam-dinh-1","role":"auditor","token":%q}]`, auditorToken)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now().In(loc)
	if now.Hour() == 0 && now.Minute() < 5 {
		t.Skip("too close to local midnight for a same-day test")
	}
	for i, fac := range []string{"08001", "08002"} {
		_, err := svc.Checkin(ctx, verifier.CheckinRequest{Presented: verifier.Presented{Source: verifier.SourceManual, CitizenID: anID},
			Facility: fac, ScannedAt: now.Add(time.Duration(i-2) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
	}
	vao := now.Add(-3 * time.Minute).Format(verifier.ClaimTimeLayout)
	var claims []verifier.Claim
	for _, f := range []verifier.ClaimFields{
		{"MA_LK": "LK-A1", "MA_CSKCB": "08001", "SO_CCCD": anID, "NGAY_VAO": vao, "MA_LOAI_KCB": "01", "T_BHTT": "150000", "HO_TEN": anName},
		{"MA_LK": "LK-A2", "MA_CSKCB": "08002", "SO_CCCD": anID, "NGAY_VAO": vao, "MA_LOAI_KCB": "01", "T_BHTT": "87000", "HO_TEN": anName},
		{"MA_LK": "LK-N1", "MA_CSKCB": "08101", "SO_CCCD": ngocID, "NGAY_VAO": vao, "MA_LOAI_KCB": "01", "T_BHTT": "42000", "HO_TEN": "Trần Thị Bích Ngọc"},
	} {
		c, err := verifier.NewClaim(f, "")
		if err != nil {
			t.Fatal(err)
		}
		claims = append(claims, c)
	}
	if _, err := svc.ImportClaims(ctx, claims); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(kiosk.New(kiosk.Config{Verifier: svc, Keys: keys, Location: loc}))
	t.Cleanup(srv.Close)
	return srv, svc
}

// openAudit opens /audit at w×h in a fresh tab (its own origin storage is
// the server's) and waits until the page's script has started.
func openAudit(t *testing.T, srv *httptest.Server, w, h int64) *page {
	t.Helper()
	needBrowser(t)
	ctx, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, url: srv.URL + "/audit"}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browser: open a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, p.onEvent); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Ho_Chi_Minh"}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.EmulateViewport(w, h), chromedp.Navigate(p.url), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
	t.Cleanup(p.checkErrors)
	return p
}

func (p *page) login(token string) {
	p.t.Helper()
	p.waitJS(`!document.getElementById('login').hidden`, 10*time.Second)
	p.do(chromedp.SendKeys(chromedp.CSS(`#token-input`), token), chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`), chromedp.NodeVisible))
}

// axe runs axe-core (vendored in testdata/axe-core) on the page and
// returns its violations, one line each.
func (p *page) axe() []string {
	p.t.Helper()
	src, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := p.bounded()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		p.t.Fatalf("loading axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ['violations']}).then(function (r) {
		return r.violations.map(function (v) { return v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(function (n) { return n.target.join(' '); }).join(', '); });
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("running axe-core: %v", err)
	}
	return out
}

func TestAuditPage(t *testing.T) {
	srv, svc := auditEnv(t)
	p := openAudit(t, srv, 1280, 800)
	start := time.Now()
	p.login(auditorToken)
	p.waitJS(`document.body.dataset.loaded === 'true'`, 20*time.Second)
	t.Logf("page loaded with data %v after the token was entered", time.Since(start).Round(time.Millisecond))

	// The charts are drawn, the totals and both tables filled.
	if !evalAs[bool](p, `!!(window.Chart && Chart.getChart('chart-day') && Chart.getChart('chart-pair'))`) {
		t.Fatal("the charts were not drawn")
	}
	if n := evalAs[int](p, `Chart.getChart('chart-day').data.datasets[0].data.reduce(function (a, b) { return a + b; }, 0)`); n != 1 {
		t.Errorf("the per-day chart shows %d same-day groups, want 1", n)
	}
	if got := p.text("#totals"); !strings.Contains(got, "1 nhóm trùng lượt") || !strings.Contains(got, "phát hiện") {
		t.Errorf("totals %q", got)
	}
	if n := evalAs[int](p, `document.querySelectorAll('#groups > tbody > tr:not(.detail)').length`); n != 1 {
		t.Fatalf("%d group rows, want 1", n)
	}
	kinds := p.js(`Array.from(document.querySelectorAll('#findings > tbody > tr[data-kind]')).map(function (r) { return r.dataset.kind; }).join(',')`)
	for _, k := range []string{"multi_facility_same_day", "claim_without_checkin", "flagged_checkins_all_claimed"} {
		if !strings.Contains(kinds, k) {
			t.Errorf("findings %s: no %s", kinds, k)
		}
	}
	p.screenshot("audit-1280x800")

	// Drill down into the group: its visits with facility names.
	p.click(`#groups > tbody > tr:not(.detail) button[aria-expanded]`)
	p.waitJS(`!document.querySelector('#groups > tbody > tr.detail').hidden`, 5*time.Second)
	if got := p.text(`#groups > tbody > tr.detail`); !strings.Contains(got, "Bệnh viện Đa khoa tỉnh Tuyên Quang") || !strings.Contains(got, "Trung tâm Y tế huyện Yên Sơn") {
		t.Errorf("group details %q", got)
	}
	// … and into a finding: its claims with MA_LK and amounts.
	p.click(`#findings > tbody > tr[data-kind="multi_facility_same_day"] button[aria-expanded]`)
	if got := p.text(`#findings > tbody > tr.detail:not([hidden])`); !strings.Contains(got, "LK-A1") || !strings.Contains(got, "150.000") {
		t.Errorf("finding details %q", got)
	}
	if v := p.axe(); len(v) > 0 {
		t.Errorf("axe-core violations with details open:\n%s", strings.Join(v, "\n"))
	}

	// A review, saved and kept with the group.
	p.do(chromedp.SetValue(chromedp.CSS(`#groups > tbody > tr.detail select`), "confirmed"),
		chromedp.SendKeys(chromedp.CSS(`#groups > tbody > tr.detail input[type=text]`), "Khám hai nơi, không có giấy chuyển tuyến"),
		chromedp.Click(chromedp.CSS(`#groups > tbody > tr.detail button[type=submit]`), chromedp.NodeVisible))
	p.waitJS(`document.querySelector('#groups > tbody > tr.detail .status').textContent === 'Đã lưu.'`, 10*time.Second)
	day := time.Now().In(svc.Location).Format(time.DateOnly)
	page, err := svc.Duplicates(context.Background(), verifier.DuplicateQuery{From: day, To: day})
	if err != nil || len(page.Items) != 1 || page.Items[0].Review == nil || page.Items[0].Review.State != verifier.ReviewConfirmed ||
		page.Items[0].Review.By != "giam-dinh-1" || !strings.Contains(page.Items[0].Review.Note, "chuyển tuyến") {
		t.Fatalf("the review was not stored with the group: %+v %v", page.Items, err)
	}
	if got := p.text(`#groups > tbody > tr:not(.detail) .badge`); got != "Xác nhận trùng" {
		t.Errorf("badge %q after the review", got)
	}

	// English second; the token is remembered across a reload.
	p.click(`#lang-btn`)
	p.waitJS(`document.documentElement.lang === 'en' && document.body.dataset.loaded === 'true'`, 20*time.Second)
	if got := p.text("h1"); got != "Audit of same-day visits" {
		t.Errorf("English title %q", got)
	}
	p.do(chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
	p.waitJS(`document.body.dataset.loaded === 'true' && document.getElementById('login').hidden`, 20*time.Second)
	// The page's load time as an auditor sees it: from navigation to the
	// charts and tables shown (the poll adds up to 40 ms).
	t.Logf("reload to data shown: %.0f ms (navigation %.0f ms of it)", evalAs[float64](p, `performance.now()`),
		evalAs[float64](p, `performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd`))
	if v := p.axe(); len(v) > 0 {
		t.Errorf("axe-core violations (English):\n%s", strings.Join(v, "\n"))
	}
}

func TestAuditPageWide(t *testing.T) {
	srv, _ := auditEnv(t)
	p := openAudit(t, srv, 1920, 1080)
	p.login(auditorToken)
	p.waitJS(`document.body.dataset.loaded === 'true'`, 20*time.Second)
	p.screenshot("audit-1920x1080")
	if v := p.axe(); len(v) > 0 {
		t.Errorf("axe-core violations:\n%s", strings.Join(v, "\n"))
	}
}

// A wrong token is asked for again, not shown as an empty audit.
func TestAuditPageWrongToken(t *testing.T) {
	srv, _ := auditEnv(t)
	p := openAudit(t, srv, 1280, 800)
	if v := p.axe(); len(v) > 0 {
		t.Errorf("axe-core violations on the token form:\n%s", strings.Join(v, "\n"))
	}
	p.login("not-a-token-of-anyone-at-all-0000")
	p.waitJS(`!document.getElementById('login').hidden && document.getElementById('login-error').textContent !== ''`, 20*time.Second)
	_ = kb.Enter
}
