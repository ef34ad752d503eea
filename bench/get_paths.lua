-- GET of random paths: $KEZ_BENCH_PREFIX (default none) followed by a line
-- of $KEZ_BENCH_PATHS (one a line). For lookups the lines are handles and
-- the prefix /v1/u/: every request names a registered handle (or, for
-- nginx, an existing file). Each request is formatted once, in init: per
-- request the load generator only picks one, so that it takes as little as
-- it can of the CPU the servers it measures share with it.
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("seed", counter)
end

function init(args)
   paths = {}
   local prefix = os.getenv("KEZ_BENCH_PREFIX") or ""
   for line in io.lines(os.getenv("KEZ_BENCH_PATHS")) do
      paths[#paths + 1] = wrk.format("GET", prefix .. line)
   end
   math.randomseed(os.time() * 1000 + seed)
end

function request()
   return paths[math.random(1, #paths)]
end
