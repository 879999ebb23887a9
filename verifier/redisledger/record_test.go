package redisledger

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// decodeRecordJSON is decodeRecord as it was before the hand-written
// parser, encoding/json alone: the reference the fast path is held to. It
// is a copy, not a call of the package's fallback, so that a change there
// cannot make the comparison agree with itself.
func decodeRecordJSON(s string, id verifier.CitizenID, day string) (verifier.Visit, error) {
	var r record
	f := [9]any{&r.CheckinID, &r.Facility, &r.Sec, &r.Nsec, &r.VisitType, &r.Kiosk, &r.Ticket, &r.Code, &r.Desk}
	err := json.Unmarshal([]byte(s), &f)
	if err == nil && (r.CheckinID == "" || r.Facility == "" || r.Sec == 0) {
		err = fmt.Errorf("missing fields")
	}
	if err != nil {
		return verifier.Visit{}, verifier.Wrap(err, verifier.KindInternal, "ledger_corrupt", "a stored visit cannot be read")
	}
	v := verifier.Visit{
		CheckinID: r.CheckinID, CitizenID: id, Facility: r.Facility, VisitType: r.VisitType,
		At: time.Unix(r.Sec, r.Nsec).UTC(), Day: day, Kiosk: r.Kiosk, Ticket: r.Ticket,
		EligibilityCode: r.Code,
	}
	if d := r.Desk; d != nil {
		v.ReferralNo, v.Department, v.Priority, v.Acknowledgement = d.ReferralNo, d.Department, d.Priority, d.Ack
	}
	return v, nil
}

// sampleVisits covers what reaches encodeRecord: ordinary check-ins, and
// strings that need escaping or are not ASCII.
func sampleVisits() []verifier.Visit {
	at := time.Date(2026, 11, 28, 1, 2, 3, 456789, time.UTC)
	base := verifier.Visit{CheckinID: "01JDX5G8ZQ3M7K2N4P6R8T0V1W", CitizenID: "008095001234", Facility: "08001",
		VisitType: verifier.Outpatient, At: at, Day: "2026-11-28", Kiosk: "kiosk-12", Ticket: 12, EligibilityCode: "000"}
	out := []verifier.Visit{base}
	add := func(f func(v *verifier.Visit)) {
		v := base
		f(&v)
		out = append(out, v)
	}
	add(func(v *verifier.Visit) { v.Kiosk = "" })
	add(func(v *verifier.Visit) { v.Department, v.Priority = "NOI", []string{"pregnant", "disability"} })
	add(func(v *verifier.Visit) {
		v.VisitType, v.ReferralNo, v.Department, v.Priority = verifier.Referral, "CT/2026-0815", "K01", []string{"elderly"}
		v.Acknowledgement = &verifier.Acknowledgement{Reason: "other", Note: "bệnh nhân xin khám", By: "desk-1", At: at}
	})
	add(func(v *verifier.Visit) { v.Ticket = 0; v.EligibilityCode = "" })
	add(func(v *verifier.Visit) { v.Kiosk = `desk "1"`; v.VisitType = verifier.Emergency })
	add(func(v *verifier.Visit) { v.Kiosk = "Quầy tiếp đón số 3 – Bệnh viện Chợ Rẫy" })
	add(func(v *verifier.Visit) { v.Kiosk = "<b>&amp;</b>"; v.Facility = "79003" })
	add(func(v *verifier.Visit) { v.Kiosk = `back\slash/slash` + "\t\n\x01\x7f" })
	add(func(v *verifier.Visit) { v.Kiosk = "line\u2028para\u2029 emoji 😀" })
	add(func(v *verifier.Visit) { v.Kiosk = "bad \xff utf8 \xc3" })
	add(func(v *verifier.Visit) { v.CheckinID = "ck<1>&"; v.EligibilityCode = "4001" })
	add(func(v *verifier.Visit) { v.At = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); v.Ticket = 99999 })
	add(func(v *verifier.Visit) {
		v.At = time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC)
		v.VisitType = verifier.Inpatient
	})
	return out
}

func FuzzDecodeRecord(f *testing.F) {
	for _, v := range sampleVisits() {
		f.Add(encodeRecord(v))
	}
	for _, s := range []string{
		// Written by the script's cjson.encode before records were put
		// together in Go: '/' escaped, HTML characters not.
		`["ck1","08001",1764291723,456789,"outpatient","a\/b <&>",3,"000"]`,
		`["ck2","08002",1764291723,5,"outpatient","",3]`, // before the eligibility code
		" [ \"ck3\" ,\t\"08001\"\n,\r1764291723 , 0 , \"referral\" , \"k\" , 1 , \"000\" ] ",
		`["ck4","08001",1764291723,0,null,"k",1,"000"]`,
		`["ck5","08001",1764291723.0,0,"outpatient","k",1,"000"]`,
		`["ck6","08001",1.764291723e9,0,"outpatient","k",1,"000"]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"x":[1]}]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"r":"A-1","p":["elderly"],"a":{"reason":"other","note":"","by":"d","at":"2026-11-28T01:02:03Z"}} ]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"r":"A-1"},5]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"a":{"at":"x"}}]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",null]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"r":"A-1","d":"K","p":[]}]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{ "p" : [ "a" , "b" ] , "p":["c"],"d":"x","d":"y" } ]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"R":"x","D":"y","P":["z"]}]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"p":["a",]}]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"p":"a"}]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{"r":"\u0041"}]`,
		`["ck7","08001",1764291723,0,"outpatient","k",1,"000",{}]`,
		`["ck8","08001",01764291723,0,"outpatient","k",1,"000"]`,
		`["ck9","08001",-0,-5,"outpatient","k",-1,"000"]`,
		`["ck10","08001",9223372036854775807,0,"outpatient","k",9223372036854775808,"000"]`,
		`["ck11","08001",1764291723,0,"outpatient","k",1,"000"]x`,
		`["ck12","08001",1764291723,0,"outpatient","k",1,]`,
		`["ck13","08001",1764291723,0,"outpatient","k",true,"000"]`,
		`["ck\u0031","08001",1764291723,0,"outpatient","k",1,"000"]`,
		"[\"ck\x01\",\"08001\",1764291723,0,\"outpatient\",\"k\",1,\"000\"]",
		"[\"ck\xed\xa0\x80\",\"08001\",1764291723,0,\"outpatient\",\"k\",1,\"000\"]",
		"\ufeff[\"ck\",\"08001\",1764291723,0]",
		`["","08001",1764291723]`,
		`["ck","08001",0]`,
		`["ck","08001",1764291723]`,
		``, ` `, `null`, `{}`, `[]`, `[ ]`, `[`, `]`, `[1,2,3]`, `["ck"]`, `["ck","08001","x"]`, `["ck","08001",1-2]`, `["ck","08001",-]`,
	} {
		f.Add(s)
	}
	const id, day = verifier.CitizenID("008095001234"), "2026-11-28"
	f.Fuzz(func(t *testing.T, s string) {
		got, gotErr := decodeRecord(s, id, day)
		want, wantErr := decodeRecordJSON(s, id, day)
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeRecord(%q) = %+v, %v; encoding/json reads %+v, %v", s, got, gotErr, want, wantErr)
		}
		if gotErr != nil && (verifier.AsError(gotErr).Code != "ledger_corrupt" || gotErr.Error() != wantErr.Error()) {
			t.Fatalf("decodeRecord(%q) error %q, encoding/json's %q", s, gotErr, wantErr)
		}
	})
}

// The fast path must actually take the records this package writes, or
// FuzzDecodeRecord would only compare encoding/json with itself; and it
// must leave escapes to encoding/json.
func TestParseRecordTakesCommonRecords(t *testing.T) {
	for _, v := range sampleVisits() {
		s := encodeRecord(v)
		r, ok := parseRecord(s)
		escaped := false
		for i := range len(s) {
			escaped = escaped || s[i] == '\\'
		}
		if ok == escaped {
			t.Errorf("parseRecord(%s): ok %v, want %v", s, ok, !escaped)
		}
		if ok && (r.CheckinID != v.CheckinID || r.Kiosk != v.Kiosk || r.Sec != v.At.Unix() || r.Nsec != int64(v.At.Nanosecond()) || r.Ticket != v.Ticket || r.Code != v.EligibilityCode) {
			t.Errorf("parseRecord(%s) = %+v", s, r)
		}
	}
}

// marshalRecord and marshalHeader are encodeRecord and the group header as
// they were written, with encoding/json: stored records and group headers must stay byte
// for byte what they were.
func marshalRecord(v verifier.Visit) string {
	rec := []any{v.CheckinID, v.Facility, v.At.Unix(), v.At.Nanosecond(), v.VisitType, v.Kiosk, v.Ticket, v.EligibilityCode}
	if d := deskOf(v); d != nil { // the desk's fields: a ninth element only when set
		rec = append(rec, d)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func marshalHeader(id verifier.CitizenID, name, day string) string {
	b, err := json.Marshal(header{id, name, day})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestEncodeAsJSONMarshal(t *testing.T) {
	for _, v := range sampleVisits() {
		if got, want := encodeRecord(v), marshalRecord(v); got != want {
			t.Errorf("encodeRecord = %s, json.Marshal wrote %s", got, want)
		}
	}
	long := verifier.Visit{CheckinID: string(make([]byte, 300)), Facility: "08001", At: time.Unix(-1, 5), Ticket: -3, Kiosk: "ki\"osk"}
	if got, want := encodeRecord(long), marshalRecord(long); got != want {
		t.Errorf("encodeRecord = %s, json.Marshal wrote %s", got, want)
	}
	for _, h := range []struct {
		id        verifier.CitizenID
		name, day string
	}{
		{"008095001234", "Nguyễn Văn An", "2026-11-28"},
		{"079190000001", `Lê "Tí" <Út> & Bé`, "2026-01-01"},
		{"001", "", ""},
		{"00\x00\xff", "a\\b\u2028c\td 😀 \xc3", "x"},
		{"001234567890", string(make([]byte, 200)), "2026-11-28"},
	} {
		if got, want := string(appendGroupHeader(nil, h.id, h.name, h.day)), marshalHeader(h.id, h.name, h.day); got != want {
			t.Errorf("appendGroupHeader = %s, json.Marshal wrote %s", got, want)
		}
	}
}

func FuzzEncodeRecord(f *testing.F) {
	for _, v := range sampleVisits() {
		f.Add(v.CheckinID, v.Facility, string(v.VisitType), v.Kiosk, v.EligibilityCode, v.At.Unix(), int64(v.At.Nanosecond()), v.Ticket)
	}
	f.Fuzz(func(t *testing.T, ck, fac, vt, kiosk, code string, sec, nsec int64, ticket int) {
		v := verifier.Visit{CheckinID: ck, Facility: fac, VisitType: verifier.VisitType(vt), Kiosk: kiosk,
			EligibilityCode: code, At: time.Unix(sec, nsec), Ticket: ticket}
		if got, want := encodeRecord(v), marshalRecord(v); got != want {
			t.Fatalf("encodeRecord = %s, json.Marshal wrote %s", got, want)
		}
		if got, want := string(appendGroupHeader(nil, verifier.CitizenID(ck), kiosk, code)), marshalHeader(verifier.CitizenID(ck), kiosk, code); got != want {
			t.Fatalf("appendGroupHeader = %s, json.Marshal wrote %s", got, want)
		}
	})
}
