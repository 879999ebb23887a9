package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// One Redis shard is shared by a province's servers and runs every
// check-in's script on one thread, so what bounds a shard is the time
// that thread spends per check-in: -redis-stats reads it from Redis itself
// (INFO's main-thread CPU, and the EVALSHA line of INFO commandstats)
// before and after a run. Taken as differences, the figures need no
// CONFIG RESETSTAT, but they count whatever else the Redis served
// meanwhile: give the run a Redis of its own.

// redisSample is one reading of INFO.
type redisSample struct {
	mainCPU      time.Duration // user + system time of the main thread
	evalsha      uint64        // EVALSHA calls
	evalshaUsec  uint64        // microseconds spent in them
	mainThreadOK bool          // false on a Redis older than 6.2: the whole process's CPU
}

func readRedisSample(ctx context.Context, rdb *redis.Client) (redisSample, error) {
	info, err := rdb.Info(ctx, "cpu", "commandstats").Result()
	if err != nil {
		return redisSample{}, err
	}
	return parseRedisInfo(info)
}

// parseRedisInfo reads the fields of a redisSample from INFO's text.
func parseRedisInfo(info string) (redisSample, error) {
	var s redisSample
	var cpu, mainCPU [2]float64
	var seen, seenMain [2]bool
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "used_cpu_user", "used_cpu_sys", "used_cpu_user_main_thread", "used_cpu_sys_main_thread":
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return s, fmt.Errorf("INFO %s: %q", k, v)
			}
			i := 0
			if strings.HasPrefix(k, "used_cpu_sys") {
				i = 1
			}
			if strings.HasSuffix(k, "_main_thread") {
				mainCPU[i], seenMain[i] = x, true
			} else {
				cpu[i], seen[i] = x, true
			}
		case "cmdstat_evalsha":
			for _, f := range strings.Split(v, ",") {
				fk, fv, _ := strings.Cut(f, "=")
				switch fk {
				case "calls":
					s.evalsha, _ = strconv.ParseUint(fv, 10, 64)
				case "usec":
					s.evalshaUsec, _ = strconv.ParseUint(fv, 10, 64)
				}
			}
		}
	}
	seconds := func(x [2]float64) time.Duration { return time.Duration((x[0] + x[1]) * float64(time.Second)) }
	switch {
	case seenMain[0] && seenMain[1]:
		s.mainCPU, s.mainThreadOK = seconds(mainCPU), true
	case seen[0] && seen[1]:
		s.mainCPU = seconds(cpu)
	default:
		return s, fmt.Errorf("INFO cpu: no used_cpu_user and used_cpu_sys")
	}
	return s, nil
}

// redisMeter measures a run's cost to Redis (-redis-stats).
type redisMeter struct {
	rdb   *redis.Client
	start redisSample
	err   error
}

// startRedisMeter connects to -redis and takes the first reading; a failure
// is reported in the run's notes, not as the run's error.
func startRedisMeter(ctx context.Context, o options) *redisMeter {
	opt, err := baselineRedisOptions(ctx, o)
	if err != nil {
		return &redisMeter{err: err}
	}
	m := &redisMeter{rdb: redis.NewClient(opt)}
	m.start, m.err = readRedisSample(ctx, m.rdb)
	return m
}

// stop takes the second reading and fills in the report's Redis figures.
func (m *redisMeter) stop(ctx context.Context, r *report) {
	if m.rdb != nil {
		defer m.rdb.Close()
	}
	var end redisSample
	if m.err == nil {
		end, m.err = readRedisSample(ctx, m.rdb)
	}
	if m.err != nil {
		r.Notes = append(r.Notes, "-redis-stats: "+m.err.Error())
		return
	}
	m.start.fill(end, r)
}

// fill sets r's Redis figures from the readings before (s) and after (end).
func (s redisSample) fill(end redisSample, r *report) {
	if r.Requests == 0 {
		return
	}
	n := float64(r.Requests)
	cpu := float64(end.mainCPU-s.mainCPU) / float64(time.Microsecond)
	rs := &redisReport{
		CPUPerRequest: round(cpu/n, 2),
		EvalshaPerReq: round(float64(end.evalsha-s.evalsha)/n, 3),
		MainThread:    s.mainThreadOK,
	}
	if calls := end.evalsha - s.evalsha; calls > 0 {
		rs.UsecPerEvalsha = round(float64(end.evalshaUsec-s.evalshaUsec)/float64(calls), 2)
	}
	if cpu > 0 {
		rs.Ceiling = round(1e6*n/cpu, 0)
	}
	r.Redis = rs
}

// redisReport is what a run cost Redis, per request.
type redisReport struct {
	// CPUPerRequest: microseconds of the main thread's CPU (Redis's one
	// command thread), reading requests and writing replies included.
	CPUPerRequest float64 `json:"cpu_us_per_request"`
	// Ceiling is 1 / CPUPerRequest: the requests a second this Redis's
	// main thread could carry of this mix before it is saturated.
	Ceiling        float64 `json:"ceiling_rps"`
	EvalshaPerReq  float64 `json:"evalsha_per_request"`
	UsecPerEvalsha float64 `json:"us_per_evalsha"`
	// MainThread is false when the Redis (older than 6.2) reports only
	// the whole process's CPU.
	MainThread bool `json:"main_thread"`
}
