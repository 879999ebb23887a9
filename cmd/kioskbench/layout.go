package main

import (
	"fmt"
	"io"
	"regexp"
)

// A layout pins the parts of a run to their own cores, so that what is
// measured on a many-core machine is the server, not its neighbours: Redis
// (one thread) on one core, kioskd and the floor on the same set of cores
// (one at a time: the floor's run, then kioskd's), the load generator on
// the rest. -layout N prints the commands for an N-core machine; the
// floor's child process is pinned with -floor-cpus.

// cpuList is a CPU list as taskset -c reads it: 0-5,8,10-11.
var cpuList = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)

// layout is the split of n cores: Redis on core 0, the server on the next
// 3/8 of them (6 of 16, where kioskd's figures of issue 15 were taken), the
// load on the rest.
type layout struct{ redis, server, load string }

func layoutFor(n int) (layout, error) {
	if n < 4 {
		return layout{}, fmt.Errorf("-layout needs at least 4 cores (Redis, server and load on cores of their own), not %d", n)
	}
	server := max(1, n*3/8)
	span := func(from, to int) string {
		if from == to {
			return fmt.Sprint(from)
		}
		return fmt.Sprintf("%d-%d", from, to)
	}
	return layout{redis: "0", server: span(1, server), load: span(server+1, n-1)}, nil
}

// writeLayout prints the recipe of an n-core run.
func writeLayout(w io.Writer, n int) error {
	l, err := layoutFor(n)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, `# %[1]d cores: Redis on core %[2]s, kioskd and the floor on cores %[3]s, the load on cores %[4]s.
# Build first (go build -o bin/ ./cmd/kioskd ./cmd/kioskbench), on a machine with nothing else running.
taskset -c %[2]s redis-server --port 6379 --save '' --appendonly no --daemonize yes
bin/kioskbench -write-keys /tmp/bench-keys.json -demo-citizens 1000000
taskset -c %[3]s bin/kioskd -addr 127.0.0.1:8080 -keys /tmp/bench-keys.json -demo-citizens 1000000 \
    -redis redis://127.0.0.1:6379/13 -pseudonym-key bench -outbox /tmp/outbox &
# Wait for curl -sf http://127.0.0.1:8080/readyz; then, for each of -c 64 and -c 256, the floor and
# kioskd one after the other; -redis-stats reports what each run cost Redis's main thread per
# request (CPU, EVALSHA calls and µs, from INFO before and after: nothing else may use this Redis):
L="-keys /tmp/bench-keys.json -demo-citizens 1000000 -pool 1000000 -mix checkin=85,repeat=10,dup=5 -d 30s -c 64 -redis redis://127.0.0.1:6379/15 -redis-stats"
taskset -c %[4]s bin/kioskbench $L -baseline -floor-cpus %[3]s
taskset -c %[4]s bin/kioskbench $L -pid $(pgrep -n kioskd)
`, n, l.redis, l.server, l.load)
	return err
}
