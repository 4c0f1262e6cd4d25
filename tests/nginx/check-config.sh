#!/bin/sh
# check-config.sh - the nginx snippets render into a config nginx accepts,
# with one host or several, route /api/ to the upstream of passiond's
# sockets, and never keep FastCGI connections.
set -eu
srcdir=${abs_top_srcdir:-.}
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
	[ "${CI:-}" = true ] && { echo "nginx missing"; exit 1; }
	echo "SKIP: nginx not installed"; exit 77
fi
PATH=$PATH:/usr/sbin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
"$srcdir/dev/render-nginx" "$tmp" 18099 "$tmp/passiond.sock"
if nginx -t -q -p "$tmp" -c "$tmp/nginx.conf" 2> "$tmp/t.out"; then
	pass=$((pass + 1))
else
	echo "FAIL: nginx -t"; cat "$tmp/t.out"; fail=$((fail + 1))
fi
if grep -q "fastcgi_pass[[:space:]]*passiond;" "$tmp/passiond-fastcgi.conf" &&
    grep -q "server[[:space:]]*unix:$tmp/passiond.sock max_fails" \
    "$tmp/passiond-upstream.conf"; then
	pass=$((pass + 1))
else
	echo "FAIL: socket path not rendered"; fail=$((fail + 1))
fi
# Two hosts of one upstream (docs/operations.md, "Scaling out").
"$srcdir/dev/render-nginx" "$tmp/two" 18099 "$tmp/a.sock,127.0.0.1:9001"
if nginx -t -q -p "$tmp/two" -c "$tmp/two/nginx.conf" 2> "$tmp/t.out" &&
    [ "$(grep -c '^[[:space:]]*server[[:space:]]' "$tmp/two/passiond-upstream.conf")" = 2 ]; then
	pass=$((pass + 1))
else
	echo "FAIL: two hosts"; cat "$tmp/t.out"; fail=$((fail + 1))
fi
if grep -rqs '^[^#]*fastcgi_keep_conn' "$srcdir/nginx" "$tmp"; then
	echo "FAIL: fastcgi_keep_conn pins libfcgi workers"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
if grep -q 'include[[:space:]]*snippets/passiond-locations.conf' \
    "$srcdir/nginx/passiond.conf"; then
	pass=$((pass + 1))
else
	echo "FAIL: production server does not include the snippet"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
