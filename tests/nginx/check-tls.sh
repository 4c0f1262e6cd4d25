#!/bin/sh
# check-tls.sh [SITE] - the shipped nginx site over TLS on loopback, with a
# self-signed certificate: every answer carries HSTS and the security
# headers, the pages', passiond's through /api/, and nginx's own 413 and
# 503 (no backend) in the API's JSON shape.
#
# Without SITE (make check): the repo's nginx/ files, and a passiond built
# here behind them (no database: its health answers 503 "degraded", which
# is still passiond's answer). With SITE (tests/install/run): that
# installed site as it is, its snippets where it includes them, in front
# of the running service (health must be 200), workers as www-data.
set -eu
srcdir=${abs_top_srcdir:-.}
builddir=${abs_top_builddir:-.}
PATH=$PATH:/usr/sbin
for tool in nginx openssl curl python3; do
	command -v $tool >/dev/null 2>&1 && continue
	[ "${CI:-}" = true ] && { echo "$tool missing"; exit 1; }
	echo "SKIP: $tool not installed"; exit 77
done
installed=${1:-}
tmp=$(mktemp -d /tmp/passion-tls.XXXXXX)
chmod 755 "$tmp"
pid=
cleanup() {
	[ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	sleep 0.2
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
port() {
	python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
https=$(port) http=$(port)

if [ -z "$installed" ]; then
	site=$srcdir/nginx/passiond.conf user=root
	mkdir -p "$tmp/snippets" "$tmp/conf.d"
	for f in passiond-locations.conf passiond-fastcgi.conf \
	    passiond-api-headers.conf passiond-headers.conf \
	    passiond-pages.conf; do
		cp "$srcdir/nginx/$f" "$tmp/snippets/$f"
	done
	sed "s|unix:/run/passiond/passiond.sock|unix:$tmp/passiond.sock|" \
	    "$srcdir/nginx/passiond-upstream.conf" > \
	    "$tmp/conf.d/passiond-upstream.conf"
	cat > "$tmp/passiond.conf" <<CONF
listen = unix:$tmp/passiond.sock
status_listen = unix:$tmp/status.sock
socket_mode = 0666
workers = 1
job_workers = 0
vault_workers = 0
database_url = host=/nonexistent dbname=none user=none
public_origin = https://127.0.0.1:$https
CONF
	"$builddir/passiond" -c "$tmp/passiond.conf" 2> "$tmp/passiond.log" &
	pid=$!
	i=0
	while [ ! -S "$tmp/passiond.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
else
	site=$installed user=www-data
fi
if [ -n "$installed" ]; then
	web=/usr/share/passiond/web
else
	web=$srcdir/web
fi
"$srcdir/tests/nginx/render-site" "$site" "$tmp" "$https" "$http" "$user" "$web"
nginx -q -p "$tmp" -c "$tmp/nginx.conf" || { cat "$tmp/error.log"; exit 1; }

pass=0 fail=0
# expect NAME STATUS BODY-PATTERN API curl-args...: one request's status,
# body and headers.
expect() {
	name=$1 want=$2 body=$3 api=$4; shift 4
	code=$(curl -s --cacert "$tmp/cert.pem" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
	    --resolve "passion.example.org:$https:127.0.0.1" "$@") || code=000
	bad=""
	[ "$code" = "$want" ] || bad="$bad status $code (not $want);"
	grep -q -- "$body" "$tmp/body" || bad="$bad body without '$body';"
	for h in 'Strict-Transport-Security: max-age=63072000; includeSubDomains' \
	    'X-Content-Type-Options: nosniff' 'X-Frame-Options: DENY' \
	    'Referrer-Policy: no-referrer'; do
		grep -qi "^$h" "$tmp/headers" || bad="$bad no '$h';"
	done
	if [ "$api" = api ]; then
		grep -qi "^Content-Security-Policy: default-src 'none'" \
		    "$tmp/headers" || bad="$bad no API Content-Security-Policy;"
		grep -qi '^Content-Type: application/json' "$tmp/headers" ||
		    bad="$bad not JSON;"
	fi
	if [ "$api" = page ]; then
		for h in "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'" \
		    "Content-Security-Policy: .*media-src 'self' https://R2_ACCOUNT_ID.r2.cloudflarestorage.com;" \
		    "Content-Security-Policy: .*connect-src 'self' https://R2_ACCOUNT_ID.r2.cloudflarestorage.com;" \
		    'Cache-Control: no-cache'; do
			grep -qi "^$h" "$tmp/headers" || bad="$bad no '$h';"
		done
	fi
	if [ -z "$bad" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: $name:$bad"; cat "$tmp/headers" "$tmp/body"
		fail=$((fail + 1))
	fi
}
base=https://passion.example.org:$https
expect "the page /" 200 'Passion OS' page "$base/"
expect "the page /signin (signin.html)" 200 'Sign in' page "$base/signin"
expect "a script of the pages" 200 'export' page "$base/js/api.js"
grep -qi '^Content-Type: application/javascript' "$tmp/headers" &&
    pass=$((pass + 1)) || { echo "FAIL: api.js is not JavaScript"; fail=$((fail + 1)); }
expect "no such page" 404 '404' none "$base/nope"
if [ -z "$installed" ]; then
	expect "/api/health (passiond's answer)" 503 '"db"' api "$base/api/health"
else
	expect "/api/health" 200 '"status":"ok"' api "$base/api/health"
fi
head -c 3000000 /dev/zero > "$tmp/big"
expect "nginx's own 413" 413 payload_too_large api \
    -H 'Content-Type: application/json' --data-binary "@$tmp/big" \
    "$base/api/quests"
if [ -z "$installed" ]; then
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	expect "nginx's own 503 (passiond down)" 503 '"unavailable"' api \
	    "$base/api/health"
	grep -qi '^Retry-After: 5' "$tmp/headers" && pass=$((pass + 1)) ||
	    { echo "FAIL: the 503 has no Retry-After"; fail=$((fail + 1)); }
fi
# Plain HTTP only redirects to HTTPS.
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' \
    -H 'Host: passion.example.org' "http://127.0.0.1:$http/x")
case "$code" in
"301 https://passion.example.org/x") pass=$((pass + 1)) ;;
*) echo "FAIL: http answered $code"; fail=$((fail + 1)) ;;
esac
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
