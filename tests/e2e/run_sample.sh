#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run_sample.sh - end-to-end test of samples/<name>.c (or <name>.cc, C++,
# built with --cxx): build it with the plugin exactly as a user would, run
# it, and check its line table.
#
#   run_sample.sh [--mode heap|rss|tsan|time|rsscols] [--columns LIST] [--regen]
#                 [--runs N] [--env VAR=VALUE]
#                 [--cc CC] [--cxx CXX] [--runtime LIB] SRCDIR BUILDDIR NAME...
#
# Modes:
#   heap  (default) the table under MPROF_BACKEND=heap, whose figures are
#         exact, must equal tests/expected/NAME.txt (diff -u on failure);
#         --regen writes that file from this run instead.  The plugin-built
#         program must also print what the plain build prints and exit as
#         it does.  --runs N runs it N times, and every table must be
#         that file (threaded programs: the same whatever the scheduling).
#   rss   the table under MPROF_BACKEND=rss must pass the tolerances of
#         tests/e2e/NAME.rss (see check_table.py), and its Occurrences must
#         equal those of tests/expected/NAME.txt when that file exists.
#   tsan  the program is built with -fsanitize=thread as well and run under
#         each backend with TSAN_OPTIONS="halt_on_error=1 exitcode=66": any
#         ThreadSanitizer report fails the test.  --runtime LIB links a
#         runtime built with -fsanitize=thread into the program, so that
#         the plugin's constructor binds to it instead of dlopen()ing the
#         uninstrumented one, and races inside the runtime are seen too.
#   time  the table under MPROF_COLUMNS=time must pass the Time rules of
#         tests/e2e/NAME.time (check_time.py): wall times with tolerances.
#   rsscols  the table under MPROF_BACKEND=rss and
#         MPROF_COLUMNS=allocs,peak,leaked against the heap backend's
#         tests/expected/NAME.allocs-peak-leaked.txt (check_columns.py):
#         Allocs, Allocated and Leaked equal, Peak within tolerance.
#
# --columns LIST runs the heap mode with MPROF_COLUMNS=LIST and compares
# with tests/expected/NAME.LIST.txt (LIST's commas as '-') instead; in the
# tsan mode it runs with MPROF_COLUMNS=LIST too.
#
# Samples are compiled from within samples/ so that the table says
# "Filename: NAME.c" wherever the tree lives.  Every MPROF_* variable of the
# caller's environment is dropped first; --env VAR=VALUE (repeatable) puts
# one in the profiled runs' environment.  Exit status: 0 pass, 1 fail,
# 2 usage error.
set -euo pipefail

usage() {
	echo "usage: run_sample.sh [--mode heap|rss|tsan|time|rsscols] [--columns LIST] [--regen] [--runs N] [--env VAR=VALUE] [--cc CC] [--cxx CXX] [--runtime LIB] SRCDIR BUILDDIR NAME..." >&2
	exit 2
}

fail() {
	echo "run_sample: $*" >&2
	exit 1
}

mode=heap
regen=0
columns=
cc=${CC:-gcc}
cxx=${CXX:-g++}
runtime=
runs=1
envs=()
while [ $# -gt 0 ]; do
	case $1 in
	--mode) [ $# -ge 2 ] || usage; mode=$2; shift 2 ;;
	--regen) regen=1; shift ;;
	--runs) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; runs=$2; shift 2 ;;
	--env) [ $# -ge 2 ] && [[ $2 == *=* ]] || usage; envs+=("$2"); shift 2 ;;
	--columns) [ $# -ge 2 ] || usage; columns=$2; shift 2 ;;
	--cc) [ $# -ge 2 ] || usage; cc=$2; shift 2 ;;
	--cxx) [ $# -ge 2 ] || usage; cxx=$2; shift 2 ;;
	--runtime) [ $# -ge 2 ] || usage; runtime=$2; shift 2 ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || usage
case $mode in heap|rss|tsan|time|rsscols) ;; *) usage ;; esac
[ "$regen" = 0 ] || [ "$mode" = heap ] || fail "--regen applies to --mode heap only"

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
plugin=$build/lib/mprof.so
[ -f "$plugin" ] || fail "'$plugin' not found: build the plugin first (cmake --build '$build')"
if [ -n "$runtime" ]; then
	[ -f "$runtime" ] || fail "runtime '$runtime' not found"
	runtime=$(cd "$(dirname "$runtime")" && pwd)/$(basename "$runtime")
fi

while IFS= read -r var; do
	unset "$var"
done < <(compgen -e | grep '^MPROF_' || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mprof-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

tsan_options="halt_on_error=1 exitcode=66"

# The runtime to link into the program (--runtime), if any.
link=()
[ -z "$runtime" ] || link=("-Wl,--no-as-needed" "$runtime" "-Wl,-rpath,$(dirname "$runtime")")

# compile NAME OUTPUT FLAGS...: build samples/NAME.c (or NAME.cc, with the
# C++ compiler) from within samples/.
compile() {
	local name=$1 out=$2 file=$1.c compiler=$cc
	shift 2
	if [ ! -f "$src/samples/$file" ]; then
		file=$name.cc compiler=$cxx
	fi
	if ! (cd "$src/samples" && "$compiler" -O1 -g -Wall -Wextra -Werror -pthread \
		-I"$src/include" "$file" -o "$out" "$@") >"$tmp/cc.log" 2>&1; then
		cat "$tmp/cc.log" >&2
		fail "$name: compiling with '$*' failed"
	fi
}

# run TAG COMMAND...: run COMMAND from within samples/, stdin closed; its
# stdout, stderr and exit status land in $tmp/TAG.{out,err,rc}.
run() {
	local tag=$1 rc=0
	shift
	(cd "$src/samples" && "$@") </dev/null >"$tmp/$tag.out" 2>"$tmp/$tag.err" || rc=$?
	echo "$rc" >"$tmp/$tag.rc"
}

# show TAG: the end of what a failed run printed.
show() {
	echo "--- stdout of the failed run" >&2
	tail -n 20 "$tmp/$1.out" >&2
	echo "--- stderr of the failed run" >&2
	tail -n 40 "$tmp/$1.err" >&2
}

# tsan_run TAG EXE VAR=VALUE...: run EXE under ThreadSanitizer.  A kernel
# with more mmap randomisation than this TSan knows makes it die with
# "unexpected memory mapping"; such a run is retried without ASLR.
tsan_run() {
	local tag=$1 exe=$2
	shift 2
	run "$tag" env TSAN_OPTIONS="$tsan_options" "$@" "$exe"
	if grep -q 'unexpected memory mapping' "$tmp/$tag.err" &&
		command -v setarch >/dev/null; then
		run "$tag" env TSAN_OPTIONS="$tsan_options" "$@" \
			setarch "$(uname -m)" -R "$exe"
	fi
}

check_heap() {
	local name=$1 expected=$src/tests/expected/$1.txt
	[ -z "$columns" ] || expected=$src/tests/expected/$1.${columns//,/-}.txt
	compile "$name" "$tmp/plain"
	compile "$name" "$tmp/prof" -fplugin="$plugin" "${link[@]}"
	run plain "$tmp/plain"
	run prof env "${envs[@]}" MPROF_BACKEND=heap MPROF_OUTPUT="$tmp/table.txt" \
		${columns:+MPROF_COLUMNS=$columns} "$tmp/prof"
	if [ "$(cat "$tmp/prof.rc")" != "$(cat "$tmp/plain.rc")" ]; then
		show prof
		fail "$name: exit status $(cat "$tmp/prof.rc") with the plugin, $(cat "$tmp/plain.rc") without"
	fi
	if ! cmp -s "$tmp/plain.out" "$tmp/prof.out"; then
		diff -u --label plain --label profiled "$tmp/plain.out" "$tmp/prof.out" >&2 || true
		fail "$name: the profiled build prints something else than the plain build"
	fi
	[ -s "$tmp/table.txt" ] || { show prof; fail "$name: no table written to MPROF_OUTPUT"; }
	if [ "$regen" = 1 ]; then
		mkdir -p "$(dirname "$expected")"
		cp "$tmp/table.txt" "$expected"
		echo "run_sample: $name: wrote $expected"
		return
	fi
	if [ ! -f "$expected" ]; then
		cat "$tmp/table.txt" >&2
		fail "$name: no expected table '$expected': review the table above and write it with run_sample.sh --regen"
	fi
	if ! diff -u --label "expected/${expected##*/}" --label actual "$expected" "$tmp/table.txt" >&2; then
		fail "$name: table differs from tests/expected/${expected##*/}"
	fi
	local i
	for ((i = 2; i <= runs; i++)); do
		run prof env "${envs[@]}" MPROF_BACKEND=heap MPROF_OUTPUT="$tmp/table.txt" \
			${columns:+MPROF_COLUMNS=$columns} "$tmp/prof"
		[ "$(cat "$tmp/prof.rc")" = "$(cat "$tmp/plain.rc")" ] || { show prof; fail "$name: run $i: exit status $(cat "$tmp/prof.rc")"; }
		if ! diff -u --label "expected/${expected##*/}" --label "run $i" "$expected" "$tmp/table.txt" >&2; then
			fail "$name: run $i of $runs: table differs from tests/expected/${expected##*/}"
		fi
	done
	echo "run_sample: $name: heap table matches tests/expected/${expected##*/} ($runs run(s))"
}

check_time() {
	local name=$1 rules=$src/tests/e2e/$1.time
	[ -f "$rules" ] || fail "$name: no time rules '$rules'"
	compile "$name" "$tmp/prof" -fplugin="$plugin" "${link[@]}"
	run prof env MPROF_BACKEND=heap MPROF_COLUMNS=time MPROF_OUTPUT="$tmp/table.txt" "$tmp/prof"
	[ "$(cat "$tmp/prof.rc")" = 0 ] || { show prof; fail "$name: exit status $(cat "$tmp/prof.rc")"; }
	if ! python3 "$src/tests/e2e/check_time.py" "$tmp/table.txt" "$rules"; then
		cat "$tmp/table.txt" >&2
		fail "$name: Time out of tolerance"
	fi
	echo "run_sample: $name: Time within tolerance"
}

check_rsscols() {
	local name=$1 expected=$src/tests/expected/$1.allocs-peak-leaked.txt
	[ -f "$expected" ] || fail "$name: no expected table '$expected'"
	compile "$name" "$tmp/prof" -fplugin="$plugin" "${link[@]}"
	run prof env MPROF_BACKEND=rss MPROF_COLUMNS=allocs,peak,leaked \
		MPROF_OUTPUT="$tmp/table.txt" "$tmp/prof"
	[ "$(cat "$tmp/prof.rc")" = 0 ] || { show prof; fail "$name: exit status $(cat "$tmp/prof.rc")"; }
	if ! python3 "$src/tests/e2e/check_columns.py" "$tmp/table.txt" "$expected"; then
		cat "$tmp/table.txt" >&2
		fail "$name: the rss backend's optional columns differ from the heap's"
	fi
	echo "run_sample: $name: rss backend's Allocs, Allocated, Leaked and Peak agree with the heap's"
}

check_rss() {
	local name=$1 rules=$src/tests/e2e/$1.rss expected=$src/tests/expected/$1.txt
	local args=()
	[ -f "$rules" ] || fail "$name: no rss rules '$rules'"
	args+=(--rules "$rules")
	[ ! -f "$expected" ] || args+=(--occurrences "$expected")
	compile "$name" "$tmp/prof" -fplugin="$plugin" "${link[@]}"
	run prof env "${envs[@]}" MPROF_BACKEND=rss MPROF_OUTPUT="$tmp/table.txt" "$tmp/prof"
	[ "$(cat "$tmp/prof.rc")" = 0 ] || { show prof; fail "$name: exit status $(cat "$tmp/prof.rc")"; }
	[ -s "$tmp/table.txt" ] || { show prof; fail "$name: no table written to MPROF_OUTPUT"; }
	if ! python3 "$src/tests/e2e/check_table.py" "$tmp/table.txt" "${args[@]}"; then
		cat "$tmp/table.txt" >&2
		fail "$name: rss table out of tolerance"
	fi
	echo "run_sample: $name: rss table within tolerance"
}

check_tsan() {
	local name=$1 expected=$src/tests/expected/$1.txt backend rc
	compile "$name" "$tmp/tsan" -fsanitize=thread -fplugin="$plugin" "${link[@]}"
	for backend in heap rss; do
		tsan_run "tsan-$backend" "$tmp/tsan" \
			MPROF_BACKEND=$backend MPROF_OUTPUT="$tmp/table-$backend.txt" \
			${columns:+MPROF_COLUMNS=$columns}
		rc=$(cat "$tmp/tsan-$backend.rc")
		if [ "$rc" != 0 ] || grep -q 'ThreadSanitizer' "$tmp/tsan-$backend.err"; then
			head -n 200 "$tmp/tsan-$backend.err" >&2
			fail "$name: ThreadSanitizer run under the $backend backend failed (exit status $rc)"
		fi
		[ -s "$tmp/table-$backend.txt" ] || fail "$name: no table written under the $backend backend"
		if [ -f "$expected" ] &&
			! python3 "$src/tests/e2e/check_table.py" "$tmp/table-$backend.txt" \
				--occurrences "$expected" >/dev/null; then
			cat "$tmp/table-$backend.txt" >&2
			fail "$name: Occurrences under ThreadSanitizer ($backend) differ from tests/expected/$name.txt"
		fi
	done
	echo "run_sample: $name: ThreadSanitizer-clean under the heap and rss backends${runtime:+, runtime built with TSan}"
}

for name in "$@"; do
	[ -f "$src/samples/$name.c" ] || [ -f "$src/samples/$name.cc" ] ||
		fail "no sample '$src/samples/$name.c' or '$name.cc'"
	"check_$mode" "$name"
done
