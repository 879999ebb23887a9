package main

import (
	"crypto/tls"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
)

func TestConfigFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"KIOSK_ADDR": ":9000", "REDIS_URL": "redis://u:secret@10.0.0.1:6379/2", "KIOSK_RATE_LIMITS": "kiosk=5:10", "KIOSK_PSEUDONYM_KEY": "k3y"}
	c, err := parseConfig([]string{"-addr", ":9100", "-cors-origins", "https://a.vn, https://b.vn", "-retention", "48h"},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisMinReplicas != 0 {
		t.Errorf("redis min replicas default %d, want 0", c.RedisMinReplicas)
	}
	if c2, err := parseConfig(nil, func(k string) string { return map[string]string{"KIOSK_REDIS_MIN_REPLICAS": "2"}[k] }, io.Discard); err != nil || c2.RedisMinReplicas != 2 {
		t.Errorf("KIOSK_REDIS_MIN_REPLICAS=2: %d, %v", c2.RedisMinReplicas, err)
	}
	if c.Addr != ":9100" {
		t.Errorf("a flag must win over the environment: addr %q", c.Addr)
	}
	if c.Redis != env["REDIS_URL"] || c.TZ != "Asia/Ho_Chi_Minh" || c.RepeatWindow != 10*time.Minute || c.Retention != 48*time.Hour {
		t.Errorf("config %+v", c)
	}
	if got := c.RateLimits[kiosk.RoleKiosk]; got != (kiosk.RateLimit{Rate: 5, Burst: 10}) || len(c.RateLimits) != 1 {
		t.Errorf("rate limits %v", c.RateLimits)
	}
	if len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "https://b.vn" {
		t.Errorf("cors %v", c.CORSOrigins)
	}
	// The start-up log line hides secrets.
	if s := c.String(); strings.Contains(s, "secret") || strings.Contains(s, "k3y") || !strings.Contains(s, "redis://u:***@10.0.0.1:6379/2") {
		t.Errorf("config line leaks or mangles: %s", s)
	}
}

func TestConfigRefusesBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"-repeat-window", "soon"}, {"-max-offline-age", "-1h"}, {"-demo-citizens", "0"},
		{"-rate-limits", "kiosk=fast"}, {"-rate-limits", "admin=1:1"}, {"-registry-cache", "-5"}, {"extra"},
		{"-redis-min-replicas", "-1"}, {"-redis-min-replicas", "1abc"}, {"-redis-min-replicas", "one"},
		{"-trusted-proxies", "10.0.0.0/33"}, {"-trusted-proxies", "lb.local"},
	} {
		if _, err := parseConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("parseConfig(%v) accepted", args)
		}
	}
	c, err := parseConfig([]string{"-rate-limits", "off"}, func(string) string { return "" }, io.Discard)
	if err != nil || len(c.RateLimits) != 0 {
		t.Errorf("off: %v %v", c.RateLimits, err)
	}
}

func TestConfigLimitsWithoutCredentials(t *testing.T) {
	c, err := parseConfig([]string{"-rate-limits", "kiosk=10:500,anonymous=1:2", "-trusted-proxies", "10.0.0.0/8, 192.0.2.1"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RateLimits[kiosk.RoleAnonymous] != (kiosk.RateLimit{Rate: 1, Burst: 2}) || len(c.TrustedProxies) != 2 || c.TrustedProxies[1] != "192.0.2.1" {
		t.Errorf("rate limits %v, trusted proxies %q", c.RateLimits, c.TrustedProxies)
	}
	// By default a batch of 500 fits a kiosk key's burst, and requests
	// without credentials are limited.
	d, _ := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if d.RateLimits[kiosk.RoleKiosk].Burst < kiosk.MaxBatch || d.RateLimits[kiosk.RoleAnonymous].Rate <= 0 {
		t.Errorf("default rate limits %v", d.RateLimits)
	}
}

// The priority groups are data: -priority (or KIOSK_PRIORITY) replaces the
// built-in list; a file that is not a valid list stops the start.
func TestConfigPriority(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "priority.json")
	if err := os.WriteFile(good, []byte(`{"groups":[{"code":"emergency","rule":"emergency"},{"code":"elderly","rule":"age_at_least","age":60},{"code":"merit","name":"Người có công"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parseConfig(nil, func(k string) string { return map[string]string{"KIOSK_PRIORITY": good}[k] }, io.Discard)
	if err != nil || c.PriorityRules == nil || len(c.PriorityRules.Groups) != 3 {
		t.Fatalf("KIOSK_PRIORITY: %+v, %v", c.PriorityRules, err)
	}
	if g, _ := c.PriorityRules.Group("elderly"); g.Age != 60 {
		t.Errorf("elderly from the file: %+v", g)
	}
	if c, err := parseConfig(nil, func(string) string { return "" }, io.Discard); err != nil || c.PriorityRules != nil {
		t.Errorf("without -priority: %+v, %v (want the built-in groups, nil here)", c.PriorityRules, err)
	}
	bad := filepath.Join(dir, "bad.json")
	for _, body := range []string{`{"groups":[{"code":"x","rule":"age_under"}]}`, `{"groups":[{"code":"a"},{"code":"a"}]}`, `{`} {
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := parseConfig([]string{"-priority", bad}, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("-priority with %s: no error", body)
		}
	}
	if _, err := parseConfig([]string{"-priority", filepath.Join(dir, "missing.json")}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("-priority with a missing file: no error")
	}
}

// A value that does not parse whole, or an unknown log level, stops the
// start with a message naming where it came from, whether a flag or its
// environment variable (before: "10abc" was read as 10, "verbose" as info).
func TestConfigRefusesPartialValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-demo-citizens", "10abc"}, nil, "-demo-citizens"},
		{nil, map[string]string{"KIOSK_DEMO_CITIZENS": "10abc"}, "KIOSK_DEMO_CITIZENS"},
		{[]string{"-registry-cache", "5x"}, nil, "-registry-cache"},
		{nil, map[string]string{"KIOSK_REGISTRY_CACHE": "1e3"}, "KIOSK_REGISTRY_CACHE"},
		{[]string{"-log-level", "verbose"}, nil, "-log-level"},
		{nil, map[string]string{"KIOSK_LOG_LEVEL": "INFO+2"}, "KIOSK_LOG_LEVEL"},
		{[]string{"-rate-limits", "kiosk=100:200x"}, nil, "-rate-limits"},
		{nil, map[string]string{"KIOSK_RATE_LIMITS": "kiosk=Inf:1"}, "KIOSK_RATE_LIMITS"},
		{nil, map[string]string{"KIOSK_SHUTDOWN_GRACE": "15"}, "KIOSK_SHUTDOWN_GRACE"},
		{[]string{"-tz", "Mars/Olympus_Mons"}, nil, "-tz"},
		{nil, map[string]string{"KIOSK_REDIS_AUTOPIPELINE": "yes"}, "KIOSK_REDIS_AUTOPIPELINE"},
		{[]string{"-redis", "rediss://127.0.0.1:1/0", "-redis-tls-ca", "/nonexistent.pem"}, nil, "-redis-tls-ca"},
		{[]string{"-redis", "redis://127.0.0.1:1/0", "-redis-tls-ca", "/etc/hostname"}, nil, "rediss://"},
		{[]string{"-redis", "redis://127.0.0.1:1,127.0.0.1:2/3"}, nil, "database 0"},
	} {
		_, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want an error naming %s", tc.args, tc.env, err, tc.want)
		}
	}
	// A flag on the command line wins over a bad environment value.
	if c, err := parseConfig([]string{"-log-level", "WARN"}, func(k string) string { return map[string]string{"KIOSK_LOG_LEVEL": "loud"}[k] }, io.Discard); err != nil || c.LogLevel != slog.LevelWarn {
		t.Errorf("-log-level WARN over KIOSK_LOG_LEVEL=loud: %v %v", c.LogLevel, err)
	}
}

// Secrets can come from files (-NAME-file, ENV_FILE), without the line
// break at the file's end; the command line's file wins over the
// environment; a value and a file at one level are refused; a secret on
// the command line is warned about.
func TestConfigSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pk, tok, pw, url := file("pk", "key from file\n"), file("tok", "token-from-file\r\n"), file("pw", "s3cret"), file("url", "redis://kiosk:urlpass@127.0.0.1:6379/2\n")
	env := map[string]string{"KIOSK_PSEUDONYM_KEY_FILE": pk, "KIOSK_REGISTRY_TOKEN_FILE": tok, "REDIS_URL_FILE": url, "KIOSK_REDIS_PASSWORD_FILE": file("envpw", "env password")}
	c, err := parseConfig([]string{"-redis-password-file", pw}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.PseudonymKey != "key from file" || c.RegistryToken != "token-from-file" || c.RedisPassword != "s3cret" || c.Redis != "redis://kiosk:urlpass@127.0.0.1:6379/2" {
		t.Errorf("secrets from files: %q %q %q %q", c.PseudonymKey, c.RegistryToken, c.RedisPassword, c.Redis)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings without a secret on the command line: %v", c.Warnings)
	}
	// -redis-password wins over the URL's password.
	rc, err := redisOptions(c)
	if err != nil || rc.single == nil || rc.single.Username != "kiosk" || rc.single.Password != "s3cret" || rc.single.DB != 2 {
		t.Errorf("redis options: %+v %v", rc.single, err)
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"-pseudonym-key", "k", "-pseudonym-key-file", pk}, nil},
		{nil, map[string]string{"KIOSK_PSEUDONYM_KEY": "k", "KIOSK_PSEUDONYM_KEY_FILE": pk}},
		{[]string{"-registry-token-file", filepath.Join(dir, "missing")}, nil},
		{[]string{"-pseudonym-key-file", file("empty", "\n")}, nil},
	} {
		if _, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard); err == nil {
			t.Errorf("%v %v accepted", tc.args, tc.env)
		}
	}
	// flag's usage text, printed after a mistyped flag (so in the log),
	// shows defaults: a secret from the environment is not one.
	var usage strings.Builder
	secretEnv := map[string]string{"KIOSK_PSEUDONYM_KEY": "env-pseudonym-key", "REDIS_URL": "redis://u:env-redis-pass@h:1/0", "KIOSK_REGISTRY_TOKEN": "env-registry-token"}
	if _, err := parseConfig([]string{"-no-such-flag"}, func(k string) string { return secretEnv[k] }, &usage); err == nil || !strings.Contains(usage.String(), "-pseudonym-key") {
		t.Fatalf("a mistyped flag: %v\n%s", err, usage.String())
	}
	for _, v := range secretEnv {
		if strings.Contains(usage.String(), strings.TrimPrefix(v, "redis://u:")) {
			t.Errorf("the usage text shows a secret of the environment: %s", v)
		}
	}
	if c, err := parseConfig(nil, func(k string) string { return secretEnv[k] }, io.Discard); err != nil || c.PseudonymKey != "env-pseudonym-key" || c.Redis != secretEnv["REDIS_URL"] || c.RegistryToken != "env-registry-token" {
		t.Errorf("secrets from the environment: %v %+v", err, c)
	}
	c, err = parseConfig([]string{"-pseudonym-key", "on the command line"}, func(string) string { return "" }, io.Discard)
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "-pseudonym-key-file") {
		t.Errorf("a secret on the command line: %v %v", c.Warnings, err)
	}
}

// The -redis forms: credentials and TLS reach one Redis and every seed of
// a Cluster (before: a Cluster got neither).
func TestRedisOptions(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeTestCA(t, ca)
	for _, tc := range []struct {
		redis, user, pass, ca string
		cluster               bool
		addrs                 []string
		wantUser, wantPass    string
		tls                   bool
	}{
		{redis: "redis://127.0.0.1:6379/3", addrs: []string{"127.0.0.1:6379"}},
		{redis: "rediss://kiosk:pw@redis.internal:6380/1", ca: ca, addrs: []string{"redis.internal:6380"}, wantUser: "kiosk", wantPass: "pw", tls: true},
		{redis: "redis://:onlypass@127.0.0.1:6379", addrs: []string{"127.0.0.1:6379"}, wantPass: "onlypass"},
		{redis: "10.0.0.1:7000,10.0.0.2:7000", user: "kiosk", pass: "flagpw", cluster: true, addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000"}, wantUser: "kiosk", wantPass: "flagpw"},
		{redis: "rediss://kiosk:p%40ss@10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000", ca: ca, cluster: true, addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, wantUser: "kiosk", wantPass: "p@ss", tls: true},
		{redis: "redis://kiosk:pw@10.0.0.1:7000?addr=10.0.0.2:7000", pass: "override", cluster: true, addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000"}, wantUser: "kiosk", wantPass: "override"},
	} {
		rc, err := redisOptions(config{Redis: tc.redis, RedisUsername: tc.user, RedisPassword: tc.pass, RedisTLSCA: tc.ca})
		if err != nil {
			t.Errorf("%s: %v", tc.redis, err)
			continue
		}
		var addrs []string
		var user, pass string
		var tlsc *tls.Config
		if tc.cluster {
			if rc.cluster == nil {
				t.Errorf("%s: not a Cluster", tc.redis)
				continue
			}
			addrs, user, pass, tlsc = rc.cluster.Addrs, rc.cluster.Username, rc.cluster.Password, rc.cluster.TLSConfig
			if tlsc != nil && tlsc.ServerName != "" {
				t.Errorf("%s: every node checked as %q", tc.redis, tlsc.ServerName)
			}
		} else {
			if rc.single == nil {
				t.Errorf("%s: not one Redis", tc.redis)
				continue
			}
			addrs, user, pass, tlsc = []string{rc.single.Addr}, rc.single.Username, rc.single.Password, rc.single.TLSConfig
		}
		if !slices.Equal(addrs, tc.addrs) || user != tc.wantUser || pass != tc.wantPass || (tlsc != nil) != tc.tls {
			t.Errorf("%s: addrs %v user %q pass %q tls %v", tc.redis, addrs, user, pass, tlsc != nil)
		}
		if tc.tls && (tlsc.RootCAs == nil || tlsc.MinVersion < tls.VersionTLS12) {
			t.Errorf("%s: TLS without the CA of -redis-tls-ca or below TLS 1.2", tc.redis)
		}
	}
}
