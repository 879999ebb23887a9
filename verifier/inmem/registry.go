// Package inmem holds in-process implementations of the verifier's stores:
// the population, insurance and facility registries loaded from the data
// files of the contract (or generated), and the same-day visit ledger used
// for the demo and single-desk deployments. They are real implementations,
// not test doubles.
package inmem

import (
	"context"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Registry is the population, insurance and facility databases held in
// memory. It is immutable once built, so lookups take no lock.
type Registry struct {
	citizens  []verifier.Citizen
	byID      map[verifier.CitizenID]int32
	cards     []verifier.Card
	byCardNo  map[string]int32
	firstCard map[verifier.CitizenID]int32 // a citizen's first card...
	nextCard  []int32                      // ...and the next card of the same citizen, or -1
	fac       map[string]verifier.Facility
	facOrder  []string
}

var (
	_ verifier.PopulationRegistry = (*Registry)(nil)
	_ verifier.InsuranceRegistry  = (*Registry)(nil)
	_ verifier.FacilityRegistry   = (*Registry)(nil)
)

// NewRegistry indexes the given records. It returns an error naming the
// first duplicate citizen ID, card number or facility code.
func NewRegistry(citizens []verifier.Citizen, cards []verifier.Card, facilities []verifier.Facility) (*Registry, error) {
	r := &Registry{
		citizens:  citizens,
		byID:      make(map[verifier.CitizenID]int32, len(citizens)),
		cards:     cards,
		byCardNo:  make(map[string]int32, len(cards)),
		firstCard: make(map[verifier.CitizenID]int32, len(cards)),
		nextCard:  make([]int32, len(cards)),
		fac:       make(map[string]verifier.Facility, len(facilities)),
	}
	for i := range citizens {
		id := citizens[i].ID
		if _, dup := r.byID[id]; dup {
			return nil, &duplicateError{what: "citizen id", key: id.Masked()}
		}
		r.byID[id] = int32(i)
	}
	// Walk cards backwards so that each citizen's chain is in file order.
	for i := len(cards) - 1; i >= 0; i-- {
		c := &cards[i]
		if _, dup := r.byCardNo[c.CardNo]; dup {
			return nil, &duplicateError{what: "card_no", key: c.CardNo}
		}
		r.byCardNo[c.CardNo] = int32(i)
		r.nextCard[i] = -1
		if first, ok := r.firstCard[c.CitizenID]; ok {
			r.nextCard[i] = first
		}
		r.firstCard[c.CitizenID] = int32(i)
	}
	for _, f := range facilities {
		if _, dup := r.fac[f.Code]; dup {
			return nil, &duplicateError{what: "facility code", key: f.Code}
		}
		r.fac[f.Code] = f
		r.facOrder = append(r.facOrder, f.Code)
	}
	return r, nil
}

type duplicateError struct{ what, key string }

func (e *duplicateError) Error() string { return "duplicate " + e.what + " " + e.key }

// Citizen returns the population record of id.
func (r *Registry) Citizen(_ context.Context, id verifier.CitizenID) (verifier.Citizen, error) {
	if i, ok := r.byID[id]; ok {
		return r.citizens[i], nil
	}
	return verifier.Citizen{}, verifier.Errorf(verifier.KindNotFound, "citizen_not_found", "citizen not in the population database")
}

// CardsOf returns the citizen's insurance cards in file order.
func (r *Registry) CardsOf(_ context.Context, id verifier.CitizenID) ([]verifier.Card, error) {
	i, ok := r.firstCard[id]
	if !ok {
		return nil, nil
	}
	var out []verifier.Card
	for ; i >= 0; i = r.nextCard[i] {
		out = append(out, r.cards[i])
	}
	return out, nil
}

// Card returns the card with the given number.
func (r *Registry) Card(_ context.Context, no string) (verifier.Card, error) {
	if i, ok := r.byCardNo[no]; ok {
		return r.cards[i], nil
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
	return len(r.citizens), len(r.cards), len(r.fac)
}

// CitizenAt returns the i-th citizen in load order (0 ≤ i < citizens), for
// demos, load generation and tests that need real records.
func (r *Registry) CitizenAt(i int) verifier.Citizen { return r.citizens[i] }
