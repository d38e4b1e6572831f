-- headroom-redis: one identity's rate-limit state, checked and changed atomically.
--
-- KEYS[1] state    HASH  epoch (when this state began: a new one means Redis lost the last);
--                        seq; heard (a response was observed); pause (ms); cap; budgets "b:KEY:POLICY" = "kind left until window";
--                        learned policies "l:POLICY" = "quota window"; probes "p:POLICY" = until
-- KEYS[2] inflight ZSET  "id:requests:key" scored by when it stops counting (ms)
-- KEYS[3] learned  ZSET  one member per unit granted, scored by time: the learned windows' log
-- KEYS[4..] one per configured window: an exact log (ZSET, as KEYS[3]) or buckets (HASH
--           bucket index -> units)
--
-- ARGV[1] op: "acquire" | "observe" | "release" | "readd"
-- ARGV[2] now in ms, or "" for the server's TIME (tests pass their own)
-- ARGV[3] guard ms (added to every window, at most 1/64 of it)
-- ARGV[4] in-flight lifetime ms (a crashed process's grants stop counting as in flight)
-- ARGV[5] n configured windows, then n x (length ms, quota, buckets: 0 = exact log)
-- then the op's own arguments (see each op).
--
-- Replies end with the state's epoch: acquire {1, member, now, epoch} or
-- {0, until, cause, now, epoch}; observe/release/readd {1, now, epoch}.
-- Causes: 1 window, 2 server budget, 3 paused, 4 in-flight cap, 5 the first response awaited.

local MAX = 9007199254740991
local state, inflight, learned = KEYS[1], KEYS[2], KEYS[3]

local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local guard = tonumber(ARGV[3])
local lifetime = tonumber(ARGV[4])
local nwin = tonumber(ARGV[5])
local windows = {}
for i = 1, nwin do
  local b = 5 + (i - 1) * 3
  windows[i] = {len = tonumber(ARGV[b + 1]), q = tonumber(ARGV[b + 2]),
                buckets = tonumber(ARGV[b + 3]), key = KEYS[3 + i]}
end
local arg = 6 + nwin * 3

local function eff(len) return len + math.min(guard, math.floor(len / 64)) end

local function split(s)
  local out = {}
  for part in string.gmatch(s, '[^ :]+') do out[#out + 1] = tonumber(part) or part end
  return out
end

-- Requests in flight now, purging those past their lifetime.
local function in_flight()
  redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
  local n = 0
  for _, m in ipairs(redis.call('ZRANGE', inflight, 0, -1)) do n = n + split(m)[2] end
  return n
end

-- An exact log: when `need` more units fit under `q`, and trimming what has left.
local function log_free(key, len, q, need)
  local from = now - eff(len)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', from)
  if need > q then return MAX end
  local count = redis.call('ZCOUNT', key, '(' .. from, '+inf')
  if count + need <= q then return now end
  -- the oldest (count + need - q) units must leave: the last of them sets the time
  local at = redis.call('ZRANGEBYSCORE', key, '(' .. from, '+inf', 'WITHSCORES', 'LIMIT',
                        count + need - q - 1, 1)
  return tonumber(at[2]) + eff(len)
end

-- Buckets of ceil(len / (S - 1)): a unit counts while its bucket is among the last S
-- (released up to a bucket late, never early).
local function bucket_width(len, s) return math.max(1, math.ceil(len / (s - 1))) end
local function buckets_free(key, len, q, s, need)
  local width = bucket_width(len, s)
  local current = math.floor(now / width)
  local counts, total = {}, 0
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local idx, c = tonumber(fields[i]), tonumber(fields[i + 1])
    if idx <= current - s then
      redis.call('HDEL', key, fields[i])
    else
      counts[#counts + 1] = {idx, c}
      total = total + c
    end
  end
  if need > q then return MAX end
  if total + need <= q then return now end
  table.sort(counts, function(a, b) return a[1] < b[1] end)
  for _, ic in ipairs(counts) do
    total = total - ic[2]
    if total + need <= q then return (ic[1] + s) * width end
  end
  return MAX
end

local function applies(asked, owner) return asked == 0 or owner == 0 or asked == owner end

-- The state hash, read once per call: scalars, budgets, learned policies, probes.
local st = {scalar = {}, budgets = {}, learned = {}, probes = {}}
do
  local fields = redis.call('HGETALL', state)
  for i = 1, #fields, 2 do
    local f, v = fields[i], fields[i + 1]
    local kind = string.sub(f, 1, 2)
    if kind == 'b:' then
      local id, n = split(string.sub(f, 3)), split(v)
      st.budgets[#st.budgets + 1] = {field = f, key = id[1], policy = id[2], kind = n[1],
                                     left = n[2], untl = n[3], window = n[4]}
    elseif kind == 'l:' then
      local n = split(v)
      st.learned[#st.learned + 1] = {policy = tonumber(string.sub(f, 3)), q = n[1], len = n[2]}
    elseif kind == 'p:' then
      st.probes[string.sub(f, 3)] = tonumber(v)
    else
      st.scalar[f] = tonumber(v) or 0
    end
  end
end

-- When this state began; a caller that saw another epoch knows Redis lost its state, and
-- re-adds its own grants in flight ("readd").
local epoch = st.scalar.epoch
if not epoch or epoch == 0 then
  epoch = now
  redis.call('HSET', state, 'epoch', epoch)
end

local function budgets() return st.budgets end
local function learned_policies() return st.learned end

local function hget_num(field) return st.scalar[field] or 0 end

-- Every key lives as long as its longest window, budget or pause, plus a minute.
-- `extra_len` and `extra_until` cover what this call wrote (a window learned, a budget set).
local function expire_all(extra_len, extra_until)
  local longest = extra_len or 0
  for _, w in ipairs(windows) do longest = math.max(longest, eff(w.len)) end
  for _, l in ipairs(learned_policies()) do longest = math.max(longest, eff(l.len)) end
  local until_max = math.max(hget_num('pause'), now, extra_until or 0)
  for _, b in ipairs(budgets()) do until_max = math.max(until_max, b.untl) end
  local ttl = math.max(longest, until_max - now, lifetime) + 60000
  for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ttl) end
end

-- Counts `requests` units of grant `id` in every window (and the learned windows' log).
local function record(id, requests)
  for _, w in ipairs(windows) do
    if w.buckets == 0 then
      for i = 1, requests do redis.call('ZADD', w.key, now, id .. ':' .. i) end
    else
      redis.call('HINCRBY', w.key, math.floor(now / bucket_width(w.len, w.buckets)), requests)
    end
  end
  if #learned_policies() > 0 then
    for i = 1, requests do redis.call('ZADD', learned, now, id .. ':' .. i) end
  end
end

local function acquire()
  local key, requests, bytes = tonumber(ARGV[arg]), tonumber(ARGV[arg + 1]), tonumber(ARGV[arg + 2])
  local worst, cause = now, 0
  local function consider(t, c) if t > worst then worst, cause = t, c end end
  consider(hget_num('pause'), 3)
  -- Until a first response tells the server's limits, one request at a time (processes
  -- started together would otherwise overshoot an unknown quota).
  local flying = in_flight()
  -- (A first request that got no answer in 30 s, or whose acquire timed out after Redis had
  -- granted it, holds no one longer.)
  if hget_num('heard') == 0 and flying > 0 and
     redis.call('ZCOUNT', inflight, now + lifetime - 30000, '+inf') > 0 then
    consider(now + math.max(guard, 1), 5)
  end
  local cap = hget_num('cap')
  if cap > 0 and flying + requests > cap then
    if requests > cap then consider(MAX, 4) else consider(now + math.max(guard, 1), 4) end
  end
  local live = {}
  for _, b in ipairs(budgets()) do
    if b.untl > now and applies(key, b.key) then
      local need = requests
      if b.kind == 1 then need = math.max(bytes, 1) end
      if b.left < need then consider(b.untl, 2) end
      live[#live + 1] = {b = b, need = need}
    end
  end
  -- A learned window counts locally unless a fresh identity-wide budget of its policy
  -- governs it, or it is that budget's one probe after its reset.
  local probes = {}
  for _, l in ipairs(learned_policies()) do
    local governed = false
    for _, b in ipairs(budgets()) do
      if b.key == 0 and b.policy == l.policy then
        if b.untl > now then
          governed = true
        elseif st.probes[tostring(l.policy)] ~= b.untl then
          governed = true
          probes[#probes + 1] = {policy = l.policy, untl = b.untl}
        end
      end
    end
    if not governed then consider(log_free(learned, l.len, l.q, requests), 1) end
  end
  for _, w in ipairs(windows) do
    if w.buckets == 0 then
      consider(log_free(w.key, w.len, w.q, requests), 1)
    else
      consider(buckets_free(w.key, w.len, w.q, w.buckets, requests), 1)
    end
  end
  if worst > now then return {0, worst, cause, now, epoch} end

  -- Grant ids carry the epoch: a state begun afresh never reuses one still in flight.
  local id = epoch .. '/' .. redis.call('HINCRBY', state, 'seq', 1)
  record(id, requests)
  for _, lb in ipairs(live) do
    local b = lb.b
    redis.call('HSET', state, b.field,
      b.kind .. ' ' .. (b.left - lb.need) .. ' ' .. b.untl .. ' ' .. b.window)
  end
  for _, p in ipairs(probes) do redis.call('HSET', state, 'p:' .. p.policy, p.untl) end
  local member = id .. ':' .. requests .. ':' .. key
  redis.call('ZADD', inflight, now + lifetime, member)
  expire_all()
  return {1, member, now, epoch}
end

-- The server's count of a policy: `r` more until `until`. A later window's replaces the
-- budget, a finished window's is ignored, the same window's only tightens (windows under
-- 4 s, whose responses cannot be told apart, only ever tighten).
local function budget(key, policy, kind, r, untl, window, others)
  local field = 'b:' .. key .. ':' .. policy
  local left = math.max(0, r - others)
  local cur = redis.call('HGET', state, field)
  if cur then
    local v = split(cur)
    local held = v[3]
    if held > now then
      local w = math.max(window, v[4])
      if w >= 4000 and untl >= held + w / 2 then
        -- a later window: replaces
      elseif w >= 4000 and untl + w / 2 <= held then
        return
      elseif w >= 4000 then
        left, untl = math.min(left, v[2]), math.min(untl, held)
      else
        left, untl = math.min(left, v[2]), math.max(untl, held)
      end
    end
  end
  redis.call('HSET', state, field, kind .. ' ' .. left .. ' ' .. untl .. ' ' .. window)
end

-- Effects, as headroom-core decided them (see headroom_core::effect):
--   L policy quota window_ms | B key policy kind r reset_ms window_ms | C cap
--   P wait_ms | H key policy kind wait_ms
local function observe()
  local longest_written, until_written = 0, 0
  local member = ARGV[arg]
  if member ~= '' then redis.call('ZREM', inflight, member) end
  redis.call('HSET', state, 'heard', 1)
  local others = in_flight()
  local i = arg + 1
  while i <= #ARGV do
    local op = ARGV[i]
    if op == 'L' then
      local policy, q, len = ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
      local cur = redis.call('HGET', state, 'l:' .. policy)
      -- a server may tighten a learned quota; the log of its grants is kept
      redis.call('HSET', state, 'l:' .. policy, q .. ' ' .. len)
      longest_written = math.max(longest_written, eff(len))
      if not cur then
        -- grants still in flight went out before this window existed: count them now
        for _, m in ipairs(redis.call('ZRANGE', inflight, 0, -1)) do
          local id = split(m)
          for u = 1, id[2] do redis.call('ZADD', learned, now, 'f' .. id[1] .. ':' .. u) end
        end
        if member ~= '' then redis.call('ZADD', learned, now, 'a' .. member) end
      end
      i = i + 4
    elseif op == 'B' then
      local kind = tonumber(ARGV[i + 3])
      local o = others
      if kind == 1 then o = 0 end
      budget(tonumber(ARGV[i + 1]), ARGV[i + 2], kind, tonumber(ARGV[i + 4]),
             now + tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6]), o)
      until_written = math.max(until_written, now + tonumber(ARGV[i + 5]))
      i = i + 7
    elseif op == 'C' then
      redis.call('HSET', state, 'cap', ARGV[i + 1])
      i = i + 2
    elseif op == 'P' then
      local untl = math.max(hget_num('pause'), now + tonumber(ARGV[i + 1]))
      redis.call('HSET', state, 'pause', untl)
      st.scalar.pause = untl
      i = i + 2
    elseif op == 'H' then
      local field = 'b:' .. ARGV[i + 1] .. ':' .. ARGV[i + 2]
      local untl = now + tonumber(ARGV[i + 4])
      local cur = redis.call('HGET', state, field)
      if cur then
        local v = split(cur)
        if v[3] > now then untl = math.max(untl, v[3]) end
      end
      redis.call('HSET', state, field, ARGV[i + 3] .. ' 0 ' .. untl .. ' 0')
      until_written = math.max(until_written, untl)
      i = i + 5
    else
      return redis.error_reply('headroom: unknown effect ' .. tostring(op))
    end
  end
  expire_all(longest_written, until_written)
  return {1, now, epoch}
end

local function release()
  redis.call('ZREM', inflight, ARGV[arg])
  return {1, now, epoch}
end

-- After Redis lost its state: a process's grants still in flight, counted again (in flight,
-- and in the windows as of now: later than sent, so conservatively).
local function readd()
  for i = arg, #ARGV do
    local m = ARGV[i]
    if redis.call('ZSCORE', inflight, m) == false then
      redis.call('ZADD', inflight, now + lifetime, m)
      record('r' .. split(m)[1], split(m)[2])
    end
  end
  expire_all()
  return {1, now, epoch}
end

local op = ARGV[1]
if op == 'acquire' then return acquire() end
if op == 'observe' then return observe() end
if op == 'release' then return release() end
if op == 'readd' then return readd() end
return redis.error_reply('headroom: unknown op ' .. tostring(op))
