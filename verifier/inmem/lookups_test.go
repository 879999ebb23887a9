package inmem_test

import (
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/lookuptest"
)

func TestLookupLogConformance(t *testing.T) {
	lookuptest.Run(t, func(*testing.T) verifier.LookupLog { return inmem.NewLookupLog(nil) })
}
