package inmem

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Ledger is the same-day visit window and the record of duplicate groups,
// held in process memory: the ledger of the demo and of a single-desk
// deployment (one process). It is safe for concurrent use. Citizens are
// spread over shards, each with its own mutex, so check-ins of different
// citizens rarely wait for each other; Record is atomic per citizen.
//
// A citizen's window for a day is forgotten at its Recording.ExpireAt; a
// duplicate group is kept until ExpireAt plus the retention (default 400
// days). Expired entries are swept lazily, at most once a minute per shard.
type Ledger struct {
	now       func() time.Time
	retention time.Duration
	seed      maphash.Seed
	shards    []ledgerShard

	// groups is the cross-citizen index of duplicate groups. Lock order:
	// a shard's mu, then groups.mu.
	groups struct {
		mu        sync.Mutex
		seq       uint64
		byDay     map[string][]*ledgerGroup // ordered by seq
		days      []string                  // sorted keys of byDay
		nextSweep time.Time
	}

	// refs finds a visit by check-in ID (Checkin). An entry lives as long
	// as the visit it names: it is forgotten with the last of the day's
	// window and group. Lock order: a shard's mu, then refs.mu.
	refs struct {
		mu sync.Mutex
		m  map[string]checkinRef
	}

	// tickets numbers new visits per facility and local day.
	tickets struct {
		mu   sync.Mutex
		next map[string]int // facility + " " + day → last number given
	}
}

var _ verifier.Ledger = (*Ledger)(nil)

// LedgerOption configures a Ledger.
type LedgerOption func(*Ledger)

// WithLedgerClock sets the clock that decides when windows and groups have
// expired (default time.Now).
func WithLedgerClock(now func() time.Time) LedgerOption {
	return func(l *Ledger) { l.now = now }
}

// WithLedgerRetention sets how long duplicate groups are kept after their
// window expired (default 400 days).
func WithLedgerRetention(d time.Duration) LedgerOption {
	return func(l *Ledger) { l.retention = d }
}

// WithLedgerShards sets the number of citizen shards (default 64).
func WithLedgerShards(n int) LedgerOption {
	return func(l *Ledger) {
		if n > 0 {
			l.shards = make([]ledgerShard, n)
		}
	}
}

// DefaultRetention is how long a duplicate group is kept by default.
const DefaultRetention = 400 * 24 * time.Hour

const ledgerSweepEvery = time.Minute

// NewLedger returns an empty ledger.
func NewLedger(opts ...LedgerOption) *Ledger {
	l := &Ledger{now: time.Now, retention: DefaultRetention, seed: maphash.MakeSeed()}
	for _, o := range opts {
		o(l)
	}
	if l.shards == nil {
		l.shards = make([]ledgerShard, 64)
	}
	for i := range l.shards {
		l.shards[i].citizens = map[verifier.CitizenID]*ledgerCitizen{}
	}
	l.groups.byDay = map[string][]*ledgerGroup{}
	l.tickets.next = map[string]int{}
	l.refs.m = map[string]checkinRef{}
	return l
}

// checkinRef is where a check-in ID's visit is kept: the citizen's day and
// the ID the visit is stored under (another one for a re-scan merged into
// an earlier visit).
type checkinRef struct {
	citizen verifier.CitizenID
	day     string
	target  string
}

type ledgerShard struct {
	mu        sync.Mutex
	citizens  map[verifier.CitizenID]*ledgerCitizen
	nextSweep time.Time
	_         [64]byte // keep shards' mutexes on separate cache lines
}

type ledgerCitizen struct {
	windows map[string]*ledgerWindow // by local day
	groups  map[string]*ledgerGroup  // by local day
	// aliases are the check-in IDs of re-scans merged into an earlier
	// visit, by local day: forgotten with that day's visits.
	aliases map[string][]string
}

type ledgerWindow struct {
	visits   []verifier.Visit // in arrival order
	expireAt time.Time
}

// ledgerGroup is written with both its citizen's shard lock and groups.mu
// held, so either lock is enough to read it.
type ledgerGroup struct {
	seq      uint64
	citizen  verifier.CitizenID
	day      string
	name     string // as when the group was first flagged
	visits   []verifier.Visit
	expireAt time.Time
	review   *verifier.Review // the auditor's, see review.go
}

func (l *Ledger) shard(id verifier.CitizenID) *ledgerShard {
	return &l.shards[maphash.String(l.seed, string(id))%uint64(len(l.shards))]
}

// Record implements verifier.Ledger.
func (l *Ledger) Record(_ context.Context, r verifier.Recording) (verifier.Recorded, error) {
	if err := r.Validate(); err != nil {
		return verifier.Recorded{}, err
	}
	v := r.Visit
	now := l.now()
	s := l.shard(v.CitizenID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(l, now)

	c := s.citizens[v.CitizenID]
	if c == nil {
		c = &ledgerCitizen{windows: map[string]*ledgerWindow{}, groups: map[string]*ledgerGroup{}}
		s.citizens[v.CitizenID] = c
	}
	l.expireDay(c, v.Day, now)
	w, g := c.windows[v.Day], c.groups[v.Day]

	if w != nil {
		// A check-in ID already merged into a visit answers that visit
		// again (a replay, a retry), whatever was recorded since.
		target := v.CheckinID
		if ref, ok := l.ref(v.CheckinID); ok && ref.citizen == v.CitizenID && ref.day == v.Day {
			target = ref.target
		}
		if i := repeatOf(w.visits, v, target, r.RepeatWithin); i >= 0 {
			stored := w.visits[i]
			if stored.CheckinID != v.CheckinID && !slices.Contains(c.aliases[v.Day], v.CheckinID) {
				if c.aliases == nil {
					c.aliases = map[string][]string{}
				}
				c.aliases[v.Day] = append(c.aliases[v.Day], v.CheckinID)
				l.setRef(v.CheckinID, checkinRef{citizen: v.CitizenID, day: v.Day, target: stored.CheckinID})
			}
			return verifier.Recorded{Visit: stored, Repeat: true, Others: othersOf(w.visits, stored.Facility)}, nil
		}
	}

	if w == nil {
		w = &ledgerWindow{expireAt: r.ExpireAt}
		if r.ExpireAt.After(now) {
			c.windows[v.Day] = w
		}
	} else if r.ExpireAt.After(w.expireAt) {
		w.expireAt = r.ExpireAt
	}
	v.Ticket = l.nextTicket(v.Facility, v.Day, now)
	w.visits = append(w.visits, v)
	others := othersOf(w.visits, v.Facility)

	if g != nil || len(others) > 0 {
		expire := r.ExpireAt.Add(l.retention)
		l.groups.mu.Lock()
		if g == nil {
			l.groups.seq++
			g = &ledgerGroup{seq: l.groups.seq, citizen: v.CitizenID, day: v.Day, name: r.FullName, visits: slices.Clone(w.visits), expireAt: expire}
			if _, ok := l.groups.byDay[v.Day]; !ok {
				i, _ := slices.BinarySearch(l.groups.days, v.Day)
				l.groups.days = slices.Insert(l.groups.days, i, v.Day)
			}
			l.groups.byDay[v.Day] = append(l.groups.byDay[v.Day], g)
			c.groups[v.Day] = g
		} else {
			g.visits = append(g.visits, v)
			if expire.After(g.expireAt) {
				g.expireAt = expire
			}
		}
		l.groups.mu.Unlock()
	}
	if c.windows[v.Day] != nil || g != nil {
		l.setRef(v.CheckinID, checkinRef{citizen: v.CitizenID, day: v.Day, target: v.CheckinID})
	}
	if len(c.windows) == 0 && len(c.groups) == 0 {
		delete(s.citizens, v.CitizenID)
	}
	return verifier.Recorded{Visit: v, Others: others}, nil
}

func (l *Ledger) ref(id string) (checkinRef, bool) {
	l.refs.mu.Lock()
	defer l.refs.mu.Unlock()
	r, ok := l.refs.m[id]
	return r, ok
}

func (l *Ledger) setRef(id string, r checkinRef) {
	l.refs.mu.Lock()
	l.refs.m[id] = r
	l.refs.mu.Unlock()
}

// expireDay forgets the citizen's window and group of day once expired,
// and the check-in IDs that named their visits with the last of the two.
// The caller holds the citizen's shard lock.
func (l *Ledger) expireDay(c *ledgerCitizen, day string, now time.Time) {
	w, g := c.windows[day], c.groups[day]
	var gone []verifier.Visit
	if w != nil && !w.expireAt.After(now) {
		delete(c.windows, day)
		gone = append(gone, w.visits...)
		w = nil
	}
	if g != nil && !g.expireAt.After(now) {
		delete(c.groups, day)
		gone = append(gone, g.visits...)
		g = nil
	}
	if w != nil || g != nil {
		return // the IDs still name a kept visit (a group holds its window's visits)
	}
	if len(gone) == 0 && len(c.aliases[day]) == 0 {
		return
	}
	l.refs.mu.Lock()
	for _, v := range gone {
		delete(l.refs.m, v.CheckinID)
	}
	for _, id := range c.aliases[day] {
		delete(l.refs.m, id)
	}
	l.refs.mu.Unlock()
	delete(c.aliases, day)
}

// Checkin implements verifier.Ledger.
func (l *Ledger) Checkin(_ context.Context, checkinID string) (verifier.Visit, error) {
	var v verifier.Visit
	err := l.withVisit(checkinID, func(kept []*verifier.Visit) error {
		v = *kept[0]
		return nil
	})
	return v, err
}

// withVisit runs fn, under the citizen's shard lock, with the live copies
// of the visit a check-in ID names (window first, then group); none is
// ErrCheckinNotFound.
func (l *Ledger) withVisit(checkinID string, fn func(kept []*verifier.Visit) error) error {
	ref, ok := l.ref(checkinID)
	if !ok {
		return verifier.ErrCheckinNotFound()
	}
	now := l.now()
	s := l.shard(ref.citizen)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.citizens[ref.citizen]
	if c == nil {
		return verifier.ErrCheckinNotFound()
	}
	var kept []*verifier.Visit // the visit's copies: window, group
	find := func(vs []verifier.Visit) {
		if i := slices.IndexFunc(vs, func(v verifier.Visit) bool { return v.CheckinID == ref.target }); i >= 0 {
			kept = append(kept, &vs[i])
		}
	}
	if w := c.windows[ref.day]; w != nil && w.expireAt.After(now) {
		find(w.visits)
	}
	if g := c.groups[ref.day]; g != nil && g.expireAt.After(now) {
		find(g.visits)
	}
	if len(kept) == 0 {
		return verifier.ErrCheckinNotFound()
	}
	return fn(kept)
}

// Amend implements verifier.Ledger: the visit is changed where it is
// kept, in the day's window and in its duplicate group, under the
// citizen's shard lock (fn runs once).
func (l *Ledger) Amend(_ context.Context, checkinID string, fn func(*verifier.Visit) error) (verifier.Visit, error) {
	var a verifier.Visit
	err := l.withVisit(checkinID, func(kept []*verifier.Visit) error {
		var err error
		if a, err = verifier.AmendVisit(*kept[0], fn); err != nil {
			return err
		}
		// Written with groups.mu held too: Duplicates reads groups under
		// that lock alone.
		l.groups.mu.Lock()
		for _, v := range kept {
			*v = a
		}
		l.groups.mu.Unlock()
		return nil
	})
	if err != nil {
		return verifier.Visit{}, err
	}
	return a, nil
}

// nextTicket returns the next queue number of a facility's day. Days older
// than two days are forgotten when the map grows, which bounds it by the
// facilities of the last few days.
func (l *Ledger) nextTicket(facility, day string, now time.Time) int {
	l.tickets.mu.Lock()
	defer l.tickets.mu.Unlock()
	if len(l.tickets.next) > 10_000 {
		oldest := now.AddDate(0, 0, -3).Format(time.DateOnly)
		for k := range l.tickets.next {
			if k[len(k)-10:] < oldest {
				delete(l.tickets.next, k)
			}
		}
	}
	k := facility + " " + day
	l.tickets.next[k]++
	return l.tickets.next[k]
}

// repeatOf returns the index of the visit that v repeats, or -1: the visit
// stored under target (v's check-in ID, or the visit it was merged into
// before), or else the visit at v's facility closest in time to v and no
// further than within.
func repeatOf(visits []verifier.Visit, v verifier.Visit, target string, within time.Duration) int {
	if i := slices.IndexFunc(visits, func(o verifier.Visit) bool { return o.CheckinID == target }); i >= 0 {
		return i
	}
	best, bestD := -1, time.Duration(0)
	for i, o := range visits {
		if o.Facility != v.Facility {
			continue
		}
		d := o.At.Sub(v.At)
		if d < 0 {
			d = -d
		}
		if d <= within && (best < 0 || d < bestD) {
			best, bestD = i, d
		}
	}
	return best
}

// othersOf returns the visits not at facility, in time order.
func othersOf(visits []verifier.Visit, facility string) []verifier.Visit {
	var out []verifier.Visit
	for _, o := range visits {
		if o.Facility != facility {
			out = append(out, o)
		}
	}
	verifier.SortVisits(out)
	return out
}

// sweep forgets the shard's expired windows and groups, at most once per
// ledgerSweepEvery. The caller holds s.mu.
func (s *ledgerShard) sweep(l *Ledger, now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(ledgerSweepEvery)
	for id, c := range s.citizens {
		for day := range c.windows {
			l.expireDay(c, day, now)
		}
		for day := range c.groups {
			l.expireDay(c, day, now)
		}
		if len(c.windows) == 0 && len(c.groups) == 0 {
			delete(s.citizens, id)
		}
	}
}

// Visits implements verifier.Ledger: the visits of the citizen's unexpired
// window for day, together with those kept in the day's duplicate group.
func (l *Ledger) Visits(_ context.Context, id verifier.CitizenID, day string) ([]verifier.Visit, error) {
	now := l.now()
	s := l.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.citizens[id]
	if c == nil {
		return nil, nil
	}
	var out []verifier.Visit
	if w := c.windows[day]; w != nil && w.expireAt.After(now) {
		out = append(out, w.visits...)
	}
	if g := c.groups[day]; g != nil && g.expireAt.After(now) {
		for _, v := range g.visits {
			if !slices.ContainsFunc(out, func(o verifier.Visit) bool { return o.CheckinID == v.CheckinID }) {
				out = append(out, v)
			}
		}
	}
	verifier.SortVisits(out)
	return out, nil
}

// ledgerCursor is the position after the last group of a page.
type ledgerCursor struct {
	Day string `json:"d"`
	Seq uint64 `json:"q"`
}

// MaxDuplicatesLimit caps DuplicateQuery.Limit; DefaultDuplicatesLimit is
// used when it is 0.
const (
	DefaultDuplicatesLimit = 100
	MaxDuplicatesLimit     = 1000
)

// Duplicates implements verifier.Ledger. Groups are listed by day, then in
// the order they were first flagged; the cursor holds (day, sequence) of the
// last group returned, so groups flagged later never shift it. The query
// scans the groups of the requested days and filters them (cost linear in
// the groups of those days), which suits a single-desk ledger.
func (l *Ledger) Duplicates(_ context.Context, q verifier.DuplicateQuery) (verifier.DuplicatePage, error) {
	if err := checkLedgerDays(q.From, q.To); err != nil {
		return verifier.DuplicatePage{}, err
	}
	var cur ledgerCursor
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || json.Unmarshal(b, &cur) != nil || checkLedgerDays(cur.Day, "") != nil || cur.Day == "" {
			return verifier.DuplicatePage{}, verifier.Errorf(verifier.KindInvalid, "invalid_cursor", "the cursor is not one this server returned")
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultDuplicatesLimit
	}
	limit = min(limit, MaxDuplicatesLimit)
	now := l.now()

	l.groups.mu.Lock()
	defer l.groups.mu.Unlock()
	l.sweepGroups(now)
	start := max(q.From, cur.Day)
	i, _ := slices.BinarySearch(l.groups.days, start)
	var page verifier.DuplicatePage
	var last ledgerCursor
	for _, day := range l.groups.days[i:] {
		if q.To != "" && day > q.To {
			break
		}
		for _, g := range l.groups.byDay[day] {
			if day == cur.Day && g.seq <= cur.Seq {
				continue
			}
			if !g.expireAt.After(now) || q.Citizen != "" && g.citizen != q.Citizen ||
				q.Facility != "" && !slices.ContainsFunc(g.visits, func(v verifier.Visit) bool { return v.Facility == q.Facility }) {
				continue
			}
			if len(page.Items) == limit {
				b, _ := json.Marshal(last)
				page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
				return page, nil
			}
			visits := slices.Clone(g.visits)
			verifier.SortVisits(visits)
			var review *verifier.Review
			if g.review != nil {
				r := *g.review
				review = &r
			}
			page.Items = append(page.Items, verifier.DuplicateGroup{CitizenID: g.citizen, FullName: g.name, Day: g.day, Visits: visits, Review: review})
			last = ledgerCursor{Day: day, Seq: g.seq}
		}
	}
	return page, nil
}

// sweepGroups drops expired groups from the index, at most once per
// ledgerSweepEvery. The caller holds l.groups.mu.
func (l *Ledger) sweepGroups(now time.Time) {
	if now.Before(l.groups.nextSweep) {
		return
	}
	l.groups.nextSweep = now.Add(ledgerSweepEvery)
	for day, gs := range l.groups.byDay {
		gs = slices.DeleteFunc(gs, func(g *ledgerGroup) bool { return !g.expireAt.After(now) })
		if len(gs) == 0 {
			delete(l.groups.byDay, day)
			if i, ok := slices.BinarySearch(l.groups.days, day); ok {
				l.groups.days = slices.Delete(l.groups.days, i, i+1)
			}
			continue
		}
		l.groups.byDay[day] = gs
	}
}

// Ping implements verifier.Ledger; memory always answers.
func (l *Ledger) Ping(context.Context) error { return nil }

const ledgerDayLayout = "2006-01-02"

func checkLedgerDays(days ...string) error {
	for _, d := range days {
		if d == "" {
			continue
		}
		if _, err := time.Parse(ledgerDayLayout, d); err != nil {
			return verifier.Errorf(verifier.KindInvalid, "invalid_day", "a day is written YYYY-MM-DD")
		}
	}
	return nil
}
