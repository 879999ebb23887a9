package kiosk

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"net/http"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// cameraJPEG is a 640x480 grayscale JPEG frame (as the kiosk page sends)
// with text's QR in the middle, dark on light or, with inverted, light on
// dark (a code only the upload chain looks for).
func cameraJPEG(t *testing.T, text string, inverted bool) []byte {
	t.Helper()
	qr, err := qrimage.Render(text, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	frame := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range frame.Pix {
		frame.Pix[i] = 180
	}
	at := image.Pt(320-qr.Rect.Dx()/2, 240-qr.Rect.Dy()/2)
	draw.Draw(frame, qr.Rect.Add(at), qr, image.Point{}, draw.Src)
	if inverted {
		for i, v := range frame.Pix {
			frame.Pix[i] = 255 - v
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, frame, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImageSource: the multipart field "source" (openapi.yaml: ImageSource)
// sends a live frame down the short path and leaves uploads on the whole
// chain, on /v1/decode and on image check-ins alike; a value that is
// neither is a 400.
func TestImageSource(t *testing.T) {
	now := time.Date(2026, 3, 9, 9, 0, 0, 0, ict)
	ledger := inmem.NewLedger(inmem.WithLedgerClock(func() time.Time { return now }))
	c := newAPIChecker(t, New(Config{Verifier: testService(t, now, ledger), Keys: testKeys(t)}))
	send := func(path string, fields map[string]string, img []byte, want int) apiResult {
		t.Helper()
		body, ct := multipartBody(t, fields, img)
		return c.do(apiCall{method: http.MethodPost, path: path, token: testKioskToken, contentType: ct, body: body, badRequest: want == 400}, want)
	}
	frame := cameraJPEG(t, scanAn, false)
	for _, tc := range []struct {
		source, strategy string
	}{{"camera", "camera"}, {"upload", "hybrid"}, {"", "hybrid"}} {
		fields := map[string]string{}
		if tc.source != "" {
			fields["source"] = tc.source
		}
		r := send("/v1/decode", fields, frame, 200).json(t)
		if get(r, "strategy") != tc.strategy || get(r, "fields", "id") != "008095001234" {
			t.Errorf("source %q: %v, want strategy %q", tc.source, r, tc.strategy)
		}
	}

	// A light-on-dark code: the thorough search reads it, a live frame's
	// does not (the next frame would retry, the card the right way out).
	inverted := cameraJPEG(t, scanAn, true)
	if code := send("/v1/decode", map[string]string{"source": "camera"}, inverted, 422).errorCode(); code != "no_code_found" {
		t.Errorf("inverted camera frame: %q, want no_code_found", code)
	}
	send("/v1/decode", nil, inverted, 200)

	for _, path := range []string{"/v1/decode", "/v1/checkins"} {
		if code := send(path, map[string]string{"source": "webcam"}, frame, 400).errorCode(); code != "invalid_field" {
			t.Errorf("%s with source=webcam: %q, want invalid_field", path, code)
		}
	}
	// A check-in by a camera frame, and one by a frame the short path
	// cannot read (nothing is recorded for it).
	ci := send("/v1/checkins", map[string]string{"source": "camera", "kiosk": "desk-1"}, frame, 200).json(t)
	if get(ci, "citizen", "id") != "008095001234" || get(ci, "identity", "source") != "cccd_qr" {
		t.Errorf("camera check-in: %v", ci)
	}
	if code := send("/v1/checkins", map[string]string{"source": "camera"}, inverted, 422).errorCode(); code != "no_code_found" {
		t.Errorf("camera check-in of an inverted frame: %q, want no_code_found", code)
	}
}
