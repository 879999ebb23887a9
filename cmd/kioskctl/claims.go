package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
)

// runClaims implements `kioskctl claims import FILE...`: send claim files
// to a running kioskd's POST /v1/claims, one request per file, with a
// progress bar on a terminal and one plain line per file otherwise.
func runClaims(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New("claims: usage: kioskctl claims import [-server URL] [-token TOKEN] FILE [FILE]")
	}
	fs := flag.NewFlagSet("claims import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", or(getenv("KIOSK_SERVER"), "http://localhost:8080"), "the kioskd to import into (KIOSK_SERVER)")
	token := fs.String("token", "", "an auditor's API token (default KIOSK_TOKEN)")
	timeout := fs.Duration("timeout", 30*time.Minute, "longest wait for one file's answer")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: kioskctl claims import [-server URL] [-token TOKEN] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *token == "" {
		*token = getenv("KIOSK_TOKEN")
	}
	if *token == "" {
		return errors.New("claims import: an auditor token is needed: -token or KIOSK_TOKEN")
	}
	files := fs.Args()
	if len(files) == 0 {
		return errors.New("claims import: no FILE given")
	}
	var total int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return fmt.Errorf("claims import: %w", err)
		}
		total += st.Size()
	}
	var bar *progressbar.ProgressBar
	if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("importing claims"), progressbar.OptionShowCount(), progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	client := &http.Client{Timeout: *timeout}
	var sum importAnswer
	failed := 0
	start := time.Now()
	for _, name := range files {
		a, err := importFile(client, strings.TrimRight(*server, "/")+"/v1/claims", *token, name, bar)
		if err != nil {
			failed++
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			continue
		}
		sum.Imported += a.Imported
		sum.Replaced += a.Replaced
		sum.RejectedTotal += a.RejectedTotal
		if bar == nil {
			fmt.Fprintf(stdout, "%s: imported %d, replaced %d, rejected %d\n", name, a.Imported, a.Replaced, a.RejectedTotal)
		}
		for i, r := range a.Rejected {
			if i == 20 {
				fmt.Fprintf(stderr, "%s: … %d more rejected\n", name, a.RejectedTotal-20)
				break
			}
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintf(stderr, "%s: rejected MA_LK %q: %s\n", name, r.MaLK, r.Error)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	d := time.Since(start)
	fmt.Fprintf(stdout, "claims: %d files, imported %d, replaced %d, rejected %d in %.1fs (%.0f claims/s)\n",
		len(files), sum.Imported, sum.Replaced, sum.RejectedTotal, d.Seconds(), float64(sum.Imported+sum.Replaced)/max(d.Seconds(), 1e-3))
	if failed > 0 {
		return fmt.Errorf("claims import: %d of %d files failed", failed, len(files))
	}
	return nil
}

type importAnswer struct {
	Imported      int `json:"imported"`
	Replaced      int `json:"replaced"`
	RejectedTotal int `json:"rejected_total"`
	Rejected      []struct {
		MaLK  string `json:"ma_lk"`
		Error string `json:"error"`
	} `json:"rejected"`
}

func importFile(client *http.Client, url, token, name string, bar *progressbar.ProgressBar) (importAnswer, error) {
	var a importAnswer
	f, err := os.Open(name)
	if err != nil {
		return a, err
	}
	defer f.Close()
	var body io.Reader = f
	if bar != nil {
		bar.Describe(filepath.Base(name))
		pr := progressbar.NewReader(f, bar)
		body = &pr
	}
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return a, err
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return a, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			return a, fmt.Errorf("HTTP %d %s: %s", resp.StatusCode, e.Error.Code, e.Error.Message)
		}
		return a, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("the answer is not JSON: %w", err)
	}
	return a, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
