// Package lookuptest is the conformance suite of verifier.LookupLog: every
// implementation (in process, Redis) runs it, so that they cannot drift.
package lookuptest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Run runs the suite. open returns an empty log; each subtest opens its own.
func Run(t *testing.T, open func(t *testing.T) verifier.LookupLog) {
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 1, 30, 0, 123456789, time.UTC) // 08:30 in Vietnam
	far := time.Now().Add(24 * time.Hour)
	const id, other = verifier.CitizenID("008095001234"), verifier.CitizenID("008188004321")

	t.Run("EmptyDay", func(t *testing.T) {
		l := open(t)
		got, err := l.Lookups(ctx, id, "2026-11-28")
		if err != nil || len(got) != 0 {
			t.Fatalf("Lookups of a day never written = %v, %v; want none", got, err)
		}
	})

	t.Run("KeepsEveryFieldInOrder", func(t *testing.T) {
		l := open(t)
		want := []verifier.Lookup{
			{Facility: "08001", User: "08001_BV", At: at, Code: "000", Staff: "3f2a9c0d1e5b4a7f8c6d2e1b0a9f8e7d"},
			{Facility: "08002", User: "08002_HIS", At: at.Add(time.Minute), Code: "060"},
			{Facility: "08001", User: "08001_BV", At: at.Add(2 * time.Minute), Code: "121", Staff: "aa"},
		}
		for _, lk := range want {
			if err := l.AddLookup(ctx, id, "2026-11-28", lk, far); err != nil {
				t.Fatal(err)
			}
		}
		got, err := l.Lookups(ctx, id, "2026-11-28")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("Lookups = %d entries, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if !got[i].At.Equal(want[i].At) || got[i].Facility != want[i].Facility || got[i].User != want[i].User || got[i].Code != want[i].Code || got[i].Staff != want[i].Staff {
				t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	})

	t.Run("DaysAndHoldersApart", func(t *testing.T) {
		l := open(t)
		lk := verifier.Lookup{Facility: "08001", User: "08001_BV", At: at, Code: "000"}
		for _, w := range []struct {
			id  verifier.CitizenID
			day string
		}{{id, "2026-11-28"}, {id, "2026-11-29"}, {other, "2026-11-28"}} {
			if err := l.AddLookup(ctx, w.id, w.day, lk, far); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []struct {
			id  verifier.CitizenID
			day string
		}{{id, "2026-11-28"}, {id, "2026-11-29"}, {other, "2026-11-28"}} {
			if got, err := l.Lookups(ctx, q.id, q.day); err != nil || len(got) != 1 {
				t.Errorf("Lookups(%s, %s) = %v, %v; want one entry", q.id, q.day, got, err)
			}
		}
		if got, _ := l.Lookups(ctx, other, "2026-11-29"); len(got) != 0 {
			t.Errorf("a holder's day nobody checked: %v", got)
		}
	})

	t.Run("Expires", func(t *testing.T) {
		l := open(t)
		lk := verifier.Lookup{Facility: "08001", User: "08001_BV", At: at, Code: "000"}
		if err := l.AddLookup(ctx, id, "2026-11-28", lk, time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, err := l.Lookups(ctx, id, "2026-11-28"); err != nil || len(got) != 0 {
			t.Errorf("an expired day = %v, %v; want forgotten", got, err)
		}
	})

	t.Run("Bounded", func(t *testing.T) {
		l := open(t)
		n := verifier.MaxLookupsPerDay + 20
		for i := range n {
			lk := verifier.Lookup{Facility: "08001", User: "08001_BV", At: at.Add(time.Duration(i) * time.Second), Code: "000"}
			if err := l.AddLookup(ctx, id, "2026-11-28", lk, far); err != nil {
				t.Fatal(err)
			}
		}
		got, err := l.Lookups(ctx, id, "2026-11-28")
		if err != nil || len(got) != verifier.MaxLookupsPerDay {
			t.Fatalf("after %d look-ups: %d kept, %v; want the newest %d", n, len(got), err, verifier.MaxLookupsPerDay)
		}
		if first := at.Add(20 * time.Second); !got[0].At.Equal(first) || !got[len(got)-1].At.Equal(at.Add(time.Duration(n-1)*time.Second)) {
			t.Errorf("kept %s … %s, want the newest from %s", got[0].At, got[len(got)-1].At, first)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		l := open(t)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 10 {
					lk := verifier.Lookup{Facility: fmt.Sprintf("0800%d", w), User: "u", At: at.Add(time.Duration(w*10+i) * time.Millisecond), Code: "000"}
					if err := l.AddLookup(ctx, id, "2026-11-28", lk, far); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		got, err := l.Lookups(ctx, id, "2026-11-28")
		if err != nil || len(got) != 80 {
			t.Fatalf("80 concurrent look-ups: %d kept, %v", len(got), err)
		}
		facs := map[string]int{}
		for _, g := range got {
			facs[g.Facility]++
		}
		if len(facs) != 8 {
			t.Errorf("look-ups by facility: %v, want 10 of each of 8", facs)
		}
		for f, n := range facs {
			if n != 10 {
				t.Errorf("facility %s: %d look-ups, want 10", f, n)
			}
		}
	})
}
