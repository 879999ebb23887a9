package redisledger

// Every key name of the package is written here, by appendKey (the layout
// is in the package comment): the string functions below serve every
// command, and newRecordArgs appends the record script's keys into one
// buffer with the same appenders, so a key is never spelt twice.

// appendKey appends P{<tag><id>}<kind><arg>: the part in braces is the
// Redis Cluster hash tag, which decides the key's slot.
func (l *Ledger) appendKey(b []byte, tag, id, kind, arg string) []byte {
	b = append(b, l.o.KeyPrefix...)
	b = append(b, '{')
	b = append(b, tag...)
	b = append(b, id...)
	b = append(b, '}')
	b = append(b, kind...)
	return append(b, arg...)
}

// The citizen's keys, under the hash tag of their pseudonym.
func (l *Ledger) appendWindowKey(b []byte, ps, day string) []byte {
	return l.appendKey(b, "", ps, ":w:", day)
}
func (l *Ledger) appendGroupKey(b []byte, ps, day string) []byte {
	return l.appendKey(b, "", ps, ":g:", day)
}
func (l *Ledger) appendGroupDaysKey(b []byte, ps string) []byte {
	return l.appendKey(b, "", ps, ":gd", "")
}
func (l *Ledger) appendAliasKey(b []byte, ps, day string) []byte {
	return l.appendKey(b, "", ps, ":a:", day)
}

// A facility's ticket counter of a day, and a check-in's index entry: each
// in a slot of its own.
func (l *Ledger) appendTicketKey(b []byte, fac, day string) []byte {
	return l.appendKey(b, "t:", fac, ":", day)
}
func (l *Ledger) appendCheckinKey(b []byte, id string) []byte {
	return l.appendKey(b, "c:", id, "", "")
}

func (l *Ledger) windowKey(ps, day string) string  { return string(l.appendWindowKey(nil, ps, day)) }
func (l *Ledger) groupKey(ps, day string) string   { return string(l.appendGroupKey(nil, ps, day)) }
func (l *Ledger) groupDaysKey(ps string) string    { return string(l.appendGroupDaysKey(nil, ps)) }
func (l *Ledger) aliasKey(ps, day string) string   { return string(l.appendAliasKey(nil, ps, day)) }
func (l *Ledger) ticketKey(fac, day string) string { return string(l.appendTicketKey(nil, fac, day)) }
func (l *Ledger) checkinKey(id string) string      { return string(l.appendCheckinKey(nil, id)) }
func (l *Ledger) lookupKey(ps, day string) string {
	return string(l.appendKey(nil, "", ps, ":k:", day))
}
func (l *Ledger) reviewKey(ps, day string) string {
	return string(l.appendKey(nil, "", ps, ":r:", day))
}

// The auditors' index of duplicate groups, under the hash tag {idx}; a
// group's member in it is "<pseudonym>:<day>".
func (l *Ledger) indexKey() string { return string(l.appendKey(nil, "idx", "", ":g", "")) }
func (l *Ledger) facilityKey(fac string) string {
	return string(l.appendKey(nil, "idx", "", ":f:", fac))
}
func (l *Ledger) seqKey() string        { return string(l.appendKey(nil, "idx", "", ":seq", "")) }
func indexMember(ps, day string) string { return ps + ":" + day }

// Claims: a facility's under its own hash tag, the day's facilities under
// {cl}.
func (l *Ledger) claimDayKey(fac, day string) string {
	return string(l.appendKey(nil, "cf:", fac, ":d:", day))
}
func (l *Ledger) claimFiledKey(fac, lk string) string {
	return string(l.appendKey(nil, "cf:", fac, ":k:", lk))
}
func (l *Ledger) claimFacilitiesKey(day string) string {
	return string(l.appendKey(nil, "cl", "", ":df:", day))
}
