package inmem

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
)

// oracle is the registry as it was before packing: the records as
// encoding/json decodes them, in maps keyed by string.
type oracle struct {
	citizens []verifier.Citizen
	cards    []verifier.Card
	facs     []verifier.Facility
	byID     map[verifier.CitizenID]int
	byNo     map[string]int
	cardsOf  map[verifier.CitizenID][]verifier.Card
}

func newOracle(citizens []verifier.Citizen, cards []verifier.Card, facs []verifier.Facility) *oracle {
	o := &oracle{citizens: citizens, cards: cards, facs: facs,
		byID: map[verifier.CitizenID]int{}, byNo: map[string]int{}, cardsOf: map[verifier.CitizenID][]verifier.Card{}}
	for i, c := range citizens {
		o.byID[c.ID] = i
	}
	for i, c := range cards {
		o.byNo[c.CardNo] = i
		o.cardsOf[c.CitizenID] = append(o.cardsOf[c.CitizenID], c)
	}
	return o
}

func readOracleFile[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, maxLine)
	for sc.Scan() {
		ln := bytes.TrimSpace(sc.Bytes())
		if len(ln) == 0 {
			continue
		}
		var v T
		if err := decodeLine(ln, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

func loadOracle(t testing.TB, dir string) *oracle {
	return newOracle(
		readOracleFile[verifier.Citizen](t, filepath.Join(dir, PopulationFile)),
		readOracleFile[verifier.Card](t, filepath.Join(dir, InsuranceFile)),
		readOracleFile[verifier.Facility](t, filepath.Join(dir, FacilitiesFile)))
}

// compare checks every lookup of r against the oracle.
func compare(t *testing.T, r *Registry, o *oracle, extraIDs ...verifier.CitizenID) {
	t.Helper()
	ctx := context.Background()
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 10 {
			t.Errorf(format, args...)
		}
	}
	if c, k, f := r.Counts(); c != len(o.citizens) || k != len(o.cards) || f != len(o.facs) {
		t.Fatalf("counts %d/%d/%d, want %d/%d/%d", c, k, f, len(o.citizens), len(o.cards), len(o.facs))
	}
	for i, want := range o.citizens {
		if got := r.CitizenAt(i); !reflect.DeepEqual(got, want) {
			fail("CitizenAt(%d) = %#v, want %#v", i, got, want)
		}
		if o.byID[want.ID] != i {
			continue // a duplicate ID of NewRegistry's input
		}
		got, err := r.Citizen(ctx, want.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			fail("Citizen(%d) = %#v, %v; want %#v", i, got, err, want)
		}
	}
	ids := append([]verifier.CitizenID{}, extraIDs...)
	for id := range o.cardsOf {
		ids = append(ids, id)
	}
	for _, c := range o.citizens {
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		got, err := r.CardsOf(ctx, id)
		if want := o.cardsOf[id]; err != nil || !reflect.DeepEqual(got, want) {
			fail("CardsOf(%s) = %#v, %v; want %#v", id, got, err, want)
		}
	}
	for i, want := range o.cards {
		if o.byNo[want.CardNo] != i {
			continue
		}
		got, err := r.Card(ctx, want.CardNo)
		if err != nil || !reflect.DeepEqual(got, want) {
			fail("Card(%d) = %#v, %v; want %#v", i, got, err, want)
		}
	}
	for _, want := range o.facs {
		got, err := r.Facility(ctx, want.Code)
		if err != nil || !reflect.DeepEqual(got, want) {
			fail("Facility(%s) = %#v, %v", want.Code, got, err)
		}
	}
	if got := r.Facilities(); !reflect.DeepEqual(got, o.facs) && !(len(got) == 0 && len(o.facs) == 0) {
		fail("Facilities() = %v", got)
	}
	for _, id := range []verifier.CitizenID{"000000000000", "999999999999", "12345", ""} {
		if _, ok := o.byID[id]; ok {
			continue
		}
		if _, err := r.Citizen(ctx, id); verifier.KindOf(err) != verifier.KindNotFound {
			fail("Citizen(%q): %v", id, err)
		}
	}
	for _, no := range []string{"0000000000", "ZZ0000000000000", "x", ""} {
		if _, ok := o.byNo[no]; ok {
			continue
		}
		if _, err := r.Card(ctx, no); verifier.KindOf(err) != verifier.KindNotFound {
			fail("Card(%q): %v", no, err)
		}
	}
}

// Unusual but valid lines, which take the slow path or the odd form.
var trickyPop = []string{
	`{"id":"001090000001","full_name":"Tr\u1ea7n \"B\"","dob":"1990-02","gender":"female","permanent_address":"A","deceased_on":"2024"}`,
	`{"id":"001090000002","full_name":null,"dob":"1990","gender":"","permanent_address":"A","x":{"a":[1,2,{"b":null}]},"y":-1.5e3,"z":true}`,
	`{ "id" : "001090000003" , "FULL_NAME" : "Upper" , "permanent_address":"A" , "phone" : "09" }`,
	`{"id":"001090000004","old_id":"123456789","full_name":"Ng` + "\xff" + `uyen","household_id":"HK1","relationship_to_head":"Chủ hộ","extra":"\u00e9\n"}`,
	`{"id":"001090000005","full_name":"Dup","full_name":"Dup2","extra":1,"extra":2}`,
	`{"id":"001090000006","-":"dash","Extra":"E","FromCache":true}`,
	`{"id":"001090000007","ſull_name":"long s","full_name":"x"}`,
	`{"id":"001090000008","permanent_address":"` + strings.Repeat("đ", 40000) + `"}`,
	`{"id":"001090000009","dob":"","gender":"male","deceased_on":""}`,
}

var trickyIns = []string{
	`{"card_no":"1234567890","citizen_id":"001090000001","full_name":"Tr\u1ea7n \"B\"","dob":"1990-02","benefit_level":1,"registered_facility":"08001","valid_from":"2026-01-01","status":"reduced","reduced_reason":"moved_out"}`,
	`{"card_no":"AB1234567890123","citizen_id":"001090000001","full_name":"other","benefit_level":5,"registered_facility":"08001","valid_from":"2026","replaced_by":"1234567890","five_years_since":"2020-01-01","note":{"x":1}}`,
	`{"card_no":"ab1234567890123","citizen_id":"001090000099","full_name":"orphan","benefit_level":2,"registered_facility":"08001","valid_from":"2026-01"}`,
	`{"card_no":"A_123456789012X","citizen_id":"001090000099","benefit_level":3,"registered_facility":"08001","valid_from":"2026-01"}`,
	`{"card_no":"0000000001","citizen_id":"001090000002","benefit_level":3,"registered_facility":"08001","valid_from":"2026-01","status":"revoked","Status":"active"}`,
	`{"card_no":"0000000002","citizen_id":"001090000007","full_name":"x","benefit_level":4,"registered_facility":"08001","valid_from":"2026-01","status":""}`,
}

// A generated data set, with unusual lines added, loads to exactly what
// decoding every line with encoding/json gives.
func TestLoadDirMatchesOracle(t *testing.T) {
	n := 40_000
	if testing.Short() {
		n = 5000
	}
	dir := t.TempDir()
	if err := demodata.WriteDir(dir, demodata.Options{N: n, Seed: 3, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}}); err != nil {
		t.Fatal(err)
	}
	for name, extra := range map[string][]string{PopulationFile: trickyPop, InsuranceFile: trickyIns} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(f, "\n  \n"+strings.Join(extra, "\r\n")) // no final newline
		f.Close()
	}
	o := loadOracle(t, dir)
	r, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, r, o, "001090000099")
	if len(r.oddCit) == 0 || len(r.oddCard) == 0 || len(r.orphans) == 0 {
		t.Errorf("the tricky lines did not exercise odd records (%d, %d) and orphans (%d)", len(r.oddCit), len(r.oddCard), len(r.orphans))
	}
	r2, err := NewRegistry(o.citizens, o.cards, o.facs)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, r2, o, "001090000099")
}

// NewRegistry keeps records that do not fit the packed form as they are.
func TestNewRegistryOddRecords(t *testing.T) {
	set := demodata.Generate(demodata.Options{N: 2000, Seed: 5, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}})
	cit, cards := set.Citizens, set.Cards
	cit[1].ID = "12345"
	cit[2].Gender = "x"
	cit[3].DOB = verifier.Date{Year: 20000, Month: 1}
	cit[4].FromCache = true
	cit[5].Extra = json.RawMessage{}
	cit[6].FullName = strings.Repeat("n", 70000)
	cit[7].DeceasedOn = verifier.Date{Year: -1}
	cards[1].CardNo = "weird"
	cards[2].CitizenID = "12345"
	cards[3].BenefitLevel = 1000
	cards[4].Status = "gone"
	cards[5].ValidTo = verifier.Date{Year: 2026, Month: 13, Day: 100}
	cards[6].CitizenID = "099099099099"
	cards[7].CitizenID = "not-an-id"
	cards[8].Extra = json.RawMessage{}
	cards[9].ReplacedBy = strings.Repeat("r", 70000)
	cards[10].CardNo = "AB12345678901234" // 16 characters
	r, err := NewRegistry(cit, cards, set.Facilities)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, r, newOracle(cit, cards, set.Facilities))

	empty, err := NewRegistry(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, empty, newOracle(nil, nil, nil))
}

func TestNewRegistryDuplicates(t *testing.T) {
	set := demodata.Generate(demodata.Options{N: 100, Seed: 5, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}})
	cit := append([]verifier.Citizen{}, set.Citizens...)
	cit[50].ID = cit[10].ID
	if _, err := NewRegistry(cit, set.Cards, set.Facilities); err == nil || !strings.Contains(err.Error(), "duplicate citizen id "+cit[10].ID.Masked()) {
		t.Errorf("duplicate citizen: %v", err)
	}
	cards := append([]verifier.Card{}, set.Cards...)
	cards[7].CardNo = cards[3].CardNo
	if _, err := NewRegistry(set.Citizens, cards, set.Facilities); err == nil || !strings.Contains(err.Error(), "duplicate card_no") || strings.Contains(err.Error(), cards[3].CardNo) {
		t.Errorf("duplicate card: %v", err)
	}
	cards[7].CardNo, cards[3].CardNo = "x", "x"
	if _, err := NewRegistry(set.Citizens, cards, set.Facilities); err == nil || !strings.Contains(err.Error(), "duplicate card_no") {
		t.Errorf("duplicate odd card: %v", err)
	}
	cit = append([]verifier.Citizen{}, set.Citizens...)
	cit[50].ID, cit[10].ID = "odd", "odd"
	if _, err := NewRegistry(cit, set.Cards, set.Facilities); err == nil || !strings.Contains(err.Error(), "duplicate citizen id") {
		t.Errorf("duplicate odd citizen: %v", err)
	}
}

// Lookups allocate little: nothing for a citizen without extra fields
// beyond the copy of Extra.
func TestLookupAllocations(t *testing.T) {
	set := demodata.Generate(demodata.Options{N: 1000, Seed: 5, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}})
	r, err := NewRegistry(set.Citizens, set.Cards, set.Facilities)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id := set.Citizens[0].ID
	if n := testing.AllocsPerRun(100, func() { _, _ = r.Citizen(ctx, id) }); n > 1 {
		t.Errorf("Citizen allocates %v times", n)
	}
	no := set.Cards[0].CardNo
	if n := testing.AllocsPerRun(100, func() { _, _ = r.Card(ctx, no) }); n > 2 {
		t.Errorf("Card allocates %v times", n)
	}
}

// The indexes grow when the size hint is short.
func TestBuilderIndexGrows(t *testing.T) {
	set := demodata.Generate(demodata.Options{N: 3000, Seed: 11, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}})
	b := newBuilder(1, 1)
	noLine := func(_ int, err error) error { return err }
	if err := b.addCitizens(len(set.Citizens), func(_ *packer, i int, c *verifier.Citizen) error { *c = set.Citizens[i]; return nil }, noLine); err != nil {
		t.Fatal(err)
	}
	if err := b.addCards(len(set.Cards), func(_ *packer, i int, c *verifier.Card) error { *c = set.Cards[i]; return nil }, noLine); err != nil {
		t.Fatal(err)
	}
	if err := b.r.addFacilities(set.Facilities); err != nil {
		t.Fatal(err)
	}
	compare(t, b.finish(), newOracle(set.Citizens, set.Cards, set.Facilities))
}

func BenchmarkLookup(b *testing.B) {
	set := demodata.Generate(demodata.Options{N: 100_000, Seed: 1, Now: verifier.Date{Year: 2026, Month: 11, Day: 28}})
	r, err := NewRegistry(set.Citizens, set.Cards, set.Facilities)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("Citizen", func(b *testing.B) {
		i := 0
		for b.Loop() {
			_, _ = r.Citizen(ctx, set.Citizens[i%len(set.Citizens)].ID)
			i += 7919
		}
	})
	b.Run("CardsOf", func(b *testing.B) {
		i := 0
		for b.Loop() {
			_, _ = r.CardsOf(ctx, set.Citizens[i%len(set.Citizens)].ID)
			i += 7919
		}
	})
	b.Run("Card", func(b *testing.B) {
		i := 0
		for b.Loop() {
			_, _ = r.Card(ctx, set.Cards[i%len(set.Cards)].CardNo)
			i += 7919
		}
	})
}
