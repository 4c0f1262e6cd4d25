#!/bin/sh
# check-units.sh - systemd-analyze verify accepts the units, and
# systemd-analyze security rates passiond.service,
# passion-maintain.service and passion-backup.service at 2.0 or better. Both work offline, without a
# running systemd. The units name the installed /usr/sbin/passiond and
# passionctl; a copy here points at the binaries just built.
set -eu
srcdir=${abs_top_srcdir:-.}
builddir=${abs_top_builddir:-.}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "systemd-analyze missing"; exit 1; }
	echo "SKIP: systemd-analyze not installed"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
units="passiond.service passiond.socket passion-maintain.service
    passion-maintain.timer passion-backup.service passion-backup.timer"
for u in $units; do
	sed "s|/usr/sbin/passion|$builddir/passion|g" "$srcdir/systemd/$u" \
	    > "$tmp/$u"
done
fail=0
if ! (cd "$tmp" && systemd-analyze verify --man=no ./passiond.socket \
    ./passiond.service ./passion-maintain.service \
    ./passion-maintain.timer ./passion-backup.service \
    ./passion-backup.timer) > "$tmp/verify.out" 2>&1; then
	echo "FAIL: systemd-analyze verify"; cat "$tmp/verify.out"; fail=1
elif [ -s "$tmp/verify.out" ]; then
	echo "FAIL: systemd-analyze verify printed warnings"
	cat "$tmp/verify.out"; fail=1
else
	echo "PASS: systemd-analyze verify"
fi
for svc in passiond.service passion-maintain.service passion-backup.service; do
	(cd "$tmp" && systemd-analyze security --offline=true "./$svc") \
	    > "$tmp/security.out" 2>&1 || true
	level=$(sed -n "s/.*Overall exposure level for $svc: \([0-9.]*\).*/\1/p" \
	    "$tmp/security.out")
	if [ -z "$level" ]; then
		echo "FAIL: $svc: no exposure level"; cat "$tmp/security.out"
		fail=1
	elif awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
		echo "PASS: $svc: exposure level $level <= 2.0"
	else
		echo "FAIL: $svc: exposure level $level > 2.0"
		cat "$tmp/security.out"; fail=1
	fi
done
[ $fail -eq 0 ] && echo "4 passed, 0 failed" || echo "failed"
exit $fail
