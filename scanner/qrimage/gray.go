package qrimage

import (
	"errors"
	"image"
	"image/color"

	"github.com/makiuchi-d/gozxing"
)

// gray is an 8-bit luminance image, row-major, stride == w.
type gray struct {
	pix  []byte
	w, h int
}

func newGray(w, h int) *gray { return &gray{pix: make([]byte, w*h), w: w, h: h} }

// lum computes luminance like zxing-cpp (Rec. 601 weights, fixed point).
func lum(r, g, b uint32) byte {
	return byte((306*r + 601*g + 117*b + 0x200) >> 10)
}

// toGray converts an image to luminance, reading pixel buffers directly for
// the common types. Transparent pixels are composited over white.
func toGray(img image.Image) *gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		if m.Stride == w && len(m.Pix) >= w*h {
			return &gray{pix: m.Pix[:w*h], w: w, h: h}
		}
		g := newGray(w, h)
		for y := 0; y < h; y++ {
			copy(g.pix[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
		return g
	case *image.YCbCr:
		// Luminance is the Y plane: used in place when it is one block
		// (what image/jpeg returns for widths that are a multiple of 16).
		if m.YStride == w && len(m.Y) >= w*h {
			return &gray{pix: m.Y[:w*h], w: w, h: h}
		}
		g := newGray(w, h)
		for y := 0; y < h; y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(g.pix[y*w:(y+1)*w], m.Y[off:off+w])
		}
		return g
	case *image.NYCbCrA:
		g := newGray(w, h)
		for y := 0; y < h; y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			aoff := m.AOffset(b.Min.X, b.Min.Y+y)
			row := g.pix[y*w : (y+1)*w]
			for x := 0; x < w; x++ {
				a := uint32(m.A[aoff+x])
				row[x] = byte((uint32(m.Y[off+x])*a + 255*(255-a) + 127) / 255)
			}
		}
		return g
	case *image.RGBA:
		g := newGray(w, h)
		for y := 0; y < h; y++ {
			p := m.Pix[y*m.Stride : y*m.Stride+4*w]
			row := g.pix[y*w : (y+1)*w]
			for x := range row {
				q := p[4*x : 4*x+4 : 4*x+4]
				// premultiplied: over white = c + (255-a)
				k := 255 - uint32(q[3])
				row[x] = lum(uint32(q[0])+k, uint32(q[1])+k, uint32(q[2])+k)
			}
		}
		return g
	case *image.NRGBA:
		g := newGray(w, h)
		for y := 0; y < h; y++ {
			p := m.Pix[y*m.Stride : y*m.Stride+4*w]
			row := g.pix[y*w : (y+1)*w]
			for x := range row {
				q := p[4*x : 4*x+4 : 4*x+4]
				a := uint32(q[3])
				l := uint32(lum(uint32(q[0]), uint32(q[1]), uint32(q[2])))
				if a != 255 {
					l = (l*a + 255*(255-a) + 127) / 255
				}
				row[x] = byte(l)
			}
		}
		return g
	case *image.Paletted:
		var lut [256]byte
		for i := range lut {
			lut[i] = 255
		}
		for i, c := range m.Palette {
			if i >= 256 {
				break
			}
			lut[i] = colorLum(c)
		}
		g := newGray(w, h)
		for y := 0; y < h; y++ {
			p := m.Pix[y*m.Stride : y*m.Stride+w]
			row := g.pix[y*w : (y+1)*w]
			for x := range row {
				row[x] = lut[p[x]]
			}
		}
		return g
	}
	g := newGray(w, h)
	for y := 0; y < h; y++ {
		row := g.pix[y*w : (y+1)*w]
		for x := range row {
			row[x] = colorLum(img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return g
}

func colorLum(c color.Color) byte {
	if c == nil {
		return 255
	}
	r, g, b, a := c.RGBA() // premultiplied, 16 bit
	k := 0xffff - a
	return lum((r+k)>>8, (g+k)>>8, (b+k)>>8)
}

// scaleDown shrinks by an integer factor with box averaging.
func (g *gray) scaleDown(f int) *gray {
	w, h := g.w/f, g.h/f
	if w < 1 || h < 1 {
		return nil
	}
	o := newGray(w, h)
	acc := make([]uint32, w)
	n := uint32(f * f)
	for y := 0; y < h; y++ {
		for i := range acc {
			acc[i] = 0
		}
		for dy := 0; dy < f; dy++ {
			src := g.pix[(y*f+dy)*g.w:]
			for x := 0; x < w; x++ {
				s := src[x*f : x*f+f]
				for _, v := range s {
					acc[x] += uint32(v)
				}
			}
		}
		row := o.pix[y*w : (y+1)*w]
		for x := range row {
			row[x] = byte((acc[x] + n/2) / n)
		}
	}
	return o
}

// resize scales to (w,h) with bilinear interpolation.
func (g *gray) resize(w, h int) *gray {
	if w < 1 || h < 1 {
		return nil
	}
	o := newGray(w, h)
	sx := float64(g.w) / float64(w)
	sy := float64(g.h) / float64(h)
	x0s := make([]int, w)
	fxs := make([]uint32, w)
	for x := 0; x < w; x++ {
		x0s[x], fxs[x] = sourceCoord(x, sx, g.w)
	}
	for y := 0; y < h; y++ {
		y0, wy := sourceCoord(y, sy, g.h)
		y1 := y0 + 1
		if y1 >= g.h {
			y1 = g.h - 1
		}
		r0 := g.pix[y0*g.w : (y0+1)*g.w]
		r1 := g.pix[y1*g.w : (y1+1)*g.w]
		row := o.pix[y*w : (y+1)*w]
		for x := range row {
			x0 := x0s[x]
			x1 := x0 + 1
			if x1 >= g.w {
				x1 = g.w - 1
			}
			wx := fxs[x]
			a := uint32(r0[x0])*(256-wx) + uint32(r0[x1])*wx
			b := uint32(r1[x0])*(256-wx) + uint32(r1[x1])*wx
			row[x] = byte((a*(256-wy) + b*wy + 32768) >> 16)
		}
	}
	return o
}

// sourceCoord maps output pixel i of a resize by scale to the source pixel
// before it (clamped to [0, n-1]) and the weight, in 1/256, of the one after.
func sourceCoord(i int, scale float64, n int) (int, uint32) {
	f := max((float64(i)+0.5)*scale-0.5, 0)
	i0 := int(f)
	if i0 >= n-1 {
		i0 = n - 1
		f = float64(i0)
	}
	return i0, uint32((f - float64(i0)) * 256)
}

func (g *gray) crop(r image.Rectangle) *gray {
	r = r.Intersect(image.Rect(0, 0, g.w, g.h))
	if r.Empty() {
		return nil
	}
	o := newGray(r.Dx(), r.Dy())
	for y := 0; y < o.h; y++ {
		copy(o.pix[y*o.w:(y+1)*o.w], g.pix[(r.Min.Y+y)*g.w+r.Min.X:])
	}
	return o
}

func (g *gray) invert() *gray {
	o := newGray(g.w, g.h)
	for i, v := range g.pix {
		o.pix[i] = 255 - v
	}
	return o
}

// boxBlur applies a (2r+1)x(2r+1) box filter.
func (g *gray) boxBlur(r int) *gray {
	w, h := g.w, g.h
	tmp := make([]uint16, w*h)
	for y := 0; y < h; y++ {
		row := g.pix[y*w : (y+1)*w]
		var s int
		for x := -r; x <= r; x++ {
			s += int(row[clampi(x, 0, w-1)])
		}
		for x := 0; x < w; x++ {
			tmp[y*w+x] = uint16(s)
			s += int(row[clampi(x+r+1, 0, w-1)]) - int(row[clampi(x-r, 0, w-1)])
		}
	}
	o := newGray(w, h)
	n := (2*r + 1) * (2*r + 1)
	for x := 0; x < w; x++ {
		var s int
		for y := -r; y <= r; y++ {
			s += int(tmp[clampi(y, 0, h-1)*w+x])
		}
		for y := 0; y < h; y++ {
			o.pix[y*w+x] = byte((s + n/2) / n)
			s += int(tmp[clampi(y+r+1, 0, h-1)*w+x]) - int(tmp[clampi(y-r, 0, h-1)*w+x])
		}
	}
	return o
}

// rotate90 rotates clockwise by 90 degrees.
func (g *gray) rotate90() *gray {
	o := newGray(g.h, g.w)
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			o.pix[x*o.w+(g.h-1-y)] = g.pix[y*g.w+x]
		}
	}
	return o
}

func clampi(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// lumSource implements gozxing.LuminanceSource over a gray image without
// copying.
type lumSource struct {
	g                   *gray
	left, top, width, h int
}

var _ gozxing.LuminanceSource = (*lumSource)(nil)

func newLumSource(g *gray) *lumSource { return &lumSource{g: g, width: g.w, h: g.h} }

func (s *lumSource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.h {
		return row, errors.New("IllegalArgumentException: row outside the image")
	}
	if len(row) < s.width {
		row = make([]byte, s.width)
	}
	off := (s.top+y)*s.g.w + s.left
	copy(row, s.g.pix[off:off+s.width])
	return row, nil
}

func (s *lumSource) GetMatrix() []byte {
	if s.left == 0 && s.top == 0 && s.width == s.g.w && s.h == s.g.h {
		return s.g.pix
	}
	m := make([]byte, s.width*s.h)
	for y := 0; y < s.h; y++ {
		off := (s.top+y)*s.g.w + s.left
		copy(m[y*s.width:(y+1)*s.width], s.g.pix[off:off+s.width])
	}
	return m
}

func (s *lumSource) GetWidth() int         { return s.width }
func (s *lumSource) GetHeight() int        { return s.h }
func (s *lumSource) IsCropSupported() bool { return true }
func (s *lumSource) Crop(left, top, width, height int) (gozxing.LuminanceSource, error) {
	if left < 0 || top < 0 || width < 0 || height < 0 || left+width > s.width || top+height > s.h {
		return nil, errors.New("IllegalArgumentException: crop rectangle does not fit")
	}
	return &lumSource{g: s.g, left: s.left + left, top: s.top + top, width: width, h: height}, nil
}
func (s *lumSource) IsRotateSupported() bool { return true }
func (s *lumSource) Invert() gozxing.LuminanceSource {
	return gozxing.NewInvertedLuminanceSource(s)
}
func (s *lumSource) RotateCounterClockwise() (gozxing.LuminanceSource, error) {
	c := &gray{pix: s.GetMatrix(), w: s.width, h: s.h}
	r := c.rotate90().rotate90().rotate90()
	return newLumSource(r), nil
}
func (s *lumSource) RotateCounterClockwise45() (gozxing.LuminanceSource, error) {
	return nil, errors.New("UnsupportedOperationException: 45 degree rotation")
}
func (s *lumSource) String() string { return gozxing.LuminanceSourceString(s) }

// pad adds a border of m pixels of value v on every side.
func (g *gray) pad(m int, v byte) *gray {
	o := newGray(g.w+2*m, g.h+2*m)
	for i := range o.pix {
		o.pix[i] = v
	}
	for y := 0; y < g.h; y++ {
		copy(o.pix[(y+m)*o.w+m:], g.pix[y*g.w:(y+1)*g.w])
	}
	return o
}

// upscaleNearest enlarges by an integer factor without interpolation (keeps
// the modules of tiny synthetic codes crisp).
func (g *gray) upscaleNearest(f int) *gray {
	o := newGray(g.w*f, g.h*f)
	for y := 0; y < o.h; y++ {
		src := g.pix[(y/f)*g.w : (y/f+1)*g.w]
		row := o.pix[y*o.w : (y+1)*o.w]
		for x := range row {
			row[x] = src[x/f]
		}
	}
	return o
}

// stretch maps the 1st..99th percentile of luminance to 0..255.
func (g *gray) stretch() *gray {
	var hist [256]int
	for _, v := range g.pix {
		hist[v]++
	}
	n := len(g.pix)
	lo, hi := 0, 255
	for c := 0; lo < 255; lo++ {
		c += hist[lo]
		if c > n/100 {
			break
		}
	}
	for c := 0; hi > 0; hi-- {
		c += hist[hi]
		if c > n/100 {
			break
		}
	}
	if hi-lo < 8 {
		return nil
	}
	var lut [256]byte
	for i := range lut {
		v := (i - lo) * 255 / (hi - lo)
		lut[i] = byte(clampi(v, 0, 255))
	}
	o := newGray(g.w, g.h)
	for i, v := range g.pix {
		o.pix[i] = lut[v]
	}
	return o
}

// sharpen applies an unsharp mask: 2*g - blur(g).
func (g *gray) sharpen(r int) *gray {
	b := g.boxBlur(r)
	o := newGray(g.w, g.h)
	for i, v := range g.pix {
		o.pix[i] = byte(clampi(2*int(v)-int(b.pix[i]), 0, 255))
	}
	return o
}
