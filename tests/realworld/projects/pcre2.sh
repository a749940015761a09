# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# PCRE2 10.42 (Debian source package pcre2): ./configure --enable-jit with
# CFLAGS (8-bit library only, as upstream's default), make, make check.
# Tests: the automake tests (RunTest, RunGrepTest, pcre2_jit_test,
# pcre2posix_test) one each, and RunTest's numbered tests each, with and
# without JIT ("RunTest:N", "RunTest:N-jit"; RunTest stops at the first
# failure, so the tests after it count as failed; skipped ones are left
# out).  RunGrepTest compares
# pcre2grep's stderr with the expected output: a runtime message there
# fails it.

p_main() {
	local src v dir
	rw_need_packages make
	src=$(rw_source pcre2)
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/pcre2/$v
		rw_log "$v: build"
		rw_fresh_copy "$src" "$dir"
		if ! (cd "$dir" && rw_with_env "$v" rw_logged "$dir/configure.out" \
			./configure CC="$RW_CC" CFLAGS="$(rw_cflags "$v")" --enable-jit &&
		      rw_with_env "$v" rw_logged "$dir/make.out" make -j"$RW_JOBS"); then
			rw_row pcre2 - - - "FAIL ($v build)"
			rw_verdict 1
			return
		fi
		rw_log "$v: test"
		(cd "$dir" && rw_with_env "$v" timeout 3600 make -j"$RW_JOBS" check) \
			>"$dir/check.out" 2>&1 || true
		pcre2_results "$dir" >"$RW_WORK/pcre2/$v.tests"
	done
	rw_same_config pcre2 src/config.h
	rw_same_warnings pcre2 make.out
	rw_compare pcre2 "$RW_WORK/pcre2/plain.tests" "$RW_WORK/pcre2/prof.tests"
}

# pcre2_results DIR: PASS/FAIL lines from make check's output and RunTest.log.
pcre2_results() {
	local dir=$1 t
	for t in RunTest RunGrepTest pcre2_jit_test pcre2posix_test; do
		if grep -q "^PASS: $t\$" "$dir/check.out"; then
			echo "PASS $t"
		else
			echo "FAIL $t"
		fi
	done
	# "Test 2: API, errors, ..." then "  OK" and "  OK with JIT", or
	# "  Skipped ..." (a test of the 16-bit library, say).
	awk '/^Test [0-9]+:/ { t = $2; sub(/:$/, "", t); seen[t] = 1 }
		/^  Skipped/ && t != "" { delete seen[t] }
		/^  OK$/ && t != "" { ok[t] = 1 }
		/^  OK with JIT$/ && t != "" { jit[t] = 1 }
		END {
			for (t in seen) {
				print (ok[t] ? "PASS" : "FAIL") " RunTest:" t
				if (jit[t]) print "PASS RunTest:" t "-jit"
			}
		}' "$dir/RunTest.log" 2>/dev/null | sort
}
