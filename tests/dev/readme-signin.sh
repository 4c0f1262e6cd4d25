#!/bin/sh
# readme-signin.sh - the README's two ways to sign in, run as the README
# says, docs/api.md's "Try it" (sign in, create, list and complete a
# quest, see the ledger row and the XP; upload a song and get it back)
# its "Keeping a client in sync" (a second client follows the change
# feed to the first one's state) and docs/vault.md's (import a bundle,
# see it, export and download it),
# against the stack that dev/up itself starts (on free ports, in a
# private directory), so the docs and the dev scripts cannot drift apart.
# dev/check runs it after make check; it stops what it started.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
README=$ROOT/README.md

fail() { printf 'readme-signin: FAIL: %s\n' "$*" >&2; exit 1; }
NAME=readme
. "$ROOT/tests/dev/private-stack.sh"

# The README's text, on this run's port.
readme_block() {
	sed -n "$1" "$README" | sed "s|127.0.0.1:8080|127.0.0.1:$PASSION_PORT|g"
}

"$ROOT/dev/up" > "$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; fail "dev/up"; }
grep -q "passiond is up" "$tmp/up.log" || fail "dev/up printed no address"

# --- 1. "open /api/auth/signin/local and type any login and password"
url=$(readme_block '/^### Signing in locally/,/^## /p' |
    grep -o "$BASE/api/auth/signin/local" | head -n 1)
[ -n "$url" ] || fail "README names no /api/auth/signin/local"
jar=$tmp/jar-oidc
# step METHOD URL [FORM]: one request with the cookie jar; sets code, next.
step() {
	if [ $# -gt 2 ]; then
		out=$(curl -sS -b "$jar" -c "$jar" -o "$tmp/body" \
		    -w '%{http_code} %{redirect_url}' --data "$3" "$2")
	else
		out=$(curl -sS -b "$jar" -c "$jar" -o "$tmp/body" \
		    -w '%{http_code} %{redirect_url}' "$2")
	fi
	code=${out%% *}
	next=${out#* }
}
signed=0
i=0
while [ $i -lt 15 ] && [ $signed -eq 0 ]; do
	i=$((i + 1))
	step GET "$url"
	case "$code" in
	30*)
		case "$url" in
		"$BASE"/api/auth/callback/*)
			[ "$next" = "$BASE/" ] || fail "callback sent us to $next"
			signed=1 ;;
		esac
		url=$next ;;
	200)
		action=$(grep -o 'action="[^"]*"' "$tmp/body" | head -n 1 |
		    sed 's/^action="//; s/"$//')
		[ -n "$action" ] || fail "provider page without a form: $url"
		case "$action" in
		/*) action=http://127.0.0.1:$PASSION_OIDC_PORT$action ;;
		esac
		if grep -q 'value="login"' "$tmp/body"; then
			step POST "$action" "prompt=login&login=readme&password=any"
		else
			step POST "$action" "prompt=consent"
		fi
		case "$code" in 30*) url=$next ;;
		*) fail "provider form answered $code" ;; esac ;;
	*)
		fail "$url answered $code: $(head -c 300 "$tmp/body")" ;;
	esac
done
[ $signed -eq 1 ] || fail "no sign-in after $i steps (last: $url)"
session=$(curl -sS -b "$jar" "$BASE/api/auth/session")
case "$session" in
*'"email":"readme@example.org"'*) ;;
*) fail "signin/local: no session: $session" ;;
esac
echo "readme-signin: /api/auth/signin/local signs in"

# --- 2. the magic-link commands, exactly as the README has them
readme_block '/^curl -X POST .*\/api\/auth\/email/,/^dev\/mail/p' \
    > "$tmp/magic.sh"
grep -q '^dev/mail' "$tmp/magic.sh" || fail "README's magic-link block moved"
(cd "$ROOT" && sh -e "$tmp/magic.sh") > "$tmp/magic.out" 2>&1 ||
    { cat "$tmp/magic.out"; fail "the README's magic-link commands"; }
link=$(grep -o "$BASE/api/auth/callback/email?[^[:space:]]*" \
    "$tmp/magic.out" | tail -n 1) || true
case "$link" in
"$BASE"/api/auth/callback/email\?*) ;;
*) fail "dev/mail printed '$link'" ;;
esac
jar=$tmp/jar-mail
code=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{http_code}' "$link")
[ "$code" = 302 ] || fail "the mailed link answered $code"
session=$(curl -sS -b "$jar" "$BASE/api/auth/session")
case "$session" in
*'"email":"me@example.org"'*) ;;
*) fail "magic link: no session: $session" ;;
esac
echo "readme-signin: the README's magic link signs in"

# doc_block DOC SECTION NAME NEEDLE: run the sh block of DOC's SECTION
# ("## Try it") as written, on this run's port, in $tmp; its output in
# $tmp/NAME.out. The block must still name NEEDLE (it did not move).
doc_block() {
	sed -n "/^$2/,/^## /p" "$ROOT/$1" |
	    sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' |
	    sed "s|127.0.0.1:8080|127.0.0.1:$PASSION_PORT|g; s|\$(dev/mail)|\$($ROOT/dev/mail)|; s|node tests/peers/|node $ROOT/tests/peers/|g" \
	    > "$tmp/$3.sh"
	grep -q "$4" "$tmp/$3.sh" || fail "$1's $2 moved"
	(cd "$tmp" && timeout 300 sh -e "$tmp/$3.sh") > "$tmp/$3.out" 2>&1 ||
	    { cat "$tmp/$3.out"; fail "$1's $2"; }
}

# --- 3. docs/api.md's walkthrough, exactly as it is written
doc_block docs/api.md "## Try it" try api/skill-tree
grep -q '"status":"completed"' "$tmp/try.out" ||
    { cat "$tmp/try.out"; fail "Try it: the quest was not completed"; }
grep -q '"type":"xp","amount":50' "$tmp/try.out" ||
    { cat "$tmp/try.out"; fail "Try it: no ledger row of 50 xp"; }
grep -q '"totalXp":50' "$tmp/try.out" ||
    { cat "$tmp/try.out"; fail "Try it: the skill tree has not 50 XP"; }
grep -q '"state":"ready"' "$tmp/try.out" ||
    { cat "$tmp/try.out"; fail "Try it: the upload was not completed"; }
grep -q '^the same song$' "$tmp/try.out" ||
    { cat "$tmp/try.out"; fail "Try it: the song did not come back"; }
echo "readme-signin: docs/api.md's Try it creates, completes, awards," \
    "uploads and downloads a song"

# --- 3b. docs/api.md's "Keeping a client in sync": a second client
# follows the change feed to what the first one's list shows
doc_block docs/api.md "## Keeping a client in sync" sync api/sync
grep -q '^B has the same 2 quests as A$' "$tmp/sync.out" ||
    { cat "$tmp/sync.out"; fail "the sync example: B is not where A is"; }
echo "readme-signin: docs/api.md's sync example brings a second client" \
    "to the first one's state"

# --- 4. docs/vault.md's walkthrough: a bundle imported, exported, fetched
doc_block docs/vault.md "## Try it" vault api/vault/imports
grep -q '"quests":{"imported":6}' "$tmp/vault.out" ||
    { cat "$tmp/vault.out"; fail "vault Try it: the quests were not imported"; }
grep -q '"title":"Quest 5"' "$tmp/vault.out" ||
    { cat "$tmp/vault.out"; fail "vault Try it: no quest through the API"; }
grep -q '"name":"Track 1"' "$tmp/vault.out" ||
    { cat "$tmp/vault.out"; fail "vault Try it: no track through the API"; }
grep -q '^{"version":3,"layout":"zip"' "$tmp/vault.out" ||
    { cat "$tmp/vault.out"; fail "vault Try it: the export did not open"; }
echo "readme-signin: docs/vault.md's Try it imports a bundle, shows it," \
    "exports and downloads it"
echo "readme-signin: 5 passed, 0 failed"
