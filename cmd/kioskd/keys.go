package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// loadKeys reads the keys file, or makes demo keys for the first facility.
func loadKeys(c config, reg *inmem.Registry, log *slog.Logger) (*kiosk.Keys, map[kiosk.Role]string, error) {
	if c.Keys == "" {
		fac := "08001"
		if reg == nil {
			// A remote registry: the demo keys act for 08001.
		} else if fs := reg.Facilities(); len(fs) > 0 {
			if _, err := reg.Facility(context.Background(), fac); err != nil {
				fac = fs[0].Code
			}
		}
		ks, tokens := kiosk.DemoKeys(fac)
		log.Warn("no -keys file: demo mode, tokens printed on standard output")
		return ks, tokens, nil
	}
	b, err := os.ReadFile(c.Keys)
	if err != nil {
		return nil, nil, fmt.Errorf("-keys: %w", err)
	}
	ks, err := kiosk.ParseKeys(b)
	if err != nil {
		return nil, nil, err
	}
	if ks.Plain > 0 {
		log.Warn("keys file holds clear-text tokens: store them as sha256:<hex> (kioskctl hash-token)", slog.Int("keys", ks.Plain))
	}
	return ks, nil, nil
}

func printDemo(w io.Writer, base string, tokens map[kiosk.Role]string, reg *inmem.Registry) {
	fmt.Fprintf(w, "demo mode: generated data, in-process window, these tokens are valid until the process stops:\n")
	for _, r := range []kiosk.Role{kiosk.RoleKiosk, kiosk.RoleHIS, kiosk.RoleAuditor} {
		fmt.Fprintf(w, "  %-8s %s\n", r, tokens[r])
	}
	if reg == nil {
		return
	}
	id := string(reg.CitizenAt(0).ID)
	fmt.Fprintf(w, "try:\n  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '{\"citizen_id\": \"%s\"}' %s/v1/checkins\n", tokens[kiosk.RoleKiosk], id, base)
	fmt.Fprintf(w, "  open %s/ in a browser for the kiosk page\n", base)
}

// derivedKey is a key for one purpose derived from a secret (HMAC-SHA-256),
// so that one secret serves several uses without one revealing another.
func derivedKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
