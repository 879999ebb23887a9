package kiosk

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// priorityList is the "priority" member of a check-in body: a JSON array
// of group codes, or (a multipart form field is text) one string of codes
// separated by commas.
type priorityList []string

func (p *priorityList) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = nil
		for c := range strings.SplitSeq(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				*p = append(*p, c)
			}
		}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*p = l
	return nil
}

// amendBody is the body of PATCH /v1/checkins/{checkin_id}: the members
// sent are changed, the others kept.
type amendBody struct {
	VisitType  *string       `json:"visit_type"`
	ReferralNo *string       `json:"referral_no"`
	Department *string       `json:"department"`
	Priority   *priorityList `json:"priority"`
}

// amendCheckin answers PATCH /v1/checkins/{checkin_id}: the desk changes
// the route or visit type, the referral letter's number, the department or
// the priority of a check-in after the scan. The same check-in is changed
// (same ID and ticket), and the answer is the check-in's, its coverage
// decided again for the new visit type.
func (s *Server) amendCheckin(c *gin.Context) {
	var body amendBody
	if _, err := s.readBody(c, &body); err != nil {
		s.abort(c, err)
		return
	}
	if body.VisitType == nil && body.ReferralNo == nil && body.Department == nil && body.Priority == nil {
		s.abort(c, badRequest("invalid_request", `send at least one of "visit_type", "referral_no", "department" or "priority"`))
		return
	}
	req := verifier.AmendRequest{CheckinID: c.Param("checkin_id"), Facility: keyOf(c).Facility,
		ReferralNo: body.ReferralNo, Department: body.Department}
	if body.VisitType != nil {
		vt := verifier.VisitType(*body.VisitType)
		req.VisitType = &vt
	}
	if body.Priority != nil {
		p := []string(*body.Priority)
		req.Priority = &p
	}
	res, err := s.v.AmendCheckin(c.Request.Context(), req)
	if err != nil {
		s.abort(c, err)
		return
	}
	readSubjects(c, res.Citizen.ID)
	c.JSON(http.StatusOK, res)
}

type ackBody struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// acknowledge answers POST /v1/checkins/{checkin_id}/acknowledgement: why
// the desk lets a visit flagged as a same-day duplicate go ahead.
func (s *Server) acknowledge(c *gin.Context) {
	var body ackBody
	if _, err := s.readBody(c, &body); err != nil {
		s.abort(c, err)
		return
	}
	k := keyOf(c)
	ack, err := s.v.Acknowledge(c.Request.Context(), verifier.AckRequest{
		CheckinID: c.Param("checkin_id"), Facility: k.Facility, Reason: body.Reason, Note: body.Note, By: k.Name,
	})
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, ack)
}

// desk answers GET /v1/desk: what the kiosk page needs of its key's
// facility (name, clock zone, departments, priority groups, reasons). The
// page also calls it to check a token before saving it.
func (s *Server) desk(c *gin.Context) {
	k := keyOf(c)
	d, err := s.v.Desk(c.Request.Context(), k.Facility, k.Name)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}
