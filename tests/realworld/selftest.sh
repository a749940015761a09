#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# selftest.sh - the checks of lib.sh that every project relies on, on made-up
# input (no project is built): the report sink and rw_drop_check find a
# "probe events dropped" message written to MPROF_OUTPUT or to a log, and
# only then; rw_same_warnings fails on a warning the instrumented build
# alone gives, not on one both give.  ctest realworld.selftest.
#
#   tests/realworld/selftest.sh
#
# Exit status 0 when every check holds, 1 otherwise.
set -euo pipefail

RW_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$RW_DIR/lib.sh"

RW_WORK=$(mktemp -d "${TMPDIR:-/tmp}/mprof-rwself.XXXXXX")
trap 'rm -rf "$RW_WORK"' EXIT
mkdir -p "$RW_WORK/results" "$RW_WORK/logs" "$RW_WORK/conf"
RW_PROF_FLAGS="-fplugin=/nonexistent/mprof.so -fplugin-arg-mprof-all"
RW_SETUP=0
failures=0

check() {
	if "$@"; then
		echo "selftest: ok: $DESC"
	else
		echo "selftest: FAIL: $DESC"
		failures=$((failures + 1))
	fi
}

# fresh PROJECT: a new project with no result yet.
fresh() {
	RW_PROJECT=$1
	rm -rf "${RW_WORK:?}/$1" "$RW_WORK/results/$1".*
	mkdir -p "$RW_WORK/$1/prof" "$RW_WORK/$1/plain"
}

verdict() { cat "$RW_WORK/results/$RW_PROJECT.rc" 2>/dev/null || echo 0; }
rows() { cat "$RW_WORK/results/$RW_PROJECT.rows" 2>/dev/null || true; }

# A program's report as the runtime writes it: tables, then the message.
report() {
	printf 'Filename: x.c\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n'
	head -c 200000 /dev/zero | tr '\0' 'x'
	printf '\n%s\n' "${1:-}"
}
MSG='mprof: 12 probe events dropped (a probe re-entered from a signal handler, ...); some figures are incomplete'

# 1. Reports through the sink, none dropping: no row, verdict 0.
DESC="clean reports through the sink pass"
fresh clean
rw_sink_start
pids=()
for i in 1 2 3; do
	rw_with_env prof bash -c 'cat >>"$MPROF_OUTPUT"' < <(report) &
	pids+=($!)
done
wait "${pids[@]}"
rw_sink_stop
rw_drop_check >/dev/null
check test "$(verdict)" = 0 -a -z "$(rows)"

# 2. One report among many concurrent ones says it dropped events.
DESC="a drop reported to MPROF_OUTPUT fails the project"
fresh dropping
rw_sink_start
pids=()
for i in 1 2 3 4 5 6; do
	if [ "$i" = 4 ]; then m=$MSG; else m=; fi
	rw_with_env prof bash -c 'cat >>"$MPROF_OUTPUT"' < <(report "$m") &
	pids+=($!)
done
wait "${pids[@]}"
rw_sink_stop
rw_drop_check >/dev/null
check test "$(verdict)" = 1 -a "$(grep -c . "$RW_WORK/results/dropping.drops")" = 1
DESC="the sink is gone after rw_sink_stop"
check test ! -e "$RW_WORK/results/dropping.sink"

# 3. The message on stderr, captured in a test log.
DESC="a drop said in a test log fails the project"
fresh logged
echo "$MSG" >"$RW_WORK/logged/prof/check.log"
rw_drop_check >/dev/null
check test "$(verdict)" = 1

# 4. A known exception is reported, not failed.
DESC="a known drop is reported, not failed"
fresh known
echo "known drops longjmps out of instrumented code" >"$RW_WORK/conf/known-failures"
echo "$MSG" >"$RW_WORK/known/prof/test.out"
RW_DIR=$RW_WORK/conf rw_drop_check >/dev/null
check test "$(verdict)" = 0 -a -n "$(rows | grep 'ok, known')"

# 5. Warnings: the same set passes, whatever the order and the variant's
# directory in the paths; one more instrumented warning fails.
warn_logs() {
	cat >"$RW_WORK/$RW_PROJECT/plain/make.out" <<EOF
gcc -O2 -c a.c
a.c:10:5: warning: unused variable 'x' [-Wunused-variable]
$RW_WORK/$RW_PROJECT/plain/b.c:3:1: warning: no return [-Wreturn-type]
EOF
	cat >"$RW_WORK/$RW_PROJECT/prof/make.out" <<EOF
$RW_WORK/$RW_PROJECT/prof/b.c:3:1: warning: no return [-Wreturn-type]
gcc -O2 -fplugin=... -c a.c
a.c:10:5: warning: unused variable 'x' [-Wunused-variable]
$*
EOF
}
DESC="the same warnings pass"
fresh warn-same
warn_logs
rw_same_warnings warn-same make.out >/dev/null
check test "$(verdict)" = 0 -a -z "$(rows)"

DESC="a warning of the instrumented build alone fails"
fresh warn-new
warn_logs "a.c:42:7: warning: pointer 'p' used after 'free' [-Wuse-after-free]"
rw_same_warnings warn-new make.out >/dev/null
check test "$(verdict)" = 1 -a -n "$(rows | grep 'FAIL (1 new, 0 gone)')"

DESC="a known warning option is left out"
fresh warn-known
echo "warn-known warning:-Wuse-after-free the plugin's probes" >"$RW_WORK/conf/known-failures"
warn_logs "a.c:42:7: warning: pointer 'p' used after 'free' [-Wuse-after-free]"
RW_DIR=$RW_WORK/conf rw_same_warnings warn-known make.out >/dev/null
check test "$(verdict)" = 0

if [ "$failures" != 0 ]; then
	echo "selftest: $failures checks failed"
	exit 1
fi
echo "selftest: every check holds"
