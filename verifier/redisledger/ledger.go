// Package redisledger is the verifier.Ledger kept in Redis (a single server
// or a Redis Cluster), shared by every kioskd process of a deployment.
//
// Key layout (P is Options.KeyPrefix, ps the citizen's pseudonym, see
// verifier.CitizenID.Pseudonym; day is the local day YYYY-MM-DD):
//
//	P{ps}:w:<day>      LIST   the citizen's visit records of the day (no
//	                          citizen ID inside); expires at Recording.ExpireAt
//	P{ps}:g:<day>      STRING the day's duplicate group: a header line
//	                          {"c": citizen ID, "n": full name, "d": day},
//	                          then one visit record per line (appended);
//	                          expires at ExpireAt + Retention
//	P{ps}:gd           STRING the citizen's days with a group, comma-
//	                          separated; expires with the newest group
//	P{ps}:a:<day>      HASH   the day's re-scans: check-in ID -> the ID of
//	                          the visit it was merged into; expires with
//	                          the window, or with the group once there is one
//	P{c:<checkin id>}  STRING where a check-in's visit is: its citizen and
//	                          day, sealed (AES-GCM, see sealer); expires with
//	                          the visit's record (window or group). Only
//	                          for IDs that do not say it themselves: those
//	                          of NewCheckinID do (checkinid.go)
//	P{idx}:g           ZSET   every group: member "<ps>:<day>", score
//	                          day number * 2^31 + filing sequence; trimmed
//	P{idx}:f:<fac>     ZSET   the groups with a visit at facility fac, same
//	                          members and scores; trimmed
//	P{idx}:seq         STRING the filing sequence
//	P{ps}:k:<day>      LIST   the citizen's card checks of the day (the
//	                          gateway's look-up log, lookups.go): one JSON
//	                          record each, the newest MaxLookupsPerDay kept;
//	                          expires with the day's window
//	P{ps}:r:<day>      STRING the auditor's review of the day's group
//	                          (verifier.Review JSON); expires with the group
//	P{cf:<fac>}:d:<day> HASH  the facility's claims of the day: MA_LK →
//	                          verifier.Claim JSON; expires at the day's end
//	                          + Retention, as groups do
//	P{cf:<fac>}:k:<lk>  STRING the day a claim MA_LK is filed under (so a
//	                          resubmission that moves it can remove it)
//	P{cl}:df:<day>     SET    the facilities with claims on the day
//
// A citizen's keys share the hash tag {ps} and so one cluster slot: Record
// is one Lua script (recordScript), one round trip. The {idx} keys live in
// another slot and are written by a second script (indexScript) only when
// the first one reports a duplicate group, which is the rare path.
//
// Keys hold no citizen ID in clear, nor do windows; only the group
// records, which auditors read, hold the ID and name. The check-in index
// P{c:…} holds the citizen ID sealed with a key derived from PseudonymKey. A visit record is the
// JSON array [checkin id, facility, unix seconds, nanoseconds, visit type,
// kiosk, ticket, eligibility code, desk] (see record.go); Amend replaces a
// record in the window and the group in place (amendScript).
package redisledger

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Options configure a Ledger. The zero value of every field means its default.
type Options struct {
	// KeyPrefix starts every key (default "ck:"). It must not contain '{'
	// or '}', which would move the cluster hash tag.
	KeyPrefix string
	// PseudonymKey keys the HMAC that turns citizen IDs into key names. It
	// must be secret and stable for the life of the data: with it, the keys
	// of a Redis copy cannot be traced back to people; changing it orphans
	// the stored windows and groups.
	PseudonymKey []byte
	// Retention is how long a duplicate group is kept after its window
	// expires (default 400 days).
	Retention time.Duration
	// Now is the clock used only to trim index entries older than the
	// retention (default time.Now). Expiry is taken from the recordings.
	Now func() time.Time
	// WriteTimeout bounds a Record, which runs to completion even when its
	// caller's context is cancelled (default 3s).
	WriteTimeout time.Duration
	// Scripter, when set, runs the per-check-in record script instead of
	// the client: e.g. go-redis's AutoPipeliner, which writes the scripts
	// of concurrent check-ins to Redis in one batch. Everything else goes
	// through the client. Not used with MinReplicas (WAIT must follow the
	// script on its own connection).
	Scripter redis.Scripter
	// MinReplicas: with N > 0, Record succeeds only once N replicas have
	// the visit's writes (Redis WAIT, bounded by WaitTimeout, sent on the
	// connection that wrote them, to the node that owns the key's slot on a
	// Cluster); otherwise it fails with a KindUnavailable error and no
	// Recorded (no ticket may be handed out that a failover could hand out
	// again), so that the outbox keeps the visit and replays it until the
	// replicas confirm it.
	MinReplicas int
	// WaitTimeout bounds each WAIT (default 150 ms).
	WaitTimeout time.Duration
}

// Defaults.
const (
	DefaultKeyPrefix    = "ck:"
	DefaultRetention    = 400 * 24 * time.Hour
	DefaultWriteTimeout = 3 * time.Second
	DefaultWaitTimeout  = 150 * time.Millisecond
	// DefaultLimit and MaxLimit bound DuplicateQuery.Limit.
	DefaultLimit = 100
	MaxLimit     = 1000
)

// trimMargin keeps index entries this much longer than the retention, for
// groups whose window expiry lies days after their day (offline delay).
const trimMargin = 31 * 24 * time.Hour

// seqBits is the width of the filing sequence in an index score: scores are
// exact in a float64 up to day numbers of 2^22 (year 13453).
const seqBits = 31

// Ledger is a verifier.Ledger kept in Redis. It is safe for concurrent use,
// and Record is atomic per citizen across every process sharing the Redis.
type Ledger struct {
	rdb     redis.UniversalClient
	scripts redis.Scripter // runs recordScript: the client, or Options.Scripter
	o       Options
	psn     *verifier.Pseudonymizer // CitizenID.Pseudonym with o.PseudonymKey, reusing HMAC states
	// cluster: the ticket counter of a facility's day lives in another
	// slot than the citizen's keys, so it is drawn before the script.
	cluster bool
	seal    *sealer  // the check-in index's values
	loc     *locator // check-in IDs that need no index entry
}

var _ verifier.Ledger = (*Ledger)(nil)

// New returns a Ledger that stores its keys through client. It panics when
// opts.KeyPrefix contains a brace.
func New(client redis.UniversalClient, opts Options) *Ledger {
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(opts.KeyPrefix, "{}") {
		panic("redisledger: KeyPrefix must not contain '{' or '}'")
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	_, cluster := client.(*redis.ClusterClient)
	l := &Ledger{rdb: client, scripts: client, o: opts, cluster: cluster, psn: verifier.NewPseudonymizer(opts.PseudonymKey), seal: newSealer(opts.PseudonymKey), loc: newLocator(opts.PseudonymKey)}
	if opts.Scripter != nil {
		l.scripts = opts.Scripter
	}
	return l
}

func (l *Ledger) pseudonym(id verifier.CitizenID) string { return l.psn.Of(id) }

// unavailable translates a driver error at the package boundary.
func unavailable(err error) error {
	return verifier.Wrap(err, verifier.KindUnavailable, "ledger_unavailable", "the visit ledger does not answer")
}

const dayLayout = "2006-01-02"

// dayNumber returns the days from 1970-01-01 to day (YYYY-MM-DD).
func dayNumber(day string) (int64, error) {
	t, err := time.Parse(dayLayout, day)
	if err != nil {
		return 0, err
	}
	return t.Unix() / 86400, nil
}

// trimDay is the day number before which index entries have expired.
func (l *Ledger) trimDay() int64 {
	return l.o.Now().Add(-l.o.Retention-trimMargin).Unix() / 86400
}

// Record implements verifier.Ledger with one call of recordScript (two
// when the visit creates a duplicate group, see the script), plus one of
// indexScript when the day has a duplicate group. It is not cancelled by
// ctx (a kiosk hanging up must not lose a recorded visit) but bounded by
// ctx's deadline, if any, and by Options.WriteTimeout. When only the index
// write fails, Record returns the Recorded together with the error: the
// visit is stored, and the next Record of that citizen and day (a retry is
// a re-scan) files the group.
func (l *Ledger) Record(ctx context.Context, r verifier.Recording) (verifier.Recorded, error) {
	v := r.Visit
	dayNum, err := checkRecording(r)
	if err != nil {
		return verifier.Recorded{}, err
	}
	ctx, cancel := l.writeContext(ctx)
	defer cancel()

	ps := l.pseudonym(v.CitizenID)
	trim := l.trimDay()
	a := l.newRecordArgs(r, ps)
	keys := a.keys[:]
	if a.located {
		keys = a.keys[:5] // no index entry: the ID says where the visit is
	}
	if l.cluster {
		// A second round trip, on a cluster only; a re-scan then skips
		// the number it drew. The check-in index goes with it: it too
		// lives in a slot of its own.
		keys = a.keys[:4]
		if l.o.MinReplicas > 0 {
			if err := l.clusterPreWaited(ctx, a, r); err != nil {
				return verifier.Recorded{}, err
			}
		} else {
			pipe := l.rdb.Pipeline()
			incr := pipe.Incr(ctx, a.keys[4])
			pipe.ExpireAt(ctx, a.keys[4], r.ExpireAt)
			if !a.located {
				pipe.SetArgs(ctx, a.keys[5], a.ptr, redis.SetArgs{Mode: "NX", ExpireAt: r.ExpireAt})
			}
			if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
				return verifier.Recorded{}, unavailable(err)
			}
			a.ticket = incr.Val()
		}
	}
	if l.o.MinReplicas > 0 {
		a.touch = "1"
	}
	res, err := l.runRecord(ctx, keys, a.argv[:7])
	if err == nil && res.status == statusNeedsGroup {
		// The visit creates a group: again, with what only the group
		// needs (nothing was written).
		a.header = groupHeader(v.CitizenID, r.FullName, v.Day)
		a.oldest = time.Unix(trim*86400, 0).UTC().Format(dayLayout)
		res, err = l.runRecord(ctx, keys, a.argv[:])
		if err == nil && res.status == statusNeedsGroup {
			err = errReply("asked twice for the group's arguments")
		}
	}
	if err != nil {
		return verifier.Recorded{}, err
	}
	// The window's other records: the earlier ones (a new visit), or all
	// of them, the stored one included (a repeat).
	recs := make([]verifier.Visit, len(res.recs))
	for i, s := range res.recs {
		if recs[i], err = decodeRecord(s, v.CitizenID, v.Day); err != nil {
			return verifier.Recorded{}, err
		}
	}
	var out verifier.Recorded
	if res.status == statusRepeat {
		out = verifier.Recorded{Visit: recs[res.n-1], Repeat: true}
		recs = slices.Delete(recs, int(res.n-1), int(res.n))
	} else {
		v.Ticket = int(res.n)
		if out.Visit, err = recordedAs(v); err != nil {
			return verifier.Recorded{}, err
		}
	}
	stored := out.Visit
	atStored := 1 // the day's visits at the stored visit's facility
	for _, o := range recs {
		if o.Facility == stored.Facility {
			atStored++
			continue
		}
		if out.Others == nil {
			// Sized once: every record but the stored visit's may be
			// at another facility. Left nil when none is.
			out.Others = make([]verifier.Visit, 0, max(len(recs), 1))
		}
		out.Others = append(out.Others, o)
	}
	verifier.SortVisits(out.Others)
	// The check-in index of a group's visits lives as long as the group:
	// every visit's and re-scan's when the group is created, the new
	// one's when it joins, a re-scan's when it is merged into a group.
	var extend []string
	switch {
	case res.group == groupCreated:
		extend = append(extend, stored.CheckinID)
		for _, o := range recs {
			extend = append(extend, o.CheckinID)
		}
		extend = append(extend, res.aliases...)
	case res.group == groupUpdated, res.group == groupRescan && stored.CheckinID != v.CheckinID:
		extend = append(extend, v.CheckinID)
	}
	// IDs that say where their visit is have no entry.
	extend = slices.DeleteFunc(extend, func(id string) bool { return l.loc.locates(id, v.CitizenID, v.Day) })
	if len(extend) > 0 {
		at := r.ExpireAt.Add(l.o.Retention)
		pipe := l.rdb.Pipeline()
		for _, id := range extend {
			pipe.Do(ctx, "PEXPIREAT", l.checkinKey(id), at.UnixMilli(), "GT")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return out, unavailable(err)
		}
		// Not WAITed for: after a failover an index entry would keep the
		// window's expiry, and a re-scan of the day extends it again.
	}
	// The index needs writing when a group is new, when a facility joins
	// it, or when a recorded visit is sent again (a retry or an outbox
	// replay after a failed index write heals the index); not on every
	// visit or desk re-scan of a flagged day, which would make a busy
	// citizen's day cost a write per facility each time.
	switch {
	case res.group == groupCreated:
	case res.group == groupUpdated && atStored == 1:
	case res.group == groupRescan && stored.CheckinID == v.CheckinID:
	default:
		return out, nil
	}
	// The rare path: the day's facilities, in arrival order.
	keys = []string{l.seqKey(), l.indexKey()}
	all := recs
	if res.status != statusRepeat {
		all = append(slices.Clip(recs), stored)
	} else {
		all = slices.Insert(slices.Clip(recs), int(res.n-1), stored)
	}
	for _, o := range all {
		if k := l.facilityKey(o.Facility); !slices.Contains(keys[2:], k) {
			keys = append(keys, k)
		}
	}
	args := []any{indexMember(ps, v.Day), dayNum, strconv.FormatInt(trim<<seqBits, 10)}
	if l.o.MinReplicas > 0 {
		// The auditors' index: waited for like the visit, so that a
		// failover does not lose a group's entry. Failing here leaves the
		// visit confirmed but the answer an error: the outbox replays it,
		// which files the entry again (the script is idempotent).
		_, err = l.waited(ctx, indexScript, keys, args...)
		if err != nil {
			return out, err
		}
		return out, nil
	}
	err = indexScript.Run(ctx, l.rdb, keys, args...).Err()
	if err != nil {
		return out, unavailable(err)
	}
	return out, nil
}

// writeContext returns the context of a write: ctx's deadline (the outbox
// sets one just before it calls Record) and Options.WriteTimeout, whichever
// ends first, without ctx's cancellation.
func (l *Ledger) writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(l.o.WriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline)
}

// runRecord runs recordScript and reads its reply.
func (l *Ledger) runRecord(ctx context.Context, keys []string, argv []any) (recordReply, error) {
	var raw any
	if l.o.MinReplicas > 0 {
		c, err := l.waited(ctx, recordScript, keys, argv...)
		if err != nil {
			return recordReply{}, err
		}
		raw = c.Val()
	} else {
		var err error
		if raw, err = l.evalRecord(ctx, keys, argv); err != nil {
			return recordReply{}, unavailable(err)
		}
	}
	return parseRecordReply(raw)
}

// submitter is go-redis's deferred AutoPipeliner (Client.AsyncAutoPipeline).
type submitter interface {
	processor
	Submit(ctx context.Context, cmd redis.Cmder) redis.AutoFuture
	IsBlocking() bool
}

// evalRecord runs recordScript through Options.Scripter or the client,
// within ctx's deadline. A deferred AutoPipeliner writes the command with
// other check-ins' in its own goroutine: Record waits for the reply only
// until the deadline (a late reply is dropped; recording the check-in ID
// again changes nothing), which a blocking pipeliner cannot do. The keys go
// in as pointers, as argv does, which go-redis writes as the strings they
// point to: no allocation per key.
func (l *Ledger) evalRecord(ctx context.Context, keys []string, argv []any) (any, error) {
	args := make([]any, 0, 3+len(keys)+len(argv))
	args = append(args, "evalsha", recordScript.Hash(), len(keys))
	for i := range keys {
		args = append(args, &keys[i])
	}
	args = append(args, argv...)
	cmd := redis.NewCmd(ctx, args...)
	var err error
	switch s := l.scripts.(type) {
	case submitter:
		if s.IsBlocking() {
			err = s.Process(ctx, cmd)
		} else {
			err = s.Submit(ctx, cmd).WaitContext(ctx)
		}
	case processor:
		err = s.Process(ctx, cmd)
	default: // another Scripter (tests)
		return recordScript.Run(ctx, l.scripts, keys, argv...).Result()
	}
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		return recordScript.Eval(ctx, l.rdb, keys, argv...).Result()
	}
	if err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}

// processor runs a command: the go-redis clients.
type processor interface {
	Process(ctx context.Context, cmd redis.Cmder) error
}

// The status and group values of recordScript's reply.
const (
	statusNew, statusRepeat, statusNeedsGroup          = 0, 1, 2
	groupNone, groupCreated, groupUpdated, groupRescan = 0, 1, 2, 3
)

// recordReply is recordScript's reply, read and checked.
type recordReply struct {
	status  int64
	n       int64 // the new visit's ticket, or the repeated record's index in recs (from 1)
	group   int64
	aliases []string
	recs    []string
}

func errReply(why string) error {
	return verifier.Errorf(verifier.KindInternal, "ledger_corrupt", "unexpected reply from the record script: %s", why)
}

// parseRecordReply checks every element of the script's reply for its
// type and range: a reply of another shape (another script under the
// same SHA, a Redis that converts differently) is an error, never a panic
// or a silent zero.
func parseRecordReply(raw any) (recordReply, error) {
	var r recordReply
	if t, ok := raw.(int64); ok {
		// a first visit of the day: its ticket alone
		if t < 0 {
			return r, errReply(fmt.Sprintf("ticket %d", t))
		}
		return recordReply{status: statusNew, n: t, group: groupNone}, nil
	}
	res, ok := raw.([]any)
	if !ok || len(res) == 0 {
		return r, errReply(fmt.Sprintf("%T, want an integer or an array", raw))
	}
	ints := make([]int64, min(len(res), 4))
	for i := range ints {
		x, ok := res[i].(int64)
		if !ok {
			return r, errReply(fmt.Sprintf("element %d is %T, want an integer", i+1, res[i]))
		}
		ints[i] = x
	}
	r.status = ints[0]
	switch {
	case r.status == statusNeedsGroup && len(res) == 1:
		return r, nil
	case r.status != statusNew && r.status != statusRepeat:
		return r, errReply(fmt.Sprintf("status %d", r.status))
	case len(res) < 4:
		return r, errReply(fmt.Sprintf("%d elements", len(res)))
	}
	r.n, r.group = ints[1], ints[2]
	nAliases := ints[3]
	if r.group < groupNone || r.group > groupRescan || nAliases < 0 || nAliases > int64(len(res)-4) {
		return r, errReply(fmt.Sprintf("group %d, %d aliases of %d elements", r.group, nAliases, len(res)))
	}
	strs := make([]string, len(res)-4)
	for i, x := range res[4:] {
		s, ok := x.(string)
		if !ok {
			return r, errReply(fmt.Sprintf("element %d is %T, want a string", i+5, x))
		}
		strs[i] = s
	}
	r.aliases, r.recs = strs[:nAliases], strs[nAliases:]
	if r.status == statusRepeat && (r.n < 1 || r.n > int64(len(r.recs))) {
		return r, errReply(fmt.Sprintf("repeat of record %d of %d", r.n, len(r.recs)))
	}
	if r.status == statusNew && r.n < 0 {
		return r, errReply(fmt.Sprintf("ticket %d", r.n))
	}
	return r, nil
}

// errUnconfirmed is Record's error when the replicas did not confirm a
// visit's writes within the WAIT timeout.
func errUnconfirmed(got, want int64) error {
	return verifier.Errorf(verifier.KindUnavailable, "replicas_unconfirmed", "%d of the %d Redis replicas required confirmed the visit in time", got, want)
}

// node returns the client of the Redis node that owns key's slot (the
// client itself on a single Redis): WAIT counts the replicas of the node
// it is sent to, for the writes of the connection it is sent on.
func (l *Ledger) node(ctx context.Context, key string) (redis.Cmdable, error) {
	if cc, ok := l.rdb.(*redis.ClusterClient); ok {
		n, err := cc.MasterForKey(ctx, key)
		if err != nil {
			return nil, unavailable(err)
		}
		return n, nil
	}
	return l.rdb, nil
}

// waited runs script (by its SHA) on keys and WAIT in one pipeline, on one
// connection of the node that owns keys[0], loading the script there first
// if the node does not know it. It returns the script's result once
// MinReplicas replicas confirmed; errUnconfirmed otherwise.
func (l *Ledger) waited(ctx context.Context, script *redis.Script, keys []string, args ...any) (*redis.Cmd, error) {
	n, err := l.node(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		pipe := n.Pipeline()
		c := pipe.EvalSha(ctx, script.Hash(), keys, args...)
		w := pipe.Do(ctx, "WAIT", l.o.MinReplicas, l.o.WaitTimeout.Milliseconds())
		_, _ = pipe.Exec(ctx)
		if err := c.Err(); err != nil {
			if attempt == 0 && strings.HasPrefix(err.Error(), "NOSCRIPT") {
				if err := script.Load(ctx, n).Err(); err != nil {
					return nil, unavailable(err)
				}
				continue
			}
			return nil, unavailable(err)
		}
		got, err := w.Int64()
		if err != nil {
			return nil, unavailable(err)
		}
		if got < int64(l.o.MinReplicas) {
			return nil, errUnconfirmed(got, int64(l.o.MinReplicas))
		}
		return c, nil
	}
}

// clusterPreWaited draws the ticket and writes the check-in index on a
// Cluster with MinReplicas: each on the node of its slot, with a WAIT. The
// ticket's INCR always writes, so its WAIT covers an earlier attempt; the
// index entry is written NX, then touched (XX KEEPTTL) so that it always
// writes too.
func (l *Ledger) clusterPreWaited(ctx context.Context, a *recordArgs, r verifier.Recording) error {
	n, err := l.node(ctx, a.keys[4])
	if err != nil {
		return err
	}
	pipe := n.Pipeline()
	incr := pipe.Incr(ctx, a.keys[4])
	pipe.ExpireAt(ctx, a.keys[4], r.ExpireAt)
	w := pipe.Do(ctx, "WAIT", l.o.MinReplicas, l.o.WaitTimeout.Milliseconds())
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable(err)
	}
	if got, _ := w.Int64(); got < int64(l.o.MinReplicas) {
		return errUnconfirmed(got, int64(l.o.MinReplicas))
	}
	a.ticket = incr.Val()
	if a.located {
		return nil // no index entry to write
	}
	if n, err = l.node(ctx, a.keys[5]); err != nil {
		return err
	}
	pipe = n.Pipeline()
	pipe.SetArgs(ctx, a.keys[5], a.ptr, redis.SetArgs{Mode: "NX", ExpireAt: r.ExpireAt})
	pipe.SetArgs(ctx, a.keys[5], a.ptr, redis.SetArgs{Mode: "XX", KeepTTL: true})
	w = pipe.Do(ctx, "WAIT", l.o.MinReplicas, l.o.WaitTimeout.Milliseconds())
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return unavailable(err)
	}
	if got, _ := w.Int64(); got < int64(l.o.MinReplicas) {
		return errUnconfirmed(got, int64(l.o.MinReplicas))
	}
	return nil
}

// recordArgs are the keys and ARGV of one recordScript call (see its
// comment), built with few allocations, as the largest allocator of a
// check-in was: the keys are substrings of one buffer, and argv holds
// pointers to the fields, which go-redis writes as the values they point
// to (it takes *string and *int64) and which go into an interface without
// allocating. (A Cmd's String would show the pointers; nothing here logs
// it.) Nothing changes what a call was given once it was sent: an
// AutoPipeliner writes it later; the second call of a visit that creates a
// group only adds the fields past the first call's ARGV.
type recordArgs struct {
	keys [6]string // KEYS: window, group, group days, aliases, tickets, check-in (the last two on a single Redis only)
	// located: the check-in ID says where its visit is (NewCheckinID),
	// and keys[5], the index entry, is not written.
	located bool

	head, tail, ptr, touch, header, day, oldest string
	ticket, within, expire, groupExpire         int64

	argv [10]any // ARGV[1..10]: pointers to the fields above
}

func (l *Ledger) newRecordArgs(r verifier.Recording, ps string) *recordArgs {
	v := r.Visit
	a := &recordArgs{
		day: v.Day, within: r.RepeatWithin.Nanoseconds(),
		expire: r.ExpireAt.UnixMilli(), groupExpire: r.ExpireAt.Add(l.o.Retention).UnixMilli(),
	}
	var stack [512]byte // a usual call fits: the one allocation is the string
	b := stack[:0]
	var end [6]int
	b = l.appendWindowKey(b, ps, v.Day)
	end[0] = len(b)
	b = l.appendGroupKey(b, ps, v.Day)
	end[1] = len(b)
	b = l.appendGroupDaysKey(b, ps)
	end[2] = len(b)
	b = l.appendAliasKey(b, ps, v.Day)
	end[3] = len(b)
	b = l.appendTicketKey(b, v.Facility, v.Day)
	end[4] = len(b)
	b = l.appendCheckinKey(b, v.CheckinID)
	end[5] = len(b)
	b, tailAt := appendRecordParts(b, v)
	s := string(b)
	a.keys = [6]string{s[:end[0]], s[end[0]:end[1]], s[end[1]:end[2]], s[end[2]:end[3]], s[end[3]:end[4]], s[end[4]:end[5]]}
	a.head, a.tail = s[end[5]:tailAt], s[tailAt:]
	if a.located = l.loc.locates(v.CheckinID, v.CitizenID, v.Day); !a.located {
		a.ptr = l.seal.seal(v.CheckinID, v.CitizenID, v.Day)
	}
	a.touch = "0"
	// ARGV[4]: the check-in index's value where the script writes it (a
	// single Redis), the ticket drawn before the script on a cluster.
	var fourth any = &a.ptr
	if l.cluster {
		fourth = &a.ticket
	}
	a.argv = [10]any{&a.head, &a.tail, &a.expire, fourth, &a.within, &a.groupExpire, &a.touch,
		&a.header, &a.day, &a.oldest}
	return a
}

func checkRecording(r verifier.Recording) (int64, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	return dayNumber(r.Visit.Day)
}

// Visits implements verifier.Ledger: the visits of the citizen's window for
// day, together with those kept in the day's duplicate group (which outlives
// the window), in one round trip.
func (l *Ledger) Visits(ctx context.Context, id verifier.CitizenID, day string) ([]verifier.Visit, error) {
	ps := l.pseudonym(id)
	pipe := l.rdb.Pipeline()
	w := pipe.LRange(ctx, l.windowKey(ps, day), 0, -1)
	g := pipe.Get(ctx, l.groupKey(ps, day))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	out := make([]verifier.Visit, 0, len(w.Val()))
	for _, s := range w.Val() {
		v, err := decodeRecord(s, id, day)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if grp, ok, err := decodeGroup(g.Val()); err != nil {
		return nil, err
	} else if ok {
		for _, v := range grp.Visits {
			if !slices.ContainsFunc(out, func(o verifier.Visit) bool { return o.CheckinID == v.CheckinID }) {
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	verifier.SortVisits(out)
	return out, nil
}

// openCheckin reads the check-in index: whose visit checkinID is, and on
// which day.
func (l *Ledger) openCheckin(ctx context.Context, checkinID string) (verifier.CitizenID, string, error) {
	if id, day, ok := l.loc.locate(checkinID); ok {
		return id, day, nil // the ID says where (NewCheckinID)
	}
	sealed, err := l.rdb.Get(ctx, l.checkinKey(checkinID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", "", verifier.ErrCheckinNotFound()
	}
	if err != nil {
		return "", "", unavailable(err)
	}
	id, day, err := l.seal.open(checkinID, sealed)
	if err != nil {
		return "", "", verifier.Wrap(err, verifier.KindInternal, "ledger_corrupt", "a stored check-in index entry cannot be read")
	}
	return id, day, nil
}

// Checkin implements verifier.Ledger: the check-in index names the
// citizen's day, whose window, group and re-scans are then read in one
// round trip.
func (l *Ledger) Checkin(ctx context.Context, checkinID string) (verifier.Visit, error) {
	if !verifier.ValidCheckinID(checkinID) {
		return verifier.Visit{}, verifier.ErrCheckinNotFound()
	}
	id, day, err := l.openCheckin(ctx, checkinID)
	if err != nil {
		return verifier.Visit{}, err
	}
	v, _, _, err := l.findVisit(ctx, id, day, checkinID)
	return v, err
}

// findVisit reads the visit a check-in ID names (a re-scan's ID names
// the visit it was merged into) with the stored records it is kept as: in
// the day's window (inWindow) and in the duplicate group (inGroup, "" when
// none). The window's copy wins when both are there.
func (l *Ledger) findVisit(ctx context.Context, id verifier.CitizenID, day, checkinID string) (v verifier.Visit, inWindow, inGroup string, err error) {
	ps := l.pseudonym(id)
	pipe := l.rdb.Pipeline()
	w := pipe.LRange(ctx, l.windowKey(ps, day), 0, -1)
	g := pipe.Get(ctx, l.groupKey(ps, day))
	a := pipe.HGet(ctx, l.aliasKey(ps, day), checkinID)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return v, "", "", unavailable(err)
	}
	target := checkinID
	if a.Val() != "" {
		target = a.Val()
	}
	found := false
	for _, s := range w.Val() {
		o, err := decodeRecord(s, id, day)
		if err != nil {
			return v, "", "", err
		}
		if o.CheckinID == target {
			v, inWindow, found = o, s, true
			break
		}
	}
	if gs := g.Val(); gs != "" {
		for _, line := range strings.Split(gs, "\n")[1:] {
			o, err := decodeRecord(line, id, day)
			if err != nil {
				return v, "", "", err
			}
			if o.CheckinID == target {
				if !found {
					v, found = o, true
				}
				inGroup = line
				break
			}
		}
	}
	if !found {
		return v, "", "", verifier.ErrCheckinNotFound()
	}
	return v, inWindow, inGroup, nil
}

// amendTries bounds Amend's compare-and-set attempts: each one fails only
// when another change of the same visit came between its read and write.
const amendTries = 8

// Amend implements verifier.Ledger: the visit's record is read (as
// Checkin finds it), changed in Go, and written back by amendScript only
// if it is still as read; a concurrent change makes it read again.
func (l *Ledger) Amend(ctx context.Context, checkinID string, fn func(*verifier.Visit) error) (verifier.Visit, error) {
	if !verifier.ValidCheckinID(checkinID) {
		return verifier.Visit{}, verifier.ErrCheckinNotFound()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.o.WriteTimeout)
	defer cancel()
	id, day, err := l.openCheckin(ctx, checkinID)
	if err != nil {
		return verifier.Visit{}, err
	}
	ps := l.pseudonym(id)
	keys := []string{l.windowKey(ps, day), l.groupKey(ps, day)}
	for range amendTries {
		v, inWindow, inGroup, err := l.findVisit(ctx, id, day, checkinID)
		if err != nil {
			return verifier.Visit{}, err
		}
		amended, err := verifier.AmendVisit(v, fn)
		if err != nil {
			return verifier.Visit{}, err
		}
		rec := encodeRecord(amended)
		if rec == inWindow && (inGroup == "" || rec == inGroup) {
			return amended, nil // nothing changes
		}
		args := []any{inWindow, inGroup, rec}
		var n int64
		if l.o.MinReplicas > 0 {
			c, err := l.waited(ctx, amendScript, keys, args...)
			if err != nil {
				return verifier.Visit{}, err
			}
			n, err = c.Int64()
			if err != nil {
				return verifier.Visit{}, unavailable(err)
			}
		} else if n, err = amendScript.Run(ctx, l.rdb, keys, args...).Int64(); err != nil {
			return verifier.Visit{}, unavailable(err)
		}
		if n == 1 {
			return amended, nil
		}
	}
	return verifier.Visit{}, verifier.Errorf(verifier.KindUnavailable, "amend_conflict", "the visit kept changing while it was being amended; try again")
}

// cursor is the position after the last group of a page: its index score.
type cursor struct {
	Score *int64 `json:"s"`
}

func badCursor() error {
	return verifier.Errorf(verifier.KindInvalid, "invalid_cursor", "the cursor is not one this server returned")
}

func badDay() error {
	return verifier.Errorf(verifier.KindInvalid, "invalid_day", "a day is written YYYY-MM-DD")
}

// scoredGroup is a group found in the index, with its score.
type scoredGroup struct {
	score int64
	group verifier.DuplicateGroup
}

// Duplicates implements verifier.Ledger. Groups come in index score order
// (day, then filing order); the opaque cursor is the score of the last group
// returned, so groups filed later never shift it.
//
// Cost: without a citizen filter, one ZRANGEBYSCORE on the whole index or on
// the facility's index, plus one pipelined HGETALL per group returned; with
// a citizen filter, one ZRANGEBYSCORE on the citizen's group days plus one
// pipeline of ZSCORE and HGETALL per day in range (the facility filter is
// then applied in Go to at most 400 groups).
func (l *Ledger) Duplicates(ctx context.Context, q verifier.DuplicateQuery) (verifier.DuplicatePage, error) {
	lo, hi := int64(-1<<62), int64(1<<62) // day numbers, inclusive
	if q.From != "" {
		n, err := dayNumber(q.From)
		if err != nil {
			return verifier.DuplicatePage{}, badDay()
		}
		lo = n
	}
	if q.To != "" {
		n, err := dayNumber(q.To)
		if err != nil {
			return verifier.DuplicatePage{}, badDay()
		}
		hi = n
	}
	after := int64(-1 << 62) // scores strictly greater are wanted
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var c cursor
		if err != nil || json.Unmarshal(b, &c) != nil || c.Score == nil {
			return verifier.DuplicatePage{}, badCursor()
		}
		after = *c.Score
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)

	var found []scoredGroup
	var err error
	if q.Citizen != "" {
		found, err = l.citizenGroups(ctx, q, lo, hi, after, limit+1)
	} else {
		found, err = l.indexGroups(ctx, q, lo, hi, after, limit+1)
	}
	if err != nil {
		return verifier.DuplicatePage{}, err
	}
	var page verifier.DuplicatePage
	if len(found) > limit {
		found = found[:limit]
		b, _ := json.Marshal(cursor{Score: &found[limit-1].score})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	for _, g := range found {
		page.Items = append(page.Items, g.group)
	}
	return page, nil
}

func scoreBound(day int64, exclusive bool) string {
	switch {
	case day <= -1<<62:
		return "-inf"
	case day >= 1<<62:
		return "+inf"
	}
	s := strconv.FormatInt(day<<seqBits, 10)
	if exclusive {
		return "(" + s
	}
	return s
}

// indexGroups reads up to want groups from the whole index or the
// facility's, skipping entries whose group has expired.
func (l *Ledger) indexGroups(ctx context.Context, q verifier.DuplicateQuery, lo, hi, after int64, want int) ([]scoredGroup, error) {
	key := l.indexKey()
	if q.Facility != "" {
		key = l.facilityKey(q.Facility)
	}
	minScore, maxScore := scoreBound(lo, false), scoreBound(hi+1, true)
	if after > -1<<62 && (lo <= -1<<62 || after >= lo<<seqBits) {
		minScore = "(" + strconv.FormatInt(after, 10)
	}
	var out []scoredGroup
	for len(out) < want {
		n := want - len(out)
		zs, err := l.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: minScore, Max: maxScore, Count: int64(n)}).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		if len(zs) == 0 {
			break
		}
		pipe := l.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, len(zs))
		reviews := make([]*redis.StringCmd, len(zs))
		for i, z := range zs {
			ps, day, _ := strings.Cut(z.Member.(string), ":")
			cmds[i] = pipe.Get(ctx, l.groupKey(ps, day))
			reviews[i] = pipe.Get(ctx, l.reviewKey(ps, day))
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, unavailable(err)
		}
		for i, z := range zs {
			g, ok, err := decodeGroup(cmds[i].Val())
			if err != nil {
				return nil, err
			}
			if ok {
				g.Review = decodeReview(reviews[i].Val())
				out = append(out, scoredGroup{score: int64(z.Score), group: g})
			}
		}
		if len(zs) < n {
			break
		}
		minScore = "(" + strconv.FormatInt(int64(zs[len(zs)-1].Score), 10)
	}
	return out, nil
}

// citizenGroups reads up to want groups of one citizen.
func (l *Ledger) citizenGroups(ctx context.Context, q verifier.DuplicateQuery, lo, hi, after int64, want int) ([]scoredGroup, error) {
	ps := l.pseudonym(q.Citizen)
	lo = max(lo, after>>seqBits)
	list, err := l.rdb.Get(ctx, l.groupDaysKey(ps)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	var days []string
	for _, day := range strings.Split(list, ",") {
		if n, err := dayNumber(day); err == nil && n >= lo && n <= hi {
			days = append(days, day)
		}
	}
	if len(days) == 0 {
		return nil, nil
	}
	slices.Sort(days)
	pipe := l.rdb.Pipeline()
	scores := make([]*redis.FloatCmd, len(days))
	groups := make([]*redis.StringCmd, len(days))
	reviews := make([]*redis.StringCmd, len(days))
	for i, day := range days {
		scores[i] = pipe.ZScore(ctx, l.indexKey(), indexMember(ps, day))
		groups[i] = pipe.Get(ctx, l.groupKey(ps, day))
		reviews[i] = pipe.Get(ctx, l.reviewKey(ps, day))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	var out []scoredGroup
	for i := range days {
		score, err := scores[i].Result()
		if errors.Is(err, redis.Nil) {
			continue // not filed (yet): invisible, as in the other queries
		}
		if err != nil {
			return nil, unavailable(err)
		}
		if int64(score) <= after {
			continue
		}
		g, ok, err := decodeGroup(groups[i].Val())
		if err != nil {
			return nil, err
		}
		if !ok || q.Facility != "" && !slices.ContainsFunc(g.Visits, func(v verifier.Visit) bool { return v.Facility == q.Facility }) {
			continue
		}
		g.Review = decodeReview(reviews[i].Val())
		out = append(out, scoredGroup{score: int64(score), group: g})
		if len(out) == want {
			break
		}
	}
	return out, nil
}

// decodeGroup reads a group record; ok is false when there is none (it
// expired). Visits are deduplicated by check-in id and put in time order.
func decodeGroup(s string) (g verifier.DuplicateGroup, ok bool, err error) {
	if s == "" {
		return g, false, nil
	}
	lines := strings.Split(s, "\n")
	var h header
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil || h.CitizenID == "" || h.Day == "" || len(lines) < 2 {
		return g, false, verifier.Errorf(verifier.KindInternal, "ledger_corrupt", "a stored duplicate group cannot be read")
	}
	g = verifier.DuplicateGroup{CitizenID: h.CitizenID, FullName: h.FullName, Day: h.Day}
	for _, line := range lines[1:] {
		v, err := decodeRecord(line, g.CitizenID, g.Day)
		if err != nil {
			return g, false, err
		}
		if !slices.ContainsFunc(g.Visits, func(o verifier.Visit) bool { return o.CheckinID == v.CheckinID }) {
			g.Visits = append(g.Visits, v)
		}
	}
	verifier.SortVisits(g.Visits)
	return g, true, nil
}

// Ping implements verifier.Ledger. With MinReplicas it also fails while a
// primary (every master of a Cluster) has fewer replicas connected, when no
// check-in could be confirmed: readiness says so, and the outbox's breaker
// stays open instead of letting check-ins wait for WAITs that cannot
// succeed. (A replica connected but stalled is caught by WAIT itself.)
func (l *Ledger) Ping(ctx context.Context) error {
	if err := l.rdb.Ping(ctx).Err(); err != nil {
		return unavailable(err)
	}
	if l.o.MinReplicas == 0 {
		return nil
	}
	check := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return unavailable(err)
		}
		n := -1
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "connected_slaves:"); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		if n < l.o.MinReplicas {
			return verifier.Errorf(verifier.KindUnavailable, "replicas_missing", "%d of the %d Redis replicas required are connected to %s", max(n, 0), l.o.MinReplicas, c.Options().Addr)
		}
		return nil
	}
	switch c := l.rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, check)
	case *redis.Client:
		return check(ctx, c)
	}
	return nil
}

// String describes the ledger for logs, without secrets.
func (l *Ledger) String() string {
	return fmt.Sprintf("redisledger(prefix=%q, retention=%s)", l.o.KeyPrefix, l.o.Retention)
}
