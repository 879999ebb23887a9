package scanner

// Fields returns the "fields" object of the POST /v1/decode answer
// (kiosk/openapi.yaml): dates as "YYYY-MM-DD" or partial ("YYYY-MM", "YYYY"),
// "" when unknown; gender "male", "female" or "". Keys are always present
// so that clients see one shape per kind; "extra" only when there is any.
// A CCCD's "card_type" is "cccd", "can_cuoc" or "" (no issue date).
// The map holds personal data: it is for the response body, never for logs.
func (r Result) Fields() map[string]any {
	switch {
	case r.Kind == KindCCCD && r.CCCD != nil:
		c := r.CCCD
		f := map[string]any{
			"id":        string(c.ID),
			"old_id":    c.OldID,
			"full_name": c.FullName,
			"dob":       c.DOB.String(),
			"gender":    string(c.Gender),
			"address":   c.Address,
			"issued_on": c.IssuedOn.String(),
			"card_type": c.CardType(),
		}
		if len(c.Extra) > 0 {
			f["extra"] = c.Extra
		}
		return f
	case r.Kind == KindBHYT && r.BHYT != nil:
		b := r.BHYT
		f := map[string]any{
			"card_no":             b.CardNo,
			"full_name":           b.FullName,
			"dob":                 b.DOB.String(),
			"gender":              string(b.Gender),
			"address":             b.Address,
			"registered_facility": b.RegisteredFacility,
			"valid_from":          b.ValidFrom.String(),
			"valid_to":            b.ValidTo.String(),
			"issued_on":           b.IssuedOn.String(),
			"managing_code":       b.ManagingCode,
			"parent_name":         b.ParentName,
			"area_code":           b.AreaCode,
			"five_years_since":    b.FiveYearsSince.String(),
			"social_insurance_no": b.SocialInsuranceNo,
		}
		if b.ObjectCode != "" {
			f["object_code"] = b.ObjectCode
			f["benefit_level"] = b.BenefitLevel
			f["province_code"] = b.ProvinceCode
		}
		if len(b.Extra) > 0 {
			f["extra"] = b.Extra
		}
		return f
	case r.Kind == KindMRZ && r.MRZ != nil:
		m := r.MRZ
		return map[string]any{
			"id":              string(m.ID),
			"document_code":   m.DocCode,
			"issuing_state":   m.Issuer,
			"document_number": m.DocNumber,
			"dob":             m.DOB.String(),
			"gender":          string(m.Gender),
			"expires_on":      m.Expiry.String(),
			"nationality":     m.Nationality,
			"surname":         m.Surname,
			"given_names":     m.GivenNames,
			"full_name":       m.FullName(),
		}
	}
	return map[string]any{}
}
