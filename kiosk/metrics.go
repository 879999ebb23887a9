package kiosk

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics. Labels are route templates
// and outcome words, never IDs, so cardinality stays bounded.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.HistogramVec
	checkins  *prometheus.CounterVec
	flags     prometheus.Counter
	eligCodes *prometheus.CounterVec
	decodes   *prometheus.CounterVec

	accessDropped prometheus.Counter
	gatewayLogins *prometheus.CounterVec
	limited       *prometheus.CounterVec
}

// NewMetrics registers the metrics on reg (a new registry when nil), with
// the Go runtime and process collectors.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiosk_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route template and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
		checkins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiosk_checkins_total",
			Help: "Check-ins answered, by outcome: new, repeat, flagged, dedupe_unavailable (queued in the outbox), not_recorded (503: kept nowhere).",
		}, []string{"outcome"}),
		flags: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kiosk_duplicate_flags_total",
			Help: "Check-ins flagged as seen at another facility the same local day.",
		}),
		eligCodes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiosk_eligibility_results_total",
			Help: "Eligibility decisions by the insurer's three-digit result code.",
		}, []string{"code"}),
		decodes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiosk_image_decodes_total",
			Help: "Image decodes by the strategy that succeeded, or \"none\".",
		}, []string{"strategy"}),
	}
	m.accessDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kiosk_access_log_dropped_total",
		Help: "Access-log entries that could not be written (queue full or store down).",
	})
	m.gatewayLogins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kiosk_gateway_logins_total",
		Help: "Gateway logins (POST /api/token/take) by outcome: ok, refused.",
	}, []string{"outcome"})
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kiosk_limited_total",
		Help: "Requests refused by a limit: key_rate (429, a key's budget), address_rate (429, requests without valid credentials from one address), too_costly (413, a cost over the key's burst), image_pixels (413, an image over the pixel budget), image_busy (503, no room among the images being decoded).",
	}, []string{"limit"})
	reg.MustRegister(m.requests, m.checkins, m.flags, m.eligCodes, m.decodes, m.accessDropped, m.gatewayLogins, m.limited)
	return m
}

// Registry returns the registry, for adapters to add their own metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) observeRequest(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}
