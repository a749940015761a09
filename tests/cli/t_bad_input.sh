# SPDX-License-Identifier: MIT
# Bad .dat input for peak and plot: a malformed line is "file:line:
# message" and the rest is read; an empty, truncated, binary file or a
# directory is one line and status 1; unknown tags pass quietly.
. "$(dirname "$0")/lib.sh"

printf 'CMDLINE x\nMEM 1.0 100.0\nMEM abc 100.1\nMEM 4.0 100.2\nCHLD 1 2\nMEM 2.0 100.3\n' >bad.dat
for c in peak plot; do
	run "$MPROF" $c bad.dat
	check "$c: malformed lines reported as file:line: message" eval "err_has \"^bad.dat:3: bad MEM record: 'abc' is not a number\$\" && err_has \"^bad.dat:5: bad CHLD record: expected 'CHLD <pid> <MiB> <time>'\$\""
	check "$c: the rest is still read (status 0)" status_is 0
done
run "$MPROF" peak bad.dat
check "peak: the good lines give the peak" eval "out_has '	4.000 MiB$'"

awk 'BEGIN { for (i = 0; i < 50; i++) print "MEM x 1"; print "MEM 1 1" }' >many.dat
run "$MPROF" peak many.dat
check "many malformed lines: 10 shown, the rest counted" eval "[ \$(grep -c '^many.dat:[0-9]' err) -eq 10 ] && err_has '^many.dat: 40 more malformed lines not shown$'"

printf 'CMDLINE x\nFUTURE 1 2 3\nMEM 1.0 100.0\n\nNEWTAG\n' >unknown.dat
run "$MPROF" peak unknown.dat
check "unknown tags and blank lines: skipped quietly" eval "status_is 0 && [ ! -s err ] && out_has '	1.000 MiB$'"

: >empty.dat
printf 'CMDLINE ./prog\n' >header.dat
printf 'CMDLINE ./prog\nMEM 1.5' >cut.dat
mkdir adir.dat
head -c 3000 "$CLI_ALLOC" >binary.dat
for c in peak plot; do
	run "$MPROF" $c empty.dat
	check "$c: an empty file is one line, status 1" eval "status_is 1 && err_lines 1 && err_has \"^mprof: 'empty.dat' is empty\$\""
	run "$MPROF" $c header.dat
	check "$c: a file without samples is one line, status 1" eval "status_is 1 && err_lines 1 && err_has \"no memory samples \\(MEM lines\\) in 'header.dat'\""
	run "$MPROF" $c cut.dat
	check "$c: a line cut short is reported, then no samples: status 1" eval "status_is 1 && err_has '^cut.dat:2: bad MEM record' && err_has 'no memory samples'"
	run "$MPROF" $c adir.dat
	check "$c: a directory is one line, status 1" eval "status_is 1 && err_lines 1 && err_has \"'adir.dat' is a directory\""
	run "$MPROF" $c binary.dat
	check "$c: a binary file is one line, status 1" eval "status_is 1 && err_lines 1 && err_has \"^mprof: 'binary.dat' is a binary file, not an mprof .dat\$\""
	run "$MPROF" $c nosuch.dat
	check "$c: a missing file is status 1" eval "status_is 1 && err_has \"'nosuch.dat': No such file or directory\""
done
printf 'CMDLINE \377\376 caf\303\251 \340\200\200\nMEM 1.0 1.0\nMEM 2.0 2.0\nFUNC \377x.f 1 1.1 2 1.9 0\n' >utf.dat
run "$MPROF" plot -o utf.png utf.dat
check "plot: invalid UTF-8 in the title and names still draws" eval 'status_is 0 && [ -s utf.png ] && [ ! -s err ]'
run "$MPROF" plot -f -o utf2.png utf.dat
check "plot -f: likewise" eval 'status_is 0 && [ -s utf2.png ]'
check "plot: nothing drawn for bad files" eval '[ -z "$(ls *.png 2>/dev/null | grep -Ev "^(bad|utf2?).png$")" ]'

finish
