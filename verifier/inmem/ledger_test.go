package inmem_test

import (
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
)

func TestLedgerConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) verifier.Ledger { return inmem.NewLedger() })
}

func BenchmarkRecord(b *testing.B) {
	ledgertest.Bench(b, inmem.NewLedger())
}
