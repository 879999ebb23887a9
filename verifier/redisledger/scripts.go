package redisledger

import "github.com/redis/go-redis/v9"

// recordScript records one check-in atomically: the re-scan rule, the write
// to the citizen's window for the day, and the creation or update of the
// day's duplicate group. All its keys belong to one citizen and share the
// hash tag {<pseudonym>}, so they sit in one Redis Cluster slot. Times come
// in as ARGV (the script never calls TIME). Needs Redis >= 7.0 (PEXPIREAT
// GT and NX).
//
// It is what a check-in costs the one Redis thread that a shard has, so it
// does as little as it can (see BenchmarkRecordRedisCost and the README's
// "What a check-in costs Redis"): inside a script every redis.call costs
// about a microsecond more than the command itself, and every argument
// about a tenth of one, so a first visit of the day (the common case: no
// window, no group) runs four commands (EXISTS of the window and the group
// in one call, INCR, RPUSH, PEXPIREAT; a fifth, SET of the check-in index,
// only for an ID that NewCheckinID did not mint), reads no
// argument but the four it needs and is answered with its ticket alone.
// Go builds every string it can (keys, the record around its ticket, the
// group header). What only a later visit of the day needs is sent but not
// read on that path: the check-in id, facility and time are read back from
// the record's own head (decoded with cjson, as the stored records are, so
// that both sides compare alike), and what only the auditors' group needs
// (its header line with the citizen's ID and name, the group days) is not
// sent at all: when the visit would create a group, the script writes
// nothing and answers {2}, and Record calls it again with those arguments
// (ARGV[8..10]). Each call is atomic on its own, and the second decides
// again from what it reads, so nothing is lost between them.
//
// KEYS[1] window:      <prefix>{<pseudonym>}:w:<day>  LIST of visit records
// KEYS[2] group:       <prefix>{<pseudonym>}:g:<day>  STRING header line, then one visit record per line
// KEYS[3] group days:  <prefix>{<pseudonym>}:gd       STRING days with a group, comma-separated
// KEYS[4] aliases:     <prefix>{<pseudonym>}:a:<day>  HASH re-scan's check-in id -> id of the visit it was merged into
// KEYS[5] tickets:     <prefix>{t:<facility>}:<day>   STRING the facility's last queue number of the day
// KEYS[6] check-in:    <prefix>{c:<checkin id>}       STRING ARGV[4]: where the check-in's visit is (see checkinKey)
//
// KEYS[5] and KEYS[6] are given on a single Redis, where the script numbers
// a new visit (a re-scan keeps its number) and indexes the check-in id;
// on a cluster they live in other slots, and the caller draws the number
// into ARGV[4] and writes KEYS[6] itself. KEYS[6] is left out when the
// check-in ID says where its visit is (NewCheckinID): no index entry.
//
// ARGV[1]  the new visit record up to its ticket: [checkin id, facility, unix seconds, nanoseconds, visit type, kiosk,
// ARGV[2]  the new visit record after its ticket: ,eligibility code] (the record is ARGV[1] .. ticket .. ARGV[2], JSON)
// ARGV[3]  window expiry, unix milliseconds (Recording.ExpireAt)
// ARGV[4]  the value of KEYS[6] when it is given; on a cluster the ticket; else unused
// ARGV[5]  RepeatWithin in nanoseconds
// ARGV[6]  group expiry, unix milliseconds (ExpireAt + retention)
// ARGV[7]  "1": when nothing else is written (a repeat), touch the window
//
//	(re-set its expiry as it is), a replicated write, so that a WAIT
//	after the script covers an earlier attempt's writes (MinReplicas)
//
// ARGV[8]  group header line (JSON with the citizen ID, full name and day)  } only when the
// ARGV[9]  the local day, YYYY-MM-DD                                         } visit creates
// ARGV[10] the oldest day kept in KEYS[3] (YYYY-MM-DD, retention)           } a group
//
// A re-scan (a repeat under another check-in id) is noted in KEYS[4], so
// that its id answers the visit it was merged into, and the same id recorded
// again (an outbox replay) is merged into the same visit whatever was
// recorded since.
//
// Returns, group being 0 (no group), 1 (group created), 2 (group updated)
// or 3 (re-scan of a day that has a group):
//   - ticket (an integer): a first visit of the day, numbered ticket: no
//     earlier record, no group;
//   - {0, ticket, group, n, a1..an, r1, r2, ...}: a new visit, numbered
//     ticket; a1..an are the day's re-scan ids (only when the group was
//     created: their index entries get the group's retention); r1... the
//     window's earlier records, in arrival order (the new one is not sent
//     back: the caller knows it);
//   - {1, i, group, 0, r1, r2, ...}: a repeat of the earlier record ri
//     (nothing written but the re-scan's alias);
//   - {2}: the visit creates a group and ARGV[8..10] were not given:
//     nothing written, call again with them.
var recordScript = redis.NewScript(`
local window, group = KEYS[1], KEYS[2]

-- EXISTS counts the window (a LIST is never empty) and the group.
local n = redis.call('EXISTS', window, group)
if n == 0 then
  local t = ARGV[4]
  if KEYS[5] then
    if KEYS[6] then redis.call('SET', KEYS[6], ARGV[4], 'NX', 'PXAT', ARGV[3]) end
    t = redis.call('INCR', KEYS[5])
    if t == 1 then redis.call('PEXPIREAT', KEYS[5], ARGV[3]) end
  end
  redis.call('RPUSH', window, ARGV[1] .. t .. ARGV[2])
  redis.call('PEXPIREAT', window, ARGV[3])
  return tonumber(t)
end

local gdays, aliases = KEYS[3], KEYS[4]

local function expireat(key, ms)
  if redis.call('PEXPIREAT', key, ms, 'NX') == 0 then
    redis.call('PEXPIREAT', key, ms, 'GT')
  end
end

local recs = redis.call('LRANGE', window, 0, -1)
local hasgroup = n == 2 or #recs == 0
local best, bestd, bestid, other, ck = nil, nil, nil, false, nil
if #recs > 0 then
  -- the new visit's check-in id, facility, seconds and nanoseconds
  local me = cjson.decode(ARGV[1] .. '0]')
  local fac, sec, nsec, within = me[2], me[3], me[4], tonumber(ARGV[5])
  ck = me[1]
  -- false when ck is no re-scan's id
  local merged = redis.call('HGET', aliases, ck)
  for i, r in ipairs(recs) do
    local v = cjson.decode(r)
    if v[1] == ck or v[1] == merged then
      best, bestid = i, v[1]
      break
    end
    if v[2] == fac then
      -- exact: both terms are integers far below 2^53
      local d = math.abs((v[3] - sec) * 1e9 + (v[4] - nsec))
      if d <= within and (bestd == nil or d < bestd) then
        best, bestd, bestid = i, d, v[1]
      end
    else
      other = true
    end
  end
end

if not best and other and not hasgroup and not ARGV[8] then
  return {2}
end

if KEYS[6] then
  redis.call('SET', KEYS[6], ARGV[4], 'NX', 'PXAT', ARGV[3])
end

if best then
  if ARGV[7] == '1' then
    local at = redis.call('PEXPIRETIME', window)
    if at > 0 then redis.call('PEXPIREAT', window, at) end
  end
  local state = 0
  if hasgroup then state = 3 end
  if bestid ~= ck then
    redis.call('HSET', aliases, ck, bestid)
    if state == 3 then expireat(aliases, ARGV[6]) else expireat(aliases, ARGV[3]) end
  end
  return {1, best, state, 0, unpack(recs)}
end

local t = ARGV[4]
if KEYS[5] then
  t = redis.call('INCR', KEYS[5])
  if t == 1 then redis.call('PEXPIREAT', KEYS[5], ARGV[3]) end
end
local rec = ARGV[1] .. t .. ARGV[2]
redis.call('RPUSH', window, rec)
if #recs == 0 then
  redis.call('PEXPIREAT', window, ARGV[3])
else
  redis.call('PEXPIREAT', window, ARGV[3], 'GT')
end

local state = 0
if hasgroup then
  redis.call('APPEND', group, '\n' .. rec)
  expireat(group, ARGV[6])
  state = 2
elseif other then
  recs[#recs + 1] = rec
  -- a new group: its expiry set with it
  redis.call('SET', group, ARGV[8] .. '\n' .. table.concat(recs, '\n'), 'PXAT', ARGV[6])
  recs[#recs] = nil
  local old = redis.call('GET', gdays)
  if old then
    local days = {}
    for d in string.gmatch(old, '[^,]+') do
      if d >= ARGV[10] and d ~= ARGV[9] then days[#days + 1] = d end
    end
    days[#days + 1] = ARGV[9]
    redis.call('SET', gdays, table.concat(days, ','), 'KEEPTTL')
    expireat(gdays, ARGV[6])
  else
    -- the citizen's first group
    redis.call('SET', gdays, ARGV[9], 'PXAT', ARGV[6])
  end
  state = 1
end

if state == 1 then
  local al = redis.call('HKEYS', aliases)
  if #al > 0 then expireat(aliases, ARGV[6]) end
  local out = {0, tonumber(t), state, #al}
  for _, a in ipairs(al) do out[#out + 1] = a end
  for _, r in ipairs(recs) do out[#out + 1] = r end
  return out
end
return {0, tonumber(t), state, 0, unpack(recs)}
`)

// indexScript files a duplicate group in the cross-citizen index that
// Duplicates reads. It runs only after recordScript reported a group (the
// rare path), as a second command: the index cannot live in the citizen's
// slot. It is idempotent, so re-running it (after a failure, on a re-scan)
// heals a missing entry without moving an existing one. All its keys share
// the hash tag {idx}.
//
// KEYS[1]    sequence:       <prefix>{idx}:seq              STRING counter
// KEYS[2]    all groups:     <prefix>{idx}:g                ZSET
// KEYS[3...] by facility:    <prefix>{idx}:f:<facility>     ZSET, one per facility of the group
//
// ARGV[1] member: "<pseudonym>:<day>"
// ARGV[2] day number (days since 1970-01-01)
// ARGV[3] score below which entries are trimmed (retention)
//
// A group's score is day number * 2^31 + sequence, the sequence taken from
// KEYS[1] when the group is first filed: groups sort by day, then by the order
// they were filed, and a score never changes. Returns the score as a string.
var indexScript = redis.NewScript(`
local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
if s then
  s = tonumber(s)
else
  s = tonumber(ARGV[2]) * 2147483648 + redis.call('INCR', KEYS[1])
  redis.call('ZADD', KEYS[2], string.format('%.0f', s), ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
end
local score = string.format('%.0f', s)
for i = 3, #KEYS do
  if redis.call('ZADD', KEYS[i], 'NX', score, ARGV[1]) == 1 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[3])
  end
end
return score
`)

// amendScript replaces a visit's record where it is kept, if it is still
// as the caller read it (compare and set: Amend reads, changes the visit
// in Go, and retries when another change came between). Expiries are kept.
//
// KEYS[1] window: <prefix>{<pseudonym>}:w:<day>
// KEYS[2] group:  <prefix>{<pseudonym>}:g:<day>
//
// ARGV[1] the record as read from the window ("" when it was not there)
// ARGV[2] the record as read from the group ("" when it was not there)
// ARGV[3] the new record
//
// Returns 1 when written, 0 when a record was no longer as read (nothing
// written).
var amendScript = redis.NewScript(`
local wi = nil
if ARGV[1] ~= '' then
  local recs = redis.call('LRANGE', KEYS[1], 0, -1)
  for i, r in ipairs(recs) do
    if r == ARGV[1] then wi = i - 1 break end
  end
  if wi == nil then return 0 end
end
local lines = nil
if ARGV[2] ~= '' then
  local g = redis.call('GET', KEYS[2])
  if not g then return 0 end
  lines = {}
  local found = false
  for line in string.gmatch(g, '[^\n]+') do
    if line == ARGV[2] then line = ARGV[3] found = true end
    lines[#lines + 1] = line
  end
  if not found then return 0 end
end
if wi ~= nil then redis.call('LSET', KEYS[1], wi, ARGV[3]) end
if lines ~= nil then redis.call('SET', KEYS[2], table.concat(lines, '\n'), 'KEEPTTL') end
return 1
`)
