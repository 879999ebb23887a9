package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
	_ "time/tzdata" // -today defaults to the day in Asia/Ho_Chi_Minh, whatever the host has

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
)

// runGen implements `kioskctl gen`: write a deterministic demo data
// directory (population.jsonl, insurance.jsonl, facilities.jsonl,
// staff.jsonl).
func runGen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "number of citizens")
	seed := fs.Int64("seed", 1, "random seed: the same seed and options give byte-identical files")
	out := fs.String("out", "", "output directory (created if needed)")
	today := fs.String("today", "", "the day card validity is relative to, YYYY-MM-DD (default: today in Asia/Ho_Chi_Minh)")
	facilities := fs.Int("facilities", demodata.DefaultFacilities, "number of health facilities (the demo set 08001, 08002, 08101, 01001 is always included)")
	claims := fs.Int("claims", 0, "also write this many Decision 130 claims of the data set's citizens into DIR/claims (one file per facility, with planted same-day duplicates), for kioskctl claims import")
	claimDays := fs.Int("claim-days", 30, "the claims' visits fall on this many days before -today")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: kioskctl gen -n N -seed S -out DIR [-today YYYY-MM-DD] [-facilities F] [-claims N [-claim-days D]]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("gen: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("gen: -out DIR is required")
	}
	if *n < 0 {
		return errors.New("gen: -n must not be negative")
	}
	if *claims < 0 || *claimDays < 1 {
		return errors.New("gen: -claims must not be negative and -claim-days must be positive")
	}
	if *facilities < 1 {
		return errors.New("gen: -facilities must be positive")
	}
	var now verifier.Date
	if *today != "" {
		d, err := verifier.ParseDate(*today)
		if err != nil || !d.Full() {
			return fmt.Errorf("gen: -today %q is not a date YYYY-MM-DD", *today)
		}
		now = d
	} else {
		loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
		if err != nil {
			return fmt.Errorf("gen: %w", err)
		}
		now = verifier.NewDate(time.Now().In(loc))
	}
	start := time.Now()
	st, err := demodata.WriteDirStats(*out, demodata.Options{N: *n, Seed: *seed, Now: now, Facilities: *facilities})
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	fmt.Fprintf(stdout, "gen: wrote %s (today %s, seed %d, %.1fs): %s\n", *out, now, *seed, time.Since(start).Seconds(), st)
	if *claims > 0 {
		start = time.Now()
		cst, err := writeClaims(*out, demodata.Options{N: *n, Seed: *seed, Now: now, Facilities: *facilities}, *claims, *claimDays)
		if err != nil {
			return fmt.Errorf("gen: claims: %w", err)
		}
		fmt.Fprintf(stdout, "gen: wrote %s/claims (%.1fs): %s\n", *out, time.Since(start).Seconds(), cst)
	}
	return nil
}
