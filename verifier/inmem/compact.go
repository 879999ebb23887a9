package inmem

// The packed representation of the registry. A million citizens held as
// []verifier.Citizen cost about a kilobyte each (the struct, seven strings
// allocated one by one, three maps keyed by string); packed they cost about
// a quarter of that:
//
//   - Records live in pages of pageSize fixed-size structs (citRec, cardRec)
//     and every string of a page is a substring of one blob per page, so a
//     lookup returns zero-copy substrings (and one copy of Extra, which is a
//     mutable []byte).
//   - Dates are uint32 yyyymmdd (partial dates keep their zero month/day);
//     gender, card status and benefit level are bytes; low-cardinality
//     strings (relationship to head, object code, registered facility,
//     reduced reason) are indexes into one table of interned strings.
//   - A citizen ID is the uint64 value of its 12 digits, a card number the
//     uint64 of its 10 digits or of its 2 letters and 13 digits; lookups go
//     through open-addressing hash indexes of record numbers (4 bytes a
//     slot) instead of maps keyed by string.
//   - A card refers to its citizen by record number, and shares the
//     citizen's name when it is the same; a citizen whose address is that
//     of the previous citizen (a household) shares it.
//   - Records that do not fit the packed form (possible only through
//     NewRegistry, or with absurd lines: IDs that are not 12 digits, card
//     numbers of another shape, genders or statuses outside the contract,
//     fields longer than 64 KiB, FromCache set…) are kept verbatim in a map
//     beside the packed record, so that every record reads back exactly as
//     it was given.

import (
	"encoding/json"
	"runtime"
	"sync"

	"github.com/vnhealth/cccd-checkin/verifier"
)

const (
	pageShift = 15
	pageSize  = 1 << pageShift // records a page; also the loader's chunk of lines
	pageMask  = pageSize - 1
)

// Record flags.
const (
	flagOdd        = 1 << iota // the record is kept verbatim in the odd map
	flagWeird                  // the key is a hash of a string not of the packed shape (then also flagOdd)
	flagOrphan                 // card: cit is an index into orphans, not a citizen record
	flagSameName               // card: the name is the citizen's
	flagSameAddr               // citizen: the address is shared with an earlier record of the page
	flagSINDefault             // card: social_insurance_no was given and is the card code's default
)

// weirdBit marks a key that is a hash (its record is odd: compare the
// verbatim string).
const weirdBit = 1 << 63

// citRec is a packed population record (40 bytes). The strings old_id,
// full_name, household_id and Extra are contiguous in the page blob from
// off, ending at off+end[k]; the address is at addr, addrLen bytes long
// (possibly shared with an earlier record).
type citRec struct {
	keyLo   uint32
	off     uint32
	addr    uint32
	dob     uint32
	died    uint32
	first   int32     // the citizen's first card, or -1
	end     [4]uint16 // old_id, full_name, household_id, Extra
	addrLen uint16
	rel     uint16 // relationship_to_head, interned
	keyHi   uint8
	gender  uint8
	flags   uint8
}

func (c *citRec) key() uint64 {
	k := uint64(c.keyHi)<<32 | uint64(c.keyLo)
	if c.flags&flagWeird != 0 {
		k |= weirdBit
	}
	return k
}

func (c *citRec) setKey(k uint64) {
	c.keyLo, c.keyHi = uint32(k), uint8(k>>32)
	if k&weirdBit != 0 {
		c.flags |= flagWeird | flagOdd
	}
}

// cardRec is a packed insurance card (60 bytes). full_name (unless it is the
// citizen's), replaced_by, Extra and social_insurance_no (unless it is
// absent or the card code's default, flagSINDefault) are contiguous in the
// page blob from off.
type cardRec struct {
	keyLo, keyHi        uint32
	cit                 uint32 // citizen record, or orphan index (flagOrphan)
	next                int32  // the next card of the same citizen, or -1
	off                 uint32
	dob, from, to, five uint32
	end                 [4]uint16 // full_name, replaced_by, Extra, social_insurance_no
	object, fac, reason uint16    // interned
	area, office        uint16    // interned
	gender, status      uint8
	benefit             uint8
	flags               uint8
}

func (c *cardRec) key() uint64 { return uint64(c.keyHi)<<32 | uint64(c.keyLo) }

func (c *cardRec) setKey(k uint64) {
	c.keyLo, c.keyHi = uint32(k), uint32(k>>32)
	if k&weirdBit != 0 {
		c.flags |= flagWeird | flagOdd
	}
}

type citPage struct {
	recs []citRec
	blob string
}

type cardPage struct {
	recs []cardRec
	blob string
}

// ---- keys ----

// citizenKey returns the packed key of a citizen ID: the value of its 12
// digits, or a hash with weirdBit for any other string.
func citizenKey(id string) uint64 {
	if len(id) == 12 {
		var v uint64
		for i := 0; i < 12; i++ {
			c := id[i] - '0'
			if c > 9 {
				return hashKey(id)&(1<<40-1) | weirdBit
			}
			v = v*10 + uint64(c)
		}
		return v
	}
	return hashKey(id)&(1<<40-1) | weirdBit
}

const pow13 = 10_000_000_000_000

// cardKey returns the packed key of a card number: the value of 10 digits,
// or 1<<62 | letters·10¹³ + digits for 2 capital letters and 13 digits, or a
// hash with weirdBit for any other string.
func cardKey(no string) uint64 {
	switch len(no) {
	case 10:
		if v, ok := digitsValue(no); ok {
			return v
		}
	case 15:
		a, b := no[0]-'A', no[1]-'A'
		if a < 26 && b < 26 {
			if v, ok := digitsValue(no[2:]); ok {
				return 1<<62 | (uint64(a)*26+uint64(b))*pow13 + v
			}
		}
	}
	return hashKey(no)
}

func digitsValue(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		v = v*10 + uint64(c)
	}
	return v, true
}

// hashKey is FNV-1a with weirdBit set.
func hashKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h | weirdBit
}

func formatDigits(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

func formatCitizenID(k uint64) verifier.CitizenID {
	var b [12]byte
	formatDigits(b[:], k)
	return verifier.CitizenID(b[:])
}

func formatCardNo(k uint64) string {
	if k&(1<<62) == 0 {
		var b [10]byte
		formatDigits(b[:], k)
		return string(b[:])
	}
	k &^= 1 << 62
	var b [15]byte
	l := k / pow13
	b[0], b[1] = byte('A'+l/26), byte('A'+l%26)
	formatDigits(b[2:], k%pow13)
	return string(b[:])
}

// ---- small values ----

func packDate(d verifier.Date) (uint32, bool) {
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return 0, false
	}
	return uint32(d.Year*10000 + d.Month*100 + d.Day), true
}

func unpackDate(v uint32) verifier.Date {
	return verifier.Date{Year: int(v / 10000), Month: int(v / 100 % 100), Day: int(v % 100)}
}

var genders = [...]verifier.Gender{"", verifier.Male, verifier.Female}

func packGender(g verifier.Gender) (uint8, bool) {
	switch g {
	case "":
		return 0, true
	case verifier.Male:
		return 1, true
	case verifier.Female:
		return 2, true
	}
	return 0, false
}

var statuses = [...]verifier.CardStatus{"", verifier.CardActive, verifier.CardRevoked, verifier.CardReduced}

func packStatus(s verifier.CardStatus) (uint8, bool) {
	for i, v := range statuses {
		if s == v {
			return uint8(i), true
		}
	}
	return 0, false
}

// ---- hash index ----

// index maps keys to record numbers by open addressing with linear probing;
// a slot holds record number + 1, 0 being empty. The keys are read from the
// records themselves, so a slot costs 4 bytes.
type index struct {
	slots []uint32
	shift uint8
	n     int
}

func newIndex(hint int) index {
	bits := uint8(3)
	for 1<<bits < hint+hint/3+1 { // load ≤ 3/4
		bits++
	}
	return index{slots: make([]uint32, 1<<bits), shift: 64 - bits}
}

func (x *index) start(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> x.shift }

func (x *index) mask() uint64 { return uint64(len(x.slots) - 1) }

// full reports whether one more key would exceed the load factor.
func (x *index) full() bool { return (x.n+1)*4 > len(x.slots)*3 }

// probe walks the slots from k's start until same accepts a record (its
// slot) or an empty slot ends the chain (that slot, found false).
func (x *index) probe(k uint64, same func(i int32) bool) (slot uint64, found bool) {
	m := x.mask()
	for j := x.start(k); ; j = (j + 1) & m {
		s := x.slots[j]
		if s == 0 {
			return j, false
		}
		if same(int32(s - 1)) {
			return j, true
		}
	}
}

// find returns the record with key k that same accepts, or -1.
func (x *index) find(k uint64, same func(i int32) bool) int32 {
	if x.n == 0 {
		return -1
	}
	j, found := x.probe(k, same)
	if !found {
		return -1
	}
	return int32(x.slots[j] - 1)
}

// insert indexes record i under key k unless same accepts a record already
// there (then false).
func (x *index) insert(i int32, k uint64, same func(o int32) bool) bool {
	j, found := x.probe(k, same)
	if found {
		return false
	}
	x.slots[j] = uint32(i) + 1
	x.n++
	return true
}

// grow doubles the table, re-inserting records 0..n-1 by key.
func (x *index) grow(keyOf func(i int32) uint64) {
	bigger := index{slots: make([]uint32, 2*len(x.slots)), shift: x.shift - 1}
	for _, s := range x.slots {
		if s != 0 {
			j, _ := bigger.probe(keyOf(int32(s-1)), func(int32) bool { return false })
			bigger.slots[j] = s
		}
	}
	bigger.n = x.n
	*x = bigger
}

// ---- interned strings ----

// interner assigns small numbers to low-cardinality strings; 0 is "".
// Workers keep a private cache in front of the shared, locked table.
type interner struct {
	mu  sync.Mutex
	idx map[string]uint16
	tab []string
}

func newInterner() *interner { return &interner{idx: map[string]uint16{"": 0}, tab: []string{""}} }

// get returns the number of s and the table's copy of s.
func (t *interner) get(s string) (uint16, string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.idx[s]; ok {
		return v, t.tab[v], true
	}
	if len(t.tab) > 0xffff {
		return 0, "", false
	}
	s = cloneString(s) // s may alias a line buffer
	v := uint16(len(t.tab))
	t.idx[s] = v
	t.tab = append(t.tab, s)
	return v, s, true
}

// ---- the builder ----

// builder packs records into a Registry page by page, in parallel. Citizens
// must all be added before the first card, and finish called last.
type builder struct {
	r       *Registry
	strs    *interner
	packers []*packer
	err     []error
}

// packer is one worker's scratch: the blob of its share of a page, its
// cache of interned strings, the records it could not pack, and a scratch
// record to decode into.
type packer struct {
	b       *builder
	blob    []byte
	cache   map[string]uint16
	oddCit  []oddCitizen
	oddCard []oddCard
	orphans []orphanRef
	lastAdr int // offset in blob of the previous record's address, or -1
	lastLen int
}

type oddCitizen struct {
	i int
	c verifier.Citizen
}

type oddCard struct {
	i int
	c verifier.Card
}

type orphanRef struct {
	i  int
	id verifier.CitizenID
}

func newBuilder(citizens, cards int) *builder {
	r := &Registry{
		citIdx:    newIndex(citizens),
		cardIdx:   newIndex(cards),
		oddCit:    map[int32]*verifier.Citizen{},
		oddCard:   map[int32]*verifier.Card{},
		orphan:    map[verifier.CitizenID]int32{},
		fac:       map[string]verifier.Facility{},
		cancelled: map[verifier.CitizenID]int32{},
	}
	b := &builder{r: r, strs: newInterner()}
	for range runtime.GOMAXPROCS(0) {
		b.packers = append(b.packers, &packer{b: b, cache: map[string]uint16{}})
	}
	b.err = make([]error, len(b.packers))
	return b
}

func (p *packer) intern(s string) (uint16, bool) {
	if v, ok := p.cache[s]; ok {
		return v, true
	}
	v, s, ok := p.b.strs.get(s)
	if ok {
		p.cache[s] = v
	}
	return v, ok
}

// parallel runs fn over [0,n) split in contiguous shares, one per packer,
// and returns the error of the lowest record that failed, if any. fn
// returns at its share's first error.
func (b *builder) parallel(n int, fn func(p *packer, lo, hi int) error) error {
	w := len(b.packers)
	if n < 4096 {
		w = 1
	}
	per := (n + w - 1) / w
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := min(k*per, n), min((k+1)*per, n)
		p := b.packers[k]
		p.blob, p.lastAdr = p.blob[:0], -1
		b.err[k] = nil
		if k == w-1 {
			b.err[k] = fn(p, lo, hi)
			continue
		}
		wg.Go(func() { b.err[k] = fn(p, lo, hi) })
	}
	wg.Wait()
	for k := range w {
		if b.err[k] != nil {
			return b.err[k]
		}
	}
	return nil
}

// joinBlobs concatenates the packers' blobs into one page blob and returns
// the offset of each packer's share.
func (b *builder) joinBlobs(n int) (string, []uint32) {
	w := len(b.packers)
	if n < 4096 {
		w = 1
	}
	size := 0
	base := make([]uint32, w)
	for k := range w {
		base[k] = uint32(size)
		size += len(b.packers[k].blob)
	}
	buf := make([]byte, 0, size)
	for k := range w {
		buf = append(buf, b.packers[k].blob...)
	}
	return string(buf), base
}

// packPage packs a page of n ≤ pageSize records in parallel: get fills
// record i of the page (it may alias scratch memory: pack copies what is
// kept), pack packs it into recs[i], and share, called for each packer's
// share of the page once the blobs are joined, moves the share's offsets
// by base and takes the packer's odd records. lineErr turns an error about
// record i into the error returned.
func packPage[T, R any](b *builder, n int, get func(p *packer, i int, v *T) error, lineErr func(i int, err error) error,
	pack func(p *packer, v *T, rec *R, i int), share func(p *packer, recs []R, lo, hi int, base uint32)) ([]R, string, error) {
	recs := make([]R, n)
	err := b.parallel(n, func(p *packer, lo, hi int) error {
		p.oddCit, p.oddCard, p.orphans = p.oddCit[:0], p.oddCard[:0], p.orphans[:0]
		v := new(T)
		for i := lo; i < hi; i++ {
			*v = *new(T)
			if err := get(p, i, v); err != nil {
				return lineErr(i, err)
			}
			pack(p, v, &recs[i], i)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	blob, base := b.joinBlobs(n)
	per := (n + len(base) - 1) / len(base)
	for k := range base {
		share(b.packers[k], recs, min(k*per, n), min((k+1)*per, n), base[k])
	}
	return recs, blob, nil
}

// addCitizens packs a page of citizens (see packPage).
func (b *builder) addCitizens(n int, get func(p *packer, i int, c *verifier.Citizen) error, lineErr func(i int, err error) error) error {
	r := b.r
	first := len(r.citPages) << pageShift
	if len(r.citPages) > 0 && len(r.citPages[len(r.citPages)-1].recs) != pageSize {
		panic("inmem: citizens added after a short page")
	}
	recs, blob, err := packPage(b, n, get, lineErr, (*packer).packCitizen, func(p *packer, recs []citRec, lo, hi int, base uint32) {
		for i := lo; i < hi; i++ {
			recs[i].off += base
			recs[i].addr += base
		}
		for _, o := range p.oddCit {
			r.oddCit[int32(first+o.i)] = &o.c
		}
	})
	if err != nil {
		return err
	}
	r.citPages = append(r.citPages, citPage{recs: recs, blob: blob})
	for i := range recs {
		g := int32(first + i)
		if !r.insertCitizen(g) {
			id := formatCitizenID(recs[i].key())
			if c, odd := r.oddCit[g]; odd {
				id = c.ID
			}
			return lineErr(i, &duplicateError{what: "citizen id", key: id.Masked()})
		}
		if c, odd := r.oddCit[g]; odd {
			for _, old := range c.CancelledIDs {
				if _, dup := r.cancelled[old]; dup || old == c.ID {
					return lineErr(i, &duplicateError{what: "cancelled id", key: old.Masked()})
				}
				r.cancelled[old] = g
			}
		}
	}
	r.nCit += n
	return nil
}

// addCards packs a page of cards (see packPage).
func (b *builder) addCards(n int, get func(p *packer, i int, c *verifier.Card) error, lineErr func(i int, err error) error) error {
	r := b.r
	first := len(r.cardPages) << pageShift
	if len(r.cardPages) > 0 && len(r.cardPages[len(r.cardPages)-1].recs) != pageSize {
		panic("inmem: cards added after a short page")
	}
	recs, blob, err := packPage(b, n, get, lineErr, (*packer).packCard, func(p *packer, recs []cardRec, lo, hi int, base uint32) {
		for i := lo; i < hi; i++ {
			recs[i].off += base
		}
		for _, o := range p.oddCard {
			r.oddCard[int32(first+o.i)] = &o.c
		}
		for _, o := range p.orphans {
			j, ok := r.orphan[o.id]
			if !ok {
				j = int32(len(r.orphans))
				r.orphans = append(r.orphans, o.id)
				r.orphanFirst = append(r.orphanFirst, -1)
				r.orphan[o.id] = j
			}
			recs[o.i].cit = uint32(j)
		}
	})
	if err != nil {
		return err
	}
	r.cardPages = append(r.cardPages, cardPage{recs: recs, blob: blob})
	for i := range recs {
		g := int32(first + i)
		if !r.insertCard(g) {
			no := ""
			if c, odd := r.oddCard[g]; odd {
				no = c.CardNo
			} else {
				no = formatCardNo(recs[i].key())
			}
			return lineErr(i, &duplicateError{what: "card_no", key: maskCardNo(no)})
		}
	}
	r.nCard += n
	return nil
}

// maskCardNo hides the middle of a card number, which identifies a person.
func maskCardNo(no string) string {
	if len(no) < 8 {
		return "**********"
	}
	return no[:5] + "********"[:len(no)-7] + no[len(no)-2:]
}

// finish links each citizen's cards in file order and releases the
// builder's tables.
func (b *builder) finish() *Registry {
	r := b.r
	for i := r.nCard - 1; i >= 0; i-- {
		c := r.cardRec(int32(i))
		if c.flags&flagOrphan != 0 {
			c.next = r.orphanFirst[c.cit]
			r.orphanFirst[c.cit] = int32(i)
		} else {
			p := r.citRec(int32(c.cit))
			c.next = p.first
			p.first = int32(i)
		}
	}
	r.strs = b.strs.tab
	if len(r.oddCit) == 0 {
		r.oddCit = nil
	}
	if len(r.oddCard) == 0 {
		r.oddCard = nil
	}
	b.packers = nil
	return r
}

// ---- packing ----

// packCitizen packs c into rec, appending its strings to p.blob; a record
// that does not fit is kept verbatim (copied: c may alias a line buffer).
func (p *packer) packCitizen(c *verifier.Citizen, rec *citRec, i int) {
	*rec = citRec{first: -1}
	rec.setKey(citizenKey(string(c.ID)))
	// A citizen with cancelled IDs is rare: kept verbatim.
	ok := rec.flags&flagOdd == 0 && !c.FromCache && c.CancelledIDs == nil
	var g uint8
	if ok {
		g, ok = packGender(c.Gender)
	}
	if ok {
		rec.gender = g
		rec.dob, ok = packDate(c.DOB)
	}
	if ok {
		rec.died, ok = packDate(c.DeceasedOn)
	}
	if ok {
		rec.rel, ok = p.intern(c.RelationshipToHead)
	}
	own := len(c.OldID) + len(c.FullName) + len(c.HouseholdID) + len(c.Extra)
	// An empty non-nil Extra would read back as nil: keep it verbatim.
	if !ok || own > 0xffff || len(c.PermanentAddress) > 0xffff || c.Extra != nil && len(c.Extra) == 0 {
		rec.flags |= flagOdd
		p.oddCit = append(p.oddCit, oddCitizen{i, cloneCitizen(c)})
		return
	}
	off := len(p.blob)
	rec.off = uint32(off)
	p.blob = append(p.blob, c.OldID...)
	rec.end[0] = uint16(len(p.blob) - off)
	p.blob = append(p.blob, c.FullName...)
	rec.end[1] = uint16(len(p.blob) - off)
	p.blob = append(p.blob, c.HouseholdID...)
	rec.end[2] = uint16(len(p.blob) - off)
	p.blob = append(p.blob, c.Extra...)
	rec.end[3] = uint16(len(p.blob) - off)
	a := c.PermanentAddress
	rec.addrLen = uint16(len(a))
	if p.lastAdr >= 0 && p.lastLen == len(a) && string(p.blob[p.lastAdr:p.lastAdr+len(a)]) == a {
		rec.addr = uint32(p.lastAdr)
		rec.flags |= flagSameAddr
	} else {
		rec.addr = uint32(len(p.blob))
		p.lastAdr, p.lastLen = len(p.blob), len(a)
		p.blob = append(p.blob, a...)
	}
}

// packCard packs c into rec like packCitizen. It resolves the citizen by ID
// (the population must be complete); a card of an unknown citizen is an
// orphan, numbered after the page is packed.
func (p *packer) packCard(c *verifier.Card, rec *cardRec, i int) {
	r := p.b.r
	*rec = cardRec{next: -1}
	rec.setKey(cardKey(c.CardNo))
	if ci := r.findCitizen(c.CitizenID); ci >= 0 {
		rec.cit = uint32(ci)
	} else {
		rec.flags |= flagOrphan
		p.orphans = append(p.orphans, orphanRef{i, verifier.CitizenID(cloneString(string(c.CitizenID)))})
	}
	idOK := citizenKey(string(c.CitizenID))&weirdBit == 0
	ok := rec.flags&flagOdd == 0 && !c.FromCache && idOK && c.BenefitLevel >= 0 && c.BenefitLevel <= 255
	if ok {
		rec.benefit = uint8(c.BenefitLevel)
		rec.gender, ok = packGender(c.Gender)
	}
	if ok {
		rec.status, ok = packStatus(c.Status)
	}
	if ok {
		rec.dob, ok = packDate(c.DOB)
	}
	if ok {
		rec.from, ok = packDate(c.ValidFrom)
	}
	if ok {
		rec.to, ok = packDate(c.ValidTo)
	}
	if ok {
		rec.five, ok = packDate(c.FiveYearsSince)
	}
	if ok {
		rec.object, ok = p.intern(c.ObjectCode)
	}
	if ok {
		rec.fac, ok = p.intern(c.RegisteredFacility)
	}
	if ok {
		rec.reason, ok = p.intern(c.ReducedReason)
	}
	if ok {
		rec.area, ok = p.intern(c.AreaCode)
	}
	if ok {
		rec.office, ok = p.intern(c.InsurerOffice)
	}
	sin := c.SocialInsuranceNo
	if sin != "" && sin == verifier.DefaultSocialInsuranceNo(c.CardNo) {
		rec.flags |= flagSINDefault
		sin = ""
	}
	name := c.FullName
	if ok && rec.flags&flagOrphan == 0 && name != "" && name == r.citizenName(int32(rec.cit)) {
		rec.flags |= flagSameName
		name = ""
	}
	if !ok || len(name)+len(c.ReplacedBy)+len(c.Extra)+len(sin) > 0xffff || c.Extra != nil && len(c.Extra) == 0 {
		rec.flags |= flagOdd
		p.oddCard = append(p.oddCard, oddCard{i, cloneCard(c)})
		return
	}
	off := len(p.blob)
	rec.off = uint32(off)
	p.blob = append(p.blob, name...)
	rec.end[0] = uint16(len(p.blob) - off)
	p.blob = append(p.blob, c.ReplacedBy...)
	rec.end[1] = uint16(len(p.blob) - off)
	p.blob = append(p.blob, c.Extra...)
	rec.end[2] = uint16(len(p.blob) - off)
	p.blob = append(p.blob, sin...)
	rec.end[3] = uint16(len(p.blob) - off)
}

func cloneString(s string) string { return string(append([]byte(nil), s...)) }

func cloneCitizen(c *verifier.Citizen) verifier.Citizen {
	d := *c
	d.ID = verifier.CitizenID(cloneString(string(c.ID)))
	d.OldID = cloneString(c.OldID)
	d.FullName = cloneString(c.FullName)
	d.Gender = verifier.Gender(cloneString(string(c.Gender)))
	d.PermanentAddress = cloneString(c.PermanentAddress)
	d.HouseholdID = cloneString(c.HouseholdID)
	d.RelationshipToHead = cloneString(c.RelationshipToHead)
	if c.CancelledIDs != nil {
		d.CancelledIDs = make([]verifier.CitizenID, len(c.CancelledIDs))
		for i, id := range c.CancelledIDs {
			d.CancelledIDs[i] = verifier.CitizenID(cloneString(string(id)))
		}
	}
	if c.Extra != nil {
		d.Extra = append(json.RawMessage{}, c.Extra...)
	}
	return d
}

func cloneCard(c *verifier.Card) verifier.Card {
	d := *c
	d.CardNo = cloneString(c.CardNo)
	d.CitizenID = verifier.CitizenID(cloneString(string(c.CitizenID)))
	d.FullName = cloneString(c.FullName)
	d.Gender = verifier.Gender(cloneString(string(c.Gender)))
	d.ObjectCode = cloneString(c.ObjectCode)
	d.RegisteredFacility = cloneString(c.RegisteredFacility)
	d.Status = verifier.CardStatus(cloneString(string(c.Status)))
	d.ReducedReason = cloneString(c.ReducedReason)
	d.ReplacedBy = cloneString(c.ReplacedBy)
	d.SocialInsuranceNo = cloneString(c.SocialInsuranceNo)
	d.AreaCode = cloneString(c.AreaCode)
	d.InsurerOffice = cloneString(c.InsurerOffice)
	if c.Extra != nil {
		d.Extra = append(json.RawMessage{}, c.Extra...)
	}
	return d
}
