# SPDX-License-Identifier: MIT
# FUNC records at scale: bench/workloads/calls.c built with
# -fplugin-arg-mprof-all makes about a million calls of profiled functions
# (count recursive, about 13 levels per word).  By default `mprof run`
# records what a plot can show: a few lines, the short calls merged with
# their number, a recursion once; --funcs all writes a line per call and
# none writes nothing.  `mprof plot` of the million-line file runs in
# bounded memory, and its legend counts a recursion's time once.  No
# check here depends on how fast anything runs (bench/funcs measures
# that).
. "$(dirname "$0")/lib.sh"

plugin_setup
WORDS=60000
${CC:-cc} -O2 -g -fplugin="$plugin" -fplugin-arg-mprof-all \
	"$SRCDIR/bench/workloads/calls.c" -o calls || { echo "cannot build calls"; exit 1; }
export MPROF_OUTPUT=/dev/null

run "$MPROF" run -o long.dat ./calls $WORDS
check "run: status 0" status_is 0
next=$(sed -n 's/.*next_word \([0-9]*\) calls.*/\1/p' out)
calls=$(sed -n 's/.*count \([0-9]*\) calls.*/\1/p' out)
check "the program made about a million calls ($next + $calls)" eval "[ \$((next + calls)) -gt 900000 ]"
check "run: a few FUNC records ($(count FUNC long.dat)), a small file ($(stat -c %s long.dat) bytes)" \
	eval "[ \$(count FUNC long.dat) -ge 3 ] && [ \$(count FUNC long.dat) -le 200 ] && [ \$(stat -c %s long.dat) -lt 65536 ]"
check "run: the merged records of next_word count its $next calls" \
	eval "[ \"\$(awk '\$1 == \"FUNC\" && \$2 ~ /[.]next_word\$/ { n += (NF >= 8 ? \$8 : 1) } END { print n }' long.dat)\" = $next ]"
check "run: count, recursive, has one record per outermost call ($WORDS)" \
	eval "[ \"\$(awk '\$1 == \"FUNC\" && \$2 ~ /[.]count\$/ { n += (NF >= 8 ? \$8 : 1) } END { print n }' long.dat)\" = $WORDS ]"
run "$MPROF" plot -o long.svg long.dat
check "plot: merged calls are shown as spread over a time" eval "status_is 0 && grep -q '^count $WORDS calls within [0-9.]* s\$' long.svg"
run "$MPROF" peak --func count long.dat
check "peak --func count: a figure" eval 'status_is 0 && out_has "	[0-9]+\.[0-9]{3} MiB$"'

if [ -n "${MPROF_PYTHON:-}" ]; then
	"$MPROF_PYTHON" -m mprof peak long.dat >out 2>err
	status=$?
	check "Python's mprof peak reads the merged records" eval 'status_is 0 && ! grep -q Traceback err'
	"$MPROF_PYTHON" -m mprof plot -o py_long.png long.dat >out 2>err
	status=$?
	check "Python's mprof plot draws them" eval 'status_is 0 && [ -s py_long.png ] && ! grep -q Traceback err'
fi

run "$MPROF" run --funcs none -o none.dat ./calls $WORDS
check "run --funcs none: no FUNC record" eval "status_is 0 && [ \$(count FUNC none.dat) -eq 0 ] && [ \$(count MEM none.dat) -ge 1 ]"

run "$MPROF" run --funcs all -o all.dat ./calls $WORDS
check "run --funcs all: a record per call" \
	eval "status_is 0 && [ \$(grep -c '[.]next_word ' all.dat) -eq $next ] && [ \$(grep -c '[.]count ' all.dat) -eq $calls ]"

# The plot keeps at most 65536 calls to draw: its memory does not grow
# with the file (~80 MB here), under 100 MB whatever the file.
run "$CLI_MAXRSS" plot.kib "$MPROF" plot -o all.svg all.dat
check "plot of a million records: under 100 MB ($(cat plot.kib) KiB)" eval 'status_is 0 && [ "$(cat plot.kib)" -lt 102400 ]'
span=$(awk '$1 == "MEM" || $1 == "FUNC" { t = $1 == "MEM" ? $3 : $4; e = $1 == "MEM" ? $3 : $6; if (!a || t < a) a = t; if (e > b) b = e } END { printf "%.3f", b - a }' all.dat)
total=$(sed -n 's/^count \([0-9.]*\) s in [0-9]* calls$/\1/p' all.svg)
check "plot: count's time ($total s) is counted once, within the run ($span s)" \
	eval "[ -n \"$total\" ] && awk 'BEGIN { exit !($total <= $span + 0.001) }'"
check "plot: the legend counts every call of count ($calls)" eval "grep -q '^count [0-9.]* s in $calls calls\$' all.svg"

finish
