// Package qrimage finds and decodes QR codes in camera frames and photos
// (PNG, JPEG, GIF, WebP). It wraps gozxing's QR reader with a chain of
// image-preparation strategies (binarizers, scales, inversion, crops) so that
// hard photos decode too, guards against hostile images (decompression bombs,
// truncated or fake files) and reads byte-mode payloads as UTF-8 whenever
// they are valid UTF-8, which is what the Vietnamese chip ID card (CCCD) QR
// needs: it carries no charset marker.
//
// Measured on the zxing-cpp blackbox corpus (testdata/zxing-qr, rotation
// 0): 115 of 138, see TestCorpus. Known limits: QR Model 1 symbols are not
// supported by gozxing; strong keystone perspective (one side ~40% shorter
// than the opposite one) on version 7+ symbols fails because gozxing samples
// the grid from a single alignment pattern; a damaged format-information
// area is not recovered.
package qrimage

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/gif"  // register GIF
	_ "image/jpeg" // register JPEG
	_ "image/png"  // register PNG
	"io"
	"strings"
	"time"

	_ "golang.org/x/image/webp" // register WebP

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Limits bound what an uploaded image may cost.
type Limits struct {
	MaxBytes  int64 // size of the encoded file
	MaxPixels int64 // width*height declared by the file header
}

// DefaultLimits returns 10 MiB and 40 megapixels.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 10 << 20, MaxPixels: 40_000_000}
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

// LoadImage checks data against the limits and decodes it. Errors are
// *verifier.Error with codes unsupported_image, corrupt_image or
// image_too_large.
func LoadImage(data []byte, lim Limits) (img image.Image, format string, err error) {
	d := DefaultLimits()
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = d.MaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = d.MaxPixels
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, "", verifier.Errorf(verifier.KindTooLarge, CodeTooLarge,
			"image is %d bytes, the limit is %d", len(data), lim.MaxBytes)
	}
	if len(data) == 0 {
		return nil, "", verifier.Errorf(verifier.KindUnsupported, CodeUnsupported, "empty file is not an image")
	}
	defer func() {
		if r := recover(); r != nil {
			img, format = nil, ""
			err = verifier.Errorf(verifier.KindUnprocessable, CodeCorrupt, "image could not be decoded")
		}
	}()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if strings.Contains(err.Error(), "dimension overflow") {
			// image/png refuses dimensions whose product overflows.
			return nil, format, verifier.Wrap(err, verifier.KindTooLarge, CodeTooLarge, "image declares absurd dimensions")
		}
		if errors.Is(err, image.ErrFormat) {
			return nil, "", verifier.Errorf(verifier.KindUnsupported, CodeUnsupported,
				"not an image in a supported format (PNG, JPEG, GIF, WebP)")
		}
		return nil, format, verifier.Wrap(err, verifier.KindUnprocessable, CodeCorrupt,
			"image header is corrupt or truncated")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, format, verifier.Errorf(verifier.KindUnprocessable, CodeCorrupt, "image has no pixels")
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels || cfg.Width > 1<<20 || cfg.Height > 1<<20 {
		return nil, format, verifier.Errorf(verifier.KindTooLarge, CodeTooLarge,
			"image is %dx%d pixels, the limit is %d pixels", cfg.Width, cfg.Height, lim.MaxPixels)
	}
	img, _, err = image.Decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, format, verifier.Wrap(err, verifier.KindUnprocessable, CodeCorrupt, "image is truncated")
		}
		return nil, format, verifier.Wrap(err, verifier.KindUnprocessable, CodeCorrupt, "image is corrupt")
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

// Decode decodes the image in data and returns the first QR code whose text
// opt.Accept accepts.
func Decode(ctx context.Context, data []byte, opt Options) (Result, error) {
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
	g := toGray(img)
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
