package demodata

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/recordjson"
)

var testNow = verifier.Date{Year: 2025, Month: 6, Day: 15}

func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range []string{PopulationFile, InsuranceFile, FacilitiesFile} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		out[n] = hex.EncodeToString(s[:])
	}
	return out
}

// serialize writes a Set the way WriteDir writes files, to compare the
// in-memory and streamed paths.
func serialize(t *testing.T, set *Set) map[string]string {
	t.Helper()
	var pop, ins, fac []byte
	var err error
	for i := range set.Citizens {
		if pop, err = AppendCitizenJSON(pop, &set.Citizens[i]); err != nil {
			t.Fatal(err)
		}
		pop = append(pop, '\n')
	}
	for i := range set.Cards {
		if ins, err = AppendCardJSON(ins, &set.Cards[i]); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, '\n')
	}
	for i := range set.Facilities {
		if fac, err = AppendFacilityJSON(fac, &set.Facilities[i]); err != nil {
			t.Fatal(err)
		}
		fac = append(fac, '\n')
	}
	h := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	return map[string]string{PopulationFile: h(pop), InsuranceFile: h(ins), FacilitiesFile: h(fac)}
}

func TestDeterministic(t *testing.T) {
	opt := Options{N: 5000, Seed: 42, Now: testNow}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if err := WriteDir(a, opt); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(b, opt); err != nil {
		t.Fatal(err)
	}
	ha, hb := hashDir(t, a), hashDir(t, b)
	for n := range ha {
		if ha[n] != hb[n] {
			t.Errorf("%s differs between two runs with the same options", n)
		}
	}
	set := Generate(opt)
	hs := serialize(t, &set)
	for n := range ha {
		if ha[n] != hs[n] {
			t.Errorf("%s: Generate and WriteDir disagree", n)
		}
	}
	opt.Seed = 43
	if err := WriteDir(c, opt); err != nil {
		t.Fatal(err)
	}
	hc := hashDir(t, c)
	if hc[PopulationFile] == ha[PopulationFile] || hc[InsuranceFile] == ha[InsuranceFile] {
		t.Error("a different seed gave the same data")
	}
	if entries, _ := os.ReadDir(a); len(entries) != 4 {
		t.Errorf("output dir has %d entries, want the 4 files (no temporary files left)", len(entries))
	}
}

var (
	reOldCard = regexp.MustCompile(`^([A-Z]{2})([1-5])(\d{2})(\d{10})$`)
	reNewCard = regexp.MustCompile(`^\d{10}$`)
	reOldID   = regexp.MustCompile(`^\d{9}$`)
	reFacCode = regexp.MustCompile(`^\d{5}$`)
)

func TestCitizensAndCardsConsistent(t *testing.T) {
	set := Generate(Options{N: 20000, Seed: 7, Now: testNow})
	if len(set.Citizens) != 20000 {
		t.Fatalf("got %d citizens, want 20000", len(set.Citizens))
	}
	facs := map[string]verifier.Facility{}
	for _, f := range set.Facilities {
		facs[f.Code] = f
	}
	ids := map[verifier.CitizenID]*verifier.Citizen{}
	oldIDs := map[string]bool{}
	ages := map[int]int{}
	for i := range set.Citizens {
		c := &set.Citizens[i]
		id, err := verifier.ParseCitizenID(string(c.ID))
		if err != nil {
			t.Fatalf("citizen %d: %v", i, err)
		}
		if w := id.CheckBirth(c.DOB, c.Gender); len(w) > 0 {
			t.Errorf("citizen %s dob %s gender %s: %v", c.ID, c.DOB, c.Gender, w)
		}
		if _, ok := id.ProvinceName(); !ok {
			t.Errorf("citizen %s: unknown province", c.ID)
		}
		if ids[c.ID] != nil {
			t.Errorf("duplicate ID %s", c.ID)
		}
		ids[c.ID] = c
		if c.OldID != "" {
			if !reOldID.MatchString(c.OldID) {
				t.Errorf("old_id %q is not 9 digits", c.OldID)
			}
			if oldIDs[c.OldID] {
				t.Errorf("duplicate old_id %s", c.OldID)
			}
			oldIDs[c.OldID] = true
			if c.DOB.Year >= 2000 {
				t.Errorf("old_id for someone born in %d", c.DOB.Year)
			}
		}
		if !c.DOB.Valid() || c.DOB.IsZero() {
			t.Errorf("invalid dob %+v", c.DOB)
		}
		age := c.DOB.AgeOn(testNow)
		if age < 0 || age > 95 {
			t.Errorf("age %d out of 0–95 (dob %s)", age, c.DOB)
		}
		ages[age/10]++
		if c.Gender != verifier.Male && c.Gender != verifier.Female {
			t.Errorf("gender %q", c.Gender)
		}
		for _, s := range []string{c.FullName, c.PermanentAddress, c.RelationshipToHead} {
			if !norm.NFC.IsNormalString(s) {
				t.Errorf("not NFC: %q", s)
			}
		}
		if len(strings.Fields(c.FullName)) < 3 {
			t.Errorf("name %q has fewer than three words", c.FullName)
		}
		if !c.DeceasedOn.IsZero() && (!c.DeceasedOn.Full() || !c.DeceasedOn.Before(testNow) || dayNum(c.DeceasedOn) <= dayNum(c.DOB)) {
			t.Errorf("deceased_on %s (dob %s)", c.DeceasedOn, c.DOB)
		}
		if (c.HouseholdID == "") != (c.RelationshipToHead == "") {
			t.Errorf("household_id %q with relationship %q", c.HouseholdID, c.RelationshipToHead)
		}
		var extra map[string]string
		if err := json.Unmarshal(c.Extra, &extra); err != nil {
			t.Fatalf("extra %s: %v", c.Extra, err)
		}
		for _, k := range []string{"ethnicity", "religion", "nationality"} {
			if extra[k] == "" {
				t.Errorf("extra %s missing in %s", k, c.Extra)
			}
		}
	}
	if ages[0] < 1000 || ages[9] == 0 || ages[3] < ages[8] {
		t.Errorf("implausible age distribution by decade: %v", ages)
	}
	// Cancelled IDs: a few, each well formed, of the same birth cohort, and
	// nobody's current ID nor listed twice.
	cancelled := map[verifier.CitizenID]bool{}
	for i := range set.Citizens {
		c := &set.Citizens[i]
		for _, old := range c.CancelledIDs {
			if _, err := verifier.ParseCitizenID(string(old)); err != nil || old[:6] != c.ID[:6] || ids[old] != nil || cancelled[old] {
				t.Errorf("citizen %s: cancelled id %s (%v)", c.ID, old, err)
			}
			cancelled[old] = true
		}
	}
	if n := len(cancelled); n < 20 || n > 200 {
		t.Errorf("%d cancelled IDs among 20000 citizens, want about 80", n)
	}
	reasons, areas := map[string]int{}, map[string]int{}
	defer func() {
		for _, r := range []string{"moved_out", "moved_within", "reenrolled", "stopped", ""} {
			if reasons[r] == 0 {
				t.Errorf("no reduced card with reduced_reason %q (%v)", r, reasons)
			}
		}
		for _, a := range []string{"", "K1", "K2", "K3"} {
			if areas[a] == 0 {
				t.Errorf("no card with area_code %q (%v)", a, areas)
			}
		}
	}()
	cardNos := map[string]*verifier.Card{}
	for i := range set.Cards {
		k := &set.Cards[i]
		if cardNos[k.CardNo] != nil {
			t.Errorf("duplicate card_no %s", k.CardNo)
		}
		cardNos[k.CardNo] = k
	}
	for i := range set.Cards {
		k := &set.Cards[i]
		c := ids[k.CitizenID]
		if c == nil {
			t.Fatalf("card %s of unknown citizen", k.CardNo)
		}
		if m := reOldCard.FindStringSubmatch(k.CardNo); m != nil {
			if m[1] != k.ObjectCode || int(m[2][0]-'0') != k.BenefitLevel {
				t.Errorf("card %s: object %s level %d", k.CardNo, k.ObjectCode, k.BenefitLevel)
			}
			if m[3] != m[4][:2] {
				t.Errorf("card %s: province %s but social-insurance number %s", k.CardNo, m[3], m[4])
			}
		} else if !reNewCard.MatchString(k.CardNo) {
			t.Errorf("card_no %q is neither 15-character nor 10-digit", k.CardNo)
		}
		if lvl, ok := objectLevel[k.ObjectCode]; !ok || lvl != k.BenefitLevel {
			t.Errorf("card %s: object %q with level %d", k.CardNo, k.ObjectCode, k.BenefitLevel)
		}
		if _, ok := facs[k.RegisteredFacility]; !ok {
			t.Errorf("card %s: registered facility %q is not a generated facility", k.CardNo, k.RegisteredFacility)
		}
		if !k.ValidFrom.Full() || !k.ValidTo.IsZero() && (!k.ValidTo.Full() || k.ValidTo.Before(k.ValidFrom)) {
			t.Errorf("card %s: valid %s – %s", k.CardNo, k.ValidFrom, k.ValidTo)
		}
		age := c.DOB.AgeOn(testNow)
		if (k.ObjectCode == "TE") != (age < 6) && k.ReplacedBy == "" {
			t.Errorf("card %s: object %s for age %d", k.CardNo, k.ObjectCode, age)
		}
		if k.ReplacedBy != "" {
			n := cardNos[k.ReplacedBy]
			if n == nil || n.CitizenID != k.CitizenID || n.ReplacedBy != "" {
				t.Errorf("card %s: replaced_by %q is not another card of the same citizen", k.CardNo, k.ReplacedBy)
			}
		}
		if k.Status == verifier.CardReduced {
			switch k.ReducedReason {
			case "moved_out", "moved_within", "reenrolled", "stopped", "":
				reasons[k.ReducedReason]++
			default:
				t.Errorf("card %s: reduced_reason %q", k.CardNo, k.ReducedReason)
			}
		} else if k.ReducedReason != "" {
			t.Errorf("card %s: reduced_reason %q on a card that is not reduced", k.CardNo, k.ReducedReason)
		}
		if k.SocialInsuranceNo != verifier.DefaultSocialInsuranceNo(k.CardNo) || len(k.InsurerOffice) != 4 {
			t.Errorf("card %s: social_insurance_no %q, insurer_office %q", k.CardNo, k.SocialInsuranceNo, k.InsurerOffice)
		}
		switch k.AreaCode {
		case "", "K1", "K2", "K3":
			areas[k.AreaCode]++
		default:
			t.Errorf("card %s: area_code %q", k.CardNo, k.AreaCode)
		}
		if !norm.NFC.IsNormalString(k.FullName) {
			t.Errorf("card name not NFC: %q", k.FullName)
		}
	}
}

func TestCardStates(t *testing.T) {
	set := Generate(Options{N: 10000, Seed: 3, Now: testNow})
	st := set.Stats()
	share := func(s State) float64 { return float64(st.States[s]) / float64(st.Citizens) }
	want := map[State][2]float64{ // plausible range of each state's share
		StateValid:           {0.65, 0.80},
		StateExpired:         {0.03, 0.09},
		StateRevoked:         {0.005, 0.05},
		StateReduced:         {0.02, 0.06},
		StateReplacedExpired: {0.02, 0.06},
		StateReplacedValid:   {0.015, 0.05},
		StateNoCard:          {0.05, 0.11},
		StateChildNoCard:     {0.003, 0.03},
	}
	for _, s := range States() {
		r, ok := want[s]
		if !ok {
			t.Errorf("state %s has no expected share", s)
			continue
		}
		if got := share(s); got < r[0] || got > r[1] {
			t.Errorf("%s (%s): share %.3f outside [%.3f, %.3f]", s, s.Code(), got, r[0], r[1])
		}
	}
	for name, n := range map[string]int{"name": st.NameMismatch, "dob": st.DOBMismatch, "deceased": st.Deceased, "partial dob": st.PartialDOB, "armed forces": st.ArmedForces, "household": st.Households, "old id": st.OldID} {
		if n == 0 || n > st.Citizens*9/10 {
			t.Errorf("%s: %d of %d", name, n, st.Citizens)
		}
	}
	if float64(st.NameMismatch+st.DOBMismatch) > 0.05*float64(st.Citizens) {
		t.Errorf("too many printed-card mismatches: %d name, %d dob", st.NameMismatch, st.DOBMismatch)
	}
	// Benefit levels: mostly 4 and 3, some 1 and 2, level 5 rare.
	levels := map[int]int{}
	var old, short int
	for _, k := range set.Cards {
		levels[k.BenefitLevel]++
		if len(k.CardNo) == 15 {
			old++
		} else {
			short++
		}
	}
	if levels[4] < levels[3] || levels[3] < levels[5] || levels[1] == 0 || levels[2] == 0 || levels[5] == 0 || levels[5]*50 > len(set.Cards) {
		t.Errorf("benefit levels %v", levels)
	}
	if old == 0 || short == 0 {
		t.Errorf("card number forms: %d old, %d new", old, short)
	}
	// Children under six: TE level-1 cards, some without a card.
	var te, teCards int
	for i := range set.Cards {
		if set.Cards[i].ObjectCode == "TE" {
			te++
			if set.Cards[i].BenefitLevel == 1 {
				teCards++
			}
		}
	}
	if te == 0 || te != teCards {
		t.Errorf("TE cards %d, of which level 1: %d", te, teCards)
	}
	ex := set.Examples()
	for _, s := range States() {
		i, ok := ex[s]
		if !ok {
			t.Errorf("no example for %s", s)
			continue
		}
		if got := Classify(&set.Citizens[i], cardsOf(&set, set.Citizens[i].ID), set.Now); got != s {
			t.Errorf("example for %s classifies as %s", s, got)
		}
	}
}

func cardsOf(set *Set, id verifier.CitizenID) []verifier.Card {
	var out []verifier.Card
	for _, k := range set.Cards {
		if k.CitizenID == id {
			out = append(out, k)
		}
	}
	return out
}

func readLines(t *testing.T, path string) []map[string]json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]json.RawMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s:%d: %v", filepath.Base(path), n, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestJSONLinesContract(t *testing.T) {
	dir := t.TempDir()
	opt := Options{N: 3000, Seed: 11, Now: testNow}
	if err := WriteDir(dir, opt); err != nil {
		t.Fatal(err)
	}
	set := Generate(opt)

	pop := readLines(t, filepath.Join(dir, PopulationFile))
	if len(pop) != len(set.Citizens) {
		t.Fatalf("%d population lines, want %d", len(pop), len(set.Citizens))
	}
	for i, m := range pop {
		for _, k := range []string{"id", "old_id", "full_name", "dob", "gender", "permanent_address", "ethnicity", "religion", "nationality"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("population line %d has no %q: %v", i+1, k, m)
			}
		}
		line, _ := json.Marshal(m)
		var c verifier.Citizen
		if err := recordjson.Unmarshal(line, &c); err != nil {
			t.Fatalf("population line %d: %v", i+1, err)
		}
		want := set.Citizens[i]
		var wantExtra map[string]json.RawMessage
		if err := json.Unmarshal(want.Extra, &wantExtra); err != nil {
			t.Fatal(err)
		}
		for k, v := range wantExtra {
			if !bytes.Equal(m[k], v) {
				t.Errorf("line %d: extra %s = %s, want %s", i+1, k, m[k], v)
			}
		}
		if !bytes.Equal(c.Extra, want.Extra) {
			t.Errorf("line %d: extra decodes to %s, want %s", i+1, c.Extra, want.Extra)
		}
		want.Extra, c.Extra = nil, nil
		if !reflect.DeepEqual(c, want) {
			t.Errorf("line %d decodes to %+v, want %+v", i+1, c, want)
		}
	}

	ins := readLines(t, filepath.Join(dir, InsuranceFile))
	if len(ins) != len(set.Cards) {
		t.Fatalf("%d insurance lines, want %d", len(ins), len(set.Cards))
	}
	for i, m := range ins {
		for _, k := range []string{"card_no", "citizen_id", "full_name", "dob", "gender", "benefit_level", "object_code", "registered_facility", "valid_from", "valid_to", "status"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("insurance line %d has no %q", i+1, k)
			}
		}
		var lvl int
		if err := json.Unmarshal(m["benefit_level"], &lvl); err != nil || lvl < 1 || lvl > 5 {
			t.Errorf("insurance line %d: benefit_level %s", i+1, m["benefit_level"])
		}
		line, _ := json.Marshal(m)
		var k verifier.Card
		if err := recordjson.Unmarshal(line, &k); err != nil {
			t.Fatalf("insurance line %d: %v", i+1, err)
		}
		want := set.Cards[i]
		if want.Status == "" {
			want.Status = verifier.CardActive
		}
		if k.CardNo != want.CardNo || k.CitizenID != want.CitizenID || k.FullName != want.FullName || k.DOB != want.DOB ||
			k.Gender != want.Gender || k.BenefitLevel != want.BenefitLevel || k.ObjectCode != want.ObjectCode ||
			k.RegisteredFacility != want.RegisteredFacility || k.ValidFrom != want.ValidFrom || k.ValidTo != want.ValidTo ||
			k.FiveYearsSince != want.FiveYearsSince || k.Status != want.Status || k.ReducedReason != want.ReducedReason || k.ReplacedBy != want.ReplacedBy {
			t.Errorf("insurance line %d decodes to %+v, want %+v", i+1, k, want)
		}
	}
	seen := map[string]bool{}
	for _, m := range ins {
		for k := range m {
			seen[k] = true
		}
	}
	for _, k := range []string{"five_years_since", "replaced_by", "reduced_reason"} {
		if !seen[k] {
			t.Errorf("no insurance line has %q", k)
		}
	}

	fac := readLines(t, filepath.Join(dir, FacilitiesFile))
	if len(fac) != DefaultFacilities {
		t.Errorf("%d facilities, want %d", len(fac), DefaultFacilities)
	}
	for i, m := range fac {
		if len(m) != 5 || m["code"] == nil || m["name"] == nil || m["province"] == nil || m["level"] == nil || m["departments"] == nil {
			t.Errorf("facility line %d: %v", i+1, m)
		}
	}
}

func TestFacilities(t *testing.T) {
	facs := GenerateFacilities(300, 5)
	if len(facs) != 300 {
		t.Fatalf("got %d facilities, want 300", len(facs))
	}
	byCode := map[string]verifier.Facility{}
	levels := map[string]int{}
	for _, f := range facs {
		if !reFacCode.MatchString(f.Code) || f.Code[:2] != f.Province {
			t.Errorf("facility %+v: code must be the 2-digit province + 3 digits", f)
		}
		if _, ok := verifier.ProvinceName("0" + f.Province); !ok {
			t.Errorf("facility %s: unknown province %s", f.Code, f.Province)
		}
		if _, dup := byCode[f.Code]; dup {
			t.Errorf("duplicate facility code %s", f.Code)
		}
		if !norm.NFC.IsNormalString(f.Name) || f.Name == "" {
			t.Errorf("facility name %q", f.Name)
		}
		byCode[f.Code] = f
		levels[f.Level]++
	}
	for _, l := range []string{verifier.LevelCentral, verifier.LevelProvincial, verifier.LevelDistrict, verifier.LevelCommune} {
		if levels[l] == 0 {
			t.Errorf("no %s facility", l)
		}
	}
	if len(levels) != 4 {
		t.Errorf("levels %v", levels)
	}
	for _, want := range []verifier.Facility{
		{Code: "08001", Name: "Bệnh viện Đa khoa tỉnh Tuyên Quang", Province: "08", Level: verifier.LevelProvincial},
		{Code: "08002", Province: "08", Level: verifier.LevelDistrict},
		{Code: "08101", Province: "08", Level: verifier.LevelCommune},
		{Code: "01001", Province: "01", Level: verifier.LevelCentral},
	} {
		got, ok := byCode[want.Code]
		if !ok || got.Province != want.Province || got.Level != want.Level || want.Name != "" && got.Name != want.Name {
			t.Errorf("facility %s = %+v, want %+v", want.Code, got, want)
		}
	}
	// Every province has a facility with the default count.
	prov := map[string]bool{}
	for _, f := range GenerateFacilities(DefaultFacilities, 1) {
		prov[f.Province] = true
	}
	if len(prov) != len(verifier.ProvinceCodes()) {
		t.Errorf("default facilities cover %d provinces, want %d", len(prov), len(verifier.ProvinceCodes()))
	}
	if small := GenerateFacilities(2, 1); len(small) != 4 {
		t.Errorf("GenerateFacilities(2) returned %d, want the 4 fixed ones", len(small))
	}
	a, b := GenerateFacilities(200, 9), GenerateFacilities(200, 9)
	for i := range a {
		if a[i].Code != b[i].Code || a[i].Name != b[i].Name {
			t.Fatal("facilities not deterministic")
		}
	}
}

func TestStreamStopsOnError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Stream(Options{N: 1000, Seed: 1, Now: testNow}, func(c *verifier.Citizen, cards []verifier.Card) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 {
		t.Errorf("Stream returned %v after %d citizens", err, n)
	}
}

func TestDayNum(t *testing.T) {
	start := time.Date(1890, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := 0; d < 200*366; d += 7 {
		tm := start.AddDate(0, 0, d)
		want := int(tm.Unix() / 86400)
		date := verifier.NewDate(tm)
		if got := dayNum(date); got != want {
			t.Fatalf("dayNum(%s) = %d, want %d", date, got, want)
		}
		if got := fromDayNum(want); got != date {
			t.Fatalf("fromDayNum(%d) = %s, want %s", want, got, date)
		}
	}
}

func TestNameVariant(t *testing.T) {
	set := Generate(Options{N: 500, Seed: 2, Now: testNow})
	for i, c := range set.Citizens {
		r := testRand(uint64(i))
		v := nameVariant(r, c.FullName)
		if v == c.FullName || !norm.NFC.IsNormalString(v) || len(strings.Fields(v)) != len(strings.Fields(c.FullName)) {
			t.Errorf("nameVariant(%q) = %q", c.FullName, v)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	opt := Options{N: b.N, Seed: 1, Now: testNow}
	b.ReportAllocs()
	b.ResetTimer()
	if err := Stream(opt, func(*verifier.Citizen, []verifier.Card) error { return nil }); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkWriteJSON(b *testing.B) {
	opt := Options{N: b.N, Seed: 1, Now: testNow}
	w := bufio.NewWriterSize(io.Discard, 1<<20)
	var line []byte
	b.ReportAllocs()
	b.ResetTimer()
	err := Stream(opt, func(c *verifier.Citizen, cards []verifier.Card) error {
		line, _ = AppendCitizenJSON(line[:0], c)
		w.Write(line)
		for i := range cards {
			line, _ = AppendCardJSON(line[:0], &cards[i])
			w.Write(line)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func testRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }
