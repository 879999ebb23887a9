package lumajpeg

import (
	"bytes"
	"os"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode, seeded with real JPEGs (the
// Go testdata files, the corpus's baseline one, generated frames). It must
// never panic, and whenever it does not hand the file back
// (ErrUnsupported) it must agree with image/jpeg: the same files refused,
// the same luma bytes for the others (check). One Decoder serves every
// input, as in the camera path's pool.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{
		"testdata/video-001.q50.420.jpeg",
		"testdata/video-001.q50.444.jpeg",
		"testdata/video-001.q50.410.jpeg",
		"testdata/video-001.restart2.jpeg",
		"testdata/video-005.gray.q50.jpeg",
		"testdata/video-001.q50.420.progressive.jpeg",
		"testdata/video-001.rgb.jpeg",
		"../../testdata/zxing-qr/qrcode-2/#199b.jpg",
	} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(encode(f, testImage(40, 24, true, 1), 80))
	f.Add(encode(f, testImage(17, 9, false, 3), 30))
	f.Add(encode(f, testImage(9, 17, false, 2), 95))
	var dec Decoder
	f.Fuzz(func(t *testing.T, data []byte) {
		// The caller checks the declared size first (qrimage.Inspect);
		// so does the fuzz target, or a header could ask for gigabytes.
		if declaresMoreThan(data, 1<<20) {
			return
		}
		check(t, &dec, "fuzz input", data)
	})
}

// declaresMoreThan reports whether any SOF0, SOF1 or SOF2 marker in data
// (wherever it is: the decoders find the real one) is followed by a frame
// header of more than max pixels.
func declaresMoreThan(data []byte, max int) bool {
	for i := 0; i+9 <= len(data); i++ {
		j := bytes.IndexByte(data[i:], 0xff)
		if j < 0 || i+j+9 > len(data) {
			return false
		}
		i += j
		if m := data[i+1]; m >= sof0Marker && m <= sof2Marker {
			h := int(data[i+5])<<8 | int(data[i+6])
			w := int(data[i+7])<<8 | int(data[i+8])
			if w*h > max {
				return true
			}
		}
	}
	return false
}
