package verifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// The data files of the contract are JSON Lines of these records. Fields the
// contract does not name are kept in Extra and written back unchanged, so a
// deployment's additional population fields survive a load and a dump.

// UnmarshalText implements encoding.TextUnmarshaler with ParseCitizenID.
func (id *CitizenID) UnmarshalText(b []byte) error {
	v, err := ParseCitizenID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// MarshalText writes the full ID: JSON documents carry it in clear (they
// are the data the service exists to serve); logs use String, which masks.
func (id CitizenID) MarshalText() ([]byte, error) { return []byte(id), nil }

// UnmarshalText accepts "male", "female" and "" (unknown).
func (g *Gender) UnmarshalText(b []byte) error {
	// The constants, not Gender(b): a million records then share two
	// strings instead of holding a million copies.
	switch string(b) {
	case "male":
		*g = Male
		return nil
	case "female":
		*g = Female
		return nil
	case "":
		*g = ""
		return nil
	}
	return fmt.Errorf("gender must be male or female")
}

type citizenFields Citizen

// UnmarshalJSON decodes a population record, keeping unknown fields.
func (c *Citizen) UnmarshalJSON(b []byte) error {
	var f citizenFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	extra, err := extraFields(b, citizenKeys)
	if err != nil {
		return err
	}
	*c = Citizen(f)
	c.Extra = extra
	return nil
}

// MarshalJSON encodes a population record with its extra fields.
func (c Citizen) MarshalJSON() ([]byte, error) {
	return withExtra(citizenFields(c), c.Extra, citizenKeys)
}

type cardFields Card

// UnmarshalJSON decodes an insurance card, keeping unknown fields.
func (c *Card) UnmarshalJSON(b []byte) error {
	var f cardFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	extra, err := extraFields(b, cardKeys)
	if err != nil {
		return err
	}
	*c = Card(f)
	c.Extra = extra
	return nil
}

// MarshalJSON encodes an insurance card with its extra fields.
func (c Card) MarshalJSON() ([]byte, error) { return withExtra(cardFields(c), c.Extra, cardKeys) }

type facilityFields Facility

// UnmarshalJSON decodes a facility, keeping unknown fields.
func (f *Facility) UnmarshalJSON(b []byte) error {
	var ff facilityFields
	if err := json.Unmarshal(b, &ff); err != nil {
		return err
	}
	extra, err := extraFields(b, facilityKeys)
	if err != nil {
		return err
	}
	*f = Facility(ff)
	f.Extra = extra
	return nil
}

// MarshalJSON encodes a facility with its extra fields.
func (f Facility) MarshalJSON() ([]byte, error) {
	return withExtra(facilityFields(f), f.Extra, facilityKeys)
}

var (
	citizenKeys  = jsonKeys(citizenFields{})
	cardKeys     = jsonKeys(cardFields{})
	facilityKeys = jsonKeys(facilityFields{})
)

// extraFields returns the members of the JSON object b whose names are not
// in known, as a JSON object, or nil when there are none. b has already
// been decoded successfully, so it is valid JSON; the members are found by
// a linear scan instead of a second decode, which halves the load time of
// a large population file and keeps one allocation per record.
func extraFields(b []byte, known map[string]bool) (json.RawMessage, error) {
	var out []byte
	err := eachMember(b, func(name string, member []byte) {
		if known[name] {
			return
		}
		if out == nil {
			out = append(make([]byte, 0, 64), '{')
		} else {
			out = append(out, ',')
		}
		out = append(out, member...)
	})
	if out != nil {
		out = append(out, '}')
	}
	return out, err
}

// eachMember calls fn with the name and the raw `"name":value` text of each
// member of the JSON object b, in order.
func eachMember(b []byte, fn func(name string, member []byte)) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fmt.Errorf("not a JSON object")
	}
	i++
	for {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == '}' {
			return nil
		}
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		start := i
		end, err := skipString(b, i)
		if err != nil {
			return err
		}
		name := string(b[start+1 : end-1])
		if bytes.IndexByte(b[start:end], '\\') >= 0 {
			if err := json.Unmarshal(b[start:end], &name); err != nil {
				return err
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return fmt.Errorf("malformed JSON object")
		}
		i = skipSpace(b, i+1)
		if i, err = skipValue(b, i); err != nil {
			return err
		}
		fn(name, bytes.TrimSpace(b[start:i]))
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string that starts at i.
func skipString(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, fmt.Errorf("malformed JSON object")
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated JSON string")
}

// skipValue returns the index after the JSON value that starts at i.
func skipValue(b []byte, i int) (int, error) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			end, err := skipString(b, i)
			if err != nil {
				return 0, err
			}
			i = end
			if depth == 0 {
				return i, nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, nil
			}
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		case ',':
			if depth == 0 {
				return i, nil
			}
		}
		i++
	}
	if depth == 0 {
		return i, nil
	}
	return 0, fmt.Errorf("unterminated JSON value")
}

// withExtra encodes v and appends the extra members to the object; a
// member named like one of the record's own fields is left out, so the
// record's fields always win.
func withExtra(v any, extra json.RawMessage, known map[string]bool) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	b = b[:len(b)-1] // drop the closing brace
	first := len(b) == 1
	err = eachMember(extra, func(name string, member []byte) {
		if known[name] {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, member...)
	})
	return append(b, '}'), err
}

// jsonKeys returns the JSON member names of a struct type's fields.
func jsonKeys(v any) map[string]bool {
	t := reflect.TypeOf(v)
	keys := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}
