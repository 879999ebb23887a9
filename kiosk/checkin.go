package kiosk

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/scanner"
	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
	"github.com/vnhealth/cccd-checkin/verifier"
)

type decodeBody struct {
	Scan *string `json:"scan"`
	// Source is where an image comes from (openapi.yaml: ImageSource): "camera"
	// for a live frame, "upload" (the default) for a still photo.
	Source string `json:"source"`
}

// imageSource reads the optional "source" field: whether an image is a
// live camera frame, searched by the short path, or an upload, searched
// thoroughly.
func imageSource(source string) (camera bool, err error) {
	switch source {
	case "", "upload":
		return false, nil
	case "camera":
		return true, nil
	}
	return false, badRequest("invalid_field", `"source" must be "camera" (a live frame) or "upload" (a still photo, the default)`)
}

type decodeResponse struct {
	Kind     scanner.Kind   `json:"kind"`
	Fields   map[string]any `json:"fields"`
	Warnings []string       `json:"warnings"`
	Degraded bool           `json:"degraded"`
	Strategy string         `json:"strategy,omitempty"`
	// Text is the decoded text of an image's code, so that a kiosk can
	// check in with it as "scan" without sending the frame again.
	Text string `json:"text,omitempty"`
}

// decode answers POST /v1/decode: recognise a scan or an image, record nothing.
func (s *Server) decode(c *gin.Context) {
	var body decodeBody
	img, err := s.readBody(c, &body)
	if err != nil {
		s.abort(c, err)
		return
	}
	if (body.Scan == nil) == (img == nil) {
		s.abort(c, badRequest("invalid_request", `send exactly one of "scan" (text) or "image" (multipart file)`))
		return
	}
	camera, err := imageSource(body.Source)
	if err != nil {
		s.abort(c, err)
		return
	}
	res, qr, err := s.recognise(c, body.Scan, img, camera)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, decodeResponse{Kind: res.Kind, Fields: res.Fields(), Warnings: nonNil(res.Warnings), Degraded: res.Degraded, Strategy: qr.Strategy, Text: qr.Text})
}

// recognise parses scanner text, or finds and parses the code in an image
// (a live camera frame by the short path). Of several codes in one image,
// the first that parses is taken.
func (s *Server) recognise(c *gin.Context, text *string, img []byte, camera bool) (scanner.Result, qrimage.Result, error) {
	if text != nil {
		r, err := scanner.Parse(*text)
		return r, qrimage.Result{}, err
	}
	// The header first: an image over the pixel budget is refused before
	// a pixel is decoded; then its cost against the key's rate (a
	// megapixel a unit), then room among the images being decoded.
	h, err := qrimage.Inspect(img, s.image)
	if err != nil {
		if verifier.AsError(err).Code == qrimage.CodeTooLarge {
			s.metrics.limited.WithLabelValues("image_pixels").Inc()
		}
		s.metrics.decodes.WithLabelValues("none").Inc()
		return scanner.Result{}, qrimage.Result{}, err
	}
	if err := s.spend(c, 1+int((h.Pixels()+imagePixelsPerUnit-1)/imagePixelsPerUnit)); err != nil {
		return scanner.Result{}, qrimage.Result{}, err
	}
	release, err := s.images.acquire(c.Request.Context(), h.WorkBytes())
	if err != nil {
		s.metrics.limited.WithLabelValues("image_busy").Inc()
		c.Header("Retry-After", "1")
		return scanner.Result{}, qrimage.Result{}, err
	}
	defer release()
	var parsed scanner.Result
	qr, err := qrimage.Decode(c.Request.Context(), img, qrimage.Options{
		Limits: s.image,
		Camera: camera,
		Accept: func(t string) bool {
			r, err := scanner.Parse(t)
			if err == nil {
				parsed = r
			}
			return err == nil
		},
	})
	if err != nil {
		s.metrics.decodes.WithLabelValues("none").Inc()
		return scanner.Result{}, qrimage.Result{}, err
	}
	s.metrics.decodes.WithLabelValues(qr.Strategy).Inc()
	return parsed, qr, nil
}

type checkinBody struct {
	Facility  string  `json:"facility"`
	Scan      *string `json:"scan"`
	CitizenID *string `json:"citizen_id"`
	CardNo    *string `json:"card_no"`
	VisitType string  `json:"visit_type"`
	ScannedAt string  `json:"scanned_at"`
	Kiosk     string  `json:"kiosk"`
	Source    string  `json:"source"` // of an image: "camera" or "upload"
	// The desk's fields (openapi.yaml: CheckinRequest).
	ReferralNo string       `json:"referral_no"`
	Department string       `json:"department"`
	Priority   priorityList `json:"priority"`
}

// checkin answers POST /v1/checkins.
func (s *Server) checkin(c *gin.Context) {
	var body checkinBody
	img, err := s.readBody(c, &body)
	if err != nil {
		s.abort(c, err)
		return
	}
	req, err := s.checkinRequest(c, body, img)
	if err != nil {
		s.abort(c, err)
		return
	}
	res, err := s.v.Checkin(c.Request.Context(), req)
	if err != nil {
		s.countFailed(err)
		s.abort(c, err)
		return
	}
	s.countCheckin(res)
	readSubjects(c, res.Citizen.ID)
	c.JSON(http.StatusOK, res)
}

// checkinRequest validates a check-in body and resolves what identifies
// the citizen.
func (s *Server) checkinRequest(c *gin.Context, b checkinBody, img []byte) (verifier.CheckinRequest, error) {
	n := 0
	for _, set := range []bool{b.Scan != nil, img != nil, b.CitizenID != nil, b.CardNo != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return verifier.CheckinRequest{}, badRequest("invalid_request", `send exactly one of "scan", "image", "citizen_id" or "card_no"`)
	}
	camera, err := imageSource(b.Source)
	if err != nil {
		return verifier.CheckinRequest{}, err
	}
	fac, err := facilityFor(keyOf(c), b.Facility)
	if err != nil {
		return verifier.CheckinRequest{}, err
	}
	req := verifier.CheckinRequest{Facility: fac, VisitType: verifier.VisitType(b.VisitType), Kiosk: b.Kiosk,
		ReferralNo: b.ReferralNo, Department: b.Department, Priority: b.Priority}
	if len(b.Kiosk) > 64 {
		return req, badRequest("invalid_field", `"kiosk" may have at most 64 characters`)
	}
	if b.ScannedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, b.ScannedAt)
		if err != nil {
			return req, badRequest("invalid_field", `"scanned_at" must be an RFC 3339 time such as 2026-11-28T07:30:00+07:00`)
		}
		req.ScannedAt = t
	}
	switch {
	case b.CitizenID != nil:
		id, err := verifier.ParseCitizenID(*b.CitizenID)
		if err != nil {
			return req, err
		}
		req.Presented = verifier.Presented{Source: verifier.SourceManual, CitizenID: id}
	case b.CardNo != nil:
		req.Presented = verifier.Presented{Source: verifier.SourceCardNo, CardNo: *b.CardNo}
	default:
		res, _, err := s.recognise(c, b.Scan, img, camera)
		if err != nil {
			return req, err
		}
		req.Presented = presented(res)
	}
	return req, nil
}

// presented turns a recognised scan into what identifies the citizen.
func presented(r scanner.Result) verifier.Presented {
	p := verifier.Presented{Degraded: r.Degraded, Warnings: r.Warnings}
	switch r.Kind {
	case scanner.KindCCCD:
		p.Source, p.CitizenID = verifier.SourceCCCDQR, r.CCCD.ID
		p.FullName, p.DOB, p.Gender = r.CCCD.FullName, r.CCCD.DOB, r.CCCD.Gender
	case scanner.KindMRZ:
		p.Source, p.CitizenID = verifier.SourceMRZ, r.MRZ.ID
		p.FullName, p.DOB, p.Gender = r.MRZ.Surname+" "+r.MRZ.GivenNames, r.MRZ.DOB, r.MRZ.Gender
	case scanner.KindBHYT:
		p.Source, p.CardNo = verifier.SourceBHYTQR, r.BHYT.CardNo
		p.FullName, p.DOB, p.Gender = r.BHYT.FullName, r.BHYT.DOB, r.BHYT.Gender
	}
	return p
}

func (s *Server) countCheckin(r verifier.CheckinResult) {
	outcome := "new"
	switch {
	case r.Dedupe == verifier.DedupeUnavailable:
		outcome = "dedupe_unavailable"
	case r.Repeat:
		outcome = "repeat"
	case r.Duplicate.Flagged:
		outcome = "flagged"
		s.metrics.flags.Inc()
	}
	s.metrics.checkins.WithLabelValues(outcome).Inc()
	s.metrics.eligCodes.WithLabelValues(r.Eligibility.Code).Inc()
}

// countFailed counts a check-in answered as not recorded (the window and
// the outbox both failed), for the metric and /readyz.
func (s *Server) countFailed(err error) {
	if verifier.AsError(err).Code != verifier.CodeNotRecorded {
		return
	}
	s.metrics.checkins.WithLabelValues("not_recorded").Inc()
	s.notRecorded.note(time.Now())
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
