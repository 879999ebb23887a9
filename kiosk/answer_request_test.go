package kiosk

// Tests of decodeJSONBody (request.go). The file is named answer_* only
// because of how the work on this package was split between people.

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// Check-in bodies are decoded with json.Unmarshal (decodeJSONBody): every
// body must get the answer the json.Decoder (decodeJSON) gave it.

// chunkReader yields data in the chunks sizes says (cycling), then end: with
// the last bytes (endWithData) or on the next call. It counts what it gave.
type chunkReader struct {
	data        []byte
	sizes       []int
	end         error
	endWithData bool
	i, given    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.end
	}
	n := min(len(p), len(r.data), max(r.sizes[r.i%len(r.sizes)], 1))
	r.i++
	copy(p, r.data[:n])
	r.data = r.data[n:]
	r.given += n
	if len(r.data) == 0 && r.endWithData {
		return n, r.end
	}
	return n, nil
}

type decodeOutcome struct {
	err     error
	dst     any
	tripped bool // the MaxBytesReader was read past its limit (which closes the connection)
}

// decodeBoth decodes body through a MaxBytesReader of limit, as readBody
// does, with decodeJSON (the reference) and decodeJSONBody.
func decodeBoth(body []byte, limit int64, sizes []int, end error, endWithData bool, newDst func() any) (ref, got decodeOutcome) {
	run := func(decode func(io.Reader, any) error) decodeOutcome {
		cr := &chunkReader{data: body, sizes: sizes, end: end, endWithData: endWithData}
		r := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(cr), limit)
		dst := newDst()
		err := decode(r, dst)
		return decodeOutcome{err: err, dst: dst, tripped: int64(cr.given) > limit}
	}
	ref = run(decodeJSON)
	got = run(func(r io.Reader, dst any) error { return decodeJSONBody(r, limit, dst) })
	return ref, got
}

func sameOutcome(tb testing.TB, body []byte, limit int64, ref, got decodeOutcome) {
	tb.Helper()
	// Whether the Decoder trips the limit depends on its read sizes (it
	// asks for 512 bytes and more, so with a body past the limit it often
	// trips where it needed fewer bytes); decodeJSONBody must answer the
	// same and never trip where the Decoder did not.
	if !reflect.DeepEqual(ref.err, got.err) || (ref.err == nil && !reflect.DeepEqual(ref.dst, got.dst)) || got.tripped && !ref.tripped {
		tb.Fatalf("body %q, limit %d:\ndecodeJSONBody: %v %+v tripped=%v\n    decodeJSON: %v %+v tripped=%v",
			body, limit, got.err, got.dst, got.tripped, ref.err, ref.dst, ref.tripped)
	}
}

var bodyDsts = []func() any{
	func() any { return new(checkinBody) },
	func() any { return new(batchBody) },
	func() any { return new(eligibilityBody) },
	func() any { return new(decodeBody) },
}

var sampleBodies = []string{
	``, ` `, "\n\t\r ", `{}`, ` {} `, `{}{}`, `{} {}`, `{}x`, `{} x`, `{}]`, `{}}`, `{} "a"`, `{} 1`, `{} "unterminated`,
	`null`, `true`, `1`, `1 2`, `"s"`, `[]`, `[1,2]`, `{`, `{"`, `{"citizen_id"`, `{"citizen_id":`, `{"citizen_id":"0080`,
	`{"citizen_id":"008095000000"}`, `{"citizen_id":"008095000000","facility":"08001","visit_type":"emergency","scanned_at":"2026-01-01T00:00:00Z","kiosk":"k"}`,
	`{"scan":"0080950000001||Nguyễn Văn An|14031995|Nam|Thôn 3|15082021"}`, `{"scan":"a\u0000\ud800\"<>&"}`,
	`{"scan": 12}`, `{"scan": null}`, `{"citizen_id": ["x"]}`, `{"items":[{"citizen_id":"1"},{"card_no":2}]}`, `{"items":null}`,
	`{"items":[{"facility":{}}]} trailing`, `{"scan": 12} trailing`, `{"scan": 12}}`, `{"unknown": {"deep": [1, 2, {"x": null}]}, "kiosk": "k"}`,
	`{"kiosk": "a", "kiosk": "b"}`, `{"KIOSK": "case"}`, `{"kiosk": 1e400}`, `{"kiosk": -}`, `{"kiosk": tru}`, `{"kiosk": "\x01"}`,
	"\xef\xbb\xbf{}", "\xff\xfe", `{"a":1,}`, `[` + strings.Repeat(`[`, 10010) + `]`, strings.Repeat(" ", 3000) + `{"kiosk":"late"}`,
	`{"scan":"` + strings.Repeat("x", 5000) + `"}`, `{"scan":"` + strings.Repeat("x", 5000) + `"}` + strings.Repeat(" ", 2000),
}

func TestDecodeJSONBodyAsDecoder(t *testing.T) {
	ends := []error{io.EOF, io.ErrUnexpectedEOF, errors.New("connection reset")}
	chunkings := [][]int{{1 << 20}, {1}, {7, 1, 300}, {512}, {3, 4096}}
	for _, body := range sampleBodies {
		limits := []int64{0, 1, 2, 16, 64, 1 << 10, 64 << 10}
		for d := -2; d <= 2; d++ {
			limits = append(limits, int64(len(body)+d))
		}
		for _, limit := range limits {
			for _, sizes := range chunkings {
				if sizes[0] == 1 && len(body) > 1000 {
					continue // byte by byte through a long body: slow, and covered by short ones
				}
				for _, end := range ends {
					for _, withData := range []bool{false, true} {
						for _, newDst := range bodyDsts {
							ref, got := decodeBoth([]byte(body), limit, sizes, end, withData, newDst)
							sameOutcome(t, []byte(body), limit, ref, got)
						}
					}
				}
			}
		}
	}
}

// Random bodies built from JSON-ish pieces, so that most are near-valid.
func TestDecodeJSONBodyRandom(t *testing.T) {
	pieces := []string{`{`, `}`, `[`, `]`, `"`, `:`, `,`, ` `, `"scan"`, `"citizen_id"`, `"items"`, `"kiosk"`, `1`, `-2.5e3`,
		`null`, `true`, `"x"`, `"\u00e9"`, `\`, "\xff", `{"card_no":"1"}`, `"facility":`, `"scan":"a"`}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var sb strings.Builder
		if rng.IntN(2) == 0 {
			sb.WriteString(`{"citizen_id":"008095000000"`)
		}
		for range rng.IntN(12) {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		body := []byte(sb.String())
		limit := int64(rng.IntN(len(body) + 3))
		if rng.IntN(2) == 0 {
			limit = 64 << 10
		}
		ref, got := decodeBoth(body, limit, []int{1 + rng.IntN(20)}, io.EOF, rng.IntN(2) == 0, bodyDsts[rng.IntN(len(bodyDsts))])
		sameOutcome(t, body, limit, ref, got)
	}
}

func FuzzDecodeJSONBody(f *testing.F) {
	for _, b := range sampleBodies {
		if len(b) < 600 {
			f.Add([]byte(b), uint16(64<<10-1), uint8(0), uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, limit uint16, chunk, how uint8) {
		ends := []error{io.EOF, io.ErrUnexpectedEOF}
		ref, got := decodeBoth(body, int64(limit), []int{int(chunk)}, ends[how&1], how&2 != 0, bodyDsts[int(how>>2)%len(bodyDsts)])
		sameOutcome(t, body, int64(limit), ref, got)
	})
}

// BenchmarkDecodeCheckinBody compares the Decoder (decodeJSON) with
// decodeJSONBody (its quick path) on a check-in body as kiosks send it.
func BenchmarkDecodeCheckinBody(b *testing.B) {
	plain := []byte(`{"scan":"008095000001||Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình|15082021","facility":"08001","kiosk":"k1"}`)
	desk := []byte(`{"scan":"008095000001||Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình|15082021","facility":"08001","kiosk":"k1","visit_type":"referral","referral_no":"125/GCT","department":"NOI","priority":["pregnant"]}`)
	w := httptest.NewRecorder()
	for _, bc := range []struct {
		name   string
		body   []byte
		decode func(io.Reader, any) error
	}{
		{"Decoder", plain, decodeJSON},
		{"decodeJSONBody", plain, func(r io.Reader, dst any) error { return decodeJSONBody(r, 64<<10, dst) }},
		{"Decoder/desk", desk, decodeJSON},
		{"decodeJSONBody/desk", desk, func(r io.Reader, dst any) error { return decodeJSONBody(r, 64<<10, dst) }},
	} {
		body := bc.body
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			rd := bytes.NewReader(body)
			for b.Loop() {
				rd.Reset(body)
				var dst checkinBody
				if err := bc.decode(http.MaxBytesReader(w, io.NopCloser(rd), 64<<10), &dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
