package recordjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// slowUnmarshal is Unmarshal without the scan: json.Unmarshal, then
// extraMembers, as recordjson did before scanExtras.
func slowUnmarshal[T Record](b []byte, r *T) error {
	if err := json.Unmarshal(b, r); err != nil {
		return fieldError(b, r, err)
	}
	extra, known, _ := parts(r)
	var err error
	*extra, err = extraMembers(b, known)
	return err
}

// sameAsSlow checks that Unmarshal gives what slowUnmarshal gives for the
// line, record, Extra and error alike, and reports whether the scan
// answered (rather than falling back to extraMembers), which it must for
// every accepted line but null.
//
// Records are decoded into what a previous line left (encoding/json merges
// into it) when prev is not "".
func sameAsSlow[T Record](t *testing.T, prev, line string) (scanned bool) {
	t.Helper()
	var fast, slow T
	if prev != "" {
		slowUnmarshal([]byte(prev), &fast)
		slowUnmarshal([]byte(prev), &slow)
	}
	errFast := Unmarshal([]byte(line), &fast)
	errSlow := slowUnmarshal([]byte(line), &slow)
	if (errFast == nil) != (errSlow == nil) || errFast != nil && errFast.Error() != errSlow.Error() {
		t.Fatalf("%q: err %v, want %v", line, errFast, errSlow)
	}
	if !reflect.DeepEqual(fast, slow) {
		if prev != "" {
			t.Logf("decoded after %q", prev)
		}
		fx, _, _ := parts(&fast)
		sx, _, _ := parts(&slow)
		t.Fatalf("%q:\n got %+v (extra %s)\nwant %+v (extra %s)", line, fast, *fx, slow, *sx)
	}
	if errSlow != nil {
		return false
	}
	_, _, set := parts(&slow)
	_, scanned = scanExtras([]byte(line), set)
	if !scanned && strings.TrimSpace(line) != "null" {
		t.Errorf("%q: the scan left an object to extraMembers", line)
	}
	return scanned
}

// Lines decoded before another, into the same record.
const (
	prevCitizen  = `{"id":"008095001234","old_id":"070123456","full_name":"A","dob":"1995-03-14","gender":"female","permanent_address":"x","household_id":"h","relationship_to_head":"r","deceased_on":"2020","cancelled_ids":["008095001235","008095001236"],"phone":"1"}`
	prevCard     = `{"card_no":"0812345678","citizen_id":"008095001234","full_name":"A","dob":"1995","gender":"male","benefit_level":4,"object_code":"DN","registered_facility":"08001","valid_from":"2026-01-01","valid_to":"2026-12-31","five_years_since":"2020","status":"reduced","reduced_reason":"stopped","replaced_by":"x","social_insurance_no":"1234567890","area_code":"K1","insurer_office":"o","x":1}`
	prevFacility = `{"code":"08001","name":"BV","province":"08","level":"provincial","departments":[{"code":"K1","name":"Khoa 1"},{"code":"K2","name":"Khoa 2"}],"x":1}`
)

var extraLines = []string{
	`{"id":"008095001234","full_name":"Nguyễn Văn An","dob":"1995","gender":"male","permanent_address":"x"}`,
	`{"id":"008095001234","ethnicity":"Kinh","nationality":"Việt Nam","phone":"0912345678","religion":"Không"}`,
	` { "religion" : "Không" , "id" : "008095001234" , "ethnicity":"Kinh" } `,
	"{\t\"z\":1,\n\"a\":2\r}",
	`{"zeta":1,"id":"008095001234","alpha":{"b":[1,2]},"zeta":2,"ID":"008095001235","name":"BV <A&B>"}`,
	`{"a":{"x" : [ 1 , "]" , {"}":"\""} ] },"b":[ ],"c":{ },"d":null,"e":true,"f":false,"g":-1.5e+3}`,
	`{"n\u0061me":1,"name":2}`,
	`{"name":2,"n\u0061me":1}`,
	`{"\u0069d":"008095001234"}`,
	`{"id":"008095001234","\u0069d":"008095001235"}`,
	`{"id":"008095001234","full_name":null,"dob":null,"gender":null,"x":null}`,
	`{"id":"008095001234","cancelled_ids":["008095001235"],"deceased_on":"2020"}`,
	`{"sep":"\u2028\u2029","raw":" "}`,
	`{"html":"<&>","k<&>":1,"a\"b":2,"t\tab":3,"e\u00e9":4}`,
	"{\"bad\xffname\":1,\"bad\xfevalue\":\"\xff\"}",
	"{\"\xe2\x80\xa8\":\"\xe2\x80\xa8\"}",
	`{"":1,"/":"\/","u":"\ud800"}`,
	`{"arr":[ {"a" : 1}, [ ] ]}`,
	`{}`,
	` {} `,
	`null`,
	` null `,
	`[]`,
	`"x"`,
	`1`,
	`{"id":"008095001234"} {}`,
	`{"id":"008095001234",}`,
	`{"id":42}`,
	`{"full_name":42}`,
	`{"dob":"1995-13-40"}`,
	`{"gender":"nam"}`,
	`{"id":"123"}`,
	`{"benefit_level":"4"}`,
	`{"benefit_level":4.5,"x":1}`,
	`{"departments":[{"code":"K1","name":"Khoa"}],"code":"08001","extra":[1]}`,
	`{"departments":{"code":"K1"}}`,
	`{"FULL_NAME":"A","full_name":"B","Full_Name":"C"}`,
	`{"full_name":"B","FULL_NAME":"A"}`,
	`{"ﬁeld":1,"full_ſame":2,"K1":3,"ſtatus":"active","fullname":"x","full-name":"y"}`,
	`{"departments":[{"code":"K3"}],"cancelled_ids":["008095001237"],"valid_to":null,"benefit_level":null}`,
	`{"departments":[],"cancelled_ids":[]}`,
	`{"departments":null,"cancelled_ids":null}`,
	`{"benefit_level":1e1,"x":1}`,
	`{"benefit_level":-0}`,
	`{"benefit_level":99999999999999999999}`,
	`{"id":"00809500123\u0034"}`,
	`{"gender":"\u006dale"}`,
	`{"departments":[{"code":"K1","name":"a","code":"K2","CODE":"K3"}]}`,
	"{\"full_name\":\"\xff\xfe\"}",
	`{"full_name":"\ud800\udc00\ud800"}`,
	`{"id":"008095001234"}garbage`,
	`{"id":"008095001234"`,
	`{"a":1 "b":2}`,
	`{"a":01}`,
	`{"a":1.}`,
	`{"a":tru}`,
	"{\"a\":\"\x01\"}",
	`{"a":[1,]}`,
	`{"x":"a\\","y":"b\\\"c\\\\","z\\":"\\\\\"","\"":1,"q\"\\":{"\\":"\""}}`,
	`{"id":"008095001234","full_name":"\\","x\\\\":"\"\\"}`,
}

// sameAsSlowAll checks line as each record type, alone and after a line
// of its type.
func sameAsSlowAll(t *testing.T, line string) {
	t.Helper()
	sameAsSlow[verifier.Citizen](t, "", line)
	sameAsSlow[verifier.Card](t, "", line)
	sameAsSlow[verifier.Facility](t, "", line)
	sameAsSlow[verifier.Citizen](t, prevCitizen, line)
	sameAsSlow[verifier.Card](t, prevCard, line)
	sameAsSlow[verifier.Facility](t, prevFacility, line)
}

// The scan gives what extraMembers gives, on lines with and without extra
// members, escapes, white space, repeats, nulls, wrong types and invalid
// UTF-8, for every record type.
func TestScanExtrasMatchesExtraMembers(t *testing.T) {
	for _, line := range extraLines {
		sameAsSlowAll(t, line)
	}
	// The usual line is answered by the scan.
	var c verifier.Citizen
	line := []byte(extraLines[1])
	if err := Unmarshal(line, &c); err != nil {
		t.Fatal(err)
	}
	if x, ok := scanExtras(line, citizenSet); !ok || !bytes.Equal(x, c.Extra) || string(x) != `{"ethnicity":"Kinh","nationality":"Việt Nam","phone":"0912345678","religion":"Không"}` {
		t.Errorf("scanExtras = %s, %v", x, ok)
	}
	if x, ok := scanExtras([]byte(extraLines[0]), citizenSet); !ok || x != nil {
		t.Errorf("no extras: scanExtras = %s, %v", x, ok)
	}
}

// A line with only known members allocates nothing beyond json.Unmarshal's
// own allocations: the scan allocates nothing.
func TestScanExtrasAllocs(t *testing.T) {
	line := []byte(extraLines[0])
	if n := testing.AllocsPerRun(100, func() { scanExtras(line, citizenSet) }); n != 0 {
		t.Errorf("scanExtras of a line without extras: %v allocations", n)
	}
	line = []byte(extraLines[1])
	if n := testing.AllocsPerRun(100, func() { scanExtras(line, citizenSet) }); n != 1 {
		t.Errorf("scanExtras of a line with extras: %v allocations, want 1", n)
	}
}

func FuzzScanExtras(f *testing.F) {
	for _, line := range extraLines {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		sameAsSlowAll(t, line)
	})
}
