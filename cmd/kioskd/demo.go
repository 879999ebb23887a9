package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vnhealth/cccd-checkin/kiosk"
	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// The demo's two desks: the provincial hospital (where a self-referred
// outpatient is covered at 0%) and the district centre of the same
// province, a few kilometres apart (docs/domain.md §7, §11).
const (
	demoFacilityA = "08001"
	demoFacilityB = "08002"
)

// demoCase is a citizen of the demo data that shows one answer of the desk.
type demoCase struct {
	Kind      string             // valid, same_day, self_referred, expired, reduced, cancelled
	CitizenID verifier.CitizenID // the ID to type or send
	Facility  string             // the desk to check in at
	What      string             // what it shows, for the person trying it
}

// printDemoDesks prints, in demo mode, a kiosk token for a desk at a second
// facility (added to keys) and a handful of citizens of the generated data
// with what each shows, so that every interesting answer can be tried in a
// minute. The demo's first kiosk key (tokens) acts for demoFacilityA.
func printDemoDesks(w io.Writer, keys *kiosk.Keys, tokens map[kiosk.Role]string, reg *inmem.Registry, svc *verifier.Service) {
	if reg == nil || tokens == nil {
		return
	}
	ctx := context.Background()
	a, errA := reg.Facility(ctx, demoFacilityA)
	b, errB := reg.Facility(ctx, demoFacilityB)
	if errA != nil || errB != nil {
		return // another data set: the first desk is all there is
	}
	tokB := keys.AddDemoKey("demo-kiosk-"+demoFacilityB, kiosk.RoleKiosk, demoFacilityB)
	fmt.Fprintf(w, "desks (kiosk tokens: paste one in the kiosk page's settings):\n")
	fmt.Fprintf(w, "  %s %s: %s\n", a.Code, a.Name, tokens[kiosk.RoleKiosk])
	fmt.Fprintf(w, "  %s %s: %s\n", b.Code, b.Name, tokB)
	cases := findDemoCases(ctx, svc, reg, a, b)
	if len(cases) == 0 {
		return
	}
	fmt.Fprintf(w, "citizens to try (type the ID at the desk, or POST it as citizen_id):\n")
	for _, c := range cases {
		// Demo data: the IDs are printed in full (CitizenID masks itself).
		fmt.Fprintf(w, "  [%s] %s  %s\n", c.Kind, string(c.CitizenID), c.What)
	}
}

// findDemoCases walks the data set for one citizen of each case, as the
// service itself answers them (outpatient at a, unless said otherwise);
// a case the data set has no citizen for is left out.
func findDemoCases(ctx context.Context, svc *verifier.Service, reg *inmem.Registry, a, b verifier.Facility) []demoCase {
	found := map[string]demoCase{}
	used := map[verifier.CitizenID]bool{}
	add := func(c demoCase, holder verifier.CitizenID) {
		if _, ok := found[c.Kind]; !ok && !used[holder] {
			found[c.Kind], used[holder] = c, true
		}
	}
	order := []string{"valid", "same_day", "self_referred", "expired", "reduced", "cancelled"}
	n, _, _ := reg.Counts()
	for i := 0; i < n && len(found) < len(order); i++ {
		c := reg.CitizenAt(i)
		if !c.DeceasedOn.IsZero() {
			continue
		}
		if len(c.CancelledIDs) > 0 {
			if e, err := svc.Eligibility(ctx, verifier.EligibilityRequest{CitizenID: c.CancelledIDs[0], Facility: a.Code}); err == nil && e.CurrentCitizenID == c.ID {
				add(demoCase{Kind: "cancelled", CitizenID: c.CancelledIDs[0], Facility: a.Code,
					What: fmt.Sprintf("a cancelled ID at %s: the check-in finds the person's current ID %s and says a cancelled one was presented", a.Code, string(c.ID))}, c.ID)
			}
			continue
		}
		e, err := svc.Eligibility(ctx, verifier.EligibilityRequest{CitizenID: c.ID, Facility: a.Code})
		if err != nil {
			continue
		}
		switch {
		case e.Code == verifier.CodeExpired:
			add(demoCase{Kind: "expired", CitizenID: c.ID, Facility: a.Code, What: fmt.Sprintf("at %s: expired card (%s)", a.Code, e.Code)}, c.ID)
		case strings.HasPrefix(e.Code, "12"):
			add(demoCase{Kind: "reduced", CitizenID: c.ID, Facility: a.Code, What: fmt.Sprintf("at %s: card reported reduced (%s: %s)", a.Code, e.Code, e.MessageEN)}, c.ID)
		case e.Status != verifier.Eligible:
		case e.Route == verifier.RouteSelfReferred && e.CoveragePercent == 0:
			r, err := svc.Eligibility(ctx, verifier.EligibilityRequest{CitizenID: c.ID, Facility: a.Code, VisitType: verifier.Referral})
			if err == nil && r.CoveragePercent == 95 {
				add(demoCase{Kind: "self_referred", CitizenID: c.ID, Facility: a.Code,
					What: fmt.Sprintf("at %s as outpatient: a valid card, 0%% (self-referred at a %s hospital); change the visit type to referral: 95%%", a.Code, a.Level)}, c.ID)
				continue
			}
			add(demoCase{Kind: "same_day", CitizenID: c.ID, Facility: a.Code,
				What: fmt.Sprintf("check in at %s, then at %s: the same-day warning (acknowledge it with a reason)", a.Code, b.Code)}, c.ID)
		default:
			for _, f := range []verifier.Facility{a, b} {
				v, err := svc.Eligibility(ctx, verifier.EligibilityRequest{CitizenID: c.ID, Facility: f.Code})
				if err == nil && v.Status == verifier.Eligible && v.Route == verifier.RouteCorrect && v.CoveragePercent > 0 {
					add(demoCase{Kind: "valid", CitizenID: c.ID, Facility: f.Code,
						What: fmt.Sprintf("at %s: a valid card on the correct route (registered there), covered %d%%", f.Code, v.CoveragePercent)}, c.ID)
					break
				}
			}
		}
	}
	var out []demoCase
	for _, k := range order {
		if c, ok := found[k]; ok {
			out = append(out, c)
		}
	}
	return out
}
