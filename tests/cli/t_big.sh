# SPDX-License-Identifier: MIT
# Ten million samples: plot and peak stream through them with bounded
# memory (the plot bins per pixel column while reading), and peak finds
# the one largest sample.  Memory is the kernel's peak resident set of
# each command (wait4, through cli_maxrss), not a sampled curve, so the
# figures do not depend on timing; nothing here is timed (the speed of
# `mprof plot` is measured by bench/funcs: bench/README.md).
. "$(dirname "$0")/lib.sh"

"$CLI_GEN_DAT" 10000000 >big.dat
check "a 10-million-sample file (~300 MB)" eval '[ $(stat -c %s big.dat) -gt 290000000 ]'
check "one CMDLINE and ten million MEM lines" eval '[ "$(awk "{ n[\$1]++ } END { print n[\"CMDLINE\"], n[\"MEM\"], NR }" big.dat)" = "1 10000000 10000001" ]'

# max_rss FILE: the peak resident set cli_maxrss wrote, in MiB
max_rss() { awk '{ printf "%.1f", $1 / 1024 }' "$1"; }

run "$CLI_MAXRSS" plot.rss "$MPROF" plot -o big.png big.dat
check "plot: status 0" status_is 0
check "plot: under 40 MiB of memory ($(max_rss plot.rss) MiB)" eval "awk -v m=\$(max_rss plot.rss) 'BEGIN { exit !(m < 40) }'"
check "plot: a PNG" eval '[ "$(head -c 8 big.png | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ]'

run "$CLI_MAXRSS" peak.rss "$MPROF" peak big.dat
check "peak: status 0" status_is 0
check "peak: the one largest sample (170 MiB, mid-file)" eval "out_is 'big.dat	170.000 MiB'"
check "peak: under 20 MiB of memory ($(max_rss peak.rss) MiB)" eval "awk -v m=\$(max_rss peak.rss) 'BEGIN { exit !(m < 20) }'"
rm -f big.dat

finish
