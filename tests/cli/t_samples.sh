# SPDX-License-Identifier: MIT
# The samples this part owns do what their header comments say:
# time_series steps by +7.6, +30.5 and -7.6 MiB a second apart;
# multiprocess has four children peaking near 20, 40, 60 and 80 MiB;
# usage measures its 50 MiB function within tolerance, calling it once.
. "$(dirname "$0")/lib.sh"

run "$MPROF" run -T 0.05 -o ts.dat "$SAMPLES_BIN/time_series"
check "time_series: runs" status_is 0
# the median MEM figure in a window of seconds from the first sample
level() {
	awk -v a="$1" -v b="$2" '$1 == "MEM" { if (!t0) t0 = $3; t = $3 - t0; if (t >= a && t < b) print $2 }' ts.dat |
		sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
l1=$(level 0.3 0.95); l2=$(level 1.2 1.95); l3=$(level 2.15 2.45)
d2=$(awk -v a=$l1 -v b=$l2 'BEGIN { print b - a }')
d3=$(awk -v a=$l2 -v b=$l3 'BEGIN { print b - a }')
check "time_series: 7.6 MiB (plus libc) in the first second ($l1)" eval "awk -v m=$l1 'BEGIN { exit !(m >= 7.6 && m < 11) }'"
check "time_series: +30.5 MiB at 1 s ($d2)" near "$d2" 30.5 1.5
check "time_series: -7.6 MiB at 2 s ($d3)" near "$d3" -7.6 1.0

run "$MPROF" run -M -T 0.05 -o mp.dat "$SAMPLES_BIN/multiprocess"
check "multiprocess: runs" status_is 0
"$MPROF" peak mp.dat | awk '/Child/ { print $3 }' | sort -n >peaks
check "multiprocess: four children" eval '[ $(wc -l <peaks) -eq 4 ]'
i=1
while read -r p; do
	check "multiprocess: child $i peaks near $((i * 20)) MiB ($p)" near "$p" $((i * 20)) 3
	i=$((i + 1))
done <peaks

run "$SAMPLES_BIN/usage"
check "usage: runs" status_is 0
inc=$(sed -n 's/.*, +\([0-9.]*\) MiB over the first/\1/p' out)
check "usage: the 50 MiB function measured ($inc)" near "${inc:-0}" 50 3
check "usage: one sample of the process at the end" out_has '^now: [0-9.]+ MiB$'

finish
