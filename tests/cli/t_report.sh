# SPDX-License-Identifier: MIT
# `mprof report`: samples built with the plugin and run with MPROF_JSON,
# whose saved profile must print exactly the table the program printed
# (precision kept or overridden, forked children labelled); --json is the
# runtime's own text and reads back; the default file, stdin, a missing
# source, bad files (one line, status 1), usage errors (status 2); the
# optional columns (MPROF_COLUMNS) saved and printed again, --columns.
. "$(dirname "$0")/lib.sh"

plugin_setup
build basic
build recursive
# forks: three children each call work() and exit(); the parent calls it too
cat >forks.c <<'EOF'
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mprof.h>

MPROF static char *work(int n)
{
    char *p = malloc((size_t)n << 20);
    memset(p, n, (size_t)n << 20);
    return p;
}

int main(void)
{
    for (int i = 1; i <= 3; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            free(work(i));
            exit(0);
        }
        waitpid(pid, NULL, 0);
    }
    free(work(4));
    return 0;
}
EOF
${CC:-cc} -O1 -g -I"$SRCDIR/include" -fplugin="$plugin" forks.c -o forks ||
	{ echo "cannot build forks.c"; exit 1; }

# Heap backend: exact figures, the same every run.
MPROF_BACKEND=heap MPROF_OUTPUT=basic.txt MPROF_JSON=basic.json ./basic >/dev/null
MPROF_BACKEND=heap MPROF_OUTPUT=basic3.txt MPROF_PRECISION=3 MPROF_JSON=basic3.json ./basic >/dev/null
MPROF_BACKEND=heap MPROF_OUTPUT=rec.txt MPROF_JSON=rec.json ./recursive >/dev/null
check "the programs wrote tables and profiles" eval '[ -s basic.txt ] && [ -s basic.json ] && [ -s basic3.json ] && [ -s rec.json ]'

run "$MPROF" report basic.json
check "basic: the same table as the program printed" eval 'status_is 0 && cmp -s out basic.txt && [ ! -s err ]'
run "$MPROF" report rec.json
check "recursive: the same table" eval 'status_is 0 && cmp -s out rec.txt'
run "$MPROF" report basic3.json
check "the run's precision is kept" eval 'status_is 0 && cmp -s out basic3.txt'
run "$MPROF" report --precision 3 basic.json
check "--precision 3 gives the table of MPROF_PRECISION=3" eval 'status_is 0 && cmp -s out basic3.txt'
run "$MPROF" report --precision=1 basic3.json
check "--precision=1 overrides the run's 3" eval 'status_is 0 && cmp -s out basic.txt'

run "$MPROF" report --json basic.json
check "--json: the runtime's own text, already normal" eval 'status_is 0 && cmp -s out basic.json'
cp out again.json
run "$MPROF" report again.json
check "--json output reads back into the same table" eval 'status_is 0 && cmp -s out basic.txt'
run "$MPROF" report --json --precision 4 basic.json
check "--json --precision 4 records the precision" eval 'status_is 0 && out_has "^  \"precision\": 4,$"'
if [ -n "$MPROF_PYTHON" ]; then
	"$MPROF_PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); f = d["functions"][0]; assert d["mprof"] == 1 and d["backend"] == "heap" and f["name"] == "my_func" and f["file"] == "basic.c" and len(f["rows"][0]) == 4, d' basic.json >out 2>err
	status=$?
	check "Python's json module reads the profile" status_is 0
fi

run "$MPROF" report - <basic.json
check "- reads standard input" eval 'status_is 0 && cmp -s out basic.txt'

# no argument: the newest mprofile_*.json by modification time
run "$MPROF" report
check "no profile here: status 1, one line" eval "status_is 1 && err_has '^mprof: no mprofile_\\*\\.json file in the current directory' && err_lines 1"
cp rec.json mprofile_9.json
cp basic.json mprofile_10.json
touch -d '2001-01-01' mprofile_9.json
run "$MPROF" report
check "no argument: the newest mprofile_*.json" eval 'status_is 0 && cmp -s out basic.txt'
touch mprofile_9.json
run "$MPROF" report
check "newest by time, not by name" eval 'status_is 0 && cmp -s out rec.txt'
rm -f mprofile_*.json

# forked children: each wrote its own profile (%p) and its own table
MPROF_BACKEND=heap MPROF_OUTPUT=t.%p.txt MPROF_JSON=p.%p.json ./forks
n=0
ok=1
labels=0
for j in p.*.json; do
	pid=${j#p.}
	pid=${pid%.json}
	n=$((n + 1))
	"$MPROF" report "$j" >out 2>err || ok=0
	cmp -s out "t.$pid.txt" || ok=0
	grep -q "^Process $pid (child of [0-9]*)\$" out && labels=$((labels + 1))
done
check "fork: the parent's and three children's profiles print their own tables ($n)" eval '[ $n -eq 4 ] && [ $ok -eq 1 ]'
check "fork: each child's table is labelled as the child printed it ($labels)" eval '[ $labels -eq 3 ]'

# a source file that is gone: rows print, one note
sed 's|"dir": "[^"]*"|"dir": "/nonexistent"|; s|"file": "basic.c"|"file": "gone.c"|' basic.json >gone.json
run "$MPROF" report gone.json
check "missing source: one note, rows without source text" eval "status_is 0 && out_has \"^mprof: source file 'gone.c' not found \\(also looked in '/nonexistent'\\)\$\" && out_has '^    24      3.8 MiB      3.8 MiB           1   \$' && [ \$(grep -c 'not found' out) -eq 1 ]"

printf '{"mprof": 1, "pid": 11, "parent": 10, "functions": []}\n' >empty.json
run "$MPROF" report empty.json
check "a profile without functions: nothing printed, a warning, status 0" eval "status_is 0 && [ ! -s out ] && err_has \"^mprof: warning: no profiled function ran in 'empty.json'\$\""

# bad files: one line, status 1
run "$MPROF" report nosuch.json
check "missing file: status 1" eval "status_is 1 && err_has \"^mprof: cannot open 'nosuch.json': No such file or directory\$\" && err_lines 1"
mkdir adir
run "$MPROF" report adir
check "directory: status 1" eval "status_is 1 && err_has \"^mprof: 'adir' is a directory\$\""
: >zero.json
run "$MPROF" report zero.json
check "empty file: status 1" eval "status_is 1 && err_has \"^mprof: 'zero.json' is empty\$\""
printf '{"mprof": 1,\n "functions": [\n  {"file": "a.c", "name": "f", "first_line": 1, "last_line": 2, "rows": [[1, 1, 0, 0], [1, 1, 0, 0]]}]}\n' >dup.json
run "$MPROF" report dup.json
check "malformed: file:line: message, status 1" eval "status_is 1 && err_has '^mprof: dup.json:3: rows must be in increasing line order \\(line 1 after line 1\\)\$' && err_lines 1 && [ ! -s out ]"
printf '{"mprof": 2, "functions": []}' >v2.json
run "$MPROF" report v2.json
check "a newer schema version: status 1" eval "status_is 1 && err_has 'profile version 2 is newer than this mprof reads \\(1\\)'"
head -c 3000 /dev/urandom >binary.json
run "$MPROF" report binary.json
check "binary data: status 1, one line" eval 'status_is 1 && err_lines 1 && err_has "^mprof: binary.json:[0-9]+: "'
printf 'CMDLINE x\nMEM 1.0 2.0\n' >x.dat
run "$MPROF" report x.dat
check "a .dat is not a profile: status 1" eval "status_is 1 && err_has \"^mprof: x.dat:1: unexpected 'C', expected '\\{' \\(a JSON object\\)\$\""

# usage errors: status 2
run "$MPROF" report --bogus basic.json
check "unknown option: status 2" eval "status_is 2 && err_has \"^mprof: unknown option '--bogus'\$\" && err_has '^usage: mprof report'"
run "$MPROF" report -x basic.json
check "unknown short option: status 2" eval "status_is 2 && err_has \"unknown option '-x'\""
for p in 11 -1 x 1.5 ''; do
	run "$MPROF" report --precision "$p" basic.json
	check "--precision '$p': status 2" eval "status_is 2 && err_has \"option '--precision' takes an integer from 0 to 10, not '$p'\""
done
run "$MPROF" report --precision
check "--precision without a value: status 2" status_is 2
run "$MPROF" report --json=yes basic.json
check "--json takes no value: status 2" status_is 2
run "$MPROF" report basic.json rec.json
check "two profiles: status 2" eval "status_is 2 && err_has 'one profile at a time'"
run "$MPROF" report -h
check "-h: usage on stdout, status 0" eval "status_is 0 && out_has '^usage: mprof report' && [ ! -s err ]"

if [ -w /dev/full ]; then
	"$MPROF" report basic.json >/dev/full 2>err
	status=$?
	check "a failed write to stdout: status 1" eval 'status_is 1 && err_has "cannot write to stdout"'
fi

# The optional columns: saved, printed again, a subset, one not recorded.
build columns
MPROF_BACKEND=heap MPROF_COLUMNS=allocs,peak,leaked MPROF_OUTPUT=cols.txt \
	MPROF_JSON=cols.json ./columns >/dev/null
run "$MPROF" report cols.json
check "columns: the same table as the program printed" eval 'status_is 0 && cmp -s out cols.txt'
run "$MPROF" report --json cols.json
check "columns: --json is the runtime's own text" eval 'status_is 0 && cmp -s out cols.json'
run "$MPROF" report --columns leaked,peak cols.json
check "--columns leaked,peak: those two, in the table's order" eval 'status_is 0 && out_has "Occurrences        Peak       Leaked   Line Contents" && ! out_has Allocs && out_has "^Leaked: 3.0 MiB in 3 blocks"'
run "$MPROF" report --columns peak --json cols.json
check "--columns peak --json: only Peak's figures left" eval 'status_is 0 && out_has "\"columns\": \[\"peak\"\]" && out_has "\[40, 0, 0, 0, 67108864, 0\]" && out_has "\"leaked_blocks\": 0"'
run "$MPROF" report --columns all cols.json
check "--columns all: every column recorded" eval 'status_is 0 && cmp -s out cols.txt'
run "$MPROF" report --columns time cols.json
check "--columns time, not recorded: one line, status 1" eval 'status_is 1 && err_lines 1 && err_has "lacks the columns time \(recorded: allocs,peak,leaked"'
run "$MPROF" report --columns tme cols.json
check "--columns with a bad name: usage error" eval 'status_is 2 && err_has "takes a list of time, allocs, peak, leaked, all"'
run "$MPROF" report --columns leaked basic.json
check "--columns on a profile without columns: status 1" eval 'status_is 1 && err_has "recorded: none"'

# Leaked through recursion: each line counts a block once, however many
# times the recursion put it among the running lines (Allocs, like
# Increment, adds every occurrence, nested ones included); the signature
# row holds the function's total.
cat >deep.c <<'EOF'
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

static void *kept[4];

MPROF static void deep(int n)
{
    if (n > 0)
        deep(n - 1);
    kept[n] = memset(malloc(1 << 20), 1, 1 << 20);
}

int main(void)
{
    deep(3);
    free(kept[0]);
    return kept[3] ? 0 : 1;
}
EOF
${CC:-cc} -O1 -g -I"$SRCDIR/include" -fplugin="$plugin" deep.c -o deep ||
	{ echo "cannot build deep.c"; exit 1; }
run env MPROF_BACKEND=heap MPROF_COLUMNS=allocs,leaked ./deep
check "recursion: the recursive line leaked the 2 live blocks of its inner calls, each once" eval 'status_is 0 && grep -Eq "^ +11 +[0-9.]+ MiB +[0-9.]+ MiB +3 +6 +6.0 MiB +2.0 MiB " err'
check "recursion: the malloc line allocated 4 MiB and leaked 3" eval 'grep -Eq "^ +12 +[0-9.]+ MiB +[0-9.]+ MiB +4 +4 +4.0 MiB +3.0 MiB " err'
check "recursion: the function's total, 3 blocks" eval 'grep -Eq "^ +8 .* +4 +10 +10.0 MiB +3.0 MiB +MPROF" err && grep -q "^Leaked: 3.0 MiB in 3 blocks" err'

finish
