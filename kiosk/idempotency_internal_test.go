package kiosk

import (
	"bytes"
	"testing"
)

// FuzzOpenAnswer: whatever a store hands back (damaged, truncated, sealed
// under another key or scope), opening it never panics, and only what was
// sealed for that scope opens, to exactly what was sealed.
func FuzzOpenAnswer(f *testing.F) {
	secret := []byte("secret")
	good, _ := sealAnswer(secret, "k\x00idem", answer{Status: 200, Fingerprint: [16]byte{1}, Body: []byte(`{"ok":true}`)})
	f.Add(good, "k\x00idem")
	f.Add(good, "k\x00other")
	f.Add([]byte("pending"), "k\x00idem")
	f.Add([]byte{1}, "")
	f.Fuzz(func(t *testing.T, b []byte, scope string) {
		a, err := openAnswer(secret, scope, b)
		if err != nil {
			return
		}
		// Only a seal made for this scope opens (the seed's, sealed anew
		// in each fuzzing process): nothing the fuzzer forged.
		if scope != "k\x00idem" {
			t.Fatalf("opened under scope %q: %+v", scope, a)
		}
		if a.Status != 200 || string(a.Body) != `{"ok":true}` || a.Fingerprint != [16]byte{1} {
			t.Fatalf("opened to %+v", a)
		}
	})
}

func TestSealRoundTrip(t *testing.T) {
	body := bytes.Repeat([]byte(`{"citizen":{"full_name":"Nguyễn Văn An"}},`), 1000)
	a := answer{Status: 422, Fingerprint: [16]byte{9, 8, 7}, Body: body}
	b, err := sealAnswer([]byte("s"), "key", a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := openAnswer([]byte("s"), "key", b)
	if err != nil || got.Status != 422 || got.Fingerprint != a.Fingerprint || !bytes.Equal(got.Body, body) {
		t.Fatalf("round trip: %v %d", err, got.Status)
	}
	if _, err := openAnswer([]byte("other secret"), "key", b); err == nil {
		t.Error("opened under another secret")
	}
	b[len(b)-1] ^= 1
	if _, err := openAnswer([]byte("s"), "key", b); err == nil {
		t.Error("a damaged answer opened")
	}
}
