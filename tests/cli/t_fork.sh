# SPDX-License-Identifier: MIT
# What a forked child's report holds (progs/forkchild.c, heap backend):
# only what the child ran after fork() -- the function that called fork
# from the fork() line on, its callers' lines, what it called -- with the
# lines it was still running when it called exit() charged as if they had
# completed; the parent's report has none of the child's lines.  Both
# reports go to one MPROF_OUTPUT file, the child's first (the parent
# waits for it): tests/expected/forkchild.txt, pids replaced.
. "$(dirname "$0")/lib.sh"

plugin_setup
build_prog forkchild forkchild -fplugin="$plugin"

MPROF_BACKEND=heap MPROF_OUTPUT=both.txt ./forkchild >out 2>err
status=$?
check "status 0, the program's output, stderr empty" eval 'status_is 0 && out_is "forkchild: 0" && [ ! -s err ]'
sed 's/^Process [0-9]* (child of [0-9]*)$/Process PID (child of PPID)/' both.txt >both.norm
check "the child's report, then the parent's: the expected tables" eval 'cmp -s both.norm "$SRCDIR/tests/expected/forkchild.txt"'
child=$(sed -n 's/^Process \([0-9]*\) (child of \([0-9]*\))$/\1 \2/p' both.txt)
check "one child report, labelled with its pid and its parent's" eval '[ $(echo "$child" | wc -w) -eq 2 ]'

finish
