#!/bin/sh
# compare-presigner.sh - passiond's presigned URLs (passionctl presign,
# with a fixed --date) against the AWS SDK for JavaScript's own S3
# presigner (tests/peers/presign.mjs, pinned), byte for byte, over the
# keys of keys.json (spaces, + % ~ ( ' *, unicode, //, ./, ../, reserved
# characters, a 1024-byte key), for GET, for a GET with the response
# headers a download asks for (a Content-Disposition with RFC 5987's
# filename*=UTF-8''…, so ' * ( ) and unicode in a query value), and for
# a PUT with a signed Content-Type, in path-style addressing.
set -eu
srcdir=${abs_top_srcdir:-.}
builddir=${abs_top_builddir:-.}
peers=${PASSION_TEST_PEERS:-$srcdir/tests/peers}
if ! command -v node >/dev/null 2>&1 ||
    [ ! -d "$peers/node_modules/@aws-sdk/s3-request-presigner" ]; then
	[ "${CI:-}" = true ] && { echo "node or tests/peers missing"; exit 1; }
	echo "SKIP: node and tests/peers (npm ci) needed; dev/check does it"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'secret for the comparison only\n' > "$tmp/secret"
cat > "$tmp/p.conf" <<CONF
storage_endpoint = http://127.0.0.1:9000
storage_bucket = passion-test
storage_region = auto
storage_access_key_id = AKIDPASSIONTEST
storage_secret_file = $tmp/secret
CONF
DATE=20260102T120000Z
fail=0 n=0
disp="inline; filename=\"Song (1) _.wav\"; filename*=UTF-8''Song%20%281%29%20%C3%A9!.wav"
query="{\"response-content-disposition\":\"$(printf '%s' "$disp" |
    sed 's/"/\\"/g')\",\"response-content-type\":\"audio/wav\"}"
for case in "GET 3600" "GET 3600 - q" "PUT 300 audio/x-wav"; do
	set -- $case
	method=$1 expires=$2 ctype=${3:-} q=${4:-}
	[ "$ctype" = - ] && ctype=
	: > "$tmp/ours"
	node -e 'for (const k of JSON.parse(require("fs").readFileSync(
	    process.argv[1], "utf8"))) console.log(k)' \
	    "$srcdir/tests/storage/keys.json" | while IFS= read -r key; do
		"$builddir/passionctl" -c "$tmp/p.conf" presign --method \
		    "$method" --key "$key" --date "$DATE" --expires "$expires" \
		    ${ctype:+--content-type "$ctype"} \
		    ${q:+--query "response-content-disposition=$disp"} \
		    ${q:+--query response-content-type=audio/wav} >> "$tmp/ours"
	done
	node "$peers/presign.mjs" http://127.0.0.1:9000 passion-test \
	    AKIDPASSIONTEST "secret for the comparison only" auto "$DATE" \
	    "$expires" "$method" "$ctype" ${q:+"$query"} \
	    < "$srcdir/tests/storage/keys.json" > "$tmp/sdk"
	n=$((n + $(wc -l < "$tmp/sdk")))
	if cmp -s "$tmp/ours" "$tmp/sdk" && [ -s "$tmp/sdk" ]; then
		echo "PASS: $method${q:+ (response headers)}: $(wc -l < \
		    "$tmp/sdk") URLs equal the SDK's"
	else
		echo "FAIL: $method${q:+ (response headers)}: passiond and the" \
		    "SDK differ"
		diff "$tmp/ours" "$tmp/sdk" | head -20
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "$n URLs, 0 differences" || echo "failed"
exit $fail
