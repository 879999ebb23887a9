package demodata

import (
	"math/rand/v2"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Benefit level of each object group (the third character of the old card
// code), after the insurer's Decision 1351/QĐ-BHXH.
var objectLevel = map[string]int{
	"TE": 1, "CC": 1, "HN": 2, "DT": 2, "BT": 2, "HT": 3, "CN": 3,
	"DN": 4, "HC": 4, "HS": 4, "SV": 4, "GD": 4, "QN": 5, "CA": 5,
}

// objectTables[band][minority][male] gives the object group of a card
// holder by age band (6–17, 18–22, 23–59, 60–79, 80+), weights per mille.
var objectTables = func() (t [5][2][2]weighted) {
	for m := range 2 {
		for s := range 2 {
			dt := 1 + 39*m // ethnic minorities in difficult areas
			qn, ca := 1*s, 1*s
			t[0][m][s] = newWeighted("HS", 880, "HN", 40, "CN", 30, "GD", 40, "DT", dt*10)
			t[1][m][s] = newWeighted("SV", 350, "DN", 250, "GD", 250, "HN", 30, "CN", 30, "DT", dt*5, "QN", qn*25, "CA", ca*10)
			t[2][m][s] = newWeighted("DN", 340, "HC", 100, "GD", 330, "HN", 50, "CN", 50, "DT", dt*5, "QN", qn*15, "CA", ca*8, "CC", 3)
			t[3][m][s] = newWeighted("HT", 450, "GD", 320, "HN", 50, "CN", 50, "CC", 30, "BT", 20, "DT", dt*3)
			t[4][m][s] = newWeighted("BT", 550, "HT", 300, "CC", 100, "GD", 50)
		}
	}
	return t
}()

func (g *gen) object(p *person) string {
	if p.age < 6 {
		return "TE"
	}
	band := 4
	switch {
	case p.age < 18:
		band = 0
	case p.age < 23:
		band = 1
	case p.age < 60:
		band = 2
	case p.age < 80:
		band = 3
	}
	m, s := 0, 0
	if p.minority {
		m = 1
	}
	if !p.female {
		s = 1
	}
	return objectTables[band][m][s].pick(g.r)
}

// The card state a citizen's cards are generated in (per mille, citizens
// six and older); children under six have a TE card (85%) or none.
var (
	cardStates = newWeighted(
		"valid", 725, "no_card", 85, "expired", 60, "revoked", 20, "reduced", 40,
		"replaced_expired", 40, "replaced_valid", 30,
	)
	cardStateValues = []State{
		StateValid, StateNoCard, StateExpired, StateRevoked, StateReduced,
		StateReplacedExpired, StateReplacedValid,
	}
)

var reducedReasons = newWeighted("moved_out", 35, "moved_within", 25, "reenrolled", 20, "stopped", 20)

// makeCards fills g.cards for citizen g.c, person p.
func (g *gen) makeCards(hh *household, p *person) {
	r := g.r
	c := &g.c
	g.cards = g.cards[:0]
	var state State
	if p.age < 6 {
		state = StateValid
		if r.IntN(100) < 15 {
			return // 130: child presented without a card
		}
	} else {
		state = cardStateValues[cardStates.index(r)]
		if state == StateNoCard {
			return
		}
		if !c.DeceasedOn.IsZero() && state != StateRevoked && r.IntN(2) == 0 {
			state = StateRevoked
		}
	}
	obj := g.object(p)
	bhxh := g.allocBHXH(hh.prov.code)
	card := verifier.Card{
		CitizenID:          c.ID,
		FullName:           c.FullName,
		DOB:                c.DOB,
		Gender:             c.Gender,
		ObjectCode:         obj,
		BenefitLevel:       objectLevel[obj],
		RegisteredFacility: g.facs.pick(r, hh.prov.code),
	}
	if r.IntN(2) == 0 {
		card.CardNo = oldCardNo(obj, hh.prov.code, bhxh)
	} else {
		card.CardNo = bhxh
	}
	// The fields of the second round are derived from the number, not
	// drawn from the random stream, so that the rest of the data set is
	// what it was before they existed.
	h := splitmix(g.seed ^ 0x6b76 ^ idValue(verifier.CitizenID(bhxh)))
	card.SocialInsuranceNo = bhxh
	card.InsurerOffice = insurerOffice(hh.prov.code)
	switch h % 100 {
	case 0, 1, 2:
		card.AreaCode = "K1"
	case 3, 4:
		card.AreaCode = "K2"
	case 5:
		card.AreaCode = "K3"
	}
	if obj == "TE" {
		card.ValidFrom = c.DOB
		card.ValidTo = fromDayNum(dayNum(verifier.Date{Year: c.DOB.Year + 6, Month: c.DOB.Month, Day: c.DOB.Day}) - 1)
	} else {
		card.ValidFrom = monthStart(g.now, -r.IntN(12))
		card.ValidTo = monthEnd(card.ValidFrom, 11)
		noEnd := 0
		switch obj {
		case "CC":
			noEnd = 50
		case "BT":
			noEnd = 20
		case "HT":
			noEnd = 10
		}
		if r.IntN(100) < noEnd {
			card.ValidTo = verifier.Date{}
		}
		if p.age >= 18 && r.IntN(100) < 30 {
			card.FiveYearsSince = monthStart(g.now, r.IntN(120)-96)
		}
	}
	switch state {
	case StateExpired:
		card.ValidTo = monthEnd(g.now, -1-r.IntN(24))
		card.ValidFrom = monthStart(card.ValidTo, -11)
		card.FiveYearsSince = verifier.Date{}
	case StateRevoked:
		card.Status = verifier.CardRevoked
	case StateReduced:
		card.Status = verifier.CardReduced
		card.ReducedReason = reducedReasons.pick(r)
		if h>>8%8 == 0 {
			card.ReducedReason = "" // reported reduced without a reason: 120
		}
	case StateReplacedExpired, StateReplacedValid:
		old := card
		old.ObjectCode = previousObject(obj, p.age)
		old.BenefitLevel = objectLevel[old.ObjectCode]
		old.CardNo = oldCardNo(old.ObjectCode, hh.prov.code, bhxh)
		old.FiveYearsSince = verifier.Date{}
		card.CardNo = bhxh // the new card prints the 10-digit number
		if state == StateReplacedExpired {
			old.ValidTo = monthEnd(g.now, -1-r.IntN(12))
			old.ValidFrom = monthStart(old.ValidTo, -11)
			card.ValidFrom = monthStart(old.ValidTo, 1)
			card.ValidTo = monthEnd(card.ValidFrom, 11)
		} else {
			card.ValidFrom = monthStart(g.now, -r.IntN(6))
			card.ValidTo = monthEnd(card.ValidFrom, 11)
			old.ValidTo = monthEnd(g.now, r.IntN(6))
			old.ValidFrom = monthStart(old.ValidTo, -11)
		}
		old.ReplacedBy = card.CardNo
		g.cards = append(g.cards, old)
	}
	// Findings: the card as printed differs slightly from the population
	// record.
	switch x := r.IntN(1000); {
	case x < 15:
		card.FullName = nameVariant(r, card.FullName)
	case x < 25:
		card.DOB = dobVariant(r, card.DOB)
	case x < 27:
		if card.Gender == verifier.Male {
			card.Gender = verifier.Female
		} else {
			card.Gender = verifier.Male
		}
	}
	g.cards = append(g.cards, card)
}

// insurerOffice is the code of the province's social-insurance office
// that manages a card (the gateway's cqBHXH): the province's two digits and
// "01".
func insurerOffice(prov int) string {
	return string([]byte{byte('0' + prov/10), byte('0' + prov%10), '0', '1'})
}

// previousObject is the object group of the card a new card replaced:
// pupils become students or employees, employees retire, or the same group
// was simply reissued with the new 10-digit number.
func previousObject(obj string, age int) string {
	switch {
	case (obj == "SV" || obj == "DN" || obj == "GD") && age <= 24:
		return "HS"
	case obj == "HT":
		return "DN"
	case obj == "BT" && age < 85:
		return "HT"
	}
	return obj
}

// oldCardNo returns the 15-character code XX Y ZZ NNNNNNNNNN.
func oldCardNo(obj string, prov int, bhxh string) string {
	b := make([]byte, 0, 15)
	b = append(b, obj...)
	b = append(b, byte('0'+objectLevel[obj]))
	b = append2(b, prov)
	b = append(b, bhxh...)
	return string(b)
}

// dobVariant returns a date of birth that differs from d the way printed
// cards do: day and month exchanged, a day off, or a year off.
func dobVariant(r *rand.Rand, d verifier.Date) verifier.Date {
	if d.Full() && r.IntN(10) < 7 {
		if d.Day <= 12 && d.Day != d.Month && r.IntN(2) == 0 {
			return verifier.Date{Year: d.Year, Month: d.Day, Day: d.Month}
		}
		return fromDayNum(dayNum(d) + 1 - 2*r.IntN(2))
	}
	d.Year += 1 - 2*r.IntN(2)
	if d.Month == 2 && d.Day == 29 && !isLeap(d.Year) {
		d.Day = 28
	}
	return d
}
