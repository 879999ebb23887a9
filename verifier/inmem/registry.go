// Package inmem holds in-process implementations of the verifier's stores:
// the population, insurance and facility registries loaded from the data
// files of the contract (or generated), and the same-day visit ledger used
// for the demo and single-desk deployments. They are real implementations,
// not test doubles.
package inmem

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Registry is the population, insurance and facility databases held in
// memory. It is immutable once built, so lookups take no lock. Records are
// held packed (see compact.go) and built into verifier.Citizen and
// verifier.Card values on lookup.
type Registry struct {
	citPages  []citPage
	citIdx    index // citizen ID → citizen record
	nCit      int
	cardPages []cardPage
	cardIdx   index // card number → card record
	nCard     int
	strs      []string // interned strings; 0 is ""

	// Records kept verbatim because they do not fit the packed form.
	oddCit  map[int32]*verifier.Citizen
	oddCard map[int32]*verifier.Card
	// Citizens of cards that are not in the population: their IDs and
	// first cards.
	orphan      map[verifier.CitizenID]int32
	orphans     []verifier.CitizenID
	orphanFirst []int32

	fac      map[string]verifier.Facility
	facOrder []string

	// cancelled maps an ID a citizen held before (cancelled_ids) to the
	// citizen's record.
	cancelled map[verifier.CitizenID]int32
	// staff: the staff registered to check cards, by facility and ID
	// (staff.jsonl); nil when none is loaded.
	staff map[staffKey]string
}

var (
	_ verifier.PopulationRegistry = (*Registry)(nil)
	_ verifier.InsuranceRegistry  = (*Registry)(nil)
	_ verifier.FacilityRegistry   = (*Registry)(nil)
)

// NewRegistry indexes the given records. It returns an error naming the
// first duplicate citizen ID, card number or facility code. The records are
// copied into the registry's packed form; the slices are not kept.
func NewRegistry(citizens []verifier.Citizen, cards []verifier.Card, facilities []verifier.Facility) (*Registry, error) {
	b := newBuilder(len(citizens), len(cards))
	noLine := func(_ int, err error) error { return err }
	for lo := 0; lo < len(citizens); lo += pageSize {
		page := citizens[lo:min(lo+pageSize, len(citizens))]
		err := b.addCitizens(len(page), func(_ *packer, i int, c *verifier.Citizen) error {
			*c = page[i]
			return nil
		}, noLine)
		if err != nil {
			return nil, err
		}
	}
	if err := b.r.checkCancelled(); err != nil {
		return nil, err
	}
	for lo := 0; lo < len(cards); lo += pageSize {
		page := cards[lo:min(lo+pageSize, len(cards))]
		err := b.addCards(len(page), func(_ *packer, i int, c *verifier.Card) error {
			*c = page[i]
			return nil
		}, noLine)
		if err != nil {
			return nil, err
		}
	}
	if err := b.r.addFacilities(facilities); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

// checkCancelled refuses a cancelled ID that is another citizen's current
// one: the file would then say two things of one number.
func (r *Registry) checkCancelled() error {
	for id := range r.cancelled {
		if r.findCitizen(id) >= 0 {
			return &duplicateError{what: "citizen id (also listed in cancelled_ids)", key: id.Masked()}
		}
	}
	return nil
}

func (r *Registry) addFacilities(facilities []verifier.Facility) error {
	for _, f := range facilities {
		if _, dup := r.fac[f.Code]; dup {
			return &duplicateError{what: "facility code", key: f.Code}
		}
		r.fac[f.Code] = f
		r.facOrder = append(r.facOrder, f.Code)
	}
	return nil
}

type duplicateError struct{ what, key string }

func (e *duplicateError) Error() string { return "duplicate " + e.what + " " + e.key }

// Citizen returns the population record of id. For an ID the citizen
// held before (cancelled_ids) it returns the citizen's current record,
// whose ID then differs from id.
func (r *Registry) Citizen(_ context.Context, id verifier.CitizenID) (verifier.Citizen, error) {
	if i := r.findCitizen(id); i >= 0 {
		return r.citizenAt(i, id), nil
	}
	if i, ok := r.cancelled[id]; ok {
		return r.citizenAt(i, ""), nil
	}
	return verifier.Citizen{}, verifier.Errorf(verifier.KindNotFound, "citizen_not_found", "citizen not in the population database")
}

// CardsOf returns the citizen's insurance cards in file order.
func (r *Registry) CardsOf(_ context.Context, id verifier.CitizenID) ([]verifier.Card, error) {
	var i int32 = -1
	if ci := r.findCitizen(id); ci >= 0 {
		i = r.citRec(ci).first
	} else if j, ok := r.orphan[id]; ok {
		i = r.orphanFirst[j]
	}
	var out []verifier.Card
	for ; i >= 0; i = r.cardRec(i).next {
		out = append(out, r.cardAt(i, "", id))
	}
	return out, nil
}

// Card returns the card with the given number.
func (r *Registry) Card(_ context.Context, no string) (verifier.Card, error) {
	if i := r.findCard(no); i >= 0 {
		return r.cardAt(i, no, ""), nil
	}
	return verifier.Card{}, verifier.Errorf(verifier.KindNotFound, "card_not_found", "card not in the insurer's registry")
}

// Facility returns the facility with the given code.
func (r *Registry) Facility(_ context.Context, code string) (verifier.Facility, error) {
	if f, ok := r.fac[code]; ok {
		return f, nil
	}
	return verifier.Facility{}, verifier.Errorf(verifier.KindNotFound, "facility_not_found", "facility not known")
}

// Facilities returns every facility in load order.
func (r *Registry) Facilities() []verifier.Facility {
	out := make([]verifier.Facility, 0, len(r.facOrder))
	for _, c := range r.facOrder {
		out = append(out, r.fac[c])
	}
	return out
}

// Counts returns how many citizens, cards and facilities are loaded.
func (r *Registry) Counts() (citizens, cards, facilities int) {
	return r.nCit, r.nCard, len(r.fac)
}

// CitizenAt returns the i-th citizen in load order (0 ≤ i < citizens), for
// demos, load generation and tests that need real records.
func (r *Registry) CitizenAt(i int) verifier.Citizen {
	if i < 0 || i >= r.nCit {
		panic(fmt.Sprintf("inmem: CitizenAt(%d) out of range [0,%d)", i, r.nCit))
	}
	return r.citizenAt(int32(i), "")
}

func (r *Registry) citRec(i int32) *citRec {
	return &r.citPages[i>>pageShift].recs[i&pageMask]
}

func (r *Registry) cardRec(i int32) *cardRec {
	return &r.cardPages[i>>pageShift].recs[i&pageMask]
}

// findCitizen returns the record number of id, or -1.
func (r *Registry) findCitizen(id verifier.CitizenID) int32 {
	k := citizenKey(string(id))
	return r.citIdx.find(k, func(i int32) bool {
		return r.citRec(i).key() == k && (k&weirdBit == 0 || r.oddCit[i].ID == id)
	})
}

// insertCitizen indexes record i; false if its ID is already there.
func (r *Registry) insertCitizen(i int32) bool {
	if r.citIdx.full() {
		r.citIdx.grow(func(j int32) uint64 { return r.citRec(j).key() })
	}
	k := r.citRec(i).key()
	return r.citIdx.insert(i, k, func(o int32) bool {
		return r.citRec(o).key() == k && (k&weirdBit == 0 || r.oddCit[o].ID == r.oddCit[i].ID)
	})
}

// findCard returns the record number of card no, or -1.
func (r *Registry) findCard(no string) int32 {
	k := cardKey(no)
	return r.cardIdx.find(k, func(i int32) bool {
		return r.cardRec(i).key() == k && (k&weirdBit == 0 || r.oddCard[i].CardNo == no)
	})
}

// insertCard indexes card i; false if its number is already there.
func (r *Registry) insertCard(i int32) bool {
	if r.cardIdx.full() {
		r.cardIdx.grow(func(j int32) uint64 { return r.cardRec(j).key() })
	}
	k := r.cardRec(i).key()
	return r.cardIdx.insert(i, k, func(o int32) bool {
		return r.cardRec(o).key() == k && (k&weirdBit == 0 || r.oddCard[o].CardNo == r.oddCard[i].CardNo)
	})
}

// citizenAt builds citizen record i; id, when not empty, is its ID.
func (r *Registry) citizenAt(i int32, id verifier.CitizenID) verifier.Citizen {
	rec := r.citRec(i)
	if rec.flags&flagOdd != 0 {
		return *r.oddCit[i]
	}
	if id == "" {
		id = formatCitizenID(rec.key())
	}
	s := r.citPages[i>>pageShift].blob[rec.off:]
	c := verifier.Citizen{
		ID:                 id,
		OldID:              s[:rec.end[0]],
		FullName:           s[rec.end[0]:rec.end[1]],
		DOB:                unpackDate(rec.dob),
		Gender:             genders[rec.gender],
		PermanentAddress:   r.citPages[i>>pageShift].blob[rec.addr : rec.addr+uint32(rec.addrLen)],
		HouseholdID:        s[rec.end[1]:rec.end[2]],
		RelationshipToHead: r.strs[rec.rel],
		DeceasedOn:         unpackDate(rec.died),
	}
	if rec.end[3] > rec.end[2] {
		c.Extra = json.RawMessage(s[rec.end[2]:rec.end[3]])
	}
	return c
}

// citizenName returns the full name of citizen record i.
func (r *Registry) citizenName(i int32) string {
	rec := r.citRec(i)
	if rec.flags&flagOdd != 0 {
		return r.oddCit[i].FullName
	}
	return r.citPages[i>>pageShift].blob[rec.off+uint32(rec.end[0]) : rec.off+uint32(rec.end[1])]
}

// cardAt builds card record i; no and id, when not empty, are its number
// and its citizen's ID.
func (r *Registry) cardAt(i int32, no string, id verifier.CitizenID) verifier.Card {
	rec := r.cardRec(i)
	if rec.flags&flagOdd != 0 {
		return *r.oddCard[i]
	}
	if no == "" {
		no = formatCardNo(rec.key())
	}
	if id == "" {
		if rec.flags&flagOrphan != 0 {
			id = r.orphans[rec.cit]
		} else {
			id = formatCitizenID(r.citRec(int32(rec.cit)).key())
		}
	}
	s := r.cardPages[i>>pageShift].blob[rec.off:]
	c := verifier.Card{
		CardNo:             no,
		CitizenID:          id,
		FullName:           s[:rec.end[0]],
		DOB:                unpackDate(rec.dob),
		Gender:             genders[rec.gender],
		BenefitLevel:       int(rec.benefit),
		ObjectCode:         r.strs[rec.object],
		RegisteredFacility: r.strs[rec.fac],
		ValidFrom:          unpackDate(rec.from),
		ValidTo:            unpackDate(rec.to),
		FiveYearsSince:     unpackDate(rec.five),
		Status:             statuses[rec.status],
		ReducedReason:      r.strs[rec.reason],
		ReplacedBy:         s[rec.end[0]:rec.end[1]],
		SocialInsuranceNo:  s[rec.end[2]:rec.end[3]],
		AreaCode:           r.strs[rec.area],
		InsurerOffice:      r.strs[rec.office],
	}
	if rec.flags&flagSINDefault != 0 {
		c.SocialInsuranceNo = verifier.DefaultSocialInsuranceNo(no)
	}
	if rec.flags&flagSameName != 0 {
		c.FullName = r.citizenName(int32(rec.cit))
	}
	if rec.end[2] > rec.end[1] {
		c.Extra = json.RawMessage(s[rec.end[1]:rec.end[2]])
	}
	return c
}
