package qrimage

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Side-by-side measurement with zxing-cpp (development aid, not run by
// default): QRIMAGE_FRAMES=DIR go test -run TestWriteFrames writes 640x480
// camera-like frames, as the kiosk page sends them (grey, JPEG quality
// 0.8), with and without a code; testdata/zxingcpp_frames.py times
// zxing-cpp on them and QRIMAGE_FRAMES=DIR go test -run TestFrameCPU times
// this package on the same files.

func TestWriteFrames(t *testing.T) {
	dir := os.Getenv("QRIMAGE_FRAMES")
	if dir == "" {
		t.Skip("set QRIMAGE_FRAMES=DIR")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	code := renderQR(encodeModules(t, cccdPayload, nil), 4, 4)
	bg := cameraBackground(3)
	photo := corpusPhoto(t, "qrcode-2/15.webp")
	frames := map[string]*gray{
		"code-tilted":      cameraFrame(t),
		"code-rot17":       addNoise(rotated(code, 640, 480, 17, 1, 320, 240, bg), 4, 1),
		"code-perspective": addNoise(warp(code, 640, 480, bg, [8]float64{150, 60, 480, 110, 430, 420, 200, 380}), 4, 3),
		"code-photo":       photo.resize(640, 480),
		"nocode-texture":   noCodeFrame(),
		"nocode-gradient":  addNoise(gradientFrame(), 3, 5),
		"nocode-photo":     withoutCode(t, photo).resize(640, 480),
		"nocode-blurred":   noCodeFrame().boxBlur(2),
	}
	for name, g := range frames {
		if err := os.WriteFile(filepath.Join(dir, name+".jpg"), encodeJPEG(t, gray3(g), 80), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gradientFrame() *gray {
	g := newGray(640, 480)
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			g.pix[y*g.w+x] = byte(60 + 140*float64(x)/640 + 30*math.Sin(float64(y)/90))
		}
	}
	return g
}

func corpusPhoto(t *testing.T, name string) *gray {
	data, err := os.ReadFile(filepath.Join("testdata", "zxing-qr", name))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := LoadImage(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	g := toGray(img)
	return &gray{pix: append([]byte(nil), g.pix...), w: g.w, h: g.h}
}

// withoutCode paints the code's area (its finder patterns' box, widened by
// a third of its size) with the mean of the photo's other pixels.
func withoutCode(t *testing.T, g *gray) *gray {
	rs := hybrid(g, hintsHarder)
	if len(rs) == 0 {
		rs = multi(g, hintsHarder)
	}
	if len(rs) == 0 {
		t.Fatal("no code to paint out")
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range rs[0].GetResultPoints() {
		x0, y0 = math.Min(x0, p.GetX()), math.Min(y0, p.GetY())
		x1, y1 = math.Max(x1, p.GetX()), math.Max(y1, p.GetY())
	}
	m := math.Max(x1-x0, y1-y0) / 3
	o := &gray{pix: append([]byte(nil), g.pix...), w: g.w, h: g.h}
	var sum, n int
	for _, v := range g.pix {
		sum += int(v)
		n++
	}
	for y := max(0, int(y0-m)); y < min(g.h, int(y1+m)); y++ {
		for x := max(0, int(x0-m)); x < min(g.w, int(x1+m)); x++ {
			o.pix[y*g.w+x] = byte(sum / n)
		}
	}
	if _, err := DecodeImage(context.Background(), o.image(), Options{MaxWork: -1}); err == nil {
		t.Fatal("the code is still readable")
	}
	return o
}

// TestFrameCPU prints the CPU time per frame (median of 5 rounds of 40
// decodes each, file bytes to answer) of the camera path and the upload
// chain on every JPEG in QRIMAGE_FRAMES, and of the JPEG decoding alone:
// image/jpeg's (LoadImage, what uploads use) and the camera path's
// (loadCameraJPEG: lumajpeg's luma plane, or "-" when the file is left to
// image/jpeg).
func TestFrameCPU(t *testing.T) {
	dir := os.Getenv("QRIMAGE_FRAMES")
	if dir == "" {
		t.Skip("set QRIMAGE_FRAMES=DIR")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	sort.Strings(files)
	var out strings.Builder
	fmt.Fprintf(&out, "\n%-22s %-8s %12s %12s %12s %12s\n", "frame", "found", "jpeg ms", "luma ms", "camera ms", "upload ms")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		measure := func(fn func()) float64 {
			var rounds []float64
			for r := 0; r < 5; r++ {
				c0 := processCPU()
				for i := 0; i < 40; i++ {
					fn()
				}
				rounds = append(rounds, float64(processCPU()-c0)/40/float64(time.Millisecond))
			}
			sort.Float64s(rounds)
			return rounds[2]
		}
		res, err := Decode(context.Background(), data, Options{Camera: true})
		found := "-"
		if err == nil {
			found = res.Strategy
		}
		jp := measure(func() { _, _, _ = LoadImage(data, Limits{}) })
		luma := "-"
		if g, dec, _ := loadCameraJPEG(data, Limits{}); g != nil {
			releaseCameraDecoder(dec, g.w*g.h)
			luma = fmt.Sprintf("%.2f", measure(func() {
				if g, dec, _ := loadCameraJPEG(data, Limits{}); g != nil {
					releaseCameraDecoder(dec, g.w*g.h)
				}
			}))
		}
		cam := measure(func() { _, _ = Decode(context.Background(), data, Options{Camera: true}) })
		up := measure(func() { _, _ = Decode(context.Background(), data, Options{}) })
		fmt.Fprintf(&out, "%-22s %-8s %12.2f %12s %12.2f %12.2f\n", filepath.Base(f), found, jp, luma, cam, up)
	}
	t.Log(out.String())
}
