#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# text_pages.sh SRCDIR BUILDDIR [CC] - the rss backend charges no line with
# the file pages of instrumented code running for the first time
# (runtime/prefault.c): a function of 4 MiB of code (nops), built with
# -fplugin-arg-mprof-all and called once, must leave the line that calls
# it, and its own line, under 0.5 MiB; on demand, its pages came in as it
# ran and both lines showed about 4 MiB.
set -euo pipefail
build=$2 cc=${3:-gcc}	# $1, the source tree: unused
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/text_pages.c" <<'C'
#include <stdio.h>

__attribute__((noinline)) static void big(void)
{
	__asm__ volatile(".fill 4194304, 1, 0x90");
}

int main(void)
{
	puts("start");
	big();
	puts("done");
	return 0;
}
C
(cd "$tmp" && "$cc" -g -O2 -fplugin="$build/lib/mprof.so" -fplugin-arg-mprof-all \
	text_pages.c -o text_pages -L"$build/lib" -Wl,-rpath,"$build/lib")
(cd "$tmp" && MPROF_BACKEND=rss MPROF_OUTPUT=/dev/null MPROF_JSON=prof.json ./text_pages >/dev/null)
python3 - "$tmp/prof.json" <<'PY'
import json, sys
prof = json.load(open(sys.argv[1]))
rows = {}
for f in prof["functions"]:
    for line, count, incr, peak in f["rows"]:
        rows[(f["name"], line)] = incr
call = rows.get(("main", 11))
body = rows.get(("big", 5))
print(f"text_pages: main:11 (big();) {call}, big:5 (4 MiB of code) {body}")
ok = call is not None and body is not None and abs(call) < (1 << 19) and abs(body) < (1 << 19)
sys.exit(0 if ok else 1)
PY
