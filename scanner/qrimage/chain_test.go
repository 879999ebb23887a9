package qrimage

import (
	"context"
	"testing"
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
