package verifier

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Date is a calendar date that may be partial: ID cards of people whose
// exact birth date was never registered carry only a month and year, or a
// year. Month and Day are 0 when unknown; a Date with Year 0 is unknown.
type Date struct {
	Year, Month, Day int
}

// ParseDate parses "YYYY-MM-DD", "YYYY-MM" or "YYYY" (the data files' form).
func ParseDate(s string) (Date, error) {
	var d Date
	var err error
	switch len(s) {
	case 10:
		if s[4] != '-' || s[7] != '-' {
			return Date{}, badDate(s)
		}
		d.Year, err = atoiN(s[:4])
		if err == nil {
			d.Month, err = atoiN(s[5:7])
		}
		if err == nil {
			d.Day, err = atoiN(s[8:])
		}
	case 7:
		if s[4] != '-' {
			return Date{}, badDate(s)
		}
		d.Year, err = atoiN(s[:4])
		if err == nil {
			d.Month, err = atoiN(s[5:])
		}
	case 4:
		d.Year, err = atoiN(s)
	default:
		return Date{}, badDate(s)
	}
	if err != nil || !d.Valid() {
		return Date{}, badDate(s)
	}
	return d, nil
}

// NewDate returns the full date of t in t's location.
func NewDate(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, int(m), d}
}

// Valid reports whether d is a real (possibly partial) calendar date.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 0 || d.Month > 12 || d.Day < 0 {
		return false
	}
	if d.Month == 0 {
		return d.Day == 0
	}
	if d.Day == 0 {
		return true
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

// daysIn returns the days of a month of the proleptic Gregorian calendar
// (what time.Date counts), without building a time: every scan checks
// two or three dates.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d.Year == 0 }

// Full reports whether year, month and day are all known.
func (d Date) Full() bool { return d.Year != 0 && d.Month != 0 && d.Day != 0 }

// String formats d as "YYYY-MM-DD", "YYYY-MM" or "YYYY"; "" when unknown.
func (d Date) String() string {
	if d.Year == 0 {
		return ""
	}
	// By hand rather than with fmt: every check-in answer writes a few.
	var b [10]byte
	out := appendPadded(b[:0], d.Year, 4)
	if d.Month != 0 {
		out = appendPadded(append(out, '-'), d.Month, 2)
		if d.Day != 0 {
			out = appendPadded(append(out, '-'), d.Day, 2)
		}
	}
	return string(out)
}

// appendPadded appends n in decimal with at least width digits, as
// fmt's %0*d does (a sign first when negative).
func appendPadded(dst []byte, n, width int) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
		width--
	}
	var digits [20]byte
	s := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// Compatible reports whether two possibly partial dates can denote the same
// day: every part known on both sides is equal.
func (d Date) Compatible(o Date) bool {
	if d.Year != o.Year {
		return false
	}
	if d.Month != 0 && o.Month != 0 && d.Month != o.Month {
		return false
	}
	return d.Day == 0 || o.Day == 0 || d.Day == o.Day
}

// Before reports whether d is before o; both must be full dates.
func (d Date) Before(o Date) bool {
	return d.Year < o.Year || d.Year == o.Year && (d.Month < o.Month || d.Month == o.Month && d.Day < o.Day)
}

// Time returns midnight of a full date in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, loc)
}

// AgeOn returns the completed years between a (possibly partial) birth date
// and a full date; unknown parts count as the start of the year or month.
func (d Date) AgeOn(on Date) int {
	m, dd := max(d.Month, 1), max(d.Day, 1)
	age := on.Year - d.Year
	if on.Month < m || on.Month == m && on.Day < dd {
		age--
	}
	return age
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the unknown date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func badDate(s string) error {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return Errorf(KindUnprocessable, "invalid_date", "%q is not a date (want YYYY-MM-DD, YYYY-MM or YYYY)", s)
}

func atoiN(s string) (int, error) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a number")
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, nil
}

func sortStrings(s []string) { slices.Sort(s) }

// AddDays returns the full date n days after d (before, for n < 0).
func (d Date) AddDays(n int) Date { return NewDate(d.Time(time.UTC).AddDate(0, 0, n)) }
