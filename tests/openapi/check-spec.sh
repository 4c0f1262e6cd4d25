#!/bin/sh
# check-spec.sh - docs/openapi.yaml: the same routes and entity schemas
# as the server (check-spec.mjs, against tests/tools/describe), clean
# under @redocly/cli's lint (errors and warnings both fail), and without
# an error under Spectral's spectral:oas ruleset (a second, independent
# linter; its warnings are printed). The tools are pinned in
# tests/peers; dev/check installs them.
set -eu
srcdir=${abs_top_srcdir:-.}
builddir=${abs_top_builddir:-.}
peers=${PASSION_TEST_PEERS:-$srcdir/tests/peers}
if ! command -v node >/dev/null 2>&1 || [ ! -d "$peers/node_modules/yaml" ]; then
	[ "${CI:-}" = true ] && { echo "node or tests/peers missing"; exit 1; }
	echo "SKIP: node and tests/peers (npm ci) needed; dev/check does it"
	exit 77
fi
spec="$srcdir/docs/openapi.yaml"
fail=0
if PASSION_TEST_PEERS="$peers" node "$srcdir/tests/openapi/check-spec.mjs" \
    "$builddir/tests/tools/describe" "$spec"; then
	echo "PASS: the spec has the router's routes and the model's schemas"
else
	echo "FAIL: the spec and the server differ"; fail=1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$peers/node_modules/.bin/redocly" lint --config \
    "$srcdir/tests/openapi/redocly.yaml" --format json "$spec" \
    > "$out" 2>/dev/null || true
if node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const t = r.totals;
	for (const p of r.problems)
		console.log(`${p.severity}: ${p.ruleId}: ${p.message} ` +
		    `(${p.location?.[0]?.pointer})`);
	process.exit(t.errors + t.warnings === 0 ? 0 : 1);' "$out"; then
	echo "PASS: redocly lint"
else
	echo "FAIL: redocly lint"; fail=1
fi
if "$peers/node_modules/.bin/spectral" lint --ruleset \
    "$srcdir/tests/openapi/spectral.yaml" --fail-severity error \
    --display-only-failures "$spec"; then
	echo "PASS: spectral lint (spectral:oas, no error)"
else
	echo "FAIL: spectral lint"; fail=1
fi
[ $fail -eq 0 ] && echo "3 passed, 0 failed" || echo "failed"
exit $fail
