package qrimage

import (
	"context"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// TestChainEnd checks images that only the strategies at the end of the
// chain read, each by the strategy it names: every strategy before it
// misses the image, so the test fails without that strategy.
func TestChainEnd(t *testing.T) {
	v1 := encodeModules(t, "CCCD 001", nil) // version 1: no alignment pattern
	v7 := encodeModules(t, cccdPayload, nil)
	if v1.GetWidth() != 21 || v7.GetWidth() != 45 {
		t.Fatalf("symbols of %d and %d modules, want 21 and 45", v1.GetWidth(), v7.GetWidth())
	}
	bg := cameraBackground(3)
	// The right side 45% shorter than the left, as seen from the left.
	keystone := [8]float64{120, 60, 520, 130, 520, 350, 120, 420}
	cases := []struct {
		name, text, strategy string
		img                  func() *gray
	}{
		// The parallelogram of the finder patterns misses the fourth
		// corner by modules; the finder patterns' outlines find it.
		{"keystone-v1", "CCCD 001", "perspective", func() *gray {
			return warp(renderQR(v1, 6, 4), 640, 480, bg, keystone)
		}},
		{"keystone-v7", cccdPayload, "perspective", func() *gray {
			return warp(renderQR(v7, 6, 4), 640, 480, bg, keystone)
		}},
		// Rows bent by 3 modules: no one transform fits the grid, the
		// lattice of alignment patterns does.
		{"bowed-v7", cccdPayload, "perspective", func() *gray {
			return rotated(bow(renderQR(v7, 5, 4), 15), 640, 480, 10, 1, 320, 240, bg)
		}},
		// Light on dark with 2-pixel modules.
		{"inverted-small", cccdPayload, "inverted@2+harder", func() *gray {
			code := renderQR(v7, 2, 4) // 106 px
			white := func(x, y int) byte { return 255 }
			return addNoise(rotated(code, 159, 159, 7, 1, 79.5, 79.5, white).invert(), 6, 1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Decode(context.Background(), encodePNG(t, c.img().image()), Options{MaxWork: -1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != c.text || res.Strategy != c.strategy {
				t.Fatalf("read %q by %s, want the text by %s", truncate(res.Text, 40), res.Strategy, c.strategy)
			}
		})
	}
}

// TestPerspectiveBounds: the perspective detector's finder-pattern scan
// stops when the search's budget is spent (stop is asked at each new
// candidate), and on an image of many finder-like squares after
// maxFinderCandidates candidates (finderGuard), where gozxing's scan alone
// would compare and score hundreds of them.
func TestPerspectiveBounds(t *testing.T) {
	v1 := encodeModules(t, "CCCD 001", nil)
	keystone := warp(renderQR(v1, 6, 4), 640, 480, cameraBackground(3), [8]float64{120, 60, 520, 130, 520, 350, 120, 420})
	read := func(g *gray, stop func() bool) []string {
		var texts []string
		for _, r := range withHybrid(g, func(b gozxing.Binarizer) []*gozxing.Result {
			m, err := b.GetBlackMatrix()
			if err != nil {
				t.Fatal(err)
			}
			return decodePerspective(m, stop)
		}) {
			texts = append(texts, r.GetText())
		}
		return texts
	}
	if got := read(keystone, func() bool { return false }); len(got) != 1 || got[0] != "CCCD 001" {
		t.Fatalf("with budget left: read %q", got)
	}
	asked := 0
	if got := read(keystone, func() bool { asked++; return true }); len(got) != 0 || asked != 1 {
		t.Fatalf("with the budget spent: read %q, stop asked %d times (want once)", got, asked)
	}

	field := finderField(1024, 768)
	asked = 0
	if got := read(field, func() bool { asked++; return false }); len(got) != 0 || asked != maxFinderCandidates {
		t.Fatalf("finder field: read %q, %d candidates before the scan was stopped, want %d", got, asked, maxFinderCandidates)
	}
}

// TestFinderGuard: the guard every finder-pattern scan gets lets
// maxFinderCandidates finder candidates through, whatever the alignment
// patterns reported between them, and ends the scan at the next one.
func TestFinderGuard(t *testing.T) {
	guard := finderGuard(nil)
	for i := range maxFinderCandidates {
		guard(detector.NewAlignmentPattern(1, 1, 1))
		guard(detector.NewFinderPattern1(float64(i), 1, 1))
	}
	defer func() {
		if _, ok := recover().(stopScan); !ok {
			t.Fatal("the scan was not ended at the candidate past the bound")
		}
	}()
	guard(detector.NewFinderPattern1(0, 0, 1))
}
