package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// procCPU returns the CPU time (user + system) a process has used so far,
// from Linux's /proc/PID/stat, in clock ticks of 1/100 s (USER_HZ, 100 on
// every Linux architecture Go supports but alpha and ia64). PID 0 means
// this process.
func procCPU(pid int) (time.Duration, error) {
	p := "/proc/self/stat"
	if pid != 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: unexpected format", p)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: unexpected format", p)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: unexpected format", p)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// cpuMeter measures the CPU time of this process and, optionally, of the
// server process over a run.
type cpuMeter struct {
	pid            int
	self0, server0 time.Duration
	okSelf, okSrv  bool
}

func startCPU(pid int) *cpuMeter {
	m := &cpuMeter{pid: pid}
	var err error
	m.self0, err = procCPU(0)
	m.okSelf = err == nil
	if pid > 0 {
		m.server0, err = procCPU(pid)
		m.okSrv = err == nil
	}
	return m
}

// stop fills in the report's CPU figures.
func (m *cpuMeter) stop(r *report) {
	if m.okSelf {
		if t, err := procCPU(0); err == nil {
			r.ToolCPU = round((t - m.self0).Seconds(), 2)
		}
	}
	if m.okSrv {
		if t, err := procCPU(m.pid); err == nil {
			c := (t - m.server0).Seconds()
			r.ServerCPU = round(c, 2)
			if r.Requests > 0 {
				r.ServerCPUPerRequest = round(1000*c/float64(r.Requests), 4)
			}
		}
	}
}
