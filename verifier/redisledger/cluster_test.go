package redisledger_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// clusterEnv names the cluster's node addresses for the child process that
// runs the conformance suite.
const clusterEnv = "REDISLEDGER_TEST_CLUSTER"

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
// find its keys on one node.
//
// The suite's Tickets case expects numbers without gaps, while on a cluster
// the ledger draws a number before it knows whether the visit is new, so a
// re-scan skips one (documented on verifier.Visit.Ticket). The suite runs in
// a child process of this test binary with that one case skipped
// (-test.skip), and the cluster's own ticket contract is checked here.
func TestClusterConformance(t *testing.T) {
	if addrs := os.Getenv(clusterEnv); addrs != "" {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
		t.Cleanup(func() { c.Close() })
		n := 0
		ledgertest.Run(t, func(t *testing.T) verifier.Ledger {
			n++ // subtests are created one after the other
			return clusterLedger(c, n)
		})
		return
	}
	addrs := redistest.StartCluster(t, 3)
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterConformance$",
		"-test.skip=^TestClusterConformance/Tickets$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), clusterEnv+"="+strings.Join(addrs, ","))
	out, err := cmd.CombinedOutput()
	passed := regexp.MustCompile(`(?m)^\s*--- PASS: TestClusterConformance/`).FindAll(out, -1)
	if err != nil || len(passed) < 20 {
		t.Fatalf("conformance suite on the cluster at %v: %v (%d cases passed)\n%s", addrs, err, len(passed), out)
	}
	t.Logf("conformance suite: %d cases passed on a 3-node cluster at %v (Tickets checked below)", len(passed), addrs)

	// Tickets on a cluster: new visits get increasing numbers per facility
	// and day, a re-scan keeps its number, another facility and the next
	// day start again at 1; a number may be skipped.
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	l := clusterLedger(c, 0)
	now := time.Now().In(ledgertest.Zone)
	day0 := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, ledgertest.Zone)
	ticket := func(id string, n int, fac string, at time.Time) int {
		got, err := l.Record(context.Background(), ledgertest.NewRecording(id, ledgertest.Citizen(n), fac, at))
		if err != nil {
			t.Fatal(err)
		}
		return got.Visit.Ticket
	}
	a := ticket("t1", 1, "08001", day0)
	b := ticket("t2", 2, "08001", day0.Add(time.Minute))
	other := ticket("t3", 3, "08002", day0.Add(2*time.Minute))
	again := ticket("t4", 1, "08001", day0.Add(3*time.Minute)) // re-scan
	c3 := ticket("t5", 3, "08001", day0.Add(4*time.Minute))
	next := ticket("t6", 1, "08001", day0.AddDate(0, 0, 1))
	if a != 1 || b <= a || other != 1 || again != a || c3 <= b || next != 1 {
		t.Errorf("tickets %d %d %d %d %d %d: want 1, more, 1 at another facility, the first again on a re-scan, more, 1 the next day",
			a, b, other, again, c3, next)
	}
}
