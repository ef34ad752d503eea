-- POSTs pre-generated sigchain events (`kezctl events`), one per request:
-- thread N reads "$KEZ_BENCH_EVENTS.N" (one JSON event a line, chains
-- round-robin, so that an event's predecessor was sent many requests
-- earlier) and stops when its file is used up. Counts the 201s.
local base = os.getenv("KEZ_BENCH_EVENTS")
local counter = 0
local threads = {}

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   bodies = {}
   paths = {}
   for line in io.lines(base .. "." .. id) do
      bodies[#bodies + 1] = line
      paths[#paths + 1] = "/v1/sigchains/ed25519/" .. string.match(line, '"chain":"ed25519:(%x+)"')
   end
   next_body = 1
   created = 0
   refused = 0
end

function request()
   if next_body > #bodies then
      wrk.thread:stop()
      return wrk.format("GET", "/v1/healthz")
   end
   local i = next_body
   next_body = next_body + 1
   return wrk.format("POST", paths[i], { ["Content-Type"] = "application/json" }, bodies[i])
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
   elseif status ~= 200 then
      refused = refused + 1
   end
end

function done(summary, latency, requests)
   local c, r = 0, 0
   for _, t in ipairs(threads) do
      c = c + t:get("created")
      r = r + t:get("refused")
   end
   io.write(string.format("kez-created: %d\nkez-refused: %d\n", c, r))
end
