-- search.lua - wrk: user search by username prefix and nickname substring
-- (GET /v1/users?q=) and group search by name (GET /v1/groups?q=), alternating.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local U = dofile(dir .. "users.lua")
local n = 0

function init(args)
   U.load()
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end

function request()
   local u = U.pick()
   n = n + 1
   -- a prefix of a prepared name: the name without its last 1-2 characters
   local q = u.name:sub(1, math.max(3, #u.name - math.random(1, 2)))
   if n % 2 == 0 then
      return U.get(u.token, "/v1/groups?q=L&limit=20")
   end
   return U.get(u.token, "/v1/users?q=" .. q .. "&limit=20")
end

function done(summary, latency, requests)
   U.report("search", summary, latency)
end
