package inmem

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
)

func writeDir(t *testing.T, pop, ins, fac string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{PopulationFile: pop, InsuranceFile: ins, FacilitiesFile: fac} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	goodFac = `{"code":"08001","name":"BV","province":"08","level":"provincial"}` + "\n"
	goodPop = `{"id":"008095001234","old_id":"","full_name":"Nguyễn Văn An","dob":"1995","gender":"male","permanent_address":"x","phone":"0912"}` + "\n"
	goodIns = `{"card_no":"0812345678","citizen_id":"008095001234","full_name":"Nguyễn Văn An","dob":"1995","gender":"male","benefit_level":4,"registered_facility":"08001","valid_from":"2026-01-01","valid_to":""}` + "\n"
)

func TestLoadDir(t *testing.T) {
	dir := writeDir(t, "\n"+goodPop+"\n  \n", goodIns, goodFac)
	r, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c, k, f := r.Counts(); c != 1 || k != 1 || f != 1 {
		t.Fatalf("counts %d %d %d", c, k, f)
	}
	c, err := r.Citizen(context.Background(), "008095001234")
	if err != nil || c.FullName != "Nguyễn Văn An" || string(c.Extra) != `{"phone":"0912"}` {
		t.Errorf("citizen %+v (extra %s), %v", c, c.Extra, err)
	}
	cards, _ := r.CardsOf(context.Background(), "008095001234")
	if len(cards) != 1 || !cards[0].ValidTo.IsZero() {
		t.Errorf("cards %+v", cards)
	}
	if _, err := r.Citizen(context.Background(), "008095009999"); verifier.KindOf(err) != verifier.KindNotFound {
		t.Errorf("unknown citizen: %v", err)
	}
}

func TestLoadDirRefusesBadFiles(t *testing.T) {
	secret := "Nguyễn Văn Bí Mật"
	tests := []struct {
		name      string
		pop, ins  string
		fac       string
		wantInErr string
	}{
		{"bad JSON", goodPop + `{"id":"008095001235","full_name":"` + secret + `",` + "\n", goodIns, goodFac, "population.jsonl:2"},
		{"bad id", "\n\n" + `{"id":"12345","full_name":"` + secret + `"}` + "\n", goodIns, goodFac, "population.jsonl:3"},
		{"wrong type", `{"id":"008095001234","full_name":42}` + "\n", goodIns, goodFac, `population.jsonl:1: field "full_name"`},
		{"bad gender", `{"id":"008095001234","gender":"` + secret + `"}` + "\n", goodIns, goodFac, "population.jsonl:1"},
		{"missing id", `{"full_name":"` + secret + `"}` + "\n", goodIns, goodFac, `population.jsonl:1: field "id" is required`},
		{"duplicate id", goodPop + goodPop, goodIns, goodFac, "duplicate citizen id 008*******34"},
		{"bad level", goodPop, strings.Replace(goodIns, `"benefit_level":4`, `"benefit_level":9`, 1), goodFac, "insurance.jsonl:1"},
		{"bad facility", goodPop, goodIns, `{"code":"08","level":"provincial"}` + "\n", "facilities.jsonl:1"},
		{"bad status", goodPop, strings.Replace(goodIns, `"valid_to":""`, `"status":"gone"`, 1), goodFac, "insurance.jsonl:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDir(writeDir(t, tt.pop, tt.ins, tt.fac))
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantInErr)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "008095001234") {
				t.Errorf("the error quotes personal data: %v", err)
			}
		})
	}
	if _, err := LoadDir(t.TempDir()); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing files: %v", err)
	}
}

// The generator's files load back to the same records.
func TestLoadGeneratedDir(t *testing.T) {
	dir := t.TempDir()
	opt := demodata.Options{N: 3000, Seed: 7, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}}
	if err := demodata.WriteDir(dir, opt); err != nil {
		t.Fatal(err)
	}
	r, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	set := demodata.Generate(opt)
	if c, k, f := r.Counts(); c != len(set.Citizens) || k != len(set.Cards) || f != len(set.Facilities) {
		t.Fatalf("loaded %d/%d/%d, generated %d/%d/%d", c, k, f, len(set.Citizens), len(set.Cards), len(set.Facilities))
	}
	for i := 0; i < len(set.Citizens); i += 97 {
		want := set.Citizens[i]
		got, err := r.Citizen(context.Background(), want.ID)
		if err != nil || got.FullName != want.FullName || got.DOB != want.DOB || string(got.Extra) != string(want.Extra) {
			t.Errorf("citizen %d: got %+v, want %+v", i, got, want)
		}
	}
}

func BenchmarkLoadDir100k(b *testing.B) {
	dir := b.TempDir()
	if err := demodata.WriteDir(dir, demodata.Options{N: 100_000, Seed: 1, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadBigDir loads the data directory named by $INMEM_BIG_DIR (e.g. a
// kioskctl gen set of a million citizens) and reports the load time and
// the heap the registry holds.
func TestLoadBigDir(t *testing.T) {
	dir := os.Getenv("INMEM_BIG_DIR")
	if dir == "" {
		t.Skip("INMEM_BIG_DIR not set")
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	r, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	c, k, f := r.Counts()
	t.Logf("%d citizens, %d cards, %d facilities in %v; heap in use %.0f MB (registry %.0f MB), odd %d/%d, orphans %d",
		c, k, f, took.Round(time.Millisecond), float64(after.HeapInuse)/1e6, float64(after.HeapInuse-before.HeapInuse)/1e6,
		len(r.oddCit), len(r.oddCard), len(r.orphans))
	runtime.KeepAlive(r)
}

// Errors about dates name the field (or say a date field) without quoting
// the value; duplicates name the line.
func TestLoadDirErrorsQuoteNoData(t *testing.T) {
	tests := []struct {
		name, pop, ins, want, secret string
	}{
		{"bad dob", `{"id":"008095001234","dob":"1995-13-31"}` + "\n", goodIns, `population.jsonl:1: field "dob": not a date`, "1995-13-31"},
		{"bad dob, escapes in the line", `{"id":"008095001234","full_name":"a\"b","dob":"1995-13-31"}` + "\n", goodIns, `population.jsonl:1: field "dob": not a date`, "1995-13-31"},
		{"bad valid_to", goodPop, strings.Replace(goodIns, `"valid_to":""`, `"valid_to":"2027-02-30"`, 1), `insurance.jsonl:1: field "valid_to": not a date`, "2027-02-30"},
		{"duplicate id", goodPop + "\n" + goodPop, goodIns, `population.jsonl:3: duplicate citizen id 008*******34`, "008095001234"},
		{"duplicate card", goodPop, goodIns + goodIns, `insurance.jsonl:2: duplicate card_no 08123***78`, "0812345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDir(writeDir(t, tt.pop, tt.ins, goodFac))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("the error quotes %q: %v", tt.secret, err)
			}
		})
	}
}

// A line longer than the limit fails the load with its line number.
func TestReadChunksLongLine(t *testing.T) {
	long := strings.NewReader("{}\n" + strings.Repeat(" ", maxLine+10) + "x\n")
	err := readChunks(long, "f", 8, func([][]byte, []int) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "f: line 2") {
		t.Errorf("err = %v", err)
	}
}
