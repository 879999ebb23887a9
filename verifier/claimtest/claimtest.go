// Package claimtest is the conformance suite of verifier.ClaimStore and
// verifier.ReviewStore. The in-process and the Redis implementations run
// the same functions, so that they cannot drift apart.
//
// Days are around the real current date: retention is measured against the
// real clock by the Redis server.
package claimtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
)

// Claim returns an outpatient examination claim of citizen n at facility
// fac on the local day dayOffset days from today, at 08:00 + minute.
func Claim(fac, maLK string, n, dayOffset, minute int) verifier.Claim {
	t := time.Now().In(ledgertest.Zone).AddDate(0, 0, dayOffset)
	at := time.Date(t.Year(), t.Month(), t.Day(), 8, minute, 0, 0, time.UTC)
	return verifier.Claim{
		Facility: fac, MaLK: maLK, SoCCCD: ledgertest.Citizen(n), CitizenID: ledgertest.Citizen(n),
		FullName: "Nguyễn Văn An", MaLoaiKCB: "01", NgayVao: at.Format(verifier.ClaimTimeLayout),
		TBHTT: "150000", TTongChi: "200000", TBNCCT: "50000", Day: at.Format(time.DateOnly),
		ImportedAt: time.Now().UTC().Truncate(time.Second),
	}
}

func day(offset int) string {
	return time.Now().In(ledgertest.Zone).AddDate(0, 0, offset).Format(time.DateOnly)
}

// RunClaims runs the ClaimStore suite; newStore returns a new, empty store
// (retention 400 days) for each call.
func RunClaims(t *testing.T, newStore func(t *testing.T) verifier.ClaimStore) {
	ctx := context.Background()
	keys := func(cs []verifier.Claim) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Key())
		}
		slices.Sort(out)
		return out
	}
	put := func(t *testing.T, s verifier.ClaimStore, cs ...verifier.Claim) []bool {
		t.Helper()
		r, err := s.PutClaims(ctx, cs)
		if err != nil {
			t.Fatalf("PutClaims: %v", err)
		}
		return r
	}
	on := func(t *testing.T, s verifier.ClaimStore, d string) []verifier.Claim {
		t.Helper()
		cs, err := s.ClaimsOn(ctx, d)
		if err != nil {
			t.Fatalf("ClaimsOn(%s): %v", d, err)
		}
		return cs
	}

	t.Run("StoreAndRead", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b, c := Claim("08001", "LK1", 1, 0, 0), Claim("08002", "LK1", 1, 0, 5), Claim("08001", "LK2", 2, -1, 0)
		if got := put(t, s, a, b, c); !slices.Equal(got, []bool{false, false, false}) {
			t.Fatalf("replaced = %v, want none", got)
		}
		got := on(t, s, day(0))
		if want := []string{"08001|LK1", "08002|LK1"}; !slices.Equal(keys(got), want) {
			t.Fatalf("today's claims %v, want %v", keys(got), want)
		}
		for _, g := range got {
			if g.Key() == a.Key() && (g.TBHTT != "150000" || g.FullName != "Nguyễn Văn An" || g.CitizenID != a.CitizenID || g.NgayVao != a.NgayVao || !g.ImportedAt.Equal(a.ImportedAt)) {
				t.Fatalf("stored claim %+v, want %+v", g, a)
			}
		}
		if got := on(t, s, day(-1)); !slices.Equal(keys(got), []string{"08001|LK2"}) {
			t.Fatalf("yesterday's claims %v", keys(got))
		}
		if got := on(t, s, day(-2)); len(got) != 0 {
			t.Fatalf("a day without claims has %v", keys(got))
		}
	})
	t.Run("ResubmissionReplaces", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a := Claim("08001", "LK1", 1, 0, 0)
		put(t, s, a)
		a2 := a
		a2.TBHTT = "99000"
		if got := put(t, s, a2); !slices.Equal(got, []bool{true}) {
			t.Fatalf("replaced = %v, want [true]", got)
		}
		got := on(t, s, day(0))
		if len(got) != 1 || got[0].TBHTT != "99000" {
			t.Fatalf("after resubmission: %+v", got)
		}
	})
	t.Run("ResubmissionMovesDay", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a := Claim("08001", "LK1", 1, -1, 0)
		put(t, s, a)
		moved := Claim("08001", "LK1", 1, 0, 0)
		if got := put(t, s, moved); !slices.Equal(got, []bool{true}) {
			t.Fatalf("replaced = %v", got)
		}
		if got := on(t, s, day(-1)); len(got) != 0 {
			t.Fatalf("the claim is still under its old day: %v", keys(got))
		}
		if got := on(t, s, day(0)); len(got) != 1 {
			t.Fatalf("the claim is not under its new day: %v", keys(got))
		}
	})
	t.Run("SameKeyTwiceInOneBatch", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, a2 := Claim("08001", "LK1", 1, -1, 0), Claim("08001", "LK1", 1, 0, 0)
		if got := put(t, s, a, a2); !slices.Equal(got, []bool{false, true}) {
			t.Fatalf("replaced = %v, want [false true]", got)
		}
		if n := len(on(t, s, day(-1))) + len(on(t, s, day(0))); n != 1 {
			t.Fatalf("%d stored copies, want 1", n)
		}
	})
	t.Run("SameMaLKAtTwoFacilities", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		put(t, s, Claim("08001", "LK1", 1, 0, 0))
		if got := put(t, s, Claim("08002", "LK1", 1, 0, 0)); got[0] {
			t.Fatal("a claim of another facility with the same MA_LK replaced it")
		}
		if n := len(on(t, s, day(0))); n != 2 {
			t.Fatalf("%d claims, want 2", n)
		}
	})
	t.Run("ConcurrentResubmissions", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				c := Claim("08001", "LK1", 1, -(i % 2), i)
				if _, err := s.PutClaims(ctx, []verifier.Claim{c}); err != nil {
					t.Errorf("PutClaims: %v", err)
				}
			})
		}
		wg.Wait()
		if n := len(on(t, s, day(-1))) + len(on(t, s, day(0))); n != 1 {
			t.Fatalf("%d stored copies after concurrent resubmissions, want 1", n)
		}
	})
	t.Run("Retention", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		old := Claim("08001", "OLD", 1, -403, 0)
		kept := Claim("08001", "KEPT", 1, -398, 0)
		put(t, s, old, kept)
		if got := on(t, s, day(-403)); len(got) != 0 {
			t.Fatalf("a claim older than the retention is still there: %v", keys(got))
		}
		if got := on(t, s, day(-398)); len(got) != 1 {
			t.Fatalf("a claim within the retention is gone")
		}
	})
	t.Run("BadDay", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, err := s.ClaimsOn(ctx, "2026-13-01"); err == nil {
			t.Fatal("ClaimsOn accepted a bad day")
		}
		c := Claim("08001", "LK", 1, 0, 0)
		c.Day = ""
		if _, err := s.PutClaims(ctx, []verifier.Claim{c}); err == nil {
			t.Fatal("PutClaims accepted a claim without a day")
		}
	})
	t.Run("Many", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var cs []verifier.Claim
		for i := range verifier.MaxClaimBatch {
			cs = append(cs, Claim(fmt.Sprintf("%05d", 8001+i%7), fmt.Sprintf("LK%d", i), i, 0, i%60))
		}
		put(t, s, cs...)
		if n := len(on(t, s, day(0))); n != len(cs) {
			t.Fatalf("%d claims read back, want %d", n, len(cs))
		}
	})
}

// ReviewLedger is a ledger that keeps reviews with its groups.
type ReviewLedger interface {
	verifier.Ledger
	verifier.ReviewStore
}

// RunReviews runs the ReviewStore suite; newLedger returns a new, empty
// ledger for each call.
func RunReviews(t *testing.T, newLedger func(t *testing.T) ReviewLedger) {
	ctx := context.Background()
	midnight := func() time.Time {
		n := time.Now().In(ledgertest.Zone)
		return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, ledgertest.Zone)
	}
	group := func(t *testing.T, l ReviewLedger, n int) string {
		t.Helper()
		at := midnight().Add(8 * time.Hour)
		for i, fac := range []string{"08001", "08002"} {
			r := ledgertest.NewRecording(fmt.Sprintf("c%d-%d", n, i), ledgertest.Citizen(n), fac, at.Add(time.Duration(i)*time.Hour))
			if _, err := l.Record(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		return ledgertest.Day(at)
	}
	reviewOf := func(t *testing.T, l ReviewLedger, n int, d string) *verifier.Review {
		t.Helper()
		for _, q := range []verifier.DuplicateQuery{{From: d, To: d}, {From: d, To: d, Citizen: ledgertest.Citizen(n)}, {From: d, To: d, Facility: "08002"}} {
			page, err := l.Duplicates(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 {
				t.Fatalf("query %+v: %d groups, want 1", q, len(page.Items))
			}
			if q.Citizen == "" {
				continue
			}
			return page.Items[0].Review
		}
		return nil
	}

	t.Run("SetAndRead", func(t *testing.T) {
		t.Parallel()
		l := newLedger(t)
		d := group(t, l, 1)
		if r := reviewOf(t, l, 1, d); r != nil {
			t.Fatalf("a new group has review %+v", r)
		}
		at := time.Date(2026, 12, 1, 9, 30, 0, 0, ledgertest.Zone)
		want := verifier.Review{State: verifier.ReviewConfirmed, Note: "Khám trùng ngày: thu hồi", By: "auditor-1", At: at}
		if err := l.SetReview(ctx, ledgertest.Citizen(1), d, want); err != nil {
			t.Fatal(err)
		}
		got := reviewOf(t, l, 1, d)
		if got == nil || got.State != want.State || got.Note != want.Note || got.By != want.By || !got.At.Equal(want.At) {
			t.Fatalf("review %+v, want %+v", got, want)
		}
		want.State, want.Note = verifier.ReviewDismissed, "chuyển tuyến"
		if err := l.SetReview(ctx, ledgertest.Citizen(1), d, want); err != nil {
			t.Fatal(err)
		}
		if got := reviewOf(t, l, 1, d); got == nil || got.State != verifier.ReviewDismissed || got.Note != "chuyển tuyến" {
			t.Fatalf("after a second review: %+v", got)
		}
	})
	t.Run("StaysWhenGroupGrows", func(t *testing.T) {
		t.Parallel()
		l := newLedger(t)
		d := group(t, l, 2)
		if err := l.SetReview(ctx, ledgertest.Citizen(2), d, verifier.Review{State: verifier.ReviewConfirmed, By: "a", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		r := ledgertest.NewRecording("c2-3", ledgertest.Citizen(2), "08003", midnight().Add(11*time.Hour))
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got := reviewOf(t, l, 2, d); got == nil || got.State != verifier.ReviewConfirmed {
			t.Fatalf("review after the group grew: %+v", got)
		}
	})
	t.Run("NoGroup", func(t *testing.T) {
		t.Parallel()
		l := newLedger(t)
		r := ledgertest.NewRecording("solo", ledgertest.Citizen(3), "08001", midnight().Add(8*time.Hour))
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
		err := l.SetReview(ctx, ledgertest.Citizen(3), ledgertest.Day(r.Visit.At), verifier.Review{State: verifier.ReviewOpen, By: "a", At: time.Now()})
		if verifier.KindOf(err) != verifier.KindNotFound {
			t.Fatalf("review of a day without a group: %v, want not found", err)
		}
		if err := l.SetReview(ctx, ledgertest.Citizen(3), "bad", verifier.Review{State: verifier.ReviewOpen}); err == nil {
			t.Fatal("a bad day was accepted")
		}
	})
}
