package registryhttp_test

import (
	"log"
	"log/slog"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/breaker"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
	"github.com/vnhealth/cccd-checkin/verifier/registryhttp"
)

// One client serves the verifier as its population, insurance and facility
// registry; Observe feeds metrics (here a log line; kioskd uses a
// Prometheus histogram), the breaker's OnChange reports openings.
func ExampleNew() {
	reg, err := registryhttp.New("http://registry.internal:8090", registryhttp.Options{
		Token:     "shared-secret",
		Timeout:   800 * time.Millisecond,
		CacheSize: 100_000,
		CacheTTL:  12 * time.Hour,
		Breaker: breaker.New(breaker.Options{Failures: 5, OpenFor: 5 * time.Second,
			OnChange: func(from, to breaker.State) {
				slog.Warn("registry circuit", "from", string(from), "to", string(to))
			}}),
		Observe: func(op, outcome string, d time.Duration) {
			if outcome != registryhttp.OutcomeOK {
				slog.Info("registry call", "op", op, "outcome", outcome, "took", d)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: inmem.NewLedger()}
	svc.Defaults()
}
