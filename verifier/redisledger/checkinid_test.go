package redisledger

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

func TestNewCheckinID(t *testing.T) {
	l := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{PseudonymKey: []byte("k1")})
	other := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{PseudonymKey: []byte("k2")})
	id, day := verifier.CitizenID("001090012345"), "2026-12-07"
	seen := map[string]bool{}
	for range 1000 {
		ck := l.NewCheckinID(id, day)
		if len(ck) != locatedIDLen || !verifier.ValidCheckinID(ck) || seen[ck] {
			t.Fatalf("ID %q: length %d, valid %v, seen before %v", ck, len(ck), verifier.ValidCheckinID(ck), seen[ck])
		}
		seen[ck] = true
		if got, d, ok := l.loc.locate(ck); !ok || got != id || d != day {
			t.Fatalf("locate(%q) = %q, %q, %v", ck, got, d, ok)
		}
		// Another deployment's key does not open it to the visit.
		if other.loc.locates(ck, id, day) {
			t.Fatalf("%q opens under another key", ck)
		}
		// Nor does a changed character.
		b := []byte(ck)
		b[3] = "01"[b[3]&1]
		if string(b) != ck && l.loc.locates(string(b), id, day) {
			t.Fatalf("%q, changed, still opens", ck)
		}
	}
	for _, c := range []struct{ day, first, last string }{
		{"1970-01-01", "000000000000", "999999999999"},
		{"2149-06-06", "079012345678", "001099000001"}, // the last day that fits 16 bits
	} {
		for _, id := range []verifier.CitizenID{verifier.CitizenID(c.first), verifier.CitizenID(c.last)} {
			if got, d, ok := l.loc.locate(l.NewCheckinID(id, c.day)); !ok || got != id || d != c.day {
				t.Errorf("%s on %s: %q, %q, %v", id, c.day, got, d, ok)
			}
		}
	}
	// What cannot be carried gets a random ID, which an index entry
	// locates.
	for _, c := range []struct {
		id  verifier.CitizenID
		day string
	}{{"12345678901", day}, {"00109001234x", day}, {"0010900123456", day}, {id, "2149-06-07"}, {id, "1969-12-31"}, {id, "yesterday"}} {
		ck := l.NewCheckinID(c.id, c.day)
		if _, _, ok := l.loc.locate(ck); ok || len(ck) != 16 || !verifier.ValidCheckinID(ck) {
			t.Errorf("%q on %q: ID %q (locates %v)", c.id, c.day, ck, ok)
		}
	}
	for _, ck := range []string{"", "ix-a", "0123456789abcdef", "0123456789abcdefghjkmnpqrs!", "uuuuuuuuuuuuuuuuuuuuuuuuuu"} {
		if _, _, ok := l.loc.locate(ck); ok {
			t.Errorf("locate(%q) ok", ck)
		}
	}
}

// A visit whose ID NewCheckinID minted writes no index entry, and is found
// by its ID, a re-scan's ID and after its window expired (in its group)
// all the same; an amendment finds it too. The same on a cluster, where
// the index entry would be a round trip of its own.
func TestLocatedCheckins(t *testing.T) {
	c := testClient(t)
	l, prefix := newTestLedger(t, c, Options{Retention: 48 * time.Hour})
	testLocatedCheckins(t, l, func(key string) int64 { return c.Exists(context.Background(), key).Val() })
	for _, k := range scanKeys(t, c, prefix) {
		if k == l.checkinKey("") || len(k) > len(prefix)+3 && k[len(prefix):len(prefix)+3] == "{c:" {
			t.Errorf("index entry %s written", k)
		}
	}

	addrs := redistest.StartCluster(t, 3)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { cc.Close() })
	cl := New(cc, Options{KeyPrefix: "located:", PseudonymKey: []byte("test pseudonym key"), Retention: 48 * time.Hour})
	testLocatedCheckins(t, cl, func(key string) int64 { return cc.Exists(context.Background(), key).Val() })
}

func testLocatedCheckins(t *testing.T, l *Ledger, exists func(string) int64) {
	t.Helper()
	ctx := context.Background()
	id := ledgertest.Citizen(11)
	at := today().Add(8 * time.Hour)
	rec := func(fac string, at time.Time) verifier.Recording {
		r := ledgertest.NewRecording("", id, fac, at)
		r.Visit.CheckinID = l.NewCheckinID(id, r.Visit.Day)
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := rec("08001", at)
	again := rec("08001", at.Add(time.Minute)) // a re-scan, merged into a
	b := rec("01002", at.Add(time.Hour))       // a group
	for _, r := range []verifier.Recording{a, again, b} {
		if n := exists(l.checkinKey(r.Visit.CheckinID)); n != 0 {
			t.Errorf("index entry of %s written", r.Visit.CheckinID)
		}
	}
	find := func(when, ck, want string) {
		t.Helper()
		v, err := l.Checkin(ctx, ck)
		if err != nil || v.CheckinID != want || v.CitizenID != id {
			t.Errorf("%s: Checkin(%s) = %+v, %v; want visit %s", when, ck, v, err, want)
		}
	}
	find("in the window", a.Visit.CheckinID, a.Visit.CheckinID)
	find("a re-scan", again.Visit.CheckinID, a.Visit.CheckinID)
	find("in the window", b.Visit.CheckinID, b.Visit.CheckinID)
	v, err := l.Amend(ctx, b.Visit.CheckinID, func(v *verifier.Visit) error { v.Department = "K01"; return nil })
	if err != nil || v.Department != "K01" {
		t.Errorf("Amend = %+v, %v", v, err)
	}
	// The window gone, the group keeps the visits.
	ps := l.pseudonym(id)
	if err := l.rdb.Del(ctx, l.windowKey(ps, a.Visit.Day)).Err(); err != nil {
		t.Fatal(err)
	}
	find("in the group", a.Visit.CheckinID, a.Visit.CheckinID)
	find("a re-scan, in the group", again.Visit.CheckinID, a.Visit.CheckinID)
	if v, err := l.Checkin(ctx, b.Visit.CheckinID); err != nil || v.Department != "K01" {
		t.Errorf("amended visit in the group: %+v, %v", v, err)
	}
	// An ID of the same citizen's day that was never recorded is unknown.
	if _, err := l.Checkin(ctx, l.NewCheckinID(id, a.Visit.Day)); verifier.KindOf(err) != verifier.KindNotFound {
		t.Errorf("unrecorded ID: %v", err)
	}
}
