# SPDX-License-Identifier: MIT
# mprof attach: until the process exits, by name, Ctrl-C, timeout, and
# the errors (no such pid, unreadable memory).
. "$(dirname "$0")/lib.sh"

"$CLI_ALLOC" 20 1.0 &
pid=$!
sleep 0.2
run "$MPROF" attach -T 0.05 -o a.dat $pid
wait $pid
check "attach: status 0 when the process exits" status_is 0
check "attach: says what it samples" err_has "^mprof: sampling pid $pid every 0.05 s into 'a.dat'"
check "attach: CMDLINE is the process's command line" eval "head -1 a.dat | grep -qx 'CMDLINE $CLI_ALLOC 20 1.0'"
check "attach: samples until the end (>= 12 at 0.05 s)" eval '[ $(count MEM a.dat) -ge 12 ]'
check "attach: sees the 20 MiB" eval "awk -v m=\$(max_mem a.dat) 'BEGIN { exit !(m >= 20) }'"
check "attach: the file reads back" eval '"$MPROF" peak a.dat >/dev/null'

cp "$CLI_ALLOC" ./att$$
./att$$ 0 0.8 &
pid=$!
sleep 0.2
run "$MPROF" attach -o n.dat att$$
wait $pid
check "attach NAME: finds the process by name" eval "status_is 0 && err_has 'sampling pid $pid '"

run "$MPROF" attach -o d.dat 999999999
check "attach: a pid that cannot exist is status 1" eval "status_is 1 && err_has '^mprof: no process with pid 999999999'"
sh -c 'exit 0' &
gone=$!
wait $gone
run "$MPROF" attach -o d.dat $gone
check "attach: an exited pid is status 1" eval "status_is 1 && err_has '^mprof: no process with pid $gone\$'"
check "attach: no file left for a missing pid" test ! -e d.dat
sleep 5 &
pid=$!
no_room "$MPROF" attach -o full.dat $pid
kill $pid
check "attach: a CMDLINE that cannot be written is status 1, no file left" eval "status_is 1 && err_has \"^mprof: cannot write 'full.dat': File too large\$\" && test ! -e full.dat"
run "$MPROF" attach -o d.dat 0
check "attach 0: status 1" status_is 1
run "$MPROF" attach -o d.dat no-process-has-this-name-$$
check "attach NAME: none matches, status 1" eval "status_is 1 && err_has \"no process whose name contains\""

sleep 5 &
pid=$!
"$MPROF" attach -T 0.05 -o int.dat $pid 2>err &
rec=$!
sleep 0.5
kill -INT $rec
wait $rec
status=$?
kill $pid 2>/dev/null
check "attach: Ctrl-C ends it with status 0" status_is 0
check "attach: and a complete file" eval '[ $(count MEM int.dat) -ge 5 ] && [ $(tail -c1 int.dat | od -An -c | tr -d " ") = "\n" ]'

# -t ends the sampling, not the process's exit: the process is still
# there, and the samples are those of 0.3 s at the 0.1 s default (not
# timed: a busy machine only gives fewer).
sleep 60 &
pid=$!
run "$MPROF" attach -t 0.3 -o t.dat $pid
alive=0
kill -0 $pid 2>/dev/null && alive=1
kill $pid 2>/dev/null
check "attach -t 0.3: stops after the timeout, status 0" eval "status_is 0 && [ $alive = 1 ] && [ \$(count MEM t.dat) -ge 1 ] && [ \$(count MEM t.dat) -le 4 ]"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	shared=$(mktemp -d /tmp/mprof-attach.XXXXXX)
	chmod 777 "$shared"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$MPROF" attach --backend pss -o "$shared/p.dat" 1
	check "attach: memory it may not read is status 1, clearly" eval "status_is 1 && err_has '^mprof: cannot read the memory of pid 1: Permission denied'"
	check "attach: no file left when nothing was sampled" test ! -e "$shared/p.dat"
	rm -rf "$shared"
fi

finish
