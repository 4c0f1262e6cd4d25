#!/bin/sh
# compare-envelope.sh - passiond's Vault envelope against WebCrypto's,
# both ways, with fresh salts and IVs: what node's crypto.subtle seals
# (tests/peers/envelope.mjs, as the old browser app did) passiond opens
# (tests/tools/vault-envelope), and what passiond seals node opens, for
# an empty plaintext, unicode, and 300 KB; a wrong passphrase fails on
# both sides.
set -eu
srcdir=${abs_top_srcdir:-.}
builddir=${abs_top_builddir:-.}
peers=${PASSION_TEST_PEERS:-$srcdir/tests/peers}
if ! command -v node >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "node missing"; exit 1; }
	echo "SKIP: node needed; dev/check installs it"
	exit 77
fi
tool=$builddir/tests/tools/vault-envelope
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass='correct horse — ünïcödé 🎵'
printf '' > "$tmp/empty"
printf '{"schemaVersion":3,"quests":[{"title":"Mixdown — “final” 🎵"}]}' \
    > "$tmp/unicode"
head -c 300000 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 300000 \
    > "$tmp/big"
fail=0 n=0
for f in empty unicode big; do
	node "$peers/envelope.mjs" seal "$pass" 10000 < "$tmp/$f" > "$tmp/$f.web"
	"$tool" open "$pass" < "$tmp/$f.web" > "$tmp/$f.ours" &&
	    cmp -s "$tmp/$f" "$tmp/$f.ours" ||
	    { echo "FAIL: $f: WebCrypto's envelope, passiond's open"; fail=1; }
	"$tool" seal "$pass" 10000 < "$tmp/$f" > "$tmp/$f.env"
	node "$peers/envelope.mjs" open "$pass" < "$tmp/$f.env" \
	    > "$tmp/$f.back" && cmp -s "$tmp/$f" "$tmp/$f.back" ||
	    { echo "FAIL: $f: passiond's envelope, WebCrypto's open"; fail=1; }
	if "$tool" open "other" < "$tmp/$f.web" >/dev/null 2>"$tmp/err" ||
	    ! grep -q '^bad_passphrase' "$tmp/err"; then
		echo "FAIL: $f: a wrong passphrase opened it"; fail=1
	fi
	if node "$peers/envelope.mjs" open "other" < "$tmp/$f.env" \
	    >/dev/null 2>&1; then
		echo "FAIL: $f: WebCrypto opened ours with a wrong passphrase"
		fail=1
	fi
	n=$((n + 1))
done
[ $fail -eq 0 ] && echo "PASS: $n plaintexts, both ways" || echo "failed"
exit $fail
