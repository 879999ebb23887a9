package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vnhealth/cccd-checkin/cmd/internal/secret"
	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
)

// config is the effective configuration. Every flag has an environment
// variable of the same meaning; a flag given on the command line wins.
// Each value is checked here, whichever of the two it came from: a value
// that does not parse whole ("10abc", an unknown log level) stops the start.
type config struct {
	Addr          string
	Data          string
	Keys          string
	Redis         string
	TZ            string
	Location      *time.Location
	Coverage      string
	RepeatWindow  time.Duration
	MaxOfflineAge time.Duration
	PseudonymKey  string
	DemoCitizens  int
	LogLevel      slog.Level
	ShutdownGrace time.Duration
	Outbox        string
	RedisTimeout  time.Duration
	// RedisUsername and RedisPassword, when set, win over the ones in the
	// -redis URL (and are the only way to give them to bare Cluster seeds).
	RedisUsername string
	RedisPassword string
	// RedisTLSCA is a PEM file of the CAs a rediss:// server's certificate
	// is checked against, instead of the system's.
	RedisTLSCA string

	Registry        string
	RegistryToken   string
	RegistryTimeout time.Duration
	RegistryCache   int
	RateLimits      map[kiosk.Role]kiosk.RateLimit
	CORSOrigins     []string
	// TrustedProxies name the client in X-Forwarded-For (per-address
	// limits); none by default.
	TrustedProxies []string
	Pprof          string
	Retention      time.Duration

	RedisAutoPipeline bool
	// RedisMinReplicas: with N > 0 a check-in is answered as recorded only
	// once N replicas have it (WAIT), else its visit stays in the outbox.
	RedisMinReplicas int
	GatewayTokenTTL  time.Duration
	// Priority is the -priority file; PriorityRules what it says (nil:
	// the groups built in, verifier.DefaultPriorityRules).
	Priority      string
	PriorityRules *verifier.PriorityRules

	// Warnings are logged at start: secrets given where other users of
	// the machine can read them, KIOSK_ variables that are no setting.
	Warnings []string
	// envNames are the environment variables read, _FILE ones included.
	envNames map[string]bool
}

// flagSpec is one setting: its flag, its environment variable, its
// default. A secret one also has NAME-file and ENV_FILE, which name a file
// holding the value, so that it need not appear in /proc/PID/cmdline (nor,
// with the file, in /proc/PID/environ).
type flagSpec struct {
	name, env, def, usage string
	dst                   *string
	secret                bool
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var tz, logLevel, repeat, offline, grace, demoN, redisTimeout, regTimeout, regCache, rateLimits, cors, proxies, retention, autopipe, minReplicas, gwTTL string
	specs := []flagSpec{
		{name: "addr", env: "KIOSK_ADDR", def: ":8080", usage: "listen address", dst: &c.Addr},
		{name: "data", env: "KIOSK_DATA", usage: "data directory of population.jsonl, insurance.jsonl, facilities.jsonl (default: demo data generated in memory)", dst: &c.Data},
		{name: "keys", env: "KIOSK_KEYS", usage: "API keys file (default: demo mode, one token per role printed at start-up)", dst: &c.Keys},
		{name: "redis", env: "REDIS_URL", usage: "redis[s]://[user:password@]host:port[/db] for one Redis, or host:port,host:port,… (or redis[s]://[user:password@]host:port,host:port,…) seeds of a Redis Cluster (default: the in-process window)", dst: &c.Redis, secret: true},
		{name: "redis-username", env: "KIOSK_REDIS_USERNAME", usage: "Redis ACL user (wins over the -redis URL's)", dst: &c.RedisUsername},
		{name: "redis-password", env: "KIOSK_REDIS_PASSWORD", usage: "Redis password (wins over the -redis URL's)", dst: &c.RedisPassword, secret: true},
		{name: "redis-tls-ca", env: "KIOSK_REDIS_TLS_CA", usage: "PEM file of the CAs that sign a rediss:// server's certificate (default: the system's)", dst: &c.RedisTLSCA},
		{name: "tz", env: "KIOSK_TZ", def: "Asia/Ho_Chi_Minh", usage: "time zone that defines \"the same day\"", dst: &tz},
		{name: "coverage", env: "KIOSK_COVERAGE", usage: "coverage rules JSON file (default: the rules built in)", dst: &c.Coverage},
		{name: "priority", env: "KIOSK_PRIORITY", usage: "priority groups JSON file of the reception desk, as verifier/priority.json (default: the groups built in: emergency, child under 6, pregnant, disability, elderly 75 and over)", dst: &c.Priority},
		{name: "repeat-window", env: "KIOSK_REPEAT_WINDOW", def: "10m", usage: "a re-scan at the same facility within this long is the same check-in", dst: &repeat},
		{name: "max-offline-age", env: "KIOSK_MAX_OFFLINE_AGE", def: "72h", usage: "oldest scanned_at accepted from a kiosk that queued check-ins offline", dst: &offline},
		{name: "pseudonym-key", env: "KIOSK_PSEUDONYM_KEY", usage: "secret key for pseudonymising citizen IDs in Redis keys (required with -redis)", dst: &c.PseudonymKey, secret: true},
		{name: "demo-citizens", env: "KIOSK_DEMO_CITIZENS", def: "10000", usage: "size of the generated demo population when -data is not given", dst: &demoN},
		{name: "log-level", env: "KIOSK_LOG_LEVEL", def: "info", usage: "debug, info, warn or error", dst: &logLevel},
		{name: "shutdown-grace", env: "KIOSK_SHUTDOWN_GRACE", def: "15s", usage: "how long the stop on SIGTERM may take in all: in-flight requests, the access log, the outbox's last replay", dst: &grace},
		{name: "outbox", env: "KIOSK_OUTBOX", def: "outbox", usage: "directory of the outbox that keeps check-ins while Redis is down, on durable local disk (used with -redis)", dst: &c.Outbox},
		{name: "redis-timeout", env: "KIOSK_REDIS_TIMEOUT", def: "150ms", usage: "longest a check-in waits for Redis before its visit goes to the outbox", dst: &redisTimeout},
		{name: "redis-min-replicas", env: "KIOSK_REDIS_MIN_REPLICAS", def: "0", usage: "answer a check-in as recorded only once this many Redis replicas have it (WAIT, bounded by -redis-timeout); otherwise its visit stays in the outbox until they do", dst: &minReplicas},
		{name: "registry", env: "KIOSK_REGISTRY", usage: "base URL of a remote population and insurance registry (cmd/registryd serves one); default: the data set in memory", dst: &c.Registry},
		{name: "registry-token", env: "KIOSK_REGISTRY_TOKEN", usage: "bearer token for -registry", dst: &c.RegistryToken, secret: true},
		{name: "registry-timeout", env: "KIOSK_REGISTRY_TIMEOUT", def: "800ms", usage: "per-attempt timeout of a registry call", dst: &regTimeout},
		{name: "registry-cache", env: "KIOSK_REGISTRY_CACHE", def: "100000", usage: "registry answers kept to serve (marked cached) while the registry is down; 0: none", dst: &regCache},
		{name: "rate-limits", env: "KIOSK_RATE_LIMITS", def: "kiosk=100:500,his=1000:2000,auditor=50:100,anonymous=5:20", usage: "units of work a second and burst per API key, by role (a request 1, a batch one per item, an image one more per megapixel), and per client address for requests without valid credentials (anonymous); \"off\" for none", dst: &rateLimits},
		{name: "trusted-proxies", env: "KIOSK_TRUSTED_PROXIES", usage: "comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For names the client, for the per-address limit (default: none, the TCP peer is the client)", dst: &proxies},
		{name: "cors-origins", env: "KIOSK_CORS_ORIGINS", usage: "comma-separated origins allowed to call the API from a browser (default: none)", dst: &cors},
		{name: "pprof", env: "KIOSK_PPROF", usage: "address for net/http/pprof, e.g. 127.0.0.1:6060 (default: off)", dst: &c.Pprof},
		{name: "retention", env: "KIOSK_RETENTION", def: "9600h", usage: "how long duplicate groups and the access log are kept (default 400 days)", dst: &retention},
		{name: "gateway-token-ttl", env: "KIOSK_GATEWAY_TOKEN_TTL", def: "1h", usage: "how long a token from the gateway login (POST /api/token/take) is valid", dst: &gwTTL},
		{name: "redis-autopipeline", env: "KIOSK_REDIS_AUTOPIPELINE", def: "on", usage: "batch the check-ins' record scripts into shared writes to Redis (go-redis AutoPipeliner): on or off", dst: &autopipe},
	}
	fs := flag.NewFlagSet("kioskd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files := map[string]*string{}
	c.envNames = map[string]bool{}
	for _, s := range specs {
		c.envNames[s.env] = true
		// The flag's default is the environment's value, so that both go
		// through the checks below; src says which one a value came from.
		// A secret's is not: flag's usage text (-h, or after a mistyped
		// flag, on standard error and so in the log) shows defaults.
		def := s.def
		if v := getenv(s.env); v != "" && !s.secret {
			def = v
		}
		fs.StringVar(s.dst, s.name, def, s.usage+" (env "+s.env+")")
		if s.secret {
			c.envNames[s.env+"_FILE"] = true
			files[s.name] = fs.String(s.name+"-file", "", "file holding -"+s.name+", instead of the command line (env "+s.env+"_FILE)")
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	// src names where a setting's value came from, for error messages.
	src := func(s flagSpec) string {
		if !onCommandLine[s.name] && getenv(s.env) != "" {
			return s.env
		}
		return "-" + s.name
	}
	for _, s := range specs {
		if !s.secret {
			continue
		}
		if err := resolveSecret(s, *files[s.name], onCommandLine, getenv); err != nil {
			return c, err
		}
		if onCommandLine[s.name] {
			c.Warnings = append(c.Warnings, fmt.Sprintf("-%s on the command line is readable by every user of this machine in /proc/PID/cmdline: use -%s-file or %s_FILE", s.name, s.name, s.env))
		}
	}
	spec := func(name string) flagSpec {
		for _, s := range specs {
			if s.name == name {
				return s
			}
		}
		panic("no flag " + name)
	}

	var err error
	if c.Location, err = time.LoadLocation(tz); err != nil {
		return c, fmt.Errorf("%s: %q is not a time zone such as Asia/Ho_Chi_Minh", src(spec("tz")), tz)
	}
	c.TZ = tz
	if c.LogLevel, err = parseLogLevel(logLevel); err != nil {
		return c, fmt.Errorf("%s: %w", src(spec("log-level")), err)
	}
	durations := []struct {
		name string
		s    string
		dst  *time.Duration
	}{{"repeat-window", repeat, &c.RepeatWindow}, {"max-offline-age", offline, &c.MaxOfflineAge}, {"shutdown-grace", grace, &c.ShutdownGrace},
		{"redis-timeout", redisTimeout, &c.RedisTimeout}, {"registry-timeout", regTimeout, &c.RegistryTimeout}, {"retention", retention, &c.Retention},
		{"gateway-token-ttl", gwTTL, &c.GatewayTokenTTL}}
	for _, d := range durations {
		if *d.dst, err = time.ParseDuration(d.s); err != nil || *d.dst <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive duration such as 10m", src(spec(d.name)), d.s)
		}
	}
	counts := []struct {
		name string
		s    string
		min  int
		dst  *int
	}{{"demo-citizens", demoN, 1, &c.DemoCitizens}, {"registry-cache", regCache, 0, &c.RegistryCache}, {"redis-min-replicas", minReplicas, 0, &c.RedisMinReplicas}}
	for _, n := range counts {
		if *n.dst, err = strconv.Atoi(n.s); err != nil || *n.dst < n.min {
			return c, fmt.Errorf("%s: %q is not a whole number, %d or more", src(spec(n.name)), n.s, n.min)
		}
	}
	switch autopipe {
	case "on":
		c.RedisAutoPipeline = true
	case "off":
	default:
		return c, fmt.Errorf("%s must be on or off, not %q", src(spec("redis-autopipeline")), autopipe)
	}
	if c.RateLimits, err = parseRateLimits(rateLimits); err != nil {
		return c, fmt.Errorf("%s: %w", src(spec("rate-limits")), err)
	}
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return c, fmt.Errorf("%s: %q is not an address or CIDR", src(spec("trusted-proxies")), p)
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.Priority != "" {
		b, err := os.ReadFile(c.Priority)
		if err != nil {
			return c, fmt.Errorf("%s: %w", src(spec("priority")), err)
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
	if c.Redis != "" {
		if _, err := redisOptions(c); err != nil {
			return c, fmt.Errorf("%s: %w", src(spec("redis")), err)
		}
	}
	return c, nil
}

// warnUnknownEnv notes the KIOSK_ variables of environ that kioskd does
// not read: a misspelt setting (KIOSK_LOGLEVEL) would otherwise be ignored
// without a word. Only a warning: other tools (kioskctl's KIOSK_TOKEN)
// share the prefix.
func (c *config) warnUnknownEnv(environ []string) {
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KIOSK_") && !c.envNames[name] {
			c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s is not a kioskd setting: ignored", name))
		}
	}
}

// resolveSecret sets a secret setting from the environment or from its
// file: -NAME and -NAME-file on the command line win over the environment,
// as flags do; giving the value and its file at one level is an error.
func resolveSecret(s flagSpec, flagFile string, onCommandLine map[string]bool, getenv func(string) string) error {
	file, from := "", ""
	switch {
	case onCommandLine[s.name] && flagFile != "":
		return fmt.Errorf("-%s and -%s-file both given: give one", s.name, s.name)
	case onCommandLine[s.name]:
		return nil
	case flagFile != "":
		file, from = flagFile, "-"+s.name+"-file"
	case getenv(s.env) != "" && getenv(s.env+"_FILE") != "":
		return fmt.Errorf("%s and %s_FILE both set: set one", s.env, s.env)
	case getenv(s.env+"_FILE") != "":
		file, from = getenv(s.env+"_FILE"), s.env+"_FILE"
	default:
		*s.dst = getenv(s.env)
		return nil
	}
	v, err := secret.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	*s.dst = v
	return nil
}

// parseLogLevel accepts the four level names, in any case.
func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a log level: debug, info, warn or error", s)
}

// String describes the configuration for the start-up log, with secrets
// and credentials masked.
func (c config) String() string {
	return fmt.Sprintf("addr=%s data=%q keys=%q redis=%q tz=%s coverage=%q repeat_window=%s max_offline_age=%s pseudonym_key=%s outbox=%q redis_timeout=%s registry=%q registry_token=%s registry_timeout=%s registry_cache=%d rate_limits=%v cors_origins=%v pprof=%q",
		c.Addr, c.Data, c.Keys, maskURL(c.Redis), c.TZ, c.Coverage, c.RepeatWindow, c.MaxOfflineAge, mask(c.PseudonymKey), c.Outbox, c.RedisTimeout,
		c.Registry, mask(c.RegistryToken), c.RegistryTimeout, c.RegistryCache, c.RateLimits, c.CORSOrigins, c.Pprof) +
		fmt.Sprintf(" retention=%s redis_autopipeline=%v redis_min_replicas=%d gateway_token_ttl=%s log_level=%s redis_user=%q redis_auth=%s redis_tls_ca=%q priority=%q",
			c.Retention, c.RedisAutoPipeline, c.RedisMinReplicas, c.GatewayTokenTTL, c.LogLevel, c.RedisUsername, mask(c.RedisPassword), c.RedisTLSCA, c.Priority)
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

// parseRateLimits reads "role=rate:burst,…" or "off"; each number must
// parse whole.
func parseRateLimits(s string) (map[kiosk.Role]kiosk.RateLimit, error) {
	out := map[kiosk.Role]kiosk.RateLimit{}
	if s == "off" || s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		role, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		var rl kiosk.RateLimit
		if ok {
			rate, burst, found := strings.Cut(spec, ":")
			var err1, err2 error
			rl.Rate, err1 = strconv.ParseFloat(rate, 64)
			rl.Burst, err2 = strconv.Atoi(burst)
			ok = found && err1 == nil && err2 == nil && rl.Rate > 0 && !math.IsInf(rl.Rate, 1) && rl.Burst > 0
		}
		r := kiosk.Role(role)
		if !ok || (r != kiosk.RoleKiosk && r != kiosk.RoleHIS && r != kiosk.RoleAuditor && r != kiosk.RoleAnonymous) {
			return nil, fmt.Errorf("%q is not role=rate:burst (e.g. kiosk=100:500; roles kiosk, his, auditor, anonymous) or off", part)
		}
		out[r] = rl
	}
	return out, nil
}
