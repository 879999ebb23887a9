// Package recordjson is the JSON form of the registry records: the lines of
// the contract's data files (population.jsonl, insurance.jsonl,
// facilities.jsonl) and the answers of the registry API. A record's fields
// are its struct's json tags; the members the contract does not name are
// kept in the record's Extra, in file order, and written back after the
// record's own, so that a deployment's additional population fields
// survive a load and a dump.
package recordjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Record is a record type with extra members.
type Record interface {
	verifier.Citizen | verifier.Card | verifier.Facility
}

// Unmarshal decodes one record into r, as json.Unmarshal does, keeping the
// members the record's type does not name in its Extra (nil when none).
func Unmarshal[T Record](b []byte, r *T) error {
	if err := decode(b, r); err != nil {
		return fieldError(b, r, err)
	}
	extra, known, set := parts(r)
	// decode has checked that b is valid JSON, so a plain scan of its
	// top-level members finds the extra ones; the scan leaves anything it
	// does not expect (null, odd names) to extraMembers.
	if x, ok := scanExtras(b, set); ok {
		*extra = x
		return nil
	}
	var err error
	*extra, err = extraMembers(b, known)
	return err
}

// Marshal encodes r as json.Marshal does, followed by the members of its
// Extra; a member of Extra named like one of the record's own fields is
// left out, so the record's fields always win.
func Marshal[T Record](r *T) ([]byte, error) {
	b, err := json.Marshal(r)
	extra, known, _ := parts(r)
	if err != nil || len(*extra) == 0 {
		return b, err
	}
	more, err := extraMembers(*extra, known)
	if err != nil || more == nil {
		return b, err
	}
	b[len(b)-1] = ',' // a record always has members of its own
	return append(b, more[1:]...), nil
}

// UnmarshalList decodes a JSON array of records.
func UnmarshalList[T Record](b []byte) ([]T, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, err
	}
	out := make([]T, len(raw))
	for i, m := range raw {
		if err := Unmarshal(m, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MarshalList encodes records as a JSON array.
func MarshalList[T Record](rs []T) ([]byte, error) {
	b := []byte{'['}
	for i := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		m, err := Marshal(&rs[i])
		if err != nil {
			return nil, err
		}
		b = append(b, m...)
	}
	return append(b, ']'), nil
}

var (
	citizenKeys  = jsonKeys[verifier.Citizen]()
	cardKeys     = jsonKeys[verifier.Card]()
	facilityKeys = jsonKeys[verifier.Facility]()
)

var (
	citizenSet  = newKeySet(citizenKeys)
	cardSet     = newKeySet(cardKeys)
	facilitySet = newKeySet(facilityKeys)
)

// parts returns where r keeps its extra members and the names of its own,
// as extraMembers and scanExtras take them.
func parts[T Record](r *T) (*json.RawMessage, map[string]bool, *keySet) {
	switch r := any(r).(type) {
	case *verifier.Citizen:
		return &r.Extra, citizenKeys, citizenSet
	case *verifier.Card:
		return &r.Extra, cardKeys, cardSet
	case *verifier.Facility:
		return &r.Extra, facilityKeys, facilitySet
	}
	panic("recordjson: not a record type") // unreachable: Record lists the types
}

// extraMembers returns the members of the JSON object b whose names are not
// in known (compared exactly, as the file spells them), as a JSON object in
// name order, or nil when there are none.
func extraMembers(b []byte, known map[string]bool) (json.RawMessage, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return nil, err
	}
	if members == nil {
		return nil, errors.New("not a JSON object") // null
	}
	for name := range members {
		if known[name] {
			delete(members, name)
		}
	}
	if len(members) == 0 {
		return nil, nil
	}
	return json.Marshal(members)
}

// FieldError is a value that its field's own parser (a date, an ID, a
// gender) refused. encoding/json returns such an error without the field's
// name; Unmarshal finds it, so that an error can say which field is wrong
// without quoting the value.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %v", e.Field, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

// fieldError names the field of r whose value refused to decode as err
// did; other errors (syntax, wrong JSON type) are returned as they are.
func fieldError(b []byte, r any, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	if errors.As(err, &te) || errors.As(err, &se) {
		return err
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(b, &members) != nil {
		return err
	}
	t := reflect.TypeOf(r).Elem()
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		v, ok := members[name]
		if !ok || name == "" || name == "-" {
			continue
		}
		if json.Unmarshal(v, reflect.New(f.Type).Interface()) != nil {
			return &FieldError{Field: name, Err: err}
		}
	}
	return err
}

// jsonKeys returns the JSON member names of a struct type's fields.
func jsonKeys[T any]() map[string]bool {
	t := reflect.TypeFor[T]()
	keys := make(map[string]bool, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}
