package redisledger

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vnhealth/cccd-checkin/internal/jsonw"
	"github.com/vnhealth/cccd-checkin/verifier"
)

// record is a stored visit, encoded as the JSON array
// [checkin id, facility, unix seconds, nanoseconds, visit type, kiosk, ticket,
// eligibility code, desk] (the script reads elements 1 to 4 and puts in 7).
// The citizen and day are in the key. Records written before the eligibility
// code was kept have seven elements; desk, the desk's fields (recordDesk),
// is there only when one of them is set, so the usual record keeps eight.
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

// encodeRecord writes a visit's record byte for byte as json.Marshal of
// the []any of its fields did (and, through jsonw, still would: records
// written by either decode alike), without reflection. Record sends it in
// two parts around the ticket (newRecordArgs), and the script puts the
// ticket in between.
func encodeRecord(v verifier.Visit) string {
	var buf [160]byte // a usual record fits: one allocation, the string
	b := appendRecordHead(buf[:0], v)
	b = jsonw.Int(b, int64(v.Ticket))
	return string(appendRecordTail(b, v))
}

// appendRecordHead appends v's record up to its ticket, the comma before it
// included.
func appendRecordHead(dst []byte, v verifier.Visit) []byte {
	dst = append(dst, '[')
	dst = jsonw.String(dst, v.CheckinID)
	dst = append(dst, ',')
	dst = jsonw.String(dst, v.Facility)
	dst = append(dst, ',')
	dst = jsonw.Int(dst, v.At.Unix())
	dst = append(dst, ',')
	dst = jsonw.Int(dst, int64(v.At.Nanosecond()))
	dst = append(dst, ',')
	dst = jsonw.String(dst, string(v.VisitType))
	dst = append(dst, ',')
	dst = jsonw.String(dst, v.Kiosk)
	return append(dst, ',')
}

// appendRecordTail appends what follows v's ticket in its record.
func appendRecordTail(dst []byte, v verifier.Visit) []byte {
	dst = append(dst, ',')
	dst = jsonw.String(dst, v.EligibilityCode)
	if d := deskOf(v); d != nil {
		// Rare enough (a desk that sets these) for encoding/json.
		b, err := json.Marshal(d)
		if err == nil { // it cannot fail: strings, and a time of a real clock
			dst = append(append(dst, ','), b...)
		}
	}
	return append(dst, ']')
}

// decodeRecord reads a stored visit. A check-in decodes every record of the
// citizen's day, so the common form is read by parseRecord, without
// encoding/json (which showed at 6-8% of the server's CPU); anything else
// goes through encoding/json, whose answer is the definition of a record's
// meaning (FuzzDecodeRecord holds the two to the same result).
func decodeRecord(s string, id verifier.CitizenID, day string) (verifier.Visit, error) {
	r, ok := parseRecord(s)
	var err error
	if !ok {
		r, err = unmarshalRecord(s)
	}
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

// unmarshalRecord reads any record with encoding/json.
func unmarshalRecord(s string) (record, error) {
	var r record
	// One pass: encoding/json decodes each array element in place
	// through the pointer its interface holds. A null element or a
	// missing one leaves its field zero; a tenth and later are ignored.
	f := [9]any{&r.CheckinID, &r.Facility, &r.Sec, &r.Nsec, &r.VisitType, &r.Kiosk, &r.Ticket, &r.Code, &r.Desk}
	err := json.Unmarshal([]byte(s), &f)
	return r, err
}

// parseRecord reads the form both writers of records produce (this
// package's encodeRecord and, before it, the script's cjson.encode): at
// most eight elements of the expected types, strings without backslash
// escapes in valid UTF-8, integers without fraction or exponent that fit
// their field, JSON whitespace anywhere between tokens, and a ninth (the
// desk's fields) that is the last and that encoding/json decodes alone. ok
// is false for anything else, valid or not (escapes, null, floats, a
// tenth element, syntax errors), which the caller leaves to encoding/json so that every
// odd case keeps its exact meaning and error. Strings are substrings of s:
// no copies.
func parseRecord(s string) (r record, ok bool) {
	i := skipSpace(s, 0)
	if i == len(s) || s[i] != '[' {
		return r, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return r, skipSpace(s, i+1) == len(s)
	}
	for n := 0; ; n++ {
		switch n {
		case 0, 1, 4, 5, 7:
			var str string
			if str, i, ok = parseString(s, i); !ok {
				return r, false
			}
			switch n {
			case 0:
				r.CheckinID = str
			case 1:
				r.Facility = str
			case 4:
				r.VisitType = verifier.VisitType(str)
			case 5:
				r.Kiosk = str
			case 7:
				r.Code = str
			}
		case 2, 3, 6:
			var x int64
			if x, i, ok = parseInt(s, i); !ok {
				return r, false
			}
			switch n {
			case 2:
				r.Sec = x
			case 3:
				r.Nsec = x
			case 6:
				if x != int64(int(x)) { // 32-bit int: encoding/json's overflow error
					return r, false
				}
				r.Ticket = int(x)
			}
		case 8:
			// The desk's object, the last element: decoded alone.
			end := len(s)
			for end > i && (s[end-1] == ' ' || s[end-1] == '\t' || s[end-1] == '\n' || s[end-1] == '\r') {
				end--
			}
			if end <= i || s[end-1] != ']' || s[i] != '{' {
				return r, false
			}
			d, ok := parseDesk(s[i : end-1])
			if !ok {
				var jd recordDesk
				if json.Unmarshal([]byte(s[i:end-1]), &jd) != nil {
					return r, false
				}
				d = &jd
			}
			r.Desk, i = d, end-1
		default:
			return r, false // a tenth element: whatever it is, encoding/json judges it
		}
		i = skipSpace(s, i)
		if i == len(s) {
			return r, false
		}
		switch s[i] {
		case ']':
			return r, skipSpace(s, i+1) == len(s)
		case ',':
			i = skipSpace(s, i+1)
		default:
			return r, false
		}
	}
}

// parseDesk reads the desk's object as deskOf writes it when it holds no
// acknowledgement (the form of most records a desk amends: a department,
// priority groups, a referral number): the members "r", "d" and "p" exactly
// so named, plain strings (see parseString) and an array of them, then
// nothing but whitespace. ok is false for anything else, which the caller
// gives to encoding/json (an "a" member, null, escapes, other names, which
// encoding/json would match without regard to case). Measured: a record
// with a department and a priority group decoded in about 6 µs through
// encoding/json, against well under 1 µs for a record without them.
func parseDesk(s string) (*recordDesk, bool) {
	d := &recordDesk{}
	i := skipSpace(s, 0)
	if i == len(s) || s[i] != '{' {
		return nil, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return d, skipSpace(s, i+1) == len(s)
	}
	for {
		name, j, ok := parseString(s, i)
		if !ok {
			return nil, false
		}
		i = skipSpace(s, j)
		if i == len(s) || s[i] != ':' {
			return nil, false
		}
		i = skipSpace(s, i+1)
		switch name {
		case "r", "d":
			str, j, ok := parseString(s, i)
			if !ok {
				return nil, false
			}
			if name == "r" {
				d.ReferralNo = str
			} else {
				d.Department = str
			}
			i = j
		case "p":
			if i == len(s) || s[i] != '[' {
				return nil, false
			}
			p := make([]string, 0, 2)
			i = skipSpace(s, i+1)
			if i < len(s) && s[i] == ']' {
				i++
			} else {
				for {
					str, j, ok := parseString(s, i)
					if !ok {
						return nil, false
					}
					p = append(p, str)
					i = skipSpace(s, j)
					if i == len(s) {
						return nil, false
					}
					if s[i] == ']' {
						i++
						break
					}
					if s[i] != ',' {
						return nil, false
					}
					i = skipSpace(s, i+1)
				}
			}
			d.Priority = p
		default:
			return nil, false // "a", or a name encoding/json would match by case
		}
		i = skipSpace(s, i)
		if i == len(s) {
			return nil, false
		}
		switch s[i] {
		case '}':
			return d, skipSpace(s, i+1) == len(s)
		case ',':
			i = skipSpace(s, i+1)
		default:
			return nil, false
		}
	}
}

// skipSpace returns the index of the first byte from i on that is not JSON
// whitespace.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// parseString reads the JSON string at i when it has no escapes, no
// control characters and is valid UTF-8 (encoding/json would replace
// invalid bytes with U+FFFD), and returns its contents and the index after
// its closing quote.
func parseString(s string, i int) (str string, end int, ok bool) {
	if i == len(s) || s[i] != '"' {
		return "", 0, false
	}
	ascii := true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			str = s[i+1 : j]
			if !ascii && !utf8.ValidString(str) {
				return "", 0, false
			}
			return str, j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", 0, false
}

// parseInt reads the JSON integer at i (optional minus, no leading zero,
// no fraction or exponent) when it fits an int64, and returns it and the
// index after it.
func parseInt(s string, i int) (x int64, end int, ok bool) {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	d := j
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	switch {
	case j == d, s[d] == '0' && j > d+1: // no digits; a leading zero
		return 0, 0, false
	case j < len(s) && (s[j] == '.' || s[j] == 'e' || s[j] == 'E'):
		return 0, 0, false
	}
	x, err := strconv.ParseInt(s[i:j], 10, 64)
	if err != nil { // out of range
		return 0, 0, false
	}
	return x, j, true
}

// header is the first line of a group record, as decodeGroup reads it.
type header struct {
	CitizenID verifier.CitizenID `json:"c"`
	FullName  string             `json:"n"`
	Day       string             `json:"d"`
}

// appendGroupHeader appends a group's header line byte for byte as
// json.Marshal of a header did (CitizenID's MarshalText is the ID as it
// is), without reflection: Record sends it on every check-in, in case the
// day becomes a group.
func appendGroupHeader(dst []byte, id verifier.CitizenID, name, day string) []byte {
	dst = append(dst, `{"c":`...)
	dst = jsonw.String(dst, string(id))
	dst = append(dst, `,"n":`...)
	dst = jsonw.String(dst, name)
	dst = append(dst, `,"d":`...)
	dst = jsonw.String(dst, day)
	return append(dst, '}')
}
