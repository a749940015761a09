# SPDX-License-Identifier: MIT
# A run shorter than the sampling interval: samples/recursive touches 8 MiB
# in 8 nested calls and exits within about 50 ms, so `mprof run` (0.1 s
# interval) samples it once, just after exec.  The PEAK record (wait4's
# ru_maxrss) still gives `mprof peak` the true peak, `peak --func` takes
# the calls' own figures, and Python's mprof still reads and draws the
# file (it skips the PEAK line).
. "$(dirname "$0")/lib.sh"

plugin_setup
build recursive

# The true peak: the same program's ru_maxrss, run by a small wrapper
run "$CLI_MAXRSS" true.kib ./recursive
check "plain run: status 0" status_is 0
run "$MPROF" run -o short.dat ./recursive
check "run: status 0" status_is 0
check "one PEAK record, after the samples" eval '[ "$(count PEAK short.dat)" -eq 1 ] && [ "$(tail -n 1 short.dat | cut -d" " -f1)" = PEAK ]'
true_mib=$(awk '{ printf "%.3f", $1 / 1024 }' true.kib)
run "$MPROF" peak short.dat
peak=$(awk -F'\t' '{ print $2 + 0 }' out)
check "peak is within 5% of the true peak ($peak vs $true_mib MiB)" \
	eval "status_is 0 && near $peak $true_mib \$(awk 'BEGIN { print $true_mib * 0.05 }')"
run "$MPROF" peak --func descend short.dat
check "peak --func: a figure, not NaN, from the calls' own records" \
	eval "status_is 0 && ! out_has NaN && awk -F'\t' '{ exit !(\$2 + 0 >= 8) }' out"
run "$MPROF" peak --func nosuch short.dat
check "peak --func of a function with no record still says NaN" eval 'status_is 0 && out_has "NaN MiB"'

# -M: ru_maxrss mixes the program with its children: no PEAK record
"$MPROF" run -M -o multi.dat ./recursive >/dev/null 2>&1
check "run -M writes no PEAK record" eval '[ "$(count PEAK multi.dat)" -eq 0 ] && [ "$(count MEM multi.dat)" -ge 1 ]'
# --backend other than rss: ru_maxrss is not that measure
"$MPROF" run --backend vms -o vms.dat ./recursive >/dev/null 2>&1
check "run --backend vms writes no PEAK record" eval '[ "$(count PEAK vms.dat)" -eq 0 ]'
# -C: the curve is the sum of the processes, ru_maxrss the largest one, a
# lower bound of it; with no child it is the program's peak
"$MPROF" run -C -o sum.dat ./recursive >/dev/null 2>&1
run "$MPROF" peak sum.dat
check "run -C: PEAK record, peak near the true one" \
	eval "[ \"\$(count PEAK sum.dat)\" -eq 1 ] && near \$(awk -F'\t' '{ print \$2 + 0 }' out) $true_mib \$(awk 'BEGIN { print $true_mib * 0.05 }')"

if [ -n "$MPROF_PYTHON" ]; then
	"$MPROF_PYTHON" -m mprof peak short.dat >out 2>err
	status=$?
	check "Python's mprof peak reads the file" eval 'status_is 0 && out_has "MiB" && ! grep -q Traceback err'
	"$MPROF_PYTHON" -m mprof plot -o py.png short.dat >out 2>err
	status=$?
	check "Python's mprof plot draws it" eval 'status_is 0 && [ -s py.png ] && ! grep -q Traceback err'
fi

finish
