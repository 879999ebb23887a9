package browsertest

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// scanMs waits for the page's measure of the last scan-to-screen time
// (from the scanner's Enter, or the camera frame that read, to the result
// painted) and returns it.
func (p *page) scanMs() int {
	p.t.Helper()
	p.waitJS(`document.body.dataset.scanMs !== undefined`, 10*time.Second)
	n, _ := strconv.Atoi(p.js(`document.body.dataset.scanMs`))
	p.js(`delete document.body.dataset.scanMs; ''`)
	return n
}

// TestScanToScreenTimes reports how long a scan takes to show its result
// in Chromium: keyboard-wedge scans and camera frames, each against the
// real server in process. Figures only (logged with -v): a wall-clock
// time is not a pass or fail.
func TestScanToScreenTimes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.serve()
	p := openPage(t, srv, &kioskB, 1280, 800)

	var wedge []int
	for range 10 {
		p.wedge(anPayload)
		p.waitScreen("result")
		wedge = append(wedge, p.scanMs())
		p.click("#next-btn")
		p.waitScreen("idle")
	}
	var camera []int
	for range 3 {
		p.click("#camera-btn")
		p.waitScreen("camera")
		p.waitScreen("result")
		camera = append(camera, p.scanMs())
		p.click("#next-btn")
		p.waitScreen("idle")
	}
	slices.Sort(wedge)
	slices.Sort(camera)
	t.Logf("scan-to-screen, wedge scan (Enter to result painted), %d scans: min %d ms, median %d ms, max %d ms", len(wedge), wedge[0], wedge[len(wedge)/2], wedge[len(wedge)-1])
	t.Logf("scan-to-screen, camera (frame grabbed to result painted: decode + check-in), %d scans: min %d ms, median %d ms, max %d ms", len(camera), camera[0], camera[len(camera)/2], camera[len(camera)-1])
}
