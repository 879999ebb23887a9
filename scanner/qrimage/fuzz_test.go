package qrimage

import (
	"context"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, must
// return a *verifier.Error on failure and must finish in bounded time.
func FuzzDecode(f *testing.F) {
	m := encodeModules(f, "008095001234|070123456|Nguyễn Văn An|14031995|Nam|Hà Nội|15082021", nil)
	g := renderQR(m, 2, 4)
	f.Add(encodePNG(f, g.image()))
	f.Add(encodeJPEG(f, g.image(), 50))
	f.Add(append(encodeJPEG(f, gray3(g), 80), 0)) // odd length: the camera path
	f.Add(pngBomb(5000, 5000))
	f.Add(webpHeader(64, 64))
	f.Add([]byte("GIF89a\x10\x00\x10\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x10\x00\x10\x00\x00\x02\x02D\x01\x00;"))
	f.Add([]byte("not an image"))
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 4_000_000}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// A hang is the fuzzer's to report; elapsed time is not asserted.
		// Every other input by the camera path (its own JPEG decoder).
		res, err := Decode(ctx, data, Options{Limits: lim, MaxWork: 300 * time.Millisecond, Camera: len(data)%2 == 0})
		if err != nil {
			wantVerifierError(t, err)
			return
		}
		if res.Strategy == "" {
			t.Fatal("result without strategy")
		}
	})
}
