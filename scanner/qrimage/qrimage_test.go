package qrimage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func wantErr(t *testing.T, err error, kind verifier.Kind, code string) {
	t.Helper()
	var e *verifier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *verifier.Error", err, err)
	}
	if e.Kind != kind || e.Code != code {
		t.Fatalf("got %s/%s (%v), want %s/%s", e.Kind, e.Code, err, kind, code)
	}
}

// TestUTF8WithoutECI renders the CCCD payload the way the card does (byte
// mode, UTF-8, no ECI) and checks that the Vietnamese name survives, where
// gozxing's own charset guess does not.
func TestUTF8WithoutECI(t *testing.T) {
	m := encodeModules(t, cccdPayload, nil)
	g := renderQR(m, 4, 4)

	// What gozxing alone makes of it.
	bm, _ := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(newLumSource(g)))
	raw, err := zqr.NewQRCodeReader().Decode(bm, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sym := raw.GetResultMetadata()[gozxing.ResultMetadataType_SYMBOLOGY_IDENTIFIER]; sym != "]Q1" {
		t.Fatalf("symbol has an ECI or FNC1 (%v); the test needs plain byte mode", sym)
	}
	if raw.GetText() == cccdPayload {
		t.Logf("note: gozxing read the payload right by itself")
	} else {
		t.Logf("gozxing alone reads: %q", truncate(raw.GetText(), 40))
	}

	res, err := Decode(context.Background(), encodePNG(t, g.image()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != cccdPayload {
		t.Fatalf("got %q, want %q", res.Text, cccdPayload)
	}
	if !strings.Contains(res.Text, "Nguyễn Văn An") {
		t.Fatal("name lost")
	}
}

func TestECI(t *testing.T) {
	cases := []struct {
		charset, text string
	}{
		{"UTF-8", cccdPayload},
		{"ISO-8859-1", "Café crème brûlée"}, // not valid UTF-8: the ECI decides
		{"Shift_JIS", "日本語のテキスト"},
	}
	for _, c := range cases {
		m := encodeModules(t, c.text, map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_CHARACTER_SET: c.charset})
		res, err := DecodeImage(context.Background(), renderQR(m, 3, 4).image(), Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.charset, err)
		}
		if res.Text != c.text {
			t.Errorf("%s: got %q, want %q", c.charset, res.Text, c.text)
		}
	}
}

// bitWriter builds QR data codewords by hand.
type bitWriter struct{ b *gozxing.BitArray }

func (w bitWriter) put(v, n int) { _ = w.b.AppendBits(v, n) }

func TestTextFromCodewordsMixedSegments(t *testing.T) {
	// Version 1-L holds 19 data codewords.
	w := bitWriter{gozxing.NewEmptyBitArray()}
	w.put(1, 4) // numeric
	w.put(3, 10)
	w.put(123, 10)
	w.put(4, 4) // byte
	name := []byte("Bùi")
	w.put(len(name), 8)
	for _, c := range name {
		w.put(int(c), 8)
	}
	w.put(2, 4) // alphanumeric
	w.put(2, 9)
	w.put(10*45+11, 11) // "AB"
	w.put(0, 4)
	for w.b.GetSize()%8 != 0 {
		w.put(0, 1)
	}
	for pad := 0; w.b.GetSize() < 19*8; pad++ {
		w.put([]int{0xec, 0x11}[pad%2], 8)
	}
	raw := make([]byte, 19)
	w.b.ToBytes(0, raw, 0, 19)
	got, ok := textFromCodewords(raw, "L")
	if !ok || got != "123BùiAB" {
		t.Fatalf("got %q %v", got, ok)
	}
	// Invalid UTF-8 without ECI falls back to a guess (ISO-8859-1 here).
	w = bitWriter{gozxing.NewEmptyBitArray()}
	w.put(4, 4)
	w.put(3, 8)
	for _, c := range []byte{'C', 'a', 0xe9} {
		w.put(int(c), 8)
	}
	w.put(0, 4)
	for w.b.GetSize() < 19*8 {
		w.put(0, 1)
	}
	w.b.ToBytes(0, raw, 0, 19)
	if got, ok := textFromCodewords(raw, "L"); !ok || got != "Caé" {
		t.Fatalf("latin-1 fallback: got %q %v", got, ok)
	}
}

// pngChunk builds one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	_ = binary.Write(&b, binary.BigEndian, crc.Sum32())
	return b.Bytes()
}

func pngBomb(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})...)
	return append(out, pngChunk("IEND", nil)...)
}

// webpHeader is a VP8L (lossless WebP) header declaring w x h.
func webpHeader(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(4+8+5+1))
	b.WriteString("WEBPVP8L")
	_ = binary.Write(&b, binary.LittleEndian, uint32(5+1))
	bits := uint32(w-1) | uint32(h-1)<<14
	b.WriteByte(0x2f)
	_ = binary.Write(&b, binary.LittleEndian, bits)
	b.WriteByte(0)
	b.WriteByte(0)
	return b.Bytes()
}

func TestHostileImages(t *testing.T) {
	ctx := context.Background()
	good := encodePNG(t, renderQR(encodeModules(t, "hello", nil), 4, 4).image())
	cases := []struct {
		name string
		data []byte
		opt  Options
		kind verifier.Kind
		code string
	}{
		{"empty", nil, Options{}, verifier.KindUnsupported, CodeUnsupported},
		{"text", []byte("008095001234|070123456|Nguyen Van An"), Options{}, verifier.KindUnsupported, CodeUnsupported},
		{"pdf", []byte("%PDF-1.7\n..."), Options{}, verifier.KindUnsupported, CodeUnsupported},
		{"fake png", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("garbage!"), 20)...), Options{}, verifier.KindUnprocessable, CodeCorrupt},
		{"fake jpeg", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0x55}, 200)...), Options{}, verifier.KindUnprocessable, CodeCorrupt},
		{"truncated png", good[:len(good)/2], Options{}, verifier.KindUnprocessable, CodeCorrupt},
		{"truncated header", good[:20], Options{}, verifier.KindUnprocessable, CodeCorrupt},
		{"png bomb", pngBomb(100000, 100000), Options{}, verifier.KindTooLarge, CodeTooLarge},
		{"png bomb 2", pngBomb(1<<31-1, 1<<31-1), Options{}, verifier.KindTooLarge, CodeTooLarge},
		{"webp bomb", webpHeader(16384, 16384), Options{}, verifier.KindTooLarge, CodeTooLarge},
		{"too many bytes", good, Options{Limits: Limits{MaxBytes: 100}}, verifier.KindTooLarge, CodeTooLarge},
		{"too many pixels", good, Options{Limits: Limits{MaxPixels: 1000}}, verifier.KindTooLarge, CodeTooLarge},
		{"blank", encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64))), Options{}, verifier.KindUnprocessable, CodeNoCode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Refused before any large allocation: measured in bytes
			// allocated, which a busy machine does not change.
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode(ctx, c.data, c.opt)
			runtime.ReadMemStats(&after)
			if c.code != CodeNoCode {
				if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
					t.Errorf("allocated %d bytes before refusing", n)
				}
			}
			wantErr(t, err, c.kind, c.code)
		})
	}
}

func TestFormats(t *testing.T) {
	m := encodeModules(t, cccdPayload, nil)
	g := renderQR(m, 4, 4)
	// GIF (paletted)
	pal := image.NewPaletted(image.Rect(0, 0, g.w, g.h), color.Palette{color.White, color.Black})
	for i, v := range g.pix {
		if v < 128 {
			pal.Pix[i] = 1
		}
	}
	var gb bytes.Buffer
	if err := gif.Encode(&gb, pal, nil); err != nil {
		t.Fatal(err)
	}
	// NRGBA with a transparent background (must count as white).
	nrgba := image.NewNRGBA(image.Rect(0, 0, g.w, g.h))
	for i, v := range g.pix {
		if v < 128 {
			nrgba.Pix[4*i+3] = 255
		}
	}
	for name, data := range map[string][]byte{
		"gif":         gb.Bytes(),
		"png-gray":    encodePNG(t, g.image()),
		"png-rgba":    encodePNG(t, colorize(g)),
		"png-alpha":   encodePNG(t, nrgba),
		"jpeg-ycbcr":  encodeJPEG(t, colorize(g), 90),
		"jpeg-gray":   encodeJPEG(t, g.image(), 90),
		"jpeg-offset": encodeJPEG(t, colorize(g).SubImage(image.Rect(3, 5, g.w-1, g.h-2)), 90),
	} {
		res, err := Decode(context.Background(), data, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if res.Text != cccdPayload {
			t.Errorf("%s: got %q", name, res.Text)
		}
	}
	// WebP is registered (header only here; the corpus has real files).
	if _, f, err := image.DecodeConfig(bytes.NewReader(webpHeader(10, 10))); err != nil || f != "webp" {
		t.Errorf("webp not registered: %v %q", err, f)
	}
}

func TestAcceptContinues(t *testing.T) {
	// Two codes side by side; Accept wants the second.
	a := renderQR(encodeModules(t, "first code", nil), 4, 4)
	b := renderQR(encodeModules(t, cccdPayload, nil), 4, 4)
	canvas := newGray(a.w+b.w+40, b.h+40)
	for i := range canvas.pix {
		canvas.pix[i] = 255
	}
	for y := 0; y < a.h; y++ {
		copy(canvas.pix[(y+20)*canvas.w+10:], a.pix[y*a.w:(y+1)*a.w])
	}
	for y := 0; y < b.h; y++ {
		copy(canvas.pix[(y+20)*canvas.w+a.w+30:], b.pix[y*b.w:(y+1)*b.w])
	}
	var seen []string
	res, err := DecodeImage(context.Background(), canvas.image(), Options{Accept: func(s string) bool {
		seen = append(seen, s)
		return strings.HasPrefix(s, "008095001234|")
	}})
	if err != nil {
		t.Fatalf("%v (Accept saw %q)", err, seen)
	}
	if res.Text != cccdPayload {
		t.Fatalf("got %q", res.Text)
	}
	t.Logf("accepted by %s after seeing %d texts", res.Strategy, len(seen))

	// Accept rejecting everything: no_code_found, bounded time.
	t0 := time.Now()
	_, err = DecodeImage(context.Background(), canvas.image(), Options{Accept: func(string) bool { return false }})
	wantErr(t, err, verifier.KindUnprocessable, CodeNoCode)
	t.Logf("gave up after %v", time.Since(t0))

	all, err := DecodeAllImage(context.Background(), canvas.image(), Options{})
	if err != nil || len(all) < 2 {
		t.Errorf("DecodeAll: %d results, %v", len(all), err)
	}
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	blank := newGray(640, 480)
	_, err := DecodeImage(ctx, blank.image(), Options{})
	wantErr(t, err, verifier.KindUnprocessable, CodeNoCode)
	// A blank image has no code whether or not the search heeds ctx: only
	// the cause tells that it stopped for the cancellation.
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the search did not stop for the cancelled context: %v", err)
	}
}

func TestStructuredAppendJoin(t *testing.T) {
	parts := []Result{
		{Text: "b", SequenceIndex: 1, SequenceTotal: 3},
		{Text: "a", SequenceIndex: 0, SequenceTotal: 3},
		{Text: "c", SequenceIndex: 2, SequenceTotal: 3},
		{Text: "x", SequenceIndex: -1},
	}
	if s, ok := JoinStructuredAppend(parts); !ok || s != "abc" {
		t.Fatalf("got %q %v", s, ok)
	}
	if _, ok := JoinStructuredAppend(parts[:2]); ok {
		t.Fatal("joined an incomplete message")
	}
}

func wantVerifierError(t *testing.T, err error) {
	t.Helper()
	var e *verifier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *verifier.Error", err, err)
	}
	switch e.Code {
	case CodeUnsupported, CodeCorrupt, CodeTooLarge, CodeNoCode:
	default:
		t.Fatalf("unexpected code %q", e.Code)
	}
}

// TestBoundedWork: a big, cluttered photo without a code must give up
// within about the work budget.
func TestBoundedWork(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	g := newGray(4000, 3000)
	x := uint32(2463534242)
	for i := range g.pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		g.pix[i] = byte(x)
	}
	for _, work := range []time.Duration{300 * time.Millisecond, DefaultMaxWork} {
		t0 := time.Now()
		_, err := DecodeImage(context.Background(), g.image(), Options{MaxWork: work})
		wantErr(t, err, verifier.KindUnprocessable, CodeNoCode)
		// The whole chain on 12 Mpx of noise takes far longer than 300 ms,
		// so that search must have been stopped by its budget; the default
		// budget may let the chain finish. (Elapsed time is logged, not
		// asserted: a busy machine must not fail this.)
		if work < DefaultMaxWork && (err == nil || !strings.Contains(err.Error(), "time limit")) {
			t.Errorf("budget %v: the search was not stopped by its budget: %v", work, err)
		}
		t.Logf("budget %v: gave up after %v", work, time.Since(t0))
	}
}
