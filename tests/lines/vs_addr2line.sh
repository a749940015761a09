#!/bin/sh
# SPDX-License-Identifier: MIT
# vs_addr2line.sh SYM_RESOLVE FILE... - the symbolizer against binutils'
# addr2line -i -f on every instruction address of each FILE's .text: the
# same function, file name and line for every frame of every inline chain.
# Addresses outside any function's DWARF (the C runtime's start-up code)
# only have to agree on having no line.  DWARF 4 objects only: binutils
# 2.40's addr2line starts a DWARF 5 sequence in file 0, not 1 as the
# standard says (it names lib.c for code of a header), where the symbolizer
# follows the standard.
set -eu
resolve=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for file in "$@"; do
	# addresses inside a function symbol (not the padding between them)
	nm -S --defined-only "$file" | awk '$3 ~ /^[tTwW]$/ && NF == 4 { print $1, $2 }' >"$tmp/funcs"
	objdump -d --section=.text "$file" |
		awk '/^ +[0-9a-f]+:/ { sub(":", "", $1); print $1 }' |
		python3 -c '
import sys
funcs = sorted((int(a, 16), int(a, 16) + int(n, 16)) for a, n in (l.split() for l in open(sys.argv[1])))
import bisect
starts = [lo for lo, hi in funcs]
for line in sys.stdin:
    a = int(line, 16)
    i = bisect.bisect_right(starts, a) - 1
    if i >= 0 and a < funcs[i][1]:
        print(line.strip())
' "$tmp/funcs" >"$tmp/addrs"
	# one line per frame: ADDR FUNC FILE-BASENAME:LINE
	xargs "$resolve" -e "$file" <"$tmp/addrs" |
		awk '{ n = split($3, p, "/"); f = p[n]; sub(/^\?\?:0$/, "??:0", f);
		       if (f ~ /:0$/ || $2 == "??") { print $1, "-"; next }
		       print $1, $2, f }' >"$tmp/mine"
	xargs addr2line -a -i -f -e "$file" <"$tmp/addrs" |
		awk '/^0x/ { a = $1; sub(/^0x0*/, "", a); next }
		     NR % 1 == 0 && !fn { fn = $1; next }
		     { sub(/ \(discriminator [0-9]+\)/, ""); n = split($1, p, "/"); f = p[n];
		       if (f ~ /:[0?]$/ || fn == "??") print a, "-"; else print a, fn, f; fn = "" }' \
		>"$tmp/theirs"
	if ! diff "$tmp/theirs" "$tmp/mine" >"$tmp/diff"; then
		echo "vs_addr2line: $file: addr2line (<) and the symbolizer (>) differ:"
		head -40 "$tmp/diff"
		status=1
	else
		echo "vs_addr2line: $file: $(wc -l <"$tmp/addrs") addresses, $(wc -l <"$tmp/mine") frames agree"
	fi
done
exit $status
