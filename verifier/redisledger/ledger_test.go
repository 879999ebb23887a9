package redisledger

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// testClient is the shared test Redis (see redistest.Shared).
func testClient(t testing.TB) *redis.Client { return redistest.Shared(t) }

// newTestLedger returns a ledger on its own key prefix, whose keys are
// deleted when the test ends.
func newTestLedger(t testing.TB, c *redis.Client, opts Options) (*Ledger, string) {
	t.Helper()
	prefix := redistest.Prefix(t, c)
	opts.KeyPrefix = prefix
	if opts.PseudonymKey == nil {
		opts.PseudonymKey = []byte("test pseudonym key")
	}
	return New(c, opts), prefix
}

func scanKeys(t testing.TB, c *redis.Client, prefix string) []string {
	return redistest.Keys(t, c, prefix)
}

func TestConformance(t *testing.T) {
	c := testClient(t)
	ledgertest.Run(t, func(t *testing.T) verifier.Ledger {
		l, _ := newTestLedger(t, c, Options{})
		return l
	})
}

// The record scripts batched by go-redis's AutoPipeliner, as kioskd runs
// them by default, keep every rule of the suite.
func TestConformanceAutoPipelined(t *testing.T) {
	c := testClient(t)
	ap, err := c.AutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	ledgertest.Run(t, func(t *testing.T) verifier.Ledger {
		l, _ := newTestLedger(t, c, Options{Scripter: ap})
		return l
	})
}

func today() time.Time {
	now := time.Now().In(ledgertest.Zone)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, ledgertest.Zone)
}

// flag records a duplicate group of citizen n today and returns its two
// recordings.
func flag(t *testing.T, l *Ledger, n int) (a, b verifier.Recording) {
	t.Helper()
	ctx := context.Background()
	a = ledgertest.NewRecording(fmt.Sprintf("a%d", n), ledgertest.Citizen(n), "08001", today().Add(8*time.Hour))
	b = ledgertest.NewRecording(fmt.Sprintf("b%d", n), ledgertest.Citizen(n), "01002", today().Add(9*time.Hour))
	for _, r := range []verifier.Recording{a, b} {
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

func TestExpiry(t *testing.T) {
	c := testClient(t)
	l, _ := newTestLedger(t, c, Options{Retention: 30 * 24 * time.Hour})
	ctx := context.Background()
	a, b := flag(t, l, 1)
	ps := l.pseudonym(a.Visit.CitizenID)
	for _, k := range []struct {
		key  string
		want time.Time
	}{
		{l.windowKey(ps, a.Visit.Day), a.ExpireAt},
		{l.groupKey(ps, a.Visit.Day), a.ExpireAt.Add(30 * 24 * time.Hour)},
		{l.groupDaysKey(ps), a.ExpireAt.Add(30 * 24 * time.Hour)},
	} {
		got, err := c.PExpireTime(ctx, k.key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got != time.Duration(k.want.UnixMilli())*time.Millisecond {
			t.Errorf("PEXPIRETIME %s = %d, want %d (%s)", k.key, got.Milliseconds(), k.want.UnixMilli(), k.want)
		}
	}
	// A recording with an earlier ExpireAt never shortens the window.
	early := ledgertest.NewRecording("c1", a.Visit.CitizenID, "79003", today().Add(10*time.Hour))
	early.ExpireAt = b.ExpireAt.Add(-time.Hour)
	if _, err := l.Record(ctx, early); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.PExpireTime(ctx, l.windowKey(ps, a.Visit.Day)).Result(); got.Milliseconds() != a.ExpireAt.UnixMilli() {
		t.Errorf("window expiry moved to %d by an earlier ExpireAt, want %d", got.Milliseconds(), a.ExpireAt.UnixMilli())
	}
	// The index keys have no TTL: they are trimmed by score instead.
	if ttl, _ := c.PTTL(ctx, l.indexKey()).Result(); ttl != -1 {
		t.Errorf("PTTL %s = %v, want none", l.indexKey(), ttl)
	}
}

// keySlot is the Redis Cluster slot of key: CRC16-XMODEM of its hash tag
// (the part between the first '{' and the next '}', when non-empty) mod 16384.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

func TestKeySlot(t *testing.T) {
	// Reference values from the Redis Cluster specification and CLUSTER KEYSLOT.
	for key, want := range map[string]int{"123456789": 12739, "foo": 12182, "{user1000}.following": 3443, "{user1000}.followers": 3443, "foo{}{bar}": 8363} {
		if got := keySlot(key); got != want {
			t.Errorf("keySlot(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestCitizenKeysShareASlot(t *testing.T) {
	c := testClient(t)
	l, prefix := newTestLedger(t, c, Options{})
	ctx := context.Background()
	a, _ := flag(t, l, 1)
	yesterday := ledgertest.NewRecording("y1", a.Visit.CitizenID, "08001", today().Add(-10*time.Hour))
	if _, err := l.Record(ctx, yesterday); err != nil {
		t.Fatal(err)
	}
	flag(t, l, 2)
	ps := l.pseudonym(a.Visit.CitizenID)
	slots := map[string]map[int][]string{}
	for _, k := range scanKeys(t, c, prefix) {
		tag := k[strings.IndexByte(k, '{')+1 : strings.IndexByte(k, '}')]
		if strings.HasPrefix(tag, "t:") || strings.HasPrefix(tag, "c:") {
			// A facility's ticket counter for a day, a check-in's index
			// entry: one key in its own slot, touched by the record
			// script only on a single Redis.
			continue
		}
		if slots[tag] == nil {
			slots[tag] = map[int][]string{}
		}
		slots[tag][keySlot(k)] = append(slots[tag][keySlot(k)], k)
	}
	if len(slots) != 3 {
		t.Fatalf("hash tags %v: want two citizens and the index", slots)
	}
	for tag, s := range slots {
		if len(s) != 1 {
			t.Errorf("keys tagged {%s} span slots: %v", tag, s)
		}
	}
	for _, keys := range slots[ps] {
		if len(keys) != 4 { // windows of today and yesterday, today's group, group days
			t.Errorf("keys of citizen 1: %v, want 4", keys)
		}
	}
	if n := len(slots["idx"]); n != 1 {
		t.Errorf("index keys in %d slots", n)
	}
}

func TestNoCitizenIDInKeysOrWindows(t *testing.T) {
	c := testClient(t)
	l, prefix := newTestLedger(t, c, Options{})
	ctx := context.Background()
	var ids []string
	for n := 1; n <= 5; n++ {
		a, _ := flag(t, l, n)
		ids = append(ids, string(a.Visit.CitizenID))
		lone := ledgertest.NewRecording(fmt.Sprintf("lone%d", n), ledgertest.Citizen(100+n), "08001", today().Add(8*time.Hour))
		if _, err := l.Record(ctx, lone); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(lone.Visit.CitizenID))
	}
	keys := scanKeys(t, c, prefix)
	if len(keys) == 0 {
		t.Fatal("no keys written")
	}
	for _, k := range keys {
		for _, id := range ids {
			if strings.Contains(k, id) {
				t.Errorf("key %q holds citizen ID %s in clear", k, id)
			}
		}
		if strings.Contains(k, ":w:") {
			vals, err := c.LRange(ctx, k, 0, -1).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				for _, id := range ids {
					if strings.Contains(v, id) {
						t.Errorf("window %q holds citizen ID %s", k, id)
					}
				}
			}
		}
	}
	// Another pseudonym key gives other key names.
	other := New(c, Options{KeyPrefix: prefix, PseudonymKey: []byte("another key")})
	if other.pseudonym(ledgertest.Citizen(1)) == l.pseudonym(ledgertest.Citizen(1)) {
		t.Error("pseudonym does not depend on the key")
	}
}

func TestGroupsSurviveWindowDeletion(t *testing.T) {
	c := testClient(t)
	l, prefix := newTestLedger(t, c, Options{})
	ctx := context.Background()
	a, b := flag(t, l, 1)
	for _, k := range scanKeys(t, c, prefix) {
		if strings.Contains(k, ":w:") {
			c.Del(ctx, k)
		}
	}
	p, err := l.Duplicates(ctx, verifier.DuplicateQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || len(p.Items[0].Visits) != 2 {
		t.Fatalf("groups after the windows were deleted: %+v", p.Items)
	}
	g := p.Items[0]
	if g.CitizenID != a.Visit.CitizenID || g.FullName != a.FullName || g.Visits[0].CheckinID != a.Visit.CheckinID || g.Visits[1].CheckinID != b.Visit.CheckinID {
		t.Errorf("group = %+v", g)
	}
	vs, err := l.Visits(ctx, a.Visit.CitizenID, a.Visit.Day)
	if err != nil || len(vs) != 2 {
		t.Errorf("Visits from the group = %v, %v", vs, err)
	}
}

func TestIndexHealsOnRescan(t *testing.T) {
	// If the index write after a flag was lost, sending the recorded visit
	// again (the outbox's replay, a retry) files the group.
	c := testClient(t)
	l, _ := newTestLedger(t, c, Options{})
	ctx := context.Background()
	_, b := flag(t, l, 1)
	c.Del(ctx, l.indexKey(), l.facilityKey("08001"), l.facilityKey("01002"))
	if p, _ := l.Duplicates(ctx, verifier.DuplicateQuery{}); len(p.Items) != 0 {
		t.Fatalf("index not deleted: %d groups", len(p.Items))
	}
	got, err := l.Record(ctx, ledgertest.NewRecording(b.Visit.CheckinID, b.Visit.CitizenID, b.Visit.Facility, b.Visit.At))
	if err != nil || !got.Repeat {
		t.Fatalf("re-scan: %+v, %v", got, err)
	}
	for _, fac := range []string{"", "08001", "01002"} {
		p, err := l.Duplicates(ctx, verifier.DuplicateQuery{Facility: fac})
		if err != nil || len(p.Items) != 1 {
			t.Errorf("Duplicates(facility %q) after the re-scan: %d groups, %v", fac, len(p.Items), err)
		}
	}
}

func TestRecordOutlivesCancelledContext(t *testing.T) {
	c := testClient(t)
	l, _ := newTestLedger(t, c, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := ledgertest.NewRecording("x1", ledgertest.Citizen(1), "08001", today().Add(8*time.Hour))
	if _, err := l.Record(ctx, r); err != nil {
		t.Fatalf("Record with a cancelled context: %v", err)
	}
	vs, err := l.Visits(context.Background(), r.Visit.CitizenID, r.Visit.Day)
	if err != nil || len(vs) != 1 {
		t.Errorf("visit not stored: %v, %v", vs, err)
	}
}

func TestUnavailable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	l := New(c, Options{WriteTimeout: time.Second})
	ctx := context.Background()
	r := ledgertest.NewRecording("x1", ledgertest.Citizen(1), "08001", today().Add(8*time.Hour))
	check := func(what string, err error) {
		t.Helper()
		var e *verifier.Error
		if !errors.As(err, &e) || e.Kind != verifier.KindUnavailable || e.Code != "ledger_unavailable" {
			t.Errorf("%s = %v, want KindUnavailable ledger_unavailable", what, err)
		}
	}
	_, err := l.Record(ctx, r)
	check("Record", err)
	_, err = l.Visits(ctx, r.Visit.CitizenID, r.Visit.Day)
	check("Visits", err)
	_, err = l.Duplicates(ctx, verifier.DuplicateQuery{})
	check("Duplicates", err)
	_, err = l.Duplicates(ctx, verifier.DuplicateQuery{Citizen: r.Visit.CitizenID})
	check("Duplicates(citizen)", err)
	check("Ping", l.Ping(ctx))
}

func TestNewRejectsBraceInPrefix(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted a prefix with a brace")
		}
	}()
	New(nil, Options{KeyPrefix: "ck:{x}:"})
}

// TestMemoryPerGroup measures, with MEMORY USAGE, what a retained duplicate
// group costs once its windows have expired: the group hash, the citizen's
// group-days set, and its share of the index sets.
func TestMemoryPerGroup(t *testing.T) {
	c := testClient(t)
	l, prefix := newTestLedger(t, c, Options{})
	ctx := context.Background()
	const groups, facilities = 3000, 20
	base := today().Add(8 * time.Hour)
	pipeErr := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for n := range groups {
		id := ledgertest.Citizen(n)
		for k := range 2 {
			r := ledgertest.NewRecording(fmt.Sprintf("01JD%022d", 2*n+k), id, fmt.Sprintf("%02d%03d", 1+n%60, (n+k)%facilities), base.Add(time.Duration(k)*time.Hour))
			r.Visit.Kiosk = "kiosk-12"
			r.Visit.Ticket = 100 + n%400
			_, err := l.Record(ctx, r)
			pipeErr(err)
		}
	}
	var total, groupBytes, daysBytes, indexBytes, checkinBytes int64
	for _, k := range scanKeys(t, c, prefix) {
		if strings.Contains(k, ":w:") {
			continue // windows expire with the day
		}
		n, err := c.MemoryUsage(ctx, k, 0).Result()
		pipeErr(err)
		if strings.Contains(k, "{c:") {
			// The check-in index (GET /v1/checkins/{id}) is kept per
			// visit, as long as the visit: measured on its own.
			checkinBytes += n
			continue
		}
		total += n
		switch {
		case strings.Contains(k, "}:g:"):
			groupBytes += n
		case strings.HasSuffix(k, "}:gd"):
			daysBytes += n
		default:
			indexBytes += n
		}
	}
	per := total / groups
	t.Logf("retained memory per duplicate group (2 visits, %d groups, %d facilities): %d bytes = group record %d + group days %d + index %d",
		groups, facilities, per, groupBytes/groups, daysBytes/groups, indexBytes/groups)
	if per >= 1024 {
		t.Errorf("%d bytes per group, want under 1 KB", per)
	}
	perVisit := checkinBytes / (2 * groups)
	t.Logf("retained memory of the check-in index per visit of a group: %d bytes", perVisit)
	if perVisit >= 200 {
		t.Errorf("check-in index: %d bytes per visit, want under 200", perVisit)
	}
}

func BenchmarkRecord(b *testing.B) {
	c := testClient(b)
	l, _ := newTestLedger(b, c, Options{})
	ledgertest.Bench(b, l)
}

func TestIndexTrimmedAfterRetention(t *testing.T) {
	c := testClient(t)
	l, prefix := newTestLedger(t, c, Options{})
	ctx := context.Background()
	a, _ := flag(t, l, 1)
	// Two years later (same keys), a new group trims the old entries.
	later := New(c, Options{KeyPrefix: prefix, PseudonymKey: l.o.PseudonymKey, Now: func() time.Time { return time.Now().AddDate(2, 0, 0) }})
	day := today().AddDate(2, 0, 0)
	for i, fac := range []string{"08001", "79003"} {
		r := ledgertest.NewRecording(fmt.Sprintf("late%d", i), ledgertest.Citizen(2), fac, day.Add(time.Duration(8+i)*time.Hour))
		if _, err := later.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	member := l.pseudonym(a.Visit.CitizenID) + ":" + a.Visit.Day
	for _, k := range []string{l.indexKey(), l.facilityKey("08001")} {
		if err := c.ZScore(ctx, k, member).Err(); !errors.Is(err, redis.Nil) {
			t.Errorf("%s still holds the group of two years ago (%v)", k, err)
		}
	}
	// 01002 was not touched: its stale entry stays, but a group that is
	// gone (expired) is skipped without error.
	c.Del(ctx, l.groupKey(l.pseudonym(a.Visit.CitizenID), a.Visit.Day))
	p, err := later.Duplicates(ctx, verifier.DuplicateQuery{Facility: "01002"})
	if err != nil || len(p.Items) != 0 {
		t.Errorf("Duplicates at 01002 = %d groups, %v; want none", len(p.Items), err)
	}
	p, err = later.Duplicates(ctx, verifier.DuplicateQuery{})
	if err != nil || len(p.Items) != 1 || p.Items[0].CitizenID != ledgertest.Citizen(2) {
		t.Errorf("Duplicates = %+v, %v; want the new group", p.Items, err)
	}
}

func TestDecodeRecord(t *testing.T) {
	at := time.Date(2026, 11, 28, 1, 2, 3, 456789, time.UTC)
	v := verifier.Visit{CheckinID: "ck1", CitizenID: "008095001234", Facility: "08001", VisitType: verifier.Emergency,
		At: at, Day: "2026-11-28", Kiosk: "desk \"1\"", Ticket: 12, EligibilityCode: "000"}
	got, err := decodeRecord(encodeRecord(v), v.CitizenID, v.Day)
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, v)
	}
	// With the desk's fields: the ninth element.
	v.ReferralNo, v.Department, v.Priority = "GCT-2026/0815", "K01", []string{"elderly", "pregnant"}
	v.Acknowledgement = &verifier.Acknowledgement{Reason: "referral", Note: "giấy \"chuyển\" tuyến\nsố 12", By: "desk-1", At: at.Add(time.Minute)}
	for _, kiosk := range []string{"desk-1", "desk \"1\""} {
		v.Kiosk = kiosk
		s := encodeRecord(v)
		got, err = decodeRecord(s, v.CitizenID, v.Day)
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Fatalf("round trip with the desk's fields: %+v, %v; want %+v", got, err, v)
		}
	}
	// A record written before the eligibility code was kept.
	old := `["ck2","08002",1764291723,5,"outpatient","",3]`
	if got, err := decodeRecord(old, v.CitizenID, v.Day); err != nil || got.Ticket != 3 || got.EligibilityCode != "" {
		t.Errorf("seven-field record: %+v, %v", got, err)
	}
	for _, bad := range []string{``, `{}`, `[]`, `["ck"]`, `[1,2,3]`, `["ck","08001","x"]`} {
		if _, err := decodeRecord(bad, v.CitizenID, v.Day); verifier.KindOf(err) != verifier.KindInternal {
			t.Errorf("decodeRecord(%s) = %v, want a corrupt-record error", bad, err)
		}
	}
}

func BenchmarkDecodeRecord(b *testing.B) {
	v := verifier.Visit{CheckinID: "e0ra9w6faeyszfm7", Facility: "08001", VisitType: verifier.Outpatient,
		At: time.Now(), Kiosk: "desk-1", Ticket: 12, EligibilityCode: "000"}
	withDesk := v
	withDesk.Department, withDesk.Priority = "NOI", []string{"elderly"}
	acked := withDesk
	acked.Acknowledgement = &verifier.Acknowledgement{Reason: "referral", Note: "giấy chuyển tuyến", By: "desk-1", At: time.Now()}
	for _, c := range []struct {
		name string
		v    verifier.Visit
	}{{"plain", v}, {"department+priority", withDesk}, {"acknowledged", acked}} {
		b.Run(c.name, func(b *testing.B) {
			s := encodeRecord(c.v)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeRecord(s, "008095001234", "2026-11-28"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The check-in index and the re-scans of a day live as long as the visit
// records they name: the window's expiry, then the group's retention once
// the day becomes a duplicate group.
func TestCheckinIndexExpiry(t *testing.T) {
	c := testClient(t)
	l, _ := newTestLedger(t, c, Options{Retention: 48 * time.Hour})
	ctx := context.Background()
	id := ledgertest.Citizen(7)
	a := ledgertest.NewRecording("ix-a", id, "08001", today().Add(8*time.Hour))
	again := ledgertest.NewRecording("ix-a2", id, "08001", today().Add(8*time.Hour+time.Minute))
	for _, r := range []verifier.Recording{a, again} {
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ps := l.pseudonym(id)
	expireAt := func(key string) time.Time {
		t.Helper()
		ms, err := c.PExpireTime(ctx, key).Result()
		if err != nil || ms <= 0 {
			t.Fatalf("PEXPIRETIME %s = %v, %v: want an expiry", key, ms, err)
		}
		return time.UnixMilli(int64(ms / time.Millisecond))
	}
	check := func(when string, want time.Time, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if got := expireAt(k); !got.Equal(want) {
				t.Errorf("%s: %s expires at %s, want %s", when, k, got, want)
			}
		}
	}
	check("before a group", a.ExpireAt, l.checkinKey("ix-a"), l.checkinKey("ix-a2"), l.aliasKey(ps, a.Visit.Day), l.windowKey(ps, a.Visit.Day))
	b := ledgertest.NewRecording("ix-b", id, "01002", today().Add(9*time.Hour))
	if _, err := l.Record(ctx, b); err != nil {
		t.Fatal(err)
	}
	kept := a.ExpireAt.Add(48 * time.Hour)
	check("in a group", kept, l.checkinKey("ix-a"), l.checkinKey("ix-a2"), l.checkinKey("ix-b"), l.aliasKey(ps, a.Visit.Day), l.groupKey(ps, a.Visit.Day))
	// A re-scan merged into a visit of the group, and one more visit.
	for _, r := range []verifier.Recording{
		ledgertest.NewRecording("ix-b2", id, "01002", today().Add(9*time.Hour+time.Minute)),
		ledgertest.NewRecording("ix-c", id, "08002", today().Add(10*time.Hour)),
	} {
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	check("joined a group", kept, l.checkinKey("ix-b2"), l.checkinKey("ix-c"))
	for _, ck := range []string{"ix-a", "ix-a2", "ix-b2"} {
		v, err := l.Checkin(ctx, ck)
		if err != nil || v.CitizenID != id {
			t.Errorf("Checkin(%s) = %+v, %v", ck, v, err)
		}
	}
}

// Amend rewrites a visit's record in the window and the group where they
// are, leaving their expiry (the window's, the group's retention) as it
// was, and nothing of the citizen in clear in the window.
func TestAmendKeepsExpiry(t *testing.T) {
	c := testClient(t)
	l, _ := newTestLedger(t, c, Options{Retention: 48 * time.Hour})
	ctx := context.Background()
	id := ledgertest.Citizen(9)
	a := ledgertest.NewRecording("am-a", id, "08001", today().Add(8*time.Hour))
	b := ledgertest.NewRecording("am-b", id, "08002", today().Add(9*time.Hour))
	for _, r := range []verifier.Recording{a, b} {
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ps := l.pseudonym(id)
	keys := []string{l.windowKey(ps, a.Visit.Day), l.groupKey(ps, a.Visit.Day)}
	expiry := func() []int64 {
		var out []int64
		for _, k := range keys {
			ms, err := c.PExpireTime(ctx, k).Result()
			if err != nil || ms <= 0 {
				t.Fatalf("PEXPIRETIME %s = %v, %v", k, ms, err)
			}
			out = append(out, int64(ms))
		}
		return out
	}
	before := expiry()
	if _, err := l.Amend(ctx, "am-a", func(v *verifier.Visit) error {
		v.Acknowledgement = &verifier.Acknowledgement{Reason: verifier.AckReferral, Note: "giấy chuyển tuyến\nsố 1", By: "desk-1", At: today().Add(8*time.Hour + time.Minute)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if after := expiry(); !slices.Equal(before, after) {
		t.Errorf("expiry of window and group %v, after Amend %v", before, after)
	}
	w, _ := c.LRange(ctx, keys[0], 0, -1).Result()
	g, _ := c.Get(ctx, keys[1]).Result()
	if len(w) != 2 || !strings.Contains(w[0], `"a":{"reason":"referral"`) || strings.Count(g, `"reason":"referral"`) != 1 || strings.Count(g, "\n") != 2 {
		t.Errorf("stored after Amend:\nwindow %q\ngroup %q", w, g)
	}
	if strings.Contains(strings.Join(w, ""), string(id)) {
		t.Error("the window holds the citizen ID in clear")
	}
}

// The deferred AutoPipeliner (AsyncAutoPipeline), which Record waits on
// only until its context's deadline, keeps every rule of the suite too.
func TestConformanceAsyncAutoPipelined(t *testing.T) {
	c := testClient(t)
	ap, err := c.AsyncAutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	ledgertest.Run(t, func(t *testing.T) verifier.Ledger {
		l, _ := newTestLedger(t, c, Options{Scripter: ap})
		return l
	})
}
