package redisledger

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/ledgertest"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

// Record is bounded by its context's deadline (the outbox's timeout), not
// only by WriteTimeout, whether the script goes through the client (with
// ContextTimeoutEnabled, as kioskd sets it) or a deferred AutoPipeliner;
// and a cancelled context does not stop it.
func TestRecordHonoursDeadline(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	for _, async := range []bool{false, true} {
		opt, _ := redis.ParseURL(srv.URL(0))
		opt.ContextTimeoutEnabled = true
		c := redis.NewClient(opt)
		t.Cleanup(func() { c.Close() })
		o := Options{PseudonymKey: []byte("k"), WriteTimeout: time.Minute}
		if async {
			ap, err := c.AsyncAutoPipeline()
			if err != nil {
				t.Fatal(err)
			}
			o.Scripter = ap
		}
		l := New(c, o)
		ctx := context.Background()
		r := ledgertest.NewRecording("ck-deadline", ledgertest.Citizen(1), "08001", time.Now())
		if _, err := l.Record(ctx, r); err != nil { // loads the script
			t.Fatal(err)
		}
		// Redis holds every write command for 3 s.
		if err := c.Do(ctx, "CLIENT", "PAUSE", 3000, "WRITE").Err(); err != nil {
			t.Fatal(err)
		}
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		r2 := ledgertest.NewRecording("ck-deadline-2", ledgertest.Citizen(2), "08001", time.Now())
		_, err := l.Record(dctx, r2)
		cancel()
		if verifier.KindOf(err) != verifier.KindUnavailable || !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
			t.Errorf("async=%v: Record while Redis is paused = %v; want unavailable at the context's deadline", async, err)
		}
		c.Do(ctx, "CLIENT", "UNPAUSE")
		// Cancelled, not timed out: recorded all the same.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		r3 := ledgertest.NewRecording("ck-cancelled", ledgertest.Citizen(3), "08001", time.Now())
		if _, err := l.Record(cctx, r3); err != nil {
			t.Errorf("async=%v: Record with a cancelled context = %v", async, err)
		}
		c.FlushDB(ctx)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// stubScripter answers every script with a given reply, as a Redis running
// another script under the same SHA would.
type stubScripter struct {
	redis.Scripter
	reply any
}

func (s stubScripter) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	c := redis.NewCmd(ctx)
	c.SetVal(s.reply)
	return c
}

// A reply of an unexpected shape or type is an error, never a panic or a
// silent zero.
func TestRecordReplyTypeChecked(t *testing.T) {
	for _, reply := range []any{
		nil, int64(-1), "x", []any{}, // a first visit's reply is its ticket: never negative
		[]any{"0", int64(1), int64(0), int64(0)},            // status as a string
		[]any{int64(0), "7", int64(0), int64(0)},            // ticket as a string
		[]any{int64(0), int64(1), int64(0)},                 // too short
		[]any{int64(0), int64(1), int64(9), int64(0)},       // no such group state
		[]any{int64(0), int64(1), int64(0), int64(2), "a"},  // more aliases than elements
		[]any{int64(0), int64(1), int64(0), int64(0), 5},    // a record that is no string
		[]any{int64(1), int64(2), int64(0), int64(0), "[]"}, // a repeat of a record not sent
		[]any{int64(0), int64(-1), int64(0), int64(0)},      // a negative ticket
		[]any{int64(2), int64(0)},                           // "call again", with more
		[]any{int64(7)},                                     // no such status
		[]any{int64(2)},                                     // "call again", twice
	} {
		l := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{PseudonymKey: []byte("k"), Scripter: stubScripter{reply: reply}})
		r := ledgertest.NewRecording("ck-stub", ledgertest.Citizen(1), "08001", time.Now())
		got, err := l.Record(context.Background(), r)
		if verifier.KindOf(err) != verifier.KindInternal || verifier.AsError(err).Code != "ledger_corrupt" || got.Visit.CheckinID != "" {
			t.Errorf("reply %#v: Record = %+v, %v; want a ledger_corrupt error", reply, got, err)
		}
	}
}

// A first visit of the day is answered with its ticket alone.
func TestRecordReplyTicket(t *testing.T) {
	l := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{PseudonymKey: []byte("k"), Scripter: stubScripter{reply: int64(5)}})
	r := ledgertest.NewRecording("ck-stub", ledgertest.Citizen(1), "08001", time.Now())
	got, err := l.Record(context.Background(), r)
	want, _ := recordedAs(r.Visit)
	want.Ticket = 5
	if err != nil || got.Repeat || got.Others != nil || !reflect.DeepEqual(got.Visit, want) {
		t.Errorf("Record = %+v, %v; want the new visit with ticket 5", got, err)
	}
}
