package redisledger

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// record is a stored visit, encoded as the JSON array
// [checkin id, facility, unix seconds, nanoseconds, visit type, kiosk, ticket,
// eligibility code, desk] (the script reads elements 1 to 4 and puts in
// 7). The citizen and day are in the key. Records written before the
// eligibility code was kept have seven elements; the ninth, the desk's
// fields, is there only when the desk set one.
type record struct {
	CheckinID string
	Facility  string
	Sec, Nsec int64
	VisitType verifier.VisitType
	Kiosk     string
	Ticket    int
	Code      string
	Desk      *recordDesk
}

// recordDesk is the ninth element of a record: what the desk said about
// the visit (verifier.Visit's ReferralNo, Department, Priority,
// Acknowledgement), in short names.
type recordDesk struct {
	ReferralNo string                    `json:"r,omitempty"`
	Department string                    `json:"d,omitempty"`
	Priority   []string                  `json:"p,omitempty"`
	Ack        *verifier.Acknowledgement `json:"a,omitempty"`
}

// deskOf returns v's desk element, nil when the desk set nothing.
func deskOf(v verifier.Visit) *recordDesk {
	if v.ReferralNo == "" && v.Department == "" && len(v.Priority) == 0 && v.Acknowledgement == nil {
		return nil
	}
	d := &recordDesk{ReferralNo: v.ReferralNo, Department: v.Department, Priority: v.Priority}
	if v.Acknowledgement != nil {
		a := *v.Acknowledgement
		a.At = a.At.UTC()
		d.Ack = &a
	}
	return d
}

// appendRecordParts appends v's record in two parts around its ticket,
// the commas included, and returns where the second part starts: head +
// ticket + tail is json.Marshal of the []any of v's fields (HTML characters
// escaped, invalid UTF-8 replaced), as records have always been written.
// Record sends the two parts, and the script, which numbers the visit,
// puts the ticket in between.
func appendRecordParts(dst []byte, v verifier.Visit) (b []byte, tailAt int) {
	// Errors are impossible: strings and integers only.
	head, _ := json.Marshal([]any{v.CheckinID, v.Facility, v.At.Unix(), v.At.Nanosecond(), v.VisitType, v.Kiosk})
	dst = append(append(dst, head[:len(head)-1]...), ',')
	tailAt = len(dst)
	code, _ := json.Marshal(v.EligibilityCode)
	dst = append(append(dst, ','), code...)
	if d := deskOf(v); d != nil {
		b, _ := json.Marshal(d) // strings and a time of a real clock: no error
		dst = append(append(dst, ','), b...)
	}
	return append(dst, ']'), tailAt
}

// encodeRecord returns v's whole record.
func encodeRecord(v verifier.Visit) string {
	b, tailAt := appendRecordParts(nil, v)
	return string(b[:tailAt]) + strconv.Itoa(v.Ticket) + string(b[tailAt:])
}

// recordedAs returns v as decodeRecord reads its record back, without
// encoding and decoding it in the usual case: what the record keeps of v
// (its time in UTC to the nanosecond, its strings) unless a string is not
// valid UTF-8, which the record holds with U+FFFD in its place.
func recordedAs(v verifier.Visit) (verifier.Visit, error) {
	if deskOf(v) != nil {
		// the acknowledgement's time is kept in UTC, its strings as JSON has them
		return decodeRecord(encodeRecord(v), v.CitizenID, v.Day)
	}
	for _, s := range [...]string{v.CheckinID, v.Facility, string(v.VisitType), v.Kiosk, v.EligibilityCode} {
		if !utf8.ValidString(s) {
			return decodeRecord(encodeRecord(v), v.CitizenID, v.Day)
		}
	}
	v.At = time.Unix(v.At.Unix(), int64(v.At.Nanosecond())).UTC()
	return v, nil
}

// decodeRecord reads a stored visit with encoding/json. (A hand-written
// parser once read the common form; since the record script returns only
// the day's earlier records, a first visit of the day decodes none, and
// the parser went.) A null element or a missing one leaves its field zero;
// a tenth and later are ignored.
func decodeRecord(s string, id verifier.CitizenID, day string) (verifier.Visit, error) {
	var r record
	// One pass: encoding/json decodes each array element in place through
	// the pointer its interface holds.
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

// header is the first line of a group record.
type header struct {
	CitizenID verifier.CitizenID `json:"c"`
	FullName  string             `json:"n"`
	Day       string             `json:"d"`
}

// groupHeader returns a group's header line (CitizenID's MarshalText is the
// ID as it is).
func groupHeader(id verifier.CitizenID, name, day string) string {
	b, _ := json.Marshal(header{id, name, day}) // strings only: no error
	return string(b)
}
