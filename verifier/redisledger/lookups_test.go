package redisledger

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/lookuptest"
)

func TestLookupLogConformance(t *testing.T) {
	c := testClient(t)
	lookuptest.Run(t, func(t *testing.T) verifier.LookupLog {
		l, _ := newTestLedger(t, c, Options{})
		return l
	})
}

// The look-up log's key is built like the window's, under the citizen's
// pseudonym (no ID in clear, same hash tag), and expires.
func TestLookupKeys(t *testing.T) {
	c := testClient(t)
	l, prefix := newTestLedger(t, c, Options{})
	ctx := context.Background()
	const id = verifier.CitizenID("008095001234")
	exp := time.Now().Add(time.Hour)
	if err := l.AddLookup(ctx, id, "2026-11-28", verifier.Lookup{Facility: "08001", User: "08001_BV", At: time.Now(), Code: "000", Staff: "ps"}, exp); err != nil {
		t.Fatal(err)
	}
	keys := scanKeys(t, c, prefix)
	want := prefix + "{" + l.pseudonym(id) + "}:k:2026-11-28"
	if len(keys) != 1 || keys[0] != want {
		t.Fatalf("keys %v, want [%s]", keys, want)
	}
	if strings.Contains(keys[0], string(id)) {
		t.Errorf("the key holds the citizen ID: %s", keys[0])
	}
	raw, _ := c.LRange(ctx, want, 0, -1).Result()
	if len(raw) != 1 || strings.Contains(raw[0], string(id)) {
		t.Errorf("record %v holds the citizen ID", raw)
	}
	if ttl := c.TTL(ctx, want).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL %s, want about an hour", ttl)
	}
}
