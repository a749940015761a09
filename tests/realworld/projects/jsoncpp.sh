# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# JsonCpp 1.9.5 (Debian source package libjsoncpp), C++: CMake as Debian
# builds it (shared library only) with CMAKE_CXX_FLAGS, the post-build
# unit test run off; then every case of the unit tests, one process each
# (jsoncpp_test --list-tests, --test NAME: "unit:NAME"), and the other
# ctest entries (the reader/writer tests of test/runjsontests.py over
# test/data, run through jsontestrunner_exe) one test each.

p_main() {
	local src v dir t
	rw_need_packages cmake g++ python3
	src=$(rw_source libjsoncpp)
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/jsoncpp/$v
		rm -rf "$dir"
		mkdir -p "$dir"
		rw_log "$v: build"
		if ! rw_cmake_build "$v" "$src" "$dir" CXX \
			-DBUILD_STATIC_LIBS=OFF -DBUILD_OBJECT_LIBS=OFF \
			-DJSONCPP_WITH_POST_BUILD_UNITTEST=OFF; then
			rw_row jsoncpp - - - "FAIL ($v build)"
			rw_verdict 1
			return
		fi
		rw_log "$v: test"
		local out=$RW_WORK/jsoncpp/$v.tests exe=$dir/bin/jsoncpp_test
		: >"$out"
		if ! rw_with_env "$v" "$exe" --list-tests >"$dir/list.out" 2>&1; then
			echo "FAIL unit:list" >>"$out"
		fi
		while read -r t; do
			rw_pass_fail "$out" "unit:$t" rw_with_env "$v" rw_logged "$dir/unit.out" \
				timeout 300 "$exe" --test "$t"
		done < <(grep -v '^ *$' "$dir/list.out")
		(cd "$dir" && rw_with_env "$v" timeout 900 ctest --timeout 300 -E '^jsoncpp_test$') \
			>"$dir/test.out" 2>&1 || true
		rw_ctest_results "$dir/test.out" >>"$out"
	done
	rw_same_config jsoncpp CMakeCache.txt
	rw_same_warnings jsoncpp make.out
	rw_compare jsoncpp "$RW_WORK/jsoncpp/plain.tests" "$RW_WORK/jsoncpp/prof.tests"
}
