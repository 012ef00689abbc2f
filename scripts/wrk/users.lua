-- users.lua - shared by Pigeon's wrk scripts: reads the users prepared by
-- `pigeon-load --scenario prepare|pairs --users-file F` (lines "id name token";
-- users 2k and 2k+1 are friends and share the conversation d:<a>:<b>).
-- The file comes from PIGEON_LOAD_USERS.
local M = {}

function M.load()
   local path = os.getenv("PIGEON_LOAD_USERS")
   assert(path, "set PIGEON_LOAD_USERS to a pigeon-load users file")
   local users = {}
   for line in io.lines(path) do
      local id, name, token = line:match("^(%d+) (%S+) (%S+)$")
      if id then
         users[#users + 1] = { id = tonumber(id), name = name, token = token }
      end
   end
   assert(#users >= 2, "the users file holds fewer than 2 users")
   M.users = users
   return users
end

-- A random user, and the conversation id it shares with its pair.
function M.pick()
   local k = math.random(0, math.floor(#M.users / 2) - 1)
   local a, b = M.users[2 * k + 1], M.users[2 * k + 2]
   local lo, hi = math.min(a.id, b.id), math.max(a.id, b.id)
   return a, string.format("d:%d:%d", lo, hi)
end

function M.get(token, path)
   return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

-- One JSON line per run, like pigeon-load's (bench.sh collects them).
function M.report(name, summary, latency)
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      '{"scenario":"rest_%s","requests":%d,"requests_per_s":%.1f,"non_2xx":%d,' ..
      '"socket_errors":%d,"latency_ms":{"p50":%.2f,"p95":%.2f,"p99":%.2f,"max":%.2f,"mean":%.2f}}\n',
      name, summary.requests, summary.requests / secs, e.status,
      e.connect + e.read + e.write + e.timeout,
      latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
      latency.max / 1e3, latency.mean / 1e3))
end

return M
