package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunGen(t *testing.T) {
	dir := t.TempDir()
	run := func(out string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := runGen([]string{"-n", "2000", "-seed", "7", "-today", "2025-06-15", "-out", out}, &stdout, &stderr); err != nil {
			t.Fatalf("runGen: %v (stderr %s)", err, stderr.String())
		}
		return stdout.String()
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	summary := run(a)
	if strings.Count(summary, "\n") != 1 || !strings.Contains(summary, "citizens=2000") || !strings.Contains(summary, "valid(000)=") || !strings.Contains(summary, "replaced_valid(004)=") {
		t.Errorf("summary %q", summary)
	}
	run(b)
	for _, n := range []string{"population.jsonl", "insurance.jsonl", "facilities.jsonl"} {
		x, err := os.ReadFile(filepath.Join(a, n))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, n))
		if err != nil {
			t.Fatal(err)
		}
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: not reproducible (%d vs %d bytes)", n, len(x), len(y))
		}
	}
	if lines := bytes.Count(mustRead(t, filepath.Join(a, "population.jsonl")), []byte("\n")); lines != 2000 {
		t.Errorf("population.jsonl has %d lines, want 2000", lines)
	}
}

func TestRunGenDefaultToday(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := runGen([]string{"-n", "10", "-out", t.TempDir()}, &stdout, &stderr); err != nil {
		t.Fatalf("runGen: %v", err)
	}
	if !strings.Contains(stdout.String(), "citizens=10 ") {
		t.Errorf("summary %q", stdout.String())
	}
}

func TestRunGenBadArgs(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "10"}, // no -out
		{"-n", "10", "-out", t.TempDir(), "-today", "2025-13-01"},
		{"-n", "10", "-out", t.TempDir(), "-today", "2025-06"},
		{"-n", "-1", "-out", t.TempDir()},
		{"-n", "10", "-out", t.TempDir(), "extra"},
		{"-bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if err := runGen(args, &stdout, &stderr); err == nil {
			t.Errorf("runGen(%q) succeeded", args)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
