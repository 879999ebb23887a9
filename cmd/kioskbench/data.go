package main

import (
	"bytes"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"os"
	"strings"

	"github.com/vnhealth/cccd-checkin/scanner"
	"github.com/vnhealth/cccd-checkin/scanner/qrimage"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// citizenEntry is what a request needs of one citizen, prepared once so
// that the load loop builds a body by concatenation.
type citizenEntry struct {
	id       string // 12 digits
	scanJSON string // the card's QR text as a JSON string literal
	payload  string // the QR text itself
}

// dataset is the part of the server's data set the tool needs: which
// citizens exist (and what their cards' QR codes say) and which facilities.
type dataset struct {
	citizens   []citizenEntry
	facilities []string
	source     string
}

// defaultIssued is the issue date written in a generated QR when the
// population record does not say (as kioskctl qr does).
var defaultIssued = verifier.Date{Year: 2021, Month: 8, Day: 15}

// loadDataset regenerates the demo data set exactly as kioskd does
// (demodata.Generate with N = -demo-citizens, seed 1, today in
// Asia/Ho_Chi_Minh) or loads the -data directory the server loaded.
func loadDataset(o options) (*dataset, error) {
	var (
		reg *inmem.Registry
		err error
		ds  = &dataset{}
	)
	if o.Data != "" {
		if reg, err = inmem.LoadDir(o.Data); err != nil {
			return nil, err
		}
		ds.source = "data directory " + o.Data
	} else {
		set := demodata.Generate(demodata.Options{N: o.DemoCitizens, Seed: 1, Now: demodata.Today()})
		if reg, err = inmem.NewRegistry(set.Citizens, set.Cards, set.Facilities); err != nil {
			return nil, err
		}
		ds.source = fmt.Sprintf("demo data set (-demo-citizens %d, seed 1, %s)", o.DemoCitizens, set.Now)
	}
	n, _, _ := reg.Counts()
	if n == 0 {
		return nil, errors.New("the data set has no citizens")
	}
	for _, f := range reg.Facilities() {
		ds.facilities = append(ds.facilities, f.Code)
	}
	if o.WriteKeys != "" {
		return ds, nil // only the facilities are needed
	}
	pool := min(o.Pool, n)
	ds.citizens = make([]citizenEntry, 0, pool)
	for i := range pool {
		c := reg.CitizenAt(int(int64(i) * int64(n) / int64(pool)))
		ds.citizens = append(ds.citizens, entryFor(c))
	}
	return ds, nil
}

func entryFor(c verifier.Citizen) citizenEntry {
	issued := defaultIssued
	// The issue date is one of the record's other fields, when it has it.
	var rec struct {
		CardIssuedOn string `json:"card_issued_on"`
	}
	if json.Unmarshal(c.Extra, &rec) == nil && rec.CardIssuedOn != "" {
		if d, err := verifier.ParseDate(rec.CardIssuedOn); err == nil && d.Full() {
			issued = d
		}
	}
	p := scanner.CCCDPayload(c, issued)
	b, _ := json.Marshal(p)
	return citizenEntry{id: string(c.ID), scanJSON: string(b), payload: p}
}

// keyEntry is one key of a keys file, as kioskd reads it.
type keyEntry struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Facility string `json:"facility,omitempty"`
	Token    string `json:"token"`
}

// keyPrefix names the keys kioskbench writes; a keys file holding any
// other key is never overwritten.
const keyPrefix = "kioskbench-"

// writeKeysFile writes one kiosk key per facility and one auditor key,
// with clear tokens (kioskd accepts them with a warning: these are
// throw-away tokens for a loopback benchmark, and the tool must send them).
func writeKeysFile(path string, facilities []string, stdout io.Writer) error {
	if b, err := os.ReadFile(path); err == nil {
		var old []keyEntry
		if json.Unmarshal(b, &old) != nil {
			return fmt.Errorf("-write-keys: %s exists and is not a keys file: not overwriting it", path)
		}
		for _, k := range old {
			if !strings.HasPrefix(k.Name, keyPrefix) {
				return fmt.Errorf("-write-keys: %s holds key %q that kioskbench did not write: not overwriting it", path, k.Name)
			}
		}
	}
	keys := make([]keyEntry, 0, len(facilities)+1)
	for _, f := range facilities {
		keys = append(keys, keyEntry{Name: keyPrefix + "kiosk-" + f, Role: "kiosk", Facility: f, Token: keyPrefix + f + "-" + crand.Text()})
	}
	keys = append(keys, keyEntry{Name: keyPrefix + "auditor", Role: "auditor", Token: keyPrefix + "auditor-" + crand.Text()})
	b, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d kiosk keys (one per facility) and an auditor key to %s\n", len(facilities), path)
	fmt.Fprintf(stdout, "start the server with it:  kioskd -addr 127.0.0.1:8080 -keys %s\n", path)
	fmt.Fprintf(stdout, "then:                      kioskbench -keys %s -compare\n", path)
	return nil
}

// facilityToken is a token the tool sends for one facility ("" when the
// facility is the token's own and not known, as with -token).
type facilityToken struct {
	facility string
	auth     string // the Authorization header value
}

// loadTokens returns the tokens to use: every kiosk or HIS key of -keys
// whose facility is in the data set, or the one -token.
func loadTokens(o options, ds *dataset) ([]facilityToken, []string, error) {
	var notes []string
	if o.Token != "" {
		notes = append(notes, "one token (-token): every request acts for that token's facility, so \"dup\" requests (another facility) are sent as new check-ins; use -keys for the multi-facility mix")
		return []facilityToken{{auth: "Bearer " + o.Token}}, notes, nil
	}
	if o.Keys == "" {
		return nil, nil, errors.New("need -keys FILE (see -write-keys) or -token TOKEN for the target")
	}
	b, err := os.ReadFile(o.Keys)
	if err != nil {
		return nil, nil, err
	}
	var keys []keyEntry
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, nil, fmt.Errorf("-keys %s: %w", o.Keys, err)
	}
	known := map[string]bool{}
	for _, f := range ds.facilities {
		known[f] = true
	}
	var out []facilityToken
	hashed, unknown := 0, 0
	for _, k := range keys {
		if k.Role != "kiosk" && k.Role != "his" {
			continue
		}
		switch {
		case strings.HasPrefix(k.Token, "sha256:"):
			hashed++
		case !known[k.Facility]:
			unknown++
		default:
			out = append(out, facilityToken{facility: k.Facility, auth: "Bearer " + k.Token})
		}
	}
	if hashed > 0 {
		notes = append(notes, fmt.Sprintf("%d keys stored as sha256: skipped (the tool needs clear tokens)", hashed))
	}
	if unknown > 0 {
		notes = append(notes, fmt.Sprintf("%d keys for facilities not in the data set skipped", unknown))
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("-keys %s: no kiosk or HIS key with a clear token for a facility of the %s", o.Keys, ds.source)
	}
	return out, notes, nil
}

// frame is a pre-rendered multipart body of one camera frame.
type frame struct {
	body        []byte
	contentType string
	citizen     int
}

// renderFrames draws n 640x480 JPEG frames, each with the CCCD QR of a
// different citizen on a card-like patch over a textured background, and
// wraps each in the multipart body of POST /v1/decode.
func renderFrames(ds *dataset, n int, seed uint64) ([]frame, error) {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]frame, 0, n)
	for i := range n {
		ci := r.IntN(len(ds.citizens))
		qr, err := qrimage.Render(ds.citizens[ci].payload, 4, 4)
		if err != nil {
			return nil, err
		}
		// A colour frame (4:2:0, as a webcam or canvas.toBlob gives) of a
		// lit gradient with sensor noise, the card's paper and its code.
		img := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
		for y := range 480 {
			for x := range 640 {
				img.Y[y*img.YStride+x] = uint8(90 + (x+y)/16 + r.IntN(12))
			}
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = uint8(124+r.IntN(3)), uint8(130+r.IntN(3))
		}
		qb := qr.Bounds()
		if qb.Dx() > 600 || qb.Dy() > 440 {
			return nil, fmt.Errorf("the QR of citizen %d is too large for a 640x480 frame", ci)
		}
		ox := 20 + r.IntN(640-qb.Dx()-40+1)
		oy := 20 + r.IntN(480-qb.Dy()-40+1)
		for y := range qb.Dy() {
			for x := range qb.Dx() {
				v := 25 + r.IntN(12)
				if qr.Pix[y*qr.Stride+x] > 128 {
					v = 215 + r.IntN(12) // the card's paper, not pure white
				}
				img.Y[(oy+y)*img.YStride+ox+x] = uint8(v)
			}
		}
		var jb bytes.Buffer
		if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 85}); err != nil {
			return nil, err
		}
		var mb bytes.Buffer
		mw := multipart.NewWriter(&mb)
		fw, err := mw.CreateFormFile("image", fmt.Sprintf("frame%d.jpg", i))
		if err != nil {
			return nil, err
		}
		fw.Write(jb.Bytes())
		mw.Close()
		out = append(out, frame{body: mb.Bytes(), contentType: mw.FormDataContentType(), citizen: ci})
	}
	return out, nil
}
