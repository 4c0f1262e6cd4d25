-- bench/capacity.lua - simulated users for bench/run's capacity figure:
-- each request one of BENCH_USERS users (their own session, a line of
-- BENCH_TOKENS each), at the mix of a user of the app: a change feed
-- poll every 30 s, a list a minute, a write every five minutes (10 : 5
-- : 1). Each connection waits BENCH_GAP_MS (with jitter) between its
-- requests, so that the connections together ask what the users would.
local users = tonumber(os.getenv("BENCH_USERS"))
local gap = tonumber(os.getenv("BENCH_GAP_MS"))
local tokens = {}

function init(args)
	for line in io.lines(os.getenv("BENCH_TOKENS")) do
		tokens[#tokens + 1] = line
		if #tokens >= users then
			break
		end
	end
	-- Each thread its own seed: a table's address differs in each.
	local addr = tostring({}):match("0x(%x+)") or "0"
	math.randomseed(os.time() + tonumber(addr:sub(-6), 16))
end

function request()
	local h = { Cookie = "passion.session=" .. tokens[math.random(#tokens)] }
	local r = math.random(16)

	if r <= 10 then
		return wrk.format("GET", "/api/sync", h)
	elseif r <= 15 then
		return wrk.format("GET", "/api/quests?limit=20", h)
	end
	h["Content-Type"] = "application/json"
	h["Sec-Fetch-Site"] = "same-origin"
	return wrk.format("POST", "/api/quests", h,
	    '{"title":"Bounce the stems","domainId":"music"}')
end

function delay()
	return math.random(0, 2 * gap)
end
