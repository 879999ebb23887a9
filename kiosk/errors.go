package kiosk

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// statusOf is the one table from the project's error kinds to HTTP status.
var statusOf = map[verifier.Kind]int{
	verifier.KindInvalid:       http.StatusBadRequest,
	verifier.KindUnprocessable: http.StatusUnprocessableEntity,
	verifier.KindNotFound:      http.StatusNotFound,
	verifier.KindForbidden:     http.StatusForbidden,
	verifier.KindTooLarge:      http.StatusRequestEntityTooLarge,
	verifier.KindUnsupported:   http.StatusUnsupportedMediaType,
	verifier.KindUnavailable:   http.StatusServiceUnavailable,
	verifier.KindInternal:      http.StatusInternalServerError,
}

// Errors that the HTTP layer itself raises.
var (
	errUnauthenticated = &verifier.Error{Kind: "unauthenticated", Code: "unauthenticated", Message: "send a valid API token as Authorization: Bearer TOKEN"}
	errRateLimited     = &verifier.Error{Kind: "rate_limited", Code: "rate_limited", Message: "too many requests for this token; retry after the time in Retry-After"}
	// A flood without valid credentials, counted per client address.
	errAnonymousRateLimited = &verifier.Error{Kind: "rate_limited", Code: "rate_limited", Message: "too many requests without valid credentials from this address; retry after the time in Retry-After"}
)

func init() {
	statusOf["unauthenticated"] = http.StatusUnauthorized
	statusOf["rate_limited"] = http.StatusTooManyRequests
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// abort answers err as the contract's JSON error and stops the chain.
// Internal errors are logged here, once, at the edge; their cause is never
// shown to the client.
func (s *Server) abort(c *gin.Context, err error) {
	if gatewayMode(c) != "" {
		s.gatewayAbort(c, err)
		return
	}
	e := verifier.AsError(err)
	status, ok := statusOf[e.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		// The cause may name a driver or address, never personal data:
		// adapters build their errors without it.
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("route", c.FullPath()), slog.String("code", e.Code), slog.String("error", e.Error()))
	}
	msg := e.Message
	if e.Kind == verifier.KindInternal {
		msg = "internal error"
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: e.Code, Message: msg}})
}

func badRequest(code, msg string) error {
	return &verifier.Error{Kind: verifier.KindInvalid, Code: code, Message: msg}
}

func isMaxBytes(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}
