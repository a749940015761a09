# SPDX-License-Identifier: MIT
# `mprof check` and `mprof diff` (docs/gates.md): samples/basic.c built
# with the plugin twice, the second time in another directory with lines
# inserted above the function and inside it and one allocation made
# larger, both run with the heap backend (exact figures); each rule of
# check passing and failing with its exact message and status, budget
# files (good, with bad lines: reported, the rest still checked), diff's
# table and JSON across the edit, a file edited in place (the profile's
# saved source lines; without them, distance from the signature), the
# baseline's checkout gone, signature rows, and bad input (sizes, files,
# arguments: status 2).
. "$(dirname "$0")/lib.sh"

plugin_setup
mkdir base new inplace
cp "$SRCDIR/samples/basic.c" base/basic.c
# new/basic.c: two lines above the function, one inside it, b is larger
{
	echo '/* two lines'
	echo '   above the function */'
	sed -n '1,23p' base/basic.c
	echo '    int unused = 0; (void)unused;'
	sed -n '24,$p' base/basic.c | sed 's/2000 \* 1000 \* sizeof \*b/3000 * 1000 * sizeof *b/'
} >new/basic.c
for d in base new; do
	(cd $d && ${CC:-cc} -O1 -g -I"$SRCDIR/include" -fplugin="$plugin" \
		basic.c -o basic) || { echo "cannot build $d/basic.c"; exit 1; }
	(cd $d && MPROF_BACKEND=heap MPROF_OUTPUT=table.txt \
		MPROF_JSON=../$d.json ./basic >/dev/null)
done
check "both runs wrote a profile" eval '[ -s base.json ] && [ -s new.json ]'
# the lines of new/basic.c: signature 24, a = malloc 27, b = malloc 29
check "new/basic.c has the expected shape" \
	eval 'grep -n "" new/basic.c | grep -q "^29:.*int \*b = malloc(3000"'

# ---- check: max-line --------------------------------------------------
run "$MPROF" check --max-line 8M base.json
check "max-line: 7.6 MiB under 8M passes, silently" \
	eval 'status_is 0 && [ ! -s out ] && [ ! -s err ]'
run "$MPROF" check --max-line 7MiB base.json
check "max-line: over 7MiB fails with one compiler-style line" \
	eval 'status_is 1 && [ "$(cat err)" = "basic.c:26: error: max-line exceeded (Increment 7.6 MiB > 7.0 MiB) in my_func" ]'
run "$MPROF" check --max-line 1MB base.json
check "max-line: every line over 1MB, in line order" \
	eval 'status_is 1 && [ "$(cut -d: -f2 err | tr "\n" " ")" = "24 26 " ]'

run "$MPROF" check --max-line 7MiB - <base.json
check "max-line: '-' reads standard input" \
	eval 'status_is 1 && err_has "^basic.c:26: error: max-line exceeded"'

# ---- check: max-peak --------------------------------------------------
run "$MPROF" check --max-peak 12M base.json
check "max-peak: 11.4 MiB under 12M passes" eval 'status_is 0 && [ ! -s err ]'
run "$MPROF" check --max-peak 11M base.json
check "max-peak: one line, at the first row with the highest Mem usage" \
	eval 'status_is 1 && [ "$(cat err)" = "basic.c:26: error: max-peak exceeded (Mem usage 11.4 MiB > 11.0 MiB) in my_func" ]'

# ---- check: max-growth against a baseline ------------------------------
run "$MPROF" check --baseline base.json --max-growth 4M new.json
check "max-growth: +3.8 MiB under 4M passes" eval 'status_is 0 && [ ! -s err ]'
run "$MPROF" check --baseline base.json --max-growth 1M new.json
check "max-growth: the grown line, matched across the edit" \
	eval 'status_is 1 && [ "$(cat err)" = "basic.c:29: error: max-growth exceeded (Increment 7.6 MiB -> 11.4 MiB, +3.8 MiB > 1.0 MiB) in my_func" ]'
run "$MPROF" check --baseline base.json --max-growth 50% new.json
check "max-growth 50%: +50% of 7.6 MiB passes" eval 'status_is 0'
run "$MPROF" check --baseline base.json --max-growth 49.99% new.json
check "max-growth 49.99%: fails, the allowance in bytes given" \
	eval 'status_is 1 && err_has "\\+3\\.8 MiB > 49\\.99% = 3\\.8 MiB\\) in my_func$"'
run "$MPROF" check --baseline base.json --max-growth 1K base.json
check "max-growth: a profile against itself passes" eval 'status_is 0'

# ---- check: budget files -----------------------------------------------
cat >budget.txt <<'EOF'
# the parser may use more; the rest of basic.c not
file basic.c max-line 1M max-peak 20M
function my_* max-line 8M
EOF
run "$MPROF" check --max-line 1K --budget budget.txt base.json
check "budget: a function rule beats the file rule and the option" \
	eval 'status_is 0 && [ ! -s err ]'
printf 'function my_func max-peak 10M\n' >>budget.txt
run "$MPROF" check --budget budget.txt base.json
check "budget: a violation names the budget line" \
	eval 'status_is 1 && [ "$(cat err)" = "basic.c:26: error: max-peak exceeded (Mem usage 11.4 MiB > 10.0 MiB, budget.txt:4) in my_func" ]'
cat >bad.txt <<'EOF'
function my_func max-line 1M
function my_func max-lines 1M
file basic.c max-peak 12Q
EOF
run "$MPROF" check --budget bad.txt base.json
check "budget with bad lines: each reported, the rest checked, status 2" \
	eval 'status_is 2 && [ "$(cat err)" = "bad.txt:2: unknown rule '"'"'max-lines'"'"' (max-line, max-peak or max-growth)
bad.txt:3: '"'"'max-peak'"'"' takes a size (512K, 24MiB, 1.5G) or '"'"'none'"'"', not '"'"'12Q'"'"'
basic.c:24: error: max-line exceeded (Increment 3.8 MiB > 1.0 MiB, bad.txt:1) in my_func
basic.c:26: error: max-line exceeded (Increment 7.6 MiB > 1.0 MiB, bad.txt:1) in my_func" ]'
printf 'function my_func max-growth 1M\n' >growth.txt
run "$MPROF" check --baseline base.json --budget growth.txt new.json
check "budget: a max-growth rule with --baseline" \
	eval 'status_is 1 && err_has "^basic.c:29: error: max-growth exceeded .*growth.txt:1\\) in my_func$"'

# ---- signature rows ------------------------------------------------------
cat >sig.json <<'EOF'
{"mprof": 1, "functions": [{"file": "x.c", "dir": "", "name": "late",
 "first_line": 10, "last_line": 14,
 "rows": [[10, 1, 900000000, 900000000], [12, 1, 4096, 900004096]]}]}
EOF
run "$MPROF" check --max-line 1M sig.json
check "signature rows (memory at entry) are no line's Increment" eval 'status_is 0'
run "$MPROF" check --max-peak 800M sig.json
check "... but count for max-peak" \
	eval 'status_is 1 && [ "$(cat err)" = "x.c:12: error: max-peak exceeded (Mem usage 858.3 MiB > 800.0 MiB) in late" ]'

# ---- diff ------------------------------------------------------------------
run "$MPROF" diff base.json new.json
cat >expect <<'EOF'
basic.c: my_func

  Line #   Base #      Base Incr       New Incr          Delta   Line Contents
      29       26        7.6 MiB       11.4 MiB       +3.8 MiB       int *b = malloc(3000 * 1000 * sizeof *b);

EOF
check "diff: only the line that changed, matched to its old self" \
	eval 'status_is 0 && cmp -s out expect && [ ! -s err ]'
run "$MPROF" diff --threshold 4M base.json new.json
check "diff --threshold 4M: nothing left" eval 'status_is 0 && [ ! -s out ]'
run "$MPROF" diff --max-growth 1M base.json new.json
check "diff --max-growth: the table, the line on stderr, status 1" \
	eval 'status_is 1 && cmp -s out expect && [ "$(cat err)" = "basic.c:29: error: max-growth exceeded (Increment 7.6 MiB -> 11.4 MiB, +3.8 MiB > 1.0 MiB) in my_func" ]'
run "$MPROF" diff new.json base.json
check "diff the other way: -3.8 MiB" eval 'status_is 0 && out_has "^ +26 +29 +11\\.4 MiB +7\\.6 MiB +-3\\.8 MiB "'
run "$MPROF" diff --json base.json new.json
if [ -n "${MPROF_PYTHON:-}" ] || command -v python3 >/dev/null; then
	check "diff --json: the same row for machines" eval 'status_is 0 && python3 -c "
import json, sys
d = json.load(open(\"out\"))
[f] = d[\"functions\"]
assert (f[\"file\"], f[\"name\"], f[\"status\"]) == (\"basic.c\", \"my_func\", \"both\")
[r] = f[\"rows\"]
assert (r[\"line\"], r[\"base_line\"], r[\"delta\"]) == (29, 26, 4000000), r
assert r[\"base\"][\"incr\"] == 8000000 and r[\"new\"][\"incr\"] == 12000000
assert r[\"text\"].strip().startswith(\"int *b = malloc(3000\")
"'
fi

# The baseline's source edited in place: the profile saved the text of
# its lines ("source"), so lines inserted above the function and inside it
# still match by text.
cp base/basic.c inplace/basic.c
build_inplace() {
	(cd inplace && ${CC:-cc} -O1 -g -I"$SRCDIR/include" -fplugin="$plugin" \
		basic.c -o basic && MPROF_BACKEND=heap MPROF_OUTPUT=/dev/null \
		MPROF_JSON=../$1 ./basic >/dev/null)
}
build_inplace inplace1.json
check "the runtime saves each function's source lines" \
	eval 'grep -q "^      \"source\": \[$" inplace1.json && grep -q "^        \"    int \*b = malloc(2000 \* 1000 \* sizeof \*b);\",$" inplace1.json'
{ printf '/* one\n   two\n   three */\n'; sed -n '1,23p' base/basic.c
  echo '    int unused = 0; (void)unused;'; sed -n '24,$p' base/basic.c; } >inplace/basic.c
build_inplace inplace2.json
run "$MPROF" diff --max-growth 0 inplace1.json inplace2.json
check "edited in place, above and inside the function: matched by the saved text" \
	eval 'status_is 0 && [ ! -s out ] && [ ! -s err ]'
run "$MPROF" report --json inplace1.json
check "report --json keeps the source lines" eval 'status_is 0 && cmp -s out inplace1.json'

# A profile without saved text (an older mprof's: the member is unknown
# to it), whose file was edited in place above the function only: lines
# match by their distance from the signature.
sed 's/"source":/"other":/' inplace1.json >old1.json
{ printf '/* one\n   two\n   three */\n'; cat base/basic.c; } >inplace/basic.c
build_inplace inplace3.json
run "$MPROF" diff --max-growth 0 old1.json inplace3.json
check "no saved text, edit above the function: matched by distance" \
	eval 'status_is 0 && [ ! -s out ] && [ ! -s err ]'
rm -rf base
run "$MPROF" diff --max-growth 1M base.json new.json
check "the baseline's checkout gone: still matched by the saved text" \
	eval 'status_is 1 && cmp -s out expect && err_has "^basic.c:29: error: max-growth exceeded"'

# A function only one profile has compares with 0.
sed 's/"my_func"/"other"/' base.json >renamed.json
run "$MPROF" diff base.json renamed.json
check "diff: a new function and a gone one" \
	eval 'status_is 0 && out_has "^basic.c: other \\(new\\)$" && out_has "^basic.c: my_func \\(gone\\)$"'

# ---- bad input -------------------------------------------------------------
run "$MPROF" check --max-line 12X base.json
check "a malformed size: status 2, the option named" \
	eval 'status_is 2 && err_has "^mprof: option '"'"'--max-line'"'"' takes a size \\(512K, 24MiB, 1.5G\\), not '"'"'12X'"'"'$"'
run "$MPROF" check --max-peak 10% base.json
check "a percentage only for --max-growth" eval 'status_is 2'
run "$MPROF" diff --threshold -1 base.json new.json
check "diff: a malformed threshold" eval 'status_is 2 && err_has "--threshold"'
run "$MPROF" check --max-line 1M missing.json
check "an unreadable profile: status 2" \
	eval 'status_is 2 && err_has "^mprof: cannot open '"'"'missing.json'"'"'"'
head -c 100 base.json >trunc.json
run "$MPROF" check --max-line 1M trunc.json
check "a truncated profile: status 2, file:line: message" \
	eval 'status_is 2 && err_has "^mprof: trunc.json:[0-9]+: "'
run "$MPROF" diff base.json trunc.json
check "diff: a truncated profile, status 2" eval 'status_is 2 && err_has "trunc.json"'
: >empty.json
run "$MPROF" diff empty.json new.json
check "diff: an empty profile, status 2" eval 'status_is 2 && err_has "empty"'
run "$MPROF" check --budget missing.txt base.json
check "an unreadable budget file: status 2" eval 'status_is 2 && err_has "missing.txt"'
run "$MPROF" check base.json
check "no rule: status 2" eval 'status_is 2 && err_has "no rule"'
run "$MPROF" check --max-growth 1M new.json
check "--max-growth needs --baseline" eval 'status_is 2 && err_has "--baseline"'
run "$MPROF" check --max-line 1M
check "no profile: status 2" eval 'status_is 2'
run "$MPROF" diff base.json
check "diff wants two profiles" eval 'status_is 2'
run "$MPROF" check -h
check "check -h: what each rule compares" \
	eval 'status_is 0 && out_has "--max-line SIZE +no line.s Increment above SIZE" && out_has "baseline.s"'
run "$MPROF" help diff
check "mprof help diff" eval 'status_is 0 && out_has "^usage: mprof diff"'

finish
