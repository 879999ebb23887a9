package kiosk_test

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
)

// bombPNG is a blank gray PNG of w x h pixels: a few tens of kilobytes of
// file that decode to w*h bytes and more.
func bombPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// imageForm is a multipart body of the image and text fields.
func imageForm(t testing.TB, fields map[string]string, img []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("image", "photo.png")
	fw.Write(img)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

func sendImage(s *kiosk.Server, path string, body []byte, ct string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+kioskTok)
	req.Header.Set("Content-Type", ct)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// concurrently sends the same image n times to path, all at once.
func concurrently(s *kiosk.Server, n int, path string, body []byte, ct string) []*httptest.ResponseRecorder {
	out := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = sendImage(s, path, body, ct)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// Eight concurrent 6000x6000 PNGs (36 MP, the bombs that took kioskd to
// 1.7 GB) are refused from their headers: 413 image_too_large, on both
// image endpoints.
func TestImageBombsOverPixelLimit(t *testing.T) {
	s := newServer(t, 2)
	bomb := bombPNG(t, 6000, 6000)
	t.Logf("6000x6000 bomb: %d bytes of PNG", len(bomb))
	body, ct := imageForm(t, nil, bomb)
	for _, path := range []string{"/v1/decode", "/v1/checkins"} {
		for i, w := range concurrently(s, 8, path, body, ct) {
			if w.Code != 413 || !strings.Contains(w.Body.String(), `"code":"image_too_large"`) || !strings.Contains(w.Body.String(), "6000x6000") {
				t.Errorf("%s bomb %d: %d %s", path, i, w.Code, w.Body)
			}
		}
	}
	m := getAs(s, "/metrics", "")
	if !strings.Contains(m.Body.String(), `kiosk_limited_total{limit="image_pixels"} 16`) {
		t.Error("the refused bombs are not counted in kiosk_limited_total")
	}
}

// Eight concurrent bombs just under the pixel limit (5000x5000, exactly
// 25 MP) are decoded one at a time by a server allowed one image worker:
// each is answered no_code_found (decoded, nothing found) or
// image_work_busy with Retry-After (no room within the wait); never a 500,
// never an unbounded queue.
func TestImageBombsUnderPixelLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 25 MP images")
	}
	s := newServerWith(t, 2, kiosk.RoleKiosk, func(c *kiosk.Config) {
		c.ImageWork = kiosk.ImageWork{Workers: 1, Wait: 100 * time.Millisecond}
	})
	body, ct := imageForm(t, map[string]string{"source": "camera"}, bombPNG(t, 5000, 5000))
	decoded, busy := 0, 0
	for i, w := range concurrently(s, 8, "/v1/decode", body, ct) {
		switch {
		case w.Code == 422 && strings.Contains(w.Body.String(), `"code":"no_code_found"`):
			decoded++
		case w.Code == 503 && strings.Contains(w.Body.String(), `"code":"image_work_busy"`) && w.Header().Get("Retry-After") == "1":
			busy++
		default:
			t.Errorf("bomb %d: %d %v %s", i, w.Code, w.Header(), w.Body)
		}
	}
	t.Logf("8 concurrent 25 MP bombs: %d decoded, %d refused as busy", decoded, busy)
	if decoded == 0 {
		t.Error("no bomb under the limit was decoded at all")
	}
	// One pixel over the limit is refused from the header.
	body, ct = imageForm(t, nil, bombPNG(t, 5001, 5000))
	if w := sendImage(s, "/v1/decode", body, ct); w.Code != 413 || !strings.Contains(w.Body.String(), "image_too_large") {
		t.Errorf("5001x5000: %d %s", w.Code, w.Body)
	}
}

// An image costs its key a unit per started megapixel beyond the
// request's own: a 12 MP photo (4000x3000) costs 13.
func TestImageCostsItsPixels(t *testing.T) {
	body, ct := imageForm(t, nil, bombPNG(t, 4000, 3000))
	s, _ := limitedServer(t, 2, map[kiosk.Role]kiosk.RateLimit{kiosk.RoleKiosk: {Rate: 0.001, Burst: 12}})
	if w := sendImage(s, "/v1/decode", body, ct); w.Code != 413 || !strings.Contains(w.Body.String(), "request_too_costly") {
		t.Errorf("a 12 MP image with a burst of 12: %d %s", w.Code, w.Body)
	}
	s, _ = limitedServer(t, 2, map[kiosk.Role]kiosk.RateLimit{kiosk.RoleKiosk: {Rate: 0.001, Burst: 20}})
	if w := sendImage(s, "/v1/decode", body, ct); w.Code != 422 {
		t.Errorf("the first 12 MP image with a burst of 20: %d %s", w.Code, w.Body)
	}
	// 7 units left: a text decode passes, a second image does not.
	if w := sendImage(s, "/v1/decode", body, ct); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("the second 12 MP image: %d %s", w.Code, w.Body)
	}
	if w := post(s, "/v1/decode", kioskTok, `{"scan":"008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3|15082021"}`); w.Code != 200 {
		t.Errorf("a text decode after the image was refused: %d %s", w.Code, w.Body)
	}
}
