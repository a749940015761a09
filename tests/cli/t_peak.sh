# SPDX-License-Identifier: MIT
# mprof peak: Python mprof's output, children, --func, indices, the
# newest profile by default.
. "$(dirname "$0")/lib.sh"

cat >mprofile_20240101000000.dat <<'X'
CMDLINE ./prog
MEM 1.000000 100.0000
CHLD 11 5.000000 100.0000
MEM 3.141592 100.1000
CHLD 12 7.500000 100.1000
CHLD 11 6.250000 100.1000
FUNC prog.c.work 1.0000 100.0500 3.0000 100.1500 0
MEM 2.000000 100.2000
FUNC prog.c.idle 2.0000 100.1800 2.0000 100.2100 0
FUNC other.c.work 2.0000 100.1800 2.0000 100.2100 0
X
cat >mprofile_20240202000000.dat <<'X'
CMDLINE ./newer
MEM 0.5 200.0
MEM 0.7505 200.1
X
tab=$(printf '\t')

run "$MPROF" peak mprofile_20240101000000.dat
check "peak: file, tab, peak with 3 decimals; children in order of appearance" out_is "mprofile_20240101000000.dat${tab}3.142 MiB
  Child 11${tab}${tab}${tab}6.250 MiB
  Child 12${tab}${tab}${tab}7.500 MiB"
run "$MPROF" peak
check "peak without a file: the newest profile" out_is "mprofile_20240202000000.dat${tab}0.750 MiB"
run "$MPROF" peak 0 -1
check "peak INDEX: as in mprof list, -1 the newest" eval "status_is 0 && [ \$(wc -l <out) -eq 4 ] && out_has '^mprofile_20240101000000.dat' && out_has '^mprofile_20240202000000.dat${tab}0.750 MiB'"
run "$MPROF" peak --func prog.c.work mprofile_20240101000000.dat
check "peak --func: samples during the calls only" out_is "mprofile_20240101000000.dat${tab}3.142 MiB
  Child 11${tab}${tab}${tab}6.250 MiB
  Child 12${tab}${tab}${tab}7.500 MiB"
run "$MPROF" peak --func prog.c.idle mprofile_20240101000000.dat
check "peak --func: another function's window" eval "out_has '^mprofile_20240101000000.dat${tab}2.000 MiB$'"
run "$MPROF" peak --func idle mprofile_20240101000000.dat
check "peak --func: an unambiguous short name works" eval "out_has '${tab}2.000 MiB$'"
run "$MPROF" peak --func work mprofile_20240101000000.dat
check "peak --func: an ambiguous short name is NaN with a warning" eval "out_is 'mprofile_20240101000000.dat${tab}NaN MiB' && err_has 'matches several functions'"
run "$MPROF" peak --func nosuch mprofile_20240101000000.dat
check "peak --func: an unknown function is NaN (as Python), status 0" eval "status_is 0 && out_is 'mprofile_20240101000000.dat${tab}NaN MiB'"
run "$MPROF" peak mprofile_20240101000000.dat missing.dat mprofile_20240202000000.dat
check "peak: a missing file is an error, the others still print, status 1" eval "status_is 1 && err_has \"^mprof: 'missing.dat': No such file or directory\" && out_has '^mprofile_20240202000000.dat'"
run "$MPROF" peak 7
check "peak: an index past the end is status 1" eval "status_is 1 && err_has 'no profile with index 7'"
mkdir empty && cd empty
run "$MPROF" peak
check "peak without any profile here: status 1" eval "status_is 1 && err_has 'no mprofile_\*.dat file in the current directory'"
cd ..

finish
