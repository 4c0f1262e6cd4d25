#!/bin/sh
# check-metrics.sh - what util/metrics.c writes (every shape, through
# tests/tools/metrics-sample) passes Prometheus's own parser and linter,
# `promtool check metrics` (Debian's prometheus package); and
# docs/operations.md's "Metrics and status" holds: its prometheus.yml and
# alert rules pass `promtool check config` and `check rules`, the alerts
# name only metrics of its table, and they fire on the series they are
# about (`promtool test rules`, tests/tools/alerts-test.yml).
# (The live /metrics against promtool and the table: check_status.)
set -eu
srcdir=${abs_top_srcdir:-.}
builddir=${abs_top_builddir:-.}
PATH=$PATH:/usr/bin
if ! command -v promtool >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "promtool missing"; exit 1; }
	echo "SKIP: promtool not installed (Debian's prometheus)"; exit 77
fi
out=$("$builddir/tests/tools/metrics-sample")
printf '%s\n' "$out"
printf '%s\n' "$out" | promtool check metrics
echo "promtool: the text format holds"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The section's ```yaml blocks, each to the file its first line names.
awk -v dir="$tmp" '
    /^## / { sec = ($0 == "## Metrics and status") }
    sec && /^```yaml$/ { inside = 1; file = ""; next }
    inside && /^```$/ { inside = 0; next }
    inside && file == "" { file = $2; sub(".*/", "", file); file = dir "/" file }
    inside { print > file }' "$srcdir/docs/operations.md"
[ -s "$tmp/prometheus.yml" ] && [ -s "$tmp/passiond-alerts.yml" ] ||
    { echo "FAIL: operations.md has no prometheus.yml or alerts block"; exit 1; }
sed -i "s|/etc/prometheus/|$tmp/|" "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
promtool check rules "$tmp/passiond-alerts.yml"
# Each metric an alert names is in the doc's table.
fail=0
for m in $(grep -o 'passiond_[a-z_]*' "$tmp/passiond-alerts.yml" | sort -u); do
	grep -Eq "^\| [^|]*\`$m\`" "$srcdir/docs/operations.md" ||
	    { echo "FAIL: an alert names $m, which the table has not"; fail=1; }
done
[ $fail -eq 0 ]
cp "$srcdir/tests/tools/alerts-test.yml" "$tmp/"
(cd "$tmp" && promtool test rules alerts-test.yml)
echo "operations.md: the scrape config and the alerts hold"
