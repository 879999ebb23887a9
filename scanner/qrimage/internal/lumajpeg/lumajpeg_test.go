package lumajpeg

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// stdLuma decodes data with image/jpeg and returns what the caller's
// toGray reads of it: the Y plane of a *image.YCbCr, the pixels of an
// *image.Gray. ok is false for any other result (RGB, CMYK).
func stdLuma(data []byte) (pix []byte, w, h int, ok bool, err error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, false, err
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			pix = append(pix, m.Y[off:off+w]...)
		}
		return pix, w, h, true, nil
	case *image.Gray:
		for y := 0; y < h; y++ {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			pix = append(pix, m.Pix[off:off+w]...)
		}
		return pix, w, h, true, nil
	}
	return nil, w, h, false, nil
}

// check decodes data with dec and with image/jpeg. It returns whether the
// luma path took it (false: ErrUnsupported, the caller's fallback), after
// failing the test on any difference: both decoders must accept or refuse
// the same files, and give the same bytes.
func check(t testing.TB, dec *Decoder, name string, data []byte) (fast bool) {
	t.Helper()
	pix, w, h, err := dec.Decode(data)
	if errors.Is(err, ErrUnsupported) {
		return false
	}
	want, sw, sh, ok, serr := stdLuma(data)
	switch {
	case err != nil && serr == nil:
		t.Fatalf("%s: lumajpeg fails (%v), image/jpeg decodes it", name, err)
	case err == nil && serr != nil:
		t.Fatalf("%s: lumajpeg decodes it, image/jpeg fails (%v)", name, serr)
	case err != nil:
		return true
	case !ok:
		t.Fatalf("%s: lumajpeg decodes an image that image/jpeg returns as neither YCbCr nor Gray", name)
	}
	if w != sw || h != sh {
		t.Fatalf("%s: %dx%d, image/jpeg %dx%d", name, w, h, sw, sh)
	}
	if !bytes.Equal(pix, want) {
		for i := range pix {
			if pix[i] != want[i] {
				t.Fatalf("%s (%dx%d): first difference at pixel (%d,%d): %d, image/jpeg %d",
					name, w, h, i%w, i/w, pix[i], want[i])
			}
		}
	}
	return true
}

// testImage draws smooth shading, edges and noise, so that blocks of
// every kind occur: flat (DC only), first row only, full.
func testImage(w, h int, grey bool, seed int64) image.Image {
	r := rand.New(rand.NewSource(seed))
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 40 + 3*x/2 + y/3
			if (x/11+y/7)%5 == 0 {
				v = 250 - v/4 // edges
			}
			if x > w/2 && y > h/2 {
				v += r.Intn(60) - 30 // noise
			}
			if y < h/4 {
				v = 128 + (x%16)*4 // vertical stripes: first-row blocks
			}
			c := uint8(min(max(v, 0), 255))
			g.Pix[y*g.Stride+x] = c
			if grey {
				rgba.Set(x, y, color.RGBA{c, c, c, 255})
			} else {
				rgba.Set(x, y, color.RGBA{c, uint8(x * 5), uint8(255 - y*3), 255})
			}
		}
	}
	if seed%3 == 0 {
		return g
	}
	return rgba
}

func encode(t testing.TB, img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGenerated compares with image/jpeg on JPEGs written by image/jpeg's
// encoder: grey (1 component) and RGBA (3 components, 4:2:0) images,
// colour and grey content, sizes that are and are not multiples of 8 and
// 16, qualities from 1 to 100; one Decoder for all, so that its reuse is
// tested too (a large image, then smaller ones, then large again).
func TestGenerated(t *testing.T) {
	var dec Decoder
	sizes := [][2]int{{640, 480}, {1, 1}, {7, 5}, {8, 8}, {16, 16}, {17, 9}, {9, 17}, {33, 47}, {95, 63}, {250, 130}, {641, 479}}
	n := 0
	for i, sz := range sizes {
		for _, q := range []int{1, 25, 50, 80, 95, 100} {
			for k := int64(0); k < 3; k++ {
				seed := int64(i*100+q) + k
				img := testImage(sz[0], sz[1], k == 1, seed)
				data := encode(t, img, q)
				name := fmt.Sprintf("%dx%d q%d %T grey=%v", sz[0], sz[1], q, img, k == 1)
				if !check(t, &dec, name, data) {
					t.Fatalf("%s: not decoded by the luma path", name)
				}
				n++
			}
		}
	}
	t.Logf("%d generated JPEGs, all equal to image/jpeg's", n)
}

// goTestdata lists the JPEGs copied from the Go source tree
// (src/image/testdata, see testdata/README): every chroma subsampling
// image/jpeg supports, restart intervals, grey, RGB, CMYK, progressive.
func goTestdata(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "*.jpeg"))
	if err != nil || len(files) < 20 {
		t.Fatalf("testdata JPEGs missing: %d files, %v", len(files), err)
	}
	sort.Strings(files)
	return files
}

// TestGoTestdata: the baseline files are decoded and equal image/jpeg's;
// the progressive, RGB and CMYK ones are handed back (ErrUnsupported).
func TestGoTestdata(t *testing.T) {
	var dec Decoder
	for _, f := range goTestdata(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		wantFallback := strings.Contains(name, "progress") || strings.Contains(name, "cmyk") || strings.Contains(name, "rgb")
		if fast := check(t, &dec, name, data); fast == wantFallback {
			t.Errorf("%s: luma path %v, want %v", name, fast, !wantFallback)
		}
	}
}

// TestCorpus compares on the QR corpus of the parent package: its JPEGs
// as they are, and its PNGs (phone photos and screenshots) written as
// JPEGs at two qualities.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "zxing-qr")
	var jpegs, pngs []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(p) {
		case ".jpg", ".jpeg":
			jpegs = append(jpegs, p)
		case ".png":
			pngs = append(pngs, p)
		}
		return nil
	})
	if err != nil || len(jpegs) == 0 || len(pngs) < 30 {
		t.Fatalf("corpus %s: %d JPEGs, %d PNGs, %v", dir, len(jpegs), len(pngs), err)
	}
	var dec Decoder
	fast := 0
	for _, f := range jpegs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if check(t, &dec, f, data) {
			fast++
		}
	}
	sort.Strings(pngs)
	step := 1
	if testing.Short() {
		step = 5
	}
	n := 0
	for i := 0; i < len(pngs); i += step {
		data, err := os.ReadFile(pngs[i])
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", pngs[i], err)
		}
		for _, q := range []int{60, 90} {
			name := fmt.Sprintf("%s q%d", pngs[i], q)
			if !check(t, &dec, name, encode(t, img, q)) {
				t.Fatalf("%s: not decoded by the luma path", name)
			}
			n++
		}
	}
	t.Logf("corpus: %d of %d JPEGs by the luma path, %d re-encoded PNGs", fast, len(jpegs), n)
}

// TestTruncated cuts a JPEG at many points: every prefix is refused by
// both decoders alike (check), and truncation inside the scan data reads
// as io.ErrUnexpectedEOF or a FormatError, never a panic.
func TestTruncated(t *testing.T) {
	data := encode(t, testImage(100, 60, false, 1), 75)
	var dec Decoder
	for n := 0; n < len(data)-2; n += 1 + n/40 {
		check(t, &dec, fmt.Sprintf("first %d bytes", n), data[:n])
		_, _, _, err := dec.Decode(data[:n])
		var fe FormatError
		if err == nil || errors.Is(err, ErrUnsupported) || !(errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &fe)) {
			t.Fatalf("first %d bytes: error %v", n, err)
		}
	}
}

// TestRefuses: files that are not JPEGs the luma path can read.
func TestRefuses(t *testing.T) {
	var dec Decoder
	base := encode(t, testImage(32, 32, false, 1), 75)
	// Precision 12 in the SOF0 segment.
	i := bytes.Index(base, []byte{0xff, sof0Marker})
	twelve := append([]byte(nil), base...)
	twelve[i+4] = 12
	// Arithmetic coding (SOF9).
	arith := append([]byte(nil), base...)
	arith[i+1] = 0xc9
	for name, c := range map[string]struct {
		data        []byte
		unsupported bool
	}{
		"empty":      {nil, false},
		"not a jpeg": {[]byte("GIF89a..."), false},
		"12-bit":     {twelve, true},
		"arithmetic": {arith, true},
	} {
		_, _, _, err := dec.Decode(c.data)
		if err == nil || errors.Is(err, ErrUnsupported) != c.unsupported {
			t.Errorf("%s: error %v, want unsupported %v", name, err, c.unsupported)
		}
	}
}

// TestNoAllocs: once its buffer has grown, a Decoder allocates nothing.
func TestNoAllocs(t *testing.T) {
	data := encode(t, testImage(640, 480, true, 2), 80)
	var dec Decoder
	if _, _, _, err := dec.Decode(data); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() { _, _, _, _ = dec.Decode(data) }); n != 0 {
		t.Fatalf("%v allocations a decode", n)
	}
}

// idctRef is the unmodified image/jpeg transform.
func idctRef(b *block) {
	idctRows(b, 0xff)
	idctCols(b)
}

// TestIDCTShortcuts compares reconstructBlock's paths with the full
// transform: random blocks confined to the rows of a random mask (row 0
// only, DC only, and others), with values up to the largest a
// dequantized coefficient can take and beyond (wrapping arithmetic).
func TestIDCTShortcuts(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	d := &decoder{pix: make([]byte, 64), stride: 8}
	for it := 0; it < 200000; it++ {
		var rows uint8
		var last int32
		switch it % 4 {
		case 0: // DC only
			rows, last = 1, 0
		case 1: // row 0 only
			rows, last = 1, 5
		default:
			rows, last = uint8(r.Intn(256))|1, 63
		}
		var in block
		for k := range in {
			if rows&(1<<(k/8)) == 0 || (last == 0 && k != 0) {
				continue
			}
			switch r.Intn(4) {
			case 0:
			case 1:
				in[k] = int32(r.Intn(2048) - 1024)
			case 2:
				in[k] = int32(r.Intn(1<<16) - 1<<15)
			default:
				in[k] = int32(r.Uint32())
			}
		}
		if it < 65536*2 && it%4 == 0 {
			in[0] = int32(it/4 - 1<<14) // every DC from -16384 to 16383
		}
		ref := in
		idctRef(&ref)
		d.b = in
		d.reconstructBlock(rows, last, 0, 0)
		for k := range d.pix {
			if want := clamp(ref[k]); d.pix[k] != want {
				t.Fatalf("rows %08b last %d block %v: pixel %d is %d, full transform %d", rows, last, in, k, d.pix[k], want)
			}
		}
		if d.b != (block{}) {
			t.Fatalf("block not zeroed after use: %v", d.b)
		}
	}
}
