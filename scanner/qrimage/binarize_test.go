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
