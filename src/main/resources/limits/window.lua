-- One atomic step on one key's rolling window (see limits.RedisWindowStore): KEYS[1] is the hash
-- of request counts, KEYS[2] of token counts, each field a bucket number. Buckets older than the
-- window are deleted first; the answer is {admitted, request buckets, token buckets} after the step.
-- ARGV: mode (admit | settle | peek | merge), now bucket, oldest counted bucket, ttl seconds, then
--   admit:  request limit, token limit, tokens to reserve
--   settle: reserved bucket, reserved tokens, actual tokens
--   merge:  n, then n (bucket, requests) pairs, then (bucket, tokens) pairs: usage counted elsewhere, added
local mode = ARGV[1]
local now = tonumber(ARGV[2])
local oldest = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])

local function used(key)
  local flat = redis.call('HGETALL', key)
  local total = 0
  for i = 1, #flat, 2 do
    if tonumber(flat[i]) < oldest then
      redis.call('HDEL', key, flat[i])
    else
      total = total + tonumber(flat[i + 1])
    end
  end
  return total
end

local requests = used(KEYS[1])
local tokens = used(KEYS[2])
local admitted = 0

if mode == 'admit' then
  local reserve = tonumber(ARGV[7])
  if requests + 1 <= tonumber(ARGV[5]) and tokens + reserve <= tonumber(ARGV[6]) then
    admitted = 1
    redis.call('HINCRBY', KEYS[1], now, 1)
    redis.call('EXPIRE', KEYS[1], ttl)
    if reserve > 0 then
      redis.call('HINCRBY', KEYS[2], now, reserve)
      redis.call('EXPIRE', KEYS[2], ttl)
    end
  end
elseif mode == 'settle' then
  local bucket = ARGV[5]
  local reserved = tonumber(ARGV[6])
  local actual = tonumber(ARGV[7])
  if reserved > 0 and redis.call('HEXISTS', KEYS[2], bucket) == 1 then
    if redis.call('HINCRBY', KEYS[2], bucket, -reserved) <= 0 then
      redis.call('HDEL', KEYS[2], bucket)
    end
  end
  if actual > 0 then
    redis.call('HINCRBY', KEYS[2], now, actual)
    redis.call('EXPIRE', KEYS[2], ttl)
  end
elseif mode == 'merge' then
  local n = tonumber(ARGV[5])
  for i = 6, #ARGV - 1, 2 do
    local key = KEYS[2]
    if i < 6 + 2 * n then key = KEYS[1] end
    if tonumber(ARGV[i]) >= oldest and tonumber(ARGV[i + 1]) > 0 then
      redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1])
      redis.call('EXPIRE', key, ttl)
    end
  end
end

return {admitted, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
