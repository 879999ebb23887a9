package browsertest

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
)

// upload is one multipart request the page sent: its path, text fields
// and image.
type upload struct {
	path   string
	fields map[string]string
	image  []byte
}

// recordUpload keeps a copy of a multipart request and leaves the body for
// the service to read.
func (e *env) recordUpload(r *http.Request) {
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return
	}
	u := upload{path: r.URL.Path, fields: map[string]string{}}
	mr := multipart.NewReader(bytes.NewReader(b), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		v, _ := io.ReadAll(p)
		if p.FormName() == "image" {
			u.image = v
		} else {
			u.fields[p.FormName()] = string(v)
		}
	}
	e.mu.Lock()
	e.uploads = append(e.uploads, u)
	e.mu.Unlock()
}

// TestCameraFrames: the frames the page sends from its camera are what the
// server's short path is for (openapi.yaml: ImageSource): source=camera, JPEG,
// grey (the fake camera's picture is tinted), at most 640x480; the
// check-in that follows sends its frame the same way.
func TestCameraFrames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskB, 1280, 800)
	p.click("#camera-btn")
	p.waitScreen("camera")
	p.waitScreen("result")
	e.mu.Lock()
	uploads := append([]upload(nil), e.uploads...)
	e.mu.Unlock()
	var decodes, checkins int
	for i, u := range uploads {
		switch u.path {
		case "/v1/decode":
			decodes++
		case "/v1/checkins":
			checkins++
		default:
			t.Errorf("upload %d to %s", i, u.path)
			continue
		}
		if u.fields["source"] != "camera" {
			t.Errorf("upload %d to %s: source %q, want camera", i, u.path, u.fields["source"])
		}
		if f, _ := qrimage.Sniff(u.image); f != "jpeg" {
			t.Errorf("upload %d to %s: a %q image, want jpeg", i, u.path, f)
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(u.image))
		if err != nil {
			t.Errorf("upload %d: %v", i, err)
			continue
		}
		if b := img.Bounds(); b.Dx() > 640 || b.Dy() > 480 || b.Dx() < 320 {
			t.Errorf("upload %d: %dx%d, want within 640x480 (and not tiny)", i, b.Dx(), b.Dy())
		}
		if d := maxChroma(img); d > 3 {
			t.Errorf("upload %d: colour planes up to %d from neutral, want a grey frame", i, d)
		}
	}
	if decodes == 0 || checkins != 1 {
		t.Errorf("%d frames decoded, %d check-ins by image; want some and one", decodes, checkins)
	}
}

// maxChroma is how far a JPEG's colour planes stray from grey (0 for a
// one-component JPEG).
func maxChroma(img image.Image) int {
	m, ok := img.(*image.YCbCr)
	if !ok {
		return 0
	}
	worst := 0
	for _, plane := range [][]byte{m.Cb, m.Cr} {
		for _, v := range plane {
			worst = max(worst, abs(int(v)-128))
		}
	}
	return worst
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestCameraKeepsLookingWhileDecodersBusy: a frame the server sheds
// (503 image_work_busy, or 429) is a lost frame, not an outage: the camera
// keeps sending frames and the card is still read.
func TestCameraKeepsLookingWhileDecodersBusy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.busyDecodes.Store(2)
	srv := e.serve()
	p := openPage(t, srv, &kioskB, 1280, 800)
	p.click("#camera-btn")
	p.waitScreen("camera")
	p.waitScreen("result")
	e.mu.Lock()
	decodes := 0
	for _, u := range e.uploads {
		if u.path == "/v1/decode" {
			decodes++
		}
	}
	e.mu.Unlock()
	if decodes < 3 {
		t.Errorf("%d frames sent; want the two shed ones and at least one more", decodes)
	}
}
