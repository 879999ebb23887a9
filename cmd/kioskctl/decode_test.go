package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/vnhealth/cccd-checkin/scanner"
)

const testPayload = "008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021"

func writeQRPNG(t *testing.T, path, text string) {
	t.Helper()
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 300, 300, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := 0; y < m.GetHeight(); y++ {
		for x := 0; x < m.GetWidth(); x++ {
			if !m.Get(x, y) {
				img.Pix[y*img.Stride+x] = 255
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRaw(t *testing.T) {
	dir := t.TempDir()
	qr := filepath.Join(dir, "card.png")
	writeQRPNG(t, qr, testPayload)
	notImage := filepath.Join(dir, "notes.txt")
	_ = os.WriteFile(notImage, []byte("hello"), 0o644)
	truncated := filepath.Join(dir, "bad.png")
	data, _ := os.ReadFile(qr)
	_ = os.WriteFile(truncated, data[:len(data)/3], 0o644)
	missing := filepath.Join(dir, "missing.png")

	var out, errOut bytes.Buffer
	err := runDecode([]string{"-raw", notImage, qr, truncated, missing}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "3 of 4") {
		t.Fatalf("want an error counting 3 failures, got %v", err)
	}
	var lines []map[string]string
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 4 {
		t.Fatalf("want 4 JSON lines, got %d:\n%s", len(lines), out.String())
	}
	if lines[0]["code"] != "unsupported_image" || lines[0]["error"] == "" {
		t.Errorf("not an image: %v", lines[0])
	}
	if lines[1]["text"] != testPayload || lines[1]["strategy"] == "" || lines[1]["file"] != qr {
		t.Errorf("qr: %v", lines[1])
	}
	if lines[2]["code"] != "corrupt_image" {
		t.Errorf("truncated: %v", lines[2])
	}
	if lines[3]["error"] == "" {
		t.Errorf("missing: %v", lines[3])
	}
}

func TestDecodeUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runDecode(nil, &out, &errOut); err == nil {
		t.Fatal("no file: want an error")
	}
	if err := runDecode([]string{"-raw"}, &out, &errOut); err == nil {
		t.Fatal("-raw without files: want an error")
	}
	if err := runDecode([]string{"-nope"}, &out, &errOut); err == nil {
		t.Fatal("unknown flag: want an error")
	}
	if out.Len() != 0 {
		t.Fatalf("usage errors wrote to stdout: %q", out.String())
	}
}

// TestDecodeParsed goes through scanner.Parse, which another change is
// writing: the test checks the output shape when Parse accepts the payload
// and the error path when it does not.
func TestDecodeParsed(t *testing.T) {
	dir := t.TempDir()
	qr := filepath.Join(dir, "card.png")
	writeQRPNG(t, qr, testPayload)
	txt := filepath.Join(dir, "scan.txt")
	_ = os.WriteFile(txt, []byte(testPayload+"\r\n"), 0o644)
	_, parseErr := scanner.Parse(testPayload)
	for _, f := range []string{qr, txt} {
		var out, errOut bytes.Buffer
		err := runDecode([]string{f}, &out, &errOut)
		if parseErr != nil {
			if err == nil {
				t.Errorf("%s: scanner.Parse fails (%v) but decode succeeded", f, parseErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		t.Logf("%s: %s", filepath.Base(f), out.String())
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v: %s", f, err, out.String())
		}
		if m["kind"] != "cccd" {
			t.Errorf("%s: kind %v", f, m["kind"])
		}
		if _, ok := m["fields"].(map[string]any); !ok {
			t.Errorf("%s: fields %v", f, m["fields"])
		}
		if _, ok := m["warnings"].([]any); !ok {
			t.Errorf("%s: warnings %v", f, m["warnings"])
		}
	}
}
