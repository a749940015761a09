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
	rw_compare jq "$RW_WORK/jq/plain.tests" "$RW_WORK/jq/prof.tests"
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
