-- history.lua - wrk: history paging, GET /v1/conversations/<cid>/messages
-- with after_seq (a random page of 50 among the first 500) or the latest page.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local U = dofile(dir .. "users.lua")

function init(args)
   U.load()
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end

function request()
   local u, cid = U.pick()
   local r = math.random(0, 10)
   if r == 0 then
      return U.get(u.token, "/v1/conversations/" .. cid .. "/messages?limit=50")
   end
   return U.get(u.token, string.format("/v1/conversations/%s/messages?after_seq=%d&limit=50",
                                       cid, math.random(0, 9) * 50))
end

function done(summary, latency, requests)
   U.report("history", summary, latency)
end
