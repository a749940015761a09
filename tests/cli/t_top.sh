# SPDX-License-Identifier: MIT
# `mprof report --top` and `--pprof`, and the runtime's summary of the top
# lines (MPROF_TOP): a sample built with -fplugin-arg-mprof-all and run
# under the heap backend, whose top lines are a known table; --by each
# column, --signatures; the pprof export read by `go tool pprof` (golang-go)
# lists the same top lines with the same figures as --top, and its -list
# shows the source; bad input and unwritable outputs: one line, status 1,
# no file left behind; the runtime's summary after the tables with more
# than 20 functions, none with 20, MPROF_TOP=N and MPROF_TOP=0.
. "$(dirname "$0")/lib.sh"

plugin_setup
(cd "$SRCDIR/samples" && ${CC:-cc} -O1 -g -I"$SRCDIR/include" -fplugin="$plugin" \
	-fplugin-arg-mprof-all processing_inefficient.c -o "$tmp/pi") ||
	{ echo "cannot build processing_inefficient"; exit 1; }
MPROF_BACKEND=heap MPROF_OUTPUT=pi.txt MPROF_JSON=pi.json ./pi >/dev/null
check "the program wrote its profile" eval '[ -s pi.json ]'

# The five lines that grew most, across the sample's 8 functions.
cat >want <<'EOF'
Top 5 lines by Increment, of 48 lines in 8 functions

Location                     Function      Mem usage    Increment  Occurrences   Line Contents
==============================================================================================
processing_inefficient.c:48  table_copy     91.6 MiB     68.7 MiB            9   t.col[c] = malloc(NROWS * sizeof(double));
processing_inefficient.c:34  table_load     22.9 MiB     22.9 MiB            3   t.col[c] = malloc(NROWS * sizeof(double));
processing_inefficient.c:87  summarize      45.8 MiB     22.9 MiB            1   struct table raw = table_copy(input);
processing_inefficient.c:88  summarize      68.7 MiB     22.9 MiB            1   struct table clipped = table_copy(&raw);
processing_inefficient.c:90  summarize      91.6 MiB     22.9 MiB            1   struct table scaled = table_copy(&clipped);

EOF
run "$MPROF" report --top 5 pi.json
check "--top 5: the five largest increments, ties by file and line" eval 'status_is 0 && cmp -s out want && [ ! -s err ]'
run "$MPROF" report --top=5 --by increment - <pi.json
check "--by increment is the default; - reads stdin" eval 'status_is 0 && cmp -s out want'
run "$MPROF" report --top 3 --by occurrences pi.json
check "--by occurrences" eval "status_is 0 && out_has '^Top 3 lines by Occurrences, of 48 lines in 8 functions\$' && sed -n 5p out | grep -q '^processing_inefficient.c:74  table_sum .* 4000000   for (int c = 0; c < NCOLS; c++)\$'"
run "$MPROF" report --top 2 --by mem pi.json
check "--by mem: Mem usage, ties by line" eval "status_is 0 && sed -n 5p out | grep -q '^processing_inefficient.c:47 .* 91.6 MiB' && sed -n 6p out | grep -q '^processing_inefficient.c:48 .* 91.6 MiB'"
run "$MPROF" report --top 100 pi.json
check "rows that did not grow are left out" eval "status_is 0 && out_has '^Top 7 lines by Increment' && [ \$(grep -c '^processing_inefficient.c:' out) -eq 7 ] && ! out_has ' -[0-9.]+ MiB'"
check "signature rows are left out" eval "! out_has '^processing_inefficient.c:(43|86|99) '"
run "$MPROF" report --top 100 --signatures pi.json
check "--signatures ranks them too" eval "status_is 0 && out_has '^processing_inefficient.c:62 +table_scale +91.6 MiB +91.6 MiB +1   static void table_scale'"
run "$MPROF" report --top 1 --precision 3 pi.json
check "--precision applies" eval "status_is 0 && out_has '   91.553 MiB   68.665 MiB '"
run "$MPROF" report --top 3 --by time pi.json
check "--by a column the profile lacks: status 1, one line" eval "status_is 1 && err_has \"^mprof: 'pi.json' has no Time column: the run did not record it\$\" && err_lines 1 && [ ! -s out ]"
run "$MPROF" report --top 3 --by bytes pi.json
check "--by an unknown column: usage error" eval "status_is 2 && err_has \"^mprof: option '--by' takes increment, mem, occurrences, time, allocs, allocated, peak or leaked, not 'bytes'\$\""
for bad in 0 -1 x 1000001 ''; do
	run "$MPROF" report --top "$bad" pi.json
	check "--top '$bad': usage error" eval "status_is 2 && err_has \"^mprof: option '--top' takes a number of lines from 1 to 1000000, not '$bad'\$\""
done
run "$MPROF" report --by mem pi.json
check "--by alone: usage error" eval "status_is 2 && err_has \"^mprof: options '--by' and '--signatures' go with '--top' or '--pprof'\$\""
run "$MPROF" report --json --top 3 pi.json
check "--json with --top: usage error" eval 'status_is 2'
run "$MPROF" report
check "--top without a profile here: status 1" eval 'status_is 1'
cp pi.json mprofile_1.json
run "$MPROF" report --top 5
check "--top reads the newest mprofile_*.json" eval 'status_is 0 && cmp -s out want'
rm mprofile_1.json

# A profile whose lines never grew: one line says so.
printf '{"mprof": 1, "functions": [{"file": "x.c", "dir": "", "name": "x", "first_line": 1, "last_line": 3, "rows": [[1, 1, 0, 0], [2, 1, -5, 0]]}]}\n' >flat.json
run "$MPROF" report --top 3 flat.json
check "nothing grew: one line, status 0" eval "status_is 0 && out_is 'No line has a positive Increment, of 2 lines in 1 function'"

# Bad input: one line, status 1, no pprof file.
head -c 200 pi.json >trunc.json
printf '{"name": "not a profile"}\n' >foreign.json
for f in trunc.json foreign.json nosuch.json; do
	run "$MPROF" report --top 3 "$f"
	check "--top $f: status 1, one line" eval "status_is 1 && err_lines 1 && err_has '^mprof: ' && [ ! -s out ]"
	run "$MPROF" report --pprof bad.pb.gz "$f"
	check "--pprof $f: status 1, one line, no file" eval "status_is 1 && err_lines 1 && [ ! -e bad.pb.gz ] && [ -z \"\$(ls | grep 'bad.pb.gz')\" ]"
done

# --- pprof -----------------------------------------------------------
run "$MPROF" report --pprof pi.pb.gz pi.json
check "--pprof writes the file and says so" eval "status_is 0 && out_is \"pprof profile written to 'pi.pb.gz'\" && [ -s pi.pb.gz ] && gzip -t pi.pb.gz"
check "no temporary file is left" eval '[ "$(ls | grep -c pi.pb.gz)" -eq 1 ]'
run "$MPROF" report --pprof /nonexistent/x.pb.gz pi.json
check "--pprof into a missing directory: one line, status 1" eval "status_is 1 && err_lines 1 && err_has \"^mprof: cannot write '/nonexistent/x.pb.gz': No such file or directory\$\""
cp pi.pb.gz keep.pb.gz
echo old >old.pb.gz
no_room "$MPROF" report --pprof old.pb.gz pi.json
check "a write that fails: status 1, the old file kept, no temporary file" eval "status_is 1 && err_has \"^mprof: cannot write 'old.pb.gz': \" && [ \"\$(cat old.pb.gz)\" = old ] && [ \$(ls | grep -c 'old.pb.gz') -eq 1 ]"

GO=$(command -v go || ls /usr/lib/go/bin/go 2>/dev/null || true)
if [ -z "$GO" ]; then
	if command -v dpkg-query >/dev/null; then
		echo "FAIL - go not found: install golang-go (scripts/deps.sh)"
		failed=$((failed + 1))
	else
		echo "skip - not a Debian system and no go: pprof not checked"
	fi
	finish
fi
export HOME=$tmp GOCACHE=$tmp/gocache GOFLAGS=

# pprof's -top -lines (bytes, every line) against mprof's --top at
# precision 6: the same lines, in the same order of figures, the same
# figures; ties may be ordered differently (pprof sorts them by name).
compare_top() {	# SAMPLE_INDEX N [--by COLUMN]
	local index=$1 n=$2
	shift 2
	"$GO" tool pprof -sample_index="$index" -top -lines -unit=B -nodefraction=0 \
		-nodecount=1000 pi.pb.gz >pprof.out 2>pprof.err || return 1
	"$MPROF" report --precision 6 --top "$n" "$@" pi.json >top.out || return 1
	python3 - "$index" "$n" <<'PY'
import re, sys
index, n = sys.argv[1], int(sys.argv[2])
pp = []
for line in open("pprof.out"):
    m = re.match(r"^\s*(-?\d+)B?\s.*%\s+(\S+) (\S+):(\d+)$", line)
    if m:
        v = int(m.group(1))
        if v > 0:
            pp.append((v, m.group(2), m.group(3).rsplit("/", 1)[-1] + ":" + m.group(4)))
pp.sort(key=lambda e: -e[0])
# a row: location, function, Mem usage, MiB, Increment, MiB, Occurrences
col = {"mem": 2, "increment": 4, "occurrences": 6}[index]
top = []
for line in open("top.out").read().split("\n")[4:]:
    if not line:
        break
    f = line.split()
    top.append((int(f[col]) if index == "occurrences" else float(f[col]),
                f[1], f[0]))
def mib(b):
    return round(b / 2**20, 6)
want = [(mib(v) if index != "occurrences" else v) for v, _, _ in pp[:n]]
got = [v for v, _, _ in top]
if len(top) != min(n, len(pp)) or want != got:
    sys.exit("figures differ: pprof %r, mprof %r" % (want, got))
byloc = {(f, l): (mib(v) if index != "occurrences" else v) for v, f, l in pp}
for v, f, l in top:
    if byloc.get((f, l)) != v:
        sys.exit("%s %s: pprof has %r, mprof %r" % (f, l, byloc.get((f, l)), v))
print("%d lines agree" % len(top))
PY
}
run compare_top increment 5
check "go tool pprof -top -lines: the same top lines by increment as --top" eval 'status_is 0 && out_has "^5 lines agree"'
run compare_top increment 100
check "... and all 7 lines that grew" eval 'status_is 0 && out_has "^7 lines agree"'
run compare_top occurrences 10 --by occurrences
check "-sample_index=occurrences: the same as --top --by occurrences" eval 'status_is 0 && out_has "^10 lines agree"'
run compare_top mem 10 --by mem
check "-sample_index=mem: the same as --top --by mem" eval 'status_is 0 && out_has "^10 lines agree"'
run "$GO" tool pprof -top pi.pb.gz
check "increment is the default sample type; pprof has nothing to say" eval "status_is 0 && out_has '^Type: increment\$' && [ ! -s err ]"
run "$MPROF" report --pprof by_mem.pb.gz --by mem pi.json
run "$GO" tool pprof -top by_mem.pb.gz
check "--pprof --by mem: mem is the default sample type" eval "status_is 0 && out_has '^Type: mem\$'"
run "$GO" tool pprof -list table_copy pi.pb.gz
check "-list shows the function's source with its figures" eval "status_is 0 && out_has '^ +68.66MB +68.66MB +48: +t.col\\[c\\] = malloc\\(NROWS \\* sizeof\\(double\\)\\);\$'"
run "$GO" tool pprof -raw pi.pb.gz
check "pprof reads the types and the comment" eval "status_is 0 && out_has '^increment/bytes\\[dflt\\] mem/bytes occurrences/count\$' && out_has 'mprof: backend heap'"

# --- the runtime's summary -------------------------------------------
# many.c: 24 profiled functions; f<i>'s malloc line grows by i * 64 KiB
# (a .. z order otherwise), so the top lines are the last functions'.
{
	echo '#include <stdio.h>'
	echo '#include <stdlib.h>'
	echo 'void *keep[32];'
	for i in $(seq 1 24); do
		printf '__attribute__((mprof)) static void f%d(void)\n{\n' "$i"
		printf '    keep[%d] = malloc(%d * 65536);\n' "$i" "$i"
		printf '    keep[0] = keep[%d];\n}\n' "$i"
	done
	echo 'int main(int argc, char **argv)'
	echo '{'
	echo '    int n = argc > 1 ? atoi(argv[1]) : 24;'
	for i in $(seq 1 24); do
		printf '    if (n >= %d)\n        f%d();\n' "$i" "$i"
	done
	echo '    printf("many: %d\n", n);'
	echo '    return 0;'
	echo '}'
} >many.c
${CC:-cc} -O1 -g -fplugin="$plugin" many.c -o many || { echo "cannot build many.c"; exit 1; }

MPROF_BACKEND=heap MPROF_OUTPUT=r24.txt MPROF_JSON=r24.json ./many >/dev/null
check "24 functions: the summary after the tables" eval "grep -q '^Top 10 lines by Increment, of 72 lines in 24 functions\$' r24.txt && [ \$(grep -c '^Filename: many.c' r24.txt) -eq 24 ] && tail -n 15 r24.txt | head -n 1 | grep -q '^Top 10'"
check "its first line is f24's malloc, its last f15's" eval "grep -A4 '^Top 10' r24.txt | tail -n 1 | grep -q '^many.c:[0-9]*  f24 .* 1.5 MiB .*keep\\[24\\] = malloc(24 \\* 65536);\$' && grep -A13 '^Top 10' r24.txt | tail -n 1 | grep -q '  f15 '"
"$MPROF" report --top 10 r24.json >top10.txt
check "the summary is 'mprof report --top 10' of the run's profile" eval "sed -n '/^Top 10/,\$p' r24.txt | cmp -s - top10.txt"
MPROF_BACKEND=heap MPROF_OUTPUT=r20.txt ./many 20 >/dev/null
MPROF_BACKEND=heap MPROF_OUTPUT=r21.txt ./many 21 >/dev/null
check "20 functions: no summary; 21: a summary" eval "! grep -q '^Top ' r20.txt && [ \$(grep -c '^Filename:' r20.txt) -eq 20 ] && grep -q '^Top 10 lines by Increment, of 63 lines in 21 functions\$' r21.txt"
MPROF_BACKEND=heap MPROF_OUTPUT=t0.txt MPROF_TOP=0 ./many >/dev/null
check "MPROF_TOP=0: no summary, the same tables" eval "! grep -q '^Top ' t0.txt && sed '/^Top 10/,\$d' r24.txt | cmp -s - t0.txt"
MPROF_BACKEND=heap MPROF_OUTPUT=t3.txt MPROF_TOP=3 ./many 2 >/dev/null
check "MPROF_TOP=3: three lines, with only 2 functions" eval "grep -q '^Top 2 lines by Increment, of 6 lines in 2 functions\$' t3.txt"
MPROF_BACKEND=heap MPROF_OUTPUT=tx.txt MPROF_TOP=ten ./many >out 2>err
check "MPROF_TOP=ten: one line on stderr, the default" eval "err_has \"^mprof: MPROF_TOP: invalid value 'ten' \" && err_lines 1 && cmp -s tx.txt r24.txt"
MPROF_BACKEND=heap ./many 2>stderr.txt >/dev/null
check "on stderr too, the summary last" eval "tail -n 15 stderr.txt | head -n 1 | grep -q '^Top 10 lines'"

finish
