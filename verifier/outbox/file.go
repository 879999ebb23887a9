package outbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// File format. An outbox file is JSON Lines, one queued recording a line:
//
//	{"crc32c":"1a2b3c4d","r":{"Visit":{...},"RepeatWithin":600000000000,"ExpireAt":"...","FullName":"..."}}
//
// r is the verifier.Recording as encoding/json writes it; crc32c is the
// CRC-32C (Castagnoli) of the exact bytes of r, in 8 lower-case hex digits.
// A line that does not end in a newline (torn by a crash mid-write), that is
// not such an object, whose checksum does not match or whose recording is
// not one a ledger accepts is skipped when the file is read, and counted.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileLine is one line of an outbox file.
type fileLine struct {
	CRC string          `json:"crc32c"`
	R   json.RawMessage `json:"r"`
}

// encodeLine returns the line (newline included) that queues r.
func encodeLine(r verifier.Recording) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(body)+32)
	line = fmt.Appendf(line, `{"crc32c":"%08x","r":`, crc32.Checksum(body, castagnoli))
	line = append(line, body...)
	line = append(line, '}', '\n')
	return line, nil
}

// decodeLine reads one line (without its newline).
func decodeLine(b []byte) (verifier.Recording, error) {
	var l fileLine
	if err := json.Unmarshal(b, &l); err != nil {
		return verifier.Recording{}, err
	}
	if l.CRC != fmt.Sprintf("%08x", crc32.Checksum(l.R, castagnoli)) {
		return verifier.Recording{}, errors.New("checksum mismatch")
	}
	var r verifier.Recording
	if err := json.Unmarshal(l.R, &r); err != nil {
		return verifier.Recording{}, err
	}
	if err := r.Validate(); err != nil {
		return verifier.Recording{}, err
	}
	return r, nil
}

// readFile returns the recordings of an outbox file in file order, and the
// number of lines skipped as torn or corrupt.
func readFile(r io.Reader) (recs []verifier.Recording, skipped int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 && b[len(b)-1] != '\n' {
			skipped++ // torn last line: the write never completed
		} else if len(b) > 1 {
			rec, derr := decodeLine(b[:len(b)-1])
			if derr != nil {
				skipped++
			} else {
				recs = append(recs, rec)
			}
		}
		if errors.Is(err, io.EOF) {
			return recs, skipped, nil
		}
		if err != nil {
			return recs, skipped, err
		}
	}
}

// ReadDir returns the recordings queued in the outbox files of dir, file by
// file in name order (oldest process first), and the number of lines skipped
// as torn or corrupt. It reads files that a running process may be writing:
// it is meant for tests and for operators inspecting a stopped service.
func ReadDir(dir string) ([]verifier.Recording, int, error) {
	names, err := filepath.Glob(filepath.Join(dir, filePrefix+"*"+fileSuffix))
	if err != nil {
		return nil, 0, err
	}
	var all []verifier.Recording
	skipped := 0
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, 0, err
		}
		recs, n, err := readFile(f)
		f.Close()
		if err != nil {
			return nil, 0, err
		}
		all, skipped = append(all, recs...), skipped+n
	}
	return all, skipped, nil
}

// syncDir makes a file's creation, rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
