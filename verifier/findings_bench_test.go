package verifier_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// BenchmarkFindingsMonth lists every finding of a 30-day month holding N
// claims (FINDINGS_BENCH_N, default 30,000; the README's figure is for
// 1,000,000) in the in-process stores, page by page as the API does (1,000
// a page), plus the summary the page's charts read. About 5% of citizens
// are examined at two facilities on one day.
//
//	FINDINGS_BENCH_N=1000000 go test -run '^$' -bench FindingsMonth -benchtime 1x ./verifier/
func BenchmarkFindingsMonth(b *testing.B) {
	n := 30_000
	if s := os.Getenv("FINDINGS_BENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	clk := &clock{}
	clk.Set(time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC))
	s := newService(b, clk)
	s.Claims = inmem.NewClaims(0, clk.Now)
	ctx := context.Background()
	batch := make([]verifier.Claim, 0, verifier.MaxClaimBatch)
	for i := range n {
		day := 1 + i%30
		cit := i / 2 // two claims per citizen
		fac := fmt.Sprintf("%05d", 8001+i%120)
		if i%40 == 1 {
			fac = fmt.Sprintf("%05d", 8001+(i+7)%120) // another facility, same day: a finding
		}
		c, err := verifier.NewClaim(verifier.ClaimFields{"MA_LK": fmt.Sprintf("LK%08d", i), "MA_CSKCB": fac, "SO_CCCD": fmt.Sprintf("0010900%05d", cit%100000),
			"NGAY_VAO": fmt.Sprintf("202611%02d%02d%02d", day, 7+i%10, i%60), "MA_LOAI_KCB": []string{"01", "01", "01", "07"}[i%4], "T_BHTT": "120000", "HO_TEN": "Nguyễn Văn An"}, "")
		if err != nil {
			b.Fatal(err)
		}
		// Citizens of the same day share claims only within a pair.
		c.SoCCCD = verifier.CitizenID(fmt.Sprintf("0010%08d", cit))
		batch = append(batch, c)
		if len(batch) == cap(batch) {
			if _, err := s.ImportClaims(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := s.ImportClaims(ctx, batch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		found := 0
		q := verifier.FindingsQuery{From: "2026-11-01", To: "2026-11-30", Limit: 1000}
		for {
			p, err := s.Findings(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			found += len(p.Items)
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		start := time.Now()
		sum, err := s.SummarizeFindings(ctx, "2026-11-01", "2026-11-30", "")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-summary")
		b.ReportMetric(float64(found), "findings")
		if sum.Findings != found {
			b.Fatalf("summary %d findings, pages %d", sum.Findings, found)
		}
	}
}
