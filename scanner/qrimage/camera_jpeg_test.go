package qrimage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// cameraLoad runs the camera path's JPEG loading and returns a copy of
// the plane; fast reports whether lumajpeg decoded it (false: the data is
// left to LoadImage).
func cameraLoad(t *testing.T, data []byte) (g *gray, fast bool, err error) {
	t.Helper()
	g, dec, err := loadCameraJPEG(data, Limits{})
	if err != nil || g == nil {
		return nil, false, err
	}
	out := &gray{pix: append([]byte(nil), g.pix...), w: g.w, h: g.h}
	releaseCameraDecoder(dec, g.w*g.h)
	return out, true, nil
}

// TestCameraJPEGLuma: on baseline JPEGs the camera path's plane is the
// one LoadImage and toGray give, byte for byte, whatever the frame before.
func TestCameraJPEGLuma(t *testing.T) {
	frames := map[string][]byte{
		"kiosk grey 4:2:0 q80": encodeJPEG(t, gray3(cameraFrame(t)), 80),
		"colour q75":           encodeJPEG(t, colorize(cameraFrame(t)), 75),
		"gray image q90":       encodeJPEG(t, cameraFrame(t).image(), 90),
		"odd size 641x479":     encodeJPEG(t, gray3(noCodeFrame().resize(641, 479)), 80),
		"small 100x37":         encodeJPEG(t, colorize(noCodeFrame().resize(100, 37)), 50),
	}
	for round := 0; round < 2; round++ {
		for name, data := range frames {
			g, fast, err := cameraLoad(t, data)
			if err != nil || !fast {
				t.Fatalf("%s: fast %v, error %v", name, fast, err)
			}
			img, _, err := LoadImage(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want := toGray(img)
			if g.w != want.w || g.h != want.h || !bytes.Equal(g.pix, want.pix) {
				t.Fatalf("%s: the luma plane differs from image/jpeg's", name)
			}
		}
	}
}

// TestCameraJPEGFallback: a progressive JPEG is not lumajpeg's; the
// camera path hands it to image/jpeg and reads its code all the same.
func TestCameraJPEGFallback(t *testing.T) {
	for _, f := range []string{
		filepath.Join("testdata", "zxing-qr", "qrcode-2", "estimate-tilt.jpg"),
		filepath.Join("internal", "lumajpeg", "testdata", "video-001.q50.420.progressive.jpeg"),
	} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, fast, err := cameraLoad(t, data); fast || err != nil {
			t.Fatalf("%s: fast %v, error %v; want a fallback", f, fast, err)
		}
		img, _, err := LoadImage(data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := DecodeImage(context.Background(), img, Options{Camera: true})
		got, err := Decode(context.Background(), data, Options{Camera: true})
		if got != want || errCode(err) != errCode(wantErr) {
			t.Fatalf("%s: camera decode %+v %v, image/jpeg's path %+v %v", f, got, err, want, wantErr)
		}
	}
}

func errCode(err error) string {
	var e *verifier.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "not a verifier error: " + err.Error()
	}
	return ""
}

// TestCameraJPEGErrors: broken JPEGs get from the camera path the error
// codes LoadImage gives them, limits included.
func TestCameraJPEGErrors(t *testing.T) {
	data := encodeJPEG(t, gray3(cameraFrame(t)), 80)
	flipped := append([]byte(nil), data...)
	for i := len(flipped) / 2; i < len(flipped)/2+40; i++ {
		flipped[i] ^= 0x5a
	}
	cases := map[string]struct {
		data []byte
		lim  Limits
	}{
		"truncated header": {data[:100], Limits{}},
		"truncated scan":   {data[:len(data)/2], Limits{}},
		"no EOI":           {data[:len(data)-2], Limits{}},
		"garbled scan":     {flipped, Limits{}},
		"too many pixels":  {data, Limits{MaxPixels: 1000}},
		"too many bytes":   {data, Limits{MaxBytes: 1000}},
	}
	for name, c := range cases {
		_, _, werr := LoadImage(c.data, c.lim)
		_, err := Decode(context.Background(), c.data, Options{Camera: true, Limits: c.lim})
		_, _, ferr := loadCameraJPEG(c.data, c.lim)
		if werr != nil && errCode(ferr) != errCode(werr) {
			t.Errorf("%s: loading error %v, LoadImage's %v", name, ferr, werr)
		}
		if werr != nil && errCode(err) != errCode(werr) {
			t.Errorf("%s: camera decode error %v, LoadImage's %v", name, err, werr)
		}
		if werr == nil && errCode(err) != CodeNoCode && err != nil {
			t.Errorf("%s: camera decode error %v, LoadImage accepts the file", name, err)
		}
	}
}
