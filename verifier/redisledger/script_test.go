package redisledger

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
)

// TestScriptStoresEncodedRecords: the script puts the ticket between the
// two parts of the record it is sent, so what it stores and returns is
// encodeRecord of the recorded visit, byte for byte, whether it draws the
// ticket (single Redis) or the caller does (the cluster path, here run on
// the single test Redis).
func TestScriptStoresEncodedRecords(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	for _, cluster := range []bool{false, true} {
		t.Run(fmt.Sprintf("cluster=%v", cluster), func(t *testing.T) {
			l, _ := newTestLedger(t, c, Options{})
			l.cluster = cluster
			base := today().Add(8 * time.Hour)
			for i, kiosk := range []string{"kiosk-1", "", `desk "2" \ a/b`, "<b>&amp;</b>", "Quầy số 3 – 😀", "line\u2028sep\x01\x7f"} {
				r := ledgertest.NewRecording(fmt.Sprintf("ck/%d<é>", i), ledgertest.Citizen(i), fmt.Sprintf("0800%d", i%2), base.Add(time.Duration(i)*time.Minute))
				r.Visit.Kiosk = kiosk
				got, err := l.Record(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				want := r.Visit
				want.Ticket = i/2 + 1 // numbered per facility: 1, 1, 2, 2, 3, 3
				if !reflect.DeepEqual(got.Visit, want) || got.Repeat || len(got.Others) != 0 {
					t.Errorf("Record(kiosk %q) = %+v, want the visit %+v", kiosk, got, want)
				}
				stored, err := c.LRange(ctx, l.windowKey(l.pseudonym(want.CitizenID), want.Day), 0, -1).Result()
				if err != nil {
					t.Fatal(err)
				}
				if len(stored) != 1 || stored[0] != encodeRecord(want) {
					t.Errorf("window holds %q, want [%s]", stored, encodeRecord(want))
				}
			}
		})
	}
}

// TestScriptReadsOldRecords: records the script stored before it stopped
// re-encoding them with cjson (strings escaped as cjson does, '/' as "\/",
// HTML characters as they are; seven elements before the eligibility code)
// keep their meaning for the re-scan and duplicate rules and in Go.
func TestScriptReadsOldRecords(t *testing.T) {
	c := testClient(t)
	l, _ := newTestLedger(t, c, Options{})
	ctx := context.Background()
	at := today().Add(8 * time.Hour)
	id := ledgertest.Citizen(1)
	day := ledgertest.Day(at)
	window := l.windowKey(l.pseudonym(id), day)
	old := []string{
		fmt.Sprintf(`["ck\/1","08001",%d,%d,"outpatient","k<1>",4,"000"]`, at.Unix(), 5),
		fmt.Sprintf(`["ck2","79003",%d,0,"emergency","",2]`, at.Add(time.Hour).Unix()),
		fmt.Sprintf(`["ck3","01002",%d,7,"outpatient","quầy",9,"000"]`, at.Add(2*time.Hour).Unix()),
	}
	if err := c.RPush(ctx, window, old).Err(); err != nil {
		t.Fatal(err)
	}
	c.PExpireAt(ctx, window, at.Add(72*time.Hour))

	check := func(what string, r verifier.Recording, wantRepeat bool, wantID string, wantTicket, wantOthers int) verifier.Recorded {
		t.Helper()
		got, err := l.Record(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.Repeat != wantRepeat || got.Visit.CheckinID != wantID || got.Visit.Ticket != wantTicket || len(got.Others) != wantOthers {
			t.Errorf("%s: %+v; want repeat %v of %s, ticket %d, %d others", what, got, wantRepeat, wantID, wantTicket, wantOthers)
		}
		return got
	}
	// The same check-in sent again, hours later: found by its escaped id.
	got := check("re-sent ck/1", ledgertest.NewRecording("ck/1", id, "08001", at.Add(5*time.Hour)), true, "ck/1", 4, 2)
	if got.Visit.Kiosk != "k<1>" || got.Visit.At != at.Add(5*time.Nanosecond).UTC() {
		t.Errorf("old record read as %+v", got.Visit)
	}
	// Scanned again within RepeatWithin at the same facility: found by
	// facility and time.
	check("re-scan at 08001", ledgertest.NewRecording("ck4", id, "08001", at.Add(3*time.Minute)), true, "ck/1", 4, 2)
	check("re-scan at 01002", ledgertest.NewRecording("ck5", id, "01002", at.Add(2*time.Hour-3*time.Minute)), true, "ck3", 9, 2)
	// Another facility: a new visit, and the day becomes a group of all four.
	check("new at 08002", ledgertest.NewRecording("ck6", id, "08002", at.Add(4*time.Hour)), false, "ck6", 1, 3)
	p, err := l.Duplicates(ctx, verifier.DuplicateQuery{Citizen: id})
	if err != nil || len(p.Items) != 1 || len(p.Items[0].Visits) != 4 {
		t.Fatalf("Duplicates = %+v, %v; want one group of four visits", p.Items, err)
	}
	if v := p.Items[0].Visits[0]; v.CheckinID != "ck/1" || v.Ticket != 4 {
		t.Errorf("first visit of the group: %+v", v)
	}
}

// TestRecordArgs: the keys and ARGV that Record builds are what the key
// functions and the record writer give, in the order of recordScript's
// comment (the group's arguments left empty: a second call sets them); the
// record is cut exactly around its ticket.
func TestRecordArgs(t *testing.T) {
	key := []byte("test pseudonym key")
	l := New(nil, Options{KeyPrefix: "pre:", PseudonymKey: key, Retention: 48 * time.Hour})
	visits := sampleVisits()
	long := visits[0]
	long.Kiosk = strings.Repeat("quầy ", 200) // past the stack buffer
	for _, v := range append(visits, long) {
		exp := time.Date(2026, 12, 2, 0, 0, 0, 0, ledgertest.Zone)
		r := verifier.Recording{Visit: v, RepeatWithin: 10 * time.Minute, ExpireAt: exp, FullName: `Lê "Tí" <Út> & Bé`}
		ps := l.pseudonym(v.CitizenID)
		if ps != v.CitizenID.Pseudonym(key) {
			t.Fatalf("pseudonym %s, CitizenID.Pseudonym gives %s", ps, v.CitizenID.Pseudonym(key))
		}
		a := l.newRecordArgs(r, ps)
		if want := [6]string{l.windowKey(ps, v.Day), l.groupKey(ps, v.Day), l.groupDaysKey(ps), l.aliasKey(ps, v.Day), l.ticketKey(v.Facility, v.Day), l.checkinKey(v.CheckinID)}; a.keys != want {
			t.Errorf("keys %q, want %q", a.keys, want)
		}
		var got []string
		for _, x := range a.argv {
			switch p := x.(type) {
			case *string:
				got = append(got, *p)
			case *int64:
				got = append(got, strconv.FormatInt(*p, 10))
			default:
				t.Fatalf("argument %T", x)
			}
		}
		want := []string{got[0], got[1], strconv.FormatInt(exp.UnixMilli(), 10), got[3], "600000000000",
			strconv.FormatInt(exp.Add(48*time.Hour).UnixMilli(), 10), "0", "", v.Day, ""}
		if id, day, err := l.seal.open(v.CheckinID, got[3]); err != nil || id != v.CitizenID || day != v.Day {
			t.Errorf("check-in index value opens as %v %q %v, want %v %q", id, day, err, v.CitizenID, v.Day)
		}
		if _, _, err := l.seal.open(v.CheckinID+"x", got[3]); err == nil {
			t.Error("check-in index value opens under another check-in ID")
		}
		if strings.Contains(got[3], string(v.CitizenID)) {
			t.Error("check-in index value holds the citizen ID in clear")
		}
		if !slices.Equal(got, want) {
			t.Errorf("ARGV %q,\nwant %q", got, want)
		}
		l.cluster = true // ARGV[4] is then the ticket the caller drew
		a = l.newRecordArgs(r, ps)
		a.ticket = 42
		if p, ok := a.argv[3].(*int64); !ok || *p != 42 {
			t.Errorf("cluster: ARGV[4] = %#v, want the ticket", a.argv[3])
		}
		l.cluster = false
		for _, ticket := range []int{7, 12345} {
			v.Ticket = ticket
			if rec := a.head + strconv.Itoa(ticket) + a.tail; rec != marshalRecord(v) {
				t.Errorf("head .. %d .. tail = %s, want %s", ticket, rec, marshalRecord(v))
			}
		}
	}
}

// TestScriptReadsEscapedFields: the script reads the new visit's check-in
// id, facility and time from the head of its record, as it reads the
// stored records: ids and facilities that JSON escapes (\u003c...) compare
// equal to themselves, whichever side holds them.
func TestScriptReadsEscapedFields(t *testing.T) {
	c := testClient(t)
	l, _ := newTestLedger(t, c, Options{})
	ctx := context.Background()
	at := today().Add(8 * time.Hour)
	id := ledgertest.Citizen(3)
	check := func(what string, r verifier.Recording, wantRepeat bool, wantID string, wantOthers int) {
		t.Helper()
		got, err := l.Record(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.Repeat != wantRepeat || got.Visit.CheckinID != wantID || len(got.Others) != wantOthers {
			t.Errorf("%s: %+v; want repeat %v of %s, %d others", what, got, wantRepeat, wantID, wantOthers)
		}
	}
	esc := "08<1>" // written \u003c...\u003e by encoding/json
	check("first, escaped id", ledgertest.NewRecording("a<1>", id, "08001", at), false, "a<1>", 0)
	check("same escaped id, hours later", ledgertest.NewRecording("a<1>", id, "08001", at.Add(3*time.Hour)), true, "a<1>", 0)
	check("plain id, same facility, within", ledgertest.NewRecording("b2", id, "08001", at.Add(time.Minute)), true, "a<1>", 0)
	check("plain id replayed", ledgertest.NewRecording("b2", id, "08001", at.Add(4*time.Hour)), true, "a<1>", 0)
	check("escaped facility", ledgertest.NewRecording("c3", id, esc, at.Add(time.Hour)), false, "c3", 1)
	check("escaped facility, plain id, within", ledgertest.NewRecording("d4", id, esc, at.Add(time.Hour+time.Minute)), true, "c3", 1)
	check("plain facility later", ledgertest.NewRecording("e5", id, "08001", at.Add(5*time.Hour)), false, "e5", 1)
}
