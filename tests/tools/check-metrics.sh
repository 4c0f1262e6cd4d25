#!/bin/sh
# check-metrics.sh - what util/metrics.c writes (every shape, through
# tests/tools/metrics-sample) passes Prometheus's own parser and linter,
# `promtool check metrics` (Debian's prometheus package).
set -eu
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
