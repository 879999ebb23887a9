package demodata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// File names of a data directory (kioskd -data; fields: verifier.Citizen, Card, Facility).
const (
	PopulationFile = "population.jsonl"
	InsuranceFile  = "insurance.jsonl"
	FacilitiesFile = "facilities.jsonl"
)

// WriteDir writes the data set of opt to dir (created if needed) as
// population.jsonl, insurance.jsonl, facilities.jsonl and staff.jsonl
// (GenerateStaff), streaming: memory
// does not grow with opt.N. Each file is written under a temporary name
// and renamed when complete.
func WriteDir(dir string, opt Options) error {
	_, err := WriteDirStats(dir, opt)
	return err
}

// WriteDirStats is WriteDir that also returns what it wrote.
func WriteDirStats(dir string, opt Options) (Stats, error) {
	opt = opt.WithDefaults()
	st := NewStats(opt.Now)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	names := []string{PopulationFile, InsuranceFile, FacilitiesFile}
	var files [3]*os.File
	var ws [3]*bufio.Writer
	cleanup := func() {
		for i, f := range files {
			if f != nil {
				f.Close()
				os.Remove(filepath.Join(dir, names[i]+".tmp"))
			}
		}
	}
	for i, n := range names {
		f, err := os.Create(filepath.Join(dir, n+".tmp"))
		if err != nil {
			cleanup()
			return st, err
		}
		files[i] = f
		ws[i] = bufio.NewWriterSize(f, 1<<20)
	}
	facs := GenerateFacilities(opt.Facilities, opt.Seed)
	st.Facilities = len(facs)
	var line []byte
	var err error
	for i := range facs {
		if line, err = AppendFacilityJSON(line[:0], &facs[i]); err != nil {
			cleanup()
			return st, err
		}
		ws[2].Write(append(line, '\n'))
	}
	err = writeStream(opt, facs, func(c *verifier.Citizen, cards []verifier.Card) error {
		st.Add(c, cards)
		var err error
		if line, err = AppendCitizenJSON(line[:0], c); err != nil {
			return err
		}
		if _, err = ws[0].Write(append(line, '\n')); err != nil {
			return err
		}
		for i := range cards {
			if line, err = AppendCardJSON(line[:0], &cards[i]); err != nil {
				return err
			}
			if _, err = ws[1].Write(append(line, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range ws {
		if err == nil {
			err = ws[i].Flush()
		}
	}
	for i, f := range files {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		files[i] = nil
		if err == nil {
			err = os.Rename(filepath.Join(dir, names[i]+".tmp"), filepath.Join(dir, names[i]))
		}
	}
	if err == nil {
		err = writeStaff(filepath.Join(dir, StaffFile), GenerateStaff(facs, opt.Seed))
	}
	if err != nil {
		for _, n := range names {
			os.Remove(filepath.Join(dir, n+".tmp"))
		}
		return st, fmt.Errorf("demodata: writing %s: %w", dir, err)
	}
	return st, nil
}

// writeStaff writes staff.jsonl under a temporary name, then renames it.
func writeStaff(path string, staff []verifier.StaffMember) error {
	var b []byte
	for i := range staff {
		b = append(AppendStaffJSON(b, &staff[i]), '\n')
	}
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// batch carries generated citizens from the generating goroutine to the
// writing one.
type batch struct {
	citizens []verifier.Citizen
	cards    []verifier.Card
	nCards   []int
}

const batchSize = 2048

// writeStream is stream with generation and consumption (serialising,
// writing) in two goroutines, connected by a few recycled batches so that
// memory stays bounded. write is called in citizen order.
func writeStream(opt Options, facs []verifier.Facility, write func(*verifier.Citizen, []verifier.Card) error) error {
	const inFlight = 4
	free := make(chan *batch, inFlight)
	full := make(chan *batch, inFlight)
	for range inFlight {
		free <- &batch{citizens: make([]verifier.Citizen, 0, batchSize), cards: make([]verifier.Card, 0, batchSize*11/10), nCards: make([]int, 0, batchSize)}
	}
	stop := make(chan struct{})
	genErr := make(chan error, 1)
	go func() {
		defer close(full)
		var b *batch
		errStopped := errors.New("stopped")
		err := stream(opt, facs, func(c *verifier.Citizen, cards []verifier.Card) error {
			if b == nil {
				select {
				case b = <-free:
				case <-stop:
					return errStopped
				}
				b.citizens, b.cards, b.nCards = b.citizens[:0], b.cards[:0], b.nCards[:0]
			}
			b.citizens = append(b.citizens, *c)
			b.cards = append(b.cards, cards...)
			b.nCards = append(b.nCards, len(cards))
			if len(b.citizens) == batchSize {
				full <- b
				b = nil
			}
			return nil
		})
		if b != nil && err == nil {
			full <- b
		}
		if err == errStopped {
			err = nil
		}
		genErr <- err
	}()
	var err error
	for b := range full {
		if err == nil {
			j := 0
			for i := range b.citizens {
				k := j + b.nCards[i]
				if err = write(&b.citizens[i], b.cards[j:k]); err != nil {
					close(stop)
					break
				}
				j = k
			}
		}
		clear(b.citizens) // drop references to the Extra maps
		free <- b
	}
	if gerr := <-genErr; err == nil {
		err = gerr
	}
	return err
}

// AppendCitizenJSON appends c as one population.jsonl object (no newline):
// the contract's fields, then the Extra fields in key order as top-level
// fields. An Extra key that names a contract field is skipped.
func AppendCitizenJSON(b []byte, c *verifier.Citizen) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, string(c.ID))
	b = append(b, `,"old_id":`...)
	b = appendJSONString(b, c.OldID)
	b = append(b, `,"full_name":`...)
	b = appendJSONString(b, c.FullName)
	b = append(b, `,"dob":"`...)
	b = appendDate(b, c.DOB)
	b = append(b, `","gender":`...)
	b = appendJSONString(b, string(c.Gender))
	b = append(b, `,"permanent_address":`...)
	b = appendJSONString(b, c.PermanentAddress)
	if c.HouseholdID != "" {
		b = append(b, `,"household_id":`...)
		b = appendJSONString(b, c.HouseholdID)
	}
	if c.RelationshipToHead != "" {
		b = append(b, `,"relationship_to_head":`...)
		b = appendJSONString(b, c.RelationshipToHead)
	}
	if !c.DeceasedOn.IsZero() {
		b = append(b, `,"deceased_on":"`...)
		b = appendDate(b, c.DeceasedOn)
		b = append(b, '"')
	}
	if len(c.CancelledIDs) > 0 {
		b = append(b, `,"cancelled_ids":[`...)
		for i, id := range c.CancelledIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, string(id))
		}
		b = append(b, ']')
	}
	b, err := appendExtra(b, c.Extra, citizenFields)
	return append(b, '}'), err
}

// AppendCardJSON appends k as one insurance.jsonl object (no newline).
// status is always written ("active" when empty).
func AppendCardJSON(b []byte, k *verifier.Card) ([]byte, error) {
	b = append(b, `{"card_no":`...)
	b = appendJSONString(b, k.CardNo)
	b = append(b, `,"citizen_id":`...)
	b = appendJSONString(b, string(k.CitizenID))
	b = append(b, `,"full_name":`...)
	b = appendJSONString(b, k.FullName)
	b = append(b, `,"dob":"`...)
	b = appendDate(b, k.DOB)
	b = append(b, `","gender":`...)
	b = appendJSONString(b, string(k.Gender))
	b = append(b, `,"benefit_level":`...)
	b = strconv.AppendInt(b, int64(k.BenefitLevel), 10)
	if k.ObjectCode != "" {
		b = append(b, `,"object_code":`...)
		b = appendJSONString(b, k.ObjectCode)
	}
	b = append(b, `,"registered_facility":`...)
	b = appendJSONString(b, k.RegisteredFacility)
	b = append(b, `,"valid_from":"`...)
	b = appendDate(b, k.ValidFrom)
	b = append(b, `","valid_to":"`...)
	b = appendDate(b, k.ValidTo)
	b = append(b, '"')
	if !k.FiveYearsSince.IsZero() {
		b = append(b, `,"five_years_since":"`...)
		b = appendDate(b, k.FiveYearsSince)
		b = append(b, '"')
	}
	b = append(b, `,"status":`...)
	if k.Status == "" {
		b = append(b, `"active"`...)
	} else {
		b = appendJSONString(b, string(k.Status))
	}
	if k.ReducedReason != "" {
		b = append(b, `,"reduced_reason":`...)
		b = appendJSONString(b, k.ReducedReason)
	}
	if k.ReplacedBy != "" {
		b = append(b, `,"replaced_by":`...)
		b = appendJSONString(b, k.ReplacedBy)
	}
	if k.SocialInsuranceNo != "" {
		b = append(b, `,"social_insurance_no":`...)
		b = appendJSONString(b, k.SocialInsuranceNo)
	}
	if k.AreaCode != "" {
		b = append(b, `,"area_code":`...)
		b = appendJSONString(b, k.AreaCode)
	}
	if k.InsurerOffice != "" {
		b = append(b, `,"insurer_office":`...)
		b = appendJSONString(b, k.InsurerOffice)
	}
	b, err := appendExtra(b, k.Extra, cardFields)
	return append(b, '}'), err
}

// AppendFacilityJSON appends f as one facilities.jsonl object (no newline).
func AppendFacilityJSON(b []byte, f *verifier.Facility) ([]byte, error) {
	b = append(b, `{"code":`...)
	b = appendJSONString(b, f.Code)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, f.Name)
	b = append(b, `,"province":`...)
	b = appendJSONString(b, f.Province)
	b = append(b, `,"level":`...)
	b = appendJSONString(b, f.Level)
	if len(f.Departments) > 0 {
		b = append(b, `,"departments":[`...)
		for i, d := range f.Departments {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":`...)
			b = appendJSONString(b, d.Code)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, d.Name)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b, err := appendExtra(b, f.Extra, facilityFields)
	return append(b, '}'), err
}

var (
	citizenFields  = fieldSet("id", "old_id", "full_name", "dob", "gender", "permanent_address", "household_id", "relationship_to_head", "deceased_on", "cancelled_ids")
	cardFields     = fieldSet("card_no", "citizen_id", "full_name", "dob", "gender", "benefit_level", "object_code", "registered_facility", "valid_from", "valid_to", "five_years_since", "status", "reduced_reason", "replaced_by", "social_insurance_no", "area_code", "insurer_office")
	facilityFields = fieldSet("code", "name", "province", "level", "departments")
)

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// appendExtra appends the members of an Extra object. Extra never holds a
// member the contract names (verifier's decoder and this generator both
// keep them out), so the members are copied as they are.
func appendExtra(b []byte, extra json.RawMessage, _ map[string]bool) ([]byte, error) {
	extra = bytes.TrimSpace(extra)
	if len(extra) <= 2 {
		return b, nil
	}
	if extra[0] != '{' || extra[len(extra)-1] != '}' || !json.Valid(extra) {
		return b, fmt.Errorf("extra fields are not a JSON object")
	}
	b = append(b, ',')
	return append(b, bytes.TrimSpace(extra[1:len(extra)-1])...), nil
}

// appendJSONString appends s as a JSON string, quoted by encoding/json.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
