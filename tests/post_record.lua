-- POSTs envelopes from "$KEZ_ENVELOPES.<thread>" and appends the handle of
-- every 201 answer to "$KEZ_ACCEPTED.<thread>", so the test can check each.
local base = os.getenv("KEZ_ENVELOPES")
local accepted_base = os.getenv("KEZ_ACCEPTED")
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
end

function init(args)
   bodies = {}
   for line in io.lines(base .. "." .. id) do
      bodies[#bodies + 1] = line
   end
   next_body = 1
   out = io.open(accepted_base .. "." .. id, "w")
end

function request()
   local body = bodies[next_body]
   if body == nil then
      body = bodies[1] -- used up: replays get 409 and are not recorded
   end
   next_body = next_body + 1
   return wrk.format("POST", "/v1/register", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
   if status == 201 then
      out:write(string.match(body, '"handle":"([^"]+)"') .. "\n")
      out:flush()
   end
end
