package kiosk

import "unicode/utf8"

// quickDecoder is a request body that can decode the plain shape clients
// send without encoding/json's reflection. decodeQuick reports whether it
// decoded all of b; when it did, the result is what json.Unmarshal(b, dst)
// would have left in a zero dst, and when it did not, dst is untouched and
// the body goes to encoding/json, which also gives the errors. Decoding a
// check-in body by reflection was about 5% of the server's CPU under load.
type quickDecoder interface {
	decodeQuick(b []byte) bool
}

// decodeQuick takes a JSON object whose members are the exact names of
// checkinBody's fields with string or null values (and, for "priority", an
// array of strings), and nothing else: no
// escapes, control characters or invalid UTF-8 in a string, no other
// value, no other member name (encoding/json matches names without regard
// to case and skips unknown members; those bodies take the slow path).
func (dst *checkinBody) decodeQuick(b []byte) bool {
	v := *dst
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return endOfBody(b, i, dst, v)
	}
	for {
		name, j, ok := plainString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, j)
		if i == len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		var val []byte
		null := false
		switch {
		case string(name) == "priority" && i < len(b) && b[i] == '[':
			// The one array member: plain strings only.
			var list priorityList
			if list, i, ok = plainStrings(b, i); !ok {
				return false
			}
			v.Priority = list
		case len(b)-i >= 4 && string(b[i:i+4]) == "null":
			null, i = true, i+4
			if !v.setMember(name, nil, true) {
				return false
			}
		default:
			if val, i, ok = plainString(b, i); !ok {
				return false
			}
			if !v.setMember(name, val, null) {
				return false
			}
		}
		i = skipSpace(b, i)
		if i == len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return endOfBody(b, i, dst, v)
		default:
			return false
		}
	}
}

// endOfBody stores v in dst when nothing but white space follows the
// object's closing brace at b[i].
func endOfBody(b []byte, i int, dst *checkinBody, v checkinBody) bool {
	if skipSpace(b, i+1) != len(b) {
		return false
	}
	*dst = v
	return true
}

// setMember stores one member as encoding/json does: null leaves a string
// as it was and sets a pointer to nil; a later duplicate wins. The value
// is copied, since b is a pooled buffer.
func (v *checkinBody) setMember(name, val []byte, null bool) bool {
	var f *string
	switch string(name) {
	case "facility":
		f = &v.Facility
	case "visit_type":
		f = &v.VisitType
	case "scanned_at":
		f = &v.ScannedAt
	case "kiosk":
		f = &v.Kiosk
	case "referral_no":
		f = &v.ReferralNo
	case "department":
		f = &v.Department
	case "scan":
		v.Scan = stringOrNil(val, null)
		return true
	case "citizen_id":
		v.CitizenID = stringOrNil(val, null)
		return true
	case "card_no":
		v.CardNo = stringOrNil(val, null)
		return true
	case "priority":
		if !null {
			return false // a string of codes (a form field's form): encoding/json
		}
		v.Priority = nil
		return true
	default:
		return false
	}
	if !null {
		*f = string(val)
	}
	return true
}

// plainStrings reads a JSON array of plain strings (see plainString) at
// b[i], copied, and returns it (never nil) and the index after the ']'.
func plainStrings(b []byte, i int) (priorityList, int, bool) {
	out := priorityList{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, true
	}
	for {
		s, j, ok := plainString(b, i)
		if !ok {
			return nil, 0, false
		}
		out = append(out, string(s))
		i = skipSpace(b, j)
		if i == len(b) {
			return nil, 0, false
		}
		switch b[i] {
		case ']':
			return out, i + 1, true
		case ',':
			i = skipSpace(b, i+1)
		default:
			return nil, 0, false
		}
	}
}

func stringOrNil(val []byte, null bool) *string {
	if null {
		return nil
	}
	s := string(val)
	return &s
}

// plainString reads a JSON string at b[i] that needs no unescaping: it
// returns its contents and the index after the closing quote.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			s = b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false // encoding/json would replace the bad bytes
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
