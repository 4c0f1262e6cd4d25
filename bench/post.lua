-- post.lua - wrk script for bench/run: POST /api/quests with a session
-- cookie (BENCH_COOKIE) as a same-site browser would send it.
wrk.method = "POST"
wrk.body = '{"title":"Bench quest: arrange the second verse","domainId":' ..
    '"music","priority":"high","tags":["bench","arrangement"],"xpValue":10}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Sec-Fetch-Site"] = "same-origin"
