package main

import (
	"io"
	"os"
	"path/filepath"
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
