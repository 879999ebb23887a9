package qrimage

import (
	"math"
	"slices"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// A detector for symbols seen at an angle (the "perspective" strategy).
//
// gozxing's detector (zxing's) fails on a symbol photographed at an angle
// in three ways, each seen on the corpus:
//   - it refuses three finder patterns whose module sizes differ by more
//     than 40%, and takes the corner of the symbol to be the pattern
//     opposite the longest side: on a strongly slanted symbol the near
//     finder pattern is twice the size of the far one, and the longest side
//     is not the hypotenuse;
//   - it estimates the module count from one module size averaged over the
//     three patterns, which on a slanted symbol is off by a version;
//   - it places the fourth corner by completing the parallelogram of the
//     three pattern centres and looks for the alignment pattern near it; on
//     a keystoned symbol that point is modules away, and a version 1
//     symbol (no alignment pattern) is sampled off its grid.
//
// So this detector (the ideas are those of the C++ port, zxing-cpp:
// finder-pattern sets scored with distances scaled by the patterns' sizes,
// the fourth corner found by extending the finder patterns' edges, the
// grid sampled piecewise between alignment patterns; no code of it is
// used) measures the outline of each finder pattern: the outer edges of
// the top-right and bottom-left patterns, extended, meet at the symbol's
// bottom-right corner; the lengths of their sides give the module size at
// each end of each side, hence the module count. From version 2 on it
// locates the alignment patterns and samples each cell between them
// through its own transform (lattice), which follows a bent symbol.
// gozxing has no such measures (its detector only knows centres, one
// module size and one transform), so the outline, the lattice and its
// sampling are hand-written here; the finder-pattern candidates, the
// alignment pattern search, the perspective transforms, the grid sampler
// for one transform and the decoder are gozxing's.

// pt is a point in image coordinates (pixel x covers [x, x+1)).
type pt struct{ x, y float64 }

func (a pt) add(b pt) pt            { return pt{a.x + b.x, a.y + b.y} }
func (a pt) sub(b pt) pt            { return pt{a.x - b.x, a.y - b.y} }
func (a pt) mul(f float64) pt       { return pt{a.x * f, a.y * f} }
func (a pt) dist(b pt) float64      { return math.Hypot(a.x-b.x, a.y-b.y) }
func cross(a, b pt) float64         { return a.x*b.y - a.y*b.x }
func ptOf(p gozxing.ResultPoint) pt { return pt{p.GetX(), p.GetY()} }

// finder is one finder-pattern candidate.
type finder struct {
	c  pt
	ms float64 // module size
}

// perspectiveMaxCandidates bounds the finder-pattern candidates whose
// triples are scored (the most often confirmed are kept), and
// perspectiveMaxSets the triples tried: the cost of this strategy is that
// of one finder-pattern scan (bounded as every scan is, finderGuard) plus
// at most perspectiveMaxSets outlines and a few samplings and decodes
// each.
const (
	perspectiveMaxCandidates = 12
	perspectiveMaxSets       = 3
)

// decodePerspective detects and decodes a slanted symbol in m. It checks
// stop (the search's budget, if any) at each new finder-pattern candidate
// of the scan and before each finder-pattern set.
func decodePerspective(m *gozxing.BitMatrix, stop func() bool) (res []*gozxing.Result) {
	defer func() {
		if recover() != nil { // stopScan, or as decodeOne: "not decoded"
			res = nil
		}
	}()
	f := detector.NewFinderPatternFinder(m, finderGuard(stop))
	f.Find(hintsHarder) // its own choice failed already; keep its candidates
	for _, set := range finderSets(f.GetPossibleCenters()) {
		if stop != nil && stop() {
			return nil
		}
		if r := decodeSet(m, set); r != nil {
			return []*gozxing.Result{r}
		}
	}
	return nil
}

// finderSets returns the plausible (bottom-left, top-left, top-right)
// triples among the candidates, most plausible first. The sides are
// compared with their lengths scaled by the ratio of the two patterns'
// sizes (a slanted symbol's far side looks short, and its far patterns
// small), the two legs may differ by up to 2x, the corner angle lies within
// 60..120 degrees, and the score prefers small, isosceles triangles.
func finderSets(cands []*detector.FinderPattern) [][3]finder {
	if len(cands) > perspectiveMaxCandidates {
		cands = append([]*detector.FinderPattern(nil), cands...)
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].GetCount() > cands[j].GetCount() })
		cands = cands[:perspectiveMaxCandidates]
	}
	fs := make([]finder, len(cands))
	for i, c := range cands {
		fs[i] = finder{ptOf(c), c.GetEstimatedModuleSize()}
	}
	// d2 is the squared distance of p to the larger q, scaled by q's size.
	d2 := func(p, q finder) float64 {
		v := p.c.sub(q.c)
		return (v.x*v.x + v.y*v.y) * q.ms / p.ms
	}
	type scored struct {
		set   [3]finder
		score float64
	}
	var sets []scored
	for i := 0; i < len(fs); i++ {
		for j := i + 1; j < len(fs); j++ {
			for k := j + 1; k < len(fs); k++ {
				t := []finder{fs[i], fs[j], fs[k]}
				sort.Slice(t, func(p, q int) bool { return t[p].ms < t[q].ms })
				a, b, c := t[0], t[1], t[2]
				if c.ms > 2*a.ms+2 {
					continue
				}
				ab, bc, ac := d2(a, b), d2(b, c), d2(a, c)
				// b becomes the corner: the vertex opposite the longest side.
				if bc >= ab && bc >= ac {
					a, b = b, a
					bc, ac = ac, bc
				} else if ab >= ac && ab >= bc {
					b, c = c, b
					ab, ac = ac, ab
				}
				if ab > 4*bc || bc > 4*ab {
					continue
				}
				lab, lbc := math.Sqrt(ab), math.Sqrt(bc)
				modules := (lab+lbc)/(2*(a.ms+b.ms+c.ms)/3) + 7
				if modules < 21*0.9 || modules > 177*1.5 {
					continue
				}
				cos := (ab + bc - ac) / (2 * lab * lbc)
				if !(cos > -0.5 && cos < 0.5) { // also rejects NaN
					continue
				}
				if cross(c.c.sub(b.c), a.c.sub(b.c)) < 0 {
					a, c = c, a
				}
				sets = append(sets, scored{[3]finder{a, b, c}, lab + lbc + math.Abs(lab-lbc)})
			}
		}
	}
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].score < sets[j].score })
	out := make([][3]finder, 0, perspectiveMaxSets)
	for i := 0; i < len(sets) && i < perspectiveMaxSets; i++ {
		out = append(out, sets[i].set)
	}
	return out
}

// decodeSet samples and decodes the symbol whose finder patterns are set
// (bottom-left, top-left, top-right).
func decodeSet(m *gozxing.BitMatrix, set [3]finder) *gozxing.Result {
	bl, tl, tr := set[0], set[1], set[2]
	ex, ey := tr.c.sub(tl.c), bl.c.sub(tl.c)
	qtl, ok1 := finderOutline(m, tl, ex, ey)
	qtr, ok2 := finderOutline(m, tr, ex, ey)
	qbl, ok3 := finderOutline(m, bl, ex, ey)
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	// The outer corners: top-left of tl (module 0,0), top-right of tr
	// (dim,0), bottom-left of bl (0,dim); the right edge of tr and the
	// bottom edge of bl, extended, meet at the bottom-right (dim,dim).
	br, ok := intersect(qtr[1], qtr[2], qbl[3], qbl[2])
	if !ok {
		return nil
	}
	// Module sizes at both ends of the top and left sides, from the
	// patterns' edges along them (7 modules each).
	top := qtl[0].dist(qtr[1]) * 14 / (qtl[0].dist(qtl[1]) + qtr[0].dist(qtr[1]))
	left := qtl[0].dist(qbl[3]) * 14 / (qtl[0].dist(qtl[3]) + qbl[0].dist(qbl[3]))
	points := []gozxing.ResultPoint{
		gozxing.NewResultPoint(bl.c.x, bl.c.y), gozxing.NewResultPoint(tl.c.x, tl.c.y), gozxing.NewResultPoint(tr.c.x, tr.c.y),
	}
	for _, dim := range dimensions((top+left)/2, top, left) {
		d := float64(dim)
		corners := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
			0, 0, d, 0, d, d, 0, d,
			qtl[0].x, qtl[0].y, qtr[1].x, qtr[1].y, br.x, br.y, qbl[3].x, qbl[3].y)
		if dim > 21 {
			lat := newLattice(m, corners, dim, qtl, qtr, qbl)
			if r := decodeGrid(lat.sample(m, dim), points); r != nil {
				return r
			}
		}
		// Version 1, or no lattice that reads: the outline's transform.
		bits, _ := detector.Detector_sampleGrid(m, corners, dim)
		if r := decodeGrid(bits, points); r != nil {
			return r
		}
	}
	return nil
}

// decodeGrid decodes a sampled grid; nil when there is none or it does not
// decode.
func decodeGrid(bits *gozxing.BitMatrix, points []gozxing.ResultPoint) *gozxing.Result {
	if bits == nil {
		return nil
	}
	d, err := decoder.NewDecoder().Decode(bits, nil)
	if err != nil {
		return nil
	}
	return newResult(d, points)
}

// inImage reports whether p is a pixel of m (false for NaN).
func inImage(m *gozxing.BitMatrix, p pt) bool {
	return p.x >= 0 && p.y >= 0 && p.x < float64(m.GetWidth()) && p.y < float64(m.GetHeight())
}

// lattice is the grid of a symbol's alignment patterns, for sampling it
// piecewise: a photographed symbol is rarely flat, and one perspective
// transform for the whole of it drifts off the grid between its anchors. The nodes are the alignment patterns' centres and,
// at the three corners the finder patterns take, the points of the
// finder patterns' outlines at the same module coordinates.
type lattice struct {
	at    []float64 // module coordinate of each row and column of nodes
	nodes [][]pt    // [row][column], in pixels
	found [][]bool  // whether the node was seen (else it is a guess)
}

// newLattice locates the alignment patterns of a dim-module symbol whose
// grid t roughly maps and whose finder patterns have the outlines q*: the
// bottom-right one first (it anchors the transform that predicts the
// others), then each one near where its neighbours put it, then those
// missed near the crossing of the lines through their neighbours.
func newLattice(m *gozxing.BitMatrix, t *common.PerspectiveTransform, dim int, qtl, qtr, qbl [4]pt) *lattice {
	v, _ := decoder.Version_GetProvisionalVersionForDimension(dim) // dim is 25..177, 4k+1
	centers := v.GetAlignmentPatternCenters()
	n := len(centers)
	l := &lattice{at: make([]float64, n), nodes: make([][]pt, n), found: make([][]bool, n)}
	for i, c := range centers {
		l.at[i] = float64(c) + 0.5
		l.nodes[i], l.found[i] = make([]pt, n), make([]bool, n)
	}
	at, d, last := l.at, float64(dim), n-1
	// A finder pattern's outline maps its own 7x7 modules.
	local := func(q [4]pt, x0, y0, x, y float64) pt {
		lt := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
			x0, y0, x0+7, y0, x0+7, y0+7, x0, y0+7,
			q[0].x, q[0].y, q[1].x, q[1].y, q[2].x, q[2].y, q[3].x, q[3].y)
		return project(lt, x, y)
	}
	l.nodes[0][0] = local(qtl, 0, 0, at[0], at[0])
	l.nodes[0][last] = local(qtr, d-7, 0, at[last], at[0])
	l.nodes[last][0] = local(qbl, 0, d-7, at[0], at[last])
	l.found[0][0], l.found[0][last], l.found[last][0] = true, true, true
	l.locate(m, t, last, last, project(t, at[last], at[last]), 3, 6, 12)
	t = l.transform()
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			if !l.found[j][i] {
				guess := project(t, at[i], at[j])
				if i > 0 && j > 0 {
					guess = l.nodes[j][i-1].add(l.nodes[j-1][i]).sub(l.nodes[j-1][i-1])
				}
				l.locate(m, t, i, j, guess, 3)
			}
		}
	}
	for j := 1; j < last; j++ {
		for i := 1; i < last; i++ {
			if !l.found[j][i] && l.found[j][i-1] && l.found[j][i+1] && l.found[j-1][i] && l.found[j+1][i] {
				if p, ok := intersect(l.nodes[j][i-1], l.nodes[j][i+1], l.nodes[j-1][i], l.nodes[j+1][i]); ok {
					l.locate(m, t, i, j, p, 3)
				}
			}
		}
	}
	return l
}

// locate looks for the alignment pattern of node (i, j) near guess (see
// findAlignment); the node is the guess when it is not found.
func (l *lattice) locate(m *gozxing.BitMatrix, t *common.PerspectiveTransform, i, j int, guess pt, radii ...float64) {
	l.nodes[j][i] = guess
	if p, ok := findAlignment(m, t, guess, l.at[i], l.at[j], radii...); ok {
		l.nodes[j][i], l.found[j][i] = p, true
	}
}

// transform maps the lattice's four corner nodes.
func (l *lattice) transform() *common.PerspectiveTransform {
	return l.cell(0, 0, len(l.at)-1)
}

// cell is the transform of the cell whose top-left node is (i, j) and
// whose bottom-right node is (i+k, j+k).
func (l *lattice) cell(i, j, k int) *common.PerspectiveTransform {
	a, b, c, e := l.nodes[j][i], l.nodes[j][i+k], l.nodes[j+k][i+k], l.nodes[j+k][i]
	x0, y0, x1, y1 := l.at[i], l.at[j], l.at[i+k], l.at[j+k]
	return common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		x0, y0, x1, y0, x1, y1, x0, y1,
		a.x, a.y, b.x, b.y, c.x, c.y, e.x, e.y)
}

// sample samples the dim x dim grid, each cell of the lattice through the
// transform of its four nodes, the border beyond the outer nodes through
// that of the nearest cell. It returns nil when the grid leaves the image.
func (l *lattice) sample(m *gozxing.BitMatrix, dim int) *gozxing.BitMatrix {
	n := len(l.at)
	cells := make([]*common.PerspectiveTransform, (n-1)*(n-1))
	for j := 0; j < n-1; j++ {
		for i := 0; i < n-1; i++ {
			cells[j*(n-1)+i] = l.cell(i, j, 1)
		}
	}
	index := func(c float64) int {
		k := 0
		for k < n-2 && c >= l.at[k+1] {
			k++
		}
		return k
	}
	bits, _ := gozxing.NewBitMatrix(dim, dim)
	w, h := m.GetWidth(), m.GetHeight()
	for y := 0; y < dim; y++ {
		my := float64(y) + 0.5
		for x := 0; x < dim; x++ {
			mx := float64(x) + 0.5
			p := project(cells[index(my)*(n-1)+index(mx)], mx, my)
			// Up to a pixel outside is taken as the edge, as gozxing's
			// grid sampler nudges its points.
			// (Written so that a NaN point, from a degenerate
			// transform, fails it too.)
			if !(p.x >= -1 && p.y >= -1 && p.x <= float64(w) && p.y <= float64(h)) {
				return nil
			}
			if m.Get(clampi(int(p.x), 0, w-1), clampi(int(p.y), 0, h-1)) {
				bits.Set(x, y)
			}
		}
	}
	return bits
}

func project(t *common.PerspectiveTransform, x, y float64) pt {
	p := []float64{x, y}
	t.TransformPoints(p)
	return pt{p[0], p[1]}
}

// findAlignment looks for an alignment pattern within radii modules of
// guess (the smallest first), with the module size t gives at module
// (x, y).
func findAlignment(m *gozxing.BitMatrix, t *common.PerspectiveTransform, guess pt, x, y float64, radii ...float64) (pt, bool) {
	c := project(t, x, y)
	ms := (c.dist(project(t, x+1, y)) + c.dist(project(t, x, y+1))) / 2
	if !(ms >= 1) || !inImage(m, guess) { // also NaN, from a degenerate t
		return pt{}, false
	}
	for _, rad := range radii {
		r := int(rad*ms + 0.5)
		x0, y0 := max(int(guess.x)-r, 0), max(int(guess.y)-r, 0)
		x1, y1 := min(int(guess.x)+r, m.GetWidth()-1), min(int(guess.y)+r, m.GetHeight()-1)
		if float64(x1-x0) < 3*ms || float64(y1-y0) < 3*ms {
			return pt{}, false
		}
		if ap, err := detector.NewAlignmentPatternFinder(m, x0, y0, x1-x0, y1-y0, ms, nil).Find(); err == nil {
			return ptOf(ap), true
		}
	}
	return pt{}, false
}

// dimensions returns the module counts (4k+1, 21..177) nearest to the
// estimates, best first, without repeats.
func dimensions(est ...float64) []int {
	var out []int
	for _, e := range est {
		if !(e > 19 && e < 179) { // also NaN
			continue
		}
		if d := 4*int(math.Round((e-1)/4)) + 1; !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// intersect returns where the line through p1, p2 meets the line through
// q1, q2.
func intersect(p1, p2, q1, q2 pt) (pt, bool) {
	dp, dq := p2.sub(p1), q2.sub(q1)
	den := cross(dp, dq)
	if math.Abs(den) < 1e-6*(dp.x*dp.x+dp.y*dp.y+dq.x*dq.x+dq.y*dq.y) {
		return pt{}, false // parallel
	}
	return p1.add(dp.mul(cross(q1.sub(p1), dq) / den)), true
}

// finderOutline returns the outer corners of the finder pattern f, in the
// order of the symbol's corners (top-left, top-right, bottom-right,
// bottom-left) given the symbol's axes ex (top-left to top-right) and ey
// (top-left to bottom-left). It flood-fills the pattern's black ring from
// the centre outwards, takes the convex hull of the ring and the
// quadrilateral of the hull. ok is false when the ring is not a closed
// ring apart from the centre stone and the data around it (binarization
// merged them), or its outline is no quadrilateral.
func finderOutline(m *gozxing.BitMatrix, f finder, ex, ey pt) (q [4]pt, ok bool) {
	w, h := m.GetWidth(), m.GetHeight()
	cx, cy := int(f.c.x), int(f.c.y)
	if cx < 0 || cy < 0 || cx >= w || cy >= h || !m.Get(cx, cy) {
		return q, false
	}
	// The box the ring must stay within: twice its expected half-width.
	r := int(7*f.ms) + 2
	x0, y0, x1, y1 := max(cx-r, 0), max(cy-r, 0), min(cx+r+1, w), min(cy+r+1, h)
	bw := x1 - x0
	// A pixel of the ring: past the centre stone and the white ring
	// around it, rightwards (then the other ways).
	start := -1
	for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
		x, y, state := cx, cy, 0 // 0: stone, 1: white ring
		for x >= x0 && y >= y0 && x < x1 && y < y1 {
			black := m.Get(x, y)
			if state == 0 && !black {
				state = 1
			} else if state == 1 && black {
				start = (y-y0)*bw + (x - x0)
				break
			}
			x, y = x+d[0], y+d[1]
		}
		if start >= 0 {
			break
		}
	}
	if start < 0 {
		return q, false
	}
	seen := make([]bool, bw*(y1-y0))
	seen[start] = true
	stack := []int{start}
	rowMin := make([]int, y1-y0)
	rowMax := make([]int, y1-y0)
	for i := range rowMin {
		rowMin[i], rowMax[i] = bw, -1
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%bw, i/bw
		if (x == 0 && x0 > 0) || (x == bw-1 && x1 < w) || (y == 0 && y0 > 0) || (y == y1-y0-1 && y1 < h) {
			return q, false // leaked out of the box
		}
		rowMin[y], rowMax[y] = min(rowMin[y], x), max(rowMax[y], x)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				nx, ny := x+dx, y+dy
				if nx < 0 || ny < 0 || nx >= bw || ny >= y1-y0 {
					continue
				}
				j := ny*bw + nx
				if !seen[j] && m.Get(x0+nx, y0+ny) {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
	}
	if seen[(cy-y0)*bw+(cx-x0)] {
		return q, false // the stone is joined to the ring
	}
	var pts []pt
	for y, lo := range rowMin {
		if lo <= rowMax[y] {
			fy := float64(y0 + y)
			l, r := float64(x0+lo), float64(x0+rowMax[y]+1)
			pts = append(pts, pt{l, fy}, pt{r, fy}, pt{l, fy + 1}, pt{r, fy + 1})
		}
	}
	quad, ok := hullQuad(convexHull(pts), f.c)
	if !ok {
		return q, false
	}
	// Name each corner by the side of the centre it lies on along ex and
	// along ey.
	det := cross(ex, ey)
	if det == 0 {
		return q, false
	}
	var used [4]bool
	for _, p := range quad {
		d := p.sub(f.c)
		a, b := cross(d, ey)/det, cross(ex, d)/det
		i := 0
		switch {
		case a >= 0 && b < 0:
			i = 1
		case a >= 0 && b >= 0:
			i = 2
		case a < 0 && b >= 0:
			i = 3
		}
		if used[i] {
			return q, false
		}
		used[i], q[i] = true, p
	}
	return q, true
}

// convexHull returns the vertices of the convex hull of pts (Andrew's
// monotone chain); it sorts pts.
func convexHull(pts []pt) []pt {
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].x != pts[j].x {
			return pts[i].x < pts[j].x
		}
		return pts[i].y < pts[j].y
	})
	if len(pts) < 3 {
		return pts
	}
	hull := make([]pt, 0, 2*len(pts))
	for pass := 0; pass < 2; pass++ {
		base := len(hull)
		for _, p := range pts {
			for len(hull) >= base+2 && cross(hull[len(hull)-1].sub(hull[len(hull)-2]), p.sub(hull[len(hull)-2])) <= 0 {
				hull = hull[:len(hull)-1]
			}
			hull = append(hull, p)
		}
		hull = hull[:len(hull)-1] // the last point starts the other chain
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	return hull
}

// hullQuad picks the four corners of a roughly square convex outline: the
// hull point farthest from its centre c, the one farthest from that (the
// opposite corner), and the farthest from that diagonal on either side.
// ok is false when the outline is too thin to be a square seen at an
// angle.
func hullQuad(hull []pt, c pt) (q [4]pt, ok bool) {
	if len(hull) < 4 {
		return q, false
	}
	far := func(from pt) pt {
		best, bd := hull[0], -1.0
		for _, p := range hull {
			if d := p.dist(from); d > bd {
				best, bd = p, d
			}
		}
		return best
	}
	a := far(c)
	b := far(a)
	diag := b.sub(a)
	var lo, hi float64
	var pl, ph pt
	for _, p := range hull {
		s := cross(diag, p.sub(a))
		if s > hi {
			hi, ph = s, p
		}
		if s < lo {
			lo, pl = s, p
		}
	}
	// Each off-diagonal corner of a square lies half a diagonal away
	// from it; a third is allowed for a slanted one.
	l2 := diag.x*diag.x + diag.y*diag.y
	if hi < l2/6 || -lo < l2/6 {
		return q, false
	}
	return [4]pt{a, ph, b, pl}, true
}
