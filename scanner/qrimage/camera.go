package qrimage

import (
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// The short path for live camera frames (Options.Camera).
//
// A kiosk's camera sends a few frames a second, most of them with no code
// in view, and the next frame retries any miss. So a frame gets what finds
// nearly every readable code at a fraction of the cost (of the corpus's
// decodes, nine in ten come from the first full-size hybrid pass):
//
//  1. one binarization (hybridBits, buffers reused across frames);
//  2. gozxing's finder-pattern scan on it, which is also the cheap test:
//     a frame in which it sees fewer than two finder-like patterns has
//     no code, and is answered there;
//  3. the detector and decoder on the three patterns it chose;
//  4. only when that fails while there were at least three candidates (a
//     code is probably in view: clutter on the card may have won the
//     choice of patterns), gozxing's multi-symbol detector on the same
//     bits, which tries the other triples;
//  5. when there were at least two candidates and nothing was read, the
//     finder, detector and decoder once more on the frame binarized with
//     one global threshold (a photographed code whose light varies less
//     than its surroundings'; on the corpus, 97 -> 100 images read).
//
// Before the search, a baseline JPEG frame (what the kiosk page sends) is
// decoded by internal/lumajpeg to its luma plane alone, into a buffer kept
// from frame to frame; progressive, CMYK and other JPEGs, and other
// formats, go through LoadImage as uploads do (loadCameraJPEG).
//
// Uploads and kioskctl decode keep the whole strategy chain (search.run)
// and image/jpeg.

// cameraMaxDim is the longer side above which a frame is searched at half
// size: the page sends 640 px, and a code that fills a 2,000-px frame has
// modules far larger than the binarizer's 8-px blocks need.
const cameraMaxDim = 1400

// camera searches one frame by the short path.
func (s *search) camera(g *gray) ([]Result, bool) {
	if max(g.w, g.h) > cameraMaxDim {
		g = g.scaleDown(2)
	}
	sc := getScratch()
	defer sc.release()
	m, err := hybridBits(g, sc)
	if err != nil {
		return nil, false
	}
	r, candidates := decodeFinder(m)
	if s.take(r, "camera") {
		return s.results, true
	}
	if candidates < 2 {
		return nil, false
	}
	if candidates >= 3 {
		for _, r := range decodeMulti(&matrixBinarizer{src: newLumSource(g), m: m}, nil) {
			if s.take(r, "camera+multi") {
				return s.results, true
			}
		}
	}
	// Two or more finder-like patterns and no symbol: a code is probably
	// in view whose light varies less than its surroundings' (a photo's
	// glare or shade), where the hybrid binarizer's local thresholds can
	// break a finder pattern. One global threshold, as the whole chain's
	// global strategy uses, keeps it.
	// (m is not needed any more: its matrix is reused.)
	gm, ok := globalBits(g, sc)
	if !ok {
		return nil, false
	}
	r, _ = decodeFinder(gm)
	if s.take(r, "camera+global") {
		return s.results, true
	}
	return nil, false
}

// take converts and checks one gozxing result; it reports whether the
// search has its answer.
func (s *search) take(r *gozxing.Result, strategy string) bool {
	if r == nil {
		return false
	}
	res, ok := convert(r, strategy)
	if !ok || s.seen[res.Text] {
		return false
	}
	s.seen[res.Text] = true
	if s.opt.Accept != nil && !s.opt.Accept(res.Text) {
		return false
	}
	s.results = append(s.results, res)
	return true
}

// decodeFinder runs gozxing's QR reader (no hints) on m in its three
// steps, so that the finder's candidate count is known whatever the
// outcome. It is what QRCodeReader.Decode does, without the second finder
// scan a retry would cost.
func decodeFinder(m *gozxing.BitMatrix) (res *gozxing.Result, candidates int) {
	defer func() {
		if recover() != nil { // gozxing can panic on odd input
			res = nil
		}
	}()
	finder := detector.NewFinderPatternFinder(m, finderGuard(nil))
	info, nf := finder.Find(nil)
	candidates = len(finder.GetPossibleCenters())
	if nf != nil {
		return nil, candidates
	}
	dr, err := detector.NewDetector(m).ProcessFinderPatternInfo(info)
	if err != nil {
		return nil, candidates
	}
	d, err := decoder.NewDecoder().Decode(dr.GetBits(), nil)
	if err != nil {
		return nil, candidates
	}
	return newResult(d, dr.GetPoints()), candidates
}

// newResult builds the result of a decoded symbol as QRCodeReader.Decode
// does, from the decoder's result and the detector's points.
func newResult(d *common.DecoderResult, points []gozxing.ResultPoint) *gozxing.Result {
	if md, ok := d.GetOther().(*decoder.QRCodeDecoderMetaData); ok {
		md.ApplyMirroredCorrection(points)
	}
	res := gozxing.NewResult(d.GetText(), d.GetRawBytes(), points, gozxing.BarcodeFormat_QR_CODE)
	if segs := d.GetByteSegments(); len(segs) > 0 {
		res.PutMetadata(gozxing.ResultMetadataType_BYTE_SEGMENTS, segs)
	}
	if ec := d.GetECLevel(); ec != "" {
		res.PutMetadata(gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL, ec)
	}
	if d.HasStructuredAppend() {
		res.PutMetadata(gozxing.ResultMetadataType_STRUCTURED_APPEND_SEQUENCE, d.GetStructuredAppendSequenceNumber())
		res.PutMetadata(gozxing.ResultMetadataType_STRUCTURED_APPEND_PARITY, d.GetStructuredAppendParity())
	}
	return res
}
