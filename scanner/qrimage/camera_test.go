package qrimage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// TestCameraFrames: the short path reads the frames a kiosk camera sends
// (a CCCD held at various angles, as the page encodes them: grayscale
// JPEG), answers the frame's code by the first pass, and answers no_code
// for a frame without one.
func TestCameraFrames(t *testing.T) {
	m := encodeModules(t, cccdPayload, nil)
	code := renderQR(m, 4, 4)
	bg := cameraBackground(3)
	frames := map[string]*gray{
		"tilted":  cameraFrame(t),
		"rot17":   addNoise(rotated(code, 640, 480, 17, 1, 320, 240, bg), 4, 1),
		"rot-128": addNoise(rotated(code, 640, 480, -128, 1, 330, 250, bg), 4, 2),
		"perspective": addNoise(warp(code, 640, 480, bg,
			[8]float64{150, 60, 480, 110, 430, 420, 200, 380}), 4, 3),
		"uneven-light": lighting(rotated(code, 640, 480, 3, 1, 320, 240, bg), 0.35, 1.2),
		"blur":         rotated(code, 640, 480, 8, 1, 320, 240, bg).boxBlur(1),
	}
	for name, g := range frames {
		t.Run(name, func(t *testing.T) {
			data := encodeJPEG(t, gray3(g), 80)
			res, err := Decode(context.Background(), data, Options{Camera: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s by %s", name, res.Strategy)
			if res.Text != cccdPayload || !strings.HasPrefix(res.Strategy, "camera") {
				t.Fatalf("got %q by %q", res.Text, res.Strategy)
			}
		})
	}
	t.Run("no-code", func(t *testing.T) {
		_, err := Decode(context.Background(), encodeJPEG(t, gray3(noCodeFrame()), 80), Options{Camera: true})
		var ve *verifier.Error
		if !errors.As(err, &ve) || ve.Code != CodeNoCode {
			t.Fatalf("got %v, want %s", err, CodeNoCode)
		}
	})
}

// TestCameraPhoto: a photograph of a code (the corpus's qrcode-2/15.webp,
// at the page's 640x480, as the page encodes it), in which the hybrid
// binarizer keeps only two of the three finder patterns, is read by the
// short path through the global threshold it then tries. zxing-cpp reads
// this frame; before that step the short path answered no_code.
func TestCameraPhoto(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(corpusDir(t), "qrcode-2", "15.txt"))
	if err != nil {
		t.Fatal(err)
	}
	data := encodeJPEG(t, gray3(corpusPhoto(t, "qrcode-2/15.webp").resize(640, 480)), 80)
	res, err := Decode(context.Background(), data, Options{Camera: true})
	if err != nil || res.Text != string(want) || res.Strategy != "camera+global" {
		t.Fatalf("got %q by %q, %v; want %q by camera+global", res.Text, res.Strategy, err, want)
	}
}

// TestCameraFinderField: a frame of hundreds of finder-like squares and
// no code is answered no_code from a scan that its guard ended at
// maxFinderCandidates (decodeFinder sees no candidates), where gozxing's
// scan compared and scored all 768 of them (33 s of CPU for this frame).
func TestCameraFinderField(t *testing.T) {
	field := finderField(1024, 768)
	_, err := Decode(context.Background(), encodeJPEG(t, gray3(field), 80), Options{Camera: true})
	var ve *verifier.Error
	if !errors.As(err, &ve) || ve.Code != CodeNoCode {
		t.Fatalf("got %v, want %s", err, CodeNoCode)
	}
	sc := getScratch()
	defer sc.release()
	m, err := hybridBits(field, sc)
	if err != nil {
		t.Fatal(err)
	}
	if _, n := decodeFinder(m); n != 0 {
		t.Fatalf("the scan went through %d candidates: not ended by its guard", n)
	}
}

// TestCameraAccept: a code the caller does not want is passed over, and
// the frame answers no_code (the short path has no other code to find).
func TestCameraAccept(t *testing.T) {
	data := encodeJPEG(t, gray3(cameraFrame(t)), 80)
	_, err := Decode(context.Background(), data, Options{Camera: true, Accept: func(string) bool { return false }})
	if err == nil {
		t.Fatal("a refused text was answered")
	}
}

// TestCameraPathIsShort: a frame that only the longer chain reads (here a
// code inverted, light on dark) is not read by the short path, and is by
// an upload: the two paths differ where they should.
func TestCameraPathIsShort(t *testing.T) {
	g := rotated(renderQR(encodeModules(t, cccdPayload, nil), 4, 4), 640, 480, 12, 1, 320, 240, cameraBackground(3)).invert()
	data := encodeJPEG(t, gray3(g), 80)
	if res, err := Decode(context.Background(), data, Options{Camera: true}); err == nil {
		t.Fatalf("the short path read an inverted code (by %s): it runs more than it should", res.Strategy)
	}
	if res, err := Decode(context.Background(), data, Options{MaxWork: -1}); err != nil || res.Text != cccdPayload {
		t.Fatalf("upload: %v %q", err, res.Text)
	}
}

// TestCameraFrameMemory: a frame without a code allocates little beyond the
// decoded JPEG itself, because the binarizer's buffers are reused across
// frames (the whole chain allocated about 10 MB per such frame).
func TestCameraFrameMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled buffers at random")
	}
	img, _, err := LoadImage(encodeJPEG(t, gray3(noCodeFrame()), 80), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	frame := func() {
		if _, err := DecodeImage(context.Background(), img, Options{Camera: true}); err == nil {
			t.Fatal("found a code")
		}
	}
	frame() // fills the pool
	const n = 20
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < n; i++ {
		frame()
	}
	runtime.ReadMemStats(&m1)
	// A GC between frames may empty the pool once or twice; allow for it.
	per := (m1.TotalAlloc - m0.TotalAlloc) / n
	t.Logf("%d bytes per frame", per)
	if per > 64<<10 {
		t.Fatalf("a frame without a code allocates %d bytes after the JPEG decoding, want under 64 KiB", per)
	}
}
