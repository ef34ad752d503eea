-- GET of random paths read from $KEZ_BENCH_PATHS (one a line).
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("seed", counter)
end

function init(args)
   paths = {}
   for line in io.lines(os.getenv("KEZ_BENCH_PATHS")) do
      paths[#paths + 1] = line
   end
   math.randomseed(os.time() * 1000 + seed)
end

function request()
   return wrk.format("GET", paths[math.random(1, #paths)])
end
