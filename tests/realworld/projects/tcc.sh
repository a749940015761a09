# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tcc (Debian source package tcc): ./configure --extra-cflags (tcc's
# configure takes compiler flags there), make, then `make test` target by
# target: tests/Makefile's TESTS one at a time, and the tests2 and pp
# suites case by case (a case failed when its .output file is left).
# Note that tests/Makefile builds its reference output (test.ref) with
# $(CC) $(CFLAGS) too: instrumented there as well.

TCC_TARGETS="hello-exe hello-run libtest libtest_mt test3 memtest dlltest
	abitest asm-c-connect-test vla_test-run cross-test btest test1b"

p_main() {
	local src v dir t
	src=$(rw_source tcc)
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/tcc/$v
		rw_log "$v: build"
		rw_fresh_copy "$src" "$dir"
		if ! (cd "$dir" && rw_with_env "$v" rw_logged "$dir/configure.out" \
			./configure --cc="$RW_CC" --extra-cflags="$(rw_cflags "$v")" \
			--triplet="$(gcc -dumpmachine | sed 's/-pc-/-/')" &&
		      rw_with_env "$v" rw_logged "$dir/make.out" make -j"$RW_JOBS"); then
			rw_row tcc - - - "FAIL ($v build)"
			rw_verdict 1
			return
		fi
		rw_log "$v: test"
		local out=$RW_WORK/tcc/$v.tests
		: >"$out"
		for t in $TCC_TARGETS; do
			rw_pass_fail "$out" "$t" rw_with_env "$v" rw_logged "$dir/test-$t.out" \
				timeout 1800 make -C "$dir/tests" -s -r "$t"
		done
		tcc_cases "$v" "$dir" tests2 Test: "$out"
		tcc_cases "$v" "$dir" pp PPTest "$out"
	done
	rw_same_config tcc config.h config.mak
	rw_same_warnings tcc make.out
	rw_compare tcc "$RW_WORK/tcc/plain.tests" "$RW_WORK/tcc/prof.tests"
}

# tcc_cases VARIANT DIR SUITE WORD OUT: run tests/SUITE with make -k; each
# case prints "WORD name ..." and leaves name.output when it fails.
tcc_cases() {
	local v=$1 dir=$2 suite=$3 word=$4 out=$5 name
	rm -f "$dir/tests/$suite"/*.output
	(cd "$dir/tests/$suite" && rw_with_env "$v" timeout 1800 make -k -r) \
		>"$dir/test-$suite.out" 2>&1 || true
	sed -n "s/^$word \\([^ .]*\\).*/\\1/p" "$dir/test-$suite.out" | sort -u |
	while read -r name; do
		if [ -f "$dir/tests/$suite/$name.output" ]; then
			echo "FAIL $suite:$name"
		else
			echo "PASS $suite:$name"
		fi
	done >>"$out"
}
