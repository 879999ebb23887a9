package redisledger

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// BenchmarkRecordRedisCost measures what one Record costs Redis itself:
// the microseconds Redis spent in EVALSHA (INFO commandstats, on a
// redis-server of its own so that nothing else is counted), beside the
// same figure for the floor's script (kioskbench's baseline: one INCR and,
// on a key's first use, EXPIRE). "new" is a first visit of the day (the hot
// path), "repeat" a re-scan at the same desk, "dup" a second facility's
// visit, which creates a duplicate group (two calls of the record script
// and one of the index script). Each citizen's day is prepared first, all
// of them before Redis's counters are reset, so that only the measured
// Record is counted: redis-us/op is the mean of its EVALSHA calls,
// redis-us/checkin their sum per Record, evalsha/checkin their number.
func BenchmarkRecordRedisCost(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	c := srv.Client(0)
	ctx := context.Background()
	l := New(c, Options{PseudonymKey: []byte("bench")})
	now := time.Now()
	report := func(b *testing.B, n int) {
		b.Helper()
		st := evalshaStats(b, c)
		b.ReportMetric(st["usec_per_call"], "redis-us/op")
		b.ReportMetric(st["usec"]/float64(n), "redis-us/checkin")
		b.ReportMetric(st["calls"]/float64(n), "evalsha/checkin")
	}
	run := func(name string, prepare func(i int) []verifier.Recording) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			last := make([]verifier.Recording, b.N)
			for i := range last {
				rs := prepare(i)
				for _, r := range rs[:len(rs)-1] {
					if _, err := l.Record(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
				last[i] = rs[len(rs)-1]
			}
			if err := c.ConfigResetStat(ctx).Err(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := l.Record(ctx, last[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			report(b, b.N)
			c.FlushDB(ctx) // its own server
		})
	}
	// IDs as kioskd mints them (NewCheckinID: no index entry), and, for
	// "new-indexed", IDs minted otherwise, which need one.
	minted := func(prefix string, i int, fac string, at time.Time) verifier.Recording {
		r := ledgertest.NewRecording(fmt.Sprintf("%s%d", prefix, i), ledgertest.Citizen(i), fac, at)
		r.Visit.CheckinID = l.NewCheckinID(r.Visit.CitizenID, r.Visit.Day)
		return r
	}
	run("new", func(i int) []verifier.Recording {
		return []verifier.Recording{minted("n", i, "08001", now)}
	})
	run("new-indexed", func(i int) []verifier.Recording {
		return []verifier.Recording{ledgertest.NewRecording(fmt.Sprintf("x%d", i), ledgertest.Citizen(i), "08001", now)}
	})
	run("repeat", func(i int) []verifier.Recording {
		return []verifier.Recording{
			minted("ra", i, "08001", now),
			minted("rb", i, "08001", now.Add(time.Minute)),
		}
	})
	run("dup", func(i int) []verifier.Recording {
		return []verifier.Recording{
			minted("da", i, "08001", now),
			minted("db", i, "79003", now.Add(time.Hour)),
		}
	})
	b.Run("floor", func(b *testing.B) {
		floor := redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`)
		if err := floor.Load(ctx, c).Err(); err != nil {
			b.Fatal(err)
		}
		c.ConfigResetStat(ctx)
		var i int
		for b.Loop() {
			i++
			if err := floor.EvalSha(ctx, c, []string{"floor:" + strconv.Itoa(i%64)}, 3600).Err(); err != nil {
				b.Fatal(err)
			}
		}
		report(b, i)
		c.FlushDB(ctx)
	})
}

// BenchmarkFirstVisitParts takes a first visit's record script apart: what
// each of its commands adds to what one EVALSHA costs Redis (INFO
// commandstats' usec_per_call, on a redis-server of its own), so that a
// change to the hot path can be judged before it is made. Each part is a
// script of its own, built up command by command as recordScript's first
// visit runs them, called with the same 5 keys and 7 arguments for a
// citizen not seen before (a new window key each call, one ticket key);
// "bucket" writes the record as a field of one hash per day instead (the
// layout that would spare a key and its expiry per citizen). The
// measurement on which the README's "What a check-in costs Redis" rests:
// creating the window key with its expiry is most of a first visit.
func BenchmarkFirstVisitParts(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	c := srv.Client(0)
	ctx := context.Background()
	const first = `
local n = redis.call('EXISTS', KEYS[1], KEYS[2])
if n ~= 0 then return -1 end
`
	parts := []struct{ name, body string }{
		{"call", `return 0`},
		{"exists", first + `return 0`},
		{"exists+incr", first + `local t = redis.call('INCR', KEYS[5])
return t`},
		{"exists+incr+rpush", first + `local t = redis.call('INCR', KEYS[5])
redis.call('RPUSH', KEYS[1], ARGV[1] .. t .. ARGV[2])
return t`},
		{"exists+incr+rpush+pexpireat", first + `local t = redis.call('INCR', KEYS[5])
redis.call('RPUSH', KEYS[1], ARGV[1] .. t .. ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return t`},
		{"bucket", `if redis.call('EXISTS', KEYS[2]) ~= 0 then return -1 end
local t = redis.call('INCR', KEYS[5])
if redis.call('HSETNX', KEYS[3], KEYS[1], ARGV[1] .. t .. ARGV[2]) == 0 then return -1 end
return t`},
	}
	now := time.Now()
	expire := strconv.FormatInt(now.Add(72*time.Hour).UnixMilli(), 10)
	head := `["` + strings.Repeat("a", 26) + `","08001",` + strconv.FormatInt(now.Unix(), 10) + `,123456789,"outpatient","kiosk-01",`
	for _, p := range parts {
		b.Run(p.name, func(b *testing.B) {
			s := redis.NewScript(p.body)
			if err := s.Load(ctx, c).Err(); err != nil {
				b.Fatal(err)
			}
			c.FlushDB(ctx) // its own server
			c.ConfigResetStat(ctx)
			const batch = 64
			pipe := c.Pipeline()
			i := 0
			for b.Loop() {
				ps := fmt.Sprintf("{%032x}", i)
				s.EvalSha(ctx, pipe, []string{"w:" + ps, "g:" + ps, "b:2026-12-07", "a:" + ps, "t:08001"},
					head, `,"000"]`, expire, "", "600000000000", expire, "0")
				if i++; i%batch == 0 {
					if _, err := pipe.Exec(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(evalshaStats(b, c)["usec_per_call"], "redis-us/op")
		})
	}
}

// evalshaStats reads EVALSHA's line of INFO commandstats (calls, usec,
// usec_per_call, ...) since the last CONFIG RESETSTAT.
func evalshaStats(b *testing.B, c *redis.Client) map[string]float64 {
	b.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	st := map[string]float64{}
	for _, line := range strings.Split(info, "\r\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:"); ok {
			for _, f := range strings.Split(rest, ",") {
				k, v, _ := strings.Cut(f, "=")
				st[k], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return st
}
