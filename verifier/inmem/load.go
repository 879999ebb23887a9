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
	"runtime/debug"
	"slices"
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
	// Parsing leaves several times the data's size as garbage; give it
	// back to the system now rather than at the collector's leisure.
	debug.FreeOSMemory()
	return r, nil
}

// ReadJSONL decodes a JSON Lines stream of records of type T, checking each
// with check, and returns them in file order. Blank lines are skipped; the
// error, if any, names the first bad line. The stream is read in chunks of
// lines, each decoded by all cores (decoding dominates the load of a large
// population file) straight into the result, so memory holds the records
// plus one chunk of raw lines. sizeHint, when positive, is the expected
// number of records and sizes the result once.
func ReadJSONL[T any](r io.Reader, name string, sizeHint int, check func(*T) error) ([]T, error) {
	const chunk = 32 * 1024
	workers := runtime.GOMAXPROCS(0)
	out := make([]T, 0, max(sizeHint, 0))
	lines := make([][]byte, 0, chunk)
	lineNos := make([]int, 0, chunk)

	decode := func() error {
		base := len(out)
		out = slices.Grow(out, len(lines))[:base+len(lines)]
		errs := make([]error, workers)
		var wg sync.WaitGroup
		per := (len(lines) + workers - 1) / workers
		for w := range workers {
			lo, hi := w*per, min((w+1)*per, len(lines))
			wg.Go(func() {
				for i := lo; i < hi; i++ {
					dst := &out[base+i]
					err := json.Unmarshal(lines[i], dst)
					if err == nil && check != nil {
						err = check(dst)
					}
					if err != nil {
						errs[w] = &LineError{File: name, Line: lineNos[i], Err: cleanJSONError(err)}
						return
					}
				}
			})
		}
		wg.Wait()
		lines, lineNos = lines[:0], lineNos[:0]
		for _, err := range errs { // in line order: worker w holds earlier lines
			if err != nil {
				return err
			}
		}
		return nil
	}

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		ln := bytes.TrimSpace(sc.Bytes())
		if len(ln) == 0 {
			continue
		}
		lines = append(lines, bytes.Clone(ln))
		lineNos = append(lineNos, lineNo)
		if len(lines) == chunk {
			if err := decode(); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", name, lineNo+1, err)
	}
	if len(lines) > 0 {
		if err := decode(); err != nil {
			return nil, err
		}
	}
	return slices.Clip(out), nil
}

// countLines counts the newlines of a file, to size the result of a load
// once instead of growing it; reading the file twice costs less than
// copying a million records.
func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err != nil {
			return n + 1
		}
	}
}

func loadFile[T any](path string, dst *[]T, check func(*T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	v, err := ReadJSONL(f, filepath.Base(path), countLines(path), check)
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
