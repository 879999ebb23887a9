// Package browsertest drives the kiosk page in a real (headless) Chromium
// against the real HTTP server, started in-process over in-memory
// registries and the in-process same-day ledger.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh on a machine without a zone database

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// The data set of cmd/kioskd/testdata/data.
const (
	anID      = "008095001234"
	anName    = "Nguyễn Văn An"
	anPayload = "008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021"
	ngocID    = "008188004321"
	unknownID = "001099012345"

	tokenA = "kiosk-08001-test-token-0123456789"
	tokenB = "kiosk-08002-test-token-0123456789"
)

var keysJSON = fmt.Sprintf(`[
 {"name": "kiosk-a", "role": "kiosk", "facility": "08001", "token": %q},
 {"name": "kiosk-b", "role": "kiosk", "facility": "08002", "token": %q}
]`, tokenA, tokenB)

// ---------------------------------------------------------------- browser

var browser struct {
	once    sync.Once
	ctx     context.Context // the browser: tabs are made from it
	cancel  func()
	dataDir string
	skip    string // why the browser tests cannot run here
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dataDir != "" {
		os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/lib/chromium/chromium"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser starts one headless Chromium for the package's tests, with a
// fake camera that shows a CCCD QR code.
func startBrowser() {
	path := findChromium()
	if path == "" {
		browser.skip = "chromium not found (apt-get install -y chromium)"
		return
	}
	dir, err := os.MkdirTemp("", "kiosk-browsertest-")
	if err != nil {
		browser.skip = err.Error()
		return
	}
	browser.dataDir = dir
	video := filepath.Join(dir, "qr.y4m")
	if err := writeQRVideo(video, anPayload); err != nil {
		browser.skip = "fake camera: " + err.Error()
		return
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
		chromedp.WindowSize(1280, 800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		browser.skip = "chromium did not start: " + err.Error()
		return
	}
	browser.ctx = bctx
	browser.cancel = func() { bcancel(); acancel() }
}

// needBrowser skips the test when Chromium is missing, except under CI,
// where a missing browser is a failure.
func needBrowser(t *testing.T) {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.skip == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("browser tests cannot run under CI: %s", browser.skip)
	}
	t.Skipf("skipping browser test: %s", browser.skip)
}

// writeQRVideo writes a Y4M video of a few identical frames: a QR code of
// text on white, for Chromium's fake camera.
func writeQRVideo(path, text string) error {
	qr, err := qrimage.Render(text, 6, 4)
	if err != nil {
		return err
	}
	const w, h = 640, 480
	frame := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(frame, frame.Bounds(), image.White, image.Point{}, draw.Src)
	b := qr.Bounds()
	at := image.Pt((w-b.Dx())/2, (h-b.Dy())/2)
	draw.Draw(frame, b.Add(at), qr, b.Min, draw.Src)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	// A warm tint, as webcams have: the page must send grey frames.
	chroma := make([]byte, w*h/2)
	for i := range chroma[:w*h/4] {
		chroma[i] = 112 // Cb
	}
	for i := range chroma[w*h/4:] {
		chroma[w*h/4+i] = 148 // Cr
	}
	for range 5 {
		io.WriteString(f, "FRAME\n")
		f.Write(frame.Pix)
		f.Write(chroma)
	}
	return nil
}

// ---------------------------------------------------------------- server

// env is the service and the kiosks' servers. Two servers over one service
// give two origins (so two kiosks with their own localStorage) that share
// one same-day ledger.
type env struct {
	t       *testing.T
	svc     *verifier.Service
	handler *kiosk.Server
	down    atomic.Int32 // 0 up; 503: answer 503 to the API
	// busyDecodes: the next that many decodes are answered as the server
	// does when its image workers are all taken (503 image_work_busy).
	busyDecodes atomic.Int32

	mu      sync.Mutex
	bodies  []map[string]any // check-in JSON bodies (batch items too, marked "_batch"), in order
	patches []map[string]any // PATCH /v1/checkins/{id} bodies, with "_id"
	acks    []map[string]any // acknowledgement bodies, with "_id"
	uploads []upload         // multipart requests (images), in order
	batches int              // POST /v1/checkins/batch requests
	servers []*httptest.Server

	// ackID and ackReason, when set, replace the check-in ID and the
	// reason of the page's next acknowledgements: the service's own 404,
	// 403 and 422 answers, for the page to put in words.
	ackID, ackReason string

	// gate, when set, holds check-in and decode requests until closed: the
	// page's waiting states, for as long as a test looks at them.
	gate chan struct{}
}

// hold holds the service's answers to check-ins and decodes until the
// returned release is called.
func (e *env) hold() (release func()) {
	c := make(chan struct{})
	e.mu.Lock()
	e.gate = c
	e.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			e.gate = nil
			e.mu.Unlock()
			close(c)
		})
	}
}

// rewriteAck points the page's acknowledgements at the check-in id and
// the reason ("": the page's own).
func (e *env) rewriteAck(id, reason string) {
	e.mu.Lock()
	e.ackID, e.ackReason = id, reason
	e.mu.Unlock()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	reg, err := inmem.LoadDir(deskData(t))
	if err != nil {
		t.Fatalf("load data: %v", err)
	}
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: inmem.NewLedger(), Location: loc}
	svc.Defaults()
	keys, err := kiosk.ParseKeys([]byte(keysJSON))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: svc, handler: kiosk.New(kiosk.Config{Verifier: svc, Keys: keys})}
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if t.Failed() {
			for i, b := range e.bodies {
				t.Logf("check-in body %d: %v", i+1, b)
			}
		}
		for _, s := range e.servers {
			s.Close()
		}
	})
	return e
}

// ServeHTTP records check-in bodies and plays a failing service when told.
func (e *env) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		if code := e.down.Load(); code != 0 {
			// What the service answers when a visit could not be recorded.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(int(code))
			io.WriteString(w, `{"error":{"code":"not_recorded","message":"down for the test"}}`)
			return
		}
	}
	if r.URL.Path == "/v1/decode" && e.busyDecodes.Add(-1) >= 0 {
		e.recordUpload(r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":"image_work_busy","message":"busy for the test"}}`)
		return
	}
	if r.URL.Path == "/v1/checkins" || r.URL.Path == "/v1/decode" {
		e.mu.Lock()
		gate := e.gate
		e.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		e.recordUpload(r)
	}
	if strings.HasPrefix(r.URL.Path, "/v1/checkins") && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			e.record(r, m)
		}
		if strings.HasSuffix(r.URL.Path, "/acknowledgement") {
			e.mu.Lock()
			id, reason := e.ackID, e.ackReason
			e.mu.Unlock()
			if id != "" {
				r.URL.Path = "/v1/checkins/" + id + "/acknowledgement"
				r.URL.RawPath = ""
			}
			if reason != "" {
				b = []byte(fmt.Sprintf(`{"reason": %q}`, reason))
				r.ContentLength = int64(len(b))
			}
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	e.handler.ServeHTTP(w, r)
}

// record keeps a check-in, batch, change or acknowledgement body.
func (e *env) record(r *http.Request, m map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rest := strings.TrimPrefix(r.URL.Path, "/v1/checkins")
	switch {
	case rest == "" && r.Method == http.MethodPost:
		e.bodies = append(e.bodies, m)
	case rest == "/batch":
		e.batches++
		items, _ := m["items"].([]any)
		for _, it := range items {
			if b, ok := it.(map[string]any); ok {
				b["_batch"] = true
				e.bodies = append(e.bodies, b)
			}
		}
	case r.Method == http.MethodPatch:
		m["_id"] = strings.TrimPrefix(rest, "/")
		e.patches = append(e.patches, m)
	case strings.HasSuffix(rest, "/acknowledgement"):
		m["_id"] = strings.TrimSuffix(strings.TrimPrefix(rest, "/"), "/acknowledgement")
		e.acks = append(e.acks, m)
	}
}

// deskDepartments are the departments the tests' facilities send patients
// to (facilities.jsonl "departments").
var deskDepartments = map[string]string{
	"08001": `[{"code":"KKB","name":"Khoa Khám bệnh"},{"code":"NOI","name":"Phòng khám Nội"},{"code":"SAN","name":"Phòng khám Sản"}]`,
	"08002": `[{"code":"KKB","name":"Phòng khám Đa khoa"},{"code":"NHI","name":"Phòng khám Nhi"}]`,
}

// deskData is the data set of cmd/kioskd/testdata/data with a list of
// departments for 08001 and 08002, in a temporary directory.
func deskData(t *testing.T) string {
	t.Helper()
	src := "../../cmd/kioskd/testdata/data"
	dir := t.TempDir()
	for _, f := range []string{"population.jsonl", "insurance.jsonl", "facilities.jsonl"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "facilities.jsonl" {
			var out []string
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				var m map[string]json.RawMessage
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				var code string
				json.Unmarshal(m["code"], &code)
				if d, ok := deskDepartments[code]; ok {
					m["departments"] = json.RawMessage(d)
				}
				l, _ := json.Marshal(m)
				out = append(out, string(l))
			}
			b = []byte(strings.Join(out, "\n") + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serve starts a server (a new origin) for the service.
func (e *env) serve() *httptest.Server {
	s := httptest.NewServer(e)
	e.mu.Lock()
	e.servers = append(e.servers, s)
	e.mu.Unlock()
	return s
}

// restart brings a closed server back on the same address (same origin).
func (e *env) restart(old *httptest.Server) *httptest.Server {
	e.t.Helper()
	addr := old.Listener.Addr().String()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatalf("listen again on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(e)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	e.mu.Lock()
	e.servers = append(e.servers, s)
	e.mu.Unlock()
	return s
}

func (e *env) acknowledgements() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.acks...)
}

func (e *env) visitPatches() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.patches...)
}

func (e *env) checkinBodies() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.bodies...)
}

// ---------------------------------------------------------------- page

type kioskSettings struct {
	Facility    string `json:"facility"`
	Kiosk       string `json:"kiosk"`
	Token       string `json:"token"`
	IdleSeconds int    `json:"idleSeconds"`
	Lang        string `json:"lang"`
	AutoPrint   bool   `json:"autoPrint"`
}

var (
	kioskA = kioskSettings{Facility: "08001", Kiosk: "Quầy 1", Token: tokenA, IdleSeconds: 20, Lang: "vi"}
	kioskB = kioskSettings{Facility: "08002", Kiosk: "Kiosk sảnh", Token: tokenB, IdleSeconds: 20, Lang: "vi"}
)

// page is one browser tab on the kiosk page.
type page struct {
	t      *testing.T
	ctx    context.Context
	url    string
	mu     sync.Mutex
	errors []string // console errors, exceptions, CSP reports
}

// openPage opens a tab at w×h on the server's page, with the kiosk
// configured (when s is not nil) as the staff would in the settings.
func openPage(t *testing.T, srv *httptest.Server, s *kioskSettings, w, h int64) *page {
	t.Helper()
	needBrowser(t)
	ctx, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, url: srv.URL + "/"}
	// Open the tab on the tab's own context: the context of the first call
	// is the tab's lifetime, so not a bounded one (see do).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browser: open a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, p.onEvent); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	// Tabs run side by side: each behaves as the focused one.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Ho_Chi_Minh"}); err != nil {
		t.Fatal(err)
	}
	p.do(
		chromedp.EmulateViewport(w, h),
		chromedp.Navigate(p.url),
		chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)),
	)
	if s != nil {
		b, _ := json.Marshal(s)
		p.do(
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem('kiosk.settings.v1', %q)`, string(b))),
			chromedp.Reload(),
			chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`)),
		)
	}
	t.Cleanup(p.checkErrors)
	return p
}

// onEvent collects what the browser reports as an error. It runs in the
// tab's reading loop: it must not call the browser.
func (p *page) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		p.addError(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			p.addError("console.error: " + strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		// Failed requests are expected in the offline tests; anything
		// else logged as an error (a CSP violation, say) is not.
		if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
			p.addError(string(ev.Entry.Source) + ": " + ev.Entry.Text)
		}
	}
}

func (p *page) addError(s string) {
	p.mu.Lock()
	p.errors = append(p.errors, s)
	p.mu.Unlock()
}

func (p *page) checkErrors() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		p.t.Errorf("browser reported: %s", e)
	}
}

// actionTimeout bounds one call to the browser: an element that never
// shows (a click on a button of another screen) fails the test with its
// line instead of hanging until go test's own timeout.
const actionTimeout = 30 * time.Second

// bounded is the tab's context with actionTimeout; cancelling it does not
// close the tab.
func (p *page) bounded() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, actionTimeout)
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := p.bounded()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// evalAs evaluates a JS expression.
func evalAs[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := p.bounded()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("browser: evaluating %s: %v", js, err)
	}
	return v
}

// eval evaluates a JS expression and decodes its JSON value into out.
func (p *page) eval(js string, out any) {
	p.t.Helper()
	raw := evalAs[[]byte](p, js)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("decoding %s of %s: %v", raw, js, err)
		}
	}
}

func (p *page) js(js string) string { p.t.Helper(); return evalAs[string](p, js) }

// await evaluates a JS expression whose value is a promise of a string.
func (p *page) await(js string) string {
	p.t.Helper()
	ctx, cancel := p.bounded()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("browser: evaluating %s: %v", js, err)
	}
	return v
}

// text is the rendered text of the first element that matches sel ("" when
// it is hidden).
func (p *page) text(sel string) string {
	p.t.Helper()
	return strings.TrimSpace(p.js(fmt.Sprintf(`(function(){ var el = document.querySelector(%q); return el && el.getClientRects().length ? el.innerText : ''; })()`, sel)))
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (p *page) keys(s string, opts ...chromedp.KeyOption) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(s, opts...))
}

// waitScreen waits for the page to show a screen: idle, busy, camera,
// result, error or queued.
func (p *page) waitScreen(name string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.body.dataset.screen === %q`, name), 15*time.Second)
}

// waitJS polls a JS condition.
func (p *page) waitJS(cond string, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for {
		if evalAs[bool](p, `!!(`+cond+`)`) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s (page shows %s)", cond,
				p.js(`document.body.dataset.screen + ': ' + document.querySelector('main').innerText.slice(0, 400)`))
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// ScanGap is the time between two keys of a simulated scanner.
const ScanGap = 4 * time.Millisecond

// wedge types text as a keyboard-wedge scanner does, ScanGap between keys,
// then Enter.
func (p *page) wedge(text string) {
	p.t.Helper()
	p.typeTimed(text+kb.Enter, ScanGap)
}

// wedgeQueued scans text while the service is down: the scan waits in the
// queue, and the clerk goes back to the idle screen.
func (p *page) wedgeQueued(text string) {
	p.t.Helper()
	p.wedge(text)
	p.waitScreen("queued")
	p.click("#queued-ok")
	p.waitScreen("idle")
}

// typeTimed dispatches the keys of text (kb.Backspace, kb.Enter included)
// stamped gap apart, the way the operating system stamps a device's
// keys: the page judges the timing by the events' time stamps, which a
// busy test machine would otherwise stretch.
func (p *page) typeTimed(text string, gap time.Duration) {
	p.t.Helper()
	p.typeKeys(text, gap, 0, 0, false)
}

// typeStalled is typeTimed with the delivery held up for stall (real time)
// after the first `after` keys, their stamps unchanged: what a page sees
// when its main thread or the machine stalls mid-scan, so that its timers
// fire between keys the device sent fast.
func (p *page) typeStalled(text string, gap time.Duration, after int, stall time.Duration) {
	p.t.Helper()
	p.typeKeys(text, gap, after, stall, false)
}

// typeHiccup is typeStalled with the stall in the stamps too: the device
// itself paused after the first `after` keys.
func (p *page) typeHiccup(text string, gap time.Duration, after int, stall time.Duration) {
	p.t.Helper()
	p.typeKeys(text, gap, after, stall, true)
}

// typeKeys dispatches the keys of text stamped gap apart; after the first
// `after` keys it waits stall, and with stamped the stamps wait too.
func (p *page) typeKeys(text string, gap time.Duration, after int, stall time.Duration, stamped bool) {
	p.t.Helper()
	t0 := time.Now()
	i := 0
	for _, r := range text {
		if i == after && stall > 0 {
			time.Sleep(stall)
			if stamped {
				t0 = t0.Add(stall)
			}
		}
		at := input.TimeSinceEpoch(float64(t0.Add(time.Duration(i)*gap).UnixNano()) / 1e9)
		for _, k := range kb.Encode(r) {
			k.Timestamp = at
			if _, err := chromedp.Call(p.ctx, input.DispatchKeyEvent, *k); err != nil {
				p.t.Fatalf("browser: key %q: %v", r, err)
			}
		}
		i++
	}
}

// typeSlowly types as a person does, gap apart.
func (p *page) typeSlowly(text string, gap time.Duration) {
	p.t.Helper()
	for _, r := range text {
		p.keys(string(r))
		time.Sleep(gap)
	}
}

// typeID types a citizen ID into the ID field by hand and presses Enter.
func (p *page) typeID(id string) {
	p.t.Helper()
	p.click("#manual-id")
	p.typeSlowly(id, 80*time.Millisecond)
	p.keys(kb.Enter)
}

// screenshot saves a PNG of the viewport under the artifacts directory
// (KIOSK_SCREENSHOTS, or the test's temporary directory).
func (p *page) screenshot(name string) string {
	p.t.Helper()
	return p.saveShot(name, 1)
}

// shot is screenshot for the kiosk's states in docs/screenshots: scaled so
// that its long side is at most 960 px, small enough to commit and large
// enough to read.
func (p *page) shot(name string) string {
	p.t.Helper()
	var vp struct{ W, H float64 }
	p.eval(`({W: innerWidth, H: innerHeight})`, &vp)
	scale := 1.0
	if long := max(vp.W, vp.H); long > 960 {
		scale = 960 / long
	}
	return p.saveShot(name, scale)
}

func (p *page) saveShot(name string, scale float64) string {
	p.t.Helper()
	var vp struct{ W, H float64 }
	p.eval(`({W: innerWidth, H: innerHeight})`, &vp)
	res, err := chromedp.Call(p.ctx, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{
		Format: cdppage.CaptureScreenshotFormatPng,
		Clip:   &cdppage.Viewport{X: 0, Y: 0, Width: vp.W, Height: vp.H, Scale: scale},
	})
	if err != nil {
		p.t.Fatal(err)
	}
	png := res.Data
	dir := os.Getenv("KIOSK_SCREENSHOTS")
	if dir == "" {
		dir = p.t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
	return path
}

// queuedScan is one scan waiting in the kiosk's offline queue (IndexedDB).
type queuedScan struct {
	ID        string         `json:"id"`
	Body      map[string]any `json:"body"`
	ScannedAt string         `json:"scanned_at"`
}

// queueJS reads the kiosk's offline queue from IndexedDB, oldest first.
const queueJS = `new Promise(function (resolve, reject) {
  var req = indexedDB.open('kiosk', 1);
  req.onupgradeneeded = function () { req.result.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true }); };
  req.onerror = function () { reject(req.error); };
  req.onsuccess = function () {
    var db = req.result, all = db.transaction('queue', 'readonly').objectStore('queue').getAll();
    all.onsuccess = function () { db.close(); resolve(JSON.stringify(all.result)); };
    all.onerror = function () { db.close(); reject(all.error); };
  };
})`

// queued is what waits in the kiosk's offline queue.
func (p *page) queued() []queuedScan {
	p.t.Helper()
	var q []queuedScan
	if err := json.Unmarshal([]byte(p.await(queueJS)), &q); err != nil {
		p.t.Fatalf("reading the queue: %v", err)
	}
	return q
}

// queueLen is the number of scans waiting in the kiosk's offline queue.
func (p *page) queueLen() int {
	p.t.Helper()
	return len(p.queued())
}
