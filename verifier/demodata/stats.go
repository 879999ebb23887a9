package demodata

import (
	"fmt"
	"strings"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// State is the insurance situation of a citizen as the insurer's gateway
// would report it (docs/domain.md §6).
type State int

const (
	StateValid           State = iota // 000: a card valid today
	StateExpired                      // 010: the card expired
	StateRevoked                      // 110: the card was revoked
	StateReduced                      // 120–124: the card was reported reduced
	StateReplacedExpired              // 003: old card expired, a new card was issued
	StateReplacedValid                // 004: old card still valid, a new card was issued
	StateNoCard                       // 050: no card data
	StateChildNoCard                  // 130: a child under six without a card
	numStates
)

var stateNames = [numStates]string{"valid", "expired", "revoked", "reduced", "replaced_expired", "replaced_valid", "no_card", "child_no_card"}
var stateCodes = [numStates]string{"000", "010", "110", "12x", "003", "004", "050", "130"}

// States lists every state in order.
func States() []State {
	s := make([]State, numStates)
	for i := range s {
		s[i] = State(i)
	}
	return s
}

func (s State) String() string {
	if s < 0 || s >= numStates {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// Code returns the insurer's result code of the state ("12x" for reduced:
// 120–124 by reason).
func (s State) Code() string {
	if s < 0 || s >= numStates {
		return ""
	}
	return stateCodes[s]
}

// Classify returns the state of a citizen's cards (as Stream emits them) on
// day now, judged from the cards alone: a card with replaced_by makes the
// citizen "replaced" (expired or valid by that old card's end date);
// otherwise the status and end date of the card decide.
func Classify(c *verifier.Citizen, cards []verifier.Card, now verifier.Date) State {
	if len(cards) == 0 {
		if c.DOB.AgeOn(now) < 6 {
			return StateChildNoCard
		}
		return StateNoCard
	}
	for i := range cards {
		if cards[i].ReplacedBy != "" {
			if !cards[i].ValidTo.IsZero() && cards[i].ValidTo.Before(now) {
				return StateReplacedExpired
			}
			return StateReplacedValid
		}
	}
	k := &cards[len(cards)-1]
	switch {
	case k.Status == verifier.CardRevoked:
		return StateRevoked
	case k.Status == verifier.CardReduced:
		return StateReduced
	case !k.ValidTo.IsZero() && k.ValidTo.Before(now):
		return StateExpired
	}
	return StateValid
}

// Stats counts what was generated.
type Stats struct {
	Citizens, Cards, Facilities int
	States                      [numStates]int // citizens by State
	NameMismatch                int            // citizens with a card whose printed name differs
	DOBMismatch                 int
	GenderMismatch              int
	ArmedForces                 int // citizens with a level-5 (QN/CA) card
	Deceased                    int
	PartialDOB                  int
	Households                  int // citizens with a household_id
	OldID                       int // citizens with an old 9-digit ID
	now                         verifier.Date
}

// NewStats returns empty counters for data generated for day now.
func NewStats(now verifier.Date) Stats { return Stats{now: now} }

// Add counts one citizen and its cards.
func (s *Stats) Add(c *verifier.Citizen, cards []verifier.Card) {
	s.Citizens++
	s.Cards += len(cards)
	s.States[Classify(c, cards, s.now)]++
	var name, dob, gender, armed bool
	for i := range cards {
		k := &cards[i]
		name = name || k.FullName != c.FullName
		dob = dob || k.DOB != c.DOB
		gender = gender || k.Gender != c.Gender
		armed = armed || k.BenefitLevel == 5
	}
	s.NameMismatch += b2i(name)
	s.DOBMismatch += b2i(dob)
	s.GenderMismatch += b2i(gender)
	s.ArmedForces += b2i(armed)
	s.Deceased += b2i(!c.DeceasedOn.IsZero())
	s.PartialDOB += b2i(!c.DOB.Full())
	s.Households += b2i(c.HouseholdID != "")
	s.OldID += b2i(c.OldID != "")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// String is a one-line summary.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "citizens=%d cards=%d facilities=%d", s.Citizens, s.Cards, s.Facilities)
	for i, n := range s.States {
		fmt.Fprintf(&b, " %s(%s)=%d", State(i), State(i).Code(), n)
	}
	fmt.Fprintf(&b, " name_mismatch=%d dob_mismatch=%d gender_mismatch=%d armed_forces=%d deceased=%d partial_dob=%d",
		s.NameMismatch, s.DOBMismatch, s.GenderMismatch, s.ArmedForces, s.Deceased, s.PartialDOB)
	return b.String()
}

// Stats counts a generated set.
func (set *Set) Stats() Stats {
	st := NewStats(set.Now)
	st.Facilities = len(set.Facilities)
	set.each(func(c *verifier.Citizen, cards []verifier.Card) { st.Add(c, cards) })
	return st
}

// each calls f for every citizen with its cards (which follow the citizens
// in the same order).
func (set *Set) each(f func(c *verifier.Citizen, cards []verifier.Card)) {
	j := 0
	for i := range set.Citizens {
		c := &set.Citizens[i]
		k := j
		for k < len(set.Cards) && set.Cards[k].CitizenID == c.ID {
			k++
		}
		f(c, set.Cards[j:k])
		j = k
	}
}

// Examples returns, for every state present in the set, the index in
// set.Citizens of the first living citizen in that state: handy for demos.
func (set *Set) Examples() map[State]int {
	out := map[State]int{}
	i := 0
	set.each(func(c *verifier.Citizen, cards []verifier.Card) {
		if st := Classify(c, cards, set.Now); c.DeceasedOn.IsZero() {
			if _, ok := out[st]; !ok {
				out[st] = i
			}
		}
		i++
	})
	return out
}
