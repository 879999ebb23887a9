package inmem_test

import (
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimtest"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

func TestClaimsConformance(t *testing.T) {
	claimtest.RunClaims(t, func(t *testing.T) verifier.ClaimStore { return inmem.NewClaims(0, nil) })
}

func TestReviewsConformance(t *testing.T) {
	claimtest.RunReviews(t, func(t *testing.T) claimtest.ReviewLedger { return inmem.NewLedger() })
}
