package verifier

import (
	"slices"
	"testing"
)

func TestPriorityOf(t *testing.T) {
	r := DefaultPriorityRules()
	on := Date{2026, 3, 9}
	for _, tc := range []struct {
		vt     VisitType
		dob    Date
		chosen []string
		want   []string
	}{
		{Outpatient, Date{1995, 3, 14}, nil, nil},
		{Emergency, Date{1995, 3, 14}, nil, []string{"emergency"}},
		{Outpatient, Date{2020, 3, 10}, nil, []string{"child"}},  // 5 until tomorrow
		{Outpatient, Date{2020, 3, 9}, nil, nil},                 // 6 today
		{Outpatient, Date{1951, 3, 9}, nil, []string{"elderly"}}, // 75 today
		{Outpatient, Date{1951, 3, 10}, nil, nil},
		{Outpatient, Date{Year: 1940}, []string{"disability", "pregnant"}, []string{"pregnant", "disability", "elderly"}},
		{Emergency, Date{}, []string{"emergency"}, []string{"emergency"}}, // no birth date: no age group
		{Referral, Date{2024, 1, 1}, []string{"pregnant"}, []string{"child", "pregnant"}},
	} {
		if got := r.Of(tc.vt, tc.dob, on, tc.chosen); !slices.Equal(got, tc.want) {
			t.Errorf("Of(%s, %s, %v) = %v, want %v", tc.vt, tc.dob, tc.chosen, got, tc.want)
		}
	}
	if err := r.Check([]string{"pregnant", "vip"}); AsError(err).Code != "invalid_priority" {
		t.Errorf("Check(vip) = %v", err)
	}
	if got := r.Chosen([]string{"emergency", "pregnant", "elderly", "disability"}); !slices.Equal(got, []string{"pregnant", "disability"}) {
		t.Errorf("Chosen = %v", got)
	}
}
