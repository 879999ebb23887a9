package verifier

import (
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
	switch Gender(b) {
	case Male, Female, "":
		*g = Gender(b)
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
	return withExtra(citizenFields(c), c.Extra)
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
func (c Card) MarshalJSON() ([]byte, error) { return withExtra(cardFields(c), c.Extra) }

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
func (f Facility) MarshalJSON() ([]byte, error) { return withExtra(facilityFields(f), f.Extra) }

var (
	citizenKeys  = jsonKeys(citizenFields{})
	cardKeys     = jsonKeys(cardFields{})
	facilityKeys = jsonKeys(facilityFields{})
)

// extraFields returns the members of the JSON object b not in known, or
// nil when there are none.
func extraFields(b []byte, known map[string]bool) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	var extra map[string]json.RawMessage
	for k, v := range all {
		if known[k] {
			continue
		}
		if extra == nil {
			extra = make(map[string]json.RawMessage)
		}
		extra[k] = v
	}
	return extra, nil
}

// withExtra encodes v and merges the extra members into the object; the
// record's own fields win over an extra member of the same name.
func withExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var own map[string]json.RawMessage
	if err := json.Unmarshal(b, &own); err != nil {
		return nil, err
	}
	merged := make(map[string]json.RawMessage, len(own)+len(extra))
	for k, v := range extra {
		merged[k] = v
	}
	for k, v := range own {
		merged[k] = v
	}
	return json.Marshal(merged)
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
