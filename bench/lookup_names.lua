-- GET /v1/u/<name> for random names read from $KEZ_BENCH_NAMES (one a line):
-- every request names a registered handle (or, for nginx, an existing file).
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("seed", counter)
end

function init(args)
   names = {}
   for line in io.lines(os.getenv("KEZ_BENCH_NAMES")) do
      names[#names + 1] = "/v1/u/" .. line
   end
   math.randomseed(os.time() * 1000 + seed)
end

function request()
   return wrk.format("GET", names[math.random(1, #names)])
end
