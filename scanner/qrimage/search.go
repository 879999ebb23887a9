package qrimage

import (
	"context"
	"image"
	"maps"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/multi/qrcode"
	zqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

type hints = map[gozxing.DecodeHintType]interface{}

var (
	hintsNone   = hints{gozxing.DecodeHintType_POSSIBLE_FORMATS: []gozxing.BarcodeFormat{gozxing.BarcodeFormat_QR_CODE}}
	hintsHarder = hints{gozxing.DecodeHintType_TRY_HARDER: true}
	hintsPure   = hints{gozxing.DecodeHintType_PURE_BARCODE: true}
)

// maxFinderCandidates bounds each of gozxing's finder-pattern scans: it
// compares each new candidate with every earlier one and then scores every
// triple (the multi reader, every set of them), so an image of many
// finder-like squares (measured: 2,810 candidates on a 2048x1536 field of
// them, 20 s for one strategy) would hold a strategy far beyond the
// search's budget, which is checked between strategies. No readable image
// of the corpus comes near.
const maxFinderCandidates = 128

// stopScan is the panic that ends a finder-pattern scan from its callback
// (gozxing's scan has no other way out); the decoders' recover takes it as
// "not decoded".
type stopScan struct{}

// finderGuard returns the callback for a finder-pattern scan that ends it
// at its maxFinderCandidates+1-th finder candidate (alignment patterns are
// reported too, and do not count) or, with stop, when stop says the
// search's budget is spent.
func finderGuard(stop func() bool) gozxing.ResultPointCallback {
	n := 0
	return func(p gozxing.ResultPoint) {
		if _, ok := p.(*detector.FinderPattern); !ok {
			return
		}
		if n++; n > maxFinderCandidates || (stop != nil && stop()) {
			panic(stopScan{})
		}
	}
}

// guarded returns h with a fresh finderGuard for one decode.
func guarded(h hints) hints {
	g := make(hints, len(h)+1)
	maps.Copy(g, h)
	g[gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK] = finderGuard(nil)
	return g
}

// decodeOne runs gozxing's QR reader on a binarized image. gozxing can panic
// on odd input: a panic counts as "not decoded".
func decodeOne(b gozxing.Binarizer, h hints) (res []*gozxing.Result) {
	defer func() {
		if recover() != nil {
			res = nil
		}
	}()
	bm, err := gozxing.NewBinaryBitmap(b)
	if err != nil {
		return nil
	}
	r, err := zqr.NewQRCodeReader().Decode(bm, guarded(h))
	if err != nil || r == nil {
		return nil
	}
	return []*gozxing.Result{r}
}

// decodeMulti runs gozxing's multi-symbol QR reader, which tries more
// combinations of finder patterns than the single reader.
func decodeMulti(b gozxing.Binarizer, h hints) (res []*gozxing.Result) {
	defer func() {
		if recover() != nil {
			res = nil
		}
	}()
	bm, err := gozxing.NewBinaryBitmap(b)
	if err != nil {
		return nil
	}
	rs, err := qrcode.NewQRCodeMultiReader().DecodeMultiple(bm, guarded(h))
	if err != nil {
		return nil
	}
	return rs
}

// views caches derived images of one input.
type views struct {
	g     *gray // working image (the input, reduced when huge)
	full  *gray // the input at full resolution
	cache map[string]*gray
	stop  func() bool // budget exhausted
}

func (v *views) get(name string, make func() *gray) *gray {
	if g, ok := v.cache[name]; ok {
		return g
	}
	g := make()
	v.cache[name] = g
	return g
}

// scaled returns the image scaled so that its longer side is about dim
// pixels (never upscaled by more than 4x); nil when that is the original.
func (v *views) scaled(factor float64) *gray {
	key := "scale" + ftoa(factor)
	return v.get(key, func() *gray {
		g := v.g
		if factor == 1 {
			return g
		}
		if factor < 1 {
			f := int(1/factor + 0.5)
			if f >= 2 && float64(f) == 1/factor {
				return g.scaleDown(f)
			}
		}
		w, h := int(float64(g.w)*factor+0.5), int(float64(g.h)*factor+0.5)
		if w < 21 || h < 21 {
			return nil
		}
		return g.resize(w, h)
	})
}

func ftoa(f float64) string {
	return string(rune('0'+int(f))) + "." + string(rune('0'+int(f*10)%10)) + string(rune('0'+int(f*100)%10))
}

type strategy struct {
	name string
	// cost is a rough relative cost used to skip strategies that would not
	// fit in the remaining budget (1 = one Hybrid pass on the input).
	run func(v *views) []*gozxing.Result
}

func hybrid(g *gray, h hints) []*gozxing.Result {
	if g == nil {
		return nil
	}
	return withHybrid(g, func(b gozxing.Binarizer) []*gozxing.Result { return decodeOne(b, h) })
}

// withHybrid runs f on g binarized by hybridBits (gozxing's HybridBinarizer,
// faster); the bits are reused once f returns.
func withHybrid(g *gray, f func(gozxing.Binarizer) []*gozxing.Result) []*gozxing.Result {
	sc := getScratch()
	defer sc.release()
	m, err := hybridBits(g, sc)
	if err != nil {
		return nil
	}
	return f(&matrixBinarizer{src: newLumSource(g), m: m})
}

func multi(g *gray, h hints) []*gozxing.Result {
	if g == nil {
		return nil
	}
	return withHybrid(g, func(b gozxing.Binarizer) []*gozxing.Result { return decodeMulti(b, h) })
}

func global(g *gray, h hints) []*gozxing.Result {
	if g == nil {
		return nil
	}
	return decodeOne(gozxing.NewGlobalHistgramBinarizer(newLumSource(g)), h)
}

// strategies returns the chain for an image of w x h pixels, cheapest and
// most likely first. The order was chosen on the zxing-qr corpus and on the
// generated golden images (see corpus_test.go, TestCorpusMatrix).
func strategies(w, h int) []strategy {
	long := w
	if h > long {
		long = h
	}
	var s []strategy
	add := func(name string, f func(v *views) []*gozxing.Result) {
		s = append(s, strategy{name: name, run: f})
	}
	inv := func(v *views) *gray { return v.get("inv", v.g.invert) }
	pad := func(v *views) *gray { return v.get("pad", func() *gray { return v.g.pad(padFor(v.g), 255) }) }
	half := func(v *views) *gray { return v.scaled(0.5) }

	// Big photos: look at a reduced copy first; it is fast and the
	// binarizer's 8x8 blocks then fit the modules better.
	if long > 1400 {
		add("hybrid@0.5", func(v *views) []*gozxing.Result { return hybrid(half(v), hintsNone) })
	}
	add("hybrid", func(v *views) []*gozxing.Result { return hybrid(v.g, hintsNone) })
	add("hybrid+harder", func(v *views) []*gozxing.Result { return hybrid(v.g, hintsHarder) })
	add("inverted", func(v *views) []*gozxing.Result { return hybrid(inv(v), hintsHarder) })
	add("sharpen+hybrid", func(v *views) []*gozxing.Result {
		return hybrid(v.get("sharpen", func() *gray { return v.g.sharpen(2) }), hintsHarder)
	})
	add("global+harder", func(v *views) []*gozxing.Result { return global(v.g, hintsHarder) })
	if long >= 160 {
		add("hybrid@0.5+harder", func(v *views) []*gozxing.Result { return hybrid(half(v), hintsHarder) })
		add("global@0.5+harder", func(v *views) []*gozxing.Result { return global(half(v), hintsHarder) })
	}
	if long < 1000 {
		add("hybrid@1.5+harder", func(v *views) []*gozxing.Result { return hybrid(v.scaled(1.5), hintsHarder) })
	}
	if long < 500 {
		add("hybrid@2+harder", func(v *views) []*gozxing.Result { return hybrid(v.scaled(2), hintsHarder) })
	}
	add("otsu", func(v *views) []*gozxing.Result { return decodeOne(otsuBinarizer(v.g), hintsHarder) })
	// The multi-symbol reader tries many finder-pattern triples; its cost
	// grows fast with clutter, so it only sees images up to ~1000 px.
	if long <= maxMultiDim {
		add("multi+harder", func(v *views) []*gozxing.Result {
			return multi(v.g, hintsHarder)
		})
		add("pad+multi", func(v *views) []*gozxing.Result {
			return multi(pad(v), hintsHarder)
		})
	} else {
		add("multi@small+harder", func(v *views) []*gozxing.Result {
			return multi(v.scaled(float64(maxMultiDim)/float64(long)), hintsHarder)
		})
	}
	add("inverted+pad", func(v *views) []*gozxing.Result {
		return hybrid(v.get("invpad", func() *gray { return inv(v).pad(padFor(v.g), 255) }), hintsHarder)
	})
	add("stretch+hybrid", func(v *views) []*gozxing.Result {
		return hybrid(v.get("stretch", v.g.stretch), hintsHarder)
	})
	add("blur1+hybrid", func(v *views) []*gozxing.Result {
		return hybrid(v.get("blur1", func() *gray { return v.g.boxBlur(1) }), hintsHarder)
	})
	if long/8 >= 4 {
		add("localmean", func(v *views) []*gozxing.Result {
			return decodeOne(localMeanBinarizer(v.g, long/8, 2), hintsHarder)
		})
	}
	if long < 300 {
		nearest := func(v *views) *gray {
			return v.get("nearest", func() *gray { return v.g.upscaleNearest(nearestFactor(v.g)) })
		}
		add("nearest+hybrid", func(v *views) []*gozxing.Result { return hybrid(nearest(v), hintsHarder) })
		add("nearest+pure", func(v *views) []*gozxing.Result { return global(nearest(v), hintsPure) })
	}
	add("pure", func(v *views) []*gozxing.Result { return global(v.g, hintsPure) })
	if long > 1400 {
		add("hybrid@0.25+harder", func(v *views) []*gozxing.Result { return hybrid(v.scaled(0.25), hintsHarder) })
	}
	// Tiles: a small code in a large photo.
	add("tiles", func(v *views) []*gozxing.Result { return tiles(v) })
	// Last, so that what the strategies above read keeps its strategy
	// and cost: a symbol seen at an angle or bent (see perspective.go),
	// then the same on a small image enlarged (a finder pattern's
	// outline needs a few pixels a module).
	add("perspective", func(v *views) []*gozxing.Result { return perspective(v, v.g) })
	if long < 500 {
		add("perspective@2", func(v *views) []*gozxing.Result { return perspective(v, v.scaled(2)) })
		// A small light-on-dark symbol gets the enlargement that
		// dark-on-light ones get (hybrid@2+harder).
		add("inverted@2+harder", func(v *views) []*gozxing.Result {
			return hybrid(v.get("inv2", func() *gray { return inv(v).resize(2*v.g.w, 2*v.g.h) }), hintsHarder)
		})
	}
	return s
}

// perspective runs the perspective detector on g binarized as hybrid does.
func perspective(v *views, g *gray) []*gozxing.Result {
	if g == nil {
		return nil
	}
	return withHybrid(g, func(b gozxing.Binarizer) []*gozxing.Result {
		m, err := b.GetBlackMatrix()
		if err != nil {
			return nil
		}
		return decodePerspective(m, v.stop)
	})
}

func padFor(g *gray) int {
	m := g.w
	if g.h > m {
		m = g.h
	}
	return m/10 + 4
}

func nearestFactor(g *gray) int {
	long := g.w
	if g.h > long {
		long = g.h
	}
	f := (400 + long - 1) / long
	if f > 10 {
		f = 10
	}
	if f < 2 {
		f = 2
	}
	return f
}

const (
	maxWorkDim  = 2048 // longer side of the working image
	maxMultiDim = 1000
	maxTileDim  = 1024
)

// tiles decodes overlapping crops of the full-resolution input: for a
// normal image a 3x3 grid of 2/3-size crops (small ones doubled), for a
// huge one crops of maxTileDim px with 50% overlap, centre first.
func tiles(v *views) []*gozxing.Result {
	g := v.full
	tw, th := g.w*2/3, g.h*2/3
	if tw > maxTileDim {
		tw = maxTileDim
	}
	if th > maxTileDim {
		th = maxTileDim
	}
	if tw < 60 || th < 60 {
		return nil
	}
	pos := func(size, tile int) []int {
		if size <= tile {
			return []int{0}
		}
		mid := (size - tile) / 2
		out := []int{mid}
		for o := 0; o+tile <= size; o += tile / 2 {
			if o != mid {
				out = append(out, o)
			}
		}
		if last := size - tile; last != mid && last%(tile/2) != 0 {
			out = append(out, last)
		}
		return out
	}
	for _, oy := range pos(g.h, th) {
		for _, ox := range pos(g.w, tw) {
			if v.stop != nil && v.stop() {
				return nil
			}
			c := g.crop(image.Rect(ox, oy, ox+tw, oy+th))
			if c == nil {
				continue
			}
			long := c.w
			if c.h > long {
				long = c.h
			}
			if long < 400 {
				c = c.resize(c.w*2, c.h*2)
			}
			if r := hybrid(c, hintsHarder); r != nil {
				return r
			}
		}
	}
	return nil
}

type search struct {
	ctx      context.Context
	deadline time.Time
	opt      Options
	all      bool
	results  []Result
	seen     map[string]bool
	// only, when set, restricts the chain to one strategy (tests).
	only string
}

func newSearch(ctx context.Context, opt Options, all bool) *search {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &search{ctx: ctx, opt: opt, all: all, seen: map[string]bool{}}
	work := opt.MaxWork
	if work == 0 {
		work = DefaultMaxWork
	}
	if work > 0 {
		s.deadline = time.Now().Add(work)
	}
	return s
}

func (s *search) ctxErr() error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if !s.deadline.IsZero() && time.Now().After(s.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// run tries the strategies in order. Without all it returns the first
// accepted result; with all it runs every strategy and returns all distinct
// accepted results.
func (s *search) run(g *gray) ([]Result, bool) {
	v := &views{g: g, full: g, cache: map[string]*gray{}, stop: func() bool { return s.ctxErr() != nil }}
	if long := max(g.w, g.h); long > maxWorkDim {
		v.g = g.scaleDown((long + maxWorkDim - 1) / maxWorkDim)
	}
	for i, st := range strategies(v.g.w, v.g.h) {
		if s.only != "" && st.name != s.only {
			continue
		}
		if i > 0 && s.ctxErr() != nil {
			break
		}
		if s.opt.MaxStrategies > 0 && i >= s.opt.MaxStrategies {
			break
		}
		for _, r := range st.run(v) {
			res, ok := convert(r, st.name)
			if !ok || s.seen[res.Text] {
				continue
			}
			if s.opt.Accept != nil && !s.opt.Accept(res.Text) {
				s.seen[res.Text] = true
				continue
			}
			s.seen[res.Text] = true
			s.results = append(s.results, res)
			if !s.all {
				return s.results, true
			}
		}
	}
	return s.results, len(s.results) > 0
}

// convert turns a gozxing result into ours, re-reading the text so that
// byte segments that are valid UTF-8 are read as UTF-8.
func convert(r *gozxing.Result, strategy string) (res Result, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if r == nil {
		return Result{}, false
	}
	res = Result{Text: r.GetText(), Strategy: strategy, SequenceIndex: -1}
	md := r.GetResultMetadata()
	if _, has := md[gozxing.ResultMetadataType_BYTE_SEGMENTS]; has {
		ec, _ := md[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
		if t, ok := textFromCodewords(r.GetRawBytes(), ec); ok {
			res.Text = t
		}
	}
	if seq, has := md[gozxing.ResultMetadataType_STRUCTURED_APPEND_SEQUENCE].(int); has && seq >= 0 {
		res.SequenceIndex = seq >> 4
		res.SequenceTotal = seq&0x0f + 1
		res.Parity, _ = md[gozxing.ResultMetadataType_STRUCTURED_APPEND_PARITY].(int)
	}
	return res, true
}

var _ = common.StringUtils_ASSUME_SHIFT_JIS
