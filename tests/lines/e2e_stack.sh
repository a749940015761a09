#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# e2e_stack.sh - the stack copied per sample (docs/lines.md, "The rss
# backend"): main() calls deep(), whose 6 KiB frame puts main's return
# address beyond 2 KiB of stack; the 8 MiB that fill() faults in is
# charged to main's call line with the default copy (8 KiB), not with
# MPROF_LINES_STACK=2048; and a program faulting fast loses no event.
# Needs MPROF, SRCDIR, CC in the environment (tests/lines/CMakeLists.txt);
# skipped (status 77) where perf events are not allowed.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/deep.c" <<'C'
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void fill(char *p, size_t n)
{
	memset(p, 1, n);
}

__attribute__((noinline)) static char *deep(size_t n)
{
	volatile char pad[6000];
	char *p = malloc(n);

	pad[0] = 0;
	fill(p, n);
	pad[1] = p[0];
	return p;
}

int main(void)
{
	char *p = deep(8 << 20);
	return p[1] != 1;
}
C
"${CC:-gcc}" -O2 -g "$tmp/deep.c" -o "$tmp/deep"
main_line() {	# Increment of main's call line, in MiB
	python3 - "$1" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1]))["functions"]:
    if f["name"] == "main":
        for line, count, incr, peak in f["rows"]:
            if line == 22:
                print(round(incr / 1048576, 1))
                sys.exit(0)
print(0.0)
PY
}
if ! "$MPROF" lines -o "$tmp/default.json" "$tmp/deep" 2>"$tmp/default.err" >/dev/null; then
	if grep -q "not allowed" "$tmp/default.err"; then
		echo "perf events are not allowed here: skipped"
		exit 77
	fi
	cat "$tmp/default.err" >&2
	exit 1
fi
MPROF_LINES_STACK=2048 "$MPROF" lines -o "$tmp/2k.json" "$tmp/deep" 2>/dev/null >/dev/null
small=$(main_line "$tmp/2k.json") big=$(main_line "$tmp/default.json")
echo "main's call line: $small MiB with 2 KiB of stack, $big MiB with the default"
python3 -c "import sys; sys.exit(0 if $small < 1 and 7.5 <= $big <= 8.5 else 1)"
# The default copy costs the ring room: samples/chunked.c, 64 MiB faulted
# in a tight loop, must still lose no event.  Whether the recorder keeps
# up also depends on what else the machine runs (the test suite runs two
# tests at once), so a run that lost events is tried again, up to three
# times: a default that loses on every run fails.
"${CC:-gcc}" -O2 -g -I"$SRCDIR/include" "$SRCDIR/samples/chunked.c" -o "$tmp/chunked"
for try in 1 2 3; do
	"$MPROF" lines -o "$tmp/chunked.json" "$tmp/chunked" 2>"$tmp/chunked.err" >/dev/null
	grep -qE "were lost|throttled" "$tmp/chunked.err" || break
	grep -E "were lost|throttled" "$tmp/chunked.err"
	[ $try -lt 3 ] || exit 1
	echo "chunked: run $try lost events; again"
done
echo "chunked: no event lost"
