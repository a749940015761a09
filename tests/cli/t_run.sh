# SPDX-License-Identifier: MIT
# mprof run: the .dat it writes, sampling rate, exit statuses, stdio,
# MPROF_DAT, children, timeout, backends, signals, a killed recorder,
# constant memory.
. "$(dirname "$0")/lib.sh"

run "$MPROF" run "$CLI_ALLOC" 30 0.5
check "run: status 0" status_is 0
dat=$(ls mprofile_??????????????.dat 2>/dev/null | head -1)
check "run: writes mprofile_<14 digits>.dat here" test -n "$dat"
check "run: says where, on stderr" err_has "^mprof: sampling memory every 0.1 s into '$dat'"
check "run: CMDLINE first" eval "head -1 '$dat' | grep -qx 'CMDLINE $CLI_ALLOC 30 0.5'"
check "run: MEM lines at 0.1 s (4 to 8 in 0.5 s)" eval "[ \$(count MEM '$dat') -ge 4 ] && [ \$(count MEM '$dat') -le 8 ]"
check "run: MEM format is %.6f %.4f" eval "grep '^MEM' '$dat' | grep -Evq '^MEM [0-9]+\.[0-9]{6} [0-9]+\.[0-9]{4}$' && false || true"
check "run: the 30 MiB are seen" eval "awk -v m=\$(max_mem '$dat') 'BEGIN { exit !(m >= 30 && m < 40) }'"
check "run: timestamps are now" eval "awk -v now=\$(date +%s) '\$1 == \"MEM\" { if (\$3 < now - 60 || \$3 > now + 5) bad = 1 } END { exit bad }' '$dat'"

run "$MPROF" run -T 0.001 -o fast.dat "$CLI_ALLOC" 0 1
n=$(count MEM fast.dat)
check "run -T 0.001: about 1000 samples in 1 s ($n)" eval '[ $n -ge 700 ] && [ $n -le 1100 ]'
check "run -T 0.001: spacing 1 ms on average" eval "awk '\$1 == \"MEM\" { if (n++) s += \$3 - p; p = \$3 } END { exit !(s / (n - 1) > 0.0008 && s / (n - 1) < 0.0014) }' fast.dat"

run "$MPROF" run -o e.dat "$CLI_ALLOC" 0 0.1 7
check "run: the program's failure is status 0 without -E" status_is 0
run "$MPROF" run -E -o e.dat "$CLI_ALLOC" 0 0.1 7
check "run -E: the program's status" status_is 7
run "$MPROF" run --exit-code -o e.dat "$CLI_ALLOC" 0 0.1 -9
check "run -E: 128+9 for SIGKILL" status_is 137
check "run: a signal death is reported" err_has "was killed by signal 9"

run "$MPROF" run -o none.dat no-such-program-anywhere arg
check "run: a missing program is status 1" status_is 1
check "run: a clear message" err_has "^mprof: cannot run 'no-such-program-anywhere': No such file or directory"
check "run: no .dat left behind" test ! -e none.dat
run "$MPROF" run -E no-such-program-anywhere
check "run -E: a missing program is status 1 too" status_is 1
check "run: no default .dat left behind" eval '[ $(ls mprofile_*.dat | wc -l) -eq 1 ]'
no_room "$MPROF" run -o full.dat mkdir ran
check "run: a CMDLINE that cannot be written is status 1" eval "status_is 1 && err_has \"^mprof: cannot write 'full.dat': File too large\$\""
check "run: then no .dat is left and the program does not start" eval 'test ! -e full.dat && test ! -e ran'
if [ -c /dev/full ] && [ -w /dev/full ]; then
	run "$MPROF" run -o /dev/full true
	check "run -o /dev/full: status 1, and the device is not removed" eval "status_is 1 && err_has \"^mprof: cannot write '/dev/full': No space left on device\$\" && test -c /dev/full"
fi
no_room "$MPROF" run mkdir ran
check "run: likewise with the default name" eval "status_is 1 && err_has \"^mprof: cannot write 'mprofile_[0-9]{14}.dat'\" && [ \$(ls mprofile_*.dat | wc -l) -eq 1 ] && test ! -e ran"

printf 'line one\nline two\n' | "$MPROF" run -o cat.dat cat >out 2>err
check "run: stdin and stdout are the program's" out_is "line one
line two"
run "$MPROF" run -o env.dat sh -c 'echo "$MPROF_DAT"'
check "run: MPROF_DAT is the .dat's absolute path" out_is "$tmp/env.dat"
run "$MPROF" run --backend psutil_uss -o env.dat sh -c 'echo "${MPROF_DAT_BACKEND-unset} ${MPROF_BACKEND-unset}"'
check "run --backend: FUNC records are to be measured the same way" out_is "uss unset"
run env MPROF_DAT_BACKEND=pss "$MPROF" run -o env.dat sh -c 'echo "${MPROF_DAT_BACKEND-unset}"'
check "run: without --backend, MPROF_DAT_BACKEND is not passed on" out_is "unset"
run "$MPROF" run -o env2.dat sh -c 'echo "program stderr" >&2'
check "run: stderr is the program's" err_has "^program stderr$"

run "$MPROF" run -o nl.dat sh -c 'sleep 0.2' 'a b' "$(printf 'x\ny')" 'back\slash'
cat >expect <<'X'
CMDLINE sh -c 'sleep 0.2' 'a b' x\ny back\\slash
X
check "run: CMDLINE is one line, quoted and escaped" eval 'head -1 nl.dat | cmp -s - expect'
check "run: no line starts with the text after the newline" eval '! grep -q "^y" nl.dat'

run "$MPROF" run -M -o m.dat "$CLI_ALLOC" -c 2 20 0.6
check "run -M: CHLD lines for two children" eval "[ \$(awk '\$1 == \"CHLD\" { print \$2 }' m.dat | sort -u | wc -l) -eq 2 ]"
check "run -M: each child reaches 20 MiB" eval "[ \$(awk '\$1 == \"CHLD\" && \$3 >= 20 { print \$2 }' m.dat | sort -u | wc -l) -eq 2 ]"
check "run -M: CHLD format" eval "grep '^CHLD' m.dat | grep -Evq '^CHLD [0-9]+ [0-9]+\.[0-9]{6} [0-9]+\.[0-9]{4}$' && false || true"
check "run -M: MEM is the parent alone" eval "awk -v m=\$(max_mem m.dat) 'BEGIN { exit !(m >= 20 && m < 30) }'"
run "$MPROF" run -C -o c.dat "$CLI_ALLOC" -c 2 20 0.6
check "run -C: children added into MEM (>= 60 MiB)" eval "awk -v m=\$(max_mem c.dat) 'BEGIN { exit !(m >= 60 && m < 75) }'"
check "run -C: no CHLD lines" eval '[ $(count CHLD c.dat) -eq 0 ]'

start=$(date +%s.%N)
run "$MPROF" run -t 0.3 -o t.dat "$CLI_ALLOC" 0 1.2
end=$(date +%s.%N)
check "run -t 0.3: sampling stops (<= 4 samples)" eval '[ $(count MEM t.dat) -le 4 ] && [ $(count MEM t.dat) -ge 2 ]'
check "run -t 0.3: the program still runs to its end" eval "awk -v a=$start -v b=$end 'BEGIN { exit !(b - a >= 1.1) }'"

for b in rss pss uss vms; do
	run "$MPROF" run --backend "$b" -o b_$b.dat "$CLI_ALLOC" 20 0.3
	check "run --backend $b: sees the 20 MiB" eval "status_is 0 && awk -v m=\$(max_mem b_$b.dat) 'BEGIN { exit !(m >= 20) }'"
done

# A recorder killed outright keeps what it had sampled.
"$MPROF" run -T 0.02 -o k.dat sh -c 'echo $$ >child.pid; exec "$0" 5 10' "$CLI_ALLOC" 2>/dev/null &
rec=$!
sleep 0.8
kill -KILL $rec
wait $rec 2>/dev/null
kill -KILL "$(cat child.pid)" 2>/dev/null
check "killed recorder: the file has its samples" eval '[ $(count MEM k.dat) -ge 20 ] && head -1 k.dat | grep -q "^CMDLINE"'
check "killed recorder: every line is whole" eval "awk '\$1 == \"MEM\" && NF != 3 { exit 1 }' k.dat"

# SIGTERM to the recorder goes to the program; the file is completed.
"$MPROF" run -E -o term.dat "$CLI_ALLOC" 0 10 2>/dev/null &
rec=$!
sleep 0.5
kill -TERM $rec
wait $rec
status=$?
check "SIGTERM: passed on to the program, status 128+15 with -E" status_is 143
check "SIGTERM: the file is complete" eval '[ $(count MEM term.dat) -ge 3 ]'

# SIGINT alone (not from a terminal) does not stop the recording.
"$MPROF" run -o int.dat "$CLI_ALLOC" 0 0.8 2>/dev/null &
rec=$!
sleep 0.3
kill -INT $rec
wait $rec
status=$?
check "SIGINT: ignored by the recorder, status 0" status_is 0
check "SIGINT: sampling went on to the end" eval '[ $(count MEM int.dat) -ge 7 ]'

# Constant memory: the recorder's anonymous memory (statm's resident minus
# shared: heap, stack, buffers) does not grow between its 500th and 2500th
# samples at 1 ms.  The program runs until the recorder has taken them
# (then SIGTERM, which the recorder passes on), so a loaded machine, where
# the recorder does not always get the CPU on time, only makes this
# slower.  Its file-backed pages are not counted: code run for the first
# time late, and how many neighbouring pages the kernel maps at a fault
# (which depends on what other processes left in the page cache), move
# them.  A leak of 32 bytes per sample would show as about 62 KiB.
"$MPROF" run -T 0.001 -o long.dat "$CLI_ALLOC" 0 100 2>/dev/null &
rec=$!
anon_kib() { awk -v p=$(getconf PAGESIZE) '{ print ($2 - $3) * p / 1024 }' /proc/$rec/statm 2>/dev/null; }
nmem() { local n; n=$(grep -c '^MEM ' long.dat 2>/dev/null); echo "${n:-0}"; }
wait_samples() { while [ "$(nmem)" -lt "$1" ] && [ -e /proc/$rec/statm ]; do sleep 0.02; done; }
wait_samples 500
first=$(anon_kib)
n_first=$(nmem)
wait_samples 2500
last=$(anon_kib)
n_last=$(nmem)
kill -TERM $rec 2>/dev/null
wait $rec
check "constant memory: the recorder's anonymous memory stays within 32 KiB over samples $n_first to $n_last (${first:-?} -> ${last:-?} KiB)" \
	eval '[ -n "$first" ] && [ -n "$last" ] && [ $((n_last - n_first)) -ge 1500 ] && awk "BEGIN { exit !($last - $first <= 32) }"'

finish
