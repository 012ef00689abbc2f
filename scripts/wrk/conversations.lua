-- conversations.lua - wrk: the conversation list, GET /v1/conversations, for
-- random users.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local U = dofile(dir .. "users.lua")

function init(args)
   U.load()
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end

function request()
   local u = U.pick()
   return U.get(u.token, "/v1/conversations")
end

function done(summary, latency, requests)
   U.report("conversations", summary, latency)
end
