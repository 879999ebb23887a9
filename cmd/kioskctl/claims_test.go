package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// kioskctl gen -claims writes claim files of its data set that a real
// kioskd imports, resubmissions replacing, with nothing rejected; the
// same options write the same files.
func TestGenClaimsAndImport(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := runGen([]string{"-n", "3000", "-seed", "3", "-today", "2026-12-04", "-out", dir, "-claims", "400", "-claim-days", "10"}, &out, &errb); err != nil {
		t.Fatalf("gen: %v %s", err, errb.String())
	}
	m := regexp.MustCompile(`claims=(\d+) resubmitted=(\d+) planted: multi_facility_same_day=(\d+) same_facility_same_day=(\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("gen summary: %s", out.String())
	}
	n, _ := strconv.Atoi(m[1])
	resub, _ := strconv.Atoi(m[2])
	if n < 400 || n > 401 || resub == 0 || m[3] == "0" || m[4] == "0" {
		t.Fatalf("gen summary: %s", out.String())
	}
	again := t.TempDir()
	if err := runGen([]string{"-n", "3000", "-seed", "3", "-today", "2026-12-04", "-out", again, "-claims", "400", "-claim-days", "10"}, &bytes.Buffer{}, &errb); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"claims-08001.xml", "resubmissions.xml"} {
		a, err1 := os.ReadFile(filepath.Join(dir, "claims", f))
		b, err2 := os.ReadFile(filepath.Join(again, "claims", f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s is not reproducible (%v %v)", f, err1, err2)
		}
	}

	reg, err := inmem.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	claims := inmem.NewClaims(0, nil)
	svc := &verifier.Service{Population: reg, Insurance: reg, Facilities: reg, Ledger: inmem.NewLedger(), Claims: claims}
	svc.Defaults()
	keys, _ := kiosk.ParseKeys([]byte(`[{"name":"a","role":"auditor","token":"auditor-token-0123456789abcd"}]`))
	srv := httptest.NewServer(kiosk.New(kiosk.Config{Verifier: svc, Keys: keys}))
	defer srv.Close()

	files, _ := filepath.Glob(filepath.Join(dir, "claims", "claims-*.xml"))
	files = append(files, filepath.Join(dir, "claims", "resubmissions.xml"))
	env := map[string]string{"KIOSK_TOKEN": "auditor-token-0123456789abcd"}
	out.Reset()
	errb.Reset()
	if err := runClaims(append([]string{"import", "-server", srv.URL}, files...), &out, &errb, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("import: %v\n%s", err, errb.String())
	}
	// Not a terminal: one line per file, then the total.
	if lines := strings.Count(out.String(), "\n"); lines != len(files)+1 {
		t.Errorf("%d lines for %d files:\n%s", lines, len(files), out.String())
	}
	want := "imported " + strconv.Itoa(n) + ", replaced " + strconv.Itoa(resub) + ", rejected 0"
	if !strings.Contains(out.String(), want) || errb.Len() != 0 {
		t.Fatalf("summary %q, want %q; stderr %s", out.String(), want, errb.String())
	}
	stored := 0
	for d := 1; d <= 10; d++ {
		cs, _ := claims.ClaimsOn(context.Background(), time.Date(2026, 12, 4-d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		for _, c := range cs {
			if c.CitizenID == "" {
				t.Errorf("claim %s has no citizen", c.Key())
			}
		}
		stored += len(cs)
	}
	if stored != n {
		t.Fatalf("%d claims stored, want %d", stored, n)
	}
}

func TestClaimsImportErrors(t *testing.T) {
	keys, _ := kiosk.ParseKeys([]byte(`[{"name":"a","role":"auditor","token":"auditor-token-0123456789abcd"}]`))
	svc := &verifier.Service{Ledger: inmem.NewLedger(), Claims: inmem.NewClaims(0, nil)}
	svc.Defaults()
	srv := httptest.NewServer(kiosk.New(kiosk.Config{Verifier: svc, Keys: keys}))
	defer srv.Close()
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, []byte("<GIAMDINHHS><oops>"), 0o600)
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	if err := runClaims([]string{"import", "-server", srv.URL, bad}, &out, &errb, env); err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("without a token: %v", err)
	}
	err := runClaims([]string{"import", "-server", srv.URL, "-token", "auditor-token-0123456789abcd", bad}, &out, &errb, env)
	if err == nil || !strings.Contains(errb.String(), "422 malformed_xml") {
		t.Fatalf("a malformed file: %v, stderr %s", err, errb.String())
	}
	if err := runClaims([]string{"import", "-token", "x", filepath.Join(t.TempDir(), "missing.xml")}, &out, &errb, env); err == nil {
		t.Fatal("a missing file was accepted")
	}
}
