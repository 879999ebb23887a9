package redisledger

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
)

// benchGroups is how many duplicate groups the query benchmarks file:
// KIOSK_BENCH_GROUPS (100000 for the figure), else a size that
// keeps `go test -bench . -benchtime=1x` in CI quick.
func benchGroups() int {
	if n, err := strconv.Atoi(os.Getenv("KIOSK_BENCH_GROUPS")); err == nil && n > 0 {
		return n
	}
	return 2000
}

// fillGroups files n groups over the last three local days (a recording's
// window must not have expired yet), 20 facilities, two visits each, with
// 8 writers.
func fillGroups(b *testing.B, l *Ledger, n int) (from, to string) {
	b.Helper()
	now := time.Now().In(ledgertest.Zone)
	var wg sync.WaitGroup
	const writers = 8
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				day := now.AddDate(0, 0, -(i % 3))
				at := time.Date(day.Year(), day.Month(), day.Day(), 8, i%60, 0, 0, ledgertest.Zone)
				id := verifier.CitizenID(fmt.Sprintf("0010%08d", i))
				for k, fac := range []string{fmt.Sprintf("08%03d", i%20), fmt.Sprintf("01%03d", (i+7)%20)} {
					r := ledgertest.NewRecording(fmt.Sprintf("b%d-%d", i, k), id, fac, at.Add(time.Duration(k)*time.Hour))
					if _, err := l.Record(context.Background(), r); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return now.AddDate(0, 0, -29).Format(dayLayout), now.Format(dayLayout) // an auditor's 30-day range
}

// BenchmarkDuplicatesFirstPage: an auditor's first page of 100 groups of a
// 30-day range, over benchGroups() groups.
func BenchmarkDuplicatesFirstPage(b *testing.B) {
	c := testClient(b)
	l, _ := newTestLedger(b, c, Options{})
	n := benchGroups()
	from, to := fillGroups(b, l, n)
	b.ResetTimer()
	for b.Loop() {
		p, err := l.Duplicates(context.Background(), verifier.DuplicateQuery{From: from, To: to, Limit: 100})
		if err != nil || len(p.Items) != min(100, n) {
			b.Fatalf("%d items, %v", len(p.Items), err)
		}
	}
	b.ReportMetric(float64(n), "groups")
}

// BenchmarkDuplicatesExportAll walks every group page by page, as the CSV
// export does, and reports the heap the walk added: it must not grow with
// the number of groups.
func BenchmarkDuplicatesExportAll(b *testing.B) {
	c := testClient(b)
	l, _ := newTestLedger(b, c, Options{})
	n := benchGroups()
	from, to := fillGroups(b, l, n)
	var before, peak runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		q := verifier.DuplicateQuery{From: from, To: to, Limit: 500}
		seen := 0
		for {
			p, err := l.Duplicates(context.Background(), q)
			if err != nil {
				b.Fatal(err)
			}
			seen += len(p.Items)
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		if seen != n {
			b.Fatalf("walked %d groups, want %d", seen, n)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&peak)
	b.ReportMetric(float64(n), "groups")
	b.ReportMetric(float64(int64(peak.HeapInuse)-int64(before.HeapInuse))/1024, "heap-growth-KiB")
}
