#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run.sh - instrumentation must not change what a program computes
# (docs/DESIGN.md, "Guarantees"): for each seed, a random program from
# csmith is built plain (gcc -O1 -w) and with every function instrumented
# (-fplugin=mprof.so -fplugin-arg-mprof-all), both builds are run, and they
# must print the same checksum and exit with the same status; the
# instrumented run must not report dropped probe events.
#
#   tests/csmith/run.sh BUILDDIR
#
# Environment:
#   MPROF_CSMITH_SEEDS  how many seeds, from 1 (default 30)
#   MPROF_CSMITH_JOBS   seeds checked at once (default 2)
#   CC                  the compiler the plugin was built for (default gcc)
#
# A seed whose plain build does not finish within 10 s is skipped (csmith
# programs may loop for a very long time); the instrumented build gets 60 s
# and failing to finish is a failure.  Even seeds run under the heap
# backend, odd ones under rss, so both probe paths are covered.  The
# program of a failed seed is kept in BUILDDIR/csmith-failures/.  Prints
# "csmith: N seeds, M compared, K skipped, F failed" and exits 1 if F > 0,
# 2 on a usage error.
set -euo pipefail

readonly PLAIN_TIMEOUT=10
readonly PROF_TIMEOUT=60
readonly CC_TIMEOUT=300
readonly CSMITH_INCLUDE=/usr/include/csmith
# What the runtime says at exit when it lost line events (in the report
# file with MPROF_OUTPUT, or on stderr): csmith's programs neither take
# signals nor longjmp, so they must never lose one.
readonly DROP_RE='mprof: [0-9]+ probe events? dropped'

usage() {
	echo "usage: tests/csmith/run.sh BUILDDIR" >&2
	exit 2
}

# check_seed SEED: one seed, in $work/SEED/; its verdict is the first word
# of $work/SEED/result (ok, skip or fail), followed by the reason.
check_seed() {
	local seed=$1 dir=$work/$1 backend rc_plain rc_prof dropped
	local flags=(-O1 -w -I"$CSMITH_INCLUDE")
	mkdir -p "$dir"
	verdict() { echo "$*" >"$dir/result"; }

	if ! (cd "$dir" && csmith --seed "$seed" -o prog.c) >"$dir/csmith.log" 2>&1; then
		verdict skip "csmith failed"
		return
	fi
	if ! timeout "$CC_TIMEOUT" "$cc" "${flags[@]}" "$dir/prog.c" -o "$dir/plain" \
		>"$dir/cc-plain.log" 2>&1; then
		verdict skip "plain build failed"
		return
	fi
	if ! timeout "$CC_TIMEOUT" "$cc" "${flags[@]}" -fplugin="$plugin" \
		-fplugin-arg-mprof-all "$dir/prog.c" -o "$dir/prof" \
		>"$dir/cc-prof.log" 2>&1; then
		verdict fail "instrumented build failed: $(tail -n 3 "$dir/cc-prof.log" | tr '\n' ' ')"
		return
	fi

	rc_plain=0
	(cd "$dir" && timeout -k 5 "$PLAIN_TIMEOUT" ./plain) \
		</dev/null >"$dir/plain.out" 2>/dev/null || rc_plain=$?
	if [ "$rc_plain" = 124 ] || [ "$rc_plain" = 137 ]; then
		verdict skip "plain run longer than ${PLAIN_TIMEOUT}s"
		return
	fi

	backend=rss
	[ $((seed % 2)) = 1 ] || backend=heap
	rc_prof=0
	(cd "$dir" && MPROF_BACKEND=$backend MPROF_OUTPUT="$dir/table.txt" \
		timeout -k 5 "$PROF_TIMEOUT" ./prof) \
		</dev/null >"$dir/prof.out" 2>"$dir/prof.err" || rc_prof=$?
	if [ "$rc_prof" = 124 ] || [ "$rc_prof" = 137 ]; then
		verdict fail "instrumented run ($backend) longer than ${PROF_TIMEOUT}s"
	elif [ "$rc_prof" != "$rc_plain" ]; then
		verdict fail "exit status $rc_prof instrumented ($backend), $rc_plain plain"
	elif ! cmp -s "$dir/plain.out" "$dir/prof.out"; then
		verdict fail "output differs ($backend): '$(head -c 80 "$dir/prof.out")' instrumented, '$(head -c 80 "$dir/plain.out")' plain"
	elif dropped=$(grep -ahoE "$DROP_RE" "$dir/table.txt" "$dir/prof.err" 2>/dev/null); then
		verdict fail "runtime said '$(echo "$dropped" | head -n 1)' ($backend)"
	else
		verdict ok
	fi
}

if [ "${1:-}" = --seed ]; then
	[ $# = 5 ] || usage
	seed=$2 work=$3 plugin=$4 cc=$5
	check_seed "$seed"
	exit 0
fi

[ $# = 1 ] || usage
build=$(cd "$1" && pwd)
plugin=$build/lib/mprof.so
cc=${CC:-gcc}
seeds=${MPROF_CSMITH_SEEDS:-30}
jobs=${MPROF_CSMITH_JOBS:-2}
case $seeds$jobs in *[!0-9]*) usage ;; esac
[ -f "$plugin" ] || { echo "csmith: '$plugin' not found: build the plugin first" >&2; exit 1; }
command -v csmith >/dev/null || { echo "csmith: csmith not found: apt-get install csmith libcsmith-dev" >&2; exit 1; }
[ -f "$CSMITH_INCLUDE/csmith.h" ] || { echo "csmith: $CSMITH_INCLUDE/csmith.h not found: apt-get install libcsmith-dev" >&2; exit 1; }

while IFS= read -r var; do
	unset "$var"
done < <(compgen -e | grep '^MPROF_' || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/mprof-csmith.XXXXXX")
trap 'rm -rf "$work"' EXIT

seq 1 "$seeds" | xargs -P "$jobs" -I{} \
	bash "${BASH_SOURCE[0]}" --seed {} "$work" "$plugin" "$cc"

compared=0 skipped=0 failed=0
for seed in $(seq 1 "$seeds"); do
	result=$(cat "$work/$seed/result" 2>/dev/null || echo "fail no result")
	case $result in
	ok) compared=$((compared + 1)) ;;
	skip*) skipped=$((skipped + 1)); echo "csmith: seed $seed skipped: ${result#skip }" ;;
	*)
		compared=$((compared + 1)) failed=$((failed + 1))
		echo "csmith: seed $seed FAILED: ${result#fail }"
		mkdir -p "$build/csmith-failures"
		cp "$work/$seed/prog.c" "$build/csmith-failures/seed-$seed.c" 2>/dev/null || true
		echo "csmith:   reproduce: $cc -O1 -w -I$CSMITH_INCLUDE -fplugin=$plugin -fplugin-arg-mprof-all $build/csmith-failures/seed-$seed.c"
		;;
	esac
done
echo "csmith: $seeds seeds, $compared compared, $skipped skipped, $failed failed"
[ "$failed" = 0 ]
