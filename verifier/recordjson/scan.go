package recordjson

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// scanExtras returns what extraMembers(b, known) returns for a b that
// decode (or json.Unmarshal) has accepted, without decoding b a second
// time: a record with only known members costs one pass over its bytes
// and no allocation, one with extra members a pass and the one allocation
// of the result.
// Profiled on BenchmarkLoadDir100k, extraMembers' json.Unmarshal into a
// map of json.RawMessage and its json.Marshal took half the load's CPU.
//
// The result is byte for byte what extraMembers gives: the members whose
// names (decoded as encoding/json decodes them) are not in known, in name
// order, a repeated name with its last value, each value compacted and
// HTML-escaped as json.Marshal writes a json.RawMessage. ok is false when
// b is not an object (null) or the scan meets a name or value it leaves
// to encoding/json; the caller then calls extraMembers.
//
// b must be valid JSON: the scan skips values without checking them.
func scanExtras(b []byte, known *keySet) (extra json.RawMessage, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	var buf [8]member
	extras := buf[:0]
	for i = skipSpace(b, i+1); i < len(b) && b[i] != '}'; {
		if b[i] != '"' {
			return nil, false
		}
		start := i
		end := stringEnd(b, i)
		if end < 0 {
			return nil, false
		}
		raw := b[start+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		vEnd := valueEnd(b, i)
		if vEnd <= i {
			return nil, false
		}
		value := b[i:vEnd]
		name := raw
		if !plainASCII(raw) && (bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw)) {
			// encoding/json unescapes the name and replaces invalid
			// UTF-8 with U+FFFD; let it.
			var s string
			if json.Unmarshal(b[start:end], &s) != nil {
				return nil, false
			}
			name = []byte(s)
		}
		if !known.has(name) {
			extras = append(extras, member{name, value})
		}
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	if i >= len(b) {
		return nil, false
	}
	if len(extras) == 0 {
		return nil, true
	}
	return encodeMembers(extras)
}

// member is a member of a JSON object: its decoded name and raw value.
type member struct{ name, value []byte }

// encodeMembers writes ms as json.Marshal writes a map[string]json.RawMessage
// of them: sorted by name, the last of a repeated name, values compacted
// and HTML-escaped.
func encodeMembers(ms []member) (json.RawMessage, bool) {
	sorted := true
	for k := 1; k < len(ms); k++ {
		if bytes.Compare(ms[k-1].name, ms[k].name) >= 0 {
			sorted = false
			break
		}
	}
	if !sorted {
		slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(a.name, b.name) })
		kept := ms[:0]
		for k := range ms {
			if k+1 < len(ms) && bytes.Equal(ms[k].name, ms[k+1].name) {
				continue // a later member has the name: it wins, as in a map
			}
			kept = append(kept, ms[k])
		}
		ms = kept
	}
	n := 1
	for _, m := range ms {
		n += len(m.name) + len(m.value) + 4
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for k, m := range ms {
		if k > 0 {
			out = append(out, ',')
		}
		if plainName(m.name) {
			out = append(out, '"')
			out = append(out, m.name...)
			out = append(out, '"')
		} else {
			q, err := json.Marshal(string(m.name))
			if err != nil {
				return nil, false
			}
			out = append(out, q...)
		}
		out = append(out, ':')
		if plainValue(m.value) {
			out = append(out, m.value...)
		} else {
			v, err := json.Marshal(json.RawMessage(m.value))
			if err != nil {
				return nil, false
			}
			out = append(out, v...)
		}
	}
	return append(out, '}'), true
}

// plainName reports whether json.Marshal writes the string s as its bytes
// between quotes: no quote, backslash, control character, HTML-escaped
// character, or 0xE2, which starts U+2028 and U+2029. (s is valid UTF-8:
// a decoded name.)
func plainName(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == 0xE2 {
			return false
		}
	}
	return true
}

// plainValue reports whether json.Marshal writes the raw JSON value v as it
// is: no HTML-escaped character and no 0xE2 (U+2028, U+2029) anywhere, and
// no white space to compact away (a string or a literal has none outside
// its quotes; an object or an array must have none at all).
func plainValue(v []byte) bool {
	str := v[0] == '"'
	for _, c := range v {
		switch c {
		case '<', '>', '&', 0xE2:
			return false
		case ' ', '\t', '\n', '\r':
			if !str {
				return false
			}
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the closing quote of the string that
// starts at b[i], or -1 if it does not end. (In valid JSON a quote ends
// the string unless an odd number of backslashes precede it.)
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for q-n-1 > i && b[q-n-1] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
	return -1
}

// plainASCII reports whether a raw member name is ASCII without escapes:
// its decoded name is itself.
func plainASCII(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// keySet holds the member names of a record type, for scanExtras: a few
// comparisons of names of the same length cost less than a map look-up.
// Measured: map look-ups were a third of scanExtras' time in a profile of
// TestLoadBigDir (1,000,000 citizens); with keySet, plainASCII instead of
// utf8.Valid and stringEnd by bytes.IndexByte, BenchmarkUnmarshalCitizen
// went from 2.63–2.95 µs to 2.44–2.67 µs a line (shared 2-core machine).
type keySet struct {
	byLen [][]string // byLen[n]: the names of n bytes
}

func newKeySet(keys map[string]bool) *keySet {
	s := &keySet{}
	for k := range keys {
		for len(s.byLen) <= len(k) {
			s.byLen = append(s.byLen, nil)
		}
		s.byLen[len(k)] = append(s.byLen[len(k)], k)
	}
	return s
}

func (s *keySet) has(name []byte) bool {
	if len(name) >= len(s.byLen) {
		return false
	}
	for _, k := range s.byLen[len(name)] {
		if string(name) == k {
			return true
		}
	}
	return false
}

// valueEnd returns the index after the JSON value that starts at b[i], or
// -1 if there is none.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// v1 are the options with which github.com/go-json-experiment/json (the
// prototype of encoding/json/v2) decodes as encoding/json does: names
// matched without regard to case, repeated names, invalid UTF-8 replaced,
// values merged into what r holds.
var v1 = jsonv1.DefaultOptionsV1()

// decode decodes b into r as json.Unmarshal does, and checks, as
// json.Unmarshal does, that b is valid JSON. It tries
// github.com/go-json-experiment/json with encoding/json's options first,
// which decodes a citizen's line about four times faster than
// json.Unmarshal: once scanExtras had removed the second decode,
// json.Unmarshal was nearly all of a load's CPU (BenchmarkLoadDir100k,
// back to back on the shared 2-core machine: 0.76–0.78 s a load with
// json.Unmarshal, 0.63–0.65 s with this, 0.45–0.58 s for the hand-written
// decoder of commit c72024a).
// When it refuses b, r is put back as it was (its fields; the elements of a
// slice r held before may have been written) and encoding/json decodes b
// again, so that an error is encoding/json's, message and all.
// TestScanExtrasMatchesExtraMembers and FuzzScanExtras check that both
// accept the same lines and decode them alike.
func decode[T Record](b []byte, r *T) error {
	orig := *r
	if jsonv2.Unmarshal(b, r, v1) == nil {
		return nil
	}
	*r = orig
	return json.Unmarshal(b, r)
}
