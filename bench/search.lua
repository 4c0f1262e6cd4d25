-- bench/search.lua - a client that honours Retry-After, as a browser
-- would (wrk keeps it per thread, not per connection: near enough).
local wait = 0

function response(status, headers, body)
	if status == 429 then
		wait = 1000 * (tonumber(headers["Retry-After"]) or 1)
	else
		wait = 0
	end
end

function delay()
	return wait
end
