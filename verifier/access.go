package verifier

import "time"

// AccessEntry records that a hospital system or an auditor read a
// citizen's data: who (the API key's name, never its token), when, through
// which endpoint, and whose data, as the citizen ID's keyed pseudonym, so
// the log itself does not reveal who was looked up.
type AccessEntry struct {
	At       time.Time `json:"at"`
	Key      string    `json:"key"`
	Role     string    `json:"role"` // the key's role: "his" or "auditor"
	Facility string    `json:"facility,omitempty"`
	Action   string    `json:"action"` // method and route template
	Subject  string    `json:"subject"`
	Status   int       `json:"status"`
}

// AccessQuery selects access entries: a time range (inclusive from,
// exclusive to), and optionally one subject pseudonym and one key name.
type AccessQuery struct {
	From, To time.Time
	Subject  string
	Key      string
	Limit    int
}

// FilterAccess returns the entries that match q, oldest first, at most
// q.Limit of them. Stores that keep entries by day use it on each day.
func FilterAccess(entries []AccessEntry, q AccessQuery) []AccessEntry {
	var out []AccessEntry
	for _, e := range entries {
		if e.At.Before(q.From) || !e.At.Before(q.To) || q.Subject != "" && e.Subject != q.Subject || q.Key != "" && e.Key != q.Key {
			continue
		}
		out = append(out, e)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out
}
