# SPDX-License-Identifier: MIT
# FUNC records end to end: a sample built with the plugin, run under
# `mprof run`, appends one FUNC line per call of a profiled function to
# the .dat (Python mprof's format: name, MiB and time at entry and exit,
# stack level), which `mprof peak --func`, `mprof plot` and Python's mprof
# read; the program's own table is unchanged.
. "$(dirname "$0")/lib.sh"

plugin_setup
build recursive
build threads

# The heap backend makes the FUNC figures exact: the call at level k
# starts with k MiB held, one frame per call below it.  --funcs all: a
# record per call, as Python's mprof writes.
MPROF_BACKEND=heap MPROF_OUTPUT=rec.txt "$MPROF" run --funcs all -T 0.01 -o rec.dat ./recursive >out 2>err
status=$?
check "run: status 0" status_is 0
grep '^FUNC ' rec.dat >funcs
check "eight FUNC records, one per call" eval '[ $(wc -l <funcs) -eq 8 ]'
check "each in Python mprof's format" eval "! grep -Evq '^FUNC recursive\\.c\\.descend [0-9]+\\.[0-9]{4} [0-9]+\\.[0-9]{4} [0-9]+\\.[0-9]{4} [0-9]+\\.[0-9]{4} [0-7]\$' funcs"
check "innermost first: levels 7 down to 0" eval '[ "$(awk "{ printf \"%s\", \$7 }" funcs)" = 76543210 ]'
check "level k began with k MiB held (heap backend)" eval 'awk "{ if (\$3 != sprintf(\"%d.0000\", \$7)) exit 1 }" funcs'
check "each call ends after it starts, inside its caller's call" eval 'awk "NR > 1 && (\$4 > t0 || \$6 < t1) { exit 1 } { if (\$4 > \$6) exit 1; t0 = \$4; t1 = \$6 }" funcs'
check "records lie within the sampled run" eval "awk '\$1 == \"MEM\" { if (!a) a = \$3; b = \$3 } \$1 == \"FUNC\" { if (!f0 || \$4 < f0) f0 = \$4; if (\$6 > f1) f1 = \$6 } END { exit !(f0 >= a - 0.5 && f1 <= b + 0.5) }' rec.dat"
check "the program's table is the usual one" eval "cmp -s rec.txt '$SRCDIR/tests/expected/recursive.txt'"
check "no event dropped, nothing lost" eval '! grep -q "dropped\|without a FUNC record\|not written" err'

# By default (--funcs long) a recursion gets one record, the outermost
# call's, with the largest figure its inner calls saw: 7 MiB held when the
# deepest begins (the heap backend), more than at entry and exit (0 MiB).
MPROF_BACKEND=heap MPROF_OUTPUT=long.txt "$MPROF" run -T 0.01 -o long.dat ./recursive >/dev/null 2>err
check "run: one record for the recursion, with its peak" eval "[ \"\$(grep '^FUNC' long.dat | cut -d' ' -f2,3,5,7-)\" = 'recursive.c.descend 0.0000 0.0000 0 1 7.0000' ]"
run "$MPROF" peak --func descend long.dat
check "peak --func takes the record's peak" eval 'status_is 0 && out_has "^long\.dat	(7|8|9|10)\.[0-9]{3} MiB$"'
MPROF_BACKEND=heap MPROF_OUTPUT=none.txt "$MPROF" run --funcs none -o none.dat ./recursive >/dev/null 2>err
check "run --funcs none: no record, the same table" eval "[ \"\$(count FUNC none.dat)\" -eq 0 ] && cmp -s none.txt rec.txt"

# --backend vms: the FUNC figures are the sampled measure (VmSize, several
# MiB at level 0), the table stays the heap backend's.
MPROF_BACKEND=heap MPROF_OUTPUT=vms.txt "$MPROF" run --funcs all --backend vms -T 0.01 -o vms.dat ./recursive >/dev/null 2>err
# The heap backend's figure at level 0 would be 0.0 MiB (nothing held).
check "run --backend vms: FUNC figures measure what the samples do" eval "awk '\$1 == \"FUNC\" && \$7 == 0 { f = \$3 } END { exit !(f > 1) }' vms.dat"
check "run --backend vms: the table is still the heap backend's" eval "cmp -s vms.txt '$SRCDIR/tests/expected/recursive.txt' && ! grep -v '^mprof: sampling' err | grep -q mprof:"

run "$MPROF" peak --func descend rec.dat
check "peak --func finds the calls" eval 'status_is 0 && out_has "^rec\.dat	[0-9]+\.[0-9]{3} MiB$" && ! out_has NaN'
run "$MPROF" plot -o rec.png rec.dat
check "plot draws the brackets" eval 'status_is 0 && [ -s rec.png ]'

# threads: levels count per thread
MPROF_BACKEND=heap MPROF_OUTPUT=thr.txt "$MPROF" run -o thr.dat ./threads >/dev/null 2>&1
check "threads: records from every thread, each at level 0 in its thread" eval "[ \$(grep -c '^FUNC threads\.c\.' thr.dat) -ge 2 ] && awk '\$1 == \"FUNC\" && \$7 != 0 { bad = 1 } END { exit bad }' thr.dat"

# without mprof run the program writes no FUNC records anywhere
MPROF_BACKEND=heap MPROF_OUTPUT=plain.txt ./recursive >/dev/null 2>err
check "without MPROF_DAT: the table, no complaint" eval 'cmp -s plain.txt rec.txt && [ ! -s err ]'

if [ -n "$MPROF_PYTHON" ]; then
	"$MPROF_PYTHON" - rec.dat >out 2>err <<'EOF'
import sys
import mprof
d = mprof.read_mprofile_file(sys.argv[1])
calls = d["func_timestamp"]["recursive.c.descend"]
assert len(calls) == 8, calls
assert sorted(c[4] for c in calls) == list(range(8)), calls
assert mprof.function_labels(d["func_timestamp"].keys()) == {"recursive.c.descend": "descend"}
print("ok")
EOF
	status=$?
	check "Python's mprof reads the records: 8 calls, levels 0-7, label 'descend'" eval 'status_is 0 && out_is ok'
	MPLBACKEND=Agg "$MPROF_PYTHON" -c 'import sys; sys.argv = ["mprof", "plot", "-f", "-o", "py_flame.png", "rec.dat"]; import mprof; mprof.main()' >out 2>err
	status=$?
	check "Python's mprof plot -f draws them" eval 'status_is 0 && [ -s py_flame.png ]'
fi

finish
