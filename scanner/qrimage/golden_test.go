package qrimage

import (
	"context"
	"testing"
	"time"
)

// TestGolden renders the CCCD payload, distorts it the way cameras and
// photos do, and checks that the exact text comes back.
func TestGolden(t *testing.T) {
	m := encodeModules(t, cccdPayload, nil)
	code := renderQR(m, 5, 4) // ~ (45+8)*5 = 265 px
	small := renderQR(m, 3, 2)
	bg := cameraBackground(3)
	frame := func(deg float64) *gray {
		return rotated(code, 640, 480, deg, 1, 320, 240, bg)
	}
	cases := []struct {
		name string
		img  func() *gray
		jpeg int // 0 = PNG
	}{
		{"clean", func() *gray { return code }, 0},
		{"rot90", func() *gray { return code.rotate90() }, 0},
		{"rot180", func() *gray { return code.rotate90().rotate90() }, 0},
		{"rot270", func() *gray { return code.rotate90().rotate90().rotate90() }, 0},
		{"rot17-frame", func() *gray { return frame(17) }, 0},
		{"rot45-frame", func() *gray { return frame(45) }, 0},
		{"rot-128-frame", func() *gray { return frame(-128) }, 0},
		{"perspective", func() *gray {
			return warp(code, 640, 480, bg, [8]float64{150, 60, 480, 110, 430, 420, 200, 380})
		}, 0},
		{"perspective-strong", func() *gray {
			// A stronger keystone (a side ~40% shorter), which the
			// first pass still reads; the stronger ones that only the
			// perspective strategy reads are TestChainEnd's.
			return warp(code, 640, 480, bg, [8]float64{140, 110, 500, 90, 510, 440, 130, 440})
		}, 0},
		{"blur", func() *gray { return frame(8).boxBlur(2).boxBlur(1) }, 0},
		{"small-in-large-photo", func() *gray {
			return rotated(small, 2400, 1800, 11, 1, 1700, 500, cameraBackground(5))
		}, 0},
		{"noise", func() *gray { return addNoise(frame(5), 28, 1) }, 0},
		{"low-contrast", func() *gray { return contrast(frame(-6), 105, 150) }, 0},
		{"uneven-light", func() *gray { return lighting(frame(3), 0.25, 1.2) }, 0},
		{"inverted", func() *gray { return frame(12).invert() }, 0},
		{"inverted-clean", func() *gray { return code.invert() }, 0},
		{"jpeg-q20", func() *gray { return addNoise(frame(-9), 5, 2) }, 20},
		{"jpeg-q20-low-contrast", func() *gray { return contrast(frame(21), 90, 170) }, 20},
		{"camera-frame", func() *gray { return cameraFrame(t) }, 35},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.img()
			var data []byte
			if c.jpeg > 0 {
				data = encodeJPEG(t, colorize(g), c.jpeg)
			} else {
				data = encodePNG(t, g.image())
			}
			t0 := time.Now()
			// No time budget: this checks what is decoded, not how fast
			// (the benchmarks measure that).
			res, err := Decode(context.Background(), data, Options{MaxWork: -1})
			if err != nil {
				t.Fatalf("%v (%dx%d, %v)", err, g.w, g.h, time.Since(t0))
			}
			if res.Text != cccdPayload {
				t.Fatalf("got %q", res.Text)
			}
			t.Logf("%s: %s in %v", c.name, res.Strategy, time.Since(t0).Round(time.Millisecond))
		})
	}
}
