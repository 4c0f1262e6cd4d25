#!/bin/sh
# check-man.sh - mandoc -Tlint finds nothing in the man pages (warnings
# included), and each page names every command or option its program's
# --help does.
set -eu
srcdir=${abs_top_srcdir:-.}
builddir=${abs_top_builddir:-.}
if ! command -v mandoc >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "mandoc missing"; exit 1; }
	echo "SKIP: mandoc not installed"; exit 77
fi
pass=0 fail=0
for page in passiond.8 passionctl.8 passiond.conf.5; do
	if out=$(mandoc -Tlint -Wwarning "$srcdir/man/$page" 2>&1) &&
	    [ -z "$out" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: mandoc -Tlint $page"; echo "$out"; fail=$((fail + 1))
	fi
done
# Every long option of passiond --help, and every passionctl command.
for opt in $("$builddir/passiond" --help | grep -o -- '--[a-z-]*' | sort -u); do
	if grep -q -- "^\.Fl $(echo "$opt" | sed 's/^-//')" "$srcdir/man/passiond.8" ||
	    grep -q -- "Fl $(echo "$opt" | sed 's/^-//')" "$srcdir/man/passiond.8"; then
		pass=$((pass + 1))
	else
		echo "FAIL: passiond.8 does not name $opt"; fail=$((fail + 1))
	fi
done
for cmd in $("$builddir/passionctl" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p; s/^  \([a-z-]*\)$/\1/p' | sort -u); do
	if grep -q "^\.It Cm $cmd" "$srcdir/man/passionctl.8"; then
		pass=$((pass + 1))
	else
		echo "FAIL: passionctl.8 does not describe $cmd"; fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
