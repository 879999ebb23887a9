// Package demodata generates a deterministic, realistic stand-in for the
// national population database and the insurer's card registry: Vietnamese
// citizens with consistent 12-digit IDs, households and addresses, their
// health-insurance cards in every state the insurer's gateway reports
// (valid, expired, revoked, reduced, replaced, missing), and health
// facilities. The same Options always give the same data, byte for byte.
//
// Generate builds a Set in memory (demo server, tests); Stream and WriteDir
// produce the same data without holding it (kioskctl gen, millions of rows).
package demodata

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Options say what to generate.
type Options struct {
	N    int   // number of citizens
	Seed int64 // same seed (and other options) → same data
	// Now is the "today" that ages and card validity are relative to; zero
	// means today in Vietnam (which makes the output depend on the day).
	Now verifier.Date
	// Facilities is the number of facilities (0: DefaultFacilities). The
	// fixed demo facilities 08001, 08002, 08101 and 01001 are always there.
	Facilities int
}

// WithDefaults returns o with zero fields replaced by their defaults.
func (o Options) WithDefaults() Options {
	if o.Facilities <= 0 {
		o.Facilities = DefaultFacilities
	}
	if !o.Now.Full() {
		o.Now = Today()
	}
	if o.N < 0 {
		o.N = 0
	}
	return o
}

// Set is a generated data set held in memory.
type Set struct {
	Citizens   []verifier.Citizen
	Cards      []verifier.Card // in citizen order; an old card precedes the card that replaced it
	Facilities []verifier.Facility
	Staff      []verifier.StaffMember // GenerateStaff(Facilities, Seed)
	Now        verifier.Date          // the day validity is relative to
}

// Generate builds the whole data set in memory. Use Stream or WriteDir for
// large N.
func Generate(opt Options) Set {
	opt = opt.WithDefaults()
	facs := GenerateFacilities(opt.Facilities, opt.Seed)
	s := Set{
		Citizens:   make([]verifier.Citizen, 0, opt.N),
		Cards:      make([]verifier.Card, 0, opt.N),
		Facilities: facs,
		Staff:      GenerateStaff(facs, opt.Seed),
		Now:        opt.Now,
	}
	_ = stream(opt, facs, func(c *verifier.Citizen, cards []verifier.Card) error {
		s.Citizens = append(s.Citizens, *c)
		s.Cards = append(s.Cards, cards...)
		return nil
	})
	return s
}

// Stream generates the citizens one by one with their cards (none, one, or
// an old card followed by the card that replaced it) and calls emit for
// each; it stops at the first error emit returns and returns it. c and cards
// are reused after emit returns: copy what you keep (copying *c is enough,
// its Extra map is never reused). The facilities are GenerateFacilities(
// opt.Facilities, opt.Seed).
func Stream(opt Options, emit func(c *verifier.Citizen, cards []verifier.Card) error) error {
	opt = opt.WithDefaults()
	return stream(opt, GenerateFacilities(opt.Facilities, opt.Seed), emit)
}

// person is a citizen being built, before IDs are allocated.
type person struct {
	female     bool
	age        int
	family     string
	birthProv  *province
	relation   string
	minority   bool
	ethnicity  string
	religion   string
	partialDOB int // 0 full, 1 year-month, 2 year only
}

type household struct {
	id      string
	prov    *province
	address string
	members []person
}

type gen struct {
	r     *rand.Rand
	seed  uint64
	now   verifier.Date
	nowDN int
	geo   *geography
	facs  facilityIndex

	idCount []uint32 // by province*1000 + G*100 + YY
	// cancelCount: cancelled IDs drawn from the top of each ID space
	// (allocCancelled), which allocID then leaves alone.
	cancelCount []uint32
	cmndCount   [100]uint32
	bhxhCount   [100]uint32
	hhCount     [100]uint32

	c     verifier.Citizen
	cards []verifier.Card
	buf   []byte
}

func stream(opt Options, facs []verifier.Facility, emit func(*verifier.Citizen, []verifier.Card) error) error {
	g := &gen{
		r:           rand.New(rand.NewPCG(uint64(opt.Seed), 0x636363642d64656d)),
		seed:        uint64(opt.Seed),
		now:         opt.Now,
		nowDN:       dayNum(opt.Now),
		geo:         geoOnce(),
		facs:        indexFacilities(facs),
		idCount:     make([]uint32, 100*1000),
		cancelCount: make([]uint32, 100*1000),
		cards:       make([]verifier.Card, 0, 4),
	}
	var hh household
	done := 0
	for done < opt.N {
		g.household(&hh)
		for i := range hh.members {
			if done == opt.N {
				break
			}
			g.citizen(&hh, &hh.members[i])
			if err := emit(&g.c, g.cards); err != nil {
				return err
			}
			done++
		}
	}
	return nil
}

// Age pyramid of Vietnam (per mille per five-year band, 0–4 … 90–95).
var ageBands = []int{75, 82, 78, 68, 66, 72, 80, 80, 75, 68, 60, 55, 47, 37, 25, 15, 9, 6, 3}

var ageCum = func() []int {
	c := make([]int, len(ageBands))
	t := 0
	for i, w := range ageBands {
		t += w
		c[i] = t
	}
	return c
}()

const maxAge = 95

func (g *gen) age(minAge int) int {
	for range 32 {
		x := g.r.IntN(ageCum[len(ageCum)-1])
		b := 0
		for ageCum[b] <= x {
			b++
		}
		width := 5
		if b == len(ageBands)-1 {
			width = maxAge - 5*b + 1
		}
		if a := 5*b + g.r.IntN(width); a >= minAge {
			return a
		}
	}
	return minAge
}

func (g *gen) newPerson(p *person, hh *household, age int, female bool, family string, rel string) {
	*p = person{female: female, age: min(max(age, 0), maxAge), family: family, relation: rel}
	if family == "" {
		p.family = surname(g.r, hh.prov.south)
	}
	p.birthProv = hh.prov
	if rel != "Con" && g.r.IntN(100) < 15 || rel == "Con" && g.r.IntN(100) < 5 {
		p.birthProv = g.geo.pick(g.r)
	}
	p.ethnicity = ethnicTable(p.birthProv.code).pick(g.r)
	p.minority = p.ethnicity != "Kinh"
	p.religion = religions.pick(g.r)
	birthYear := g.now.Year - p.age
	switch {
	case p.age < 6:
	case birthYear < 1960:
		if x := g.r.IntN(100); x < 8 {
			p.partialDOB = 2
		} else if x < 12 {
			p.partialDOB = 1
		}
	case birthYear < 1980:
		if x := g.r.IntN(1000); x < 15 {
			p.partialDOB = 2
		} else if x < 25 {
			p.partialDOB = 1
		}
	default:
		if x := g.r.IntN(1000); x < 2 {
			p.partialDOB = 2
		} else if x < 4 {
			p.partialDOB = 1
		}
	}
}

// household draws the next unit: a person without household data (half of
// the units) or a household of a head with spouse, children and perhaps a
// parent, sharing address, household number and the father's family name.
func (g *gen) household(hh *household) {
	r := g.r
	hh.members = hh.members[:0]
	hh.prov = g.geo.pick(r)
	hh.address = address(r, hh.prov)
	hh.id = ""
	if r.IntN(100) < 50 {
		hh.members = append(hh.members, person{})
		g.newPerson(&hh.members[0], hh, g.age(0), r.IntN(2) == 0, "", "")
		return
	}
	hh.id = g.allocHousehold(hh.prov.code)
	headAge := g.age(22)
	headFemale := r.IntN(100) < 22
	hh.members = append(hh.members, person{})
	g.newPerson(&hh.members[0], hh, headAge, headFemale, "", "Chủ hộ")
	head := hh.members[0]
	fatherFamily, motherAge := head.family, headAge
	if headAge < 85 && r.IntN(100) < 80 {
		var sp person
		if headFemale {
			g.newPerson(&sp, hh, headAge+r.IntN(7), false, "", "Chồng")
			fatherFamily = sp.family
		} else {
			g.newPerson(&sp, hh, headAge-r.IntN(7), true, "", "Vợ")
			motherAge = sp.age
		}
		hh.members = append(hh.members, sp)
	}
	nChildren := []int{0, 1, 1, 2, 2, 2, 2, 3, 3, 4}[r.IntN(10)]
	for range nChildren {
		a := motherAge - 18 - r.IntN(22)
		if a < 0 {
			continue
		}
		var c person
		g.newPerson(&c, hh, a, r.IntN(2) == 0, fatherFamily, "Con")
		hh.members = append(hh.members, c)
	}
	if headAge < 62 && r.IntN(100) < 12 {
		var p person
		female := r.IntN(100) < 65
		fam, rel := "", "Mẹ"
		if !female {
			fam, rel = head.family, "Bố"
		}
		g.newPerson(&p, hh, headAge+20+r.IntN(16), female, fam, rel)
		hh.members = append(hh.members, p)
	}
}

// dob draws a date of birth for someone who is p.age years old on g.now.
func (g *gen) dob(p *person) verifier.Date {
	y0 := g.now.Year - p.age
	doy := g.r.IntN(365)
	if isLeap(y0) {
		doy = g.r.IntN(366)
	}
	d := fromDayNum(dayNum(verifier.Date{Year: y0, Month: 1, Day: 1}) + doy)
	if d.Month > g.now.Month || d.Month == g.now.Month && d.Day > g.now.Day {
		d.Year--
		if d.Month == 2 && d.Day == 29 && !isLeap(d.Year) {
			d.Day = 28
		}
	}
	switch p.partialDOB {
	case 1:
		d.Day = 0
	case 2:
		d.Month, d.Day = 0, 0
	}
	return d
}

// citizen fills g.c and g.cards for person p of household hh.
func (g *gen) citizen(hh *household, p *person) {
	r := g.r
	c := &g.c
	dob := g.dob(p)
	*c = verifier.Citizen{
		ID:               verifier.CitizenID(g.allocID(p.birthProv.code, dob.Year, p.female)),
		FullName:         fullName(r, p.family, p.female, dob.Year),
		DOB:              dob,
		Gender:           verifier.Male,
		PermanentAddress: hh.address,
	}
	if p.female {
		c.Gender = verifier.Female
	}
	if dob.Year < 2000 && p.age >= 14 && r.IntN(100) < 70 {
		c.OldID = g.allocCMND(p.birthProv.code)
	}
	// About 4 in 1000 once held another ID (a corrected birth registration,
	// docs/domain.md §2). Decided by a hash of the ID, not the random stream,
	// so that adding cancelled IDs left every other record as it was.
	if splitmix(g.seed^0x63616e63^idValue(c.ID))%1000 < 4 {
		if old, ok := g.allocCancelled(c.ID); ok {
			c.CancelledIDs = []verifier.CitizenID{old} // a fresh slice: emit's caller may keep it
		}
	}
	if hh.id != "" {
		c.HouseholdID = hh.id
		c.RelationshipToHead = p.relation
	}
	// Deaths: rare, more likely with age; recorded within the last 5 years.
	perMille := 2
	switch {
	case p.age >= 80:
		perMille = 50
	case p.age >= 60:
		perMille = 15
	}
	if r.IntN(1000) < perMille {
		first := max(dayNum(dob)+1, g.nowDN-5*365)
		if first < g.nowDN {
			c.DeceasedOn = fromDayNum(first + r.IntN(g.nowDN-first))
		}
	}
	// Extra members in name order, pre-encoded: one allocation a citizen.
	extra := make([]byte, 0, 112)
	extra = append(extra, `{"ethnicity":`...)
	extra = append(extra, rawString(p.ethnicity)...)
	extra = append(extra, `,"nationality":"Việt Nam"`...)
	if p.age >= 16 && r.IntN(100) < 85 {
		extra = append(extra, `,"phone":"`...)
		extra = append(extra, phonePrefixes[r.IntN(len(phonePrefixes))]...)
		extra = appendPadded(extra, r.Uint64N(10_000_000), 7)
		extra = append(extra, '"')
	}
	extra = append(extra, `,"religion":`...)
	extra = append(extra, rawString(p.religion)...)
	extra = append(extra, '}')
	c.Extra = extra
	g.makeCards(hh, p)
}

var rawCache = map[string]json.RawMessage{}

func init() {
	for _, w := range []*weighted{&ethnicMountainNorth, &ethnicHighlands, &ethnicKhmerSouth, &ethnicDefault, &religions} {
		for _, s := range w.items {
			rawCache[s] = appendJSONString(nil, s)
		}
	}
	rawCache["Việt Nam"] = appendJSONString(nil, "Việt Nam")
}

// rawString returns s as a JSON string; the returned slice is shared and
// must not be modified.
func rawString(s string) json.RawMessage {
	if b, ok := rawCache[s]; ok {
		return b
	}
	return appendJSONString(nil, s)
}

// ID allocation. Every number space is a counter per prefix mapped through
// an affine bijection modulo 10^k (a coprime multiplier and an offset,
// derived from the seed and the prefix): numbers look random, are unique by
// construction and need no set of used values.

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (g *gen) scramble(space uint64, prefix int, counter uint32, mod uint64) uint64 {
	h := splitmix(g.seed ^ space<<48 ^ uint64(prefix))
	a := h%mod | 1
	for a%5 == 0 {
		a = (a + 2) % mod
	}
	b := (h >> 32) % mod
	return (a*uint64(counter) + b) % mod
}

var errExhausted = errors.New("demodata: number space exhausted")

func (g *gen) allocID(prov, year int, female bool) string {
	gd := 2 * ((year - 1900) / 100)
	if female {
		gd++
	}
	yy := year % 100
	for k := 0; ; k++ {
		if k > len(g.geo.provinces) {
			panic(errExhausted)
		}
		idx := (prov*10+gd)*100 + yy
		if n := g.idCount[idx]; n < 1_000_000-g.cancelCount[idx] {
			g.idCount[idx]++
			b := g.buf[:0]
			b = appendPadded(b, uint64(prov), 3)
			b = append(b, byte('0'+gd))
			b = append2(b, yy)
			b = appendPadded(b, g.scramble(1, idx, n, 1_000_000), 6)
			g.buf = b
			return string(b)
		}
		// This birth cohort of the province is full: register elsewhere.
		i := g.geo.byCode[prov] % len(g.geo.provinces)
		prov = g.geo.provinces[i].code
	}
}

// allocCancelled returns an ID of id's space (province, century and
// gender, year) that no citizen is given: numbered down from the top of
// the space's counter, which allocID stops short of.
func (g *gen) allocCancelled(id verifier.CitizenID) (verifier.CitizenID, bool) {
	idx := int(idValue(id) / 1_000_000)
	if g.idCount[idx]+g.cancelCount[idx]+1 >= 1_000_000 {
		return "", false
	}
	n := 999_999 - g.cancelCount[idx]
	g.cancelCount[idx]++
	b := append([]byte(nil), id[:6]...)
	b = appendPadded(b, g.scramble(1, idx, n, 1_000_000), 6)
	return verifier.CitizenID(b), true
}

// idValue is the number a 12-digit ID spells.
func idValue(id verifier.CitizenID) uint64 {
	var v uint64
	for i := 0; i < len(id); i++ {
		v = v*10 + uint64(id[i]-'0')
	}
	return v
}

func (g *gen) allocCMND(prov int) string {
	return g.allocNumber("", &g.cmndCount, 2, cmndPrefix[prov], 7)
}

// allocBHXH returns a new 10-digit social-insurance number: two digits of
// the province, eight unique digits.
func (g *gen) allocBHXH(prov int) string {
	return g.allocNumber("", &g.bhxhCount, 3, prov, 8)
}

func (g *gen) allocHousehold(prov int) string {
	return g.allocNumber("HK", &g.hhCount, 4, prov, 8)
}

// allocNumber returns head, a two-digit prefix and the next unique number
// of width digits in number space space under that prefix (the next prefix
// once it is full); counts holds how many each prefix has given out.
func (g *gen) allocNumber(head string, counts *[100]uint32, space uint64, pre, width int) string {
	mod := uint64(1)
	for range width {
		mod *= 10
	}
	for uint64(counts[pre]) >= mod {
		pre = (pre + 1) % 100
	}
	n := counts[pre]
	counts[pre]++
	b := append(g.buf[:0], head...)
	b = append2(b, pre)
	b = appendPadded(b, g.scramble(space, pre, n, mod), width)
	g.buf = b
	return string(b)
}

// facilityIndex finds registration facilities by province.
type facilityIndex struct {
	byProv [100][]string // weighted list of codes (repeated by level weight)
	all    []string
}

func indexFacilities(facs []verifier.Facility) facilityIndex {
	var fi facilityIndex
	for _, f := range facs {
		p, err := strconv.Atoi(f.Province)
		if err != nil || p < 0 || p >= 100 {
			continue
		}
		w := 1
		switch f.Level {
		case verifier.LevelCommune:
			w = 8
		case verifier.LevelDistrict:
			w = 6
		case verifier.LevelProvincial:
			w = 4
		}
		for range w {
			fi.byProv[p] = append(fi.byProv[p], f.Code)
		}
		if f.Level != verifier.LevelCommune {
			fi.all = append(fi.all, f.Code)
		}
	}
	return fi
}

func (fi *facilityIndex) pick(r *rand.Rand, prov int) string {
	if l := fi.byProv[prov]; len(l) > 0 && r.IntN(100) < 97 {
		return l[r.IntN(len(l))]
	}
	if len(fi.all) == 0 {
		return "08001"
	}
	return fi.all[r.IntN(len(fi.all))]
}
