package kiosk

import (
	"bytes"
	"fmt"
	"testing"
)

// FuzzOpenAnswer: whatever a store hands back (damaged, truncated, sealed
// under another key or scope), opening it never panics, and only what was
// sealed for that scope opens, to exactly what was sealed.
func FuzzOpenAnswer(f *testing.F) {
	secret := []byte("secret")
	good := sealAnswer(secret, "k\x00idem", answer{Status: 200, Fingerprint: [16]byte{1}, Body: []byte(`{"ok":true}`)})
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
	b := sealAnswer([]byte("s"), "key", a)
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

// batchAnswerLike is a 500-item batch answer's shape (about 430 KB).
func batchAnswerLike() []byte {
	var b bytes.Buffer
	b.WriteString(`{"results":[`)
	for i := range 500 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"index":%d,"status":200,"result":{"checkin_id":"%016x","repeat":false,"citizen":{"id":"0%011d","full_name":"Nguyễn Thị Thu Hà %d","dob":"19%02d-0%d-1%d","gender":"female","address":"Số %d, Phường %d, Quận %d, Hà Nội"},"identity":{"verified":false,"source":"manual","mismatches":[],"warnings":[]},"eligibility":{"status":"eligible","code":"000","message":"Thông tin thẻ chính xác","message_en":"card data correct","card_no":"GD4%012d","benefit_level":4,"coverage_percent":80,"route":"self_referred","valid_from":"2026-01-01","registered_facility":"01%03d","social_insurance_no":"%010d"},"visit":{"facility":"08001","facility_name":"Bệnh viện Đa khoa tỉnh Tuyên Quang","visit_type":"outpatient","at":"2026-12-07T07:%02d:%02d+07:00","day":"2026-12-07","ticket":%d},"duplicate":{"flagged":false,"others":[]},"dedupe":"ok"}}`,
			i, uint64(i)*0x9e3779b97f4a7c15, 8095000000+i*7919, i, 40+i%50, 1+i%9, i%10, i*13%200, i%30, 1+i%12, i*104729, i%400, i*7, i%60, i*7%60, i+1)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkSealBatchAnswer: what keeping a full batch's answer costs.
func BenchmarkSealBatchAnswer(b *testing.B) {
	body := batchAnswerLike()
	var n int
	for b.Loop() {
		n = len(sealAnswer([]byte("s"), "k", answer{Status: 200, Body: body}))
	}
	b.ReportMetric(float64(len(body)), "answer-bytes")
	b.ReportMetric(float64(n), "stored-bytes")
}
