// Package verifier owns the domain of the check-in service: citizen IDs,
// citizens, insurance cards, eligibility decisions, visits and same-day
// duplicates. It imports no transport or storage technology; adapters live in
// subpackages named after what they use (inmem, redisledger).
package verifier

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers. It is the project's one error
// vocabulary: the HTTP layer maps each Kind to exactly one status code.
type Kind string

const (
	KindInvalid       Kind = "invalid"       // malformed request: wrong syntax or type (400)
	KindUnprocessable Kind = "unprocessable" // well-formed but unusable input (422)
	KindNotFound      Kind = "not_found"     // the thing asked for does not exist (404)
	KindForbidden     Kind = "forbidden"     // the caller may not do this (403)
	KindTooLarge      Kind = "too_large"     // input exceeds a configured limit (413)
	KindUnsupported   Kind = "unsupported"   // unsupported media type (415)
	KindUnavailable   Kind = "unavailable"   // a dependency is down (503)
	KindInternal      Kind = "internal"      // a bug or an unexpected failure (500)
)

// Error is the error type returned across package boundaries. Code is a
// stable machine-readable reason (e.g. "citizen_not_found") that clients
// may switch on; Message is for people and must never contain personal data
// (it may be shown to a patient at a kiosk and is logged).
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error // wrapped cause, for logs; never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of kind k with a stable code and a message.
func Errorf(k Kind, code, format string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error that keeps err as its cause.
func Wrap(err error, k Kind, code, message string) *Error {
	return &Error{Kind: k, Code: code, Message: message, Err: err}
}

// KindOf reports the Kind of err: the Kind of the first *Error in its chain,
// or KindInternal for any other non-nil error.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	// AsType, unlike As, needs no pointer to a local that escapes: KindOf
	// runs on every request and this keeps it free of allocations.
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return KindInternal
}

// AsError returns the first *Error in err's chain, or an internal error that
// wraps err.
func AsError(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}
