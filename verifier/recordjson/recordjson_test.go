package recordjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

func TestCitizenJSONKeepsUnknownFields(t *testing.T) {
	line := `{"id":"008095001234","old_id":"","full_name":"Nguyễn Văn An","dob":"1995-03","gender":"male",
		"permanent_address":"Thôn 3","ethnicity":"Kinh","phone" : "0912345678",
		"hometown":{"province":"Tuyên Quang","note":"a \"quoted\", {braced} value"},"tags":[1,[2,3],{"a":"]"}],
		"n\u0061me_with_escape":true,"deceased_on":"","empty":null}`
	var c verifier.Citizen
	if err := Unmarshal([]byte(line), &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "008095001234" || c.DOB != (verifier.Date{Year: 1995, Month: 3}) || c.Gender != verifier.Male || c.FullName != "Nguyễn Văn An" {
		t.Errorf("known fields: %+v", c)
	}
	var extra map[string]any
	if err := json.Unmarshal(c.Extra, &extra); err != nil {
		t.Fatalf("Extra is not a JSON object: %s", c.Extra)
	}
	for _, k := range []string{"ethnicity", "phone", "hometown", "tags", "name_with_escape", "empty"} {
		if _, ok := extra[k]; !ok {
			t.Errorf("extra lacks %q: %s", k, c.Extra)
		}
	}
	for _, k := range []string{"id", "full_name", "dob", "deceased_on"} {
		if _, ok := extra[k]; ok {
			t.Errorf("extra holds the contract field %q", k)
		}
	}
	if got := extra["hometown"].(map[string]any)["note"]; got != `a "quoted", {braced} value` {
		t.Errorf("nested value = %q", got)
	}

	// Written back, every member is there once.
	out, err := Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("marshalled record is not JSON: %s", out)
	}
	if back["id"] != "008095001234" || back["ethnicity"] != "Kinh" || back["phone"] != "0912345678" || back["dob"] != "1995-03" {
		t.Errorf("round trip lost data: %s", out)
	}
	if strings.Count(string(out), `"id"`) != 1 {
		t.Errorf("duplicate member: %s", out)
	}
}

func TestRecordsWithoutExtras(t *testing.T) {
	var f verifier.Facility
	if err := Unmarshal([]byte(`{"code":"08001","name":"BV","province":"08","level":"provincial"}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.Extra != nil {
		t.Errorf("Extra = %s, want nil", f.Extra)
	}
	for _, bad := range []string{`{"id":"123"}`, `{"id":"008095001234","gender":"nam"}`, `{"id":"008095001234","dob":"14/03/1995"}`} {
		var c verifier.Citizen
		if err := Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzCitizenJSON(f *testing.F) {
	f.Add(`{"id":"008095001234","full_name":"A","x":{"y":[1,"]"]}}`)
	f.Add(`{"id":"008095001234","\u0069d2":"x"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var c verifier.Citizen
		if err := Unmarshal([]byte(s), &c); err != nil {
			return
		}
		if c.Extra != nil && !json.Valid(c.Extra) {
			t.Fatalf("Extra is not valid JSON: %s", c.Extra)
		}
		out, err := Marshal(&c)
		if err != nil || !json.Valid(out) {
			t.Fatalf("re-encoding failed: %v %s", err, out)
		}
	})
}

// Extra members come back in name order after the record's own, a repeated
// name with its last value; a line that is not an object is refused.
func TestExtraOrderAndRepeats(t *testing.T) {
	var f verifier.Facility
	line := `{"zeta":1,"code":"08001","alpha":{"b":[1,2]},"zeta":2,"CODE":"x","name":"BV <A&B>"}`
	if err := Unmarshal([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	if want := `{"CODE":"x","alpha":{"b":[1,2]},"zeta":2}`; string(f.Extra) != want {
		t.Errorf("Extra = %s, want %s", f.Extra, want)
	}
	out, err := Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"code":"x","name":"BV \u003cA\u0026B\u003e","province":"","level":"","CODE":"x","alpha":{"b":[1,2]},"zeta":2}`; string(out) != want {
		t.Errorf("Marshal = %s\nwant %s", out, want)
	}
	for _, bad := range []string{`null`, `[]`, `"x"`, `{"code":"08001"} {}`} {
		var f verifier.Facility
		if err := Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// A value a field's own parser refuses is reported with the field's name
// and without the value.
func TestFieldError(t *testing.T) {
	var c verifier.Citizen
	err := Unmarshal([]byte(`{"id":"008095001234","dob":"1995-13-40"}`), &c)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "dob" {
		t.Fatalf("err = %v, want a FieldError for dob", err)
	}
	cards, err := UnmarshalList[verifier.Card]([]byte(`[{"card_no":"1","citizen_id":"12"}]`))
	if !errors.As(err, &fe) || fe.Field != "citizen_id" || cards != nil {
		t.Fatalf("list: %v %v, want a FieldError for citizen_id", cards, err)
	}
}
