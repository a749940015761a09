#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# limit_test.sh SRCDIR BUILDDIR [CC] - samples/limit_test.c, the cmocka
# test of memory limits (include/mprof.h, docs/testing-api.md), built with
# the plugin as its header comment says and run: exactly the over-limit
# test fails, with the region's exact figures and its top lines in its
# message (heap backend: the two mallocs); under the rss backend the
# region's figures are the same heap bytes and the same test fails.  And
# a region in a static executable (static_region.c): not measured.
set -uo pipefail

src=$1
build=$2
cc=${3:-gcc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mprof-limit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^MPROF_' || true)

failed=0
check() {
	if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; failed=1; fi
}

(cd "$src/samples" && "$cc" -g -O2 -fplugin="$build/lib/mprof.so" limit_test.c \
	-o "$tmp/limit_test" -L"$build/lib" -Wl,-rpath,"$build/lib" -lmprof -lcmocka) ||
	{ echo "FAIL - cannot build samples/limit_test.c"; exit 1; }
cd "$tmp"

MPROF_BACKEND=heap MPROF_OUTPUT=/dev/null ./limit_test >heap.out 2>heap.err
st=$?
cat >want.txt <<'WANT'
ERROR: memory limit 1.0 MiB exceeded: peak 15.3 MiB (16000000 bytes), net +0 B, 2 allocations of 15.3 MiB
top lines:
  limit_test.c:49 table_sum_copies +7.6 MiB
  limit_test.c:51 table_sum_copies +7.6 MiB
WANT
check "heap: status 1, one failed test" '[ $st = 1 ]'
check "heap: the in-place sum passes, the sum with copies fails" \
	'cat heap.out heap.err >heap.all; grep -qx "\[       OK \] test_sum_in_place" heap.all && [ $(grep -cx "\[  FAILED  \] test_sum_with_copies" heap.all) = 2 ] && [ $(grep -c "^\[  FAILED  \] test_" heap.all) = 2 ]'
check "heap: the message, its exact figures and its two top lines" \
	'grep -A4 "^ERROR: memory limit" heap.err | head -4 | cmp -s - want.txt && grep -A4 "^ERROR: memory limit" heap.err | sed -n 5p | grep -q "^\[  ERROR"'

./limit_test >rss.out 2>rss.err
st=$?
check "rss: the same test fails, with the same heap figures, lines listed" \
	'[ $st = 1 ] && grep -qx "\[  FAILED  \] test_sum_with_copies" <(cat rss.out rss.err) && grep -qx "$(head -1 want.txt)" rss.err && grep -A1 "^top lines:" rss.err | grep -Eq "^  limit_test.c:[0-9]+ table_sum_copies \+[0-9.]+ (KiB|MiB)$"'
# A static executable: the allocator cannot be hooked, the check fails.
"$cc" -static -O1 -I"$src/include" "$src/tests/e2e/static_region.c" \
	"$build/lib/libmprof.a" -lpthread -ldl -lm -o static_region 2>/dev/null &&
	./static_region >static.out 2>&1
st=$?
check "static: not measured, and mprof_limit_check says why" \
	'[ $st = 0 ] && [ "$(cat static.out)" = "$(printf "begin -1 Operation not supported, measured 0, peak 0, check -1\nmprof: memory not measured: cannot hook the allocator")" ]'
exit $failed
