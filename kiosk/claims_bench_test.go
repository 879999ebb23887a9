package kiosk_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimxml"
)

// BenchmarkImportClaimsFile posts one Decision 130 file of N XML1 records
// (CLAIMS_BENCH_N, default 20,000; the README's figure is for 100,000) to
// a real HTTP server and reports claims per second and the largest heap in
// use while it was imported (sampled every 5 ms).
//
//	CLAIMS_BENCH_N=100000 go test -run '^$' -bench ImportClaimsFile -benchtime 1x ./kiosk/
func BenchmarkImportClaimsFile(b *testing.B) {
	n := 20_000
	if s := os.Getenv("CLAIMS_BENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	var file bytes.Buffer
	w := claimxml.NewWriter(&file, "08001")
	for i := range n {
		f := claimRec("08001", fmt.Sprintf("LK%07d", i), fmt.Sprintf("0080950%05d", i%1000), "", fmt.Sprintf("2026120%d%02d%02d", 1+i%9, 7+i%10, i%60), "01", "150000")
		f["MA_BN"], f["NGAY_SINH"], f["GIOI_TINH"], f["MA_KHOA"], f["T_TONGCHI_BV"], f["T_BNCCT"] = "BN"+strconv.Itoa(i), "199503140000", "1", "K01", "200000", "50000"
		extra := ""
		if i%3 == 0 {
			extra = "XML2"
		}
		w.Add(f, "", extra)
	}
	w.Close()
	body := file.Bytes()
	b.Logf("file: %d records, %.1f MB", n, float64(len(body))/1e6)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s := newServer(b, 1000)
		srv := httptest.NewServer(s)
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		done := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		req, _ := http.NewRequest("POST", srv.URL+"/v1/claims", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+auditorTok)
		req.Header.Set("Content-Type", "application/xml")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("import: %v %v", err, resp)
		}
		resp.Body.Close()
		d := time.Since(start)
		b.StopTimer()
		close(done)
		srv.Close()
		b.ReportMetric(float64(n)/d.Seconds(), "claims/s")
		b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "MiB-heap-growth")
		b.ReportMetric(float64(peak.Load())/(1<<20), "MiB-heap-peak")
		_ = verifier.MaxClaimBatch
	}
}
