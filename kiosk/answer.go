package kiosk

import (
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// jsonContentType is the Content-Type c.JSON sends (gin's render.JSON);
// the hand-written answers send the same.
const jsonContentType = "application/json; charset=utf-8"

// jsonContentTypeHeader is shared by every answer, as gin's own is, so that
// setting the header allocates nothing.
var jsonContentTypeHeader = []string{jsonContentType}

// answerBufs holds the buffers check-in answers are written into, so that
// an answer costs no allocation once the pool is warm.
var answerBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 2048) // a check-in answer is about 1 KiB
	return &b
}}

// maxPooledAnswer bounds the buffers kept in answerBufs: one unusually
// large answer must not pin its memory in the pool for good.
const maxPooledAnswer = 64 << 10

// answerCheckin writes res as the 200 answer: the bytes c.JSON wrote, with
// the same headers, without encoding/json's reflection (once the top of
// the check-in profile).
func answerCheckin(c *gin.Context, res *verifier.CheckinResult) {
	bp := answerBufs.Get().(*[]byte)
	b := res.AppendJSON((*bp)[:0])
	if b == nil {
		// json.Marshal fails on this result (a time RFC 3339 cannot
		// write): c.JSON then records the error as it always did.
		answerBufs.Put(bp)
		c.JSON(http.StatusOK, *res)
		return
	}
	// c.Render writes b before it returns (an http.ResponseWriter must
	// not keep it), so the buffer can go back to the pool right after.
	c.Render(http.StatusOK, jsonBytes(b))
	if cap(b) <= maxPooledAnswer {
		*bp = b[:0]
		answerBufs.Put(bp)
	}
}

// jsonBytes renders encoded JSON exactly as c.JSON renders a value: the
// Content-Type only if none is set, and no Content-Length (c.Data would
// add one, costing two allocations per answer and changing the headers
// of the answers net/http sends chunked).
type jsonBytes []byte

func (j jsonBytes) Render(w http.ResponseWriter) error {
	j.WriteContentType(w)
	_, err := w.Write(j)
	return err
}

func (j jsonBytes) WriteContentType(w http.ResponseWriter) {
	if h := w.Header(); len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentTypeHeader
	}
}
