package redisledger_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

func clusterLedger(c *redis.ClusterClient, n int) *redisledger.Ledger {
	return redisledger.New(c, redisledger.Options{
		KeyPrefix:    fmt.Sprintf("cluster-test:%d:", n),
		PseudonymKey: []byte("cluster test key"),
	})
}

// TestClusterConformance runs the conformance suite against a Redis
// Cluster of three masters started for the test (redis-cli --cluster
// create, no replicas): a citizen's keys share one slot, the duplicate index
// and each facility's ticket counter live in others, and every script must
// find its keys on one node. (On a cluster a re-scan may skip a ticket
// number; the suite allows that.)
func TestClusterConformance(t *testing.T) {
	addrs := redistest.StartCluster(t, 3)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	var n atomic.Int64
	ledgertest.Run(t, func(t *testing.T) verifier.Ledger {
		return clusterLedger(c, int(n.Add(1)))
	})
}

// The same on a cluster, the record scripts through the deferred
// AutoPipeliner as kioskd sends them.
func TestClusterConformanceAsyncAutoPipelined(t *testing.T) {
	addrs := redistest.StartCluster(t, 3)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	ap, err := c.AsyncAutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	var n atomic.Int64
	ledgertest.Run(t, func(t *testing.T) verifier.Ledger {
		return redisledger.New(c, redisledger.Options{
			KeyPrefix:    fmt.Sprintf("cluster-ap-test:%d:", n.Add(1)),
			PseudonymKey: []byte("cluster test key"),
			Scripter:     ap,
		})
	})
}
