package main

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// redisMetrics is a go-redis hook that times every command and pipeline
// (one round trip each) and counts errors, for the operator's dashboard.
type redisMetrics struct {
	rtt    *prometheus.HistogramVec
	errors *prometheus.CounterVec
}

func newRedisMetrics(reg *prometheus.Registry) *redisMetrics {
	m := &redisMetrics{
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiosk_redis_roundtrip_seconds",
			Help:    "Redis round trips (a command or a pipeline) as the service sees them, by command.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25},
		}, []string{"cmd"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiosk_redis_errors_total",
			Help: "Redis round trips that failed (not counting a missing key), by command.",
		}, []string{"cmd"}),
	}
	reg.MustRegister(m.rtt, m.errors)
	return m
}

func (m *redisMetrics) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			m.errors.WithLabelValues("dial").Inc()
		}
		return c, err
	}
}

func (m *redisMetrics) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		m.observe(cmd.Name(), start, err)
		return err
	}
}

func (m *redisMetrics) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		m.observe("pipeline", start, err)
		return err
	}
}

func (m *redisMetrics) observe(name string, start time.Time, err error) {
	m.rtt.WithLabelValues(name).Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, redis.Nil) {
		m.errors.WithLabelValues(name).Inc()
	}
}
