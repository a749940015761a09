# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# jq (Debian source package jq, with libonig-dev): autoreconf (the Debian
# patches touch Makefile.am), ./configure with CFLAGS, make, make check.
# Tests: each case of tests/jqtest and tests/onigtest ("N of M tests
# passed" in their logs, failures named by their line in the .test file),
# and tests/shtest and tests/mantest as one test each.

p_main() {
	local src v dir
	rw_need_packages autoconf automake libtool libonig-dev make
	src=$(rw_source jq)
	if [ ! -f "$src/.rw-autoreconf" ]; then
		rw_log "autoreconf"
		(cd "$src" && rw_logged "$RW_WORK/logs/jq-autoreconf.log" autoreconf -fi) ||
			{ rw_row jq - - - "FAIL (autoreconf)"; rw_verdict 2; return; }
		touch "$src/.rw-autoreconf"
	fi
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/jq/$v
		rw_log "$v: build"
		rw_fresh_copy "$src" "$dir"
		if ! (cd "$dir" && rw_with_env "$v" rw_logged "$dir/configure.out" \
			./configure CC="$RW_CC" CFLAGS="$(rw_cflags "$v")" \
			--disable-maintainer-mode --disable-docs --disable-valgrind &&
		      rw_with_env "$v" rw_logged "$dir/make.out" make -j"$RW_JOBS"); then
			rw_row jq - - - "FAIL ($v build)"
			rw_verdict 1
			return
		fi
		rw_log "$v: test"
		(cd "$dir" && rw_with_env "$v" timeout 3600 make -j"$RW_JOBS" check) \
			>"$dir/check.out" 2>&1 || true
		jq_results "$dir" >"$RW_WORK/jq/$v.tests"
	done
	rw_same_config jq config.status
	rw_same_warnings jq make.out
	rw_compare jq "$RW_WORK/jq/plain.tests" "$RW_WORK/jq/prof.tests"
	jq_tables
}

# jq_tables: instrumented jq on a few MB of JSON with the report on; the
# tables checked against the sources (check_tables.py), and the output
# against plain jq's.  The shipped parser.c and lexer.c are not checked:
# their #line directives are wrong (Debian's patches change parser.y and
# parser.c without regenerating the directives, so parser.c's own lines
# are 10 off after the patched spot and parser.y's lines point past its
# end; flex's output is one line off for lexer.l), and the compiler -- and
# so the report, as gdb would -- believes them.
jq_tables() {
	local dir=$RW_WORK/jq/prof report=$RW_WORK/jq/prof/jq.table
	local filter='[.[] | select(.n % 3 == 0) | {k: .name, v: (.n * 2), t: (.tags | join(","))}] | length, (map(.v) | add)'
	rw_log "tables: jq on generated JSON with MPROF_OUTPUT"
	awk 'BEGIN { printf "["; for (i = 0; i < 20000; i++)
		printf "%s{\"name\":\"item%d\",\"n\":%d,\"tags\":[\"a%d\",\"b\"]}",
			(i ? "," : ""), i, i, i % 7; print "]" }' >"$dir/input.json"
	"$RW_WORK/jq/plain/jq" "$filter" "$dir/input.json" >"$dir/jq-plain.out" 2>&1 || true
	rm -f "$report"
	(cd "$dir" && MPROF_OUTPUT="$report" timeout 1800 ./jq "$filter" input.json) \
		>"$dir/jq-prof.out" 2>&1 || true
	if ! cmp -s "$dir/jq-plain.out" "$dir/jq-prof.out"; then
		rw_log "tables: FAIL: jq's output differs with the report on"
		rw_row "jq tables" 1 1 0 FAIL "output differs"
		rw_verdict 1
	else
		rw_check_tables "jq tables" "$dir" "$report" \
			--skip-file src/parser.c --skip-file src/lexer.c \
			--skip-file 'src/*.[ly]' \
			--expect-file src/main.c --expect-file src/jv.c \
			--expect-file src/execute.c --expect-file src/jv_parse.c \
			--expect-row 'src/main.c:main()=1'
	fi
}

# jq_results DIR: PASS/FAIL lines from the logs of make check.
jq_results() {
	local dir=$1 t log
	for t in jqtest onigtest; do
		log=$dir/tests/$t.log
		if [ ! -f "$log" ]; then
			echo "FAIL $t"
			continue
		fi
		# Each case logs "Testing '...' at line number N"; a failure
		# adds a "*** ..." line naming the same line.  A run that dies
		# midway lacks the final "N of M tests passed".
		awk -v t="$t" '
			/^Testing .* at line number [0-9]+$/ { tests[$NF] = 1 }
			/^\*\*\*/ && match($0, /at line (number )?[0-9]+/) {
				s = substr($0, RSTART, RLENGTH); sub(/.* /, "", s)
				fail[s] = 1 }
			/^[0-9]+ of [0-9]+ tests passed/ { done = 1 }
			END {
				for (l in tests)
					print (l in fail ? "FAIL " : "PASS ") t ":line-" l
				print (done ? "PASS " : "FAIL ") t ":completed"
			}' "$log" | sort
	done
	for t in shtest mantest; do
		if grep -q "^PASS: tests/$t\$" "$dir/check.out"; then
			echo "PASS $t"
		else
			echo "FAIL $t"
		fi
	done
}
