package qrimage

import (
	"sync"

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

// Hybrid binarization, hand-written for speed. It computes bit for bit
// what gozxing's HybridBinarizer computes (the black point of each 8x8
// block, each block thresholded at the mean of the 5x5 black points around
// it; TestHybridBitsMatchGozxing checks it), but writes 32 pixels per word
// into buffers reused across images instead of one BitMatrix.Set call per
// pixel into fresh slices: gozxing's version was 60% of the CPU of a
// camera frame's first pass (profiled on a 640x480 frame).

const (
	hybridBlock    = 8  // gozxing.BLOCK_SIZE
	hybridMinDim   = 40 // gozxing.MINIMUM_DIMENSION: below it gozxing uses the global histogram
	hybridMinRange = 24 // gozxing.MIN_DYNAMIC_RANGE
	// maxPooledPixels bounds the images whose scratch buffers are kept for
	// the next image: a camera frame's are, a 40-megapixel upload's are not.
	maxPooledPixels = 4 << 20
)

// binScratch holds the buffers of one binarization; the bit matrix it
// returns belongs to it until release.
type binScratch struct {
	black, thr []int32
	words      []uint32
	row        *gozxing.BitArray
	m          *gozxing.BitMatrix
}

var binPool = sync.Pool{New: func() any { return new(binScratch) }}

func getScratch() *binScratch { return binPool.Get().(*binScratch) }

// release returns the scratch (and its matrix) for reuse: nothing may use
// the matrix afterwards.
func (s *binScratch) release() {
	if s.m != nil && s.m.GetWidth()*s.m.GetHeight() > maxPooledPixels {
		return
	}
	binPool.Put(s)
}

func growInt32(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// matrix returns a w x h bit matrix, reused when the last one had that size.
func (s *binScratch) matrix(w, h int) *gozxing.BitMatrix {
	if s.m == nil || s.m.GetWidth() != w || s.m.GetHeight() != h {
		s.m, _ = gozxing.NewBitMatrix(w, h)
		s.row = gozxing.NewBitArray(w)
	}
	return s.m
}

// hybridBits binarizes g as gozxing's HybridBinarizer does, into s's
// matrix. Images smaller than 40 px on a side get gozxing's own
// (global-histogram) answer, as there.
func hybridBits(g *gray, s *binScratch) (*gozxing.BitMatrix, error) {
	w, h := g.w, g.h
	if w < hybridMinDim || h < hybridMinDim {
		return gozxing.NewHybridBinarizer(newLumSource(g)).GetBlackMatrix()
	}
	subW, subH := (w+hybridBlock-1)/hybridBlock, (h+hybridBlock-1)/hybridBlock
	maxX, maxY := w-hybridBlock, h-hybridBlock
	s.black = growInt32(s.black, subW*subH)
	s.thr = growInt32(s.thr, subW*subH)
	bp := s.black
	pix := g.pix
	for by := 0; by < subH; by++ {
		yoff := min(by*hybridBlock, maxY)
		for bx := 0; bx < subW; bx++ {
			xoff := min(bx*hybridBlock, maxX)
			sum, lo, hi := 0, 255, 0
			for o := yoff*w + xoff; o < (yoff+hybridBlock)*w; o += w {
				r := pix[o : o+hybridBlock : o+hybridBlock]
				a0, a1, a2, a3 := int(r[0]), int(r[1]), int(r[2]), int(r[3])
				a4, a5, a6, a7 := int(r[4]), int(r[5]), int(r[6]), int(r[7])
				sum += a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
				// As a tree, so that the comparisons do not wait on
				// each other.
				lo = min(lo, min(min(a0, a1), min(a2, a3)), min(min(a4, a5), min(a6, a7)))
				hi = max(hi, max(max(a0, a1), max(a2, a3)), max(max(a4, a5), max(a6, a7)))
			}
			avg := sum >> 6
			if hi-lo <= hybridMinRange {
				avg = lo / 2
				if by > 0 && bx > 0 {
					nb := (int(bp[(by-1)*subW+bx]) + 2*int(bp[by*subW+bx-1]) + int(bp[(by-1)*subW+bx-1])) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			bp[by*subW+bx] = int32(avg)
		}
	}
	for by := 0; by < subH; by++ {
		top := clampi(by, 2, subH-3)
		for bx := 0; bx < subW; bx++ {
			left := clampi(bx, 2, subW-3)
			sum := 0
			for z := -2; z <= 2; z++ {
				r := bp[(top+z)*subW+left-2 : (top+z)*subW+left+3 : (top+z)*subW+left+3]
				sum += int(r[0]) + int(r[1]) + int(r[2]) + int(r[3]) + int(r[4])
			}
			s.thr[by*subW+bx] = int32(sum / 25)
		}
	}
	rowWords := (w + 31) / 32
	words := s.rows(w, h)
	clear(words)
	for by := 0; by < subH; by++ {
		yoff := min(by*hybridBlock, maxY)
		thr := s.thr[by*subW : (by+1)*subW]
		for y := yoff; y < yoff+hybridBlock; y++ {
			src := pix[y*w : (y+1)*w]
			dst := words[y*rowWords : (y+1)*rowWords]
			for bx, t := range thr {
				xoff := min(bx*hybridBlock, maxX)
				p := src[xoff : xoff+hybridBlock : xoff+hybridBlock]
				// Bit k is 1 when pixel k <= t, computed without a
				// branch (noise makes a branch here mispredict).
				b := uint32((t-int32(p[0]))>>31+1) | uint32((t-int32(p[1]))>>31+1)<<1 |
					uint32((t-int32(p[2]))>>31+1)<<2 | uint32((t-int32(p[3]))>>31+1)<<3 |
					uint32((t-int32(p[4]))>>31+1)<<4 | uint32((t-int32(p[5]))>>31+1)<<5 |
					uint32((t-int32(p[6]))>>31+1)<<6 | uint32((t-int32(p[7]))>>31+1)<<7
				// OR, not store: the last block of a row or column
				// is shifted to end at the edge and overlaps the one
				// before it, and gozxing only ever sets bits.
				wi, sh := xoff/32, uint(xoff%32)
				dst[wi] |= b << sh
				if sh > 24 {
					dst[wi+1] |= b >> (32 - sh)
				}
			}
		}
	}
	return s.fill(w, h, words), nil
}

// rows returns s's buffer of h rows of (w+31)/32 words, as it was left.
func (s *binScratch) rows(w, h int) []uint32 {
	n := (w + 31) / 32 * h
	if cap(s.words) < n {
		s.words = make([]uint32, n)
	}
	return s.words[:n]
}

// fill copies words, rows of (w+31)/32 words, into s's w x h matrix.
func (s *binScratch) fill(w, h int, words []uint32) *gozxing.BitMatrix {
	rowWords := (w + 31) / 32
	m := s.matrix(w, h)
	rb := s.row.GetBitArray()
	for y := 0; y < h; y++ {
		copy(rb, words[y*rowWords:(y+1)*rowWords])
		m.SetRow(y, s.row)
	}
	return m
}

// globalBits binarizes g with one threshold, into s's matrix, as gozxing's
// GlobalHistogramBinarizer does: the histogram of the middle three fifths
// of four rows, in 32 buckets, and the valley between its two peaks (see
// blackPoint). ok is false where gozxing finds too little contrast.
// Hand-written for the camera's short path, which reaches it on some
// frames without a code (text on a card can show two finder-like
// patterns): gozxing's binarizer allocates a matrix and a row for each
// such frame (42 KB and 0.49-0.53 ms on a 640x480 frame), this one reuses
// s's buffers (nothing, 0.33-0.43 ms: BenchmarkGlobalBits). Its matrix is
// gozxing's bit for bit (TestGlobalBits).
func globalBits(g *gray, s *binScratch) (m *gozxing.BitMatrix, ok bool) {
	w, h := g.w, g.h
	var buckets [32]int
	for y := 1; y < 5; y++ {
		row := g.pix[(h*y/5)*w:]
		for x := w / 5; x < w*4/5; x++ {
			buckets[row[x]>>3]++
		}
	}
	bp, ok := blackPoint(&buckets)
	if !ok {
		return nil, false
	}
	rowWords := (w + 31) / 32
	words := s.rows(w, h)
	t := int32(bp)
	for y := 0; y < h; y++ {
		src := g.pix[y*w : (y+1)*w]
		dst := words[y*rowWords : (y+1)*rowWords]
		for i := range dst {
			p := src[i*32 : min(i*32+32, w)]
			var word uint32
			for k, v := range p {
				// Bit k is 1 when v < the black point, without a
				// branch; the word is stored once.
				word |= uint32(int32(v)-t) >> 31 << k
			}
			dst[i] = word
		}
	}
	return s.fill(w, h, words), true
}

// blackPoint is GlobalHistogramBinarizer's estimate of the black point
// from a histogram of 32 buckets: the tallest peak, the peak that is tall
// and far from it, and between them the valley that is low and nearer the
// white peak. ok is false when the peaks are too close to tell apart.
func blackPoint(buckets *[32]int) (bp int, ok bool) {
	first, most := 0, 0
	for x, n := range buckets {
		if n > most {
			first, most = x, n
		}
	}
	second, best := 0, 0
	for x, n := range buckets {
		if score := n * (x - first) * (x - first); score > best {
			second, best = x, score
		}
	}
	if first > second {
		first, second = second, first
	}
	if second-first <= len(buckets)/16 {
		return 0, false
	}
	valley, best := second-1, -1
	for x := second - 1; x > first; x-- {
		if score := (x - first) * (x - first) * (second - x) * (most - buckets[x]); score > best {
			valley, best = x, score
		}
	}
	return valley << 3, true
}
