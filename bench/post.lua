-- POSTs pre-generated bodies, one per request: thread N reads
-- "$KEZ_BENCH_BODIES.N" (one JSON document a line) and stops when its file
-- is used up. A registration envelope goes to /v1/register, a sigchain
-- event (`kezctl events`: chains round-robin, so that an event's
-- predecessor was sent many requests earlier) to its chain's path.
-- No response() callback: with one, wrk copies every answer's headers and
-- body into Lua, which cost the load generator about a sixth of the
-- machine's CPU, taken from the servers it measures. The bench counts what
-- the registry gained instead, and refusals from wrk's own summary; this
-- script only says whether a thread used up its bodies.
local base = os.getenv("KEZ_BENCH_BODIES")
local counter = 0
local threads = {}

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function path_of(line)
   local chain = string.match(line, '"chain":"ed25519:(%x+)"')
   if chain and string.find(line, '"kez":"sigchain_event"', 1, true) then
      return "/v1/sigchains/ed25519/" .. chain
   end
   return "/v1/register"
end

function init(args)
   bodies = {}
   -- formatted here, once, so that each request costs the load generator
   -- no more than handing over a string
   local headers = { ["Content-Type"] = "application/json" }
   for line in io.lines(base .. "." .. id) do
      bodies[#bodies + 1] = wrk.format("POST", path_of(line), headers, line)
   end
   next_body = 1
   ran_out = 0
end

function request()
   if next_body > #bodies then
      ran_out = 1
      wrk.thread:stop()
      return wrk.format("GET", "/v1/healthz")
   end
   local i = next_body
   next_body = next_body + 1
   return bodies[i]
end

function done(summary, latency, requests)
   local out = 0
   for _, t in ipairs(threads) do
      out = out + t:get("ran_out")
   end
   io.write(string.format("kez-ran-out: %d\n", out))
end
