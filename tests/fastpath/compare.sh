#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# compare.sh - the rss backend's fast path gives the same table as reading
# RSS on every line event (MPROF_EXACT=1, the reference), for one sample:
#
#   compare.sh [--cc CC] [--modes LIST] [--pads N] SRCDIR BUILDDIR NOPERF
#              NAME|FILE.c
#
# samples/NAME.c (or FILE.c) is built with the plugin as a user would, from
# its own directory, then run with MPROF_BACKEND=rss in each fast-path mode
# of LIST (comma-separated, default perf,timed,user), and in the same
# conditions with MPROF_EXACT=1, the reference:
#   perf   as the machine allows (perf events, kernel-mode faults included
#          when permitted)
#   timed  with perf_event_open refused (NOPERF, a seccomp filter), as in a
#          container or with kernel.perf_event_paranoid 3
#   user   as user nobody, so perf counts no fault taken in kernel mode
#          (read() into untouched pages): the wrappers must cover them;
#          skipped unless run as root with setpriv
#   columns  as perf, with MPROF_COLUMNS=all in both runs (every event
#          then calls the runtime, the allocation wrappers are in): Time
#          and % Time, which change from run to run, are cut out before
#          the comparison; Allocs, Allocated, Peak and Leaked stay
# Tables are compared byte for byte at MPROF_PRECISION=6 (a page is
# 0.003906 MiB), with address-space randomisation off (setarch -R) and
# environments of one size (MPROF_EXACT=0 in the fast run, one
# MPROF_OUTPUT for both; a pair whose sizes differ fails): two runs then
# touch the same pages.  A longer environment moves the initial stack: at
# some sizes 14 bytes more made it span one page more for the whole run,
# and 2 bytes more (the columns run's output directory, once named after
# the mode) put the line of a fork one page higher.  --pads N compares at
# N stack layouts instead of one: the fast path must not depend on the one
# its caller's environment gives.  A variable STACK_PAD of 0, 16, ...
# 16*(N-1) bytes moves the initial stack in 16-byte steps (256: every
# alignment within a page), the same in both runs of a pair.  Reports of
# forked children are compared as a set, pids removed.
# If the fast table differs, both runs are repeated, up to four times, and
# the test passes when some fast table equals some reference.  If none
# does while the references all agree, the fast path is wrong; if the
# references themselves vary (the threads sample: which arena a thread
# gets depends on scheduling), the program cannot be compared this way and
# is reported as skipped.  A timed run that went multi-threaded says so
# and is not compared: the timed mode is exact for one thread only.
#
# Exit status: 0 pass, 1 fail, 2 usage error, 77 skipped.
set -euo pipefail
shopt -s nullglob

usage() {
	echo "usage: compare.sh [--cc CC] [--modes LIST] [--pads N] SRCDIR BUILDDIR NOPERF NAME|FILE.c" >&2
	exit 2
}

fail() {
	echo "fastpath: $*" >&2
	exit 1
}

cc=${CC:-gcc}
modes=perf,timed,user
pads=1
while [ $# -gt 0 ]; do
	case $1 in
	--cc) [ $# -ge 2 ] || usage; cc=$2; shift 2 ;;
	--modes) [ $# -ge 2 ] || usage; modes=$2; shift 2 ;;
	--pads) [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null || usage; pads=$2; shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 4 ] || usage
cut='s/^$//'
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
noperf=$3
name=$4
plugin=$build/lib/mprof.so
[ -f "$plugin" ] || fail "'$plugin' not found: build first"
[ -x "$noperf" ] || fail "'$noperf' not found: build first"
case $name in
*/*.c) file=$(cd "$(dirname "$name")" && pwd)/$(basename "$name"); name=$(basename "$name" .c) ;;
*) file=$src/samples/$name.c ;;
esac
[ -f "$file" ] || fail "no sample '$file'"

while IFS= read -r var; do
	unset "$var"
done < <(compgen -e | grep '^MPROF_' || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mprof-fastpath.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

norand=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
	norand=(setarch "$(uname -m)" -R)
fi

if ! (cd "$(dirname "$file")" && "$cc" -O1 -g -pthread -I"$src/include" \
	-fplugin="$plugin" "$name.c" -o "$tmp/prog") >"$tmp/cc.log" 2>&1; then
	cat "$tmp/cc.log" >&2
	fail "$name: compiling with the plugin failed"
fi

# run TAG PREFIX...: run the program under PREFIX with the rss backend;
# its reports (one file per process) end up in $tmp/TAG.txt, normalised,
# and the size of the environment it was given in $tmp/TAG.env.  Every run
# writes into the same directory, so that no name of a run lengthens the
# environment of one of them (MPROF_OUTPUT).
run() {
	local tag=$1 out=$tmp/out
	shift
	local cmd=("$@" "${norand[@]}" env MPROF_BACKEND=rss MPROF_PRECISION=6
		   MPROF_OUTPUT="$out/table.%p")
	rm -rf "$out"
	mkdir -m 777 "$out"
	(cd "$tmp" && "${cmd[@]}" cat /proc/self/environ) </dev/null |
		wc -c >"$tmp/$tag.env"
	if ! (cd "$tmp" && "${cmd[@]}" ./prog) \
		</dev/null >"$tmp/$tag.out" 2>"$tmp/$tag.err"; then
		tail -n 20 "$tmp/$tag.err" >&2
		fail "$name: the $tag run failed"
	fi
	# One report per process; their order must not depend on pids.
	local f
	for f in "$out"/table.*; do
		[ -s "$f" ] || continue
		sed -E 's/^Process [0-9]+ \(child of [0-9]+\)$/Process (child)/' "$f" |
			sed -E "$cut" >"$f.norm"
		printf '%s %s\n' "$(cksum <"$f.norm")" "$f.norm"
	done | sort | while read -r _ _ f; do cat "$f"; done >"$tmp/$tag.txt"
}

for mode in ${modes//,/ }; do
	prefix=(env)
	cut='s/^$//'
	case $mode in
	perf) ;;
	columns)
		prefix=(env MPROF_COLUMNS=all)
		cut='s/^( *[0-9]+ +-?[0-9.]+ MiB +-?[0-9.]+ MiB +[0-9]+) +[0-9.]+ (ns|us|ms|s) +[0-9.]*/\1/'
		;;
	timed)
		if ! "$noperf" true 2>/dev/null; then
			echo "fastpath: $name: timed mode skipped (no seccomp filter here)"
			continue
		fi
		prefix=("$noperf")
		;;
	user)
		if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null ||
			! setpriv --reuid=65534 --regid=65534 --clear-groups \
				test -r "$build/lib/libmprof.so.0" 2>/dev/null; then
			echo "fastpath: $name: user mode skipped (needs root, setpriv and a build readable by nobody)"
			continue
		fi
		prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		;;
	*) usage ;;
	esac
	for n in $(seq 0 16 $((16 * (pads - 1)))); do
		layout=() at=""
		if [ "$pads" -gt 1 ]; then
			layout=(env STACK_PAD="$(printf "%${n}s" "")")
			at=" at $n bytes of STACK_PAD"
		fi
		# Up to four runs of each: a fast table equal to any reference passes.
		same=0 noisy=0
		for attempt in 1 2 3 4; do
			run exact "${prefix[@]}" "${layout[@]}" env MPROF_EXACT=1
			[ -s "$tmp/exact.txt" ] || echo "fastpath: $name: no table (no profiled function returned in any process)"
			cp "$tmp/exact.txt" "$tmp/exact.$attempt"
			if [ "$attempt" -gt 1 ] && ! cmp -s "$tmp/exact.1" "$tmp/exact.txt"; then
				noisy=1
			fi
			run "$mode" "${prefix[@]}" "${layout[@]}" env MPROF_EXACT=0
			cmp -s "$tmp/exact.env" "$tmp/$mode.env" ||
				fail "$name: the $mode run's environment is $(cat "$tmp/$mode.env") bytes, the reference's $(cat "$tmp/exact.env"): their stacks would differ"
			# The runtime's notes end its report (MPROF_OUTPUT).
			if grep -q '^mprof: rss: ' "$tmp/$mode.txt"; then
				echo "fastpath: $name: $mode mode not compared: $(grep '^mprof: rss: ' "$tmp/$mode.txt" | head -1)"
				same=2
				break
			fi
			cp "$tmp/$mode.txt" "$tmp/$mode.$attempt"
			for k in $(seq 1 "$attempt"); do
				for j in $(seq 1 "$attempt"); do
					if cmp -s "$tmp/exact.$k" "$tmp/$mode.$j"; then
						same=1
					fi
				done
			done
			[ "$same" = 0 ] || break
			echo "fastpath: $name: $mode table differs from the reference$at; running both again"
		done
		if [ "$same" = 0 ] && [ "$noisy" = 1 ]; then
			echo "fastpath: $name: skipped: its RSS table differs from run to run even with MPROF_EXACT=1"
			exit 77
		fi
		if [ "$same" = 0 ]; then
			diff -u --label "exact" --label "$mode" "$tmp/exact.1" "$tmp/$mode.1" >&2 || true
			fail "$name: the $mode fast path's table differs from MPROF_EXACT=1's$at"
		fi
		if [ "$same" = 2 ]; then break; fi
	done
	if [ "$same" = 1 ] && [ "$pads" -gt 1 ]; then
		echo "fastpath: $name: $mode table equals the MPROF_EXACT=1 table at all $pads stack layouts"
	elif [ "$same" = 1 ]; then
		echo "fastpath: $name: $mode table equals the MPROF_EXACT=1 table"
	fi
done
exit 0
