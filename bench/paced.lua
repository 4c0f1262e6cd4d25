-- bench/paced.lua - each connection waits PACE_MS (4 by default) between
-- its requests: a load below capacity, as other users are, rather than
-- wrk's as-fast-as-it-goes, which keeps every worker busy.
local pace = tonumber(os.getenv("PACE_MS") or "4")

function delay()
	return pace
end
