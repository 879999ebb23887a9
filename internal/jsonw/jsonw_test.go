package jsonw

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var samples = []string{
	"", "plain", "Lê Thị Lan Nhung", `quote " and backslash \`, "<script>&</script>",
	"tab\tnew\nline\rret\bbs\fff", "\x00\x01\x1f\x7f", "line\u2028para\u2029", "bad \xff\xfe utf8 \xc3",
	"Số 175, đường Nguyễn Thị Minh Khai", "emoji 😀", "\xe2\x80", "a\u00a0b",
}

func FuzzString(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := String(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("String(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func TestTimeAsMarshalJSON(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	for _, tm := range []time.Time{
		time.Date(2026, 11, 28, 7, 30, 0, 0, hcm),
		time.Date(2026, 11, 28, 23, 59, 59, 999999999, hcm),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		{},
	} {
		want, err := json.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Time(nil, tm)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("Time(%v) = %s, %v; encoding/json writes %s", tm, got, ok, want)
		}
	}
	if _, ok := Time(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
		t.Error("a year past 9999 was written; encoding/json refuses it")
	}
}

func TestIntBool(t *testing.T) {
	if got := string(Bool(Int(nil, -42), true)); got != "-42true" {
		t.Errorf("got %s", got)
	}
}
