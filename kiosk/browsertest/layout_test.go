package browsertest

import (
	"bytes"
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

// checkLayout fails when anything sticks out sideways or a key element is
// not wholly on screen without scrolling.
func (p *page) checkLayout(where string, keys ...string) {
	p.t.Helper()
	var bad []string
	p.eval(overflowJS, &bad)
	for _, b := range bad {
		p.t.Errorf("%s: horizontal overflow: %s", where, b)
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

// The page holds at the reception PC's 1280×800 and the portrait kiosk's
// 1080×1920: nothing overflows sideways and what matters is on screen,
// also on the busiest result (a same-day warning and a queue ticket).
func TestLayoutAtKioskSizes(t *testing.T) {
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
			shot := p.screenshot("result-" + name)
			if os.Getenv("KIOSK_README_SHOTS") != "" {
				saveReadmeShot(t, p, "kiosk-"+name+".png")
			}
			_ = shot

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
