# SPDX-License-Identifier: MIT
# Ten million samples: plot and peak stream through them in seconds with
# bounded memory (the plot bins per pixel column while reading).  The
# memory is measured by mprof itself: `mprof run` around `mprof plot`.
# The times are printed, not checked (a shared machine makes them vary).
. "$(dirname "$0")/lib.sh"

"$CLI_GEN_DAT" 10000000 >big.dat
check "a 10-million-sample file (~300 MB)" eval '[ $(stat -c %s big.dat) -gt 290000000 ]'

t0=$(date +%s.%N)
run "$MPROF" run -T 0.02 -o self.dat "$MPROF" plot -o big.png big.dat
t1=$(date +%s.%N)
check "plot: status 0" status_is 0
echo "# plot took $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s"
check "plot: under 40 MiB of memory ($(max_mem self.dat) MiB)" eval "awk -v m=\$(max_mem self.dat) 'BEGIN { exit !(m < 40) }'"
check "plot: a PNG" test -s big.png

t0=$(date +%s.%N)
run "$MPROF" run -T 0.02 -o self2.dat "$MPROF" peak big.dat
t1=$(date +%s.%N)
check "peak: the one largest sample (170 MiB, mid-file)" eval "out_has '^big.dat	170.000 MiB$'"
echo "# peak took $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s"
check "peak: under 20 MiB of memory ($(max_mem self2.dat) MiB)" eval "awk -v m=\$(max_mem self2.dat) 'BEGIN { exit !(m < 20) }'"
rm -f big.dat

finish
