#!/bin/sh
# check-config.sh - the nginx snippet renders into a config nginx accepts,
# routes /api/ to the socket, and never keeps FastCGI connections.
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
if grep -q "fastcgi_pass[[:space:]]*unix:$tmp/passiond.sock;" \
    "$tmp/passiond-locations.conf"; then
	pass=$((pass + 1))
else
	echo "FAIL: socket path not rendered"; fail=$((fail + 1))
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
