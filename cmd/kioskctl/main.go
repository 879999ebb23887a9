// Command kioskctl is the check-in service's tool box: it generates data
// sets, decodes QR images and scanner text, and renders demo card QR codes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: kioskctl COMMAND [flags]

commands:
  gen     -n N -seed S -out DIR      write a deterministic data directory
  decode  FILE|-                     decode a QR image or scanner text as kioskd does
  decode  -raw FILE...               the raw text of any QR code in each image, one JSON line per file
  qr      [-data DIR] [-o FILE] ID   render a citizen's CCCD QR code as PNG
  hash-token [-md5] TOKEN            the sha256: form of a token for the keys file
                                     (-md5: its token_md5, for gateway logins with the MD5 of the token)
  claims import [-server URL] [-token TOKEN] FILE...
                                     send Decision 130 claim files to kioskd (auditor token; KIOSK_TOKEN)
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kioskctl:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "gen":
		return runGen(rest, stdout, stderr)
	case "decode":
		return runDecode(rest, stdout, stderr)
	case "qr":
		return runQR(rest, stdout, stderr)
	case "claims":
		return runClaims(rest, stdout, stderr, os.Getenv)
	case "hash-token":
		return runHashToken(rest, stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
