package kiosk

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The bodies kiosks, kioskctl and kioskbench send must take the quick path:
// otherwise the equivalence tests below pass while the path is never used.
func TestCheckinBodyQuickPathTaken(t *testing.T) {
	for _, body := range []string{
		`{"scan":"008095000001||Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình|15082021","facility":"08001","kiosk":"k1"}`,
		`{"citizen_id":"008095000001","facility":"08001","visit_type":"emergency","scanned_at":"2026-01-01T00:00:00+07:00"}`,
		` { "card_no" : "DN4010123456789" , "scan" : null }` + "\n",
		`{}`,
	} {
		var got checkinBody
		if !got.decodeQuick([]byte(body)) {
			t.Errorf("%s: not taken", body)
			continue
		}
		var want checkinBody
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n quick %+v\n  json %+v", body, got, want)
		}
	}
}

// Bodies the quick path must leave to encoding/json, untouched.
func TestCheckinBodyQuickPathDeclines(t *testing.T) {
	for _, body := range []string{
		``, `{`, `{}x`, `[]`, `{"KIOSK":"k"}`, `{"unknown":"x"}`, `{"scan":"a\"b"}`, `{"scan":"\u0041"}`,
		"{\"scan\":\"a\x01\"}", "{\"scan\":\"\xff\"}", `{"scan":12}`, `{"scan":"a",}`, `{"scan":"a"}{}`, `{"scan" "a"}`,
		`{"scan":nul}`, `{"scan":nullx}`, `{"scan":"a"`, `{"scan":"a" "kiosk":"b"}`,
	} {
		v := checkinBody{Kiosk: "before"}
		if v.decodeQuick([]byte(body)) {
			t.Errorf("%q: taken", body)
		}
		if !reflect.DeepEqual(v, checkinBody{Kiosk: "before"}) {
			t.Errorf("%q: dst changed to %+v", body, v)
		}
	}
}

// Whatever the quick path takes, json.Unmarshal decodes the same, into a
// zero body as the handler's.
func FuzzCheckinBodyQuick(f *testing.F) {
	for _, s := range sampleBodies {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"scan":null,"scan":"x","facility":"a","facility":null,"card_no":"c","card_no":null}`))
	f.Add([]byte(`{"kiosk":"Trạm 1","visit_type":"","scanned_at":"t","citizen_id":"1"}`))
	f.Add([]byte(`{"citizen_id":"1","visit_type":"referral","referral_no":"125/GCT","department":"NOI","priority":["pregnant", "disability"]}`))
	f.Add([]byte(`{"priority":[],"priority":null,"priority":[ "a" ],"department":null}`))
	f.Add([]byte(`{"priority":"a,b"}`))
	f.Add([]byte(`{"priority":["a",]}`))
	f.Add([]byte(`{"priority":[null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got checkinBody
		if !got.decodeQuick(b) {
			if !reflect.DeepEqual(got, checkinBody{}) {
				t.Fatalf("%q: declined but changed dst to %+v", b, got)
			}
			return
		}
		var want checkinBody
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%q: quick path took a body json.Unmarshal refuses: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n quick %+v\n  json %+v", b, got, want)
		}
	})
}
