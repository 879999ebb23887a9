package verifier

import (
	"encoding/json"
	"time"

	"github.com/vnhealth/cccd-checkin/internal/jsonw"
)

// The check-in answer is written by hand because encoding/json's reflection
// over it was ~10% of the server's CPU under load and most of the answer's
// allocations. The bytes must stay exactly those json.Marshal writes: the
// answer is the contract (kiosks, hospital systems and stored idempotent
// replays compare it), so answer_json_test.go checks byte equality against
// encoding/json over generated and fuzzed results, and fails when a field
// is added to one of these structs without being added here.

// AppendJSON appends r exactly as json.Marshal(r) writes it and returns the
// extended slice. When json.Marshal(r) fails, which it does only for a time
// that RFC 3339 cannot express (a year outside 0..9999, a zone offset of
// 24 hours or more), AppendJSON returns nil, so that the caller can answer
// as it would have with encoding/json's error.
func (r *CheckinResult) AppendJSON(dst []byte) []byte {
	if b, ok := r.appendJSON(dst); ok {
		return b
	}
	// Rare: whatever the hand-written encoder does not reproduce itself is
	// left to encoding/json, so the answer is never a guess.
	b, err := json.Marshal(r)
	if err != nil {
		return nil
	}
	return append(dst, b...)
}

// appendJSON is AppendJSON's fast path; ok is false when a value needs
// encoding/json, and the returned bytes are then to be discarded.
func (r *CheckinResult) appendJSON(b []byte) (_ []byte, ok bool) {
	b = append(b, `{"checkin_id":`...)
	b = jsonw.String(b, r.CheckinID)
	b = append(b, `,"repeat":`...)
	b = jsonw.Bool(b, r.Repeat)

	c := &r.Citizen
	b = append(b, `,"citizen":{"id":`...)
	b = jsonw.String(b, string(c.ID)) // CitizenID.MarshalText is the ID itself
	b = append(b, `,"full_name":`...)
	b = jsonw.String(b, c.FullName)
	b = append(b, `,"dob":`...)
	b = appendDate(b, c.DOB)
	b = append(b, `,"gender":`...)
	b = jsonw.String(b, string(c.Gender))
	b = append(b, `,"address":`...)
	b = jsonw.String(b, c.Address)

	id := &r.Identity
	b = append(b, `},"identity":{"verified":`...)
	b = jsonw.Bool(b, id.Verified)
	b = append(b, `,"source":`...)
	b = jsonw.String(b, id.Source)
	b = append(b, `,"mismatches":`...)
	b = appendStrings(b, id.Mismatches)
	b = append(b, `,"warnings":`...)
	b = appendStrings(b, id.Warnings)
	if id.Cached {
		b = append(b, `,"cached":true`...)
	}
	b = append(b, `},"eligibility":`...)
	if b, ok = r.Eligibility.appendJSON(b); !ok {
		return b, false
	}

	v := &r.Visit
	b = append(b, `,"visit":{"facility":`...)
	b = jsonw.String(b, v.Facility)
	if v.FacilityName != "" {
		b = append(b, `,"facility_name":`...)
		b = jsonw.String(b, v.FacilityName)
	}
	b = append(b, `,"visit_type":`...)
	b = jsonw.String(b, string(v.VisitType))
	b = append(b, `,"at":`...)
	if b, ok = appendTime(b, v.At); !ok {
		return b, false
	}
	b = append(b, `,"day":`...)
	b = jsonw.String(b, v.Day)
	if v.Kiosk != "" {
		b = append(b, `,"kiosk":`...)
		b = jsonw.String(b, v.Kiosk)
	}
	if v.Ticket != 0 {
		b = append(b, `,"ticket":`...)
		b = jsonw.Int(b, int64(v.Ticket))
	}
	if v.Department != "" {
		b = append(b, `,"department":`...)
		b = jsonw.String(b, v.Department)
	}
	if v.DepartmentName != "" {
		b = append(b, `,"department_name":`...)
		b = jsonw.String(b, v.DepartmentName)
	}
	if len(v.Priority) > 0 {
		b = append(b, `,"priority":`...)
		b = appendStrings(b, v.Priority)
	}
	if v.ReferralNo != "" {
		b = append(b, `,"referral_no":`...)
		b = jsonw.String(b, v.ReferralNo)
	}
	if a := v.Acknowledgement; a != nil {
		b = append(b, `,"acknowledgement":{"reason":`...)
		b = jsonw.String(b, a.Reason)
		b = append(b, `,"note":`...)
		b = jsonw.String(b, a.Note)
		b = append(b, `,"by":`...)
		b = jsonw.String(b, a.By)
		b = append(b, `,"at":`...)
		if b, ok = appendTime(b, a.At); !ok {
			return b, false
		}
		b = append(b, '}')
	}

	b = append(b, `},"duplicate":{"flagged":`...)
	b = jsonw.Bool(b, r.Duplicate.Flagged)
	b = append(b, `,"others":`...)
	if r.Duplicate.Others == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Duplicate.Others {
			o := &r.Duplicate.Others[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"facility":`...)
			b = jsonw.String(b, o.Facility)
			if o.FacilityName != "" {
				b = append(b, `,"facility_name":`...)
				b = jsonw.String(b, o.FacilityName)
			}
			b = append(b, `,"visit_type":`...)
			b = jsonw.String(b, string(o.VisitType))
			b = append(b, `,"at":`...)
			if b, ok = appendTime(b, o.At); !ok {
				return b, false
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `},"dedupe":`...)
	b = jsonw.String(b, r.Dedupe)
	return append(b, '}'), true
}

// appendJSON writes e as json.Marshal does: omitempty drops "", 0, false
// and nil; omitzero drops a Date whose IsZero is true (encoding/json uses
// the method, so a Date with only a month is dropped too) and a nil History
// (an empty one is written as []). Holder and CitizenID are json:"-".
func (e *Eligibility) appendJSON(b []byte) (_ []byte, ok bool) {
	b = append(b, `{"status":`...)
	b = jsonw.String(b, e.Status)
	b = append(b, `,"code":`...)
	b = jsonw.String(b, e.Code)
	b = append(b, `,"message":`...)
	b = jsonw.String(b, e.Message)
	if e.MessageEN != "" {
		b = append(b, `,"message_en":`...)
		b = jsonw.String(b, e.MessageEN)
	}
	if e.CardNo != "" {
		b = append(b, `,"card_no":`...)
		b = jsonw.String(b, e.CardNo)
	}
	if e.BenefitLevel != 0 {
		b = append(b, `,"benefit_level":`...)
		b = jsonw.Int(b, int64(e.BenefitLevel))
	}
	if e.ObjectCode != "" {
		b = append(b, `,"object_code":`...)
		b = jsonw.String(b, e.ObjectCode)
	}
	b = append(b, `,"coverage_percent":`...)
	b = jsonw.Int(b, int64(e.CoveragePercent))
	if e.Route != "" {
		b = append(b, `,"route":`...)
		b = jsonw.String(b, string(e.Route))
	}
	if e.FacilityLevel != "" {
		b = append(b, `,"facility_level":`...)
		b = jsonw.String(b, e.FacilityLevel)
	}
	if !e.ValidFrom.IsZero() {
		b = append(b, `,"valid_from":`...)
		b = appendDate(b, e.ValidFrom)
	}
	if !e.ValidTo.IsZero() {
		b = append(b, `,"valid_to":`...)
		b = appendDate(b, e.ValidTo)
	}
	if e.RegisteredFacility != "" {
		b = append(b, `,"registered_facility":`...)
		b = jsonw.String(b, e.RegisteredFacility)
	}
	if !e.FiveYearsSince.IsZero() {
		b = append(b, `,"five_years_since":`...)
		b = appendDate(b, e.FiveYearsSince)
	}
	if e.ReplacedBy != "" {
		b = append(b, `,"replaced_by":`...)
		b = jsonw.String(b, e.ReplacedBy)
	}
	if nc := e.NewCard; nc != nil {
		b = append(b, `,"new_card":{"card_no":`...)
		b = jsonw.String(b, nc.CardNo)
		if !nc.ValidFrom.IsZero() {
			b = append(b, `,"valid_from":`...)
			b = appendDate(b, nc.ValidFrom)
		}
		if !nc.ValidTo.IsZero() {
			b = append(b, `,"valid_to":`...)
			b = appendDate(b, nc.ValidTo)
		}
		if nc.RegisteredFacility != "" {
			b = append(b, `,"registered_facility":`...)
			b = jsonw.String(b, nc.RegisteredFacility)
		}
		b = append(b, '}')
	}
	if e.SocialInsuranceNo != "" {
		b = append(b, `,"social_insurance_no":`...)
		b = jsonw.String(b, e.SocialInsuranceNo)
	}
	if e.AreaCode != "" {
		b = append(b, `,"area_code":`...)
		b = jsonw.String(b, e.AreaCode)
	}
	if e.InsurerOffice != "" {
		b = append(b, `,"insurer_office":`...)
		b = jsonw.String(b, e.InsurerOffice)
	}
	if e.CurrentCitizenID != "" {
		b = append(b, `,"current_citizen_id":`...)
		b = jsonw.String(b, string(e.CurrentCitizenID))
	}
	if len(e.Warnings) != 0 {
		b = append(b, `,"warnings":`...)
		b = appendStrings(b, e.Warnings)
	}
	if e.Reason != "" {
		b = append(b, `,"reason":`...)
		b = jsonw.String(b, e.Reason)
	}
	if e.History != nil {
		b = append(b, `,"history":[`...)
		for i := range e.History {
			h := &e.History[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"facility":`...)
			b = jsonw.String(b, h.Facility)
			b = append(b, `,"at":`...)
			if b, ok = appendTime(b, h.At); !ok {
				return b, false
			}
			b = append(b, `,"visit_type":`...)
			b = jsonw.String(b, string(h.VisitType))
			if h.Code != "" {
				b = append(b, `,"code":`...)
				b = jsonw.String(b, h.Code)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if e.Cached {
		b = append(b, `,"cached":true`...)
	}
	return append(b, '}'), true
}

// appendStrings writes a []string: null when nil, as encoding/json does.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.String(b, s)
	}
	return append(b, ']')
}

// appendDate writes d as its MarshalText (Date.String) does, quoted. The
// usual dates are formatted here without fmt; anything else (a negative or
// five-digit year, a month or day past 99) goes through String itself, so
// that fmt's padding rules are not re-implemented.
func appendDate(b []byte, d Date) []byte {
	if d.Year <= 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		if d.Year == 0 {
			return append(b, `""`...)
		}
		return jsonw.String(b, d.String())
	}
	b = append(b, '"')
	b = append(b, byte('0'+d.Year/1000), byte('0'+d.Year/100%10), byte('0'+d.Year/10%10), byte('0'+d.Year%10))
	if d.Month != 0 {
		b = append(b, '-', byte('0'+d.Month/10), byte('0'+d.Month%10))
		if d.Day != 0 {
			b = append(b, '-', byte('0'+d.Day/10), byte('0'+d.Day%10))
		}
	}
	return append(b, '"')
}

// appendTime writes t as time.Time's MarshalJSON does. ok is false where
// MarshalJSON fails: jsonw.Time checks the year, and the zone offset is
// checked here, since RFC 3339 has no zone of 24 hours or more and
// MarshalJSON refuses one.
func appendTime(b []byte, t time.Time) (_ []byte, ok bool) {
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		return b, false
	}
	return jsonw.Time(b, t)
}
