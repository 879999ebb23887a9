package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const ngocPayload = "008188004321||Trần Thị Bích Ngọc|01071988|Nữ|Tổ 5|01012022"

// Scans kept through an outage that come back from /v1/checkins/batch with
// a same-day warning wait in a list reached from the header, each with the
// live warning's reason form; the list survives a reload, never holds up
// the desk (a scan closes it and is checked in), and each reason reaches
// the service, or waits in the queue while the service is down.
func TestQueuedVisitsWaitForAReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srvA, srvB := e.serve(), e.serve()
	checkinAt(t, srvA.URL, tokenA, anPayload)
	checkinAt(t, srvA.URL, tokenA, ngocPayload)
	p := openPage(t, srvB, &kioskB, 1280, 800)

	// Both scans wait in the queue; the clerk has gone on to the idle screen.
	e.down.Store(503)
	p.wedgeQueued(anPayload)
	p.wedgeQueued(ngocPayload)
	e.down.Store(0)
	p.waitJS(`document.getElementById('flagged-btn').dataset.count === '2' && document.getElementById('queue-status').hidden`, 20*time.Second)
	wantContains(t, "header", p.text("#flagged-btn"), "2 lượt chờ ghi lý do")
	wantContains(t, "toast", p.text("#toasts"), "Bệnh viện Đa khoa tỉnh Tuyên Quang (08001) lúc")
	wantContains(t, "toast", p.text("#toasts"), "chờ ghi lý do")
	if got := p.js(`document.body.dataset.screen + ' ' + (document.body.dataset.ack || '')`); got != "idle " {
		t.Errorf("the page shows %q, want the idle screen (the list does not hold the desk)", got)
	}
	if n := len(e.acknowledgements()); n != 0 {
		t.Fatalf("%d acknowledgements sent by themselves", n)
	}

	// Kept on this PC: a reload finds the list again.
	p.do(chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
	p.waitJS(`document.getElementById('flagged-btn').dataset.count === '2'`, 10*time.Second)

	// The list, open, does not hold up the next patient: a scan closes it
	// and is checked in.
	p.click("#flagged-btn")
	p.waitJS(`document.getElementById('flagged').open`, 5*time.Second)
	list := p.text("#flagged-list")
	for _, want := range []string{anName, "Trần Thị Bích Ngọc", "008 ••• ••• 234", "Bệnh viện Đa khoa tỉnh Tuyên Quang (08001) lúc", "số thứ tự"} {
		wantContains(t, "list", list, want)
	}
	p.checkLayout("list", "#flagged-title", "#flagged-list", "#flagged-close")
	if v := p.axe(); len(v) > 0 {
		t.Errorf("list: axe-core: %v", v)
	}
	p.shot("kiosk-flagged-list-1280x800")
	p.wedge("001323000777")
	p.waitScreen("result")
	wantContains(t, "name", p.text("#r-name"), "Lê Minh Châu")
	if p.js(`String(document.getElementById('flagged').open)`) != "false" {
		t.Error("the list stayed open over the scanned patient")
	}
	p.click("#next-btn")
	p.waitScreen("idle")

	// An's visit: the same reason form as the live warning. Enter alone
	// asks for the reason; a reason and a note are recorded.
	p.click("#flagged-btn")
	p.waitJS(`document.getElementById('flagged').open`, 5*time.Second)
	anID := p.js(`Array.from(document.querySelectorAll('#flagged-list li')).filter(function (li) { return li.innerText.indexOf('Nguyễn Văn An') >= 0; })[0].dataset.checkinId`)
	p.click(fmt.Sprintf(`#flagged-list button[data-checkin-id=%q]`, anID))
	p.waitJS(`!document.getElementById('flagged-one').hidden && document.activeElement.name === 'fl-ack-reason'`, 5*time.Second)
	wantContains(t, "form", p.text("#flagged-one"), anName)
	wantContains(t, "form", p.text("#flagged-one"), "Bệnh viện Đa khoa tỉnh Tuyên Quang (08001) lúc")
	if got, want := p.js(`Array.from(document.querySelectorAll('#fl-ack-reasons input')).map(function (x) { return x.value; }).join(',')`),
		p.js(`Array.from(document.querySelectorAll('#ack-reasons input')).map(function (x) { return x.value; }).join(',')`); got != want {
		t.Errorf("the list's reasons %q, the live warning's %q", got, want)
	}
	p.keys(kb.Enter)
	p.waitJS(`!document.getElementById('fl-ack-error').hidden`, 5*time.Second)
	wantContains(t, "form", p.text("#fl-ack-error"), "Chọn lý do")
	if n := len(e.acknowledgements()); n != 0 {
		t.Fatalf("%d acknowledgements sent without a reason", n)
	}
	p.shot("kiosk-flagged-reason-1280x800")
	p.click("#flr-referral")
	p.click("#fl-ack-note")
	p.typeSlowly("Giấy CT 77", 90*time.Millisecond)
	p.keys(kb.Enter)
	p.waitJS(`document.getElementById('flagged-btn').dataset.count === '1' && !document.getElementById('flagged-list').hidden`, 10*time.Second)
	wantContains(t, "toast", p.text("#toasts"), "Đã ghi nhận lý do cho Nguyễn Văn An: Chuyển tuyến")
	if a, _ := getCheckin(t, srvB.URL, tokenB, anID)["acknowledgement"].(map[string]any); a == nil || a["reason"] != "referral" || a["note"] != "Giấy CT 77" || a["by"] != "kiosk-b" {
		t.Errorf("An's visit's acknowledgement = %v, want referral with the note, by kiosk-b", a)
	}

	// Ngọc's, with the service down: the reason waits in the queue and is
	// sent when it is back; the list is then empty and closes.
	ngocID := p.js(`document.querySelector('#flagged-list li').dataset.checkinId`)
	p.click(fmt.Sprintf(`#flagged-list button[data-checkin-id=%q]`, ngocID))
	p.waitJS(`!document.getElementById('flagged-one').hidden`, 5*time.Second)
	p.click("#flr-chronic")
	e.down.Store(503)
	p.click("#fl-ack")
	p.waitJS(`!document.getElementById('flagged').open && document.getElementById('flagged-btn').hidden`, 10*time.Second)
	wantContains(t, "queue pill", p.text("#queue-status"), "1 lý do chờ gửi")
	e.down.Store(0)
	p.waitJS(`document.getElementById('queue-status').hidden`, 20*time.Second)
	if a, _ := getCheckin(t, srvB.URL, tokenB, ngocID)["acknowledgement"].(map[string]any); a == nil || a["reason"] != "chronic" {
		t.Errorf("Ngọc's visit's acknowledgement = %v, want chronic", a)
	}
	if s := p.js(`String(localStorage.getItem('kiosk.flagged.v1'))`); s != "[]" {
		t.Errorf("the list kept on this PC = %s, want empty", s)
	}
	wantNoRawCodes(t, p)
}

// The list on a phone: nothing sticks out, the buttons are on screen.
func TestQueuedVisitsListOnPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srvA, srvB := e.serve(), e.serve()
	checkinAt(t, srvA.URL, tokenA, anPayload)
	p := openPage(t, srvB, &kioskB, 390, 844)
	e.down.Store(503)
	p.wedgeQueued(anPayload)
	e.down.Store(0)
	p.waitJS(`document.getElementById('flagged-btn').dataset.count === '1' && document.getElementById('queue-status').hidden`, 20*time.Second)
	p.checkLayout("idle with a visit waiting", "#flagged-btn", "#idle-title")
	// The send queue's pill beside the waiting list's button: the bar
	// still fits the phone.
	e.down.Store(503)
	p.wedgeQueued(ngocPayload)
	p.waitJS(`!document.getElementById('queue-status').hidden && !document.getElementById('flagged-btn').hidden`, 10*time.Second)
	p.checkLayout("idle with a visit waiting and a scan queued", "#flagged-btn", "#queue-status", "#idle-title")
	e.down.Store(0)
	p.waitJS(`document.getElementById('queue-status').hidden`, 20*time.Second)
	p.click("#flagged-btn")
	p.waitJS(`document.getElementById('flagged').open`, 5*time.Second)
	p.checkLayout("list", "#flagged-title", "#flagged-list button", "#flagged-close")
	p.shot("kiosk-flagged-list-390x844")
	p.click("#flagged-list button")
	p.waitJS(`!document.getElementById('flagged-one').hidden`, 5*time.Second)
	p.checkLayout("reason form", "#flagged-who", "#fl-ack-reasons")
	if v := p.axe(); len(v) > 0 {
		t.Errorf("reason form: axe-core: %v", v)
	}
	p.shot("kiosk-flagged-reason-390x844")
}

// The live same-day warning is not left in silence, on a phone too:
// Escape, F2 (the ID field's key), a tap elsewhere and the idle time
// leave it on screen; F2 asks for the reason. On one column the warning
// is below the name, so a strip at the top says a reason is wanted and
// leads to the reasons.
func TestWarningNotDismissedSilentlyOnPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srvA, srvB := e.serve(), e.serve()
	checkinAt(t, srvA.URL, tokenA, anPayload)
	fast := kioskB
	fast.IdleSeconds = 5
	p := openPage(t, srvB, &fast, 390, 844)
	p.wedge(anPayload)
	p.waitJS(`document.body.dataset.ack === 'pending'`, 10*time.Second)
	pending := func(after string) {
		t.Helper()
		if got := p.js(`document.body.dataset.screen + ' ' + document.body.dataset.ack`); got != "result pending" {
			t.Fatalf("after %s: %q, want the warning still waiting for its reason", after, got)
		}
	}

	p.keys(kb.Escape)
	pending("Escape")
	p.keys(kb.F2)
	pending("F2")
	p.waitJS(`!document.getElementById('ack-error').hidden`, 5*time.Second)
	wantContains(t, "F2", p.text("#ack-error"), "Chọn lý do")
	if id := p.js(`document.activeElement.id || document.activeElement.name || ''`); id == "manual-id" {
		t.Error("F2 put the focus in the hidden ID field")
	}
	p.click("#r-name")
	pending("a tap on the name")
	p.js(`window.__idleDue = performance.now() + 6000; ''`)
	p.waitJS(`performance.now() > window.__idleDue`, 15*time.Second)
	pending("the idle time")

	// At the top: the strip, the name and the ticket.
	p.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('main').scrollTop = 0`))
	p.checkLayout("phone warning", "#dup-jump", "#r-name", "#ticket-no")
	wantContains(t, "strip", p.text("#dup-jump"), "chọn lý do")
	p.click("#dup-jump")
	p.waitJS(`document.activeElement.name === 'ack-reason'`, 5*time.Second)
	p.checkLayout("phone warning, its reasons", "#ack-reasons")
	p.click("#ackr-follow_up")
	p.click("#dup-ack")
	p.waitJS(`document.body.dataset.ack === 'done'`, 10*time.Second)
	if p.text("#dup-jump") != "" {
		t.Error("the strip is still shown once the reason is recorded")
	}
	if n := len(e.acknowledgements()); n != 1 {
		t.Errorf("%d acknowledgements, want 1", n)
	}
	if !strings.Contains(p.text("#dup-acked"), "Tái khám") {
		t.Errorf("acknowledged = %q", p.text("#dup-acked"))
	}
}

// A live warning is not lost with the page: reloaded before the reason (a
// phone's browser closed, a crash), the visit waits in the list. While it
// is on screen, the list does not count it twice.
func TestWarningSurvivesAReload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srvA, srvB := e.serve(), e.serve()
	checkinAt(t, srvA.URL, tokenA, anPayload)
	p := openPage(t, srvB, &kioskB, 1280, 800)
	p.wedge(anPayload)
	p.waitJS(`document.body.dataset.ack === 'pending'`, 10*time.Second)
	id := p.js(`document.body.dataset.checkinId`)
	if p.text("#flagged-btn") != "" {
		t.Errorf("the list counts the warning on screen: %q", p.text("#flagged-btn"))
	}
	p.do(chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)))
	p.waitJS(`document.getElementById('flagged-btn').dataset.count === '1'`, 10*time.Second)
	p.click("#flagged-btn")
	p.click(fmt.Sprintf(`#flagged-list button[data-checkin-id=%q]`, id))
	p.click("#flr-patient_choice")
	p.click("#fl-ack")
	p.waitJS(`document.getElementById('flagged-btn').hidden && !document.getElementById('flagged').open`, 10*time.Second)
	if a, _ := getCheckin(t, srvB.URL, tokenB, id)["acknowledgement"].(map[string]any); a == nil || a["reason"] != "patient_choice" {
		t.Errorf("acknowledgement = %v, want patient_choice", a)
	}
}
