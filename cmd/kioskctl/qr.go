package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"time"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/scanner"
	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// runQR renders the CCCD QR code of a citizen of a data set (the demo data
// set kioskd generates by default, or -data DIR) as a PNG.
func runQR(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("qr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory (default: the demo data set kioskd generates)")
	demoN := fs.Int("demo-citizens", 10000, "size of the demo data set, as kioskd -demo-citizens")
	out := fs.String("o", "-", "output PNG file, - for standard output")
	module := fs.Int("module", 6, "pixels per QR module")
	text := fs.Bool("text", false, "print the QR payload text instead of a PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("qr takes one citizen ID")
	}
	id, err := verifier.ParseCitizenID(fs.Arg(0))
	if err != nil {
		return err
	}
	var reg *inmem.Registry
	if *data != "" {
		reg, err = inmem.LoadDir(*data)
	} else {
		set := demodata.Generate(demodata.Options{N: *demoN, Seed: 1, Now: demodata.Today()})
		reg, err = inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities)
	}
	if err != nil {
		return err
	}
	c, err := reg.Citizen(context.Background(), id)
	if err != nil {
		return fmt.Errorf("citizen %s: %w", id.Masked(), err)
	}
	issued := verifier.NewDate(time.Date(2021, 8, 15, 0, 0, 0, 0, time.UTC))
	payload := scanner.CCCDPayload(c, issued)
	if *text {
		_, err := fmt.Fprintln(stdout, payload)
		return err
	}
	img, err := qrimage.Render(payload, *module, 4)
	if err != nil {
		return err
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return png.Encode(w, img)
}

func runHashToken(args []string, stdout io.Writer) error {
	hash := kiosk.HashToken
	if len(args) == 2 && args[0] == "-md5" {
		// The keys file's token_md5: for an HIS that logs in to the
		// gateway endpoints with the MD5 of its password.
		hash, args = kiosk.HashTokenMD5, args[1:]
	}
	if len(args) != 1 {
		return errors.New("hash-token takes one token (hash-token [-md5] TOKEN)")
	}
	_, err := fmt.Fprintln(stdout, hash(args[0]))
	return err
}
