package browsertest

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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

// checkReceiptPDF prints the page as Chromium prints it for the receipt
// printer (Page.printToPDF at the CSS page size, 80 mm paper) and checks
// the PDF: 80 mm wide, one page, and, with poppler-utils (pdftotext,
// pdftoppm; .ci/run installs them), want in its text and the page rendered
// to a PNG at a thermal printer's 203 dpi, saved as name under
// KIOSK_SCREENSHOTS (or the test's temporary directory) and checked to
// have ink in it.
func (p *page) checkReceiptPDF(name string, want ...string) {
	t := p.t
	t.Helper()
	pdf, err := chromedp.Run(p.ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	w, h, ok := pdfMediaBox(pdf)
	if !ok || w < 225 || w > 229 {
		t.Errorf("receipt page %.1f×%.1f pt, want 80 mm (226.8 pt) wide", w, h)
	}
	if n := pdfPageCount(pdf); n != 1 {
		t.Errorf("receipt has %d pages, want 1", n)
	}
	totext, err1 := exec.LookPath("pdftotext")
	toppm, err2 := exec.LookPath("pdftoppm")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("poppler-utils missing under CI (pdftotext, pdftoppm)")
		}
		t.Logf("poppler-utils missing: the receipt's text and picture are not checked")
		return
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "receipt.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(totext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("receipt PDF text %q lacks %q", text, s)
		}
	}
	if strings.Contains(text, "%") {
		t.Errorf("receipt PDF shows a percentage: %q", text)
	}
	shots := os.Getenv("KIOSK_SCREENSHOTS")
	if shots == "" {
		shots = dir
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(shots, name)
	if msg, err := exec.Command(toppm, "-png", "-gray", "-r", "203", "-singlefile", file, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, msg)
	}
	b, err := os.ReadFile(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("receipt PNG: %v", err)
	}
	bw := img.Bounds().Dx()
	if bw < 630 || bw > 645 {
		t.Errorf("receipt PNG %d px wide at 203 dpi, want about 639 (80 mm)", bw)
	}
	ink := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				ink++
			}
		}
	}
	if ink < 2000 {
		t.Errorf("receipt PNG has %d dark pixels: nothing printed?", ink)
	}
	t.Logf("receipt %s.png: %dx%d px, %d dark pixels; text %q", prefix, bw, img.Bounds().Dy(), ink, text)
}
