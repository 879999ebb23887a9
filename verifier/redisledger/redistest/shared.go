package redistest

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Shared connects to the machine's shared Redis for tests that need a real
// one but not their own process: REDIS_TEST_URL, default DB 9 on
// 127.0.0.1:6379. Without it the test is skipped, except under CI=true.
// Tests on the shared server keep to a Prefix of their own and never flush.
func Shared(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_TEST_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/9"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_TEST_URL: %v", err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s: %v", url, err)
		}
		t.Skipf("no Redis at %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a fresh key prefix ("test:<random>:") whose keys are
// deleted (SCAN and DEL of that prefix, nothing else) when the test ends.
func Prefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	prefix := "test:" + rand.Text()[:12] + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys := Keys(t, c, prefix)
		for i := 0; i < len(keys); i += 500 {
			c.Del(ctx, keys[i:min(i+500, len(keys))]...)
		}
	})
	return prefix
}

// Keys lists the keys under prefix.
func Keys(t testing.TB, c *redis.Client, prefix string) []string {
	t.Helper()
	var keys []string
	iter := c.Scan(context.Background(), 0, prefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN %s*: %v", prefix, err)
	}
	return keys
}
