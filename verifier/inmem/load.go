package inmem

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The three files of a data directory (contract: "Data files").
const (
	PopulationFile = "population.jsonl"
	InsuranceFile  = "insurance.jsonl"
	FacilitiesFile = "facilities.jsonl"
)

// LineError reports a bad line of a data file. The message names the field
// at fault but never quotes the line: it may hold personal data.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// LoadDir loads a data directory. Any bad line makes the whole load fail:
// the server refuses to start rather than serve half a database.
func LoadDir(dir string) (*Registry, error) {
	var (
		citizens []verifier.Citizen
		cards    []verifier.Card
		facs     []verifier.Facility
	)
	if err := loadFile(filepath.Join(dir, FacilitiesFile), &facs, checkFacility); err != nil {
		return nil, err
	}
	if err := loadFile(filepath.Join(dir, PopulationFile), &citizens, checkCitizen); err != nil {
		return nil, err
	}
	if err := loadFile(filepath.Join(dir, InsuranceFile), &cards, checkCard); err != nil {
		return nil, err
	}
	r, err := NewRegistry(citizens, cards, facs)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	return r, nil
}

// ReadJSONL decodes a JSON Lines stream of records of type T, checking each
// with check. Lines are decoded in parallel (decoding dominates the load of
// a large population file); the result keeps file order, and the error, if
// any, is the first bad line's.
func ReadJSONL[T any](r io.Reader, name string, check func(*T) error) ([]T, error) {
	type batch struct {
		firstLine int
		lines     [][]byte
		out       []T
		err       error
	}
	const batchSize = 4096
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *batch, workers)
	var batches []*batch
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range jobs {
				b.out = make([]T, 0, len(b.lines))
				for i, ln := range b.lines {
					if ln == nil {
						continue
					}
					var v T
					err := json.Unmarshal(ln, &v)
					if err == nil && check != nil {
						err = check(&v)
					}
					if err != nil {
						b.err = &LineError{File: name, Line: b.firstLine + i, Err: cleanJSONError(err)}
						break
					}
					b.out = append(b.out, v)
				}
				b.lines = nil
			}
		})
	}

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	cur := &batch{firstLine: 1}
	lineNo := 0
	flush := func(next int) {
		batches = append(batches, cur)
		jobs <- cur
		cur = &batch{firstLine: next}
	}
	for sc.Scan() {
		lineNo++
		ln := bytes.TrimSpace(sc.Bytes())
		if len(ln) == 0 {
			// A blank line is not a record; keep line numbers right by
			// giving it an empty slot that the worker skips.
			cur.lines = append(cur.lines, nil)
		} else {
			cur.lines = append(cur.lines, bytes.Clone(ln))
		}
		if len(cur.lines) == batchSize {
			flush(lineNo + 1)
		}
	}
	if len(cur.lines) > 0 {
		flush(lineNo + 1)
	}
	close(jobs)
	wg.Wait()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", name, lineNo+1, err)
	}
	n := 0
	for _, b := range batches {
		if b.err != nil {
			return nil, b.err
		}
		n += len(b.out)
	}
	out := make([]T, 0, n)
	for _, b := range batches {
		out = append(out, b.out...)
	}
	return out, nil
}

func loadFile[T any](path string, dst *[]T, check func(*T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	v, err := ReadJSONL(f, filepath.Base(path), check)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// cleanJSONError drops the offending value from a JSON error message, which
// could otherwise put a citizen's data into the log.
func cleanJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q: wrong type (want %s)", te.Field, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	}
	var ve *verifier.Error
	if errors.As(err, &ve) {
		return errors.New(ve.Message)
	}
	return err
}

func checkCitizen(c *verifier.Citizen) error {
	switch {
	case c.ID == "":
		return errors.New(`field "id" is required`)
	case c.OldID != "" && (len(c.OldID) != 9 || !digits(c.OldID)):
		return errors.New(`field "old_id" must be 9 digits or empty`)
	}
	return nil
}

func checkCard(c *verifier.Card) error {
	switch {
	case len(c.CardNo) != 10 && len(c.CardNo) != 15:
		return errors.New(`field "card_no" must have 10 or 15 characters`)
	case c.CitizenID == "":
		return errors.New(`field "citizen_id" is required`)
	case c.BenefitLevel < 1 || c.BenefitLevel > 5:
		return errors.New(`field "benefit_level" must be 1 to 5`)
	case len(c.RegisteredFacility) != 5:
		return errors.New(`field "registered_facility" must have 5 characters`)
	case c.ValidFrom.IsZero():
		return errors.New(`field "valid_from" is required`)
	}
	switch c.Status {
	case "", verifier.CardActive, verifier.CardRevoked, verifier.CardReduced:
	default:
		return errors.New(`field "status" must be active, revoked or reduced`)
	}
	return nil
}

func checkFacility(f *verifier.Facility) error {
	switch {
	case len(f.Code) != 5:
		return errors.New(`field "code" must have 5 characters`)
	}
	switch f.Level {
	case verifier.LevelCentral, verifier.LevelProvincial, verifier.LevelDistrict, verifier.LevelCommune:
	default:
		return errors.New(`field "level" must be central, provincial, district or commune`)
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
