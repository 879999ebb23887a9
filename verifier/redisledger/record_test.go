package redisledger

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

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
		if got, want := groupHeader(h.id, h.name, h.day), marshalHeader(h.id, h.name, h.day); got != want {
			t.Errorf("groupHeader = %s, json.Marshal wrote %s", got, want)
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
		// Record answers a new visit as recordedAs gives it, without
		// reading its record back: it must be what the record reads as.
		v.CitizenID, v.Day = "008095001234", "2026-11-28"
		got, gotErr := recordedAs(v)
		want, wantErr := decodeRecord(encodeRecord(v), v.CitizenID, v.Day)
		if ck != "" && fac != "" && v.At.Unix() != 0 && (gotErr != nil || wantErr != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("recordedAs = %+v, %v; the record reads %+v, %v", got, gotErr, want, wantErr)
		}
	})
}
