# SPDX-License-Identifier: MIT
# Files go both ways with Python's mprof (memory_profiler): what our run
# writes, Python's peak reads to the same figures and Python's plot
# draws; what Python's run writes (MEM, CHLD, FUNC), our peak and plot
# read.  Skipped without a python3 that has memory_profiler + matplotlib.
. "$(dirname "$0")/lib.sh"

[ -n "${MPROF_PYTHON:-}" ] || { echo "no python3 with memory_profiler and matplotlib: skipped"; exit 77; }
export MPLBACKEND=Agg
py() { "$MPROF_PYTHON" -m mprof "$@"; }
# Python prints "Using last profile data." first when it picks the file
peaks() { grep -v '^Using last' "$1"; }

# ours -> Python
"$MPROF" run -M -T 0.05 -o ours.dat sh -c '"$0" -c 2 10 0.5' "$CLI_ALLOC" 'a b' "$(printf 'x\ny')" 2>/dev/null
"$MPROF" peak ours.dat >ours.peak
py peak ours.dat >py.peak 2>py.err
check "Python's peak reads our .dat (newline in CMDLINE included)" eval '[ -s py.peak ] && ! grep -q Traceback py.err'
check "Python's peak and ours agree to the printed precision" diff ours.peak py.peak
check "the figures are real: the children of >= 10 MiB" eval "[ \$(awk '/Child/ && \$3 >= 10' ours.peak | wc -l) -ge 2 ]"
py plot ours.dat -o py_ours.png >/dev/null 2>py.err
check "Python's plot draws our .dat" eval '[ -s py_ours.png ] && ! grep -q Traceback py.err'
"$MPROF" run -C -o ours_c.dat "$CLI_ALLOC" -c 1 10 0.3 2>/dev/null
check "Python's peak agrees on a -C file" eval '[ "$("$MPROF" peak ours_c.dat)" = "$(py peak ours_c.dat | peaks /dev/stdin)" ]'

# Python -> ours
cat >script.py <<'X'
import time

@profile
def grow(n):
    a = [1] * (n * 10 ** 5)
    time.sleep(0.15)
    return a

@profile
def main():
    x = grow(10)
    y = grow(20)
    time.sleep(0.1)
    return len(x) + len(y)

main()
X
py run -T 0.02 -o python.dat script.py >/dev/null 2>&1
check "Python's run wrote FUNC records" eval '[ $(count FUNC python.dat) -eq 3 ]'
run "$MPROF" peak python.dat
py peak python.dat >py.peak 2>/dev/null
check "our peak reads Python's .dat and agrees" eval "status_is 0 && [ ! -s err ] && diff out py.peak"
run "$MPROF" peak --func __main__.grow python.dat
py peak --func __main__.grow python.dat >py.peak 2>/dev/null
check "peak --func agrees with Python's" diff out py.peak
run "$MPROF" plot -o ours_python.png python.dat
check "our plot draws Python's .dat, brackets and all" eval 'status_is 0 && [ ! -s err ] && [ -s ours_python.png ]'
run "$MPROF" plot -f -o ours_python_flame.png python.dat
check "our flame plot draws Python's FUNC levels" eval 'status_is 0 && [ -s ours_python_flame.png ]'

cat >children.py <<'X'
import multiprocessing, time

def work(n):
    a = [1] * (n * 10 ** 6)
    time.sleep(0.4)

if __name__ == "__main__":
    ps = [multiprocessing.Process(target=work, args=(n,)) for n in (1, 2)]
    for p in ps: p.start()
    for p in ps: p.join()
X
py run -M -T 0.05 -o pychld.dat children.py >/dev/null 2>&1
run "$MPROF" peak pychld.dat
py peak pychld.dat >py.peak 2>/dev/null
check "Python's CHLD records: our peak agrees child by child" eval "status_is 0 && diff out py.peak && grep -q Child out"

finish
