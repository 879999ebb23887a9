package qrimage

import (
	"fmt"
	"image"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

// TestHybridBitsMatchGozxing: the hand-written binarizer must answer bit
// for bit what gozxing's HybridBinarizer answers, so that swapping it in
// changes no decode: sizes that are and are not multiples of the block,
// flat and noisy content, and images below the hybrid minimum.
func TestHybridBitsMatchGozxing(t *testing.T) {
	frame := cameraFrame(t)
	imgs := map[string]*gray{
		"frame640x480":  frame,
		"crop-odd":      frame.crop(frameRect(3, 5, 3+517, 5+389)),
		"crop-41x43":    frame.crop(frameRect(200, 100, 241, 143)),
		"small-30x50":   frame.crop(frameRect(200, 100, 230, 150)),
		"noise":         addNoise(contrast(frame, 100, 140), 20, 3),
		"flat":          contrast(frame, 128, 130),
		"lighting-1001": lighting(addNoise(warp(newGray(1, 1), 1001, 333, cameraBackground(2), [8]float64{-1, -1, -1, -1, -1, -1, -1, -1}), 9, 4), 0.3, 1.1),
	}
	s := getScratch()
	defer s.release()
	for name, g := range imgs {
		t.Run(name, func(t *testing.T) {
			want, err := gozxing.NewHybridBinarizer(newLumSource(g)).GetBlackMatrix()
			if err != nil {
				t.Fatal(err)
			}
			// Twice: the second reuses the first's buffers.
			for round := 0; round < 2; round++ {
				got, err := hybridBits(g, s)
				if err != nil {
					t.Fatal(err)
				}
				if d := diffBits(want, got); d != "" {
					t.Fatalf("round %d: %s", round, d)
				}
			}
		})
	}
}

// TestGlobalBits: the camera's global threshold answers bit for bit what
// gozxing's GlobalHistogramBinarizer answers, and refuses what it refuses
// (too little contrast), on the same kinds of images, twice over the same
// scratch as the short path reuses it.
func TestGlobalBits(t *testing.T) {
	frame := cameraFrame(t)
	imgs := map[string]*gray{
		"frame640x480": frame,
		"photo":        corpusPhoto(t, "qrcode-2/15.webp").resize(640, 480),
		"crop-odd":     frame.crop(frameRect(3, 5, 3+517, 5+389)),
		"small-30x50":  frame.crop(frameRect(200, 100, 230, 150)),
		"noise":        addNoise(contrast(frame, 100, 140), 20, 3),
		"flat":         contrast(frame, 128, 130),
		"gradient":     gradientFrame(),
		"lighting":     lighting(frame, 0.35, 1.2),
		"two-greys":    twoGreys(100, 110), // peaks a bucket apart: refused
	}
	s := getScratch()
	defer s.release()
	refused := 0
	for name, g := range imgs {
		t.Run(name, func(t *testing.T) {
			want, err := gozxing.NewGlobalHistgramBinarizer(newLumSource(g)).GetBlackMatrix()
			for round := 0; round < 2; round++ {
				got, ok := globalBits(g, s)
				if ok != (err == nil) {
					t.Fatalf("round %d: ok %v, gozxing's error %v", round, ok, err)
				}
				if !ok {
					refused++
					return
				}
				if d := diffBits(want, got); d != "" {
					t.Fatalf("round %d: %s", round, d)
				}
			}
		})
	}
	if refused == 0 || refused == len(imgs) {
		t.Errorf("%d of %d images refused: the test should hold both cases", refused, len(imgs))
	}
}

// twoGreys is a 640x480 checkerboard of 8-pixel squares in grey levels a
// and b.
func twoGreys(a, b byte) *gray {
	g := newGray(640, 480)
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			g.pix[y*g.w+x] = a
			if (x/8+y/8)%2 == 1 {
				g.pix[y*g.w+x] = b
			}
		}
	}
	return g
}

func diffBits(a, b *gozxing.BitMatrix) string {
	if a.GetWidth() != b.GetWidth() || a.GetHeight() != b.GetHeight() {
		return fmt.Sprintf("size %dx%d vs %dx%d", a.GetWidth(), a.GetHeight(), b.GetWidth(), b.GetHeight())
	}
	n, first := 0, ""
	for y := 0; y < a.GetHeight(); y++ {
		for x := 0; x < a.GetWidth(); x++ {
			if a.Get(x, y) != b.Get(x, y) {
				if n == 0 {
					first = fmt.Sprintf("(%d,%d)", x, y)
				}
				n++
			}
		}
	}
	// Bits beyond the width must stay clear too (gozxing reads whole words).
	ra, rb := a.GetRow(0, nil).GetBitArray(), b.GetRow(0, nil).GetBitArray()
	for i := range ra {
		if ra[i] != rb[i] {
			return fmt.Sprintf("row 0 word %d: %08x vs %08x", i, ra[i], rb[i])
		}
	}
	if n > 0 {
		return fmt.Sprintf("%d pixels differ, first at %s", n, first)
	}
	return ""
}

func frameRect(x0, y0, x1, y1 int) image.Rectangle { return image.Rect(x0, y0, x1, y1) }

// BenchmarkGlobalBits: the camera's global threshold against gozxing's
// GlobalHistogramBinarizer on a 640x480 frame.
func BenchmarkGlobalBits(b *testing.B) {
	g := cameraFrame(b)
	b.Run("gozxing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gozxing.NewGlobalHistgramBinarizer(newLumSource(g)).GetBlackMatrix(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("globalBits", func(b *testing.B) {
		b.ReportAllocs()
		s := getScratch()
		defer s.release()
		for b.Loop() {
			if _, ok := globalBits(g, s); !ok {
				b.Fatal("refused")
			}
		}
	})
}
