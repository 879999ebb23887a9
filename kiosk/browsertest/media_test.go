package browsertest

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
)

// emulateMedia makes CSS media queries see media ("print"; "" for the
// default).
func (p *page) emulateMedia(media string) {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		p.t.Fatal(err)
	}
}

var mediaBoxRE = regexp.MustCompile(`/MediaBox\s*\[\s*([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)\s*\]`)

// pdfMediaBox returns the first page's size in points.
func pdfMediaBox(pdf []byte) (w, h float64, ok bool) {
	m := mediaBoxRE.FindSubmatch(pdf)
	if m == nil {
		return 0, 0, false
	}
	f := func(b []byte) float64 { v, _ := strconv.ParseFloat(string(b), 64); return v }
	return f(m[3]) - f(m[1]), f(m[4]) - f(m[2]), true
}

var pageObjRE = regexp.MustCompile(`/Type\s*/Page[^s]`)

func pdfPageCount(pdf []byte) int { return len(pageObjRE.FindAll(pdf, -1)) }

// The webcam (Chromium's fake camera playing a video of a CCCD QR code):
// frames go to /v1/decode until one reads, then the check-in runs and the
// camera stops.
func TestCameraScan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskB, 1280, 800)
	p.click("#camera-btn")
	p.waitScreen("camera")
	p.waitScreen("result")
	if got := p.text("#r-name"); got != anName {
		t.Errorf("name = %q, want %q", got, anName)
	}
	var live int
	p.eval(`(function(){ var v = document.getElementById('camera-video'); return v.srcObject ? v.srcObject.getTracks().filter(function(t){return t.readyState === 'live'}).length : 0; })()`, &live)
	if live != 0 {
		t.Errorf("%d camera tracks still live after the check-in", live)
	}
}

// A photo of the card, uploaded, checks in.
func TestPhotoUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskB, 1280, 800)
	img, err := qrimage.Render(anPayload, 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "card.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#photo-input"), []string{file}))
	p.waitScreen("result")
	if got := p.text("#r-name"); got != anName {
		t.Errorf("name = %q, want %q", got, anName)
	}

	// A photo without a code: a red state.
	blank := filepath.Join(t.TempDir(), "blank.png")
	white, _ := qrimage.Render("x", 1, 40)
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	buf.Reset()
	png.Encode(&buf, white)
	os.WriteFile(blank, buf.Bytes(), 0o644)
	p.click("#next-btn")
	p.waitScreen("idle")
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#photo-input"), []string{blank}))
	p.waitScreen("error")
	wantContains(t, "title", p.text("#err-title"), "Không thấy mã QR")
}
