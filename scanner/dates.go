package scanner

import "github.com/vnhealth/cccd-checkin/verifier"

// parseCompactDate parses the CCCD QR's dates: "ddMMyyyy", or the partial
// "MMyyyy" and "yyyy" that cards of people whose exact birth date was never
// registered carry. A day or month written as "00" means unknown, which is
// how some registries print a partial date in the full-width slot. The
// separators "/", "-" and "." are ignored so that a scanner or clerk that
// formatted the date does not make it unreadable.
func parseCompactDate(s string) (verifier.Date, bool) {
	var digits [8]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(digits) {
				return verifier.Date{}, false
			}
			digits[n] = c
			n++
		case c == '/' || c == '-' || c == '.':
		default:
			return verifier.Date{}, false
		}
	}
	d := digits[:n]
	var out verifier.Date
	switch n {
	case 8:
		out = verifier.Date{Day: num(d[0:2]), Month: num(d[2:4]), Year: num(d[4:8])}
	case 6:
		out = verifier.Date{Month: num(d[0:2]), Year: num(d[2:6])}
	case 4:
		out = verifier.Date{Year: num(d[0:4])}
	default:
		return verifier.Date{}, false
	}
	// A year before 1000 is a misread, not a partial date.
	if out.Year < 1000 || !out.Valid() {
		return verifier.Date{}, false
	}
	return out, true
}

// parseSlashDate parses the insurance card's dates: "dd/MM/yyyy", "MM/yyyy"
// or "yyyy". Day and month may have one digit; "00" means unknown.
func parseSlashDate(s string) (verifier.Date, bool) {
	var parts [3]int
	n := 0
	width := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			if width == 0 {
				return verifier.Date{}, false
			}
			n++
			width = 0
			if i < len(s) && n == len(parts) { // a fourth part
				return verifier.Date{}, false
			}
			continue
		}
		c := s[i]
		if c < '0' || c > '9' || width == 4 {
			return verifier.Date{}, false
		}
		parts[n] = parts[n]*10 + int(c-'0')
		width++
	}
	var out verifier.Date
	switch n {
	case 3:
		out = verifier.Date{Day: parts[0], Month: parts[1], Year: parts[2]}
	case 2:
		out = verifier.Date{Month: parts[0], Year: parts[1]}
	case 1:
		out = verifier.Date{Year: parts[0]}
	default:
		return verifier.Date{}, false
	}
	// A year needs four digits: "29/03/88" is ambiguous and refused.
	if out.Year < 1000 || !out.Valid() {
		return verifier.Date{}, false
	}
	return out, true
}

func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}
