package verifier

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// Date.String is written by hand for speed; it must say what the fmt form
// it replaced said, for every kind of date, odd ones included.
func TestDateStringAsFmt(t *testing.T) {
	want := func(d Date) string {
		switch {
		case d.Year == 0:
			return ""
		case d.Month == 0:
			return fmt.Sprintf("%04d", d.Year)
		case d.Day == 0:
			return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
		}
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
	for _, y := range []int{0, 1, 7, 42, 999, 1965, 2026, 9999, 10000, 123456, -1, -5, -2026} {
		for _, m := range []int{0, 1, 9, 10, 12, 13, -3} {
			for _, d := range []int{0, 1, 9, 10, 31, 100, -1} {
				dt := Date{y, m, d}
				if got, w := dt.String(), want(dt); got != w {
					t.Errorf("%#v.String() = %q, want %q", dt, got, w)
				}
			}
		}
	}
}

// A Pseudonymizer gives the same pseudonyms as CitizenID.Pseudonym, also
// when its pooled HMAC states are used from many goroutines at once.
func TestPseudonymizerAsPseudonym(t *testing.T) {
	key := []byte("a key of the deployment")
	p := NewPseudonymizer(key)
	ids := []CitizenID{"001099012345", "079203000001", "034074141233", "082165187661"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := ids[(g+i)%len(ids)]
				if got, want := p.Of(id), id.Pseudonym(key); got != want {
					t.Errorf("Of(%s) = %s, Pseudonym = %s", id.Masked(), got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	if p.Of(ids[0]) == NewPseudonymizer([]byte("another key")).Of(ids[0]) {
		t.Error("two keys gave one pseudonym")
	}
}

func TestSameNameFastPathAgrees(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"Lê Thị Lan Nhung", "Lê Thị Lan Nhung", true},
		{"Lê Thị Lan Nhung", "LÊ THỊ LAN NHUNG", true},
		{"Le\u0302 Thi\u0323 Lan", "Lê Thị Lan", true},
		{"Lê  Thị", "Lê Thị", true},
		{"Le Thi Lan", "Lê Thị Lan", false},
		{"", "", true},
	} {
		if got := SameName(c.a, c.b); got != c.same {
			t.Errorf("SameName(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

// daysIn counts as time.Date does, leap years included.
func TestDaysInAsTime(t *testing.T) {
	for y := 1; y <= 9999; y++ {
		for m := 1; m <= 12; m++ {
			if got, want := daysIn(y, m), time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("daysIn(%d, %d) = %d, time says %d", y, m, got, want)
			}
		}
	}
}
