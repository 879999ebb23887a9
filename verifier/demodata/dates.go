package demodata

import (
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// vnZone is Vietnam's civil time: UTC+7 all year, no daylight saving, so a
// fixed zone is exact and needs no time-zone database.
var vnZone = time.FixedZone("ICT", 7*3600)

// Today returns today's date in Vietnam, the default Options.Now.
func Today() verifier.Date { return verifier.NewDate(time.Now().In(vnZone)) }

// dayNum returns the days since 1970-01-01 of a full date (proleptic
// Gregorian; Howard Hinnant's days_from_civil). Missing month or day count
// as 1.
func dayNum(d verifier.Date) int {
	y, m, dd := d.Year, max(d.Month, 1), max(d.Day, 1)
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + dd - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// fromDayNum is the inverse of dayNum.
func fromDayNum(z int) verifier.Date {
	z += 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return verifier.Date{Year: y, Month: m, Day: d}
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// monthStart returns the first day of the month that is k months after
// d's month (k may be negative).
func monthStart(d verifier.Date, k int) verifier.Date {
	m := d.Year*12 + (d.Month - 1) + k
	return verifier.Date{Year: m / 12, Month: m%12 + 1, Day: 1}
}

// monthEnd returns the last day of the month that is k months after d's month.
func monthEnd(d verifier.Date, k int) verifier.Date {
	s := monthStart(d, k)
	s.Day = daysIn(s.Year, s.Month)
	return s
}

// appendDate appends d as the data files write it: YYYY-MM-DD, YYYY-MM or
// YYYY.
func appendDate(b []byte, d verifier.Date) []byte {
	if d.Year == 0 {
		return b
	}
	b = append4(b, d.Year)
	if d.Month == 0 {
		return b
	}
	b = append(b, '-')
	b = append2(b, d.Month)
	if d.Day == 0 {
		return b
	}
	b = append(b, '-')
	return append2(b, d.Day)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10%10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendPadded appends n as exactly w decimal digits (n < 10^w).
func appendPadded(b []byte, n uint64, w int) []byte {
	var buf [20]byte
	for i := w - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[:w]...)
}
