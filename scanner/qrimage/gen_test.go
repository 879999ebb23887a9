package qrimage

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Test images are generated here, deterministically (fixed seeds), from
// CCCD payloads rendered by gozxing's encoder.

const cccdPayload = "008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021"

// encodeModules renders text as a QR module matrix (no quiet zone). With no
// CHARACTER_SET hint gozxing writes the UTF-8 bytes in byte mode without an
// ECI segment, like the CCCD card; with one it adds an ECI segment.
func encodeModules(t testing.TB, text string, h map[gozxing.EncodeHintType]interface{}) *gozxing.BitMatrix {
	t.Helper()
	if h == nil {
		h = map[gozxing.EncodeHintType]interface{}{}
	}
	if _, ok := h[gozxing.EncodeHintType_MARGIN]; !ok {
		h[gozxing.EncodeHintType_MARGIN] = 0
	}
	if _, ok := h[gozxing.EncodeHintType_ERROR_CORRECTION]; !ok {
		h[gozxing.EncodeHintType_ERROR_CORRECTION] = "M"
	}
	m, err := zqr.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 1, 1, h)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// renderQR draws the modules at module px per module with a quiet zone of
// quiet modules.
func renderQR(m *gozxing.BitMatrix, module, quiet int) *gray {
	n := m.GetWidth()
	size := (n + 2*quiet) * module
	g := newGray(size, size)
	for i := range g.pix {
		g.pix[i] = 255
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if !m.Get(x, y) {
				continue
			}
			for dy := 0; dy < module; dy++ {
				row := g.pix[((quiet+y)*module+dy)*size:]
				for dx := 0; dx < module; dx++ {
					row[(quiet+x)*module+dx] = 0
				}
			}
		}
	}
	return g
}

// homography maps destination pixels to source coordinates.
type homography [9]float64

func (h homography) apply(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// quadToSquare returns the homography from the unit square to the quad
// (x0,y0)..(x3,y3) (clockwise from top left); the inverse is computed by
// solving numerically below.
func squareToQuad(q [8]float64) homography {
	x0, y0, x1, y1, x2, y2, x3, y3 := q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]
	dx3 := x0 - x1 + x2 - x3
	dy3 := y0 - y1 + y2 - y3
	if dx3 == 0 && dy3 == 0 {
		return homography{x1 - x0, x2 - x1, x0, y1 - y0, y2 - y1, y0, 0, 0, 1}
	}
	dx1, dx2 := x1-x2, x3-x2
	dy1, dy2 := y1-y2, y3-y2
	den := dx1*dy2 - dx2*dy1
	a13 := (dx3*dy2 - dx2*dy3) / den
	a23 := (dx1*dy3 - dx3*dy1) / den
	return homography{
		x1 - x0 + a13*x1, x3 - x0 + a23*x3, x0,
		y1 - y0 + a13*y1, y3 - y0 + a23*y3, y0,
		a13, a23, 1,
	}
}

func (h homography) inverse() homography {
	a, b, c, d, e, f, g, hh, i := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
	return homography{
		e*i - f*hh, c*hh - b*i, b*f - c*e,
		f*g - d*i, a*i - c*g, c*d - a*f,
		d*hh - e*g, b*g - a*hh, a*e - b*d,
	}
}

// warp draws src into a w x h canvas of background bg so that src's corners
// land on quad (clockwise from top left), with bilinear sampling.
func warp(src *gray, w, h int, bg func(x, y int) byte, quad [8]float64) *gray {
	// destination -> unit square -> source pixels
	inv := squareToQuad(quad).inverse()
	o := newGray(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := inv.apply(float64(x)+0.5, float64(y)+0.5)
			sx, sy := u*float64(src.w)-0.5, v*float64(src.h)-0.5
			if u < 0 || v < 0 || u >= 1 || v >= 1 {
				o.pix[y*w+x] = bg(x, y)
				continue
			}
			o.pix[y*w+x] = bilinear(src, sx, sy)
		}
	}
	return o
}

// bow draws src with its rows bent into arcs that sag by sag pixels in the
// middle (a card or page curved across its width), on white.
func bow(src *gray, sag float64) *gray {
	o := newGray(src.w, src.h+int(sag)+2)
	for i := range o.pix {
		o.pix[i] = 255
	}
	for y := 0; y < o.h; y++ {
		for x := 0; x < o.w; x++ {
			xn := 2*(float64(x)+0.5)/float64(src.w) - 1
			sy := float64(y) + 0.5 - sag*(1-xn*xn)
			if sy >= 0 && sy < float64(src.h) {
				o.pix[y*o.w+x] = bilinear(src, float64(x), sy-0.5)
			}
		}
	}
	return o
}

func bilinear(g *gray, x, y float64) byte {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	p := func(x, y int) float64 { return float64(g.pix[clampi(y, 0, g.h-1)*g.w+clampi(x, 0, g.w-1)]) }
	v := (p(x0, y0)*(1-fx)+p(x0+1, y0)*fx)*(1-fy) + (p(x0, y0+1)*(1-fx)+p(x0+1, y0+1)*fx)*fy
	return byte(clampi(int(v+0.5), 0, 255))
}

// rotated places src rotated by deg degrees (clockwise) centred in a
// w x h canvas at scale s (output px per source px).
func rotated(src *gray, w, h int, deg, s float64, cx, cy float64, bg func(x, y int) byte) *gray {
	r := deg * math.Pi / 180
	cos, sin := math.Cos(r), math.Sin(r)
	hw, hh := float64(src.w)*s/2, float64(src.h)*s/2
	var q [8]float64
	corners := [4][2]float64{{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}}
	for i, c := range corners {
		q[2*i] = cx + c[0]*cos - c[1]*sin
		q[2*i+1] = cy + c[0]*sin + c[1]*cos
	}
	return warp(src, w, h, bg, q)
}

// cameraBackground is a textured, unevenly lit desk-like background.
func cameraBackground(seed int64) func(x, y int) byte {
	rng := rand.New(rand.NewSource(seed))
	ox, oy := rng.Float64()*100, rng.Float64()*100
	return func(x, y int) byte {
		v := 150 + 40*math.Sin((float64(x)+ox)/37) + 25*math.Cos((float64(y)+oy)/23) + 20*math.Sin(float64(x+y)/7)
		return byte(clampi(int(v), 0, 255))
	}
}

func addNoise(g *gray, sigma float64, seed int64) *gray {
	rng := rand.New(rand.NewSource(seed))
	o := newGray(g.w, g.h)
	for i, v := range g.pix {
		o.pix[i] = byte(clampi(int(float64(v)+rng.NormFloat64()*sigma+0.5), 0, 255))
	}
	return o
}

func contrast(g *gray, lo, hi int) *gray {
	o := newGray(g.w, g.h)
	for i, v := range g.pix {
		o.pix[i] = byte(lo + int(v)*(hi-lo)/255)
	}
	return o
}

// lighting multiplies by a left-to-right gradient and a dark corner.
func lighting(g *gray, from, to float64) *gray {
	o := newGray(g.w, g.h)
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			f := from + (to-from)*float64(x)/float64(g.w)
			f *= 1 - 0.3*float64(y)/float64(g.h)
			o.pix[y*g.w+x] = byte(clampi(int(float64(g.pix[y*g.w+x])*f), 0, 255))
		}
	}
	return o
}

func (g *gray) image() *image.Gray {
	return &image.Gray{Pix: g.pix, Stride: g.w, Rect: image.Rect(0, 0, g.w, g.h)}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// colorize turns a gray image into RGBA with a tint (camera frames are
// colour).
func colorize(g *gray) *image.RGBA {
	o := image.NewRGBA(image.Rect(0, 0, g.w, g.h))
	for i, v := range g.pix {
		o.Pix[4*i] = byte(clampi(int(v)+8, 0, 255))
		o.Pix[4*i+1] = v
		o.Pix[4*i+2] = byte(clampi(int(v)-12, 0, 255))
		o.Pix[4*i+3] = 255
	}
	return o
}

// cameraFrame is a 640x480 frame with one CCCD QR, slightly rotated and
// tilted, on a textured background, with sensor noise.
func cameraFrame(t testing.TB) *gray {
	m := encodeModules(t, cccdPayload, nil)
	code := renderQR(m, 4, 2)
	bg := cameraBackground(7)
	q := [8]float64{200, 110, 450, 125, 440, 370, 190, 355}
	f := warp(code, 640, 480, bg, q)
	return addNoise(f, 6, 7)
}

var _ = color.Gray{}

// gray3 is g as the RGBA of a canvas drawn with a grayscale filter: what the
// kiosk page encodes (browsers write three-component JPEGs, here with flat
// chroma).
func gray3(g *gray) *image.RGBA {
	o := image.NewRGBA(image.Rect(0, 0, g.w, g.h))
	for i, v := range g.pix {
		o.Pix[4*i], o.Pix[4*i+1], o.Pix[4*i+2], o.Pix[4*i+3] = v, v, v, 255
	}
	return o
}

// finderField is a w x h image of finder patterns alone, 32 pixels apart,
// of 3- and 4-pixel modules in turn: hundreds of finder-pattern candidates
// and no symbol (1024x768: 768 patterns).
func finderField(w, h int) *gray {
	g := newGray(w, h)
	for i := range g.pix {
		g.pix[i] = 255
	}
	for cy := 0; cy < h/32; cy++ {
		for cx := 0; cx < w/32; cx++ {
			ms := 3 + (cx+cy)%2
			for my := 0; my < 7; my++ {
				for mx := 0; mx < 7; mx++ {
					if max(abs(mx-3), abs(my-3)) == 2 {
						continue // the white ring
					}
					for y := 0; y < ms; y++ {
						for x := 0; x < ms; x++ {
							g.pix[(cy*32+2+my*ms+y)*g.w+cx*32+2+mx*ms+x] = 0
						}
					}
				}
			}
		}
	}
	return g
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
