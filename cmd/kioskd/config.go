package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
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

	Registry        string
	RegistryToken   string
	RegistryTimeout time.Duration
	RegistryCache   int
	RateLimits      map[kiosk.Role]kiosk.RateLimit
	CORSOrigins     []string
	Pprof           string
	Retention       time.Duration

	RedisAutoPipeline bool
	// RedisMinReplicas: with N > 0 a check-in is answered as recorded only
	// once N replicas have it (WAIT), else its visit stays in the outbox.
	RedisMinReplicas int
	GatewayTokenTTL  time.Duration
	// Priority is the -priority file; PriorityRules what it says (nil:
	// the groups built in, verifier.DefaultPriorityRules).
	Priority      string
	PriorityRules *verifier.PriorityRules
}

type flagSpec struct {
	name, env, def, usage string
	dst                   *string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var repeat, offline, grace, demoN, redisTimeout, regTimeout, regCache, rateLimits, cors, retention, autopipe, minReplicas, gwTTL string
	specs := []flagSpec{
		{"addr", "KIOSK_ADDR", ":8080", "listen address", &c.Addr},
		{"data", "KIOSK_DATA", "", "data directory of population.jsonl, insurance.jsonl, facilities.jsonl (default: demo data generated in memory)", &c.Data},
		{"keys", "KIOSK_KEYS", "", "API keys file (default: demo mode, one token per role printed at start-up)", &c.Keys},
		{"redis", "REDIS_URL", "", "redis://host:port/db for one Redis, or host:port,host:port,… seeds of a Redis Cluster (default: the in-process window)", &c.Redis},
		{"tz", "KIOSK_TZ", "Asia/Ho_Chi_Minh", "time zone that defines \"the same day\"", &c.TZ},
		{"coverage", "KIOSK_COVERAGE", "", "coverage rules JSON file (default: the rules built in)", &c.Coverage},
		{"priority", "KIOSK_PRIORITY", "", "priority groups JSON file of the reception desk, as verifier/priority.json (default: the groups built in: emergency, child under 6, pregnant, disability, elderly 75 and over)", &c.Priority},
		{"repeat-window", "KIOSK_REPEAT_WINDOW", "10m", "a re-scan at the same facility within this long is the same check-in", &repeat},
		{"max-offline-age", "KIOSK_MAX_OFFLINE_AGE", "72h", "oldest scanned_at accepted from a kiosk that queued check-ins offline", &offline},
		{"pseudonym-key", "KIOSK_PSEUDONYM_KEY", "", "secret key for pseudonymising citizen IDs in Redis keys (required with -redis)", &c.PseudonymKey},
		{"demo-citizens", "KIOSK_DEMO_CITIZENS", "10000", "size of the generated demo population when -data is not given", &demoN},
		{"log-level", "KIOSK_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
		{"shutdown-grace", "KIOSK_SHUTDOWN_GRACE", "15s", "how long in-flight requests may take to finish on SIGTERM", &grace},
		{"outbox", "KIOSK_OUTBOX", "outbox", "directory of the outbox that keeps check-ins while Redis is down, on durable local disk (used with -redis)", &c.Outbox},
		{"redis-timeout", "KIOSK_REDIS_TIMEOUT", "150ms", "longest a check-in waits for Redis before its visit goes to the outbox", &redisTimeout},
		{"redis-min-replicas", "KIOSK_REDIS_MIN_REPLICAS", "0", "answer a check-in as recorded only once this many Redis replicas have it (WAIT, bounded by -redis-timeout); otherwise its visit stays in the outbox until they do", &minReplicas},
		{"registry", "KIOSK_REGISTRY", "", "base URL of a remote population and insurance registry (cmd/registryd serves one); default: the data set in memory", &c.Registry},
		{"registry-token", "KIOSK_REGISTRY_TOKEN", "", "bearer token for -registry", &c.RegistryToken},
		{"registry-timeout", "KIOSK_REGISTRY_TIMEOUT", "800ms", "per-attempt timeout of a registry call", &regTimeout},
		{"registry-cache", "KIOSK_REGISTRY_CACHE", "100000", "registry answers kept to serve (marked cached) while the registry is down; 0: none", &regCache},
		{"rate-limits", "KIOSK_RATE_LIMITS", "kiosk=100:200,his=1000:2000,auditor=50:100", "requests a second and burst per API key, by role; \"off\" for none", &rateLimits},
		{"cors-origins", "KIOSK_CORS_ORIGINS", "", "comma-separated origins allowed to call the API from a browser (default: none)", &cors},
		{"pprof", "KIOSK_PPROF", "", "address for net/http/pprof, e.g. 127.0.0.1:6060 (default: off)", &c.Pprof},
		{"retention", "KIOSK_RETENTION", "9600h", "how long duplicate groups and the access log are kept (default 400 days)", &retention},
		{"gateway-token-ttl", "KIOSK_GATEWAY_TOKEN_TTL", "1h", "how long a token from the gateway login (POST /api/token/take) is valid", &gwTTL},
		{"redis-autopipeline", "KIOSK_REDIS_AUTOPIPELINE", "on", "batch the check-ins' record scripts into shared writes to Redis (go-redis AutoPipeliner): on or off", &autopipe},
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
	}{{"repeat-window", repeat, &c.RepeatWindow}, {"max-offline-age", offline, &c.MaxOfflineAge}, {"shutdown-grace", grace, &c.ShutdownGrace},
		{"redis-timeout", redisTimeout, &c.RedisTimeout}, {"registry-timeout", regTimeout, &c.RegistryTimeout}, {"retention", retention, &c.Retention},
		{"gateway-token-ttl", gwTTL, &c.GatewayTokenTTL}}
	for _, d := range durations {
		if *d.dst, err = time.ParseDuration(d.s); err != nil || *d.dst <= 0 {
			return c, fmt.Errorf("-%s: %q is not a positive duration such as 10m", d.name, d.s)
		}
	}
	if _, err := fmt.Sscan(demoN, &c.DemoCitizens); err != nil || c.DemoCitizens < 1 {
		return c, errors.New("-demo-citizens must be a positive number")
	}
	if _, err := fmt.Sscan(regCache, &c.RegistryCache); err != nil || c.RegistryCache < 0 {
		return c, errors.New("-registry-cache must be a number, 0 or more")
	}
	if n, err := strconv.Atoi(minReplicas); err != nil || n < 0 {
		return c, fmt.Errorf("-redis-min-replicas: %q is not a whole number, 0 or more", minReplicas)
	} else {
		c.RedisMinReplicas = n
	}
	switch autopipe {
	case "on":
		c.RedisAutoPipeline = true
	case "off":
	default:
		return c, fmt.Errorf("-redis-autopipeline must be on or off, not %q", autopipe)
	}
	if c.RateLimits, err = parseRateLimits(rateLimits); err != nil {
		return c, err
	}
	if c.Priority != "" {
		b, err := os.ReadFile(c.Priority)
		if err != nil {
			return c, fmt.Errorf("-priority: %w", err)
		}
		if c.PriorityRules, err = verifier.ParsePriorityRules(b); err != nil {
			return c, fmt.Errorf("-priority %s: %w", c.Priority, err)
		}
	}
	for _, o := range strings.Split(cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	return c, nil
}

// String describes the configuration for the start-up log, with secrets
// and credentials masked.
func (c config) String() string {
	return fmt.Sprintf("addr=%s data=%q keys=%q redis=%q tz=%s coverage=%q repeat_window=%s max_offline_age=%s pseudonym_key=%s outbox=%q redis_timeout=%s registry=%q registry_token=%s registry_timeout=%s registry_cache=%d rate_limits=%v cors_origins=%v pprof=%q",
		c.Addr, c.Data, c.Keys, maskURL(c.Redis), c.TZ, c.Coverage, c.RepeatWindow, c.MaxOfflineAge, mask(c.PseudonymKey), c.Outbox, c.RedisTimeout,
		c.Registry, mask(c.RegistryToken), c.RegistryTimeout, c.RegistryCache, c.RateLimits, c.CORSOrigins, c.Pprof) +
		fmt.Sprintf(" retention=%s redis_autopipeline=%v redis_min_replicas=%d gateway_token_ttl=%s priority=%q", c.Retention, c.RedisAutoPipeline, c.RedisMinReplicas, c.GatewayTokenTTL, c.Priority)
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

// parseRateLimits reads "role=rate:burst,…" or "off".
func parseRateLimits(s string) (map[kiosk.Role]kiosk.RateLimit, error) {
	out := map[kiosk.Role]kiosk.RateLimit{}
	if s == "off" || s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		role, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		var rl kiosk.RateLimit
		if ok {
			_, err := fmt.Sscanf(spec, "%g:%d", &rl.Rate, &rl.Burst)
			ok = err == nil && rl.Rate > 0 && rl.Burst > 0
		}
		r := kiosk.Role(role)
		if !ok || (r != kiosk.RoleKiosk && r != kiosk.RoleHIS && r != kiosk.RoleAuditor) {
			return nil, fmt.Errorf("-rate-limits: %q is not role=rate:burst (e.g. kiosk=100:200) or off", part)
		}
		out[r] = rl
	}
	return out, nil
}
