package kiosk

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

type duplicatesResponse struct {
	Items      []verifier.DuplicateGroup `json:"items"`
	NextCursor string                    `json:"next_cursor"`
}

// duplicates answers GET /v1/duplicates, as one JSON page or, for
// Accept: text/csv or format=csv, a CSV file of every matching visit.
func (s *Server) duplicates(c *gin.Context) {
	q := verifier.DuplicateQuery{
		From: c.Query("from"), To: c.Query("to"), Facility: c.Query("facility"), Cursor: c.Query("cursor"),
	}
	if id := c.Query("citizen_id"); id != "" {
		cid, err := verifier.ParseCitizenID(id)
		if err != nil {
			s.abort(c, err)
			return
		}
		q.Citizen = cid
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			s.abort(c, badRequest("invalid_limit", "limit must be a whole number"))
			return
		}
		q.Limit = n
	}
	if q.From == "" || q.To == "" {
		s.abort(c, badRequest("invalid_request", "from and to (YYYY-MM-DD, local days) are required"))
		return
	}
	format, err := exportFormat(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	if format != formatJSON {
		s.duplicatesExport(c, q, format)
		return
	}
	page, err := s.v.Duplicates(c.Request.Context(), q)
	if err != nil {
		s.abort(c, err)
		return
	}
	if page.Items == nil {
		page.Items = []verifier.DuplicateGroup{}
	}
	for _, g := range page.Items {
		readSubjects(c, g.CitizenID)
	}
	c.JSON(http.StatusOK, duplicatesResponse{Items: page.Items, NextCursor: page.NextCursor})
}

// csvHeader are the columns of the duplicates export (CSV and XLSX).
var csvHeader = []string{"citizen_id", "full_name", "day", "facility", "facility_name", "visit_type", "at", "checkin_id", "kiosk",
	"review_state", "review_note", "reviewed_by", "referral_no", "acknowledgement_reason", "acknowledgement_note", "acknowledged_by", "acknowledged_at"}

var duplicateColumns = []column{
	{name: "citizen_id", text: true, width: 15}, {name: "full_name", width: 24}, {name: "day", width: 11},
	{name: "facility", text: true, width: 9}, {name: "facility_name", width: 36}, {name: "visit_type", width: 11},
	{name: "at", width: 26}, {name: "checkin_id", text: true, width: 18}, {name: "kiosk", width: 12},
	{name: "review_state", width: 12}, {name: "review_note", width: 40}, {name: "reviewed_by", width: 14},
	{name: "referral_no", text: true, width: 16}, {name: "acknowledgement_reason", width: 14}, {name: "acknowledgement_note", width: 40},
	{name: "acknowledged_by", width: 14}, {name: "acknowledged_at", width: 26},
}

// duplicatesExport writes every page as CSV (streamed, UTF-8 with a
// byte-order mark) or as an XLSX workbook, one row per visit, the facility's
// name beside its code and the group's review on each of its rows. Memory
// stays constant for CSV (one page at a time); the workbook spills to a
// temporary file as it grows.
func (s *Server) duplicatesExport(c *gin.Context, q verifier.DuplicateQuery, format string) {
	q.Limit = 500
	names := map[string]string{}
	name := func(code string) string {
		n, ok := names[code]
		if !ok {
			n = s.v.FacilityName(c.Request.Context(), code)
			names[code] = n
		}
		return n
	}
	fetch := func(cursor string) (verifier.DuplicatePage, string, error) {
		q.Cursor = cursor
		page, err := s.v.Duplicates(c.Request.Context(), q)
		return page, page.NextCursor, err
	}
	exportPages(s, c, format, "duplicates-"+q.From+"-"+q.To, duplicateColumns, q.Cursor, fetch, func(ex exporter, page verifier.DuplicatePage) error {
		for _, g := range page.Items {
			readSubjects(c, g.CitizenID)
			state, note, by := string(verifier.ReviewOpen), "", ""
			if g.Review != nil {
				state, note, by = string(g.Review.State), g.Review.Note, g.Review.By
			}
			for _, v := range g.Visits {
				vals := []any{string(g.CitizenID), g.FullName, g.Day, v.Facility, name(v.Facility), string(v.VisitType),
					v.At.Format(time.RFC3339), v.CheckinID, v.Kiosk, state, note, by}
				if err := ex.row(append(vals, deskCells(v)...)...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// exportPages writes an export of every page of a paged query, from the
// page at cursor on: fetch returns a page and the cursor of the next ("" at
// the end), write writes a page's rows.
func exportPages[P any](s *Server, c *gin.Context, format, name string, cols []column, cursor string,
	fetch func(cursor string) (page P, next string, err error), write func(ex exporter, page P) error) {
	page, next, err := fetch(cursor)
	if err != nil {
		s.abort(c, err) // nothing written yet: a proper JSON error
		return
	}
	ex, err := s.newExporter(c, format, name, cols)
	if err != nil {
		s.abort(c, err)
		return
	}
	for {
		if err := write(ex, page); err != nil {
			s.exportFailed(c, format, err)
			return
		}
		if next == "" {
			break
		}
		if page, next, err = fetch(next); err != nil {
			if format == formatCSV {
				// Headers are gone: end the file with a marker row so a
				// truncated export is never mistaken for a complete one.
				_ = ex.row("#error", verifier.AsError(err).Message)
				_ = ex.close()
				return
			}
			s.abort(c, err)
			return
		}
	}
	if err := ex.close(); err != nil {
		s.exportFailed(c, format, err)
	}
}

// exportFailed ends an export that could not be written: for a workbook
// not yet sent, a JSON error; for a CSV under way, nothing more can be
// said (the client went away, or the writer failed).
func (s *Server) exportFailed(c *gin.Context, format string, err error) {
	if format == formatXLSX && !c.Writer.Written() {
		s.abort(c, err)
	}
}

// duplicatesSummary answers GET /v1/duplicates/summary: counts per
// facility and facility pair over a day range, for the auditor's overview.
func (s *Server) duplicatesSummary(c *gin.Context) {
	if c.Query("from") == "" || c.Query("to") == "" {
		s.abort(c, badRequest("invalid_request", "from and to (YYYY-MM-DD, local days) are required"))
		return
	}
	sum, err := s.v.SummarizeDuplicates(c.Request.Context(), c.Query("from"), c.Query("to"), c.Query("facility"))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, sum)
}

type visitsResponse struct {
	CitizenID verifier.CitizenID `json:"citizen_id"`
	Day       string             `json:"day"`
	Visits    []verifier.Visit   `json:"visits"`
}

// visits answers GET /v1/citizens/{id}/visits.
func (s *Server) visits(c *gin.Context) {
	id, err := verifier.ParseCitizenID(c.Param("id"))
	if err != nil {
		s.abort(c, err)
		return
	}
	if k := keyOf(c); k.Role == RoleHIS {
		// A hospital system reads only the citizens who checked in or
		// were looked up at its facility lately (verifier.SeenAt), so
		// that its key cannot walk the population.
		seen, err := s.v.SeenAt(c.Request.Context(), id, k.Facility)
		if err != nil {
			s.abort(c, err)
			return
		}
		if !seen {
			s.abort(c, verifier.Errorf(verifier.KindForbidden, "not_seen_here", "an HIS key reads only citizens who checked in or were looked up at facility %s in the last %d local days", k.Facility, verifier.SeenWithinDays))
			return
		}
	}
	day, vs, err := s.v.Visits(c.Request.Context(), id, c.Query("day"))
	if err != nil {
		s.abort(c, err)
		return
	}
	if vs == nil {
		vs = []verifier.Visit{}
	}
	readSubjects(c, id)
	c.JSON(http.StatusOK, visitsResponse{CitizenID: id, Day: day, Visits: vs})
}

// checkinVisit answers GET /v1/checkins/{checkin_id}: the visit a check-in
// ID was answered with, for the desks of its facility and for auditors. A
// kiosk or HIS key of another facility is refused (403) rather than told
// the ID is unknown: IDs are random and unguessable, and the desk that was
// handed one should learn why it cannot read it.
func (s *Server) checkinVisit(c *gin.Context) {
	v, err := s.v.CheckinVisit(c.Request.Context(), c.Param("checkin_id"))
	if err != nil {
		s.abort(c, err)
		return
	}
	if k := keyOf(c); k.Role != RoleAuditor && k.Facility != "" && k.Facility != v.Facility {
		s.abort(c, verifier.Errorf(verifier.KindForbidden, "forbidden_facility", "this key may only read the check-ins of facility %s", k.Facility))
		return
	}
	readSubjects(c, v.CitizenID)
	c.JSON(http.StatusOK, v)
}

type reviewBody struct {
	State string `json:"state"`
	Note  string `json:"note"`
}

// setReview answers PUT /v1/duplicates/{citizen_id}/{day}/review: the
// auditor's judgement of a group, stored with it.
func (s *Server) setReview(c *gin.Context) {
	id, err := verifier.ParseCitizenID(c.Param("citizen_id"))
	if err != nil {
		s.abort(c, err)
		return
	}
	var body reviewBody
	if _, err := s.readBody(c, &body); err != nil {
		s.abort(c, err)
		return
	}
	by := ""
	if k := keyOf(c); k != nil {
		by = k.Name
	}
	r, err := s.v.SetReview(c.Request.Context(), verifier.ReviewRequest{CitizenID: id, Day: c.Param("day"), State: body.State, Note: body.Note, By: by})
	if err != nil {
		s.abort(c, err)
		return
	}
	readSubjects(c, id)
	c.JSON(http.StatusOK, r)
}
