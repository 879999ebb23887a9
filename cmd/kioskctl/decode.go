package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vnhealth/cccd-checkin/scanner"
	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
	"github.com/vnhealth/cccd-checkin/verifier"
)

const decodeUsage = `usage:
  kioskctl decode FILE|-        decode a QR image or scanner text and print the parsed scan
  kioskctl decode -raw FILE...  print the raw text of any QR code in each image, one JSON line per file
`

// runDecode implements "kioskctl decode".
//
//	kioskctl decode FILE|-
//	    FILE (or standard input) is recognised by its content: an image
//	    (PNG, JPEG, GIF, WebP) is searched for a QR code whose text the
//	    scanner recognises; anything else is taken as scanner text. Prints
//	    one JSON object {"kind", "fields", "warnings"}.
//	kioskctl decode -raw FILE...
//	    Prints the raw text of any QR code in each image, one JSON line per
//	    file: {"file", "text", "strategy"} or {"file", "error", "code"}. It
//	    goes through all files and fails at the end if any failed.
func runDecode(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	raw := fs.Bool("raw", false, "print the raw decoded text of each image (any QR code), one JSON line per file")
	timeout := fs.Duration("timeout", 5*time.Second, "time limit per image")
	fs.Usage = func() {
		fmt.Fprint(stderr, decodeUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if *raw {
		if len(files) == 0 {
			fs.Usage()
			return errors.New("decode -raw: no files given")
		}
		return decodeRaw(files, *timeout, stdout)
	}
	if len(files) != 1 {
		fs.Usage()
		return errors.New("decode: give exactly one FILE or -")
	}
	return decodeOne(files[0], *timeout, stdout)
}

// readInput reads a file or, for "-", standard input, up to the image size
// limit (one byte more, so that an oversized input is reported as such).
func readInput(name string) ([]byte, error) {
	limit := qrimage.DefaultLimits().MaxBytes
	var r io.Reader
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, limit+1))
}

type scanOutput struct {
	Kind     scanner.Kind   `json:"kind"`
	Fields   map[string]any `json:"fields"`
	Warnings []string       `json:"warnings"`
}

func decodeOne(name string, timeout time.Duration, stdout io.Writer) error {
	data, err := readInput(name)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	var text string
	if _, isImage := qrimage.Sniff(data); isImage {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		res, err := qrimage.Decode(ctx, data, qrimage.Options{
			MaxWork: timeout,
			Accept: func(s string) bool {
				_, err := scanner.Parse(s)
				return err == nil
			},
		})
		if err != nil {
			return fmt.Errorf("decode %s: %w", name, err)
		}
		text = res.Text
	} else {
		text = string(data)
	}
	res, err := scanner.Parse(text)
	if err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	out := scanOutput{Kind: res.Kind, Fields: res.Fields(), Warnings: res.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return writeJSON(stdout, out)
}

type rawOutput struct {
	File     string `json:"file"`
	Text     string `json:"text,omitempty"`
	Strategy string `json:"strategy,omitempty"`
	Error    string `json:"error,omitempty"`
	Code     string `json:"code,omitempty"`
}

func decodeRaw(files []string, timeout time.Duration, stdout io.Writer) error {
	failed := 0
	for _, name := range files {
		out := rawOutput{File: name}
		res, err := decodeRawFile(name, timeout)
		if err != nil {
			failed++
			var ve *verifier.Error
			if errors.As(err, &ve) {
				out.Code = ve.Code
				out.Error = ve.Message
			} else {
				out.Error = err.Error()
			}
		} else {
			out.Text = res.Text
			out.Strategy = res.Strategy
		}
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("decode -raw: %d of %d files failed", failed, len(files))
	}
	return nil
}

func decodeRawFile(name string, timeout time.Duration) (qrimage.Result, error) {
	data, err := readInput(name)
	if err != nil {
		return qrimage.Result{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return qrimage.Decode(ctx, data, qrimage.Options{MaxWork: timeout})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
