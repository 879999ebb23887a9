package qrimage

import (
	"context"
	"testing"
)

func benchDecode(b *testing.B, data []byte, want string) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Decode(context.Background(), data, Options{})
		if want == "" {
			if err == nil {
				b.Fatalf("found %q in an image without a code", res.Text)
			}
			continue
		}
		if err != nil || res.Text != want {
			b.Fatalf("%v %q", err, res.Text)
		}
	}
}

// BenchmarkDecodeFrame640PNG decodes a 640x480 camera-like PNG frame with
// one CCCD QR, including the PNG decoding, as the server does.
func BenchmarkDecodeFrame640PNG(b *testing.B) {
	benchDecode(b, encodePNG(b, colorize(cameraFrame(b))), cccdPayload)
}

// BenchmarkDecodeFrame640JPEG is the same frame as a JPEG (quality 75).
func BenchmarkDecodeFrame640JPEG(b *testing.B) {
	benchDecode(b, encodeJPEG(b, colorize(cameraFrame(b)), 75), cccdPayload)
}

// BenchmarkDecodeNoCode runs the whole strategy chain on a 640x480 frame
// without a code (the slowest path for a camera frame).
func BenchmarkDecodeNoCode(b *testing.B) {
	g := addNoise(warp(newGray(1, 1), 640, 480, cameraBackground(11), [8]float64{-10, -10, -9, -10, -9, -9, -10, -9}), 6, 11)
	benchDecode(b, encodeJPEG(b, colorize(g), 75), "")
}

// BenchmarkDecodeImageFrame640 is the QR search alone on the decoded frame
// (what remains once the PNG/JPEG decoder has run).
func BenchmarkDecodeImageFrame640(b *testing.B) {
	img := colorize(cameraFrame(b))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := DecodeImage(context.Background(), img, Options{})
		if err != nil || res.Text != cccdPayload {
			b.Fatalf("%v %q", err, res.Text)
		}
	}
}

// BenchmarkImageDecodeOnlyPNG measures the standard library's PNG decoder
// on the same frame, for comparison.
func BenchmarkImageDecodeOnlyPNG(b *testing.B) {
	data := encodePNG(b, colorize(cameraFrame(b)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := LoadImage(data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
