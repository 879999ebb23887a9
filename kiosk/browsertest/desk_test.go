package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// altDigit presses Alt+n, the visit type's shortcut.
func (p *page) altDigit(n int) {
	p.t.Helper()
	p.keys(fmt.Sprint(n), chromedp.KeyModifiers(chromedp.ModifierAlt))
}

// The coverage line says what this visit is covered at and why. An is
// registered at 08002 and checks in at the provincial hospital 08001: a
// valid card, 0% self-referred, never shown green. The clerk says he has a
// referral letter after the scan: the same check-in is changed (PATCH, no
// second check-in), same ticket, and covered at 80% (benefit level 4).
func TestVisitTypeAfterTheScan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskA, 1280, 800)
	p.wedge(anPayload)
	p.waitScreen("result")

	if got := p.js(`document.getElementById('ins-panel').dataset.status`); got != "uncovered" {
		t.Errorf("insurance panel status %q, want uncovered", got)
	}
	wantContains(t, "status", p.text("#ins-status"), "không được BHYT chi trả")
	wantContains(t, "coverage line", p.text("#ins-route-line"), "Trái tuyến: 0% tại")
	wantContains(t, "percent", p.text("#ins-percent"), "0%")
	wantContains(t, "hint", p.text("#ins-hint"), "Alt+2")
	wantNotGreen(t, p, "#ins-status", "#ins-percent", "#ins-route-line", ".ins-icon")
	id := p.js(`document.body.dataset.checkinId`)
	ticket := p.text("#ticket-no")

	p.altDigit(2)
	p.waitJS(`document.getElementById('ins-route-line').innerText.indexOf('chuyển tuyến') >= 0`, 10*time.Second)
	wantContains(t, "coverage line", p.text("#ins-route-line"), "Đúng tuyến (chuyển tuyến): 80%")
	if got := p.js(`document.getElementById('ins-panel').dataset.status`); got != "eligible" {
		t.Errorf("after the referral: status %q, want eligible", got)
	}
	wantContains(t, "bar", p.text("#visit-bar"), "Lượt khám này")
	if got := p.js(`document.querySelector('[data-vt="referral"]').getAttribute('aria-pressed')`); got != "true" {
		t.Errorf("referral pressed = %s", got)
	}
	// The referral letter's number, typed in the field that opened, Enter.
	p.waitJS(`document.activeElement.id === 'referral-no'`, 5*time.Second)
	p.typeSlowly("CT-2026/0457", 90*time.Millisecond)
	p.keys(kb.Enter)
	p.waitJS(`document.getElementById('vb-status').dataset.kind === 'ok' && document.getElementById('vb-status').innerText.indexOf('CT-2026/0457') >= 0`, 10*time.Second)

	if got := p.js(`document.body.dataset.checkinId`); got != id || p.text("#ticket-no") != ticket {
		t.Errorf("after the change: check-in %s ticket %s, want the same %s %s", got, p.text("#ticket-no"), id, ticket)
	}
	if b := e.checkinBodies(); len(b) != 1 {
		t.Errorf("%d check-ins sent, want 1 (a change is not a new check-in)", len(b))
	}
	patches := e.visitPatches()
	if len(patches) != 2 || patches[0]["_id"] != id || patches[0]["visit_type"] != "referral" || patches[1]["referral_no"] != "CT-2026/0457" {
		t.Errorf("PATCH bodies = %v", patches)
	}
	v := getCheckin(t, srv.URL, tokenA, id)
	if v["visit_type"] != "referral" || v["referral_no"] != "CT-2026/0457" {
		t.Errorf("stored visit = %v, want the referral with its number", v)
	}

	// Emergency, then back to outpatient: 0% again, and not green.
	p.click(`[data-vt="emergency"]`)
	p.waitJS(`document.getElementById('ins-route-line').innerText.indexOf('Cấp cứu') >= 0`, 10*time.Second)
	wantContains(t, "coverage line", p.text("#ins-route-line"), "Cấp cứu (đúng tuyến): 80%")
	wantContains(t, "ticket priority", p.text("#ticket-prio"), "Cấp cứu")
	p.altDigit(1)
	p.waitJS(`document.getElementById('ins-panel').dataset.status === 'uncovered'`, 10*time.Second)
	wantNotGreen(t, p, "#ins-status", "#ins-percent")
	wantNoRawCodes(t, p)
}

// wantNotGreen fails when one of the elements is drawn in the page's
// "covered" green.
func wantNotGreen(t *testing.T, p *page, sels ...string) {
	t.Helper()
	for _, sel := range sels {
		c := p.js(fmt.Sprintf(`(function(){ var cs = getComputedStyle(document.querySelector(%q)); return cs.color + ' ' + cs.backgroundColor; })()`, sel))
		for _, green := range []string{"rgb(18, 105, 47)", "rgb(12, 74, 33)", "rgb(227, 243, 232)"} {
			if strings.Contains(c, green) {
				t.Errorf("%s is green (%s) on a visit covered at 0%%", sel, c)
			}
		}
	}
}

// Chosen before the scan: the visit type (a keystroke), the department and
// a priority group (taps) go with the check-in; the ticket shows them, with
// the facility's name.
func TestVisitChosenBeforeTheScan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskA, 1280, 800)
	p.waitJS(`document.querySelectorAll('#vb-dept option').length > 1`, 10*time.Second)
	dept := p.js(`document.querySelectorAll('#vb-dept option')[1].value`)
	deptName := p.js(`document.querySelectorAll('#vb-dept option')[1].textContent`)
	p.do(chromedp.SetValue(chromedp.CSS("#vb-dept"), dept), chromedp.Evaluate[chromedp.Void](`document.getElementById('vb-dept').dispatchEvent(new Event('change'))`))
	p.click(`[data-prio="pregnant"]`)
	p.altDigit(4)
	wantContains(t, "bar", p.text("#visit-bar"), "Lượt khám tiếp theo")
	if got := p.js(`document.querySelector('[data-vt="follow_up"]').getAttribute('aria-pressed')`); got != "true" {
		t.Fatalf("follow-up pressed = %s", got)
	}
	// A scan that fails leaves the choice for the same patient's next try.
	p.wedge(unknownID + "||Phạm Thị Hoa|01011999|Nữ|Hà Nội|01012022")
	p.waitScreen("error")
	p.keys(kb.Escape)
	p.waitScreen("idle")
	if got := p.js(`document.querySelector('[data-vt="follow_up"]').getAttribute('aria-pressed') + ' ' + document.querySelector('[data-prio="pregnant"]').getAttribute('aria-pressed')`); got != "true true" {
		t.Fatalf("after a failed scan: follow-up and pregnant pressed = %s, want both kept", got)
	}
	p.wedge("008188004321||Trần Thị Bích Ngọc|01071988|Nữ|Tổ 5|01012022")
	p.waitScreen("result")
	b := e.checkinBodies()
	if len(b) != 2 || b[1]["visit_type"] != "follow_up" || b[1]["department"] != dept || fmt.Sprint(b[1]["priority"]) != "[pregnant]" {
		t.Fatalf("check-in bodies = %v, want follow_up, %s, [pregnant]", b, dept)
	}
	wantContains(t, "ticket department", p.text("#ticket-dept"), deptName)
	wantContains(t, "ticket priority", p.text("#ticket-prio"), "Phụ nữ có thai")
	receipt := strings.Join(strings.Fields(p.textContent("#print-ticket")), " ")
	for _, want := range []string{"Bệnh viện Đa khoa tỉnh Tuyên Quang", "Quầy 1", deptName, "ƯU TIÊN", "Phụ nữ có thai"} {
		wantContains(t, "receipt", receipt, want)
	}
	p.checkReceiptPDF("kiosk-receipt-80mm-priority", "Bệnh viện Đa khoa tỉnh Tuyên Quang", deptName, p.text("#ticket-no"))

	// The next patient starts from outpatient without a priority; the
	// department stays with the desk.
	p.click("#next-btn")
	p.waitScreen("idle")
	if got := p.js(`document.querySelector('[aria-pressed="true"][data-vt]').dataset.vt + ' ' + document.querySelectorAll('[data-prio][aria-pressed="true"]').length + ' ' + document.getElementById('vb-dept').value`); got != "outpatient 0 "+dept {
		t.Errorf("next visit = %q, want outpatient, no priority, the department kept", got)
	}
	wantNoRawCodes(t, p)
}

// The same-day warning's errors are said in words the clerk can act on,
// and the reason waits for the service rather than vanishing.
func TestAcknowledgementErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srvA, srvB := e.serve(), e.serve()
	checkinAt(t, srvA.URL, tokenA, anPayload)
	p := openPage(t, srvB, &kioskB, 1280, 800)
	p.wedge(anPayload)
	p.waitJS(`document.body.dataset.ack === 'pending'`, 10*time.Second)

	// "Other" needs a note.
	p.click("#ackr-other")
	p.click("#dup-ack")
	p.waitJS(`document.getElementById('ack-error').innerText.indexOf('ghi chú') >= 0`, 5*time.Second)
	if n := len(e.acknowledgements()); n != 0 {
		t.Fatalf("%d acknowledgements sent for 'other' without a note", n)
	}

	// The service does not answer: the reason is kept on this PC (the
	// desk goes on) and sent when it is back.
	p.click("#ackr-chronic")
	e.down.Store(503)
	p.click("#dup-ack")
	p.waitJS(`document.body.dataset.ack === 'done'`, 10*time.Second)
	wantContains(t, "acked", p.text("#dup-acked"), "Đã lưu lý do trên máy này (Bệnh mạn tính)")
	wantContains(t, "queue pill", p.text("#queue-status"), "1 lý do chờ gửi")
	wantNoRawCodes(t, p)
	e.down.Store(0)
	p.waitJS(`document.getElementById('queue-status').hidden`, 20*time.Second)
	wantContains(t, "toast", p.text("#toasts"), "Đã gửi lý do đã lưu: Bệnh mạn tính")
	id := p.js(`document.body.dataset.checkinId`)
	if a, _ := getCheckin(t, srvB.URL, tokenB, id)["acknowledgement"].(map[string]any); a == nil || a["reason"] != "chronic" {
		t.Errorf("the kept reason was not stored: %v", a)
	}
	p.click("#next-btn")
	p.waitScreen("idle")

	// Unknown to the service (404), another facility's (403), a reason the
	// service does not take (422): the service's own answers, reached by
	// pointing the page's request at such a check-in or reason.
	otherID := checkinAt(t, srvA.URL, tokenA, "008188004321||Trần Thị Bích Ngọc|01071988|Nữ|Tổ 5|01012022")
	p.wedge("008188004321||Trần Thị Bích Ngọc|01071988|Nữ|Tổ 5|01012022")
	p.waitJS(`document.body.dataset.ack === 'pending'`, 10*time.Second)
	for _, c := range []struct {
		id, reason, want string
	}{
		{"c0ffee00-0000-4000-8000-000000000000", "", "không tìm thấy lượt tiếp đón"},
		{otherID, "", "thuộc cơ sở khác"},
		{"", "bogus_reason", "không nhận lý do này"},
	} {
		e.rewriteAck(c.id, c.reason)
		p.click("#ackr-referral")
		p.click("#dup-ack")
		p.waitJS(fmt.Sprintf(`document.getElementById('ack-error').innerText.indexOf(%q) >= 0`, c.want), 10*time.Second)
		if got := p.js(`document.body.dataset.ack`); got != "pending" {
			t.Fatalf("ack %q after %q, want pending", got, c.want)
		}
		wantNoRawCodes(t, p)
	}
	e.rewriteAck("", "")
	p.click("#dup-ack")
	p.waitJS(`document.body.dataset.ack === 'done'`, 10*time.Second)
}

// The header clock shows the facility's time (its zone from GET
// /v1/desk), whatever the zone of the PC the page runs on.
func TestClockInFacilityZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskA, 1280, 800)
	if _, err := chromedp.Call(p.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
	p.waitJS(`document.getElementById('place-label').innerText.indexOf('Bệnh viện Đa khoa tỉnh Tuyên Quang') >= 0`, 10*time.Second)
	wantContains(t, "header", p.text("#place-label"), "Bệnh viện Đa khoa tỉnh Tuyên Quang (08001) · Quầy 1")
	if tz := p.js(`document.getElementById('clock').dataset.tz`); tz != "Asia/Ho_Chi_Minh" {
		t.Errorf("clock zone %q", tz)
	}
	if off := evalAs[int](p, `new Date().getTimezoneOffset()`); off < 240 {
		t.Fatalf("the browser's zone was not changed (offset %d)", off)
	}
	got := p.js(`document.getElementById('clock').textContent`)
	now := time.Now().In(e.svc.Location)
	if !strings.HasPrefix(got, now.Format("15:04")) && !strings.HasPrefix(got, now.Add(-time.Minute).Format("15:04")) {
		t.Errorf("clock %q, want the facility's time %s", got, now.Format("15:04 02/01/2006"))
	}
}

// The settings dialog checks the token with the service before saving.
func TestSettingsCheckTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, nil, 1280, 800)
	p.do(
		chromedp.SendKeys(chromedp.CSS("#set-facility"), "08001"),
		chromedp.SendKeys(chromedp.CSS("#set-token"), "kiosk-08001-wrong-token-000000000"),
		chromedp.Click(chromedp.CSS("#settings-save")),
	)
	p.waitJS(`!document.getElementById('settings-error').hidden`, 10*time.Second)
	wantContains(t, "settings error", p.text("#settings-error"), "không nhận mã truy cập")
	if s := p.js(`String(localStorage.getItem('kiosk.settings.v1'))`); s != "null" {
		t.Errorf("a refused token was saved: %s", s)
	}
	// Another facility's token.
	p.js(fmt.Sprintf(`document.getElementById('set-token').value = %q; ''`, tokenB))
	p.click("#settings-save")
	p.waitJS(`document.getElementById('settings-error').innerText.indexOf('08002') >= 0`, 10*time.Second)
	wantContains(t, "settings error", p.text("#settings-error"), "Trung tâm Y tế huyện Yên Sơn (08002), không phải 08001")
	// The right one, with the facility left empty: taken from the token.
	p.js(`document.getElementById('set-facility').value = ''; ''`)
	p.click("#settings-save")
	p.waitJS(`!document.getElementById('settings').open`, 10*time.Second)
	var stored kioskSettings
	p.eval(`JSON.parse(localStorage.getItem('kiosk.settings.v1'))`, &stored)
	if stored.Facility != "08002" || stored.Token != tokenB {
		t.Errorf("stored settings = %+v", stored)
	}
	wantContains(t, "header", p.text("#place-label"), "Trung tâm Y tế huyện Yên Sơn (08002)")
}

// A scan that breaks off (the scanner pauses longer than the page's reset
// gap) is put together again when the pieces make a card's payload, and
// said to be unreadable, not dropped in silence, when they do not.
func TestFragmentedScan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskA, 1280, 800)

	p.typeHiccup(anPayload+kb.Enter, ScanGap, 20, 600*time.Millisecond)
	p.waitScreen("result")
	wantLastScan(t, "a scan in two pieces", e, 1, anPayload)
	wantIDFieldEmpty(t, "after a scan in two pieces", p)

	p.click("#next-btn")
	p.waitScreen("idle")
	p.typeTimed("008095001234|070123456|Ngu", ScanGap) // and nothing more
	p.waitJS(`!document.getElementById('scan-notice').hidden`, 10*time.Second)
	wantContains(t, "notice", p.text("#scan-notice"), "không liền mạch")
	if n := len(e.checkinBodies()); n != 1 {
		t.Errorf("%d check-ins, want the piece not sent", n)
	}
	wantIDFieldEmpty(t, "after a piece of a scan", p)

	// A piece, then a tail that does not complete it: said, not sent.
	p.typeHiccup("008095001234|0701"+"XYZXYZXYZ"+kb.Enter, ScanGap, 17, 600*time.Millisecond)
	p.waitJS(`Number(document.body.dataset.scanFragmented || 0) > 0`, 10*time.Second)
	if n := len(e.checkinBodies()); n != 1 {
		t.Errorf("%d check-ins, want the pieces not sent", n)
	}
	// A whole scan afterwards goes through.
	p.wedge(anPayload)
	p.waitScreen("result")
	if n := len(e.checkinBodies()); n != 2 {
		t.Errorf("%d check-ins, want 2", n)
	}
}

// A priority group the service computes from the population record (a
// child under 6) is marked on the ticket and the slip without the clerk.
func TestComputedPriorityOnTicket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskA, 1280, 800)
	p.typeID("001323000777") // Lê Minh Châu, born 2023
	p.waitScreen("result")
	wantContains(t, "name", p.text("#r-name"), "Lê Minh Châu")
	wantContains(t, "ticket priority", p.text("#ticket-prio"), "Trẻ em dưới 6 tuổi")
	wantContains(t, "receipt", strings.Join(strings.Fields(p.textContent("#print-ticket")), " "), "ƯU TIÊN: Trẻ em dưới 6 tuổi")
	if b := e.checkinBodies(); len(b) != 1 || b[0]["priority"] != nil {
		t.Errorf("check-in bodies = %v, want no priority sent (the service computes it)", b)
	}
}

// A referral letter's barcode, scanned with the referral number's field
// focused, is the letter's number (saved on the check-in), not a card.
func TestReferralLetterScanned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskA, 1280, 800)
	p.altDigit(2)
	p.waitJS(`document.activeElement.id === 'referral-no'`, 5*time.Second)
	p.wedge("125/GCT-TTYT")
	if v := p.js(`document.getElementById('referral-no').value`); v != "125/GCT-TTYT" {
		t.Fatalf("referral number field = %q", v)
	}
	if n := len(e.checkinBodies()); n != 0 {
		t.Fatalf("%d check-ins sent for a referral letter's barcode", n)
	}
	// The card next: one check-in, a referral with the letter's number.
	p.wedge(anPayload)
	p.waitScreen("result")
	b := e.checkinBodies()
	if len(b) != 1 || b[0]["visit_type"] != "referral" || b[0]["referral_no"] != "125/GCT-TTYT" || b[0]["scan"] != anPayload {
		t.Fatalf("check-in bodies = %v", b)
	}
	wantContains(t, "coverage line", p.text("#ins-route-line"), "Đúng tuyến (chuyển tuyến): 80%")

	// After the scan, a new letter scanned into the field changes the same
	// check-in.
	p.click("#referral-no")
	p.wedge("126/GCT-TTYT")
	p.waitJS(`document.getElementById('vb-status').dataset.kind === 'ok' && document.getElementById('vb-status').innerText.indexOf('126/GCT-TTYT') >= 0`, 10*time.Second)
	if v := getCheckin(t, srv.URL, tokenA, p.js(`document.body.dataset.checkinId`)); v["referral_no"] != "126/GCT-TTYT" {
		t.Errorf("stored referral_no = %v", v["referral_no"])
	}
	if n := len(e.checkinBodies()); n != 1 {
		t.Errorf("%d check-ins, want 1", n)
	}
}
