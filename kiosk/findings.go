package kiosk

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// findingColumns are the columns of the findings export: one row per claim
// and per check-in of each finding.
var findingColumns = []column{
	{name: "kind", width: 28}, {name: "day", width: 11}, {name: "citizen_id", text: true, width: 15}, {name: "card_no", text: true, width: 17},
	{name: "full_name", width: 24}, {name: "record", width: 8}, {name: "facility", text: true, width: 9}, {name: "facility_name", width: 36},
	{name: "ma_lk", text: true, width: 20}, {name: "ma_loai_kcb", text: true, width: 6}, {name: "ngay_vao", text: true, width: 13},
	{name: "t_bhtt", width: 12}, {name: "checkin_id", text: true, width: 18}, {name: "visit_type", width: 11}, {name: "at", width: 26},
	{name: "review_state", width: 12}, {name: "review_note", width: 40},
	{name: "referral_no", text: true, width: 16}, {name: "acknowledgement_reason", width: 14}, {name: "acknowledgement_note", width: 40},
	{name: "acknowledged_by", width: 14}, {name: "acknowledged_at", width: 26},
}

func findingsQuery(c *gin.Context) (verifier.FindingsQuery, error) {
	q := verifier.FindingsQuery{From: c.Query("from"), To: c.Query("to"), Facility: c.Query("facility"),
		Kind: verifier.FindingKind(c.Query("kind")), Cursor: c.Query("cursor")}
	if q.From == "" || q.To == "" {
		return q, badRequest("invalid_request", "from and to (YYYY-MM-DD, local days) are required")
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return q, badRequest("invalid_limit", "limit must be a whole number")
		}
		q.Limit = n
	}
	return q, nil
}

// claimFindings answers GET /v1/claims/findings: one JSON page, or every
// finding as CSV or XLSX (format=, or the Accept header).
func (s *Server) claimFindings(c *gin.Context) {
	q, err := findingsQuery(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	format, err := exportFormat(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	if format == formatJSON {
		page, err := s.v.Findings(c.Request.Context(), q)
		if err != nil {
			s.abort(c, err)
			return
		}
		for _, f := range page.Items {
			if f.CitizenID != "" {
				readSubjects(c, f.CitizenID)
			}
		}
		c.JSON(http.StatusOK, page)
		return
	}
	q.Limit = 1000
	fetch := func(cursor string) (verifier.FindingsPage, string, error) {
		q.Cursor = cursor
		page, err := s.v.Findings(c.Request.Context(), q)
		return page, page.NextCursor, err
	}
	exportPages(s, c, format, "findings-"+q.From+"-"+q.To, findingColumns, q.Cursor, fetch, func(ex exporter, page verifier.FindingsPage) error {
		for _, f := range page.Items {
			if f.CitizenID != "" {
				readSubjects(c, f.CitizenID)
			}
			state, note := "", ""
			if f.Review != nil {
				state, note = string(f.Review.State), f.Review.Note
			}
			for _, cl := range f.Claims {
				if err := ex.row(string(f.Kind), f.Day, string(f.CitizenID), cmpOr(f.CardNo, cl.CardNo), f.FullName, "claim", cl.Facility, cl.FacilityName,
					cl.MaLK, cl.MaLoaiKCB, cl.NgayVao, cl.TBHTT.Float(), "", "", "", state, note, "", "", "", "", ""); err != nil {
					return err
				}
			}
			for _, v := range f.Checkins {
				vals := []any{string(f.Kind), f.Day, string(f.CitizenID), f.CardNo, f.FullName, "checkin", v.Facility, v.FacilityName,
					"", "", "", "", v.CheckinID, string(v.VisitType), v.At.Format(time.RFC3339), state, note}
				if err := ex.row(append(vals, deskCells(v)...)...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// claimFindingsSummary answers GET /v1/claims/findings/summary: counts per
// day and kind, per facility and per facility pair, for the charts.
func (s *Server) claimFindingsSummary(c *gin.Context) {
	if c.Query("from") == "" || c.Query("to") == "" {
		s.abort(c, badRequest("invalid_request", "from and to (YYYY-MM-DD, local days) are required"))
		return
	}
	sum, err := s.v.SummarizeFindings(c.Request.Context(), c.Query("from"), c.Query("to"), c.Query("facility"))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, sum)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
