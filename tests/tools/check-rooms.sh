#!/bin/sh
# check-rooms.sh - the rooms stay sealed (issue 16): no libpq outside
# src/db/ (no PQ*() call, PGresult, PGconn or <libpq-fe.h> in code), nor
# in db/'s interface, src/db/db.h; in db/, values read by column name
# through row.c only; no source file of src/ over 800 lines, and no
# function over 80 without its reason written above it. What is not sealed yet is listed
# below, each entry to go as its room is sealed; an entry that no longer
# needs to be here fails too, so the lists only shrink.
set -eu
srcdir=${abs_top_srcdir:-.}
cd "$srcdir"
# Files outside src/db/ that still reach into libpq.
LIBPQ_DEBT=""
# Files over 800 lines.
SIZE_DEBT=""
MAX_LINES=800

listed() {	# listed FILE LIST
	for item in $2; do [ "$item" = "$1" ] && return 0; done
	return 1
}
pass=0 fail=0
for f in $(find src -name '*.[ch]' ! -path 'src/db/*' | sort) src/db/db.h; do
	# Code lines only: comment lines start with "/*" or " *".
	uses=$(grep -nE '\bPQ[a-zA-Z]+\(|\bPGresult\b|\bPGconn\b|libpq-fe\.h' "$f" |
	    grep -vE '^[0-9]+:[[:space:]]*(/\*|\*)' || true)
	if [ -n "$uses" ] && ! listed "$f" "$LIBPQ_DEBT"; then
		echo "FAIL: $f uses libpq outside src/db/:"; echo "$uses" | head -n 5
		fail=$((fail + 1))
	elif [ -z "$uses" ] && listed "$f" "$LIBPQ_DEBT"; then
		echo "FAIL: $f no longer uses libpq: take it off LIBPQ_DEBT"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
# Inside db/, a row's values are read by name, through row.c alone: no
# PQgetvalue, PQgetisnull or PQfnumber, whose column numbers tie a reader
# to the order of a select list it does not hold.
for f in $(find src/db -name '*.c' ! -name row.c | sort); do
	uses=$(grep -nE '\bPQ(getvalue|getisnull|fnumber)\(' "$f" || true)
	if [ -n "$uses" ]; then
		echo "FAIL: $f reads a column by number (use db_col, db_row_*):"
		echo "$uses" | head -n 5
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
for f in $(find src -name '*.[ch]' | sort); do
	n=$(wc -l < "$f")
	if [ "$n" -gt $MAX_LINES ] && ! listed "$f" "$SIZE_DEBT"; then
		echo "FAIL: $f has $n lines (at most $MAX_LINES)"; fail=$((fail + 1))
	elif [ "$n" -le $MAX_LINES ] && listed "$f" "$SIZE_DEBT"; then
		echo "FAIL: $f has $n lines now: take it off SIZE_DEBT"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
# A function over 80 lines says why above it ("Long (…)").
for f in $(find src -name '*.c' | sort); do
	long=$(awk '
	    /^\/\*/ { c = "" } { c = c $0 }
	    /^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); why = c ~ /Long/ }
	    /^\{$/ { start = NR }
	    /^\}$/ && start { if (NR - start - 1 > 80 && !why)
		print name " (" NR - start - 1 " lines)"; start = 0 }' "$f")
	if [ -n "$long" ]; then
		echo "FAIL: $f: over 80 lines with no reason above: $long"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
