# SPDX-License-Identifier: MIT
# A profiled program that dies of a signal still gets its report, written
# from the signal (progs/crash.c, progs/crash_nomalloc.c): the table headed
# "Process died of signal N (NAME)", a complete JSON profile with
# "signal", the program's own handlers first (installed before or after
# the runtime started: progs/late_main.c), and the death the plain
# build has: same status from a shell, same core dump, same stdout and
# stderr (report in MPROF_OUTPUT).  The report allocates nothing.
. "$(dirname "$0")/lib.sh"

plugin_setup
mkdir plain

build_prog crash crash -fplugin="$plugin"
build_prog crash plain/crash
build_prog crash_nomalloc nomalloc -fplugin="$plugin"

# shell_status CMD...: the status a shell reports (128 + N for signal N)
shell_status() { sh -c '"$@" 2>/dev/null >/dev/null; echo $?' sh "$@"; }

# abort (a failed assert), heap backend: the expected table, status 134
MPROF_BACKEND=heap MPROF_OUTPUT=abort.txt MPROF_JSON=abort.json sh -c './crash abort; echo "status $?" >&2' >abort.out 2>abort.err
(cd plain && sh -c './crash abort; echo "status $?" >&2') >plain.out 2>plain.err
check "abort: the table, headed by the signal" eval 'cmp -s abort.txt "$SRCDIR/tests/expected/crash_abort.txt"'
check "abort: status 134, stdout and stderr of the plain build" eval 'grep -qx "status 134" abort.err && cmp -s abort.out plain.out && cmp -s abort.err plain.err'
check "abort: the JSON profile is complete, with \"signal\": 6" eval 'python3 -c "import json,sys; d = json.load(open(sys.argv[1])); sys.exit(not (d[\"signal\"] == 6 and d[\"backend\"] == \"heap\" and d[\"functions\"][0][\"name\"] == \"work\"))" abort.json'
run "$MPROF" report abort.json
check "abort: mprof report reads it" eval 'status_is 0 && tail -n +3 abort.txt | cmp -s - out'

# segv and fpe: the status of a death by that signal
for how in segv:139:11:SIGSEGV fpe:136:8:SIGFPE; do
	IFS=: read -r mode code num name <<<"$how"
	MPROF_BACKEND=heap MPROF_OUTPUT=$mode.txt ./crash "$mode" >/dev/null 2>&1
	check "$mode: status $code from a shell, as the plain build" eval "[ \$(MPROF_OUTPUT=/dev/null shell_status ./crash $mode) = $code ] && [ \$(shell_status plain/crash $mode) = $code ]"
	check "$mode: the report says signal $num ($name)" eval "[ \"\$(head -3 $mode.txt)\" = \"\$(printf 'Process died of signal $num ($name)\n\nFilename: crash.c')\" ]"
done

# The program's own handlers, installed after the runtime started, run first.
MPROF_BACKEND=heap ./crash handler >/dev/null 2>handler.err
check "own handler (signal, re-raise): it runs first, then the report" eval '[ "$(head -2 handler.err)" = "$(printf "crash: own handler ran\nProcess died of signal 11 (SIGSEGV)")" ] && [ $(MPROF_OUTPUT=/dev/null shell_status ./crash handler) = 139 ]'
MPROF_BACKEND=heap ./crash resethand >/dev/null 2>reset.err
check "own one-shot SA_SIGINFO handler: it runs, the fault recurs, the report" eval '[ "$(head -2 reset.err)" = "$(printf "crash: one-shot handler ran\nProcess died of signal 11 (SIGSEGV)")" ] && [ $(MPROF_OUTPUT=/dev/null shell_status ./crash resethand) = 139 ]'
MPROF_BACKEND=heap ./crash none >/dev/null 2>none.err
check "no crash: the usual report" eval 'head -1 none.err | grep -qx "Filename: crash.c"'

# A handler installed before the runtime started (it starts when the
# profiled library is dlopen()ed): it runs first all the same.
build_prog late_main late
build_prog late_lib late_lib.so -fPIC -shared -fplugin="$plugin"
MPROF_BACKEND=heap ./late ./late_lib.so >/dev/null 2>late.err
st=$?
check "handler installed before the runtime started: it runs first, then the report" eval '[ $st = 139 ] && [ "$(head -4 late.err)" = "$(printf "late: own handler ran\nProcess died of signal 11 (SIGSEGV)\n\nFilename: late_lib.c")" ]'

# The core dump of the plain build.
cores() {
	(ulimit -c unlimited 2>/dev/null; cd "$1" && python3 -c 'import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
st = os.waitpid(p.pid, 0)[1]
print(os.WTERMSIG(st), os.WCOREDUMP(st))' "$2" segv)
	rm -f "$1"/core*
}
mkdir dump
cp crash dump/
check "segv: the core dump the plain build has" eval '[ "$(MPROF_OUTPUT=/dev/null cores dump ./crash)" = "$(cores plain ./crash)" ]'

# Nothing allocated while dying; the detector itself does see allocations.
for mode in abort:134 segv:139; do
	IFS=: read -r m code <<<"$mode"
	MPROF_OUTPUT=$m.nm.txt MPROF_JSON=$m.nm.json ./nomalloc "$m" >/dev/null 2>&1
	st=$?
	check "$m: no malloc, calloc, realloc or free while the report is written" eval "[ $st = $code ] && grep -q '^Process died' $m.nm.txt && python3 -m json.tool $m.nm.json >/dev/null"
done
MPROF_OUTPUT=/dev/null ./nomalloc exit >/dev/null 2>&1
st=$?
check "the detector sees the at-exit report's allocations" eval "[ $st = 99 ]"

finish
