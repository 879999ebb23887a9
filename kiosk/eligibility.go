package kiosk

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

type eligibilityBody struct {
	CitizenID *string `json:"citizen_id"`
	CardNo    *string `json:"card_no"`
	FullName  string  `json:"full_name"`
	DOB       string  `json:"dob"`
	Gender    string  `json:"gender"`
	Facility  string  `json:"facility"`
	VisitType string  `json:"visit_type"`
	Date      string  `json:"date"`
}

// eligibility answers POST /v1/eligibility: a decision, nothing recorded.
func (s *Server) eligibility(c *gin.Context) {
	var b eligibilityBody
	if _, err := s.readJSONOnly(c, &b); err != nil {
		s.abort(c, err)
		return
	}
	req, err := eligibilityRequest(keyOf(c), b)
	if err != nil {
		s.abort(c, err)
		return
	}
	e, err := s.v.Eligibility(c.Request.Context(), req)
	if err != nil {
		s.abort(c, err)
		return
	}
	s.metrics.eligCodes.WithLabelValues(e.Code).Inc()
	if e.CitizenID != "" {
		readSubjects(c, e.CitizenID)
	}
	c.JSON(http.StatusOK, e)
}

func eligibilityRequest(k *Key, b eligibilityBody) (verifier.EligibilityRequest, error) {
	var req verifier.EligibilityRequest
	if (b.CitizenID == nil) == (b.CardNo == nil) {
		return req, badRequest("invalid_request", `send either "citizen_id", or "card_no" with "full_name" and "dob"`)
	}
	fac, err := facilityFor(k, b.Facility)
	if err != nil {
		return req, err
	}
	req.Facility, req.VisitType, req.Day = fac, verifier.VisitType(b.VisitType), b.Date
	if b.CitizenID != nil {
		if req.CitizenID, err = verifier.ParseCitizenID(*b.CitizenID); err != nil {
			return req, err
		}
	} else {
		req.CardNo = *b.CardNo
	}
	req.Stated.FullName = b.FullName
	if b.DOB != "" {
		if req.Stated.DOB, err = parseBirthDate(b.DOB); err != nil {
			return req, err
		}
	}
	if b.Gender != "" {
		g, ok := verifier.ParseGender(b.Gender)
		if !ok {
			return req, verifier.Errorf(verifier.KindUnprocessable, "invalid_gender", `gender must be male or female`)
		}
		req.Stated.Gender = g
	}
	return req, nil
}

// parseBirthDate accepts the contract's YYYY-MM-DD (or partial) and the
// insurer gateway's dd/MM/yyyy, MM/yyyy and yyyy.
func parseBirthDate(s string) (verifier.Date, error) {
	if d, err := verifier.ParseDate(s); err == nil {
		return d, nil
	}
	var d verifier.Date
	switch len(s) {
	case 10:
		if s[2] == '/' && s[5] == '/' {
			if d, err := verifier.ParseDate(s[6:] + "-" + s[3:5] + "-" + s[:2]); err == nil {
				return d, nil
			}
		}
	case 7:
		if s[2] == '/' {
			if d, err := verifier.ParseDate(s[3:] + "-" + s[:2]); err == nil {
				return d, nil
			}
		}
	}
	return d, verifier.Errorf(verifier.KindUnprocessable, "invalid_date", "dob must be YYYY-MM-DD (or YYYY-MM, YYYY) or dd/MM/yyyy")
}

// readJSONOnly reads a JSON body, refusing multipart (no image here).
func (s *Server) readJSONOnly(c *gin.Context, dst any) ([]byte, error) {
	img, err := s.readBody(c, dst)
	if err == nil && img != nil {
		return nil, badRequest("invalid_request", "this endpoint takes no image")
	}
	return img, err
}
