package kiosk

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// MaxBatch is the most check-ins one batch may carry.
const MaxBatch = 500

type batchBody struct {
	Items []checkinBody `json:"items"`
}

type batchItem struct {
	Index  int                     `json:"index"`
	Status int                     `json:"status"`
	Result *verifier.CheckinResult `json:"result,omitempty"`
	Error  *errorDetail            `json:"error,omitempty"`
}

type batchResponse struct {
	Results []batchItem `json:"results"`
}

// checkinBatch answers POST /v1/checkins/batch: the check-ins a kiosk
// queued while its link was down, each with its scanned_at. Items are
// recorded in order and answered one by one; a bad item does not stop the
// others. The window places each visit on its own local day, so the flags
// come out as if the check-ins had arrived live.
func (s *Server) checkinBatch(c *gin.Context) {
	var b batchBody
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBatchBody)
	if ct := c.GetHeader("Content-Type"); ct != "" && !isJSON(ct) {
		s.abort(c, &verifier.Error{Kind: verifier.KindUnsupported, Code: "unsupported_media_type", Message: "a batch is application/json"})
		return
	}
	if err := decodeJSON(c.Request.Body, &b); err != nil {
		s.abort(c, err)
		return
	}
	switch {
	case len(b.Items) == 0:
		s.abort(c, badRequest("invalid_request", `"items" must hold at least one check-in`))
		return
	case len(b.Items) > MaxBatch:
		s.abort(c, verifier.Errorf(verifier.KindTooLarge, "batch_too_large", "a batch holds at most %d check-ins", MaxBatch))
		return
	}
	// Each item is a check-in's work: it costs what a check-in sent alone
	// would, so that a batch is no way around the key's rate.
	if err := s.spend(c, len(b.Items)); err != nil {
		s.abort(c, err)
		return
	}
	out := batchResponse{Results: make([]batchItem, len(b.Items))}
	for i, item := range b.Items {
		out.Results[i] = s.batchCheckin(c, i, item)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) batchCheckin(c *gin.Context, i int, item checkinBody) batchItem {
	fail := func(err error) batchItem {
		e := verifier.AsError(err)
		status := statusOf[e.Kind]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		msg := e.Message
		if e.Kind == verifier.KindInternal {
			msg = "internal error"
		}
		return batchItem{Index: i, Status: status, Error: &errorDetail{Code: e.Code, Message: msg}}
	}
	req, err := s.checkinRequest(c, item, nil)
	if err != nil {
		return fail(err)
	}
	res, err := s.v.Checkin(c.Request.Context(), req)
	if err != nil {
		s.countFailed(err)
		return fail(err)
	}
	s.countCheckin(res)
	readSubjects(c, res.Citizen.ID)
	return batchItem{Index: i, Status: http.StatusOK, Result: &res}
}

func isJSON(ct string) bool {
	return len(ct) >= 16 && ct[:16] == "application/json"
}
