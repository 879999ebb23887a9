package kiosk

import (
	"strings"
	"testing"
)

func TestParseKeys(t *testing.T) {
	ks, err := ParseKeys([]byte(`[
		{"name":"desk","role":"kiosk","facility":"08001","token":"plain-token-0123456789"},
		{"name":"his","role":"his","facility":"08002","token":"` + HashToken("hashed-token-0123456789") + `"},
		{"name":"aud","role":"auditor","token":"auditor-token-0123456789"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if ks.Plain != 2 {
		t.Errorf("plain tokens counted %d, want 2", ks.Plain)
	}
	for tok, want := range map[string]string{"plain-token-0123456789": "desk", "hashed-token-0123456789": "his", "auditor-token-0123456789": "aud"} {
		if k, ok := ks.lookup(tok); !ok || k.Name != want {
			t.Errorf("lookup(%s) = %v %v, want %s", tok, k, ok, want)
		}
	}
	for _, tok := range []string{"", "plain-token-012345678", HashToken("hashed-token-0123456789")} {
		if _, ok := ks.lookup(tok); ok {
			t.Errorf("lookup(%q) found a key", tok)
		}
	}
	for _, k := range ks.keys {
		if k.Token != "" {
			t.Errorf("key %s keeps its clear token in memory", k.Name)
		}
	}
	if _, ok := (&Keys{}).lookup("anything"); ok {
		t.Error("an empty key set found a key")
	}
}

func TestParseKeysRefuses(t *testing.T) {
	for want, doc := range map[string]string{
		"no keys":        `[]`,
		"no name":        `[{"role":"auditor","token":"auditor-token-0123456789"}]`,
		"twice":          `[{"name":"a","role":"auditor","token":"auditor-token-0123456789"},{"name":"a","role":"auditor","token":"auditor-token-9876543210"}]`,
		"role must be":   `[{"name":"a","role":"admin","token":"auditor-token-0123456789"}]`,
		"facility":       `[{"name":"a","role":"kiosk","token":"kiosk-token-0123456789"}]`,
		"too short":      `[{"name":"a","role":"auditor","token":"short"}]`,
		"64 hex digits":  `[{"name":"a","role":"auditor","token":"sha256:abc"}]`,
		"the same token": `[{"name":"a","role":"auditor","token":"auditor-token-0123456789"},{"name":"b","role":"auditor","token":"auditor-token-0123456789"}]`,
		"keys file":      `{`,
	} {
		_, err := ParseKeys([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%s) = %v, want an error mentioning %q", doc, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789") {
			t.Errorf("the error quotes a token: %v", err)
		}
	}
}
