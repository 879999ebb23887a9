package qrimage

import (
	"context"
	"testing"
)

// cpuLoop runs f b.N times and reports, beside the wall-clock ns/op, the
// process's CPU time per op (cpu-ns/op: all threads, the garbage
// collector's included), which a loaded, shared machine does not inflate
// with time spent waiting for a core.
func cpuLoop(b *testing.B, f func()) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := processCPU()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.StopTimer()
	if c := processCPU() - c0; c > 0 {
		b.ReportMetric(float64(c)/float64(b.N), "cpu-ns/op")
	}
}

func benchDecode(b *testing.B, data []byte, want string) {
	benchDecodeOpt(b, data, want, Options{})
}

func benchDecodeOpt(b *testing.B, data []byte, want string, opt Options) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	cpuLoop(b, func() {
		res, err := Decode(context.Background(), data, opt)
		if want == "" {
			if err == nil {
				b.Fatalf("found %q in an image without a code", res.Text)
			}
			return
		}
		if err != nil || res.Text != want {
			b.Fatalf("%v %q", err, res.Text)
		}
	})
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
	benchDecode(b, encodeJPEG(b, colorize(noCodeFrame()), 75), "")
}

// noCodeFrame is a 640x480 textured, noisy frame without a code.
func noCodeFrame() *gray {
	return addNoise(warp(newGray(1, 1), 640, 480, cameraBackground(11), [8]float64{-10, -10, -9, -10, -9, -9, -10, -9}), 6, 11)
}

// BenchmarkCameraFrame640JPEG is BenchmarkDecodeFrame640JPEG by the short
// path for live frames (source=camera), on the JPEG the kiosk page sends:
// grayscale content, quality 0.8.
func BenchmarkCameraFrame640JPEG(b *testing.B) {
	benchDecodeOpt(b, encodeJPEG(b, gray3(cameraFrame(b)), 80), cccdPayload, Options{Camera: true})
}

// BenchmarkCameraNoCode is BenchmarkDecodeNoCode by the short path.
func BenchmarkCameraNoCode(b *testing.B) {
	benchDecodeOpt(b, encodeJPEG(b, gray3(noCodeFrame()), 80), "", Options{Camera: true})
}

// BenchmarkCameraNoCodeSearch is the short path's search alone (after the
// JPEG decoding) on a frame without a code.
func BenchmarkCameraNoCodeSearch(b *testing.B) {
	img, _, err := LoadImage(encodeJPEG(b, gray3(noCodeFrame()), 80), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	cpuLoop(b, func() {
		if _, err := DecodeImage(context.Background(), img, Options{Camera: true}); err == nil {
			b.Fatal("found a code")
		}
	})
}

// BenchmarkImageDecodeOnlyJPEG is the standard library's JPEG decoding of
// the page's frame alone.
func BenchmarkImageDecodeOnlyJPEG(b *testing.B) {
	data := encodeJPEG(b, gray3(cameraFrame(b)), 80)
	cpuLoop(b, func() {
		if _, _, err := LoadImage(data, Limits{}); err != nil {
			b.Fatal(err)
		}
	})
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
