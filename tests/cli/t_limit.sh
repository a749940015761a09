# SPDX-License-Identifier: MIT
# MPROF_LIMIT and MPROF_LIMIT_ACTION (docs/settings.md), on progs/limit.c,
# whose profiled function grows to 1, 5 and 21 MiB: the first probe that
# sees the figure above the limit writes "file:line: memory limit SIZE
# exceeded (figure) in function" naming the line that crossed it, and the
# report so far, where the report goes (and MPROF_JSON); then the program
# runs on and reports at exit as usual, or with abort dies of SIGABRT
# right there, the report not written twice.  Heap figures are exact,
# rss ones are checked by the line they name.  A bad value: one line on
# stderr, no limit.
. "$(dirname "$0")/lib.sh"

plugin_setup
build_prog limit limit -fplugin="$plugin"
build_prog limit plain
./plain >plain.out 2>plain.err

limit_lines() { grep -c 'memory limit' "$1" || true; }

# heap, abort, report in a file: the partial table, exactly; status 134
MPROF_BACKEND=heap MPROF_LIMIT=4M MPROF_LIMIT_ACTION=abort \
	MPROF_OUTPUT=abort.txt MPROF_JSON=abort.json ./limit >abort.out 2>abort.err
st=$?
check "heap, abort: dies of SIGABRT at the line that crossed (stdout stops there)" eval '[ $st = 134 ] && [ "$(cat abort.out)" = before ] && [ ! -s abort.err ]'
check "heap, abort: the line, then the report so far, once" eval 'cmp -s abort.txt "$SRCDIR/tests/expected/limit_abort.txt"'
check "heap, abort: the JSON profile so far, with \"signal\": 6 and the line in its notes" eval 'python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
rows = d[\"functions\"][0][\"rows\"]
sys.exit(not (d[\"signal\"] == 6 and d[\"notes\"] == [\"limit.c:22: memory limit 4M exceeded (5.0 MiB) in grow\"]
              and [r[0] for r in rows] == [18, 20, 21, 22]))" abort.json'

# heap, continue (the default), report on stderr: the line and the report
# so far at once, then the program's output and the report at exit
MPROF_BACKEND=heap MPROF_LIMIT='4.5 MiB' ./limit >cont.out 2>cont.err
st=$?
MPROF_BACKEND=heap ./limit >/dev/null 2>nolimit.err
check "heap, continue: the program's output and status" eval '[ $st = 0 ] && cmp -s cont.out plain.out'
check "heap, continue: the line first, once" eval '[ "$(head -1 cont.err)" = "limit.c:22: memory limit 4.5 MiB exceeded (5.0 MiB) in grow" ] && [ $(limit_lines cont.err) = 1 ]'
check "heap, continue: the report so far, then the full report at exit" eval 'head -n $(wc -l <abort.txt) cont.err | tail -n +2 | cmp -s - <(tail -n +2 abort.txt) && tail -n +$(($(wc -l <abort.txt) + 1)) cont.err | cmp -s - nolimit.err'

# plain bytes, and KiB with a fraction (stdout's buffer is on the heap too)
MPROF_BACKEND=heap MPROF_LIMIT=20000000 ./limit >/dev/null 2>bytes.err
check "heap: 20000000 bytes is crossed by the 16 MiB malloc" eval '[ "$(head -1 bytes.err)" = "limit.c:24: memory limit 20000000 exceeded (21.0 MiB) in grow" ]'
MPROF_BACKEND=heap MPROF_LIMIT=1023.5k MPROF_PRECISION=3 ./limit >/dev/null 2>kib.err
check "heap: 1023.5k is crossed by the first 1 MiB malloc (MPROF_PRECISION's decimals)" eval 'grep -Eqx "limit.c:20: memory limit 1023.5k exceeded \(1\.0[0-9]{2} MiB\) in grow" <(head -1 kib.err)'

# Crossed inside a one-line function: named at its exit, on its signature
# line.  Crossed on a line that then calls a profiled function: the
# callee's entry sees it first and names the caller's line.
MPROF_BACKEND=heap MPROF_LIMIT=1.5M ./limit call >/dev/null 2>exit.err
check "heap: crossed in a one-line function, named at its exit" eval '[ "$(head -1 exit.err)" = "limit.c:33: memory limit 1.5M exceeded (2.0 MiB) in take" ]'
MPROF_BACKEND=heap MPROF_LIMIT=4M ./limit call >/dev/null 2>entry.err
check "heap: crossed by a line that calls a profiled function, named at the entry" eval '[ "$(head -1 entry.err)" = "limit.c:45: memory limit 4M exceeded (8.0 MiB) in call" ]'

# A limit never reached changes nothing.
MPROF_BACKEND=heap MPROF_LIMIT=1G MPROF_LIMIT_ACTION=abort ./limit >high.out 2>high.err
st=$?
check "a limit never reached: same output, status and report" eval '[ $st = 0 ] && cmp -s high.out plain.out && cmp -s high.err nolimit.err'

# rss: the pages are touched by the memset lines; 14M is above the first
# two blocks and the process's start, below the third
MPROF_LIMIT=14M MPROF_LIMIT_ACTION=abort ./limit >rss.out 2>rss.err
st=$?
check "rss, abort: SIGABRT at the memset of the 16 MiB block" eval '[ $st = 134 ] && [ "$(cat rss.out)" = before ] && grep -Eqx "limit.c:25: memory limit 14M exceeded \((1[4-9]|2[0-9])\.[0-9] MiB\) in grow" <(head -1 rss.err)'
check "rss, abort: the report so far ends at that line, and is not written twice" eval 'grep -Eq "^    25 +(1[4-9]|2[0-9])\.[0-9] MiB +1[56]\.[0-9] MiB +1 " rss.err && ! grep -q "^    26 .*MiB" rss.err && [ $(grep -c "^Filename:" rss.err) = 1 ] && ! grep -q "Process died" rss.err'
MPROF_LIMIT=14M ./limit >rssc.out 2>rssc.err
st=$?
check "rss, continue: the line, the program runs on" eval '[ $st = 0 ] && cmp -s rssc.out plain.out && grep -Eq "^limit.c:25: memory limit 14M exceeded" <(head -1 rssc.err) && [ $(grep -c "^Filename:" rssc.err) = 2 ]'

# Bad values: one line on stderr, then no limit (or continue).
MPROF_BACKEND=heap MPROF_LIMIT=lots ./limit >bad.out 2>bad.err
st=$?
check "MPROF_LIMIT=lots: one line, no limit" eval '[ $st = 0 ] && [ "$(head -1 bad.err)" = "mprof: MPROF_LIMIT: invalid value '"'lots'"' (accepted: a size: 512K, 24MiB, 1.5G, 100MB, bytes); using no limit" ] && tail -n +2 bad.err | cmp -s - nolimit.err'
MPROF_BACKEND=heap MPROF_LIMIT=4M MPROF_LIMIT_ACTION=stop ./limit >badact.out 2>badact.err
st=$?
check "MPROF_LIMIT_ACTION=stop: one line, then continue" eval '[ $st = 0 ] && cmp -s badact.out plain.out && [ "$(head -1 badact.err)" = "mprof: MPROF_LIMIT_ACTION: unknown value '"'stop'"' (accepted: continue, abort); using continue" ] && [ "$(sed -n 2p badact.err)" = "limit.c:22: memory limit 4M exceeded (5.0 MiB) in grow" ]'

finish
