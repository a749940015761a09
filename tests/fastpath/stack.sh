#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# stack.sh - the rss backend's fast path gives MPROF_EXACT=1's table at
# every alignment of the main thread's stack:
#
#   stack.sh SRCDIR BUILDDIR NOPERF
#
# compare.sh runs each program at one stack layout, the one its caller's
# environment gives; the fast path must not depend on it.  The environment's
# size moves the initial stack in 16-byte steps: samples/loop10.c runs
# under 256 sizes, a whole page of them, with address-space randomisation
# off, in the timed mode (perf events refused by NOPERF) and the perf mode,
# each against MPROF_EXACT=1 in the same conditions.  Both runs of a pair
# have environments of one size (MPROF_EXACT=0 in the fast run), as in
# compare.sh: where the initial stack ends near a page boundary, a longer
# one spans a page more.  A pad whose tables differ is run again up to
# three times (compare.sh's rule).
#
# Exit status: 0 pass, 1 fail, 2 usage error, 77 skipped.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: stack.sh SRCDIR BUILDDIR NOPERF" >&2; exit 2; }
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
noperf=$3
plugin=$build/lib/mprof.so

if ! setarch "$(uname -m)" -R true 2>/dev/null; then
	echo "stack: skipped: setarch -R is refused here (randomised stacks)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mprof-stack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$src/samples" && gcc -O1 -g -I"$src/include" -fplugin="$plugin" \
	loop10.c -o "$tmp/prog") || { echo "stack: compiling loop10.c failed" >&2; exit 1; }

# table TAG PAD PREFIX...: the program's table in $tmp/TAG.
table() {
	local tag=$1 pad=$2
	shift 2
	(cd "$tmp" && STACK_PAD=$pad "$@" setarch "$(uname -m)" -R \
		env MPROF_BACKEND=rss MPROF_PRECISION=6 MPROF_OUTPUT="$tmp/$tag" \
		./prog) </dev/null >/dev/null 2>"$tmp/$tag.err" ||
		{ cat "$tmp/$tag.err" >&2; echo "stack: the $tag run failed" >&2; exit 1; }
}

modes=(perf)
if "$noperf" true 2>/dev/null; then
	modes+=(timed)
else
	echo "stack: timed mode skipped (no seccomp filter here)"
fi
bad=0
for mode in "${modes[@]}"; do
	prefix=(env)
	[ "$mode" = timed ] && prefix=("$noperf")
	for n in $(seq 0 16 4080); do
		pad=$(printf "%${n}s" "")
		same=0
		for attempt in 1 2 3; do
			table exact "$pad" "${prefix[@]}" env MPROF_EXACT=1
			table fast "$pad" "${prefix[@]}" env MPROF_EXACT=0
			if cmp -s "$tmp/exact" "$tmp/fast"; then
				same=1
				break
			fi
		done
		if [ "$same" = 0 ]; then
			echo "stack: $mode mode, $n bytes more of environment: the table differs from MPROF_EXACT=1's" >&2
			diff -u --label exact --label "$mode" "$tmp/exact" "$tmp/fast" | head -n 12 >&2 || true
			bad=1
		fi
	done
	[ "$bad" = 1 ] || echo "stack: $mode mode: the same table as MPROF_EXACT=1 at all 256 stack alignments"
done
exit "$bad"
