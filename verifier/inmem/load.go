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
	"strings"
	"sync"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/recordjson"
)

// The three files of a data directory (contract: "Data files"); see also
// StaffFile.
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
//
// The population and insurance files are read a chunk of lines at a time;
// each chunk is decoded by all cores and packed straight into the
// registry's compact form, so memory holds the packed records plus one
// chunk of raw lines, never a []verifier.Citizen of the whole file.
func LoadDir(dir string) (*Registry, error) {
	var facs []verifier.Facility
	if err := loadFile(filepath.Join(dir, FacilitiesFile), &facs, checkFacility); err != nil {
		return nil, err
	}
	popPath, insPath := filepath.Join(dir, PopulationFile), filepath.Join(dir, InsuranceFile)
	b := newBuilder(estimateLines(popPath), estimateLines(insPath))
	err := readFile(popPath, func(name string, lines [][]byte, lineNos []int) error {
		return b.addCitizens(len(lines), func(p *packer, i int, c *verifier.Citizen) error {
			if err := decodeLine(lines[i], c); err != nil {
				return err
			}
			return checkCitizen(c)
		}, func(i int, err error) error {
			return &LineError{File: name, Line: lineNos[i], Err: err}
		})
	})
	if err != nil {
		return nil, err
	}
	if err := b.r.checkCancelled(); err != nil {
		return nil, fmt.Errorf("%s: %w", PopulationFile, err)
	}
	err = readFile(insPath, func(name string, lines [][]byte, lineNos []int) error {
		return b.addCards(len(lines), func(p *packer, i int, c *verifier.Card) error {
			if err := decodeLine(lines[i], c); err != nil {
				return err
			}
			return checkCard(c)
		}, func(i int, err error) error {
			return &LineError{File: name, Line: lineNos[i], Err: err}
		})
	})
	if err != nil {
		return nil, err
	}
	if err := b.r.addFacilities(facs); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	r := b.finish()
	if err := loadStaff(r, dir); err != nil {
		return nil, err
	}
	// Give the load's transient memory (line buffers, scratch) back to the
	// system now rather than at the collector's leisure.
	debug.FreeOSMemory()
	return r, nil
}

// readFile calls fn with the chunks of non-blank lines of a JSON Lines file
// (see readChunks).
func readFile(path string, fn func(name string, lines [][]byte, lineNos []int) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	name := filepath.Base(path)
	return readChunks(f, name, pageSize, func(lines [][]byte, lineNos []int) error {
		return fn(name, lines, lineNos)
	})
}

// maxLine is the longest line a data file may have.
const maxLine = 16 * 1024 * 1024

// readChunks reads a JSON Lines stream and calls fn with its non-blank
// lines (trimmed of white space) and their 1-based line numbers, chunk
// lines at a time (the last chunk may be shorter). The lines live in a
// buffer that is reused once fn returns.
func readChunks(r io.Reader, name string, chunk int, fn func(lines [][]byte, lineNos []int) error) error {
	buf := make([]byte, 0, 1<<20)
	type span struct{ lo, hi int }
	spans := make([]span, 0, chunk)
	lineNos := make([]int, 0, chunk)
	lines := make([][]byte, 0, chunk)
	lineNo, scan, eof := 0, 0, false
	process := func() error {
		lines = lines[:0]
		for _, s := range spans {
			lines = append(lines, buf[s.lo:s.hi])
		}
		err := fn(lines, lineNos)
		clear(lines)
		spans, lineNos = spans[:0], lineNos[:0]
		return err
	}
	for {
		// Collect up to chunk lines from buf[scan:], reading more as needed.
		for len(spans) < chunk {
			if k := bytes.IndexByte(buf[scan:], '\n'); k >= 0 {
				lineNo++
				if k > maxLine {
					return fmt.Errorf("%s: line %d: %w", name, lineNo, bufio.ErrTooLong)
				}
				lo, hi := trimSpan(buf, scan, scan+k)
				if lo < hi {
					spans = append(spans, span{lo, hi})
					lineNos = append(lineNos, lineNo)
				}
				scan += k + 1
				continue
			}
			if eof {
				if scan < len(buf) {
					lineNo++
					if len(buf)-scan > maxLine {
						return fmt.Errorf("%s: line %d: %w", name, lineNo, bufio.ErrTooLong)
					}
					lo, hi := trimSpan(buf, scan, len(buf))
					if lo < hi {
						spans = append(spans, span{lo, hi})
						lineNos = append(lineNos, lineNo)
					}
					scan = len(buf)
				}
				break
			}
			if len(buf)-scan > maxLine {
				return fmt.Errorf("%s: line %d: %w", name, lineNo+1, bufio.ErrTooLong)
			}
			if len(buf) == cap(buf) {
				if len(spans) == 0 && scan > 0 {
					buf = buf[:copy(buf, buf[scan:])]
					scan = 0
				} else {
					buf = slices.Grow(buf, cap(buf))
				}
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return fmt.Errorf("%s: line %d: %w", name, lineNo+1, err)
			}
		}
		if len(spans) > 0 {
			if err := process(); err != nil {
				return err
			}
		}
		if eof && scan == len(buf) {
			return nil
		}
		buf = buf[:copy(buf, buf[scan:])]
		scan = 0
	}
}

// trimSpan trims the white space bytes.TrimSpace would trim off buf[lo:hi].
func trimSpan(buf []byte, lo, hi int) (int, int) {
	t := bytes.TrimSpace(buf[lo:hi])
	if len(t) == 0 {
		return lo, lo
	}
	start := lo + (cap(buf[lo:]) - cap(t))
	return start, start + len(t)
}

// ReadJSONL decodes a JSON Lines stream of records of type T, checking each
// with check, and returns them in file order. Blank lines are skipped; the
// error, if any, names the first bad line. The stream is read in chunks of
// lines, each decoded by all cores straight into the result. sizeHint, when
// positive, is the expected number of records and sizes the result once.
// (LoadDir does not hold the population and insurance files this way: it
// packs each chunk as it is decoded.)
func ReadJSONL[T any](r io.Reader, name string, sizeHint int, check func(*T) error) ([]T, error) {
	workers := runtime.GOMAXPROCS(0)
	out := make([]T, 0, max(sizeHint, 0))
	err := readChunks(r, name, pageSize, func(lines [][]byte, lineNos []int) error {
		base := len(out)
		out = slices.Grow(out, len(lines))[:base+len(lines)]
		errs := make([]error, workers)
		var wg sync.WaitGroup
		per := (len(lines) + workers - 1) / workers
		for w := range workers {
			lo, hi := min(w*per, len(lines)), min((w+1)*per, len(lines))
			wg.Go(func() {
				for i := lo; i < hi; i++ {
					dst := &out[base+i]
					err := decodeLine(lines[i], dst)
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
		for _, err := range errs { // in line order: worker w holds earlier lines
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
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

// estimateLines estimates the lines of a large file from its size and the
// length of its first lines, to size an index that can still grow.
func estimateLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	buf := make([]byte, 1<<20)
	k, _ := io.ReadFull(f, buf)
	n := bytes.Count(buf[:k], []byte{'\n'})
	if k < len(buf) || n == 0 {
		return n + 1
	}
	return int(st.Size() / int64(k) * int64(n) * 21 / 20)
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

// decodeLine decodes one line of a data file into dst: a registry record
// with its extra members (recordjson), anything else (staff) as
// encoding/json does. Its errors do not quote the line's values, which
// could put a citizen's data into the log.
func decodeLine[T any](line []byte, dst *T) error {
	var err error
	switch r := any(dst).(type) {
	case *verifier.Citizen:
		err = recordjson.Unmarshal(line, r)
	case *verifier.Card:
		err = recordjson.Unmarshal(line, r)
	case *verifier.Facility:
		err = recordjson.Unmarshal(line, r)
	default:
		err = json.Unmarshal(line, dst)
	}
	if err != nil {
		return cleanJSONError(err)
	}
	return nil
}

const wantDate = "not a date (want YYYY-MM-DD, YYYY-MM or YYYY)"

// cleanJSONError drops the offending value from a JSON error message.
func cleanJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q: wrong type (want %s)", te.Field, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	}
	var fe *recordjson.FieldError // the field, when recordjson found it
	errors.As(err, &fe)
	var ve *verifier.Error
	if errors.As(err, &ve) {
		msg := ve.Message
		if ve.Code == "invalid_date" { // the message quotes the value
			msg = wantDate
		}
		switch {
		case fe != nil:
			return fmt.Errorf("field %q: %s", fe.Field, msg)
		case ve.Code == "invalid_date":
			return errors.New("a date field is " + wantDate)
		}
		return errors.New(msg)
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
	for _, old := range c.CancelledIDs {
		if old == c.ID {
			return errors.New(`field "cancelled_ids" lists the record's own id`)
		}
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
	case c.SocialInsuranceNo != "" && (len(c.SocialInsuranceNo) != 10 || !digits(c.SocialInsuranceNo)):
		return errors.New(`field "social_insurance_no" must be 10 digits`)
	case c.AreaCode != "" && c.AreaCode != "K1" && c.AreaCode != "K2" && c.AreaCode != "K3":
		return errors.New(`field "area_code" must be K1, K2, K3 or empty`)
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
	seen := map[string]bool{}
	for i, d := range f.Departments {
		switch {
		case d.Code == "" || len(d.Code) > 32:
			return fmt.Errorf(`field "departments": entry %d: "code" must have 1 to 32 characters`, i+1)
		case strings.TrimSpace(d.Name) == "":
			return fmt.Errorf(`field "departments": entry %d: "name" is missing`, i+1)
		case seen[d.Code]:
			return fmt.Errorf(`field "departments": code %q appears twice`, d.Code)
		}
		seen[d.Code] = true
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
