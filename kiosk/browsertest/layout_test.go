package browsertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
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

// checkinAt records a check-in over the API, as another facility's kiosk.
func checkinAt(t *testing.T, url, token, scan string) {
	t.Helper()
	body := fmt.Sprintf(`{"scan": %q}`, scan)
	req, _ := http.NewRequest("POST", url+"/v1/checkins", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("check-in over the API: %s", res.Status)
	}
}

// getCheckin answers GET /v1/checkins/{id} over the API.
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

// The page holds at the reception PC's 1280×800 and the portrait kiosk's
// 1080×1920: nothing overflows sideways and what matters is on screen,
// also on the busiest result (a same-day warning and a queue ticket).
func TestLayoutAtKioskSizes(t *testing.T) {
	t.Parallel()
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {1080, 1920}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			e := newEnv(t)
			srvA, srvB := e.serve(), e.serve()
			p := openPage(t, srvB, &kioskB, size.w, size.h)
			name := fmt.Sprintf("%dx%d", size.w, size.h)

			p.waitScreen("idle")
			p.checkLayout("idle", "#idle-title", "#manual-id", "#manual-submit", "#camera-btn", "#photo-btn", "#settings-btn", "#lang-btn", "#net-status")
			p.screenshot("idle-" + name)

			checkinAt(t, srvA.URL, tokenA, anPayload)
			p.wedge(anPayload)
			p.waitScreen("result")
			p.checkLayout("result", "#dup-banner", "#dup-ack", "#r-name", "#r-dob", "#r-address", "#ins-status", "#ins-percent", "#ins-message", "#ticket-no", "#print-btn")
			p.screenshot("result-" + name)
			if os.Getenv("KIOSK_README_SHOTS") != "" {
				saveReadmeShot(t, p, "kiosk-"+name+".png")
			}
			p.click("#lang-btn")
			p.checkLayout("result (en)", "#dup-banner", "#dup-ack", "#r-name", "#ins-status", "#ins-message", "#ticket-no")
			p.click("#lang-btn")

			p.click("#dup-ack")
			p.checkLayout("result acknowledged", "#next-btn", "#countdown")
			p.click("#next-btn")
			p.waitScreen("idle")

			p.wedge(unknownID + "||Phạm Thị Hoa|01011999|Nữ|Hà Nội|01012022")
			p.waitScreen("error")
			p.checkLayout("error", "#err-title", "#err-steps", "#err-rescan", "#err-manual")
			p.screenshot("error-" + name)

			p.click("#lang-btn")
			p.checkLayout("error (en)", "#err-title", "#err-rescan")
			p.click("#err-rescan")
			p.waitScreen("idle")

			p.click("#settings-btn")
			p.checkLayout("settings", "#set-facility", "#set-token", "#settings-save")
			p.screenshot("settings-" + name)
		})
	}
}

// saveReadmeShot writes a half-scale PNG of the viewport for the README.
func saveReadmeShot(t *testing.T, p *page, file string) {
	t.Helper()
	var vp struct{ W, H float64 }
	p.eval(`({W: innerWidth, H: innerHeight})`, &vp)
	res, err := chromedp.Call(p.ctx, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{
		Format: cdppage.CaptureScreenshotFormatPng,
		Clip:   &cdppage.Viewport{X: 0, Y: 0, Width: vp.W, Height: vp.H, Scale: 0.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(res.Data, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG")
	}
	if err := os.WriteFile(filepath.Join(dir, file), res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
}
