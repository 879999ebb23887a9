package verifier

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The hand-written check-in answer must be byte for byte what encoding/json
// writes. The results compared here are filled by reflection, every field
// of every struct (json:"-" ones too), so a field added to one of these
// structs is filled with a value that encoding/json writes and AppendJSON
// does not: the comparison fails until the encoder learns the field.

// source is where the generator's choices come from: a seeded PRNG, or the
// bytes of a fuzz input.
type source interface {
	uint64() uint64
	// bytes returns up to n arbitrary bytes.
	bytes(n int) []byte
}

type prng struct{ r *rand.Rand }

func (p prng) uint64() uint64 { return p.r.Uint64() }
func (p prng) bytes(n int) []byte {
	b := make([]byte, p.r.IntN(n+1))
	for i := range b {
		b[i] = byte(p.r.Uint32())
	}
	return b
}

// fuzzBytes consumes a fuzz input; once it is exhausted every choice is 0.
type fuzzBytes struct{ data []byte }

func (f *fuzzBytes) uint64() uint64 {
	var buf [8]byte
	n := copy(buf[:], f.data)
	f.data = f.data[n:]
	return binary.LittleEndian.Uint64(buf[:])
}
func (f *fuzzBytes) bytes(n int) []byte {
	n = min(int(f.uint64()%uint64(n+1)), len(f.data))
	b := f.data[:n:n]
	f.data = f.data[n:]
	return b
}

// interesting strings: everything encoding/json escapes or replaces, and
// the text the service really writes.
var interesting = []string{
	"", "a", "Nguyễn Văn An", "Thôn 3, Xã Thái Bình", `quote " backslash \ slash /`,
	"<script>alert(1)&</script>", "\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f", "line\u2028para\u2029end",
	"bad \xff\xfe utf8 \xc3", "\xe2\x80", "\xed\xa0\x80 surrogate", "emoji 😀 \U0010ffff", "a\u00a0b\ufeff",
	"Thẻ đã báo giảm: chuyển ngoại tỉnh", "card reduced: moved out of province", "000", "08001",
	"2026-11-28", "outpatient", "male", "female", "self_referred", "insurance_registry_unavailable",
	"008095001234", strings.Repeat("Ư<", 300),
}

type gen struct{ src source }

func (g gen) intn(n int) int { return int(g.src.uint64() % uint64(n)) }

func (g gen) string() string {
	switch g.intn(4) {
	case 0, 1:
		return interesting[g.intn(len(interesting))]
	case 2:
		return string(g.src.bytes(40)) // arbitrary bytes, often invalid UTF-8
	}
	// A mix of pieces of the interesting strings and random runes.
	var sb strings.Builder
	for range g.intn(6) {
		if g.intn(2) == 0 {
			sb.WriteString(interesting[g.intn(len(interesting))])
		} else {
			sb.WriteRune(rune(g.intn(0x110000)))
		}
	}
	return sb.String()
}

func (g gen) int() int64 {
	switch g.intn(5) {
	case 0:
		return 0
	case 1:
		return int64(g.intn(200)) - 100
	case 2:
		return int64(g.intn(10000))
	case 3:
		return int64(g.src.uint64()) // anything, negative and huge too
	}
	return int64(g.intn(100))
}

var zones = []*time.Location{
	time.UTC, nil, time.FixedZone("ICT", 7*3600), time.FixedZone("", -(9*3600 + 30*60)),
	time.FixedZone("odd", 5*3600+45*60+17), time.FixedZone("", 59), time.FixedZone("", -1),
	time.FixedZone("", 23*3600+59*60), time.FixedZone("", -(23*3600 + 59*60 + 59)),
}

// badZones are offsets RFC 3339 cannot write: MarshalJSON refuses them.
var badZones = []*time.Location{
	time.FixedZone("far", 24*3600), time.FixedZone("", -24*3600), time.FixedZone("", 100*3600),
}

func init() {
	if hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		zones[1] = hcm
	} else {
		zones[1] = time.FixedZone("+07", 7*3600)
	}
}

func (g gen) time() time.Time {
	if g.intn(8) == 0 {
		return time.Time{}
	}
	var t time.Time
	switch g.intn(16) {
	case 0: // any instant at all, most of them years past 9999
		t = time.Unix(int64(g.src.uint64()>>1)-1<<62, int64(g.intn(1e9)))
	case 1: // around the edges of the years JSON can carry
		years := []int{-1, 0, 1, 9999, 10000}
		t = time.Date(years[g.intn(len(years))], time.Month(g.intn(12)+1), g.intn(31)+1, g.intn(24), g.intn(60), g.intn(60), g.intn(1e9), time.UTC)
	default:
		t = time.Unix(1700000000+int64(g.intn(400_000_000)), 0)
		switch g.intn(4) {
		case 0:
			t = t.Add(time.Duration(g.intn(1e9)))
		case 1:
			t = t.Add(time.Duration(g.intn(1000)) * time.Millisecond)
		case 2:
			t = t.Add(time.Duration(g.intn(1000)) * time.Microsecond)
		}
	}
	if g.intn(32) == 0 {
		return t.In(badZones[g.intn(len(badZones))])
	}
	return t.In(zones[g.intn(len(zones))])
}

func (g gen) date() Date {
	switch g.intn(6) {
	case 0:
		return Date{}
	case 1: // anything: negative, huge, partial with a day but no month
		return Date{int(g.int()), int(g.int()), int(g.int())}
	case 2:
		return Date{0, g.intn(13), g.intn(32)}
	}
	d := Date{Year: 1 + g.intn(9999)}
	if g.intn(4) > 0 {
		d.Month = 1 + g.intn(12)
		if g.intn(4) > 0 {
			d.Day = 1 + g.intn(31)
		}
	}
	return d
}

var (
	timeType = reflect.TypeFor[time.Time]()
	dateType = reflect.TypeFor[Date]()
)

// fill sets v, of any type the answer holds, to a generated value. A kind it
// does not know fails the test: the generator must then learn it, not skip.
func (g gen) fill(tb testing.TB, v reflect.Value, depth int) {
	switch v.Type() {
	case timeType:
		v.Set(reflect.ValueOf(g.time()))
		return
	case dateType:
		v.Set(reflect.ValueOf(g.date()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(g.string())
	case reflect.Bool:
		v.SetBool(g.intn(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		v.SetInt(g.int())
	case reflect.Pointer:
		if depth > 4 || g.intn(3) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		g.fill(tb, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch g.intn(5) {
		case 0:
			v.SetZero() // nil: null, or left out under omitzero
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, g.intn(3))) // empty: []
		default:
			n := g.intn(4)
			if g.intn(8) == 0 {
				n = 20 + g.intn(40) // many duplicate "others"
			}
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				g.fill(tb, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				tb.Fatalf("%s.%s is unexported: teach the generator how to fill it", v.Type(), v.Type().Field(i).Name)
			}
			// Zero fields often, so that omitempty and omitzero are
			// exercised both ways.
			if g.intn(5) == 0 {
				v.Field(i).SetZero()
				continue
			}
			g.fill(tb, v.Field(i), depth+1)
		}
	default:
		tb.Fatalf("the generator cannot fill a %s (%s): teach it, and AppendJSON", v.Type(), v.Kind())
	}
}

func (g gen) result(tb testing.TB) *CheckinResult {
	var r CheckinResult
	g.fill(tb, reflect.ValueOf(&r).Elem(), 0)
	return &r
}

// sameAsMarshal fails tb unless AppendJSON writes what json.Marshal writes,
// and returns nil exactly when json.Marshal fails.
func sameAsMarshal(tb testing.TB, r *CheckinResult) {
	tb.Helper()
	want, err := json.Marshal(r)
	prefix := []byte("prefix")
	got := r.AppendJSON(prefix[:len(prefix):len(prefix)])
	if err != nil {
		if got != nil {
			tb.Fatalf("json.Marshal fails (%v), AppendJSON wrote %s", err, excerpt(got, len(got)))
		}
		return
	}
	if !bytes.HasPrefix(got, prefix) {
		tb.Fatalf("AppendJSON lost what dst held: %q", got)
	}
	if got = got[len(prefix):]; !bytes.Equal(got, want) {
		at := firstDiff(got, want)
		tb.Fatalf("AppendJSON differs from json.Marshal at byte %d\n got: %s\nwant: %s", at, excerpt(got, at), excerpt(want, at))
	}
	// The value as a value (c.JSON is given one) encodes the same.
	if byValue, _ := json.Marshal(*r); !bytes.Equal(byValue, want) {
		tb.Fatalf("json.Marshal of the value differs from the pointer's: %s", byValue)
	}
}

// excerpt is b around byte at, for a failure message that fits a screen.
func excerpt(b []byte, at int) string {
	from, to := max(at-120, 0), min(at+60, len(b))
	return fmt.Sprintf("…%q…", b[from:to])
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	g := gen{prng{rand.New(rand.NewPCG(1, 2))}}
	fallbacks, failures := 0, 0
	for range n {
		r := g.result(t)
		if _, ok := r.appendJSON(nil); !ok {
			fallbacks++
			if _, err := json.Marshal(r); err != nil {
				failures++
			}
		}
		sameAsMarshal(t, r)
	}
	// The generator must reach the fast path mostly, and also the cases
	// that need encoding/json, or it proves little.
	if fallbacks == 0 || failures == 0 || fallbacks > n/2 {
		t.Errorf("%d of %d results fell back to encoding/json (%d of them errors): the generator is off", fallbacks, n, failures)
	}
}

// A result as Checkin builds it, and the corner cases by hand.
func TestAppendJSONCases(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	at := time.Date(2026, 11, 28, 7, 30, 0, 123000000, hcm)
	typical := CheckinResult{
		CheckinID: "01JDXYZ", Citizen: CitizenView{ID: "008095001234", FullName: "Nguyễn Văn An", DOB: Date{1995, 3, 14}, Gender: Male, Address: "Thôn 3"},
		Identity:    IdentityCheck{Verified: true, Source: SourceCCCDQR, Mismatches: []string{}, Warnings: []string{}},
		Eligibility: result(Eligible, CodeOK),
		Visit:       VisitView{Facility: "08001", FacilityName: "Bệnh viện A", VisitType: Outpatient, At: at, Day: "2026-11-28", Kiosk: "k1", Ticket: 17},
		Duplicate:   DuplicateFlag{Others: []OtherVisit{}},
		Dedupe:      DedupeOK,
	}
	ticket := typical
	ticket.Visit.VisitType, ticket.Visit.Department, ticket.Visit.DepartmentName = Referral, "K01", "Phòng khám Nội"
	ticket.Visit.Priority, ticket.Visit.ReferralNo = []string{"elderly", "pregnant"}, "GCT 12/2026"
	acked := ticket
	acked.Visit.Acknowledgement = &Acknowledgement{Reason: AckReferral, Note: "có giấy chuyển tuyến", By: "desk-1", At: at}
	typical.Eligibility.CardNo, typical.Eligibility.BenefitLevel, typical.Eligibility.CoveragePercent = "DN4080000000001", 4, 80
	typical.Eligibility.Route, typical.Eligibility.ValidFrom, typical.Eligibility.ValidTo = RouteCorrect, Date{2020, 1, 1}, Date{2026, 12, 31}
	typical.Eligibility.Holder, typical.Eligibility.CitizenID = &Stated{FullName: "x"}, "008095001234"

	flagged := typical
	flagged.Duplicate = DuplicateFlag{Flagged: true, Others: []OtherVisit{{Facility: "08002", VisitType: Emergency, At: at.UTC()}, {Facility: "08003", FacilityName: "<b>&", At: at}}}
	flagged.Eligibility.NewCard = &CardTerms{CardNo: "DN4080000000002", ValidTo: Date{2030, 1, 0}}
	flagged.Eligibility.History = []CheckRecord{{Facility: "08002", At: at, VisitType: Inpatient, Code: "000"}, {}}
	flagged.Eligibility.FiveYearsSince = Date{Year: 2019}
	flagged.Identity.Cached, flagged.Eligibility.Cached = true, true

	emptyHistory := typical
	emptyHistory.Eligibility.History = []CheckRecord{}
	partialDates := typical
	partialDates.Eligibility.ValidFrom = Date{0, 5, 1} // IsZero: left out
	partialDates.Citizen.DOB = Date{-5, 1, 1}
	partialDates.Eligibility.ValidTo = Date{12345, 123, -4}
	negTicket := typical
	negTicket.Visit.Ticket, negTicket.Eligibility.BenefitLevel = -1, -7

	for name, r := range map[string]CheckinResult{
		"zero": {}, "typical": typical, "ticket": ticket, "acknowledged": acked, "flagged": flagged, "empty history": emptyHistory,
		"partial dates": partialDates, "negative numbers": negTicket,
	} {
		t.Run(name, func(t *testing.T) {
			if _, ok := r.appendJSON(nil); !ok {
				t.Error("fell back to encoding/json")
			}
			sameAsMarshal(t, &r)
		})
	}

	// Times MarshalJSON refuses: AppendJSON says so with nil.
	for _, bad := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		at.In(time.FixedZone("", 24*3600)),
		at.In(time.FixedZone("", -25*3600)),
	} {
		r := typical
		r.Visit.At = bad
		if _, err := json.Marshal(r); err == nil {
			t.Fatalf("json.Marshal accepts %v: the case tests nothing", bad)
		}
		if b := r.AppendJSON(make([]byte, 0, 10)); b != nil {
			t.Errorf("time %v: AppendJSON wrote %s, json.Marshal fails", bad, excerpt(b, len(b)))
		}
	}
}

// answerFields lists, for each struct of the answer, the fields AppendJSON
// writes, as "GoName tag". If this test fails, a field was added, removed,
// renamed or retagged: change AppendJSON (answer_json.go) to write it as
// encoding/json would, then this list.
var answerFields = map[reflect.Type][]string{
	reflect.TypeFor[CheckinResult](): {
		`CheckinID json:"checkin_id"`, `Repeat json:"repeat"`, `Citizen json:"citizen"`, `Identity json:"identity"`,
		`Eligibility json:"eligibility"`, `Visit json:"visit"`, `Duplicate json:"duplicate"`, `Dedupe json:"dedupe"`,
	},
	reflect.TypeFor[CitizenView](): {
		`ID json:"id"`, `FullName json:"full_name"`, `DOB json:"dob"`, `Gender json:"gender"`, `Address json:"address"`,
	},
	reflect.TypeFor[IdentityCheck](): {
		`Verified json:"verified"`, `Source json:"source"`, `Mismatches json:"mismatches"`, `Warnings json:"warnings"`,
		`Cached json:"cached,omitempty"`,
	},
	reflect.TypeFor[Eligibility](): {
		`Status json:"status"`, `Code json:"code"`, `Message json:"message"`, `MessageEN json:"message_en,omitempty"`,
		`CardNo json:"card_no,omitempty"`, `BenefitLevel json:"benefit_level,omitempty"`, `ObjectCode json:"object_code,omitempty"`,
		`CoveragePercent json:"coverage_percent"`, `Route json:"route,omitempty"`, `FacilityLevel json:"facility_level,omitempty"`, `ValidFrom json:"valid_from,omitzero"`,
		`ValidTo json:"valid_to,omitzero"`, `RegisteredFacility json:"registered_facility,omitempty"`,
		`FiveYearsSince json:"five_years_since,omitzero"`, `ReplacedBy json:"replaced_by,omitempty"`,
		`NewCard json:"new_card,omitempty"`, `SocialInsuranceNo json:"social_insurance_no,omitempty"`,
		`AreaCode json:"area_code,omitempty"`, `InsurerOffice json:"insurer_office,omitempty"`,
		`CurrentCitizenID json:"current_citizen_id,omitempty"`, `Warnings json:"warnings,omitempty"`,
		`Reason json:"reason,omitempty"`, `History json:"history,omitzero"`,
		`Cached json:"cached,omitempty"`, `Holder json:"-"`, `CitizenID json:"-"`,
	},
	reflect.TypeFor[CardTerms](): {
		`CardNo json:"card_no"`, `ValidFrom json:"valid_from,omitzero"`, `ValidTo json:"valid_to,omitzero"`,
		`RegisteredFacility json:"registered_facility,omitempty"`,
	},
	reflect.TypeFor[CheckRecord](): {
		`Facility json:"facility"`, `At json:"at"`, `VisitType json:"visit_type"`, `Code json:"code,omitempty"`,
	},
	reflect.TypeFor[VisitView](): {
		`Facility json:"facility"`, `FacilityName json:"facility_name,omitempty"`, `VisitType json:"visit_type"`,
		`At json:"at"`, `Day json:"day"`, `Kiosk json:"kiosk,omitempty"`, `Ticket json:"ticket,omitempty"`,
		`Department json:"department,omitempty"`, `DepartmentName json:"department_name,omitempty"`, `Priority json:"priority,omitempty"`,
		`ReferralNo json:"referral_no,omitempty"`, `Acknowledgement json:"acknowledgement,omitempty"`,
	},
	reflect.TypeFor[Acknowledgement](): {`Reason json:"reason"`, `Note json:"note"`, `By json:"by"`, `At json:"at"`},
	reflect.TypeFor[DuplicateFlag]():   {`Flagged json:"flagged"`, `Others json:"others"`},
	reflect.TypeFor[OtherVisit](): {
		`Facility json:"facility"`, `FacilityName json:"facility_name,omitempty"`, `VisitType json:"visit_type"`, `At json:"at"`,
	},
}

// leafTypes are the answer's named non-struct types and Date, whose JSON
// AppendJSON hard-codes: a string kind without marshalers, or the marshaler
// it reproduces. A new method here (MarshalJSON, MarshalText, IsZero)
// changes encoding/json's output and must be looked at.
var leafTypes = map[reflect.Type][]string{
	reflect.TypeFor[CitizenID](): {"MarshalText"},
	reflect.TypeFor[Gender]():    nil,
	reflect.TypeFor[VisitType](): nil,
	reflect.TypeFor[Route]():     nil,
	reflect.TypeFor[Date]():      {"MarshalText", "IsZero"},
}

var jsonMethods = []string{"MarshalJSON", "MarshalText", "IsZero", "AppendText", "MarshalJSONTo"}

func TestAppendJSONKnowsEveryField(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(tp reflect.Type) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice {
			tp = tp.Elem()
		}
		if seen[tp] || tp == timeType || tp.PkgPath() == "" {
			return
		}
		seen[tp] = true
		if want, ok := leafTypes[tp]; ok {
			var got []string
			for _, m := range jsonMethods {
				_, byValue := tp.MethodByName(m)
				_, byPointer := reflect.PointerTo(tp).MethodByName(m)
				if byValue || byPointer {
					got = append(got, m)
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s has JSON methods %v, AppendJSON was written for %v: update answer_json.go", tp, got, want)
			}
			if tp.Kind() != reflect.Struct {
				return
			}
		}
		if tp.Kind() != reflect.Struct {
			t.Errorf("%s (%s) is new in the answer: teach AppendJSON and this test", tp, tp.Kind())
			return
		}
		if tp != dateType {
			for _, m := range jsonMethods {
				if _, ok := reflect.PointerTo(tp).MethodByName(m); ok {
					t.Errorf("%s has a %s method: encoding/json now uses it, AppendJSON does not", tp, m)
				}
			}
			want, ok := answerFields[tp]
			if !ok {
				t.Errorf("%s is new in the answer: teach AppendJSON and answerFields", tp)
				return
			}
			var got []string
			for i := range tp.NumField() {
				f := tp.Field(i)
				got = append(got, f.Name+" "+string(f.Tag))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("the fields of %s changed: update AppendJSON (answer_json.go), then answerFields\n got: %q\nwant: %q", tp, got, want)
			}
		}
		for i := range tp.NumField() {
			if tp.Field(i).Tag.Get("json") != "-" {
				walk(tp.Field(i).Type)
			}
		}
	}
	walk(reflect.TypeFor[CheckinResult]())
	for tp := range answerFields {
		if !seen[tp] {
			t.Errorf("%s is listed but no longer in the answer", tp)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	seeds := gen{prng{rand.New(rand.NewPCG(3, 4))}}
	for range 32 {
		f.Add(seeds.src.bytes(512))
	}
	f.Add([]byte{})
	f.Add([]byte(strings.Repeat("\x01\xff<\u2028\"", 100)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := gen{&fuzzBytes{data}}.result(t)
		sameAsMarshal(t, r)
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	r := benchResult()
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			out, err := json.Marshal(r)
			if err != nil {
				b.Fatal(err)
			}
			n = len(out)
		}
		b.SetBytes(int64(n))
	})
}

// benchResult is a typical answer: eligible, one visit elsewhere today.
func benchResult() *CheckinResult {
	hcm := time.FixedZone("ICT", 7*3600)
	at := time.Date(2026, 11, 28, 7, 30, 5, 123456789, hcm)
	e := result(Eligible, CodeOK)
	e.CardNo, e.BenefitLevel, e.CoveragePercent, e.Route = "DN4080000000001", 4, 80, RouteCorrect
	e.ValidFrom, e.RegisteredFacility = Date{2020, 1, 1}, "08002"
	return &CheckinResult{
		CheckinID: "01JDXYZ4Q5R6S7T8V9W0XYZABC", Citizen: CitizenView{ID: "008095001234", FullName: "Nguyễn Văn An", DOB: Date{1995, 3, 14}, Gender: Male, Address: "Thôn 3, Xã Thái Bình"},
		Identity:    IdentityCheck{Verified: true, Source: SourceCCCDQR, Mismatches: []string{}, Warnings: []string{}},
		Eligibility: e,
		Visit:       VisitView{Facility: "08001", FacilityName: "Bệnh viện Đa khoa tỉnh", VisitType: Outpatient, At: at, Day: "2026-11-28", Kiosk: "k1", Ticket: 17},
		Duplicate:   DuplicateFlag{Flagged: true, Others: []OtherVisit{{Facility: "08002", FacilityName: "Trung tâm Y tế huyện", VisitType: Outpatient, At: at.Add(-time.Hour)}}},
		Dedupe:      DedupeOK,
	}
}
