package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
)

// overflowJS lists the visible elements that stick out of the viewport
// sideways, and a document wider than the viewport.
const overflowJS = `(function () {
  var W = document.documentElement.clientWidth, bad = [];
  if (document.documentElement.scrollWidth > W) bad.push('document ' + document.documentElement.scrollWidth + ' > ' + W);
  document.querySelectorAll('body *').forEach(function (el) {
    if (el.closest('[hidden], .print-ticket, .visually-hidden, dialog:not([open])')) return;
    var cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') return;
    var r = el.getBoundingClientRect();
    if (!r.width && !r.height) return;
    if (r.left < -1 || r.right > W + 1) bad.push((el.id || el.className || el.tagName) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    if (el.scrollWidth > el.clientWidth + 1 && cs.overflowX !== 'visible' && cs.textOverflow !== 'ellipsis' && el.tagName !== 'MAIN') {
      bad.push((el.id || el.className || el.tagName) + ' clips its content (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
    }
  });
  return bad;
})()`

// contrastJS lists the rendered text whose contrast with its background
// (the element's and its ancestors' background colours, composed) is
// below WCAG AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold).
const contrastJS = `(function () {
  function parse(c) {
    var m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return [0, 0, 0, 0];
    var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, bottom) {
    var a = top[3] + bottom[3] * (1 - top[3]);
    if (!a) return [0, 0, 0, 0];
    return [0, 1, 2].map(function (i) { return (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a; }).concat([a]);
  }
  function background(el) {
    var layers = [];
    for (var e = el; e; e = e.parentElement) {
      var c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    var acc = [255, 255, 255, 1];
    for (var i = layers.length - 1; i >= 0; i--) acc = over(layers[i], acc);
    return acc;
  }
  function lum(c) {
    var w = [0.2126, 0.7152, 0.0722], s = 0;
    for (var i = 0; i < 3; i++) {
      var v = c[i] / 255;
      s += w[i] * (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    }
    return s;
  }
  var bad = [];
  document.querySelectorAll('body *').forEach(function (el) {
    if (!el.getClientRects().length) return;
    var text = Array.prototype.some.call(el.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
    if (!text) return;
    var cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') return;
    var bg = background(el), fg = over(parse(cs.color), bg);
    var l1 = lum(fg), l2 = lum(bg);
    var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    var size = parseFloat(cs.fontSize), large = size >= 24 || (parseInt(cs.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) bad.push((el.id || el.className || el.tagName) + ': ' + ratio.toFixed(2) + ':1, ' + cs.color + ' on rgb(' + bg.slice(0, 3).map(Math.round) + ')');
  });
  return bad;
})()`

// checkLayout fails when anything sticks out sideways, a key element is
// not wholly on screen without scrolling, or text lacks contrast.
func (p *page) checkLayout(where string, keys ...string) {
	p.t.Helper()
	var bad []string
	p.eval(overflowJS, &bad)
	for _, b := range bad {
		p.t.Errorf("%s: horizontal overflow: %s", where, b)
	}
	bad = nil
	p.eval(contrastJS, &bad)
	for _, b := range bad {
		p.t.Errorf("%s: contrast below WCAG AA: %s", where, b)
	}
	for _, sel := range keys {
		var r struct {
			Found, Visible bool
			Top, Bottom    float64
			Left, Right    float64
			W, H           float64
		}
		p.eval(fmt.Sprintf(`(function () {
		  var el = document.querySelector(%q);
		  if (!el) return {Found: false};
		  var r = el.getBoundingClientRect(), cs = getComputedStyle(el);
		  return {Found: true, Visible: r.width > 0 && r.height > 0 && cs.visibility !== 'hidden',
		          Top: r.top, Bottom: r.bottom, Left: r.left, Right: r.right, W: innerWidth, H: innerHeight};
		})()`, sel), &r)
		switch {
		case !r.Found || !r.Visible:
			p.t.Errorf("%s: %s is not shown", where, sel)
		case r.Top < 0 || r.Bottom > r.H+0.5 || r.Left < 0 || r.Right > r.W+0.5:
			p.t.Errorf("%s: %s is not wholly on screen (%.0f,%.0f–%.0f,%.0f in %.0f×%.0f)", where, sel, r.Left, r.Top, r.Right, r.Bottom, r.W, r.H)
		}
	}
}

// checkinAt records a check-in over the API, as another facility's kiosk,
// and returns its ID.
func checkinAt(t *testing.T, url, token, scan string) string {
	t.Helper()
	body := fmt.Sprintf(`{"scan": %q}`, scan)
	req, _ := http.NewRequest("POST", url+"/v1/checkins", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		CheckinID string `json:"checkin_id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
		t.Fatalf("check-in over the API: %s, %v", res.Status, err)
	}
	return out.CheckinID
}

// getCheckin answers GET /v1/checkins/{id} over the API: the visit.
func getCheckin(t *testing.T, url, token, id string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/v1/checkins/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /v1/checkins/%s: %s, %v", id, res.Status, err)
	}
	return m
}

// kioskSizes are the reception PC's 1280×800, the portrait kiosk's
// 1080×1920 and a phone's 390×844.
var kioskSizes = []struct{ w, h int64 }{{1280, 800}, {1080, 1920}, {390, 844}}

// state checks one state of the page: nothing overflows sideways, the
// keys are wholly on screen without scrolling, one h1, axe-core finds
// nothing; and saves its screenshot as kiosk-<name>-<w>x<h>.
func (p *page) state(name, size string, keys ...string) {
	p.t.Helper()
	p.checkLayout(name, keys...)
	if n := evalAs[int](p, `Array.from(document.querySelectorAll('h1')).filter(function (h) { return h.getClientRects().length > 0; }).length`); n != 1 {
		p.t.Errorf("%s: %d visible h1, want 1", name, n)
	}
	v := p.axe()
	for _, x := range v {
		p.t.Errorf("%s: axe-core: %s", name, x)
	}
	p.t.Logf("axe-core %s %s: %d violations", name, size, len(v))
	p.shot("kiosk-" + name + "-" + size)
}

// The page holds at the three sizes in every state: nothing overflows
// sideways, what matters is on screen (the busiest result too: a same-day
// warning with its reasons and a queue ticket), one h1 per state, and
// axe-core finds nothing. Screenshots of each state go to KIOSK_SCREENSHOTS
// (docs/screenshots when written for the README).
func TestLayoutAtKioskSizes(t *testing.T) {
	t.Parallel()
	for _, size := range kioskSizes {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			e := newEnv(t)
			srvA, srvB := e.serve(), e.serve()
			name := fmt.Sprintf("%dx%d", size.w, size.h)
			phone := size.w < 600
			a := openPage(t, srvA, &kioskA, size.w, size.h)
			a.waitJS(`document.querySelectorAll('#vb-dept option').length > 1`, 10*time.Second)
			idleKeys := []string{"#idle-title", "#manual-id", "#manual-submit", "#settings-btn", "#lang-btn", "#net-status"}
			if !phone {
				idleKeys = append(idleKeys, "#camera-btn", "#photo-btn", "#visit-bar")
			}
			a.state("idle", name, idleKeys...)

			// Self-referred at the provincial hospital: a valid card, 0%.
			a.wedge(anPayload)
			a.waitScreen("result")
			resultKeys := []string{"#r-name", "#ticket-no"}
			if !phone {
				resultKeys = append(resultKeys, "#ins-status", "#ins-percent", "#ins-route-line", "#print-btn", "#next-btn", ".vb-types")
			}
			a.state("result-uncovered", name, resultKeys...)
			if top := evalAs[float64](a, `document.querySelector('main').scrollTop`); top != 0 {
				t.Errorf("the result opens scrolled by %.0f px", top)
			}
			a.altDigit(2)
			a.waitJS(`document.getElementById('ins-panel').dataset.status === 'eligible'`, 10*time.Second)
			a.state("result-referral", name, resultKeys...)

			// The same citizen at 08002: the same-day warning.
			b := openPage(t, srvB, &kioskB, size.w, size.h)
			b.waitJS(`document.querySelectorAll('#vb-dept option').length > 1`, 10*time.Second)
			b.wedge(anPayload)
			b.waitScreen("result")
			b.waitJS(`document.body.dataset.ack === 'pending'`, 5*time.Second)
			warnKeys := []string{"#r-name", "#ticket-no"}
			if !phone {
				warnKeys = append(warnKeys, "#dup-banner", "#ack-reasons", "#ack-note", "#dup-ack", "#ins-status", "#ins-percent", "#print-btn", "#countdown")
			} else {
				warnKeys = append(warnKeys, "#dup-jump") // the warning is below: the strip at the top says so
			}
			b.state("result-warning", name, warnKeys...)
			b.click("#lang-btn")
			b.checkLayout("result warning (en)", warnKeys...)
			b.click("#lang-btn")
			b.keys(kb.Enter)
			b.waitJS(`!document.getElementById('ack-error').hidden`, 5*time.Second)
			b.state("result-warning-asks-reason", name, warnKeys...)
			b.click("#ackr-referral")
			b.click("#dup-ack")
			b.waitJS(`document.body.dataset.ack === 'done'`, 5*time.Second)
			doneKeys := []string{"#r-name", "#ticket-no"}
			if !phone {
				doneKeys = append(doneKeys, "#dup-acked", "#next-btn", "#countdown")
			}
			b.state("result-acknowledged", name, doneKeys...)
			b.click("#next-btn")
			b.waitScreen("idle")

			// An unknown citizen.
			b.wedge(unknownID + "||Phạm Thị Hoa|01011999|Nữ|Hà Nội|01012022")
			b.waitScreen("error")
			b.state("error", name, "#err-title", "#err-steps", "#err-rescan", "#err-manual")
			b.click("#lang-btn")
			b.checkLayout("error (en)", "#err-title", "#err-rescan")
			b.click("#lang-btn")
			b.click("#err-rescan")
			b.waitScreen("idle")

			// A scan that broke off.
			b.typeTimed("008095001234|070123456|Ngu", ScanGap)
			b.waitJS(`!document.getElementById('scan-notice').hidden`, 10*time.Second)
			b.state("idle-scan-broken", name, "#idle-title", "#scan-notice")

			// Waiting for the service.
			release := e.hold()
			b.wedge("008188004321||Trần Thị Bích Ngọc|01071988|Nữ|Tổ 5|01012022")
			b.waitScreen("busy")
			b.state("busy", name)
			release()
			b.waitScreen("result")
			b.click("#next-btn")
			b.waitScreen("idle")

			// The service down: the scan is kept.
			e.down.Store(503)
			b.wedge(unknownID + "||Phạm Thị Hoa|01011999|Nữ|Hà Nội|01012022")
			b.waitScreen("queued")
			b.state("queued", name, "#queued-title", "#queued-count", "#queued-ok", "#queue-status")
			e.down.Store(0)
			b.click("#queued-ok")
			b.waitScreen("idle")
			b.waitJS(`document.getElementById('queue-status').hidden && document.getElementById('net-status').dataset.online === 'true'`, 20*time.Second)

			// The camera, its first frame held at the service.
			release = e.hold()
			b.click("#camera-btn")
			b.waitScreen("camera")
			b.waitJS(`document.getElementById('camera-video').readyState >= 2`, 10*time.Second)
			b.state("camera", name, "#camera-title", "#camera-cancel")
			b.click("#camera-cancel")
			release()
			b.waitScreen("idle")

			b.click("#settings-btn")
			b.checkLayout("settings", "#set-facility", "#set-token", "#settings-save")
			if v := b.axe(); len(v) > 0 {
				t.Errorf("settings: axe-core: %v", v)
			}
			b.shot("kiosk-settings-" + name)
		})
	}
}
