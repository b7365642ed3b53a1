-- wrk script for bench/run.sh: POSTs one JSON body, optionally rotating through many API keys,
-- and prints one machine-readable line at the end (BENCHRESULT requests errors p50 p90 p99 p999 max, µs).
--   BENCH_BODY   file with the request body
--   BENCH_KEYS   file with one bearer key per line (rotated per request); empty = no Authorization
local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local body = read(os.getenv("BENCH_BODY"))
local keys = {}
local keys_file = os.getenv("BENCH_KEYS") or ""
if keys_file ~= "" then
  for line in io.lines(keys_file) do
    if line ~= "" then keys[#keys + 1] = line end
  end
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

local requests = {}
local next_key = 1

function init(args)
  -- Pre-formatted requests: formatting one per call would cost wrk time on the load core.
  if #keys == 0 then
    requests[1] = wrk.format()
  else
    for i, k in ipairs(keys) do
      -- wrk.format replaces wrk.headers with the table it is given, so copy them in.
      local h = { ["Authorization"] = "Bearer " .. k }
      for name, value in pairs(wrk.headers) do h[name] = value end
      requests[i] = wrk.format(nil, nil, h, nil)
    end
  end
  next_key = math.random(#requests)
end

function request()
  local r = requests[next_key]
  next_key = next_key % #requests + 1
  return r
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format("BENCHRESULT %d %d %d %d %d %d %d %d\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max))
end
