# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# TinyXML-2 9.0 (Debian source package tinyxml2), C++: CMake as Debian
# builds it (shared library) with CMAKE_CXX_FLAGS, then xmltest from a
# copy of the source tree (it reads resources/ and writes resources/out/).
# Tests: each check xmltest prints, "[pass]" or "[fail]", named by its
# place in the run ("xmltest#N"), and its closing "Pass N, Fail 0".

p_main() {
	local src v dir
	rw_need_packages cmake g++
	src=$(rw_source tinyxml2)
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/tinyxml2/$v
		rw_log "$v: build"
		rm -rf "$dir"
		rw_fresh_copy "$src" "$dir/src"
		if ! rw_cmake_build "$v" "$dir/src" "$dir" CXX \
			-DBUILD_SHARED_LIBS=yes -Dtinyxml2_BUILD_TESTING=ON; then
			rw_row tinyxml2 - - - "FAIL ($v build)"
			rw_verdict 1
			return
		fi
		rw_log "$v: test"
		(cd "$dir/src" && rw_with_env "$v" timeout 900 "$dir/xmltest") \
			>"$dir/test.out" 2>&1 || true
		awk '/^\[(pass|fail)\]/ { n++; print (/^\[pass\]/ ? "PASS" : "FAIL") " xmltest#" n }
			/^Pass [0-9]+, Fail 0$/ { done = 1 }
			END { print (done ? "PASS" : "FAIL") " xmltest:summary" }' \
			"$dir/test.out" >"$RW_WORK/tinyxml2/$v.tests"
	done
	rw_same_config tinyxml2 CMakeCache.txt
	rw_same_warnings tinyxml2 make.out
	rw_compare tinyxml2 "$RW_WORK/tinyxml2/plain.tests" "$RW_WORK/tinyxml2/prof.tests"
}
