#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e_lines.sh - `mprof lines` end to end, on programs built with -g and
# no plugin (docs/lines.md): the basic sample's fill loops (rss, within
# 0.3 MiB) and its mallocs (heap, exact), a fault inside memset and a
# malloc inside strdup charged to the calling line, an inlined helper,
# PIE and non-PIE, a linked, a dlopened and a stripped library, a thread,
# a forked child (own tables, or merged with -C), a child's exec, a child
# that outlives mprof (heap: no SIGPIPE), a crash
# (the profile is still written), SIGTERM passed on, and bad input: a program that does not
# exist, one without debug information, perf refused
# (MPROF_LINES_PERF_REFUSE=1).
# The rss checks are skipped where perf events are not allowed.
#
# Environment: MPROF, SRCDIR, CC (tests/lines/CMakeLists.txt).
. "$SRCDIR/tests/cli/lib.sh"

progs=$SRCDIR/tests/lines/progs
cc() { ${CC:-cc} "$@" || { echo "cannot build: $*"; exit 1; }; }

# incr LINE [FILE]: the Increment (MiB) of the first row of LINE in FILE
# (default err); occ LINE [FILE]: its Occurrences.
incr() { awk -v l="$1" '$1 == l && $3 == "MiB" && $5 == "MiB" { print $4; exit }' "${2:-err}"; }
occ() { awk -v l="$1" '$1 == l && $3 == "MiB" && $5 == "MiB" { print $6; exit }' "${2:-err}"; }
# near_row LINE MIB [FILE]: the row's Increment is MIB within 0.3 MiB
no_err() { ! err_has "$1"; }
near_row() { local v; v=$(incr "$1" "${3:-err}"); [ -n "$v" ] && near "$v" "$2" 0.3; }

cc -O2 -g -I"$SRCDIR/include" "$SRCDIR/samples/basic.c" -o basic
cc -O2 -g -no-pie -fno-pie -I"$SRCDIR/include" "$SRCDIR/samples/basic.c" -o basic_nopie
cc -O2 -g "$progs/e2e_memset.c" -o memset
cc -O2 "$progs/e2e_memset.c" -o nodebug
cc -O2 -g "$progs/e2e_inline.c" -o inline
cc -O2 -g -fPIC -shared "$progs/e2e_lib.c" -o libe2e.so
cp libe2e.so libe2edl.so
cp libe2e.so libe2es.so && strip libe2es.so
cc -O2 -g "$progs/e2e_libmain.c" -L. -le2e -Wl,-rpath,"$tmp" -ldl -o libmain
cc -O2 -g "$progs/e2e_libmain.c" -L. -le2es -Wl,-rpath,"$tmp" -ldl -o libmain_s
cc -O2 "$progs/e2e_libmain.c" -L. -le2es -Wl,-rpath,"$tmp" -ldl -o libmain_sn
cc -O2 -g -pthread "$progs/e2e_procs.c" -o procs
cc -O2 -g "$progs/e2e_orphan.c" -o orphan

# The heap backend needs nothing from the kernel.
run "$MPROF" lines --backend heap -o heap.json ./basic
check "heap: the program runs as usual" out_is "basic: checksum 4000000"
check "heap: the header says where the table comes from" err_has "^mprof lines: bytes asked of malloc"
check "heap: malloc a +3.8 MiB, once" [ "$(incr 24)/$(occ 24)" = "3.8/1" ]
check "heap: malloc b +7.6 MiB" [ "$(incr 26)" = "7.6" ]
check "heap: free(a) -3.8 MiB" [ "$(incr 28)" = "-3.8" ]
check "heap: main's free(b) -7.6 MiB" [ "$(incr 39)" = "-7.6" ]
check "heap: fill loops not charged" [ -z "$(incr 25)" ] && [ -z "$(incr 27)" ]
run "$MPROF" report heap.json
check "heap: mprof report reads the profile" out_has "^    26     11.4 MiB      7.6 MiB           1 "
run "$MPROF" lines --backend heap ./memset
check "heap: malloc inside strdup charged to the strdup line" [ "$(incr 20)" = "2.0" ]

run "$MPROF" lines --backend heap ./procs
check "heap: the thread's malloc +3.0 MiB" [ "$(incr 16)" = "3.0" ]
sed -n '/^Process /,$p' err >child
check "heap: the forked child's malloc +6.0 MiB, in its own table" [ "$(incr 30 child)" = "6.0" ]
run "$MPROF" lines --backend heap sh -c './basic; true'
sed -n '/^Process /,$p' err >child
check "heap: a child's exec followed" [ "$(incr 26 child)" = "7.6" ]

run "$MPROF" lines --backend heap ./orphan "$tmp/orphan.out"
for i in $(seq 50); do [ -s "$tmp/orphan.out" ] && break; sleep 0.1; done
check "heap: a child that outlives mprof still runs (no SIGPIPE)" grep -qx alive "$tmp/orphan.out"

run env MPROF_LINES_PERF_REFUSE=1 "$MPROF" lines ./basic
check "perf refused: status 1" status_is 1
check "perf refused: one line naming the fix" [ "$(wc -l <err)" -eq 1 ] && err_has "perf_event_paranoid=1.*root.*--backend heap"
check "perf refused: the program did not run" [ ! -s out ]

run "$MPROF" lines ./does-not-exist
check "missing program: status 1" status_is 1
check "missing program: one clear line" err_has "^mprof: cannot run './does-not-exist': No such file or directory$"
run "$MPROF" lines --backend nope ./basic
check "bad backend: usage error" status_is 2

run "$MPROF" lines true
if err_has "not allowed"; then
	echo "perf events are not allowed here: rss checks skipped"
	finish
fi

run "$MPROF" lines -o rss.json ./basic
check "rss: the program runs as usual" out_is "basic: checksum 4000000"
check "rss: the header says where the table comes from" err_has "^mprof lines: resident memory per line from page faults"
check "rss: fill of a +3.8 MiB" near_row 25 3.8
check "rss: fill of b +7.6 MiB" near_row 27 7.6
check "rss: mallocs about 0" near_row 24 0 && near_row 26 0
if ! err_has "is not seen"; then
	check "rss: free(a) -3.8 MiB (munmap)" near_row 28 -3.8
fi
check "rss: the JSON profile is written" grep -q '"backend": "rss"' rss.json
run "$MPROF" report rss.json
check "rss: mprof report reads it" out_has "^    27 .* 7\.[4-8] MiB"
run "$MPROF" lines ./basic_nopie
check "rss: non-PIE fill of b +7.6 MiB" near_row 27 7.6

run "$MPROF" lines ./memset
check "rss: faults inside memset charged to the memset line" near_row 14 8.0
check "rss: memset of s +2.0 MiB" near_row 29 2.0

run "$MPROF" lines -o inline.json ./inline
check "rss: inlined helper's line +4.0 MiB" near_row 12 4.0
check "rss: in the helper's own table" grep -q '"name": "touch"' inline.json

run "$MPROF" lines ./libmain "$tmp/libe2edl.so"
check "rss: linked + dlopened library's line +8.0 MiB" near_row 12 8.0
run "$MPROF" lines ./libmain_s "$tmp/libe2edl.so"
check "rss: stripped library charged to the calling line" near_row 14 3.0
run "$MPROF" lines ./libmain_sn
check "rss: no debug information: said once" err_has "^mprof: no line information in './libmain_sn'"
check "rss: stripped library by function and offset" err_has " lib_fill \[libe2es\.so\+0x[0-9a-f]+\]$"
run "$MPROF" lines ./nodebug
check "rss: program without -g by function and address" err_has "^ +8\.0 MiB +[0-9]+ +main \[nodebug\+0x[0-9a-f]+\]$"

run "$MPROF" lines -o procs.json ./procs
check "rss: the thread's fill +3.0 MiB" near_row 17 3.0
check "rss: the child has its own table" err_has "^Process [0-9]+ \(child of [0-9]+\)$"
sed -n '/^Process /,$p' err >child
check "rss: the child's fill +6.0 MiB" near_row 31 6.0 child
check "rss: the child's profile beside the parent's" grep -q '"parent"' procs.[0-9]*.json
run "$MPROF" lines sh -c './basic; true'
sed -n '/^Process /,$p' err >child
check "rss: a child's exec followed" near_row 27 7.6 child
run "$MPROF" lines -C -o merged.json ./procs
check "rss -C: one table set, no child label" no_err "^Process "
check "rss -C: the child's fill merged in" near_row 31 6.0
check "rss -C: one profile" [ "$(ls merged*.json | wc -l)" -eq 1 ]

cat >sleeper.c <<'C'
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	char *p = malloc(4u << 20);
	memset(p, 1, 4u << 20);
	sleep(60);
	return p[5];
}
C
cc -O2 -g sleeper.c -o sleeper
"$MPROF" lines -E -o term.json ./sleeper >out 2>err &
mpid=$!
for _ in $(seq 100); do pgrep -x sleeper >/dev/null && break; sleep 0.1; done
sleep 0.5	# its memset done, it sleeps
kill -TERM "$mpid"
wait "$mpid"
status=$?
check "SIGTERM: passed on to the program, -E gives 128+15" status_is 143
check "SIGTERM: the table up to then" near_row 7 4.0

run "$MPROF" lines -E -o crash.json ./procs crash
check "crash: -E passes on 128+SIGABRT" status_is 134
check "crash: said once" err_has "killed by signal 6"
check "crash: the table up to the crash" near_row 37 2.0
check "crash: the profile is written" grep -q '"signal": 6' crash.json

finish
