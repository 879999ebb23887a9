package redisledger

import (
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimtest"
)

func TestClaimsConformance(t *testing.T) {
	c := testClient(t)
	claimtest.RunClaims(t, func(t *testing.T) verifier.ClaimStore {
		l, _ := newTestLedger(t, c, Options{})
		return l.Claims()
	})
}

func TestReviewsConformance(t *testing.T) {
	c := testClient(t)
	claimtest.RunReviews(t, func(t *testing.T) claimtest.ReviewLedger {
		l, _ := newTestLedger(t, c, Options{})
		return l
	})
}
