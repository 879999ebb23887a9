package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimxml"
	"github.com/vnhealth/cccd-checkin/verifier/demodata"
)

// claimGenStats counts what writeClaims planted, so that a run says what
// the findings should show.
type claimGenStats struct {
	Files, Claims, Resubmitted       int
	MultiFacility, SameFacility      int
	RefillSameDay, CardOnly, Refills int
}

func (s claimGenStats) String() string {
	return fmt.Sprintf("files=%d claims=%d resubmitted=%d planted: multi_facility_same_day=%d same_facility_same_day=%d refill_same_day(not a finding)=%d card_only=%d",
		s.Files, s.Claims, s.Resubmitted, s.MultiFacility, s.SameFacility, s.RefillSameDay, s.CardOnly)
}

// writeClaims writes Decision 130 claim files for the data set opt
// describes into dir/claims: one file per facility (claims-FACILITY.xml)
// plus resubmissions.xml, n claims in all over the days days before today.
// The same options write the same files. Planted among ordinary
// examinations: citizens examined at two facilities on one day, twice at
// one facility, an examination and a drug refill (07, not a finding) on
// one day, claims naming only the card (matched through the registry), and
// claims sent twice (the second replaces the first).
func writeClaims(dir string, opt demodata.Options, n, days int) (claimGenStats, error) {
	opt = opt.WithDefaults()
	var st claimGenStats
	out := filepath.Join(dir, "claims")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return st, err
	}
	facs := demodata.GenerateFacilities(opt.Facilities, opt.Seed)
	r := rand.New(rand.NewPCG(uint64(opt.Seed), 0x636c61696d73))
	type open struct {
		f *os.File
		w *claimxml.Writer
	}
	writers := map[string]*open{}
	writer := func(name, fac string) (*claimxml.Writer, error) {
		if o := writers[name]; o != nil {
			return o.w, nil
		}
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			return nil, err
		}
		o := &open{f: f, w: claimxml.NewWriter(f, fac)}
		writers[name] = o
		return o.w, nil
	}
	today := opt.Now.Time(time.UTC)
	seq := 0
	emit := func(c verifier.Claim, cardOnly bool) error {
		seq++
		c.MaLK = fmt.Sprintf("%s%s%06d", c.Facility, c.NgayVao[:8], seq)
		c.MaBN = "BN" + strconv.Itoa(100000+seq)
		f := claimxml.Fields(c)
		if cardOnly {
			delete(f, "SO_CCCD")
		}
		w, err := writer("claims-"+c.Facility+".xml", c.Facility)
		if err != nil {
			return err
		}
		extra := ""
		if seq%3 == 0 {
			extra = "XML2" // a drug table beside the summary, skipped by the importer
		}
		if err := w.Add(f, "", extra); err != nil {
			return err
		}
		st.Claims++
		if seq%97 == 0 {
			// Sent again, corrected: the import replaces the first one.
			f["T_BHTT"] = string(c.TBHTT) + ".5"
			rw, err := writer("resubmissions.xml", "")
			if err != nil {
				return err
			}
			if err := rw.Add(f, "", ""); err != nil {
				return err
			}
			st.Resubmitted++
		}
		return nil
	}
	claim := func(cz *verifier.Citizen, card *verifier.Card, fac string, day time.Time, loai string) verifier.Claim {
		at := day.Add(time.Duration(6*60+r.IntN(10*60)) * time.Minute)
		ra := at.Add(time.Duration(20+r.IntN(120)) * time.Minute)
		if loai == "07" || loai == "02" {
			ra = time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 0, 0, time.UTC).AddDate(0, 0, 29)
		}
		total := 50_000 + r.IntN(40)*10_000
		paid := total * 80 / 100
		c := verifier.Claim{
			Facility: fac, SoCCCD: cz.ID, FullName: cz.FullName, DOB: cz.DOB.Time(time.UTC).Format("200601020000"),
			Gender:    map[verifier.Gender]string{verifier.Male: "1", verifier.Female: "2"}[cz.Gender],
			MaLoaiKCB: loai, NgayVao: at.Format(verifier.ClaimTimeLayout), NgayRa: ra.Format(verifier.ClaimTimeLayout),
			MaKhoa: "K01", TTongChi: verifier.Amount(strconv.Itoa(total)), TBHTT: verifier.Amount(strconv.Itoa(paid)),
			TBNCCT: verifier.Amount(strconv.Itoa(total - paid)),
		}
		if card != nil {
			c.CardNo = card.CardNo
		}
		return c
	}
	otherFac := func(not string) string {
		for {
			if f := facs[r.IntN(len(facs))].Code; f != not {
				return f
			}
		}
	}
	errDone := fmt.Errorf("done")
	err := demodata.Stream(opt, func(cz *verifier.Citizen, cards []verifier.Card) error {
		if st.Claims >= n {
			return errDone
		}
		if len(cards) == 0 || r.IntN(3) != 0 {
			return nil // a third of the insured have a claim in the period
		}
		card := &cards[len(cards)-1]
		day := today.AddDate(0, 0, -1-r.IntN(days))
		home := card.RegisteredFacility
		if home == "" {
			home = facs[0].Code
		}
		switch p := r.IntN(100); {
		case p < 4:
			st.MultiFacility++
			if err := emit(claim(cz, card, home, day, "01"), false); err != nil {
				return err
			}
			return emit(claim(cz, card, otherFac(home), day, "01"), false)
		case p < 6:
			st.SameFacility++
			if err := emit(claim(cz, card, home, day, "01"), false); err != nil {
				return err
			}
			return emit(claim(cz, card, home, day, "01"), false)
		case p < 8:
			st.RefillSameDay++
			if err := emit(claim(cz, card, home, day, "01"), false); err != nil {
				return err
			}
			return emit(claim(cz, card, otherFac(home), day, "07"), false)
		case p < 10:
			st.CardOnly++
			return emit(claim(cz, card, home, day, "01"), true)
		case p < 15:
			st.Refills++
			return emit(claim(cz, card, home, day, []string{"07", "02"}[r.IntN(2)]), false)
		}
		return emit(claim(cz, card, home, day, "01"), false)
	})
	if err != nil && err != errDone {
		return st, err
	}
	for _, o := range writers {
		if cerr := o.w.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if cerr := o.f.Close(); cerr != nil && err == nil {
			err = cerr
		}
		st.Files++
	}
	if err == errDone {
		err = nil
	}
	return st, err
}
