// Package qrimage finds and decodes QR codes in camera frames and photos
// (PNG, JPEG, GIF, WebP). It wraps gozxing's QR reader with a chain of
// image-preparation strategies (binarizers, scales, inversion, crops) so that
// hard photos decode too, guards against hostile images (decompression bombs,
// truncated or fake files) and reads byte-mode payloads as UTF-8 whenever
// they are valid UTF-8, which is what the Vietnamese chip ID card (CCCD) QR
// needs: it carries no charset marker.
//
// Measured on the zxing-cpp blackbox corpus (testdata/zxing-qr, rotation
// 0): 130 of 138, see TestCorpus. Known limits: QR Model 1 symbols are not
// supported by gozxing; finder patterns foreshortened to half their width
// (a side of the symbol ~50% shorter than the opposite one, or a strong
// shear) are not found, so such a symbol is not read; a damaged
// format-information area is not recovered.
package qrimage

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/gif"  // register GIF
	_ "image/jpeg" // register JPEG
	_ "image/png"  // register PNG
	"io"
	"strings"
	"sync"
	"time"

	_ "golang.org/x/image/webp" // register WebP

	"github.com/vnhealth/cccd-checkin/scanner/qrimage/internal/lumajpeg"
	"github.com/vnhealth/cccd-checkin/verifier"
)

// Limits bound what an uploaded image may cost.
type Limits struct {
	MaxBytes  int64 // size of the encoded file
	MaxPixels int64 // width*height declared by the file header
}

// DefaultLimits returns 8 MiB and 25 megapixels: what a card needs, and
// more than a kiosk frame (at most 2 MP, 1920x1080) or a phone photo ever
// is. Phones save 12 MP by default (4032x3024, 4080x3072: their 48 to
// 200 MP sensors bin pixels), iPhones since the 15 save 24 MP (5712x4284,
// 24.5 MP); a JPEG of those is 2 to 8 MB. Decoding costs about 6 to 23
// bytes a pixel (Header.WorkBytes), so a bomb of 6000x6000 pixels (36 MP,
// 150 KB of PNG) is refused from its header, before any pixel is decoded.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 8 << 20, MaxPixels: 25_000_000}
}

// Header is what an image file's header declares.
type Header struct {
	Width, Height int
	Format        string // "png", "jpeg", "gif", "webp"
	Model         color.Model
}

// Pixels returns Width*Height.
func (h Header) Pixels() int64 { return int64(h.Width) * int64(h.Height) }

// WorkBytes estimates the memory that decoding and searching the image
// takes at its peak: twice its decoded form (the decoder's buffers) and
// about 6 bytes a pixel of luminance, binarized and scaled views. Measured
// on 25 MP images (allocated bytes a pixel): gray PNG 6.3 (estimate 8),
// paletted PNG 8.1 (8), RGBA PNG 11.1 (14), JPEG 8.7 (12), 16-bit PNG 23
// (22).
func (h Header) WorkBytes() int64 {
	return h.Pixels() * (2*bytesPerPixel(h.Model) + 6)
}

// bytesPerPixel is the size of a pixel as the decoder returns it.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4 at worst
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8 // 16-bit colour, and whatever else: the most any decoder uses
}

// DefaultMaxWork is the decoding budget used when Options.MaxWork is zero.
const DefaultMaxWork = 1500 * time.Millisecond

// Options tune a decode. The zero value is usable: default limits, accept any
// text, DefaultMaxWork.
type Options struct {
	// Limits; a zero field means the default for that field.
	Limits Limits
	// Accept reports whether a decoded text is the code the caller wants.
	// When it returns false the search goes on with the other strategies.
	// nil accepts any text.
	Accept func(text string) bool
	// MaxWork bounds the time spent searching one image (the context's
	// deadline applies too). Strategies are not interrupted in the middle,
	// so the bound is approximate (one strategy is at most tens of ms on a
	// camera frame). Zero means DefaultMaxWork; negative means no bound
	// other than the context.
	MaxWork time.Duration
	// MaxStrategies, if positive, stops after that many strategies.
	MaxStrategies int
	// Camera marks a live camera frame: it takes the short path (one
	// binarization, a finder-pattern test, the first pass and, when finder
	// patterns were seen, a second; see camera.go) instead of the whole
	// strategy chain, because a miss is cheap: the next frame retries.
	// A baseline JPEG frame is decoded to its luma plane only, into a
	// pooled buffer (internal/lumajpeg; other files by image/jpeg).
	// DecodeAll ignores it.
	Camera bool
}

// Result is a decoded QR code.
type Result struct {
	Text string
	// Strategy names the strategy that decoded it (for metrics).
	Strategy string
	// StructuredAppend: sequence index and total of a structured-append
	// part, -1 when the symbol is not part of one.
	SequenceIndex int
	SequenceTotal int
	Parity        int
}

// Error codes.
const (
	CodeUnsupported = "unsupported_image"
	CodeCorrupt     = "corrupt_image"
	CodeTooLarge    = "image_too_large"
	CodeNoCode      = "no_code_found"
)

func (o Options) limits() Limits {
	l := o.Limits
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	return l
}

// Inspect checks data against the limits from its header alone, decoding
// no pixel: the size of the file, a supported format, and the pixel count
// the header declares. Errors are *verifier.Error with codes
// unsupported_image, corrupt_image or image_too_large.
func Inspect(data []byte, lim Limits) (h Header, err error) {
	d := DefaultLimits()
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = d.MaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = d.MaxPixels
	}
	if int64(len(data)) > lim.MaxBytes {
		return h, verifier.Errorf(verifier.KindTooLarge, CodeTooLarge,
			"image is %d bytes, the limit is %d", len(data), lim.MaxBytes)
	}
	if len(data) == 0 {
		return h, verifier.Errorf(verifier.KindUnsupported, CodeUnsupported, "empty file is not an image")
	}
	defer func() {
		if r := recover(); r != nil {
			h, err = Header{}, verifier.Errorf(verifier.KindUnprocessable, CodeCorrupt, "image could not be decoded")
		}
	}()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if strings.Contains(err.Error(), "dimension overflow") {
			// image/png refuses dimensions whose product overflows.
			return h, verifier.Wrap(err, verifier.KindTooLarge, CodeTooLarge, "image declares absurd dimensions")
		}
		if errors.Is(err, image.ErrFormat) {
			return h, verifier.Errorf(verifier.KindUnsupported, CodeUnsupported,
				"not an image in a supported format (PNG, JPEG, GIF, WebP)")
		}
		return h, verifier.Wrap(err, verifier.KindUnprocessable, CodeCorrupt,
			"image header is corrupt or truncated")
	}
	h = Header{Width: cfg.Width, Height: cfg.Height, Format: format, Model: cfg.ColorModel}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return h, verifier.Errorf(verifier.KindUnprocessable, CodeCorrupt, "image has no pixels")
	}
	if h.Pixels() > lim.MaxPixels || cfg.Width > 1<<20 || cfg.Height > 1<<20 {
		return h, verifier.Errorf(verifier.KindTooLarge, CodeTooLarge,
			"image is %dx%d pixels, the limit is %d pixels", cfg.Width, cfg.Height, lim.MaxPixels)
	}
	return h, nil
}

// LoadImage checks data against the limits (Inspect) and decodes it.
// Errors are *verifier.Error with codes unsupported_image, corrupt_image
// or image_too_large.
func LoadImage(data []byte, lim Limits) (img image.Image, format string, err error) {
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultLimits().MaxPixels
	}
	h, err := Inspect(data, lim)
	if err != nil {
		return nil, h.Format, err
	}
	format = h.Format
	cfg := image.Config{Width: h.Width, Height: h.Height}
	defer func() {
		if r := recover(); r != nil {
			img, format = nil, ""
			err = verifier.Errorf(verifier.KindUnprocessable, CodeCorrupt, "image could not be decoded")
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, format, decodeError(err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// Never trust a decoder that disagrees with its own header.
		if int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
			return nil, format, verifier.Errorf(verifier.KindTooLarge, CodeTooLarge, "image is too large")
		}
	}
	return img, format, nil
}

// decodeError maps a decoder's error to the verifier's codes.
func decodeError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return verifier.Wrap(err, verifier.KindUnprocessable, CodeCorrupt, "image is truncated")
	}
	return verifier.Wrap(err, verifier.KindUnprocessable, CodeCorrupt, "image is corrupt")
}

// cameraDecoders keeps luma decoders, and their planes, from one camera
// frame to the next.
var cameraDecoders = sync.Pool{New: func() any { return new(lumajpeg.Decoder) }}

// cameraPoolMaxPixels: a decoder whose frame was larger (twice a 1920x1080
// kiosk frame) is not kept, so that one odd frame does not pin its plane.
const cameraPoolMaxPixels = 4 << 20

// loadCameraJPEG is the camera path's loading of a baseline JPEG: the same
// limits (Inspect) and error codes as LoadImage, but the luma plane alone,
// decoded by lumajpeg into a pooled buffer (see that package for why).
// The caller passes dec to releaseCameraDecoder once it no longer uses g.
// It returns all nils for data that is not a JPEG lumajpeg reads
// (progressive, CMYK, ...): LoadImage decodes those.
func loadCameraJPEG(data []byte, lim Limits) (g *gray, dec *lumajpeg.Decoder, err error) {
	if f, _ := Sniff(data); f != "jpeg" {
		return nil, nil, nil
	}
	h, err := Inspect(data, lim)
	if err != nil {
		return nil, nil, err
	}
	dec = cameraDecoders.Get().(*lumajpeg.Decoder)
	defer func() {
		if r := recover(); r != nil { // as LoadImage guards image/jpeg
			g, dec = nil, nil
			err = verifier.Errorf(verifier.KindUnprocessable, CodeCorrupt, "image could not be decoded")
		}
	}()
	pix, w, ht, err := dec.Decode(data)
	if err != nil || w != h.Width || ht != h.Height {
		releaseCameraDecoder(dec, 0)
		if err == nil || errors.Is(err, lumajpeg.ErrUnsupported) {
			return nil, nil, nil
		}
		return nil, nil, decodeError(err)
	}
	return &gray{pix: pix, w: w, h: ht}, dec, nil
}

// releaseCameraDecoder puts dec back in the pool after a frame of pixels
// pixels.
func releaseCameraDecoder(dec *lumajpeg.Decoder, pixels int) {
	if pixels <= cameraPoolMaxPixels {
		cameraDecoders.Put(dec)
	}
}

// Decode decodes the image in data and returns the first QR code whose text
// opt.Accept accepts.
func Decode(ctx context.Context, data []byte, opt Options) (Result, error) {
	if opt.Camera {
		g, dec, err := loadCameraJPEG(data, opt.limits())
		if err != nil {
			return Result{}, err
		}
		if g != nil {
			defer releaseCameraDecoder(dec, g.w*g.h)
			return decodeGray(ctx, g, opt)
		}
	}
	img, _, err := LoadImage(data, opt.limits())
	if err != nil {
		return Result{}, err
	}
	return DecodeImage(ctx, img, opt)
}

// DecodeImage is Decode for an image already in memory. It checks the pixel
// limit too.
func DecodeImage(ctx context.Context, img image.Image, opt Options) (Result, error) {
	if img == nil {
		return Result{}, verifier.Errorf(verifier.KindUnsupported, CodeUnsupported, "no image")
	}
	lim := opt.limits()
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return Result{}, verifier.Errorf(verifier.KindUnprocessable, CodeCorrupt, "image has no pixels")
	}
	if int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
		return Result{}, verifier.Errorf(verifier.KindTooLarge, CodeTooLarge,
			"image is %dx%d pixels, the limit is %d pixels", b.Dx(), b.Dy(), lim.MaxPixels)
	}
	return decodeGray(ctx, toGray(img), opt)
}

// decodeGray is DecodeImage once the image is luminance.
func decodeGray(ctx context.Context, g *gray, opt Options) (Result, error) {
	s := newSearch(ctx, opt, false)
	run := s.run
	if opt.Camera {
		run = s.camera
	}
	res, ok := run(g)
	if ok {
		return res[0], nil
	}
	if err := s.ctxErr(); err != nil {
		return Result{}, verifier.Wrap(err, verifier.KindUnprocessable, CodeNoCode,
			"no QR code found before the time limit")
	}
	return Result{}, verifier.Errorf(verifier.KindUnprocessable, CodeNoCode, "no QR code found in the image")
}

// DecodeAll returns every distinct QR code found in the image (for example
// the parts of a structured-append message, or two codes side by side). It
// runs the whole strategy chain within the budget and collects what each
// strategy finds; Accept filters the texts.
func DecodeAll(ctx context.Context, data []byte, opt Options) ([]Result, error) {
	img, _, err := LoadImage(data, opt.limits())
	if err != nil {
		return nil, err
	}
	return DecodeAllImage(ctx, img, opt)
}

// DecodeAllImage is DecodeAll for an image in memory.
func DecodeAllImage(ctx context.Context, img image.Image, opt Options) ([]Result, error) {
	if img == nil {
		return nil, verifier.Errorf(verifier.KindUnsupported, CodeUnsupported, "no image")
	}
	lim := opt.limits()
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
		return nil, verifier.Errorf(verifier.KindTooLarge, CodeTooLarge, "image is empty or too large")
	}
	g := toGray(img)
	s := newSearch(ctx, opt, true)
	res, ok := s.run(g)
	if !ok {
		return nil, verifier.Errorf(verifier.KindUnprocessable, CodeNoCode, "no QR code found in the image")
	}
	return res, nil
}

// JoinStructuredAppend orders structured-append parts by sequence index and
// joins their texts. ok is false unless all parts 0..total-1 are present
// exactly once (duplicates with the same text are tolerated).
func JoinStructuredAppend(parts []Result) (string, bool) {
	total := -1
	byIdx := map[int]string{}
	for _, p := range parts {
		if p.SequenceIndex < 0 {
			continue
		}
		if total == -1 {
			total = p.SequenceTotal
		} else if total != p.SequenceTotal {
			return "", false
		}
		if t, dup := byIdx[p.SequenceIndex]; dup && t != p.Text {
			return "", false
		}
		byIdx[p.SequenceIndex] = p.Text
	}
	if total <= 0 || len(byIdx) != total {
		return "", false
	}
	var out []byte
	for i := 0; i < total; i++ {
		t, ok := byIdx[i]
		if !ok {
			return "", false
		}
		out = append(out, t...)
	}
	return string(out), true
}

// Sniff reports whether data starts like one of the supported image formats
// (by magic bytes, not by file name) and which.
func Sniff(data []byte) (format string, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png", true
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "jpeg", true
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif", true
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		return "webp", true
	}
	return "", false
}
