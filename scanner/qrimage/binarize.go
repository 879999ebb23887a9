package qrimage

import (
	"github.com/makiuchi-d/gozxing"
)

// matrixBinarizer is a gozxing.Binarizer over a precomputed bit matrix.
type matrixBinarizer struct {
	src gozxing.LuminanceSource
	m   *gozxing.BitMatrix
}

func (b *matrixBinarizer) GetLuminanceSource() gozxing.LuminanceSource { return b.src }
func (b *matrixBinarizer) GetWidth() int                               { return b.m.GetWidth() }
func (b *matrixBinarizer) GetHeight() int                              { return b.m.GetHeight() }
func (b *matrixBinarizer) GetBlackMatrix() (*gozxing.BitMatrix, error) { return b.m, nil }
func (b *matrixBinarizer) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	return b.m.GetRow(y, row), nil
}
func (b *matrixBinarizer) CreateBinarizer(src gozxing.LuminanceSource) gozxing.Binarizer {
	return gozxing.NewHybridBinarizer(src)
}

// bitsFrom builds a bit matrix, black where isBlack.
func bitsFrom(g *gray, isBlack func(i, x, y int) bool) *gozxing.BitMatrix {
	m, _ := gozxing.NewBitMatrix(g.w, g.h)
	row := gozxing.NewBitArray(g.w)
	for y := 0; y < g.h; y++ {
		row.Clear()
		base := y * g.w
		for x := 0; x < g.w; x++ {
			if isBlack(base+x, x, y) {
				row.Set(x)
			}
		}
		m.SetRow(y, row)
	}
	return m
}

// localMeanBinarizer thresholds each pixel against the mean of a
// (2r+1)^2 window around it, minus an offset proportional to the local
// contrast floor. It copes with uneven lighting and with codes whose modules
// are larger than HybridBinarizer's 8x8 blocks expect.
func localMeanBinarizer(g *gray, r int, offset int) gozxing.Binarizer {
	w, h := g.w, g.h
	W := w + 1
	integ := make([]uint32, W*(h+1))
	for y := 0; y < h; y++ {
		var s uint32
		row := g.pix[y*w : (y+1)*w]
		for x, v := range row {
			s += uint32(v)
			integ[(y+1)*W+x+1] = integ[y*W+x+1] + s
		}
	}
	m := bitsFrom(g, func(i, x, y int) bool {
		x0, y0 := x-r, y-r
		x1, y1 := x+r+1, y+r+1
		if x0 < 0 {
			x0 = 0
		}
		if y0 < 0 {
			y0 = 0
		}
		if x1 > w {
			x1 = w
		}
		if y1 > h {
			y1 = h
		}
		n := uint32((x1 - x0) * (y1 - y0))
		sum := integ[y1*W+x1] - integ[y0*W+x1] - integ[y1*W+x0] + integ[y0*W+x0]
		return int(g.pix[i])*int(n)+offset*int(n) <= int(sum)
	})
	return &matrixBinarizer{src: newLumSource(g), m: m}
}

// otsuBinarizer uses one global threshold chosen by Otsu's method.
func otsuBinarizer(g *gray) gozxing.Binarizer {
	var hist [256]int
	for _, v := range g.pix {
		hist[v]++
	}
	total := len(g.pix)
	var sum float64
	for i, c := range hist {
		sum += float64(i * c)
	}
	var sumB, wB float64
	best, thr := -1.0, 128
	for t := 0; t < 256; t++ {
		wB += float64(hist[t])
		if wB == 0 {
			continue
		}
		wF := float64(total) - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * hist[t])
		mB := sumB / wB
		mF := (sum - sumB) / wF
		between := wB * wF * (mB - mF) * (mB - mF)
		if between > best {
			best, thr = between, t
		}
	}
	m := bitsFrom(g, func(i, x, y int) bool { return int(g.pix[i]) <= thr })
	return &matrixBinarizer{src: newLumSource(g), m: m}
}
