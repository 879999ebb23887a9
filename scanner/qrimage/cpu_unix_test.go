//go:build unix

package qrimage

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (all threads, user and
// system). On a shared, loaded machine a benchmark's wall-clock ns/op
// counts the time it waited for a core; CPU time per operation does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
