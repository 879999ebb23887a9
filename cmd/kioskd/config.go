package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// config is the effective configuration. Every flag has an environment
// variable of the same meaning; a flag given on the command line wins.
type config struct {
	Addr          string
	Data          string
	Keys          string
	Redis         string
	TZ            string
	Coverage      string
	RepeatWindow  time.Duration
	MaxOfflineAge time.Duration
	PseudonymKey  string
	DemoCitizens  int
	LogLevel      string
	ShutdownGrace time.Duration
	Outbox        string
	RedisTimeout  time.Duration
}

type flagSpec struct {
	name, env, def, usage string
	dst                   *string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var repeat, offline, grace, demoN, redisTimeout string
	specs := []flagSpec{
		{"addr", "KIOSK_ADDR", ":8080", "listen address", &c.Addr},
		{"data", "KIOSK_DATA", "", "data directory of population.jsonl, insurance.jsonl, facilities.jsonl (default: demo data generated in memory)", &c.Data},
		{"keys", "KIOSK_KEYS", "", "API keys file (default: demo mode, one token per role printed at start-up)", &c.Keys},
		{"redis", "REDIS_URL", "", "redis://host:port/db for one Redis, or host:port,host:port,… seeds of a Redis Cluster (default: the in-process window)", &c.Redis},
		{"tz", "KIOSK_TZ", "Asia/Ho_Chi_Minh", "time zone that defines \"the same day\"", &c.TZ},
		{"coverage", "KIOSK_COVERAGE", "", "coverage rules JSON file (default: the rules built in)", &c.Coverage},
		{"repeat-window", "KIOSK_REPEAT_WINDOW", "10m", "a re-scan at the same facility within this long is the same check-in", &repeat},
		{"max-offline-age", "KIOSK_MAX_OFFLINE_AGE", "72h", "oldest scanned_at accepted from a kiosk that queued check-ins offline", &offline},
		{"pseudonym-key", "KIOSK_PSEUDONYM_KEY", "", "secret key for pseudonymising citizen IDs in Redis keys (required with -redis)", &c.PseudonymKey},
		{"demo-citizens", "KIOSK_DEMO_CITIZENS", "10000", "size of the generated demo population when -data is not given", &demoN},
		{"log-level", "KIOSK_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
		{"shutdown-grace", "KIOSK_SHUTDOWN_GRACE", "15s", "how long in-flight requests may take to finish on SIGTERM", &grace},
		{"outbox", "KIOSK_OUTBOX", "outbox", "directory of the outbox that keeps check-ins while Redis is down, on durable local disk (used with -redis)", &c.Outbox},
		{"redis-timeout", "KIOSK_REDIS_TIMEOUT", "150ms", "longest a check-in waits for Redis before its visit goes to the outbox", &redisTimeout},
	}
	fs := flag.NewFlagSet("kioskd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range specs {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.name, def, s.usage+" (env "+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	durations := []struct {
		name string
		s    string
		dst  *time.Duration
	}{{"repeat-window", repeat, &c.RepeatWindow}, {"max-offline-age", offline, &c.MaxOfflineAge}, {"shutdown-grace", grace, &c.ShutdownGrace}, {"redis-timeout", redisTimeout, &c.RedisTimeout}}
	for _, d := range durations {
		if *d.dst, err = time.ParseDuration(d.s); err != nil || *d.dst <= 0 {
			return c, fmt.Errorf("-%s: %q is not a positive duration such as 10m", d.name, d.s)
		}
	}
	if _, err := fmt.Sscan(demoN, &c.DemoCitizens); err != nil || c.DemoCitizens < 1 {
		return c, errors.New("-demo-citizens must be a positive number")
	}
	return c, nil
}

// String describes the configuration for the start-up log, with secrets
// and credentials masked.
func (c config) String() string {
	return fmt.Sprintf("addr=%s data=%q keys=%q redis=%q tz=%s coverage=%q repeat_window=%s max_offline_age=%s pseudonym_key=%s outbox=%q redis_timeout=%s",
		c.Addr, c.Data, c.Keys, maskURL(c.Redis), c.TZ, c.Coverage, c.RepeatWindow, c.MaxOfflineAge, mask(c.PseudonymKey), c.Outbox, c.RedisTimeout)
}

func mask(s string) string {
	if s == "" {
		return "(none)"
	}
	return "(set)"
}

// maskURL hides a password in redis://user:pass@host/db.
func maskURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	cred, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	user, _, _ := strings.Cut(cred, ":")
	return scheme + "://" + user + ":***@" + host
}
